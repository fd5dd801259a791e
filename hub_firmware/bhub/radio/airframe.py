"""Open air frame format for D100FC-class nodes (docs/hub-radio.md, "Air frame").

On air: preamble, sync word, then PN9-whitened [length, packet, CRC-16]. The CC1101 adds and
strips everything but `packet` in hardware; `encode_on_air` builds the whole burst for radios
(and test fakes) that do not. A *packet* is the length-delimited payload:

    0  1  header        bits 7-4 format version (1), bits 3-0 kind (1 report, 2 command)
    1  4  origin        node id of the sender, u32
    5  2  frame_counter u16 per origin, +1 per new frame (duplicate suppression)
    7  1  hops          relays passed so far, 0..30
    8  4  relay_id      node id of the last relay, 0 when heard directly
    report (kind 1):
    12 1  epoch         +1 whenever the node's counters restart (battery change, reflash)
    13 1  status        bits 1-0 channel count (0..3), bit 4 battery low, other bits 0
    14 2  battery_mv    u16
    16 1  outputs       bit i set: AD220 output i closed (load powered)
    17 5n channels      per channel: cumulative count u32, flags u8 (CH_OPEN/CH_SHORT/CH_MAGNETIC)
    command (kind 2, hub to node):
    12 4  target        node id, u32
    16 2  cmd_id        u16
    18 1  output        AD220 output index
    19 1  state         1 closed, 0 open

All integers are big-endian. Decoders ignore bytes after the last field they know.
"""

import struct

PREAMBLE = b"\xaa\xaa\xaa\xaa"
SYNC_WORD = b"\xd3\x91"
MAX_PACKET = 61  # CC1101 64-byte FIFO minus length byte and two appended status bytes
MAX_HOPS = 30
MAX_CHANNELS = 3
FORMAT_VERSION = 1
KIND_REPORT = 1
KIND_COMMAND = 2

CH_OPEN = 0x01
CH_SHORT = 0x02
CH_MAGNETIC = 0x04
STATUS_BATTERY_LOW = 0x10
STATUS_CHANNELS = 0x03
STATUS_RESERVED = 0xFF & ~(STATUS_CHANNELS | STATUS_BATTERY_LOW)  # a report with these is invalid

_HEADER = ">BIHBI"  # header, origin, frame_counter, hops, relay_id
_HEADER_SIZE = 12
_REPORT = ">BBHB"  # epoch, status, battery_mv, outputs
_REPORT_SIZE = 17
_CHANNEL = ">IB"
_CHANNEL_SIZE = 5
_COMMAND = ">IHBB"  # target, cmd_id, output, state
_COMMAND_SIZE = 20
_HOPS_OFFSET = 7


def pn9_whiten(data):
    """XOR `data` with the CC1101 PN9 sequence (x^9 + x^5 + 1, seed 0x1FF); its own inverse."""
    out = bytearray(data)
    key = 0x1FF
    for i in range(len(out)):
        out[i] ^= key & 0xFF
        for _ in range(8):
            key = (key >> 1) | (((key ^ (key >> 5)) & 1) << 8)
    return out


