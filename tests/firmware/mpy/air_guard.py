# A guard policy naming a radio node's output is accepted; the hub guards only its own outputs.
import json

from bhub.clock import SimClock
from bhub.guard import Guard
from bhub.outputs import Output, OutputBank


class Coil:
    def value(self, level):
        pass


def rule(node_id, output):
    return {
        "node_id": node_id,
        "output": output,
        "priority": 2,
        "max_off_s": 0,
        "min_on_s": 0,
        "rated_w": 2000,
    }


clock = SimClock(0)
guard = Guard(OutputBank([Output("k1", Coil())], clock), clock)
policy = {
    "policy_id": 3,
    "limit_w": 5000,
    "meter_node": 0,
    "meter_channel": 1,
    "meter_imp_per_kwh": 1000,
    "heartbeat_timeout_s": 60,
    "outputs": [rule(1005, 0), rule(0, 0)],
}
status = guard.set_policy(policy)
bad = dict(policy, outputs=[rule(1005, 0), rule(0, 7)])
print(
    json.dumps(
        {
            "status": status,
            "guarded": sorted(guard._rules),
            "bad_hub_output": Guard(guard.outputs, clock).set_policy(bad),
        }
    )
)
