# Run under MicroPython: decode one report per status byte; print the statuses that decoded.
import json

from bhub.radio import airframe

packet = bytearray(airframe.encode_report(7, 1, [10, 20, 30], 3600))
accepted = []
for status in range(256):
    packet[13] = status
    if airframe.OpenAirDecoder().decode(bytes(packet)) is not None:
        accepted.append(status)
print(json.dumps(accepted))
