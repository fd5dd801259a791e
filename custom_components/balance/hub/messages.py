"""Messages of the BALANCE hub link and their payload codec.

Each message is a frozen dataclass; its fields, in order, are its payload (big-endian).
Field kinds follow docs/protocol.md: u8/i8/u16/i16/u32/i32 integers, ``str`` (u8 length +
UTF-8), ``bytes`` (16 raw bytes) and lists of a sub-record (u8 or u16 count first).
Decoders ignore trailing bytes, so newer minor versions may append fields; such appended fields
have a default, are decoded as it when absent and are not sent while they (and every field after
them) are at it.
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass, fields
from enum import IntEnum, IntFlag
from typing import Annotated, Any, ClassVar, get_args, get_origin, get_type_hints

PROTOCOL_VERSION = 1
MIN_PROTOCOL_VERSION = 1
NONCE_SIZE = 16
ALL_NODES = 0xFFFFFFFF
ALL_CHANNELS = 0xFF
MISSING = 0xFFFFFFFF


class MessageError(ValueError):
    """A payload that does not match its message type."""


class Capability(IntFlag):
    """Capability bits exchanged in HELLO."""

    COUNTERS = 1 << 0
    OUTPUTS = 1 << 1
    ARCHIVE = 1 << 2
    GUARD = 1 << 3
    RADIO = 1 << 4
    SAFETY = 1 << 5
    TIME_SYNC = 1 << 6
    AUTH_REQUIRED = 1 << 7
    ENCRYPTION = 1 << 8  # keyed sessions are sealed (encrypt-then-MAC) after AUTH


class Role(IntEnum):
    """Which end of the link sent a HELLO."""

    HOST = 0
    HUB = 1


class Medium(IntEnum):
    """What a pulse channel meters."""

    ELECTRICITY = 1
    WATER = 2
    GAS = 3
    HEAT = 4


class ChannelFlag(IntFlag):
    """Plausibility state of a pulse input line."""

    OPEN_CIRCUIT = 1 << 0
    SHORT_CIRCUIT = 1 << 1
    MAGNETIC = 1 << 2


class NodeFlag(IntFlag):
    """Node health flags."""

    BATTERY_LOW = 1 << 0
    OUT_OF_RANGE = 1 << 1


class NodeKind(IntEnum):
    """Node hardware class; node 0 is always the hub's own inputs and outputs."""

    HUB = 0
    D100FC = 1


class AlarmKind(IntEnum):
    """Alarm sources (plausibility per channel, safety sensors per hub or node)."""

    OPEN_CIRCUIT = 1
    SHORT_CIRCUIT = 2
    MAGNETIC = 3
    PHASE_LOSS = 4
    NEUTRAL_VOLTAGE = 5
    ARCING = 6
    BATTERY_LOW = 7
    NODE_LOST = 8


class OutputCause(IntEnum):
    """Why an output has the state it reports."""

    HOST = 0
    BOOT = 1
    GUARD_SHED = 2
    GUARD_RESTORE = 3
    MANUAL = 4
    NODE = 5  # a radio node changed it itself (boot, lease of an open command ran out)


class OutputResult(IntEnum):
    """Outcome of an OUTPUT_SET command."""

    OK = 0
    UNKNOWN_OUTPUT = 1
    REFUSED = 2
    HARDWARE_FAULT = 3
    NOT_ACKNOWLEDGED = 4  # a radio node did not acknowledge the air command in time


class Priority(IntEnum):
    """DLM priority of an output."""

    RED = 0
    YELLOW = 1
    GREEN = 2


class GuardMode(IntEnum):
    """Who is in control of the outputs."""

    HOST = 0
    HUB = 1


class AuthStatus(IntEnum):
    """Outcome of the AUTH step."""

    OK = 0
    BAD_KEY = 1
    KEY_REQUIRED = 2


class ErrorCode(IntEnum):
    """Codes carried by ERROR."""

    UNKNOWN_TYPE = 1
    MALFORMED = 2
    NOT_AUTHENTICATED = 3
    BUSY = 4
    UNSUPPORTED = 5


class DisconnectReason(IntEnum):
    """Codes carried by DISCONNECT."""

    NORMAL = 0
    INCOMPATIBLE = 1
    AUTH_FAILED = 2
    TIMEOUT = 3
    SHUTDOWN = 4


U8 = Annotated[int, "B"]
I8 = Annotated[int, "b"]
U16 = Annotated[int, "H"]
I16 = Annotated[int, "h"]
U32 = Annotated[int, "I"]
I32 = Annotated[int, "i"]
Nonce = Annotated[bytes, "16s"]


@dataclass(frozen=True, slots=True)
class Record:
    """Base of every payload structure."""


