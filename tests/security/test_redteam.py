"""Red-team cases against the link (issue 13): a LAN attacker and a broken or hostile hub.

Real MicroPython (the sim hub over TCP on 127.0.0.1, and its codec), the real HubClient.
"""

from __future__ import annotations

import json
import os
import random
import struct
import subprocess
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from mpy_run import MICROPYTHON
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.balance.const import CONF_CONNECTION, CONF_PSK, CONNECTION_TCP, DOMAIN
from custom_components.balance.hub import messages as m
from custom_components.balance.hub.auth import direction_key
from custom_components.balance.hub.client import HubClient, HubConnectionError
from custom_components.balance.hub.frame import (
    FLAG_AUTH,
    FLAG_SEALED,
    HEADER,
    HOST_TO_HUB,
    HUB_TO_HOST,
    MAX_PAYLOAD,
    MAX_SEQ,
    SYNC,
    FrameDecoder,
    LinkKey,
    encode_frame,
    frame_mac,
)
from tests.integration.conftest import (  # noqa: F401 - fixtures of the integration tests
    PSK,
    PSK_TEXT,
    auto_enable_custom_integrations,
    config_entry,
    eventually,
    fast_backoff,
    loaded_entry,
    peer,
    settle,
)
from tests.integration.hub_peer import HUB_ID, NODE_ID, HubPeer, _Link
from tests.vectors.generate import message_to_json, vector_key

ROOT = Path(__file__).resolve().parents[2]
VECTOR_DIR = ROOT / "tests" / "vectors"
SESSION_KEY = bytes(range(32))

_DECODE_LINES = """\
import json, sys
from bhub import protocol

def to_json(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value

for line in sys.stdin:
    msg_type, payload = line.split()
    try:
        raw = b"" if payload == "-" else bytes.fromhex(payload)
        fields = protocol.decode_payload(int(msg_type), raw)
        print(json.dumps(to_json(fields)))
    except protocol.MessageError:
        print("ERR")
    except Exception as err:
        print("RAISED " + repr(err))
"""


def _vector_payloads() -> list[tuple[int, bytes]]:
    """Every payload the shared vectors decode to (plain, MAC'd and sealed)."""
    payloads = []
    for path in sorted(VECTOR_DIR.glob("*.json")):
        vector = json.loads(path.read_text())
        decoder = FrameDecoder(key=vector_key(vector))
        payloads += [(f.type, f.payload) for f in decoder.feed(bytes.fromhex(vector["hex"]))]
    return payloads


def _cases(rng: random.Random) -> list[tuple[int, bytes]]:
    """Valid payloads, every truncation, trailing bytes, byte flips, random and odd UTF-8."""
    cases: list[tuple[int, bytes]] = []
    for msg_type, payload in _vector_payloads():
        cases += [(msg_type, payload[:cut]) for cut in range(len(payload))]
        cases.append((msg_type, payload + rng.randbytes(rng.randint(1, 8))))
        for _ in range(20):
            if payload:
                raw = bytearray(payload)
                raw[rng.randrange(len(raw))] = rng.randrange(256)
                cases.append((msg_type, bytes(raw)))
    for msg_type in m.MESSAGE_TYPES:
        cases += [(msg_type, rng.randbytes(rng.randint(0, 48))) for _ in range(60)]
    for _ in range(400):  # HELLO names of random bytes (mostly non-ASCII)
        name = bytes(rng.choice((0x80, 0xC0, 0xE0, 0xED, 0xF0, 0xF4, 0xF8)) | rng.randrange(64)
                     for _ in range(rng.randint(1, 6)))  # fmt: skip
        cases.append((m.Hello.TYPE, bytes([1, 1, 0, 0, 0, 0, 0]) + bytes(16)
                      + bytes([len(name)]) + name))  # fmt: skip
    cases += [(code, rng.randbytes(8)) for code in (0, 0x08, 0x16, 0x23, 0x43, 0x62, 0xFF)]
    return cases


def _cpython(msg_type: int, payload: bytes) -> Any:
    try:
        message = m.decode_payload(msg_type, payload)
    except m.MessageError:
        return "ERR"
    fields: dict[str, Any] = message_to_json(message)["fields"]
    return fields


