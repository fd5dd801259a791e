# Run under MicroPython: decode every vector file named on stdin-less argv and print JSON results.
import json
import sys

from bhub import protocol


def to_json(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    return value


DIRECTIONS = {"host_to_hub": protocol.HOST_TO_HUB, "hub_to_host": protocol.HUB_TO_HOST}


def run(vector):
    key = bytes.fromhex(vector["key"]) if "key" in vector else None
    link_key = None
    if "direction" in vector:
        key = protocol.direction_key(key, DIRECTIONS[vector["direction"]])
        link_key = {"enc": key.enc_key.hex(), "mac": key.mac_key.hex()}
    sealed = isinstance(key, protocol.LinkKey)
    decoder = protocol.FrameDecoder(key)
    raw = bytes.fromhex(vector["hex"])
    frames = []
    for i in range(0, len(raw), 7):  # feed in small chunks: framing must not depend on reads
        frames.extend(decoder.feed(raw[i : i + 7]))
    decoded = []
    for msg_type, seq, payload, authenticated in frames:
        entry = {"type": msg_type, "seq": seq, "authenticated": authenticated,
                 "encrypted": sealed and authenticated}  # fmt: skip
        try:
            entry["fields"] = to_json(protocol.decode_payload(msg_type, payload))
            entry["name"] = protocol.SCHEMA[msg_type][0]
            reencoded = protocol.encode_payload(
                msg_type, protocol.decode_payload(msg_type, payload)
            )
            entry["reencoded"] = reencoded == payload
            frame = protocol.encode_frame(msg_type, seq, reencoded, key if authenticated else None)
            entry["frame_reencoded"] = frame.hex()
        except protocol.MessageError:
            entry["error"] = True
        decoded.append(entry)
    stats = {
        "frames": decoder.frames,
        "bytes_skipped": decoder.bytes_skipped,
        "crc_errors": decoder.crc_errors,
        "auth_failures": decoder.auth_failures,
        "replays": decoder.replays,
    }
    return {"frames": decoded, "stats": stats, "link_key": link_key}


results = {}
for path in sys.argv[1:]:
    with open(path) as handle:
        vector = json.load(handle)
    results[vector["name"]] = run(vector)
print(json.dumps(results))
