"""Constants of the utility-link entry kind (OpenADR 3 VEN in Home Assistant)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from ..const import CONF_KIND, KIND_UTILITY_LINK  # noqa: TID252

__all__ = ["CONF_KIND", "KIND_UTILITY_LINK"]

# Entry data: how to reach the VTN and who this VEN is
CONF_BASE_URL: Final = "base_url"
CONF_VERSION: Final = "version"
CONF_CLIENT_ID: Final = "client_id"
CONF_CLIENT_SECRET: Final = "client_secret"
CONF_TOKEN_URL: Final = "token_url"
CONF_CA_PEM: Final = "ca_pem"
CONF_VEN_NAME: Final = "ven_name"  # e.g. the meter-point id the program requires
CONF_PROGRAM: Final = "program"
CONF_WEBHOOK_ID: Final = "webhook_id"  # push: made once, with the VTN's bearer token
CONF_WEBHOOK_TOKEN: Final = "webhook_token"

# Options: the resident's bounds and what is measured
CONF_OPTED_IN: Final = "opted_in"
CONF_FLOOR_KW: Final = "floor_kw"
CONF_LONGEST_EVENT_H: Final = "longest_event_h"
CONF_ALLOWED_FROM: Final = "allowed_from"  # local hour [0, 23]
CONF_ALLOWED_TO: Final = "allowed_to"  # local hour [1, 24]
CONF_LOADS: Final = "loads"  # participating managed loads (subentry ids of load management)
CONF_POLL_INTERVAL_S: Final = "poll_interval_s"
CONF_USAGE_ENTITY: Final = "usage_entity"  # energy meter (kWh) of the house's import
CONF_RELAY_ENTITIES: Final = "relay_entities"  # meters relayed hourly to the utility (opt-in)

VERSIONS: Final = ("3.1.0", "3.0.1")
METER_POINT_ID: Final = "METER_POINT_ID"  # the identifier a program may name as VEN name
DEFAULT_POLL_INTERVAL_S: Final = 60
DEFAULT_LONGEST_EVENT_H: Final = 4.0
MIN_POLL_INTERVAL_S: Final = 10
PROBE_TIMEOUT_S: Final = 30.0
USAGE_HISTORY: Final = timedelta(days=8)  # usage samples kept for reports and baselines

STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = "balance.utility_link.{entry_id}"  # the report buffer
STATS_KEY: Final = "balance.utility_link.{entry_id}.stats"  # participation statistics

EVENT_UTILITY_LINK: Final = "balance_utility_link"  # logbook: every DR action
ATTR_EVENT_ID: Final = "event_id"
ATTR_ACTION: Final = "action"
ATTR_REASON: Final = "reason"
ATTR_LIMIT_KW: Final = "limit_kw"
ATTR_SHED_LEVEL: Final = "shed_level"

SERVICE_DR_OPT_OUT: Final = "dr_opt_out"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
