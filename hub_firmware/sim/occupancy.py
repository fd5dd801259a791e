"""Stochastic occupancy and activity plan, one "plan day" (04:00 to 04:00 local) at a time.

Each occupant has a role ("worker", "student", "home"). For every plan day the occupant gets a wake
time, a bed time (both roughly normal around role- and weekday-dependent means) and outings: the
weekday commute of workers and students, and optional leisure outings. The occupant is *asleep*
before waking and after bed, *away* during outings, otherwise *active* (awake at home) - the
three states of the CREST model (Richardson et al. 2008), drawn from schedules instead of the
CREST transition matrices.

Activities are then placed inside those home-and-awake intervals: showers, tap draws and toilet
flushes per occupant; kettle, meals (hob, sometimes oven), laundry and the dishwasher per
household; EV trips follow the driver's (the first worker, else the first occupant) commute and
car outings (weekend leisure; any leisure outing of the "home" role).

`plan_day()` returns time-sorted events (t_s, kind, data); kinds are the EVENT_* constants.
"""

from .prng import Prng

HOUR_S = 3600
MINUTE_S = 60
DAY_S = 86400
PLAN_DAY_START_S = 4 * HOUR_S
ASLEEP, ACTIVE, AWAY = 0, 1, 2

EVENT_OCCUPANT = "occupant"  # data: (occupant index, ASLEEP | ACTIVE | AWAY)
EVENT_WATER = "water"  # data: (litres, flow_l_per_h, use_c or None for cold)
EVENT_KETTLE = "kettle"  # data: boil duration s
EVENT_HOB = "hob"  # data: session duration s
EVENT_OVEN = "oven"  # data: session duration s
EVENT_WASHING = "washing_machine"  # data: None
EVENT_DISHWASHER = "dishwasher"  # data: None
EVENT_EV_DEPART = "ev_depart"  # data: None
EVENT_EV_ARRIVE = "ev_arrive"  # data: trip km

SHOWER_USE_C = 40.0
SHOWER_FLOW_L_PER_H = 480.0
TAP_FLOW_L_PER_H = 360.0


class Role:
    """Schedule parameters; times in hours after local midnight, spreads in minutes."""

    def __init__(self, weekday_wake, weekend_wake, weekday_bed, weekend_bed, commute_return,
                 leisure_chance):
        self.weekday_wake = weekday_wake
        self.weekend_wake = weekend_wake
        self.weekday_bed = weekday_bed
        self.weekend_bed = weekend_bed
        self.commute_return = commute_return
        self.leisure_chance = leisure_chance


ROLES = {
    "worker": Role((6.5, 25), (8.5, 60), (23.0, 40), (23.5, 45), (17.75, 45), (0.15, 0.6)),
    "student": Role((7.0, 20), (9.5, 60), (23.25, 45), (23.75, 50), (15.0, 60), (0.3, 0.6)),
    "home": Role((7.5, 40), (7.75, 40), (22.5, 40), (22.5, 40), None, (0.5, 0.4)),
}


def _minutes_s(rng, low_min, high_min):
    """Whole minutes drawn uniformly from [low_min, high_min], in seconds."""
    return rng.randint(low_min, high_min) * MINUTE_S


def _clock_s(rng, mean_spread):
    mean_h, spread_min = mean_spread
    return int(rng.normal(mean_h * HOUR_S, spread_min * MINUTE_S))


class OccupantDay:
    """One occupant's plan day: wake/bed times and outings [(leave_s, back_s, commute, by_car)].

    Times are seconds after the local midnight that starts the plan day (bed may pass 24 h).
    """

    def __init__(self, role, weekend, rng):
        wake_spec = role.weekend_wake if weekend else role.weekday_wake
        bed_spec = role.weekend_bed if weekend else role.weekday_bed
        self.wake_s = min(max(_clock_s(rng, wake_spec), 5 * HOUR_S), 11 * HOUR_S)
        self.bed_s = min(max(_clock_s(rng, bed_spec), 21 * HOUR_S), 27 * HOUR_S)
        self.outings = []
        if role.commute_return and not weekend:
            leave_s = self.wake_s + _minutes_s(rng, 35, 75)
            back_s = max(_clock_s(rng, role.commute_return), leave_s + 4 * HOUR_S)
            self._add_outing(leave_s, back_s, True, True)
        leisure_chance = role.leisure_chance[1 if weekend else 0]
        if rng.chance(leisure_chance):
            if self.outings:
                leave_s = self.outings[-1][1] + _minutes_s(rng, 30, 90)
            else:
                leave_s = _minutes_s(rng, 10 * 60, 15 * 60)
            back_s = leave_s + _minutes_s(rng, 60, 240)
            by_car = weekend or role.commute_return is None
            self._add_outing(max(leave_s, self.wake_s + HOUR_S), back_s, False, by_car)

    def _add_outing(self, leave_s, back_s, commute, by_car):
        if back_s <= self.bed_s - 30 * MINUTE_S:
            self.outings.append((leave_s, back_s, commute, by_car))

    def home_intervals(self):
        """[(start_s, end_s)] spent awake at home."""
        intervals = []
        start_s = self.wake_s
        for leave_s, back_s, _commute, _by_car in self.outings:
            intervals.append((start_s, leave_s))
            start_s = back_s
        intervals.append((start_s, self.bed_s))
        return intervals

    def is_active(self, t_s):
        if t_s < self.wake_s or t_s >= self.bed_s:
            return False
        for leave_s, back_s, _commute, _by_car in self.outings:
            if leave_s <= t_s < back_s:
                return False
        return True