@dataclass(frozen=True, slots=True)
class Message(Record):
    """Base of every message; TYPE is its type code."""

    TYPE: ClassVar[int]


@dataclass(frozen=True, slots=True)
class Hello(Message):
    """First frame in each direction: versions, capabilities and a fresh nonce."""

    TYPE: ClassVar[int] = 0x01
    version: U8
    min_version: U8
    role: U8
    capabilities: U32
    nonce: Nonce
    name: str


@dataclass(frozen=True, slots=True)
class Auth(Message):
    """Host's proof that it knows the pre-shared key."""

    TYPE: ClassVar[int] = 0x02
    proof: Nonce


@dataclass(frozen=True, slots=True)
class AuthResult(Message):
    """Hub's verdict on AUTH and its own proof."""

    TYPE: ClassVar[int] = 0x03
    status: U8
    proof: Nonce


@dataclass(frozen=True, slots=True)
class Ping(Message):
    """Keepalive request."""

    TYPE: ClassVar[int] = 0x04
    token: U32


@dataclass(frozen=True, slots=True)
class Pong(Message):
    """Keepalive answer echoing the token."""

    TYPE: ClassVar[int] = 0x05
    token: U32


@dataclass(frozen=True, slots=True)
class Disconnect(Message):
    """Orderly close with a reason."""

    TYPE: ClassVar[int] = 0x06
    reason: U8


@dataclass(frozen=True, slots=True)
class Error(Message):
    """Negative answer to a frame."""

    TYPE: ClassVar[int] = 0x07
    ref_type: U8
    ref_seq: U32
    code: U8


@dataclass(frozen=True, slots=True)
class HubInfoRequest(Message):
    """Ask for HUB_INFO."""

    TYPE: ClassVar[int] = 0x10


@dataclass(frozen=True, slots=True)
class HubInfo(Message):
    """Identity and size of the hub."""

    TYPE: ClassVar[int] = 0x11
    hub_id: str
    firmware: str
    model: str
    uptime_s: U32
    hub_time: U32
    counter_epoch: U16
    nodes: U16
    channels: U16
    outputs: U8
    flags: U8


@dataclass(frozen=True, slots=True)
class NodeListRequest(Message):
    """Ask for every NODE_INFO, then NODE_LIST_END."""

    TYPE: ClassVar[int] = 0x12


@dataclass(frozen=True, slots=True)
class ChannelInfo(Record):
    """One pulse channel of a node."""

    channel: U8
    medium: U8
    flags: U8


@dataclass(frozen=True, slots=True)
class NodeInfo(Message):
    """One node of the inventory with its channels and output count."""

    TYPE: ClassVar[int] = 0x13
    node_id: U32
    kind: U8
    firmware: str
    channels: tuple[ChannelInfo, ...]
    outputs: U8
    level_outputs: U8 = 0
    """Bit i set: output i also takes a current setpoint (OUTPUT_LEVEL_SET)."""


@dataclass(frozen=True, slots=True)
class NodeListEnd(Message):
    """End of the inventory."""

    TYPE: ClassVar[int] = 0x14
    count: U16


@dataclass(frozen=True, slots=True)
class StateRequest(Message):
    """Ask the hub to send COUNTERS, NODE_STATUS, OUTPUT_STATE and active ALARMs."""

    TYPE: ClassVar[int] = 0x15


@dataclass(frozen=True, slots=True)
class ChannelReading(Record):
    """Cumulative pulse count of one channel, its rate and plausibility flags."""

    channel: U8
    count: U32
    rate_mph: U32
    flags: U8


@dataclass(frozen=True, slots=True)
class BootCount(Record):
    """The count a channel resumed from when the hub started."""

    channel: U8
    count: U32


@dataclass(frozen=True, slots=True)
class Counters(Message):
    """Cumulative counters of one node, stamped with hub time and a report sequence."""

    TYPE: ClassVar[int] = 0x20
    node_id: U32
    hub_time: U32
    report_seq: U32
    epoch: U16
    readings: tuple[ChannelReading, ...]
    boot: U32 = 0
    """Hub boot number, raised at every hub start (0: not reported, e.g. radio nodes)."""
    boot_counts: tuple[BootCount, ...] = ()
    """Count each channel resumed from at this boot (the last flush before the start)."""


@dataclass(frozen=True, slots=True)
class NodeStatus(Message):
    """Radio and battery health of one node."""

    TYPE: ClassVar[int] = 0x21
    node_id: U32
    battery_mv: U16
    battery_pct: U8
    rssi: I8
    hops: U8
    last_seen: U32
    flags: U8


