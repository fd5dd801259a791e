# Run under MicroPython: each stdin line "KEYHEX DATAHEX CHUNK"; print per line the re-encoded
# frames the decoder delivered ("," separated hex) or "RAISED <exception>".
import sys

from bhub import protocol

for line in sys.stdin:
    key_hex, data_hex, chunk = line.split()
    key = bytes.fromhex(key_hex) if key_hex != "-" else None
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
