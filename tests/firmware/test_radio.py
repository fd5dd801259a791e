"""Air frame, CC1101 driver against the fake chip, and router, run by the real MicroPython.

Known answers: the PN9 sequence starts FF E1 1D 9A ED 85 33 24 EA 7A (TI DN509 table, x^9+x^5+1
seeded 0x1FF) and repeats every 511 bytes; the CC1101 CRC (TI DN502: poly 0x8005, init 0xFFFF,
MSB first) is CRC-16/CMS in the reveng catalogue, whose check value for "123456789" is 0xAEE7.
"""

import json
import sys

from hypothesis import given
from hypothesis import strategies as st
from mpy_run import MPY_SCRIPTS, ROOT, run_mpy

sys.path[:0] = [str(ROOT / "hub_firmware"), str(MPY_SCRIPTS)]

import radio_chip  # noqa: E402
import radio_vectors  # noqa: E402
import router_relay  # noqa: E402
from bhub.radio import airframe  # noqa: E402

PN9_START = "ffe11d9aed853324ea7ad2397097570a547d2dd86d0d"
DECODER = airframe.OpenAirDecoder()


def as_json(value):
    return json.loads(json.dumps(value))


def test_vectors_known_answers_under_micropython():
    result = run_mpy("radio_vectors.py")
    assert result["pn9_64"].startswith(PN9_START)
    assert result["crc_123456789"] == 0xAEE7
    assert result["report"] == (
        "11" "deadbeef" "1234" "02" "01020304"  # header, origin, counter, hops, relay
        "03" "13" "0d54" "01"  # epoch, status (3 channels, battery low), 3412 mV, outputs
        "0000000000" "0000000702" "ffffffff04"  # channels: count, flags
    )  # fmt: skip
    assert result["on_air"].startswith("aaaaaaaad391")
    assert result["decoded"]["counts"] == [0, 7, 0xFFFFFFFF]
    assert result["command"] == [1, 9, 0xDEADBEEF, 77, 0, 1]
    assert result == as_json(radio_vectors.scenario())  # same bytes under CPython


def test_pn9_period_and_self_inverse():
    stream = airframe.pn9_whiten(bytes(1022))
    assert stream[:511] == stream[511:]
    assert len(set(stream[:511])) > 200
    data = bytes(range(200))
    assert airframe.pn9_whiten(airframe.pn9_whiten(data)) == data


def test_on_air_burst_layout():
    packet = airframe.encode_report(5, 1, [1], 3600)
    burst = airframe.encode_on_air(packet)
    body = airframe.pn9_whiten(burst[len(airframe.PREAMBLE) + 2 :])
    assert body[0] == len(packet)
    assert bytes(body[1:-2]) == packet
    assert airframe.crc16(body) == 0  # CRC appended MSB first leaves a zero remainder


def test_fake_chip_and_driver_under_micropython():
    result = run_mpy("radio_chip.py")
    assert result["chip_id"] == [0x00, 0x14]
    assert result["state_after_reset"] == 0x0D  # RX
    assert [result["idle_gdo0"], result["gdo0"]] == [0, 1]
    packet = airframe.encode_report(42, 1, [10, 20], 3500, [0, airframe.CH_OPEN])
    assert result["received"] == [packet.hex(), -72, 25]
    assert result["state_after_rx"] == 0x0D  # RXOFF_MODE: stays in RX
    assert result["crc_fail"] == [None, 1]
    assert result["length_filtered"] == [False, 0]
    assert result["overflow_state"] == 0x11  # RXFIFO_OVERFLOW
    assert result["overflow_lost"] is False  # nothing is received until SFRX
    assert result["overflow_receive"] == [None, 1, 0x0D, 0]
    assert result["after_overflow"] is True
    assert result["tx"] == [True, True, 0x0D]
    assert result["tx_busy"] == [False, 1, 1, 0x0D]  # CCA failed: nothing more sent
    assert result == as_json(radio_chip.scenario())


def test_router_relay_rules_under_micropython():
    result = run_mpy("router_relay.py")
    assert result["first"] == [True, 1, 1, 0x99]
    assert result["same_again"] and result["relayed_copy"]
    assert result["next_frame"] is False
    assert result["after_window"] is True
    assert result["hops_29"] == [True, 30]
    assert result["hops_30"] == [True, 0]  # accepted, never relayed past 30
    assert result["hops_31_invalid"] and result["garbage"]
    assert result["line_relays"] == 30
    assert result["line_hops"] == [29, 30]
    assert result["line_last_seen_hops"] == 30
    assert result["no_backwards"] == [500]
    assert result["table_full"] == [1, 2]
    assert result["stats"]["duplicate"] == 2
    assert result == as_json(router_relay.scenario())


reports = st.builds(
    dict,
    node_id=st.integers(0, 2**32 - 1),
    frame_counter=st.integers(0, 2**16 - 1),
    counts=st.lists(st.integers(0, 2**32 - 1), max_size=3),
    battery_mv=st.integers(0, 2**16 - 1),
    epoch=st.integers(0, 255),
    battery_low=st.booleans(),
    outputs=st.integers(0, 255),
    hops=st.integers(0, 30),
    relay_id=st.integers(0, 2**32 - 1),
)


@given(reports, st.data())
def test_report_round_trip(fields, data):
    flags = data.draw(st.lists(st.integers(0, 7), min_size=len(fields["counts"]),
                               max_size=len(fields["counts"])))  # fmt: skip
    packet = airframe.encode_report(channel_flags=flags, **fields)
    assert len(packet) <= airframe.MAX_PACKET
    decoded = DECODER.decode(packet)
    assert {k: getattr(decoded, k) for k in fields} == fields
    assert decoded.channel_flags == flags
    relayed = DECODER.relayed(packet, 77)
    if fields["hops"] < airframe.MAX_HOPS:
        assert DECODER.decode(relayed).hops == fields["hops"] + 1
        assert DECODER.decode(relayed).relay_id == 77
    else:
        assert relayed is None


@given(st.binary(max_size=80))
def test_decoder_never_raises_on_random_bytes(raw):
    report = DECODER.decode(raw)
    assert report is None or report.hops <= airframe.MAX_HOPS
    DECODER.relayed(raw, 1)
    airframe.decode_command(raw)


@given(st.binary(min_size=1, max_size=airframe.MAX_PACKET), st.integers(0, 8 * 70 - 1))
def test_fake_chip_rejects_any_single_bit_error(packet, bit):
    from bhub.radio.cc1101 import CC1101
    from bhub.radio.fake_cc1101 import FakeCC1101

    chip = FakeCC1101()
    radio = CC1101(chip, chip.cs, chip.gdo0)
    radio.reset()
    burst = bytearray(airframe.encode_on_air(packet))
    bit %= 8 * (len(burst) - 7)  # flip a bit of the packet or CRC (CRC-16 catches them all)
    burst[7 + bit // 8] ^= 0x80 >> (bit % 8)
    chip.receive_air(bytes(burst))
    assert radio.receive() is None
    chip.receive_air(airframe.encode_on_air(packet))
    assert radio.receive()[0] == packet