@dataclass(frozen=True, slots=True)
class Alarm(Message):
    """An alarm raised or cleared."""

    TYPE: ClassVar[int] = 0x22
    node_id: U32
    channel: U8
    kind: U8
    active: U8
    hub_time: U32
    value: I32


@dataclass(frozen=True, slots=True)
class OutputState(Message):
    """The actual state of a contactor output."""

    TYPE: ClassVar[int] = 0x30
    node_id: U32
    output: U8
    state: U8
    cause: U8
    hub_time: U32


@dataclass(frozen=True, slots=True)
class OutputSet(Message):
    """Command to close (1) or open (0) a contactor output."""

    TYPE: ClassVar[int] = 0x31
    cmd_id: U16
    node_id: U32
    output: U8
    state: U8


@dataclass(frozen=True, slots=True)
class OutputAck(Message):
    """Acknowledgement of OUTPUT_SET with the resulting state."""

    TYPE: ClassVar[int] = 0x32
    cmd_id: U16
    result: U8
    state: U8


@dataclass(frozen=True, slots=True)
class OutputLevelSet(Message):
    """Command to set the current limit of an output (mA; 0 pauses, else 6-32 A)."""

    TYPE: ClassVar[int] = 0x33
    cmd_id: U16
    node_id: U32
    output: U8
    milliamps: U16


@dataclass(frozen=True, slots=True)
class OutputLevelAck(Message):
    """Acknowledgement of OUTPUT_LEVEL_SET with the setpoint in force."""

    TYPE: ClassVar[int] = 0x34
    cmd_id: U16
    result: U8
    milliamps: U16


@dataclass(frozen=True, slots=True)
class OutputLevel(Message):
    """The current setpoint in force on an output (pushed on change and on STATE_REQUEST)."""

    TYPE: ClassVar[int] = 0x35
    node_id: U32
    output: U8
    milliamps: U16
    hub_time: U32


@dataclass(frozen=True, slots=True)
class ArchiveRequest(Message):
    """Ask for hourly archive values in [start, end) (unix seconds, hour aligned)."""

    TYPE: ClassVar[int] = 0x40
    req_id: U16
    node_id: U32
    channel: U8
    start: U32
    end: U32


@dataclass(frozen=True, slots=True)
class ArchiveValue(Record):
    """Cumulative count at an hour boundary (MISSING when unknown)."""

    count: U32


@dataclass(frozen=True, slots=True)
class ArchiveRecords(Message):
    """Consecutive hourly values of one channel starting at ``start``."""

    TYPE: ClassVar[int] = 0x41
    req_id: U16
    node_id: U32
    channel: U8
    start: U32
    epoch: U16
    values: Annotated[tuple[ArchiveValue, ...], "H"]


@dataclass(frozen=True, slots=True)
class ArchiveEnd(Message):
    """End of an archive answer."""

    TYPE: ClassVar[int] = 0x42
    req_id: U16
    records: U32
    status: U8


@dataclass(frozen=True, slots=True)
class GuardOutput(Record):
    """DLM policy for one output."""

    node_id: U32
    output: U8
    priority: U8
    max_off_s: U16
    min_on_s: U16
    rated_w: U32


@dataclass(frozen=True, slots=True)
class GuardPolicy(Message):
    """The DLM guard policy the hub enforces when the host's heartbeat stops."""

    TYPE: ClassVar[int] = 0x50
    policy_id: U16
    limit_w: U32
    meter_node: U32
    meter_channel: U8
    meter_imp_per_kwh: U32
    heartbeat_timeout_s: U16
    outputs: tuple[GuardOutput, ...]


@dataclass(frozen=True, slots=True)
class GuardAck(Message):
    """Acceptance (0) or refusal of a guard policy."""

    TYPE: ClassVar[int] = 0x51
    policy_id: U16
    status: U8


@dataclass(frozen=True, slots=True)
class Heartbeat(Message):
    """The host is alive and in control."""

    TYPE: ClassVar[int] = 0x52
    policy_id: U16
    host_time: U32


@dataclass(frozen=True, slots=True)
class GuardStatus(Message):
    """Who controls the outputs, the measured power and how many outputs the hub shed."""

    TYPE: ClassVar[int] = 0x53
    policy_id: U16
    mode: U8
    power_w: U32
    shed: U8
    hub_time: U32


@dataclass(frozen=True, slots=True)
class TimeSync(Message):
    """Set the hub clock (unix seconds and milliseconds)."""

    TYPE: ClassVar[int] = 0x60
    unix_time: U32
    ms: U16


@dataclass(frozen=True, slots=True)
class TimeAck(Message):
    """The hub's clock before and after TIME_SYNC."""

    TYPE: ClassVar[int] = 0x61
    previous_time: U32
    unix_time: U32


_Field = tuple[str, Any]


