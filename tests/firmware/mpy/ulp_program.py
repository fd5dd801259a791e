# The node's ULP program as the node builds it at a cold boot (under MicroPython, as on the board).
import json
from binascii import hexlify

from node import ulp

print(json.dumps({"program": hexlify(ulp.program([4, 5, 9], 6)).decode()}))
