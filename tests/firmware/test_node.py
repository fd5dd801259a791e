"""Node firmware (hub_firmware/node) under the real MicroPython, on fakes of its hardware only.

Supervised pulse inputs (DebouncedCounter fed with bouncing contact edges, line and magnet
readers), battery and RSSI in the report, relaying through a line of mains-powered relays in the
sim air with the CC1101 driver on fake chips, the 30-hop limit, deep-sleep snapshots and the
CC1101 wake-on-radio registers (datasheet: t_EVENT0 = 750 / f_XOSC x EVENT0, so the 1 s listen
interval at 26 MHz is EVENT0 = 34667 = 0x876B).
"""

from typing import Any

import pytest
from mpy_run import run_mpy

OPEN, CLOSED = 0, 1
CH_OPEN, CH_SHORT, CH_MAGNETIC = 1, 2, 4


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One MicroPython run for the whole module."""
    out: dict[str, Any] = run_mpy("node_firmware.py", tmp_path_factory.mktemp("node"))
    return out


def test_debounced_inputs_battery_and_rssi_in_the_report(result: dict[str, Any]) -> None:
    counts, flags, battery_mv, battery_low, rssi, wake, epoch, distance = result["inputs"]["first"]
    assert counts == [5, 2, 0]  # bouncing closures counted once each
    assert flags == [0, 0, 0]
    assert battery_mv == 3250 and battery_low  # below 3300 mV
    assert rssi == -77  # the last frame the node heard, after the channels
    assert not wake  # one packet: the relays and the hub always listen, no wake-up burst
    assert epoch == 1  # first boot
    assert distance == 0xFF  # has not heard the hub yet


def test_line_supervision_and_magnet_confirmed_after_two_readings(result: dict[str, Any]) -> None:
    first, second, third = result["inputs"]["faults"]
    assert first == [0, 0, 0]
    assert second == [CH_MAGNETIC, CH_OPEN | CH_MAGNETIC, CH_SHORT | CH_MAGNETIC]
    assert third == second
    assert result["inputs"]["due"] == 900  # sleeps until the next report


def test_reports_climb_three_relays(result: dict[str, Any]) -> None:
    relaying = result["relaying"]
    assert relaying["hops"] == [[1, [0]], [2, [1]], [3, [2]], [9, [3]]]
    assert relaying["leaf_sniffs_per_s"] == 1.0  # listen interval 1 s
    assert relaying["relays_awake"] == [True, True, True, False]  # mains relays: RX always on
    assert relaying["relay_sniffs"] == 0
    # Distances unknown: every report (and the leaf's JOIN) floods every relay once (both ways
    # along the line); the battery leaf relays nothing.
    assert relaying["flooded"] == [4, 4, 4, 0]
    # Once a hub frame taught the distances, a report only travels towards the hub.
    assert relaying["distances"] == [1, 2, 3, 4]
    assert relaying["pruned"] == [3, 2, 1, 0]
    packets, tx_s = relaying["leaf_tx"]  # single packets of 8 ms or less, no 1 s bursts
    assert packets >= 2 and tx_s <= 0.0085 * packets


def test_relay_hop_limit_and_duplicates(result: dict[str, Any]) -> None:
    assert result["hop_limit"] == {"relayed_hops": [30, 2], "non_relay": 0}


def test_deep_sleep_keeps_pairing_shed_and_epoch(result: dict[str, Any]) -> None:
    sleep = result["sleep"]
    assert sleep["size"] == [20 + 1 + 6 * 16] * 2  # RTC memory, with the 16 recent frames
    assert sleep["epoch"] == [1, 1] and sleep["cold_epoch"] == 2
    assert sleep["state"] == OPEN and sleep["key"]
    assert sleep["report_in"] == 480  # the lease ends 600 s after the command
    assert sleep["lease_end"] == [CLOSED, 0, 1]  # load powered again and reported


def test_wake_on_radio_registers(result: dict[str, Any]) -> None:
    assert result["wor"] == {
        "event0": 34667,
        "worevt": [0x87, 0x6B],
        "worctrl": 0x78,
        "mcsm2": 0x16,
        "mcsm0": 0x38,
        "wor": True,
    }


def test_only_relays_and_output_nodes_listen(result: dict[str, Any]) -> None:
    """A metering-only leaf powers its radio down; a paired AD220 leaf keeps only commands."""
    listening = result["listening"]
    assert listening["listens"] == [False, True, True]
    assert listening["filters"] == [None, None, 0x13]  # header byte of a version-1 command
    assert listening["kept"] == [False, True]  # the report never reaches the RX FIFO
    assert listening["filtered"] == 1 and listening["received"]


def test_unanswered_join_backs_off_to_an_hour(result: dict[str, Any]) -> None:
    """A node the hub does not know must not drain its cell with a JOIN a minute."""
    assert result["join_backoff"] == [60, 120, 240, 480, 960, 1920] + [3600] * 7  # 9 h