def _layout(cls: type[Record]) -> tuple[_Field, ...]:
    """Return (name, kind) per field: a struct code, 's' for str, or (count code, class)."""
    hints = get_type_hints(cls, include_extras=True)
    layout: list[_Field] = []
    for item in fields(cls):
        hint = hints[item.name]
        if hint is str:
            layout.append((item.name, "s"))
            continue
        count_code = "B"
        if get_origin(hint) is Annotated:
            base, code = get_args(hint)
            if get_origin(base) is not tuple:
                layout.append((item.name, code))
                continue
            hint, count_code = base, code
        layout.append((item.name, (count_code, get_args(hint)[0])))
    return tuple(layout)


MESSAGE_TYPES: dict[int, type[Message]] = {
    cls.TYPE: cls
    for cls in (
        Hello, Auth, AuthResult, Ping, Pong, Disconnect, Error, HubInfoRequest, HubInfo,
        NodeListRequest, NodeInfo, NodeListEnd, StateRequest, Counters, NodeStatus, Alarm,
        OutputState, OutputSet, OutputAck, OutputLevelSet, OutputLevelAck, OutputLevel,
        ArchiveRequest, ArchiveRecords, ArchiveEnd,
        GuardPolicy, GuardAck, Heartbeat, GuardStatus, TimeSync, TimeAck,
    )
}  # fmt: skip
_LAYOUTS: dict[type[Record], tuple[_Field, ...]] = {}
_OPTIONAL: dict[type[Record], frozenset[str]] = {}


def _layout_of(cls: type[Record]) -> tuple[_Field, ...]:
    layout = _LAYOUTS.get(cls)
    if layout is None:
        layout = _LAYOUTS[cls] = _layout(cls)
    return layout


def _optional_of(cls: type[Record]) -> frozenset[str]:
    """Fields with a default: appended by a minor revision, so they may be absent."""
    optional = _OPTIONAL.get(cls)
    if optional is None:
        optional = _OPTIONAL[cls] = frozenset(
            f.name for f in fields(cls) if f.default is not dataclasses.MISSING
        )
    return optional


def _pack(record: Record, out: bytearray) -> None:
    layout = _layout_of(type(record))
    optional = _optional_of(type(record))
    end = len(layout)
    while end and layout[end - 1][0] in optional and not getattr(record, layout[end - 1][0]):
        end -= 1  # trailing fields at their default are not sent
    for name, kind in layout[:end]:
        value = getattr(record, name)
        if kind == "s":
            raw = value.encode()
            if len(raw) > 255:
                raise MessageError(f"{name} longer than 255 bytes")
            out.append(len(raw))
            out += raw
        elif isinstance(kind, tuple):
            count_code, _ = kind
            out += struct.pack(">" + count_code, len(value))
            for item in value:
                _pack(item, out)
        else:
            try:
                out += struct.pack(">" + kind, value)
            except struct.error as err:
                raise MessageError(f"{name}={value!r}: {err}") from err


def encode_payload(message: Message) -> bytes:
    """Return the payload bytes of a message."""
    out = bytearray()
    _pack(message, out)
    return bytes(out)


def _unpack[R: Record](cls: type[R], data: bytes, pos: int) -> tuple[R, int]:
    values: list[Any] = []
    optional = _optional_of(cls)
    for name, kind in _layout_of(cls):
        if pos == len(data) and name in optional:
            break  # an older peer's payload: the remaining fields keep their defaults
        try:
            if kind == "s":
                length = data[pos]
                raw = data[pos + 1 : pos + 1 + length]
                if len(raw) != length:
                    raise MessageError(f"{cls.__name__}.{name}: truncated string")
                values.append(raw.decode())
                pos += 1 + length
            elif isinstance(kind, tuple):
                count_code, item_cls = kind
                (count,) = struct.unpack_from(">" + count_code, data, pos)
                pos += struct.calcsize(count_code)
                items = []
                for _ in range(count):
                    item, pos = _unpack(item_cls, data, pos)
                    items.append(item)
                values.append(tuple(items))
            else:
                (value,) = struct.unpack_from(">" + kind, data, pos)
                values.append(value)
                pos += struct.calcsize(kind)
        except (IndexError, struct.error, UnicodeDecodeError) as err:
            raise MessageError(f"{cls.__name__}.{name}: {err}") from err
    return cls(*values), pos


def decode_payload(msg_type: int, payload: bytes) -> Message:
    """Decode a payload of the given type; raise MessageError if it does not fit."""
    cls = MESSAGE_TYPES.get(msg_type)
    if cls is None:
        raise MessageError(f"unknown message type 0x{msg_type:02x}")
    message, _ = _unpack(cls, payload, 0)
    return message