def crc16(data, crc=0xFFFF):
    """CRC-16 as the CC1101 computes it (poly 0x8005, init 0xFFFF, MSB first, no final XOR)."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else (crc << 1)
        crc &= 0xFFFF
    return crc


def encode_on_air(packet):
    """Whole over-the-air burst for `packet`: preamble, sync, whitened length+packet+CRC."""
    if not 0 < len(packet) <= MAX_PACKET:
        raise ValueError("packet length")
    body = bytes([len(packet)]) + packet
    crc = crc16(body)
    return PREAMBLE + SYNC_WORD + bytes(pn9_whiten(body + bytes([crc >> 8, crc & 0xFF])))


class NodeReport:
    """One decoded meter report; `new_node` is set by the router when the table learnt the node."""

    def __init__(self, node_id, frame_counter, hops, relay_id, epoch, counts, channel_flags,
                 battery_mv, battery_low, outputs):  # fmt: skip
        self.node_id = node_id
        self.frame_counter = frame_counter
        self.hops = hops
        self.relay_id = relay_id
        self.epoch = epoch
        self.counts = counts
        self.channel_flags = channel_flags
        self.battery_mv = battery_mv
        self.battery_low = battery_low
        self.outputs = outputs
        self.new_node = False


def encode_report(node_id, frame_counter, counts, battery_mv, channel_flags=(), epoch=0,
                  battery_low=False, outputs=0, hops=0, relay_id=0):  # fmt: skip
    """Packet of a meter report (what a D100FC-class node sends)."""
    channels = len(counts)
    if channels > MAX_CHANNELS or hops > MAX_HOPS:
        raise ValueError("channels or hops")
    status = channels | (STATUS_BATTERY_LOW if battery_low else 0)
    out = bytearray(_REPORT_SIZE + _CHANNEL_SIZE * channels)
    struct.pack_into(_HEADER, out, 0, (FORMAT_VERSION << 4) | KIND_REPORT, node_id,
                     frame_counter & 0xFFFF, hops, relay_id)  # fmt: skip
    struct.pack_into(_REPORT, out, _HEADER_SIZE, epoch & 0xFF, status, battery_mv, outputs)
    for i in range(channels):
        flags = channel_flags[i] if i < len(channel_flags) else 0
        struct.pack_into(_CHANNEL, out, _REPORT_SIZE + _CHANNEL_SIZE * i, counts[i], flags)
    return bytes(out)


def encode_command(origin, frame_counter, target, cmd_id, output, state):
    """Packet of an output command (hub to the node carrying an AD220)."""
    out = bytearray(_COMMAND_SIZE)
    struct.pack_into(_HEADER, out, 0, (FORMAT_VERSION << 4) | KIND_COMMAND, origin,
                     frame_counter & 0xFFFF, 0, 0)  # fmt: skip
    struct.pack_into(_COMMAND, out, _HEADER_SIZE, target, cmd_id, output, 1 if state else 0)
    return bytes(out)


def decode_command(packet):
    """(origin, frame_counter, target, cmd_id, output, state) of a command packet, or None."""
    if len(packet) < _COMMAND_SIZE or packet[0] != (FORMAT_VERSION << 4) | KIND_COMMAND:
        return None
    _, origin, counter, hops, _ = struct.unpack_from(_HEADER, packet, 0)
    if hops > MAX_HOPS:
        return None
    return (origin, counter) + struct.unpack_from(_COMMAND, packet, _HEADER_SIZE)


class AirDecoder:
    """Interface of an air format: DJV-COM's DMesh could be added as another implementation."""

    def decode(self, raw):
        """NodeReport for a received packet, None if it is not a valid meter report."""
        raise NotImplementedError

    def relayed(self, raw, relay_id):
        """Packet to retransmit as relay `relay_id` (hops + 1), or None if it must not be relayed."""
        raise NotImplementedError


class OpenAirDecoder(AirDecoder):
    """Decoder of this module's open format."""

    def decode(self, raw):
        if len(raw) < _REPORT_SIZE or raw[0] != (FORMAT_VERSION << 4) | KIND_REPORT:
            return None
        _, node_id, counter, hops, relay_id = struct.unpack_from(_HEADER, raw, 0)
        epoch, status, battery_mv, outputs = struct.unpack_from(_REPORT, raw, _HEADER_SIZE)
        channels = status & STATUS_CHANNELS
        if status & STATUS_RESERVED or hops > MAX_HOPS:
            return None
        if len(raw) < _REPORT_SIZE + _CHANNEL_SIZE * channels:
            return None
        counts = []
        flags = []
        for i in range(channels):
            count, flag = struct.unpack_from(_CHANNEL, raw, _REPORT_SIZE + _CHANNEL_SIZE * i)
            counts.append(count)
            flags.append(flag)
        return NodeReport(node_id, counter, hops, relay_id, epoch, counts, flags, battery_mv,
                          bool(status & STATUS_BATTERY_LOW), outputs)  # fmt: skip

    def relayed(self, raw, relay_id):
        if len(raw) < _HEADER_SIZE or raw[_HOPS_OFFSET] >= MAX_HOPS:
            return None
        out = bytearray(raw)
        struct.pack_into(">BI", out, _HOPS_OFFSET, raw[_HOPS_OFFSET] + 1, relay_id)
        return bytes(out)
