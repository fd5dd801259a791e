"""Minimal mDNS / DNS-SD responder advertising `_balance-hub._tcp.local.` (RFC 6762, RFC 6763).

MicroPython's own mDNS only announces a host name, so the hub answers for its service itself:
PTR (service type and `_services._dns-sd._udp`), SRV, TXT (`id=`, `fw=`, `key=1|0`) and A.
Queries from port 5353 are answered by multicast (or unicast if the QU bit is set); queries
from any other port are "legacy unicast" and answered to the sender with the query id, the
question echoed, TTLs capped at 10 s and no cache-flush bits. The responder does not probe for
name conflicts: every name contains the hub id. `bind` and `group` are injected so tests can
run it on 127.0.0.1 with a private port and no multicast.
"""

import asyncio
import socket
import struct

SERVICE_TYPE = "_balance-hub._tcp.local"
SERVICES_META = "_services._dns-sd._udp.local"
MDNS_GROUP = ("224.0.0.251", 5353)
LINK_PORT = 6638

TYPE_A = 1
TYPE_PTR = 12
TYPE_TXT = 16
TYPE_SRV = 33
TYPE_ANY = 255
CLASS_IN = 1
CLASS_ANY = 255
CACHE_FLUSH = 0x8000
QU_BIT = 0x8000
HOST_TTL = 120  # RFC 6762 10: records with a host name or address
OTHER_TTL = 4500
LEGACY_TTL = 10
_FLAGS_RESPONSE = 0x8400  # QR, AA
_MAX_POINTERS = 32
_PARSE_ERRORS = (IndexError, ValueError, getattr(struct, "error", ValueError))


def encode_name(name):
    """DNS wire form of a dotted name (no compression)."""
    out = bytearray()
    for label in name.rstrip(".").split("."):
        raw = label.encode()
        out.append(len(raw))
        out += raw
    out.append(0)
    return bytes(out)


def read_name(message, offset):
    """(dotted name as bytes, offset after the name); follows compression pointers."""
    labels = []
    end = None
    for _ in range(_MAX_POINTERS):
        length = message[offset]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | message[offset + 1]
            continue
        if length == 0:
            return b".".join(labels), offset + 1 if end is None else end
        if offset + 1 + length > len(message):
            raise ValueError("name")
        labels.append(bytes(message[offset + 1 : offset + 1 + length]))
        offset += 1 + length
    raise ValueError("pointer loop")


def _record(name, rtype, ttl, rdata, cache_flush):
    rclass = CLASS_IN | (CACHE_FLUSH if cache_flush else 0)
    return name + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def _host_label(hub_id):
    return "balance-" + "".join(c if c.isalpha() or c.isdigit() else "-" for c in hub_id.lower())


