"""Keys and defaults of the load-management entry kind."""

from datetime import timedelta
from typing import Final

from ..const import CONF_KIND as CONF_KIND  # noqa: TID252, PLC0414
from ..const import KIND_HUB as KIND_HUB  # noqa: TID252, PLC0414
from ..const import KIND_LOAD_MANAGEMENT as KIND_LOAD_MANAGEMENT  # noqa: TID252, PLC0414

SUBENTRY_MANAGED_LOAD: Final = "managed_load"  # a switched socket
SUBENTRY_CHARGER: Final = "charger"  # EV charger with a current (A) or power (W) number
SUBENTRY_POWER_LIMIT: Final = "power_limit"  # heat pump / heater with a power-limit number
SUBENTRY_CLIMATE: Final = "climate_load"  # climate entity: soft shed by a setpoint offset

# Load-management entry options
CONF_POWER_ENTITY: Final = "power_entity"
CONF_LIMIT_W: Final = "limit_w"
CONF_CONTRACT_W: Final = "contract_w"
CONF_TARIFF_LIMIT_W: Final = "tariff_limit_w"
CONF_TARIFF_START: Final = "tariff_start"
CONF_TARIFF_END: Final = "tariff_end"
CONF_HUB_ENTRY: Final = "hub_entry_id"
CONF_REACTION_S: Final = "reaction_s"
CONF_SENSOR_TIMEOUT_S: Final = "sensor_timeout_s"
CONF_HARD_LIMIT_W: Final = "hard_limit_w"  # main fuse / breaker
CONF_PHASE_ENTITIES: Final = ("phase_l1_entity", "phase_l2_entity", "phase_l3_entity")
CONF_PHASE_LIMIT_A: Final = "phase_limit_a"  # fuse per phase
CONF_VOLTAGE: Final = "voltage"  # nominal phase voltage (entry: phase limits; charger: A <-> W)
CONF_CAPACITY_W: Final = "capacity_target_w"  # average power target over a billing period
CONF_CAPACITY_PERIOD_MIN: Final = "capacity_period_min"
CAPACITY_PERIODS_MIN: Final = ("15", "60")
CONF_PRICE_ENTRY: Final = "price_entry_id"  # planner prices: a pricing entry ...
CONF_PRICE_ENTITY: Final = "price_entity"  # ... or a price sensor (with a forecast)
DEFAULT_VOLTAGE: Final = 230

DEFAULT_REACTION_S: Final = 30
DEFAULT_SENSOR_TIMEOUT_S: Final = 120

# Managed-load subentry data
CONF_SWITCH_ENTITY: Final = "switch_entity"
CONF_PRIORITY: Final = "priority"
CONF_RATED_W: Final = "rated_w"
CONF_LOAD_POWER_ENTITY: Final = "load_power_entity"
CONF_MAX_OFF_MIN: Final = "max_off_min"
CONF_MIN_ON_MIN: Final = "min_on_min"
CONF_DEADLINE: Final = "deadline"
CONF_RUN_MIN: Final = "run_min"
CONF_WINDOW_START: Final = "window_start"
CONF_WINDOW_END: Final = "window_end"
CONF_PHASE: Final = "phase"  # the phase a single-phase load is on (L1, L2, L3)
CONF_RECOVERY_MIN: Final = "recovery_min"  # yellow: on at least this long after max-off
CONF_COMFORT_ENTITY: Final = "comfort_entity"  # temperature bounding a yellow's off time
CONF_RESTORE_ABOVE_C: Final = "restore_above_c"  # e.g. a fridge: back on when it warms to this
CONF_RESTORE_BELOW_C: Final = "restore_below_c"  # e.g. a room or tank: back on when it cools to
DEFAULT_RECOVERY_MIN: Final = 5

