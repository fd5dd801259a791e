"""Authenticated air commands between the hub (bhub/aircmd.py) and the node firmware (node/).

The scenario runs under the real MicroPython: the hub's AirCommands and four nodes running the
node firmware, each on the real CC1101 driver over a fake chip, in the sim air (sim/air.py):
hub - relay 1 - relay 2 - relay 3 (mains powered, always listening) - AD220 node (battery,
listen interval 1 s). The frame format and its
tag are also checked in CPython against the standard library's HMAC.
"""

import hashlib
import hmac
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mpy_run import MPY_SCRIPTS, ROOT, run_mpy

sys.path[:0] = [str(ROOT / "hub_firmware"), str(MPY_SCRIPTS)]

from bhub.radio import airsec  # noqa: E402

OPEN, CLOSED = 0, 1
OK, UNKNOWN_OUTPUT, NOT_ACKNOWLEDGED = 0, 1, 4
CAUSE_HOST, CAUSE_NODE = 0, 5
KEY = bytes(range(16))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One MicroPython run for the whole module."""
    result: dict[str, Any] = run_mpy("air_commands.py", tmp_path_factory.mktemp("air"))
    return result


def test_pairing_provisions_one_key_on_both_sides(scenario: dict[str, Any]) -> None:
    result = scenario
    assert result["paired"] == [[50], True, 1]  # one output announced in the JOIN
    assert result["same_key"] is True
    assert result["known_after_join"] == [[0, CLOSED]]  # the first report follows the ACCEPT


def test_command_through_three_relays_is_acknowledged(scenario: dict[str, Any]) -> None:
    result = scenario
    assert result["boot_coil"] == 0  # coil off at boot: load powered
    assert result["open"][0] == [OK, OPEN]
    assert result["coil_after_open"] == 1
    assert result["hub_state"] == [[0, OPEN]]
    assert result["events"][-1] == [50, 0, OPEN, CAUSE_HOST]
    # One packet per relay hop down, one 1 s wake-up burst from relay 3 to the battery node
    # (its ack waits for the burst's end), 4 short hops up: 3 x 8.5 + 1008.5 + 4 x 7.7 ms.
    assert all(latency == pytest.approx(1.065, abs=0.01) for latency in result["latencies"])
    assert result["sent_acked"][2] == 0


def test_forged_command_does_not_switch(scenario: dict[str, Any]) -> None:
    same_state, forged, coil_writes = scenario["forged"]
    assert same_state and forged == 1 and coil_writes == 0


def test_replayed_command_does_not_switch(scenario: dict[str, Any]) -> None:
    state, replayed, coil_writes = scenario["replayed"]
    assert state == CLOSED and replayed == 1 and coil_writes == 0


def test_tampered_command_does_not_switch(scenario: dict[str, Any]) -> None:
    state, forged = scenario["tampered"]
    assert state == CLOSED and forged == 2


def test_replayed_join_keeps_the_key(scenario: dict[str, Any]) -> None:
    assert scenario["join_replay"] == [True, 1]


def test_lost_ack_is_retried_and_executed_once(scenario: dict[str, Any]) -> None:
    result = scenario
    answer, latency, answers = result["retry"]
    assert answer == [OK, OPEN] and answers == 1
    assert 2.6 < latency < 4  # answered by the second attempt, after the first one's wait
    assert result["retry_executed_once"] == 1


def test_lease_refresh_and_safe_state_when_the_hub_is_lost(scenario: dict[str, Any]) -> None:
    result = scenario
    assert result["lease_refreshed"] == [OPEN, True]  # the hub kept the shed alive
    assert result["lease_expired"] == [CLOSED, 0]  # no hub: the load is powered again
    known, event = result["hub_learns"]
    assert known == [[0, CLOSED]] and event == [50, 0, CLOSED, CAUSE_NODE]


def test_unreachable_node_is_reported_before_the_host_gives_up(scenario: dict[str, Any]) -> None:
    answer, latency, answers = scenario["unreachable"]
    assert answer[0] == NOT_ACKNOWLEDGED and answers == 1
    assert latency <= 8.0  # the integration waits 10 s for OUTPUT_ACK


def test_replayed_accept_gives_no_key(scenario: dict[str, Any]) -> None:
    assert scenario["accept_replay"] == [True, 1]


def test_unknown_node_or_output_is_answered_at_once(scenario: dict[str, Any]) -> None:
    assert scenario["unknown"] == [[UNKNOWN_OUTPUT, 0], [UNKNOWN_OUTPUT, 0]]


def test_node_reboot_restores_safe_state_and_keeps_pairing(
    scenario: dict[str, Any],
) -> None:
    opened, state, coil, same_key, same_seq = scenario["reboot"]
    assert opened == OPEN and state == CLOSED and coil == 0 and same_key and same_seq


def test_tag_is_truncated_hmac_sha256() -> None:
    for key, message in ((b"", b""), (KEY, b"abc" * 40), (bytes(100), b"x")):
        expected = hmac.new(key, message, hashlib.sha256).digest()
        assert airsec.hmac_sha256(key, message) == expected


@given(st.integers(0, airsec.size(airsec.KIND_COMMAND) - 1), st.integers(1, 255))
def test_any_changed_byte_but_hops_and_relay_breaks_the_tag(index: int, flip: int) -> None:
    packet = bytearray(airsec.encode(airsec.KIND_COMMAND, KEY, 0, 7, 1234, 9, 0, OPEN, 900))
    packet[index] ^= flip
    relay_fields = 7 <= index < 12
    if index == 7 and packet[7] > 30:
        relay_fields = False  # an impossible hop count is rejected
    assert airsec.verify(KEY, bytes(packet)) is relay_fields


def test_relayed_frame_keeps_its_tag() -> None:
    packet = airsec.encode(airsec.KIND_ACK, KEY, 50, 3, 9, 0, OPEN, OK)
    once = airsec.relayed(packet, 0xABCD)
    assert once is not None and once[7] == 1 and airsec.verify(KEY, once)
    assert airsec.kind_of(once) == airsec.KIND_ACK
    assert airsec.kind_of(packet[:-1]) == 0  # short: not a frame


def test_paired_nodes_cost_under_80_heap_bytes_each(tmp_path: Path) -> None:
    """240 nodes paired by real JOIN frames: one 31-byte record each plus a dict entry."""
    result = run_mpy("heap_air.py", tmp_path, heap="1M")
    assert result["paired"] == 240 and result["accepts"] == 240
    assert result["bytes_per_node"] < 80


def test_accept_never_carries_the_node_key_in_clear() -> None:
    """Only the install key unwraps it; the wrapping pad changes with counter and nonce."""
    install, node_key = bytes(range(16)), bytes(range(100, 116))
    wrapped = airsec.wrap(install, 50, 3, b"abcd", node_key)
    accept = airsec.encode(airsec.KIND_ACCEPT, install, 0, 1, 50, 3, b"abcd", wrapped)
    assert node_key not in accept
    assert airsec.wrap(install, 50, 3, b"abcd", wrapped) == node_key
    assert airsec.wrap(bytes(16), 50, 3, b"abcd", wrapped) != node_key
    assert airsec.wrap(install, 50, 4, b"abcd", node_key) != wrapped
    assert airsec.verify(install, accept) and not airsec.verify(bytes(16), accept)
