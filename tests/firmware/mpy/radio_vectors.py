# Known-answer values of the air frame primitives, computed by MicroPython.
import json

from bhub.radio import airframe


def scenario():
    report = airframe.encode_report(
        0xDEADBEEF,
        0x1234,
        [0, 7, 0xFFFFFFFF],
        3412,
        [0, airframe.CH_SHORT, airframe.CH_MAGNETIC],
        epoch=3,
        battery_low=True,
        outputs=1,
        hops=2,
        relay_id=0x01020304,
    )
    decoded = airframe.OpenAirDecoder().decode(report)
    return {
        "pn9_64": airframe.pn9_whiten(bytes(64)).hex(),
        "crc_123456789": airframe.crc16(b"123456789"),
        "report": report.hex(),
        "on_air": airframe.encode_on_air(report).hex(),
        "decoded": dict(decoded.__dict__),
        "command": airframe.decode_command(airframe.encode_command(1, 9, 0xDEADBEEF, 77, 0, True)),
    }


if __name__ == "__main__":
    print(json.dumps(scenario()))
