"""Local DLM guard: keeps main-meter power under the host's limit while the host is silent.

The host (Home Assistant) sends a policy and heartbeats. While heartbeats arrive the guard never
touches an output (mode HOST). After `heartbeat_timeout_s` of silence it takes over (mode HUB):
- over the limit it opens outputs, green before yellow, never red, never one closed for less than
  its `min_on_s`; green by largest rated power, yellow by longest closed (rotation);
- an output open for its `max_off_s` is closed again, and another yellow is opened in its place if
  still needed, so no yellow is ever off longer than `max_off_s` (a yellow with 0 is never shed);
- with enough headroom (limit x RESTORE_MARGIN) it closes the most recently opened output.
Meter readings lag switching, so for SETTLE_S after each action the guard adds the rated power
of what it switched to the reading. When a heartbeat returns, control passes back to the host
with every output left as it is.
"""

from micropython import const

from .outputs import CAUSE_GUARD_RESTORE, CAUSE_GUARD_SHED, CLOSED, OPEN

MODE_HOST = const(0)
MODE_HUB = const(1)
RED = const(0)
YELLOW = const(1)
GREEN = const(2)
STATUS_ACCEPTED = const(0)
STATUS_REFUSED = const(1)
SETTLE_S = const(10)
RESTORE_MARGIN = 0.9


def power_w(rate_mph, imp_per_kwh):
    """Power in watts from a meter's pulse rate (milli-pulses per hour) and constant."""
    return rate_mph // imp_per_kwh if imp_per_kwh else 0


class Guard:
    def __init__(self, outputs, clock):
        self.outputs = outputs  # OutputBank of node 0
        self.clock = clock
        self.policy = None
        self.mode = MODE_HOST
        self.shed = []  # output indexes the guard holds open, in the order it opened them
        self._rules = {}  # output index -> policy entry
        self._last_heartbeat = clock.monotonic()
        self._settle_until = 0.0
        self._pending_w = 0

    def set_policy(self, policy):
        """Validate and adopt a GUARD_POLICY dict; return the GUARD_ACK status."""
        rules = {}
        for entry in policy["outputs"]:
            if entry["node_id"] != 0:
                continue  # a radio node's output: the host keeps it (docs/hub.md, "Guard")
            if entry["output"] >= len(self.outputs):
                return STATUS_REFUSED
            if entry["priority"] not in (RED, YELLOW, GREEN) or entry["output"] in rules:
                return STATUS_REFUSED
            rules[entry["output"]] = entry
        if not policy["heartbeat_timeout_s"] or not policy["meter_imp_per_kwh"]:
            return STATUS_REFUSED
        self.policy, self._rules = policy, rules
        self.shed = [index for index in self.shed if index in rules]
        self._last_heartbeat = self.clock.monotonic()
        return STATUS_ACCEPTED

    @property
    def policy_id(self):
        return self.policy["policy_id"] if self.policy else 0

    def heartbeat(self, policy_id):
        """A heartbeat from the host; return True if control passed back to the host."""
        if self.policy is None or policy_id != self.policy["policy_id"]:
            return False
        self._last_heartbeat = self.clock.monotonic()
        if self.mode == MODE_HOST:
            return False
        self.mode = MODE_HOST
        self.shed = []
        self._pending_w = 0
        return True

    def release(self, index):
        """The host switched output `index` itself: the guard no longer holds it."""
        if index in self.shed:
            self.shed.remove(index)

    def step(self, meter_w):
        """Run once a second with the main meter's power; return True if the mode changed."""
        if self.policy is None:
            return False
        now = self.clock.monotonic()
        changed = False
        if self.mode == MODE_HOST:
            if now - self._last_heartbeat < self.policy["heartbeat_timeout_s"]:
                return False
            self.mode, changed = MODE_HUB, True
        if now >= self._settle_until:
            self._pending_w = 0
        estimate = meter_w + self._pending_w
        restored = self._restore_expired()
        for index in restored:
            estimate += self._rules[index]["rated_w"]
        limit = self.policy["limit_w"]
        if estimate > limit:
            for index in self._candidates(restored):
                if estimate <= limit:
                    break
                self._switch(index, OPEN, CAUSE_GUARD_SHED)
                self.shed.append(index)
                estimate -= self._rules[index]["rated_w"]
        elif self.shed and now >= self._settle_until:
            index = self.shed[-1]
            if estimate + self._rules[index]["rated_w"] <= limit * RESTORE_MARGIN:
                self.shed.pop()
                self._switch(index, CLOSED, CAUSE_GUARD_RESTORE)
        for index in restored:  # close expired ones after their replacements opened
            self._switch(index, CLOSED, CAUSE_GUARD_RESTORE)
        return changed

    def _restore_expired(self):
        expired = []
        for index in self.shed:
            max_off = self._rules[index]["max_off_s"]
            if max_off and self.outputs.open_for(index) >= max_off:
                expired.append(index)
        for index in expired:
            self.shed.remove(index)
        return expired

    def _candidates(self, excluded):
        def eligible(index, rule):
            if index in excluded or self.outputs.state(index) != CLOSED:
                return False
            if rule["priority"] == YELLOW and not rule["max_off_s"]:
                return False
            return self.outputs.closed_for(index) >= rule["min_on_s"]

        green = [i for i, r in self._rules.items() if r["priority"] == GREEN and eligible(i, r)]
        yellow = [i for i, r in self._rules.items() if r["priority"] == YELLOW and eligible(i, r)]
        green.sort(key=lambda i: self._rules[i]["rated_w"], reverse=True)
        yellow.sort(key=self.outputs.closed_for, reverse=True)
        return green + yellow

    def _switch(self, index, state, cause):
        self.outputs.set(index, state, cause)
        rated = self._rules[index]["rated_w"]
        self._pending_w += -rated if state == OPEN else rated
        self._settle_until = self.clock.monotonic() + SETTLE_S
