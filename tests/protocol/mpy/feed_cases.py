# Run under MicroPython: each stdin line "KEY DATAHEX CHUNK" (KEY: "-", a session key in hex, or
# "hex/direction" for a sealed session); print per line the re-encoded frames the decoder
# delivered ("," separated hex) or "RAISED <exception>".
import sys

from bhub import protocol

for line in sys.stdin:
    key_hex, data_hex, chunk = line.split()
    key = None
    if key_hex != "-":
        session_hex, _, direction = key_hex.partition("/")
        key = bytes.fromhex(session_hex)
        if direction:
            key = protocol.direction_key(key, int(direction))
    data = bytes.fromhex(data_hex)
    step = int(chunk)
    decoder = protocol.FrameDecoder(key)
    out = []
    try:
        for i in range(0, len(data), step):
            for msg_type, seq, payload, auth in decoder.feed(data[i : i + step]):
                out.append(
                    protocol.encode_frame(msg_type, seq, payload, key if auth else None).hex()
                )
        print(",".join(out) or "-")
    except Exception as err:
        print("RAISED", repr(err))
