"""PNG of one `ecopower` night under the new engine: house power, limit, charger setpoint."""

from __future__ import annotations

from pathlib import Path

from .house import DAY_S
from .scenarios import SCENARIOS, STEP_S, simulate

NIGHT_FROM_H = 16.0
NIGHT_TO_H = 32.0  # 08:00 the next day


def plot_ecopower_night(path: Path, seed: int = 1, day: int = 1) -> None:
    """Plot `day`'s evening and night of seed `seed` (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, trace = simulate("ecopower", seed, day + 2, "ours", trace=True)
    assert trace is not None
    first = int((day * DAY_S + NIGHT_FROM_H * 3600) // STEP_S)
    last = int((day * DAY_S + NIGHT_TO_H * 3600) // STEP_S)
    hours = [i * STEP_S / 3600 - day * 24 for i in range(first, last)]
    limit = SCENARIOS["ecopower"][0].hard_w or 0.0
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(hours, [w / 1000 for w in trace.house_w[first:last]], label="house power")
    ax.plot(hours, [w / 1000 for w in trace.ev_w[first:last]], label="EV charger power")
    ax.step(
        hours,
        [w / 1000 for w in trace.setpoint_w[first:last]],
        where="post",
        label="charger setpoint",
        linestyle="--",
    )
    ax.axhline(limit / 1000, color="red", label="hard limit 6 kW")
    ax.set_xlabel("hour (16:00 to 08:00 next day)")
    ax.set_ylabel("kW")
    ax.set_title("ecopower: one night, new engine (seed 1)")
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
