"""The DR term of the limit binds only the loads taking part in DR (`Limits.dr_loads`)."""

from __future__ import annotations

from custom_components.balance.dlm import (
    ActionKind,
    DlmEngine,
    Limits,
    LoadConfig,
    LoadStatus,
    Priority,
)
from tests.dlm.mod_house import ModHouse
from tests.dlm.test_modulation import CFG, MAX_W, charger, l1

BOILER = LoadConfig("boiler", Priority.YELLOW, 2000.0, max_off_s=900)


def house(limits: Limits) -> ModHouse:
    loads = [charger(), BOILER]
    return ModHouse.build(DlmEngine(loads, CFG, limits), loads, lambda _t: l1(1000.0))


def changed(h: ModHouse, load_id: str) -> bool:
    return any(a.load_id == load_id and a.kind is not ActionKind.TURN_ON for _, a in h.log)


def test_a_dr_limit_is_met_by_the_participating_loads_only() -> None:
    # 1 kW base + 7.36 kW charger + 2 kW boiler = 10.36 kW under a 6.5 kW DR limit: only the
    # boiler takes part, so it is shed and the charger keeps its full power.
    h = house(Limits(hard_w=14_000, dr_w=6500, dr_loads=frozenset({"boiler"})))
    h.run(0, 120)
    assert not h.on["boiler"]
    assert h.engine.state().loads["boiler"].status is LoadStatus.SHED
    assert not changed(h, "ev")
    assert h.on["ev"] and h.setpoint["ev"] == MAX_W


def test_a_participating_charger_is_lowered_and_the_other_load_kept() -> None:
    h = house(Limits(hard_w=14_000, dr_w=6500, dr_loads=frozenset({"ev"})))
    h.run(0, 120)
    assert h.on["boiler"] and not changed(h, "boiler")
    assert max(h.power(t) for t in range(60, 120)) <= 6500
    assert h.setpoint["ev"] < MAX_W


def test_an_excess_over_another_term_still_sheds_any_load() -> None:
    # The resident's 5 kW holds for every load; the DR term's 4 kW only for the boiler.
    h = house(Limits(resident_w=5000, hard_w=14_000, dr_w=4000, dr_loads=frozenset({"boiler"})))
    h.run(0, 200)
    assert not h.on["boiler"]
    assert max(h.power(t) for t in range(60, 200)) <= 5000
    assert changed(h, "ev")


def test_without_a_participant_list_the_dr_term_binds_every_load() -> None:
    h = house(Limits(hard_w=14_000, dr_w=6500))
    h.run(0, 120)
    assert max(h.power(t) for t in range(60, 120)) <= 6500
    assert changed(h, "ev")