def test_payload_decoders_agree_on_accept_reject_and_fields(tmp_path: Path) -> None:
    """Same bytes, same verdict and same fields in CPython and MicroPython (bounded random
    loop, fixed seed: about 4,100 payloads of every message type)."""
    cases = _cases(random.Random(13))
    script = tmp_path / "decode_lines.py"
    script.write_text(_DECODE_LINES)
    env = {**os.environ, "MICROPYPATH": f"{ROOT / 'hub_firmware'}:.frozen"}
    result = subprocess.run(
        [str(MICROPYTHON), "-X", "heapsize=4M", str(script)],
        input="".join(f"{t} {p.hex() or '-'}\n" for t, p in cases),
        capture_output=True, text=True, env=env, check=True, timeout=300,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert len(lines) == len(cases), result.stderr
    mismatches = []
    for (msg_type, payload), line in zip(cases, lines, strict=True):
        micropython = line if line == "ERR" or line.startswith("RAISED") else json.loads(line)
        cpython = _cpython(msg_type, payload)
        if micropython != cpython:
            mismatches.append((msg_type, payload.hex(), cpython, micropython))
    assert not mismatches, mismatches[:5]
    assert sum(1 for line in lines if line != "ERR") > 500  # many cases decode at all


async def test_alarms_for_channels_a_node_lacks_raise_no_issues(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,  # noqa: F811
    peer: HubPeer,  # noqa: F811
) -> None:
    """A hostile hub pushing plausibility alarms for channels 0..255 of a known node: only the
    node's real channels may become repair issues (before, every channel number did: up to
    241 nodes x 256 channels x 3 kinds stored issues)."""
    known = set(loaded_entry.runtime_data.coordinator.nodes[NODE_ID].channels)
    node = loaded_entry.runtime_data.coordinator.nodes[NODE_ID]
    for channel in range(256):
        peer.push(m.Alarm(NODE_ID, channel, m.AlarmKind.OPEN_CIRCUIT, 1, 0, 0))
        peer.push(m.Alarm(NODE_ID, channel, m.AlarmKind.ARCING, 1, 0, 0))  # node-wide kind
    await settle(hass, 20)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=61))
    await hass.async_block_till_done()
    issues = {
        issue_id
        for (domain, issue_id) in ir.async_get(hass).issues
        if domain == DOMAIN and issue_id.startswith("plausibility_")
    }
    assert issues == {
        f"plausibility_{loaded_entry.unique_id}_{NODE_ID}_{channel}_1" for channel in known
    }
    assert set(node.alarms) == {(channel, m.AlarmKind.OPEN_CIRCUIT) for channel in known} | {
        (0xFF, m.AlarmKind.ARCING)
    }


def _sealed_cases(rng: random.Random, key: LinkKey) -> list[bytes]:
    """Streams a key holder (a hostile hub) can make: valid MACs over odd bodies, empty and
    maximal bodies, over-long length fields, replays, reflections, plain frames in between."""
    other = direction_key(SESSION_KEY, HOST_TO_HUB)
    streams = []
    for _ in range(300):
        frames = []
        for _ in range(rng.randint(1, 4)):
            seq = rng.choice((0, 1, rng.randrange(1 << 32), MAX_SEQ))
            body = rng.randbytes(rng.choice((0, 1, 5, rng.randint(0, MAX_PAYLOAD - 1))))
            msg_type = rng.randrange(256)
            choice = rng.randrange(6)
            if choice == 0:  # sealed with a valid MAC, then a raw edit (bad MAC or CRC)
                raw = bytearray(encode_frame(msg_type, seq, body, key))
                raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
                frames.append(bytes(raw))
            elif choice == 1:  # empty sealed body with a valid MAC and CRC
                head = HEADER.pack(SYNC, 1, FLAG_AUTH | FLAG_SEALED, 0, seq, 0)
                signed = head[2:] + frame_mac(key.mac_key, head[2:])
                frames.append(SYNC + signed + struct.pack(">I", zlib.crc32(signed)))
            elif choice == 2:  # the other direction's keys (a reflected frame)
                frames.append(encode_frame(msg_type, seq, body, other))
            elif choice == 3:  # plain or MAC'd frames inside a sealed session
                frames.append(encode_frame(msg_type, seq, body, rng.choice((None, SESSION_KEY))))
            elif choice == 4:  # a length field past the limit, valid CRC
                head = HEADER.pack(SYNC, 1, FLAG_AUTH | FLAG_SEALED, 0, seq, MAX_PAYLOAD + 1)
                frames.append(head + bytes(MAX_PAYLOAD + 1 + 20))
            else:
                frames.append(encode_frame(msg_type, seq, body, key))
        if rng.random() < 0.3:
            frames.append(frames[0])  # a replay
        streams.append(b"".join(frames))
    return streams


