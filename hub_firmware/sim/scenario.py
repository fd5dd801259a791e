"""Scenario files and the timeline of injected faults.

A scenario is a JSON file:

    {
      "name": "leak",
      "description": "free text",
      "seed": 1,
      "start_local": "2026-01-12T00:00",      local wall-clock start (a Monday here)
      "utc_offset_h": 2,                       local time = UTC + offset (no DST)
      "days": 7,                               suggested run length
      "household": {...},                      overrides of household.DEFAULT_HOUSEHOLD
      "events": [
        {"kind": "water_leak", "start_h": 30, "end_h": null, "flow_l_per_h": 6.0}
      ],
      "radio": {...}                           optional: radio nodes and who hears whom
    }

`radio` (boards/sim.py, docs/node.md): {"listen_interval_s": 1.0, "nodes": [{"node": 2,
"meters": ["gas"], "output": "oven", "hears": [0, 3], "relay": true}]}; node n has id 1000 + n,
0 is the hub, `output` names the appliance its AD220 supplies, `relay` (default true) whether the
node relays others' frames. Without it, node 1 (gas, heat) hears the hub.

Event times are hours after the scenario start; a missing or null `end_h` lasts forever. Every
other key of an event is a parameter (`event.params`). The kinds, with their parameters, are:

    water_leak          flow_l_per_h (6.0)  water keeps flowing (the household adds it)
    phase_loss          phases (["L1"])     appliances on those phases lose power
    neutral_fault       -                   neutral floats: see Household.phase_voltages_v()
    pulse_open_circuit  channel ("water")   pulse line of that meter channel is cut
    pulse_short_circuit channel ("water")   pulse line of that meter channel is shorted
    magnetic_tamper     channel ("water")   a magnet is held against that meter
    node_battery_low    node (1)            that radio node reports a low battery
    node_out_of_range   node (1)            that radio node is not heard
    hub_power_cut       -                   the hub itself loses mains (the household runs on)

The household applies water_leak, phase_loss and neutral_fault itself; the sim board queries
`Timeline.events_at(t_s)` / `Timeline.active(kind, t_s)` for the others.
"""

import json

DEFAULT_PARAMS = {
    "water_leak": {"flow_l_per_h": 6.0},
    "phase_loss": {"phases": ["L1"]},
    "neutral_fault": {},
    "pulse_open_circuit": {"channel": "water"},
    "pulse_short_circuit": {"channel": "water"},
    "magnetic_tamper": {"channel": "water"},
    "node_battery_low": {"node": 1},
    "node_out_of_range": {"node": 1},
    "hub_power_cut": {},
}
DEFAULT_START_LOCAL = "2026-01-12T00:00"
DEFAULT_UTC_OFFSET_H = 2
_SCENARIO_KEYS = ("name", "description", "seed", "start_local", "utc_offset_h", "days",
                  "household", "events", "radio")


class ScenarioEvent:
    """One injected condition, active for start_s <= t < end_s (end_s None: forever), UTC s."""

    def __init__(self, kind, start_s, end_s=None, params=None):
        if kind not in DEFAULT_PARAMS:
            raise ValueError("unknown scenario event kind %r" % (kind,))
        self.kind = kind
        self.start_s = start_s
        self.end_s = end_s
        self.params = dict(DEFAULT_PARAMS[kind])
        if params:
            self.params.update(params)

    def is_active(self, t_s):
        return self.start_s <= t_s and (self.end_s is None or t_s < self.end_s)


class Timeline:
    """Injected events, queried by time."""

    def __init__(self, events=None):
        self.events = list(events or [])

    def add(self, kind, start_s, end_s=None, params=None):
        """Inject an event; returns it."""
        event = ScenarioEvent(kind, start_s, end_s, params)
        self.events.append(event)
        return event

    def events_at(self, t_s):
        """Events active at UTC time `t_s`, in insertion order."""
        return [event for event in self.events if event.is_active(t_s)]

    def active(self, kind, t_s):
        """Events of `kind` active at `t_s`."""
        return [event for event in self.events if event.kind == kind and event.is_active(t_s)]


def days_from_civil(year, month, day):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    if month <= 2:
        year -= 1
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def local_to_utc_ts(local_text, utc_offset_s):
    """UTC epoch seconds of "YYYY-MM-DDTHH:MM[:SS]" local time at `utc_offset_s`."""
    date_text, _, time_text = local_text.partition("T")
    year, month, day = [int(part) for part in date_text.split("-")]
    clock = [int(part) for part in (time_text or "00:00").split(":")]
    seconds = clock[0] * 3600 + clock[1] * 60 + (clock[2] if len(clock) > 2 else 0)
    return days_from_civil(year, month, day) * 86400 + seconds - utc_offset_s


class Scenario:
    """A parsed scenario: household overrides, start time, seed and fault timeline."""

    def __init__(self, name, description, seed, start_ts, utc_offset_s, days, household, timeline,
                 radio=None):  # fmt: skip
        self.name = name
        self.description = description
        self.seed = seed
        self.start_ts = start_ts
        self.utc_offset_s = utc_offset_s
        self.days = days
        self.household = household
        self.timeline = timeline
        self.radio = radio or {}


def parse_scenario(data):
    """Build a Scenario from the decoded JSON object `data`."""
    for key in data:
        if key not in _SCENARIO_KEYS:
            raise ValueError("unknown scenario key %r" % (key,))
    utc_offset_s = int(data.get("utc_offset_h", DEFAULT_UTC_OFFSET_H) * 3600)
    start_ts = local_to_utc_ts(data.get("start_local", DEFAULT_START_LOCAL), utc_offset_s)
    timeline = Timeline()
    for item in data.get("events", []):
        params = dict(item)
        kind = params.pop("kind")
        start_s = start_ts + int(params.pop("start_h", 0) * 3600)
        end_h = params.pop("end_h", None)
        end_s = None if end_h is None else start_ts + int(end_h * 3600)
        timeline.add(kind, start_s, end_s, params)
    household = dict(data.get("household", {}))
    household["utc_offset_h"] = utc_offset_s / 3600
    return Scenario(
        data.get("name", "unnamed"),
        data.get("description", ""),
        data.get("seed", 1),
        start_ts,
        utc_offset_s,
        data.get("days", 7),
        household,
        timeline,
        data.get("radio"),
    )


def load_scenario(path):
    """Read and parse a scenario JSON file."""
    with open(path) as handle:
        return parse_scenario(json.load(handle))


def builtin_scenario_path(name):
    """Path of a scenario shipped in sim/scenarios/ (`name` without .json)."""
    cut = max(__file__.rfind("/"), __file__.rfind("\\"))
    folder = __file__[:cut] if cut >= 0 else "."
    return folder + "/scenarios/" + name + ".json"
