"""Contactor outputs of the hub (node 0's outputs).

Each output drives the coil of a normally-closed contactor: coil off = contact closed = load
powered. Boot, a crash or a dead hub therefore all leave every load powered (the safe state), and
the firmware only energises a coil to shed a load. Every change is reported, whatever its cause.
"""

from micropython import const

OPEN = const(0)  # load not powered
CLOSED = const(1)  # load powered

# OUTPUT_STATE causes and OUTPUT_ACK results of docs/protocol.md.
CAUSE_HOST = const(0)
CAUSE_BOOT = const(1)
CAUSE_GUARD_SHED = const(2)
CAUSE_GUARD_RESTORE = const(3)
RESULT_OK = const(0)
RESULT_UNKNOWN_OUTPUT = const(1)
RESULT_REFUSED = const(2)
RESULT_HARDWARE_FAULT = const(3)


LEVEL_MIN_MA = const(6000)  # IEC 61851 minimum charging current; 0 pauses
LEVEL_MAX_MA = const(32000)


class Output:
    """One contactor: `coil` is a pin-like object (value(0|1)); `feedback`, if given, reads the
    contactor's auxiliary contact (1 = load powered) to detect a stuck or unpowered contactor.
    `level`, if given, sets the load's current limit (mA) and returns the limit in force."""

    def __init__(self, name, coil, feedback=None, level=None):
        self.name = name
        self.coil = coil
        self.feedback = feedback
        self.level = level
        self.level_ma = LEVEL_MAX_MA if level else 0  # no limit until one is set
        self.state = CLOSED
        self.cause = CAUSE_BOOT  # cause of the last change
        self.changed_at = 0.0

    def drive(self, state):
        """Drive the coil; return the state actually reached."""
        self.coil.value(0 if state == CLOSED else 1)
        if self.feedback is not None:
            return CLOSED if self.feedback() else OPEN
        return state


class OutputBank:
    """Node 0's outputs. `on_change(index, state, cause)` is called after every change."""

    def __init__(self, outputs, clock, on_change=None):
        self.outputs = outputs
        self.clock = clock
        self.on_change = on_change

    def __len__(self):
        return len(self.outputs)

    def boot(self):
        """Put every output in the safe state (closed) and report it."""
        for index, output in enumerate(self.outputs):
            output.state = output.drive(CLOSED)
            output.cause = CAUSE_BOOT
            output.changed_at = self.clock.monotonic()
            if self.on_change:
                self.on_change(index, output.state, CAUSE_BOOT)

    def set(self, index, state, cause):
        """Switch output `index`; return (result, actual state). Reports only real changes."""
        if not 0 <= index < len(self.outputs):
            return RESULT_UNKNOWN_OUTPUT, 0
        output = self.outputs[index]
        if state not in (OPEN, CLOSED):
            return RESULT_REFUSED, output.state
        reached = output.drive(state)
        if reached != output.state:
            output.state = reached
            output.cause = cause
            output.changed_at = self.clock.monotonic()
            if self.on_change:
                self.on_change(index, reached, cause)
        return (RESULT_OK if reached == state else RESULT_HARDWARE_FAULT), reached

    def level_mask(self):
        """Bit i set: output i takes a current setpoint."""
        return sum(1 << i for i, output in enumerate(self.outputs) if output.level)

    def set_level(self, index, milliamps):
        """Set output `index`'s current limit; return (result, limit in force)."""
        if not 0 <= index < len(self.outputs) or not self.outputs[index].level:
            return RESULT_UNKNOWN_OUTPUT, 0
        output = self.outputs[index]
        if milliamps and not LEVEL_MIN_MA <= milliamps <= LEVEL_MAX_MA:
            return RESULT_REFUSED, output.level_ma
        output.level_ma = reached = output.level(milliamps)
        return (RESULT_OK if reached == milliamps else RESULT_HARDWARE_FAULT), reached

    def state(self, index):
        return self.outputs[index].state

    def closed_for(self, index):
        """Seconds output `index` has been closed (0 when open)."""
        output = self.outputs[index]
        return self.clock.monotonic() - output.changed_at if output.state == CLOSED else 0.0

    def open_for(self, index):
        """Seconds output `index` has been open (0 when closed)."""
        output = self.outputs[index]
        return self.clock.monotonic() - output.changed_at if output.state == OPEN else 0.0