class MdnsResponder:
    """Answers mDNS queries for one hub's link service; see the module docstring."""

    def __init__(self, hub_id, firmware, key_required, ip, port=LINK_PORT,
                 bind=("0.0.0.0", 5353), group=MDNS_GROUP):  # fmt: skip
        self.ip = ip
        self.port = port
        self.bind = bind
        self.group = group
        self.queries_answered = 0
        self.instance = "BALANCE hub " + hub_id + "." + SERVICE_TYPE
        self.host = _host_label(hub_id) + ".local"
        self._txt = ("id=" + hub_id, "fw=" + firmware, "key=" + ("1" if key_required else "0"))
        # lower-case owner name -> (record type, record kind, additional kinds) it answers
        self._owned = {
            SERVICE_TYPE.lower().encode(): ((TYPE_PTR, "ptr", ("srv", "txt", "a")),),
            SERVICES_META.lower().encode(): ((TYPE_PTR, "meta", ()),),
            self.instance.lower().encode(): ((TYPE_SRV, "srv", ("a",)), (TYPE_TXT, "txt", ())),
            self.host.lower().encode(): ((TYPE_A, "a", ()),),
        }
        self._sock = None

    # Records --------------------------------------------------------------------------------

    def _records(self, kind, ttl_cap, cache_flush):
        """Wire records of one kind: "meta", "ptr", "srv", "txt" or "a"."""
        if kind == "meta":
            return _record(encode_name(SERVICES_META), TYPE_PTR, min(OTHER_TTL, ttl_cap),
                           encode_name(SERVICE_TYPE), False)  # fmt: skip
        if kind == "ptr":
            return _record(encode_name(SERVICE_TYPE), TYPE_PTR, min(OTHER_TTL, ttl_cap),
                           encode_name(self.instance), False)  # fmt: skip
        if kind == "srv":
            rdata = struct.pack(">HHH", 0, 0, self.port) + encode_name(self.host)
            return _record(encode_name(self.instance), TYPE_SRV, min(HOST_TTL, ttl_cap), rdata,
                           cache_flush)  # fmt: skip
        if kind == "txt":
            rdata = b"".join(bytes([len(s)]) + s.encode() for s in self._txt)
            return _record(encode_name(self.instance), TYPE_TXT, min(OTHER_TTL, ttl_cap), rdata,
                           cache_flush)  # fmt: skip
        address = bytes(int(part) for part in self.ip.split("."))
        return _record(encode_name(self.host), TYPE_A, min(HOST_TTL, ttl_cap), address,
                       cache_flush)  # fmt: skip

    def _answer_kinds(self, name, qtype):
        """(answers, additionals) record kinds for one question (RFC 6763 12 additionals)."""
        answers, additionals = [], []
        for rtype, kind, extra in self._owned.get(name, ()):
            if qtype in (rtype, TYPE_ANY):
                answers.append(kind)
                additionals += extra
        return answers, additionals

    def _message(self, query_id, questions, answers, additionals, ttl_cap, cache_flush):
        additionals = [kind for kind in additionals if kind not in answers]
        header = struct.pack(">HHHHHH", query_id, _FLAGS_RESPONSE, len(questions), len(answers),
                             0, len(additionals))  # fmt: skip
        body = b"".join(questions)
        for kind in answers + additionals:
            body += self._records(kind, ttl_cap, cache_flush)
        return header + body

    def response_to(self, query, legacy):
        """(response bytes or None, unicast wanted) for a query message; never raises."""
        try:
            query_id, flags, qdcount = struct.unpack_from(">HHH", query, 0)
            if flags & 0x8000:
                return None, False  # a response, not a query
            offset = 12
            answers, additionals, echoed, unicast = [], [], [], False
            for _ in range(qdcount):
                name, offset = read_name(query, offset)
                qtype, qclass = struct.unpack_from(">HH", query, offset)
                offset += 4
                found, extra = self._answer_kinds(name.lower(), qtype)
                if found and qclass & 0x7FFF in (CLASS_IN, CLASS_ANY):
                    unicast = unicast or bool(qclass & QU_BIT)
                    answers += [kind for kind in found if kind not in answers]
                    additionals += [kind for kind in extra if kind not in additionals]
                    echoed.append(encode_name(name.decode()) + query[offset - 4 : offset])
        except _PARSE_ERRORS:
            return None, False
        if not answers:
            return None, False
        if legacy:
            return self._message(query_id, echoed, answers, additionals, LEGACY_TTL, False), True
        return self._message(0, [], answers, additionals, OTHER_TTL, True), unicast

    # Socket ---------------------------------------------------------------------------------

    def start(self):
        """Open the UDP socket (joining the multicast group when it is one) and announce."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(socket.getaddrinfo(self.bind[0], self.bind[1])[0][-1])
        if 224 <= int(self.group[0].split(".")[0]) <= 239:
            membership = bytes(int(p) for p in (self.group[0] + "." + self.ip).split("."))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setblocking(False)
        self._sock = sock
        self.announce()

    def _group_address(self):
        return socket.getaddrinfo(self.group[0], self.group[1])[0][-1]

    def announce(self, ttl_cap=OTHER_TTL):
        """Unsolicited response with every record (ttl_cap 0: goodbye)."""
        message = self._message(0, [], ["ptr", "srv", "txt", "a"], [], ttl_cap, True)
        self._sock.sendto(message, self._group_address())

    def poll(self):
        """Answer every query waiting on the socket; returns how many were answered."""
        answered = 0
        while True:
            try:
                query, sender = self._sock.recvfrom(1500)
            except OSError:  # EAGAIN: nothing more waiting
                return answered
            legacy = _port_of(sender) != MDNS_GROUP[1]
            response, unicast = self.response_to(query, legacy)
            if response is None:
                continue
            self._sock.sendto(response, sender if unicast else self._group_address())
            answered += 1
            self.queries_answered += 1

    async def run(self, poll_ms=100):
        """Serve forever: a second announcement after 1 s (RFC 6762 8.3), then answer queries."""
        if self._sock is None:
            self.start()
        await asyncio.sleep(1)
        self.announce()
        while True:
            self.poll()
            await asyncio.sleep(poll_ms / 1000)

    def close(self):
        """Say goodbye (records with TTL 0) and close the socket."""
        if self._sock is not None:
            self.announce(0)
            self._sock.close()
            self._sock = None


def _port_of(address):
    """Port of a recvfrom() address: a tuple on CPython, a sockaddr bytes object on MicroPython."""
    if isinstance(address, tuple):
        return address[1]
    return (address[2] << 8) | address[3]