def test_sealed_decoders_agree_frame_by_frame() -> None:
    """Same sealed stream, same frames out of CPython and MicroPython, in any chunking."""
    rng = random.Random(1313)
    key = direction_key(SESSION_KEY, HUB_TO_HOST)
    streams = _sealed_cases(rng, key)
    chunks = [rng.choice((1, 2, 7, 64, 4096)) for _ in streams]
    lines = [
        f"{SESSION_KEY.hex()}/{HUB_TO_HOST} {s.hex()} {c}\n"
        for s, c in zip(streams, chunks, strict=True)
    ]
    env = {**os.environ, "MICROPYPATH": f"{ROOT / 'hub_firmware'}:.frozen"}
    result = subprocess.run(
        [str(MICROPYTHON), "-X", "heapsize=4M", str(ROOT / "tests/protocol/mpy/feed_cases.py")],
        input="".join(lines), capture_output=True, text=True, env=env, check=True, timeout=300,
    )  # fmt: skip
    outputs = result.stdout.splitlines()
    assert len(outputs) == len(streams), result.stderr
    delivered = 0
    for stream, chunk, output in zip(streams, chunks, outputs, strict=True):
        decoder = FrameDecoder(key=key)
        frames = [
            f for i in range(0, len(stream), chunk) for f in decoder.feed(stream[i : i + chunk])
        ]
        expected = ",".join(
            encode_frame(f.type, f.seq, f.payload, key if f.authenticated else None).hex()
            for f in frames
        )
        assert output == (expected or "-"), stream.hex()[:200]
        assert all(f.authenticated and f.encrypted for f in frames)
        delivered += len(frames)
    assert delivered > 50  # most streams hold some genuine frame


class _VerdictForger(HubPeer):
    """A man in the middle: drops the host's AUTH and answers it with a forged plain frame."""

    def __init__(self, forged: m.Message) -> None:
        super().__init__(psk=PSK)
        self.forged = forged
        self.forge = 1

    def handle(self, link: _Link, message: m.Message, seq: int) -> None:
        if isinstance(message, m.Auth) and self.forge:
            self.forge -= 1
            link.send(self.forged, plain=True)
            return
        super().handle(link, message, seq)


FORGED_VERDICTS = [
    m.Disconnect(m.DisconnectReason.INCOMPATIBLE),
    m.Error(m.Auth.TYPE, 1, m.ErrorCode.NOT_AUTHENTICATED),
]


@pytest.mark.parametrize("forged", FORGED_VERDICTS, ids=["incompatible", "error"])
async def test_forged_plain_verdict_in_a_keyed_handshake_is_a_connection_error(
    forged: m.Message,
) -> None:
    """A plain DISCONNECT or ERROR between the keyed hub's HELLO and AUTH_RESULT: only a
    connection error to retry (before, DISCONNECT(INCOMPATIBLE) raised
    HubIncompatibleError(-1, -1) and ERROR(NOT_AUTHENTICATED) HubAuthError)."""
    hub = _VerdictForger(forged)
    await hub.start_tcp()
    client = HubClient(host="127.0.0.1", port=hub.port, psk=PSK, connect_timeout=2)
    with pytest.raises(HubConnectionError, match="unauthenticated"):
        await client.connect()
    assert not client.connected
    await client.connect()  # the next attempt, not forged, gets through
    assert client.authenticated
    await client.disconnect()
    await hub.stop()


async def test_forged_incompatible_raises_no_firmware_issue(hass: HomeAssistant) -> None:
    """Setup against a keyed hub whose handshake gets a forged DISCONNECT(INCOMPATIBLE): the
    entry retries as 'cannot connect', with no "firmware outdated" issue (version -1 before)
    and no reauth, and loads on the next attempt."""
    hub = _VerdictForger(m.Disconnect(m.DisconnectReason.INCOMPATIBLE))
    await hub.start_tcp()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=HUB_ID,
        data={
            CONF_CONNECTION: CONNECTION_TCP,
            CONF_HOST: "127.0.0.1",
            CONF_PORT: hub.port,
            CONF_PSK: PSK_TEXT,
        },
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None and "unauthenticated" in entry.reason
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, f"firmware_outdated_{HUB_ID}") is None
    assert not [i for (domain, i) in issues.issues if domain == DOMAIN]
    assert not hass.config_entries.flow.async_progress()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    await eventually(lambda: entry.state is ConfigEntryState.LOADED, hass)
    assert entry.runtime_data.client.authenticated
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hub.stop()
