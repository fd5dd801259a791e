# Serve mDNS on 127.0.0.1. argv: bind port, announce port, key required (0/1), seconds to run.
import sys
import time

from bhub.mdns import MdnsResponder

bind_port, group_port, key_required, seconds = (int(arg) for arg in sys.argv[1:5])
responder = MdnsResponder(
    "hub-7f3a", "0.3.1", bool(key_required), "127.0.0.1",
    bind=("127.0.0.1", bind_port), group=("127.0.0.1", group_port),
)  # fmt: skip
responder.start()
print("ready")
deadline = time.ticks_add(time.ticks_ms(), seconds * 1000)
while time.ticks_diff(deadline, time.ticks_ms()) > 0:
    responder.poll()
    time.sleep_ms(5)
responder.close()
print('{"answered": ' + str(responder.queries_answered) + "}")