class ActivityPlanner:
    """Plans days for a household of `roles`; day `n` always gets the same plan for a seed."""

    def __init__(self, seed, roles, utc_offset_s):
        for role in roles:
            if role not in ROLES:
                raise ValueError("unknown occupant role %r" % (role,))
        self.seed = seed
        self.roles = roles
        self.utc_offset_s = utc_offset_s
        self.driver = roles.index("worker") if "worker" in roles else 0
        commute_rng = Prng(seed, "commute")
        self.commute_km = commute_rng.uniform(20.0, 60.0)

    def plan_day_of(self, t_s):
        """Plan-day number containing UTC time `t_s`."""
        return int((t_s + self.utc_offset_s - PLAN_DAY_START_S) // DAY_S)

    def plan_day(self, day):
        """Events of plan day `day` as a time-sorted list of (t_s, kind, data), t_s UTC."""
        rng = Prng(self.seed, "plan:%d" % day)
        midnight_s = day * DAY_S - self.utc_offset_s
        weekend = (day + 3) % 7 >= 5  # 1970-01-01 was a Thursday
        people = [OccupantDay(ROLES[role], weekend, rng) for role in self.roles]
        events = []

        def add(offset_s, kind, data):
            events.append((midnight_s + int(offset_s), len(events), kind, data))

        for index, person in enumerate(people):
            self._plan_person(index, person, rng, add)
        self._plan_household(people, weekend, rng, add)
        events.sort()
        return [(t_s, kind, data) for t_s, _order, kind, data in events]

    def _plan_person(self, index, person, rng, add):
        add(person.wake_s, EVENT_OCCUPANT, (index, ACTIVE))
        for leave_s, back_s, commute, by_car in person.outings:
            add(leave_s, EVENT_OCCUPANT, (index, AWAY))
            add(back_s, EVENT_OCCUPANT, (index, ACTIVE))
            if index == self.driver and by_car:
                km = self.commute_km * rng.uniform(0.9, 1.1) if commute else rng.uniform(5.0, 80.0)
                add(leave_s, EVENT_EV_DEPART, None)
                add(back_s, EVENT_EV_ARRIVE, km)
        add(person.bed_s, EVENT_OCCUPANT, (index, ASLEEP))
        intervals = person.home_intervals()
        first_start, first_end = intervals[0]
        morning = rng.chance(0.6) and first_end - first_start >= 25 * MINUTE_S
        if morning:
            self._shower(first_start + _minutes_s(rng, 5, 20), rng, add)
        last_start, last_end = intervals[-1]
        if rng.chance(0.3 if morning else 0.6) and last_end - last_start >= 90 * MINUTE_S:
            self._shower(last_end - _minutes_s(rng, 30, 75), rng, add)
        for start_s, end_s in intervals:
            hours = (end_s - start_s) / HOUR_S
            for _ in range(rng.stochastic_round(1.2 * hours)):
                hot = rng.chance(0.5)
                add(rng.uniform(start_s, end_s), EVENT_WATER,
                    (rng.uniform(1.0, 4.0), TAP_FLOW_L_PER_H, SHOWER_USE_C if hot else None))
            for _ in range(rng.stochastic_round(0.5 * hours)):
                add(rng.uniform(start_s, end_s), EVENT_WATER, (6.0, TAP_FLOW_L_PER_H, None))

    @staticmethod
    def _shower(t_s, rng, add):
        minutes = min(max(rng.normal(6.0, 2.0), 3.0), 15.0)
        litres = minutes * SHOWER_FLOW_L_PER_H / 60.0
        add(t_s, EVENT_WATER, (litres, SHOWER_FLOW_L_PER_H, SHOWER_USE_C))

    def _plan_household(self, people, weekend, rng, add):
        def when_active(t_s, kind, data):
            if any(person.is_active(t_s) for person in people):
                add(t_s, kind, data)

        first_wake = min(person.wake_s for person in people)
        last_bed = max(person.bed_s for person in people)
        if rng.chance(0.7):
            when_active(first_wake + _minutes_s(rng, 3, 15), EVENT_KETTLE, rng.randint(120, 240))
        if rng.chance(0.5):
            when_active(_minutes_s(rng, 16 * 60, 20 * 60), EVENT_KETTLE, rng.randint(120, 240))
        if weekend and rng.chance(0.5):
            when_active(first_wake + _minutes_s(rng, 20, 45), EVENT_HOB, _minutes_s(rng, 10, 20))
        if rng.chance(0.8 if weekend else 0.6):
            when_active(_clock_s(rng, (12.75, 30)), EVENT_HOB, _minutes_s(rng, 20, 45))
        dinner_s = _clock_s(rng, (18.75, 30))
        if rng.chance(0.85):
            when_active(dinner_s, EVENT_HOB, _minutes_s(rng, 25, 60))
        if rng.chance(0.5 if weekend else 0.25):
            when_active(dinner_s - _minutes_s(rng, 0, 20), EVENT_OVEN, _minutes_s(rng, 35, 70))
        if rng.chance(min(0.9, 0.15 * len(people) + 0.05)):
            if weekend:
                start_s = first_wake + _minutes_s(rng, 60, 180)
            else:
                start_s = _minutes_s(rng, 18 * 60, 21 * 60)
            when_active(start_s, EVENT_WASHING, None)
        if rng.chance(0.65):
            start_s = min(_minutes_s(rng, 20 * 60 + 30, 22 * 60 + 30), last_bed - 10 * MINUTE_S)
            when_active(start_s, EVENT_DISHWASHER, None)