# Charger, power-limit and climate subentry data
CONF_SETPOINT_ENTITY: Final = "setpoint_entity"  # number / input_number
CONF_SETPOINT_UNIT: Final = "setpoint_unit"  # charger: A or W; power limit: W or %
CONF_PHASES: Final = "phases"  # charger: "1" or "3"
CONF_PHASE_SWITCH_ENTITY: Final = "phase_switch_entity"  # charger: on = 3 phases, off = 1
CONF_MIN_CURRENT_A: Final = "min_current_a"
CONF_MAX_CURRENT_A: Final = "max_current_a"
CONF_PLUG_ENTITY: Final = "plug_entity"
CONF_SOC_ENTITY: Final = "soc_entity"
CONF_BATTERY_KWH: Final = "battery_kwh"
CONF_DEPARTURE_ENTITY: Final = "departure_entity"  # input_datetime or timestamp sensor
CONF_DEPARTURE_TIME: Final = "departure_time"  # fixed local time
CONF_ENERGY_KWH: Final = "energy_kwh"  # energy per job by default
CONF_TARGET_SOC: Final = "target_soc"  # or SoC at departure by default
CONF_EXCEED_SOFT: Final = "exceed_soft"  # may exceed the soft limits to meet the departure
CONF_MIN_W: Final = "min_w"
CONF_MAX_W: Final = "max_w"
CONF_CLIMATE_ENTITY: Final = "climate_entity"
CONF_SETBACK_K: Final = "setback_k"  # soft shed: heating setpoint lowered (cooling raised) by this
CONF_COMFORT_MIN_C: Final = "comfort_min_c"  # heating: never set back below this
CONF_COMFORT_MAX_C: Final = "comfort_max_c"  # cooling: never set back above this

IEC_MIN_CURRENT_A: Final = 6  # IEC 61851: lowest charging current
DEFAULT_MAX_CURRENT_A: Final = 16
DEFAULT_SETBACK_K: Final = 2.0
DEFAULT_COMFORT_MIN_C: Final = 18.0
DEFAULT_COMFORT_MAX_C: Final = 28.0

MAX_OFF_MIN_RANGE: Final = (7, 15)
DEFAULT_MAX_OFF_MIN: Final = 15
DEFAULT_MIN_ON_MIN: Final = 1

# Runtime
UPDATE_INTERVAL: Final = timedelta(seconds=5)
HEARTBEAT_TIMEOUT_S: Final = 90
STORAGE_KEY: Final = "balance.load_management.{entry_id}"
STORAGE_VERSION: Final = 1
SAVE_DELAY_S: Final = 5.0

# Logbook: one event per command load management issues (its context is the command's)
EVENT_LOAD_MANAGEMENT: Final = "balance_load_management"
ATTR_LOAD_NAME: Final = "name"
ATTR_COMMAND: Final = "command"
ATTR_HOUSE_W: Final = "house_w"
ATTR_LIMIT_W: Final = "limit_w"
ATTR_SETPOINT: Final = "setpoint"  # set_power: the new setpoint as shown ("10 A", "2500 W")
ATTR_LOWERED: Final = "lowered"  # set_power: True when the setpoint went down

# Repair issues
ISSUE_SENSOR_UNAVAILABLE: Final = "power_sensor_unavailable"
ISSUE_LOAD_FAILED: Final = "load_not_following"
ISSUE_DEADLINE_AT_RISK: Final = "deadline_at_risk"
SHORTFALL_ISSUE_WH: Final = 100.0  # a shortfall below this raises no repair
ISSUE_PLAN_INFEASIBLE: Final = "plan_infeasible"

# Actions
SERVICE_SHED: Final = "shed"
SERVICE_RESTORE: Final = "restore"
SERVICE_SET_LIMIT: Final = "set_limit"
SERVICE_SET_PLAN: Final = "set_plan"
SERVICE_PLAN_LOAD: Final = "plan_load"
ATTR_ENERGY_KWH: Final = "energy_kwh"
ATTR_TARGET_SOC: Final = "target_soc"
ATTR_DEADLINE: Final = "deadline"
ATTR_DURATION: Final = "duration"
ATTR_WATTS: Final = "watts"
ATTR_REASON: Final = "reason"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
