"""Green jobs: what a plan still needs and the power its deadline requires."""

from __future__ import annotations

from .runtime import LoadRuntime

MIN_SPAN_S = 60.0  # the required power is spread over at least this long


def need_wh(runtime: LoadRuntime) -> float | None:
    """Energy the plan still needs (None without a plan)."""
    plan = runtime.plan
    if plan is None:
        return None
    if plan.target_soc_pct is not None and plan.capacity_wh and runtime.soc_pct is not None:
        return max(0.0, (plan.target_soc_pct - runtime.soc_pct) / 100.0 * plan.capacity_wh)
    if plan.energy_wh is not None:
        return max(0.0, plan.energy_wh - runtime.energy_wh)
    return max(0.0, plan.remaining_s) * _top_w(runtime) / 3600.0


def need_s(runtime: LoadRuntime) -> float:
    """Run time at full power the plan still needs."""
    plan = runtime.plan
    if plan is None:
        return 0.0
    if plan.energy_wh is None and plan.target_soc_pct is None:
        return plan.remaining_s
    top = _top_w(runtime)
    energy = need_wh(runtime) or 0.0
    return energy * 3600.0 / top if top > 0 else 0.0


def required_w(runtime: LoadRuntime, now_s: float, slack_s: float) -> float:
    """Constant power that meets the deadline `slack_s` early (0 without a deadline or need)."""
    plan = runtime.plan
    energy = need_wh(runtime)
    if plan is None or plan.deadline_s is None or not energy:
        return 0.0
    return energy * 3600.0 / max(plan.deadline_s - now_s - slack_s, MIN_SPAN_S)


def _top_w(runtime: LoadRuntime) -> float:
    return runtime.cfg.top_w or runtime.restore_w()
