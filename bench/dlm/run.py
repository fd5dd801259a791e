"""`make bench-dlm`: none / naive / ours / MILP optimum per home, and a 50-home transformer.

Environment: BENCH_QUICK=1 (2 seeds, 3 days, 10 homes x 2 days), BENCH_NO_OPT=1 (skip the MILP
and the capacity scenario's LP bound), BENCH_WORKERS (default 2). `--scenario NAME` runs one
issue-9 scenario alone (ecopower, three_phase, capacity); with it, `--seeds FIRST-LAST` runs
other seeds than the scenario's share (seeds 1 to N) and `--strategy NAME` (repeatable) only
those strategies. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.dlm.home import DAY_S, LIMIT_W, BenchHome  # noqa: E402
from bench.dlm.metrics import Metrics, Recorder  # noqa: E402
from bench.dlm.scenarios import SCENARIOS, Figures, run_job  # noqa: E402
from bench.dlm.strategies import (  # noqa: E402
    YELLOW_MAX_OFF_S,
    YELLOW_MIN_ON_S,
    Naive,
    NoControl,
    Ours,
    Strategy,
)
from bench.dlm.trace import Trace, TraceRecorder  # noqa: E402
from bench.dlm.transformer import TransformerResult, run_transformer  # noqa: E402

STEP_S = 60
STRATEGIES = ("none", "naive", "ours", "optimum")


@dataclass(frozen=True)
class BenchConfig:
    """Sizes of one bench run."""

    seeds: int
    days: int
    tx_homes: int
    tx_days: int
    optimum: bool
    workers: int
    scenario_seeds: range | None = None  # the issue-9 scenarios' seeds (None: their share)
    strategies: tuple[str, ...] | None = None  # the issue-9 strategies run (None: all)


def config_from_env() -> BenchConfig:
    """Full or quick mode from the environment."""
    quick = os.environ.get("BENCH_QUICK") == "1"
    return BenchConfig(
        seeds=2 if quick else 20,
        days=3 if quick else 30,
        tx_homes=10 if quick else 50,
        tx_days=2 if quick else 14,
        optimum=os.environ.get("BENCH_NO_OPT") != "1",
        workers=int(os.environ.get("BENCH_WORKERS", "2")),
    )


@dataclass
class RunResult:
    """Figures, missed deadlines and (for the MILP) the exogenous demand of one run."""

    metrics: Metrics
    misses: set[tuple[str, float]]
    trace: Trace | None


def simulate(
    seed: int, days: int, make: Callable[[BenchHome], Strategy], trace: bool = False
) -> RunResult:
    """Closed loop: the strategy acts on the last step's readings, then the household steps."""
    home = BenchHome(seed)
    strategy = make(home)
    recorder = Recorder(LIMIT_W, STEP_S)
    tracer = (
        TraceRecorder(
            home, STEP_S, LIMIT_W, int(YELLOW_MAX_OFF_S // STEP_S), int(YELLOW_MIN_ON_S // STEP_S)
        )
        if trace
        else None
    )
    now = home.start_s
    for _ in range(days * DAY_S // STEP_S):
        ops = strategy.control(now, home)
        if tracer is not None:
            tracer.before(now)
        home.advance(now, STEP_S)
        recorder.step(home, ops)
        if tracer is not None:
            tracer.after()
        now += STEP_S
    return RunResult(recorder.result(home), home.misses, tracer.done() if tracer else None)


def run_seed(args: tuple[int, int, bool]) -> dict[str, Metrics]:
    """All strategies on one household seed.

    A strategy's green_misses are the deadlines it missed that the uncontrolled home met; for
    `none` they are the misses inherent in the demand (e.g. a shower just before a check).
    """
    seed, days, with_optimum = args
    none = simulate(seed, days, lambda _h: NoControl(), trace=with_optimum)
    result = {"none": none.metrics}
    for name, make in (("naive", _naive), ("ours", _ours)):
        run = simulate(seed, days, make)
        run.metrics.green_misses = len(run.misses - none.misses)
        result[name] = run.metrics
    if with_optimum:
        assert none.trace is not None
        result["optimum"] = optimum_metrics(none.trace)
    return result


def _naive(_home: BenchHome) -> Strategy:
    return Naive(LIMIT_W)


def _ours(home: BenchHome) -> Strategy:
    return Ours(home, LIMIT_W)


def optimum_metrics(trace: Trace) -> Metrics:
    """Solve the MILP on the uncontrolled run's demand and score its power series."""
    from bench.dlm.metrics import OverLimitCounter
    from bench.dlm.optimum import exogenous_rise, solve

    result = solve(trace, DAY_S // STEP_S)
    counter = OverLimitCounter(LIMIT_W, STEP_S)
    for t, (power, red) in enumerate(zip(result.power_w, trace.base, strict=True)):
        counter.add(power, red, excused_w=exogenous_rise(trace, t))
    return Metrics(
        over_limit_s=counter.over_s,
        unavoidable_s=counter.unavoidable_s,
        switch_ops=result.switch_ops,
        peak_kw=counter.peak_w / 1000.0,
        ops_bound=result.ops_bound,
        opt_windows=result.windows,
        opt_optimal=result.optimal_windows,
        opt_unsolved=result.unsolved_windows,
    )


def _seeds(cfg: BenchConfig, name: str) -> range:
    """Seeds of an issue-9 scenario: those asked for, or its share of the bench's seeds (at
    least one) from seed 1."""
    if cfg.scenario_seeds is not None:
        return cfg.scenario_seeds
    return range(1, max(1, round(cfg.seeds * SCENARIOS[name][0].seed_share)) + 1)


def scenario_jobs(cfg: BenchConfig, names: list[str]) -> list[tuple[str, int, int, str]]:
    """Pool jobs of the issue-9 scenarios: (scenario, seed, days, strategy)."""
    return [
        (name, seed, cfg.days, strategy)
        for name in names
        for seed in _seeds(cfg, name)
        for strategy in SCENARIOS[name][0].strategies
        if (strategy != "optimum" or cfg.optimum)
        and (cfg.strategies is None or strategy in cfg.strategies)
    ]


def run_scenarios(cfg: BenchConfig, names: list[str]) -> dict[str, dict[str, object]]:
    """Issue-9 scenarios alone: every strategy on every seed; sums per strategy."""
    started = time.monotonic()
    jobs = scenario_jobs(cfg, names)
    if cfg.workers > 1:
        with Pool(cfg.workers) as pool:
            results = pool.map(run_job, jobs, chunksize=1)
    else:
        results = [run_job(job) for job in jobs]
    return summarise_scenarios(cfg, names, results, time.monotonic() - started)


def summarise_scenarios(
    cfg: BenchConfig,
    names: list[str],
    results: list[tuple[str, str, Figures]],
    elapsed: float,
) -> dict[str, dict[str, object]]:
    """Sum the scenario jobs per strategy, print the tables, return the JSON part."""
    totals: dict[str, dict[str, Figures]] = {name: {} for name in names}
    for name, strategy, figures in results:
        totals[name].setdefault(strategy, Figures()).add(figures)
    summary: dict[str, dict[str, object]] = {}
    for name in names:
        seeds = _seeds(cfg, name)
        span = f"{seeds.start}-{seeds.stop - 1}"
        print(f"scenario {name}: {len(seeds)} seeds ({span}) x {cfg.days} days")
        rows = totals[name]
        keys = list(next(iter(rows.values())).as_dict())
        print("strategy      " + " ".join(f"{k:>12.12}" for k in keys))
        for strategy, figures in rows.items():
            values = figures.as_dict()
            print(f"{strategy:13} " + " ".join(f"{values.get(k, '-')!s:>12.12}" for k in keys))
        summary[name] = {strategy: f.as_dict() for strategy, f in rows.items()}
    print(f"scenarios elapsed {elapsed:.0f} s")
    return summary


def run(
    cfg: BenchConfig, plot_path: Path | None, scenarios: list[str] | None = None
) -> dict[str, object]:
    """Whole bench; returns the JSON summary. One pool runs everything, one job at a time per
    worker (the MILP seeds first, then the scenario runs, then the transformer homes), so no
    worker idles while another finishes a long batch."""
    started = time.monotonic()
    names = scenarios if scenarios is not None else [*SCENARIOS]
    jobs = [(seed, cfg.days, cfg.optimum) for seed in range(1, cfg.seeds + 1)]
    sjobs = scenario_jobs(cfg, names)
    if cfg.workers > 1:
        with Pool(cfg.workers) as pool:
            legacy = pool.map_async(run_seed, jobs, chunksize=1)
            scenario_runs = pool.map_async(run_job, sjobs, chunksize=1)
            tx = run_transformer(cfg.tx_homes, cfg.tx_days, pool.map)
            per_seed = legacy.get()
            results = scenario_runs.get()
    else:
        per_seed = [run_seed(job) for job in jobs]
        results = [run_job(job) for job in sjobs]
        tx = run_transformer(cfg.tx_homes, cfg.tx_days, map)
    totals = {name: Metrics() for name in STRATEGIES if name != "optimum" or cfg.optimum}
    for result in per_seed:
        for name, metrics in result.items():
            totals[name].add(metrics)
    elapsed = time.monotonic() - started
    _print_tables(cfg, totals, tx, elapsed)
    if plot_path is not None:
        tx.plot(plot_path)
    summary: dict[str, object] = {name: m.as_dict() for name, m in totals.items()}
    summary["transformer"] = tx.as_dict()
    summary["scenarios"] = summarise_scenarios(cfg, names, results, elapsed)
    return summary


def _print_tables(
    cfg: BenchConfig, totals: dict[str, Metrics], tx: TransformerResult, elapsed: float
) -> None:
    print(
        f"households: {cfg.seeds} seeds x {cfg.days} winter days, {STEP_S} s steps, "
        f"limit {LIMIT_W / 1000:.1f} kW; elapsed {elapsed:.0f} s"
    )
    head = "strategy  over_limit_s  unavoidable_s  yellow_viol  green_miss  switch_ops  peak_kw"
    print(head)
    for name, m in totals.items():
        print(
            f"{name:8} {m.over_limit_s:13.0f} {m.unavoidable_s:14.0f} {m.yellow_violations:12d}"
            f" {m.green_misses:11d} {m.switch_ops:11d} {m.peak_kw:8.2f}"
        )
    if "optimum" in totals:
        opt = totals["optimum"]
        print(
            f"optimum: proven lower bound on switch_ops {opt.ops_bound:.0f}; days solved to "
            f"optimality {opt.opt_optimal}/{opt.opt_windows}, unsolved {opt.opt_unsolved}"
        )
    print(tx.table())


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default=None)
    parser.add_argument("--legacy-only", action="store_true", help="skip the issue-9 scenarios")
    parser.add_argument("--seeds", help="with --scenario: seeds FIRST-LAST instead of its share")
    parser.add_argument(
        "--strategy", action="append", help="with --scenario: run only this strategy (repeatable)"
    )
    args = parser.parse_args()
    cfg = config_from_env()
    if args.seeds is not None:
        first, _, last = args.seeds.partition("-")
        cfg = replace(cfg, scenario_seeds=range(int(first), int(last or first) + 1))
    if args.strategy:
        cfg = replace(cfg, strategies=tuple(args.strategy))
    quick = os.environ.get("BENCH_QUICK") == "1"
    if args.scenario is not None:
        summary: dict[str, object] = {"scenarios": run_scenarios(cfg, [args.scenario])}
    else:
        plot = None if quick else ROOT / "docs" / "img" / "transformer.png"
        summary = run(cfg, plot, [] if args.legacy_only else None)
    if not quick and not args.legacy_only and args.scenario in (None, "ecopower"):
        from bench.dlm.plot import plot_ecopower_night

        plot_ecopower_night(ROOT / "docs" / "img" / "ecopower_night.png")
    print(json.dumps(summary, sort_keys=False))


if __name__ == "__main__":
    main()
