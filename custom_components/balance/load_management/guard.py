"""Link to a BALANCE hub's local guard: push the DLM policy and keep the heartbeat going.

While heartbeats arrive the hub never switches on its own; if Home Assistant stops, the hub
keeps the limit with the pushed policy and hands control back, untouched, when they resume.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_time_interval

from ..const import DOMAIN, LOGGER  # noqa: TID252
from ..coordinator import BalanceRuntimeData  # noqa: TID252
from ..dlm import HeldRecord, LoadStatus, Priority  # noqa: TID252
from ..hub import HubError  # noqa: TID252
from ..hub.messages import (  # noqa: TID252
    GuardAck,
    GuardOutput,
    GuardPolicy,
    Heartbeat,
    Message,
    OutputCause,
)
from ..hub.messages import Priority as HubPriority  # noqa: TID252
from .const import HEARTBEAT_TIMEOUT_S
from .manager import LoadManager

_OUTPUT_ID = re.compile(r".+-(\d+)-output-(\d+)")
_POWER_ID = re.compile(r".+-(\d+)-(\d+)-power")
_HUB_PRIORITY = {
    Priority.RED: HubPriority.RED,
    Priority.YELLOW: HubPriority.YELLOW,
    Priority.GREEN: HubPriority.GREEN,
}
GUARD_ACCEPTED = 0


def _hub_entity_match(
    hass: HomeAssistant, hub_entry_id: str, entity_id: str
) -> re.Match[str] | None:
    entry = er.async_get(hass).async_get(entity_id)
    if entry is None or entry.config_entry_id != hub_entry_id or entry.platform != DOMAIN:
        return None
    return _OUTPUT_ID.fullmatch(entry.unique_id) or _POWER_ID.fullmatch(entry.unique_id)


class GuardLink:
    """Keeps the linked hub's guard policy in line with the engine and sends heartbeats."""

    def __init__(self, hass: HomeAssistant, manager: LoadManager) -> None:
        """Nothing is sent before :meth:`start`."""
        self.hass = hass
        self.manager = manager
        self.policy_id = secrets.randbelow(0x10000)
        self.accepted: GuardPolicy | None = None
        self._pushed_on: tuple[int, int] | None = None  # (id(client), connects) of the push
        self._outputs: dict[str, tuple[int, int]] = {}
        self._warned = False
        self._unsub: list[CALLBACK_TYPE] = []

    def start(self) -> None:
        """Push now, then every heartbeat interval check the link and send a heartbeat."""
        self.manager.on_policy_change = self._changed
        self._unsub.append(
            async_track_time_interval(
                self.hass, self._tick, timedelta(seconds=HEARTBEAT_TIMEOUT_S / 3)
            )
        )
        self._changed()

    @callback
    def stop(self) -> None:
        """Stop sending (the hub takes over after its heartbeat timeout)."""
        self.manager.on_policy_change = None
        for unsub in self._unsub:
            unsub()
        self._unsub.clear()

    def _runtime(self) -> BalanceRuntimeData | None:
        hub_entry_id = self.manager.settings.hub_entry_id
        if hub_entry_id is None:
            return None
        entry = self.hass.config_entries.async_get_entry(hub_entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return None
        runtime: BalanceRuntimeData = entry.runtime_data
        return runtime

    def build(self) -> GuardPolicy | None:
        """The hub policy for the current engine, or None when the hub cannot guard."""
        hub_entry_id = self.manager.settings.hub_entry_id
        runtime = self._runtime()
        if hub_entry_id is None or runtime is None:
            return None
        meter = _hub_entity_match(self.hass, hub_entry_id, self.manager.settings.power_entity)
        policy = self.manager.engine.guard_policy()
        if meter is None or policy.house_limit_w is None:
            return None
        node_id, channel = int(meter[1]), int(meter[2])
        node = runtime.coordinator.nodes.get(node_id)
        if node is None or channel not in node.channels:
            return None
        outputs = []
        self._outputs = {}
        for rule in policy.outputs if self.manager.enabled else ():
            load = self.manager.loads[rule.load_id]
            if load.switch_entity is None:  # a charger's number: reduced by HA only
                continue
            match = _hub_entity_match(self.hass, hub_entry_id, load.switch_entity)
            if match is None or "-output-" not in match[0]:
                continue
            self._outputs[rule.load_id] = (int(match[1]), int(match[2]))
            outputs.append(
                GuardOutput(
                    node_id=int(match[1]),
                    output=int(match[2]),
                    priority=_HUB_PRIORITY[rule.priority],
                    max_off_s=int(min(rule.max_off_s or 0, 0xFFFF)),
                    min_on_s=int(min(rule.min_on_s, 0xFFFF)),
                    rated_w=int(load.rated_w or 0),
                )
            )
        return GuardPolicy(
            policy_id=self.policy_id,
            limit_w=int(policy.house_limit_w),
            meter_node=node_id,
            meter_channel=channel,
            meter_imp_per_kwh=round(node.channels[channel].pulse_constant),
            heartbeat_timeout_s=HEARTBEAT_TIMEOUT_S,
            outputs=tuple(outputs),
        )

    @callback
    def _changed(self) -> None:
        self.manager.entry.async_create_background_task(
            self.hass, self._async_sync(), "balance guard policy"
        )

    @callback
    def _tick(self, _now: datetime) -> None:
        self.manager.entry.async_create_background_task(
            self.hass, self._async_sync(heartbeat=True), "balance guard heartbeat"
        )

    async def _async_sync(self, heartbeat: bool = False) -> None:
        """Push the policy when it changed or the link was re-established; then heartbeat."""
        runtime = self._runtime()
        policy = self.build()
        if runtime is not None and policy is None and not self._warned:
            self._warned = True
            LOGGER.warning(
                "The linked hub cannot guard the limit: %s is not one of its power sensors",
                self.manager.settings.power_entity,
            )
        if runtime is None or policy is None or not runtime.client.connected:
            return
        client = runtime.client
        session = (id(client), client.connects)
        same = self.accepted is not None and _content(self.accepted) == _content(policy)
        if not same or self._pushed_on != session:
            if not same:
                self.policy_id = (self.policy_id + 1) & 0xFFFF
                policy = GuardPolicy(self.policy_id, *_content(policy))
            if not await self._async_push(runtime, policy):
                return
            first = self._pushed_on is None
            self._pushed_on = session
            if first:
                self._adopt_guard_shed(runtime)
        if heartbeat:
            try:
                await client.send(Heartbeat(self.policy_id, int(time.time()) & 0xFFFFFFFF))
            except HubError as err:
                LOGGER.debug("Heartbeat not sent: %s", err)

    async def _async_push(self, runtime: BalanceRuntimeData, policy: GuardPolicy) -> bool:
        policy_id = policy.policy_id

        def _is_ack(message: Message) -> bool:
            return isinstance(message, GuardAck) and message.policy_id == policy_id

        try:
            (ack,) = await runtime.client.request(policy, _is_ack)
        except HubError as err:
            LOGGER.warning("The hub did not take the load-management guard policy: %s", err)
            return False
        if not isinstance(ack, GuardAck) or ack.status != GUARD_ACCEPTED:
            LOGGER.warning("The hub refused the load-management guard policy")
            return False
        self.accepted = policy
        return True

    def _adopt_guard_shed(self, runtime: BalanceRuntimeData) -> None:
        """Loads the hub guard shed while Home Assistant was away are held, not forgotten."""
        now_s = time.time()
        held = {}
        for load_id, (node_id, output) in self._outputs.items():
            node = runtime.coordinator.nodes.get(node_id)
            state = node.outputs.get(output) if node else None
            if state is not None and not state.state and state.cause == OutputCause.GUARD_SHED:
                held[load_id] = HeldRecord(LoadStatus.SHED, now_s)
        if held:
            self.manager.adopt_held(held)


def _content(policy: GuardPolicy) -> tuple[int, int, int, int, int, tuple[GuardOutput, ...]]:
    return (
        policy.limit_w,
        policy.meter_node,
        policy.meter_channel,
        policy.meter_imp_per_kwh,
        policy.heartbeat_timeout_s,
        policy.outputs,
    )
