# Router: duplicate suppression, relaying with hops + 1, the 30-hop limit, table-full handling.
import json

from bhub.nodes import NodeTable
from bhub.radio import airframe
from bhub.radio.router import Router

decoder = airframe.OpenAirDecoder()


def report(node_id, counter, counts=(5,), hops=0):
    return airframe.encode_report(node_id, counter, list(counts), 3600, hops=hops)


def scenario():
    sent = []
    router = Router(NodeTable(), decoder, relay_id=0x99, transmit=sent.append)
    result = {}
    first = router.handle(report(7, 1), -80, 1000)
    relayed = decoder.decode(sent[0])
    result["first"] = [first.new_node, len(sent), relayed.hops, relayed.relay_id]
    result["same_again"] = router.handle(report(7, 1), -80, 1001) is None
    result["relayed_copy"] = router.handle(sent[0], -70, 1002) is None
    result["next_frame"] = router.handle(report(7, 2, (6,)), -80, 1003).new_node
    result["after_window"] = router.handle(report(7, 1), -80, 1000 + 61) is not None
    accepted = router.handle(report(8, 1, hops=29), -90, 1100) is not None
    result["hops_29"] = [accepted, decoder.decode(sent[-1]).hops]
    relayed_before = router.frames_relayed
    accepted = router.handle(report(9, 1, hops=30), -90, 1100) is not None
    result["hops_30"] = [accepted, router.frames_relayed - relayed_before]
    bad = bytearray(report(10, 1))
    bad[7] = 31
    result["hops_31_invalid"] = router.handle(bytes(bad), -90, 1100) is None
    result["garbage"] = router.handle(b"\x00\x01\x02", -90, 1100) is None

    # A line of relays: the origin's frame crosses at most 30 of them.
    line = [Router(NodeTable(4, 12), decoder, relay_id=100 + i) for i in range(32)]
    heard = []
    packet = report(0xABCDEF, 5)
    for station in line:
        station.transmit = heard.append
        before = len(heard)
        station.handle(packet, -90, 2000)
        if len(heard) == before:
            break
        packet = heard[-1]
    result["line_hops"] = [decoder.decode(p).hops for p in heard][-2:]
    result["line_relays"] = len(heard)
    result["line_last_seen_hops"] = line[len(heard)].table.get(0xABCDEF).hops

    # A late copy with older counts never moves a counter backwards.
    table_router = Router(NodeTable(), decoder)
    table_router.handle(report(11, 2, (500,)), -60, 3000)
    table_router.handle(report(11, 1, (400,)), -60, 3001)
    result["no_backwards"] = list(table_router.table.get(11).counts)

    full = Router(NodeTable(max_nodes=2, max_channels=6), decoder)
    for node in (1, 2, 3):
        full.handle(report(node, 1), -60, 4000)
    result["table_full"] = [full.frames_table_full, len(full.table)]
    result["stats"] = router.stats()
    return result


if __name__ == "__main__":
    print(json.dumps(scenario()))
