# SimWatchdog with an injected clock: counts feeds and detects a starved (too late) feed.
import json

from bhub.watchdog import SimWatchdog

clock = [1000]
dog = SimWatchdog(5000, ticks_ms=lambda: clock[0])
for _ in range(10):
    clock[0] += 1000
    dog.feed()
result = {"feeds": dog.feeds, "starved_ok": dog.starved, "gap": dog.longest_gap_ms}
clock[0] += 6000
result["starved_idle"] = dog.starved
dog.feed()
result["starved_after"] = [dog.starved, dog.longest_gap_ms, dog.feeds]
real = SimWatchdog(100)
real.feed()
result["real_clock"] = [real.feeds, real.starved]
print(json.dumps(result))
