"""mDNS responder under the real MicroPython, queried and parsed by python-zeroconf.

The responder binds 127.0.0.1 on a private port and "announces" to another local port, so no
multicast is needed; queries come from an ephemeral port, i.e. RFC 6762 legacy unicast.
"""

import socket
import subprocess

import pytest
from mpy_run import MICROPYTHON, MPY_SCRIPTS, mpy_env
from zeroconf import DNSIncoming, DNSOutgoing, DNSQuestion, const

SERVICE = "_balance-hub._tcp.local."
INSTANCE = "BALANCE hub hub-7f3a." + SERVICE
HOST = "balance-hub-7f3a.local."


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def responder(socket_enabled):
    """(query address, socket receiving announcements); the responder runs for 20 s at most.

    `socket_enabled` lifts pytest-socket's block (installed with the HA test harness).
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    bind_port = free_udp_port()
    process = subprocess.Popen(
        [str(MICROPYTHON), str(MPY_SCRIPTS / "mdns_serve.py"), str(bind_port),
         str(listener.getsockname()[1]), "1", "20"],
        env=mpy_env(), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout.readline().strip() == "ready"
    yield ("127.0.0.1", bind_port), listener
    process.kill()
    process.wait()
    listener.close()


def ask(address, *questions, query_id=4242):
    query = DNSOutgoing(const._FLAGS_QR_QUERY, multicast=False, id_=query_id)
    for name, rtype in questions:
        query.add_question(DNSQuestion(name, rtype, const._CLASS_IN))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        for packet in query.packets():
            sock.sendto(packet, address)
        reply = DNSIncoming(sock.recv(9000))
    assert reply.valid and reply.is_response()
    return reply


def records(message):
    return {(record.type, record.name): record for record in message.answers()}


def check_service_records(found, legacy):
    ptr = found[(const._TYPE_PTR, SERVICE)]
    assert ptr.alias == INSTANCE
    srv = found[(const._TYPE_SRV, INSTANCE)]
    assert (srv.port, srv.server) == (6638, HOST)
    txt = found[(const._TYPE_TXT, INSTANCE)]
    assert txt.text == b"\x0bid=hub-7f3a\x08fw=0.3.1\x05key=1"
    address = found[(const._TYPE_A, HOST)]
    assert socket.inet_ntoa(address.address) == "127.0.0.1"
    for record in found.values():
        assert record.ttl <= 10 if legacy else record.ttl >= 120
        assert record.unique is (not legacy and record.type != const._TYPE_PTR)


def test_announcement_carries_every_record(responder):
    _, listener = responder
    announcement = DNSIncoming(listener.recv(9000))
    assert announcement.is_response() and announcement.id == 0
    check_service_records(records(announcement), legacy=False)


def test_ptr_query_gets_srv_txt_a_as_well(responder):
    address, _ = responder
    reply = ask(address, (SERVICE, const._TYPE_PTR))
    assert reply.id == 4242
    assert [(q.name, q.type) for q in reply.questions] == [(SERVICE, const._TYPE_PTR)]
    check_service_records(records(reply), legacy=True)


def test_single_record_queries(responder):
    address, _ = responder
    assert set(records(ask(address, (HOST, const._TYPE_A)))) == {(const._TYPE_A, HOST)}
    assert set(records(ask(address, (INSTANCE, const._TYPE_TXT)))) == {(const._TYPE_TXT, INSTANCE)}
    srv = records(ask(address, (INSTANCE.upper(), const._TYPE_SRV)))  # names are case-blind
    assert set(srv) == {(const._TYPE_SRV, INSTANCE), (const._TYPE_A, HOST)}
    meta = records(ask(address, ("_services._dns-sd._udp.local.", const._TYPE_PTR)))
    assert meta[(const._TYPE_PTR, "_services._dns-sd._udp.local.")].alias == SERVICE


def test_other_names_and_garbage_get_no_answer(responder):
    address, _ = responder
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(b"\x00\x01garbage\xc0\xff", address)
        other = DNSOutgoing(const._FLAGS_QR_QUERY, multicast=False, id_=7)
        other.add_question(DNSQuestion("_http._tcp.local.", const._TYPE_PTR, const._CLASS_IN))
        sock.sendto(other.packets()[0], address)
        with pytest.raises(TimeoutError):
            sock.recv(9000)
    assert ask(address, (HOST, const._TYPE_A)).id == 4242  # still serving
