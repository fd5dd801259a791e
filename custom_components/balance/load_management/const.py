"""Keys and defaults of the load-management entry kind."""

from datetime import timedelta
from typing import Final

CONF_KIND: Final = "kind"
KIND_HUB: Final = "hub"
KIND_LOAD_MANAGEMENT: Final = "load_management"
SUBENTRY_MANAGED_LOAD: Final = "managed_load"

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

MAX_OFF_MIN_RANGE: Final = (7, 15)
DEFAULT_MAX_OFF_MIN: Final = 15
DEFAULT_MIN_ON_MIN: Final = 1

# Runtime
UPDATE_INTERVAL: Final = timedelta(seconds=5)
HEARTBEAT_TIMEOUT_S: Final = 90
STORAGE_KEY: Final = "balance.load_management.{entry_id}"
STORAGE_VERSION: Final = 1
SAVE_DELAY_S: Final = 5.0

# Repair issues
ISSUE_SENSOR_UNAVAILABLE: Final = "power_sensor_unavailable"
ISSUE_LOAD_FAILED: Final = "load_not_following"

# Actions
SERVICE_SHED: Final = "shed"
SERVICE_RESTORE: Final = "restore"
SERVICE_SET_LIMIT: Final = "set_limit"
ATTR_DURATION: Final = "duration"
ATTR_WATTS: Final = "watts"
ATTR_REASON: Final = "reason"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
