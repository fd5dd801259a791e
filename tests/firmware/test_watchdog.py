"""SimWatchdog (the sim board's stand-in for machine.WDT) records feeds and starvation."""

from mpy_run import run_mpy


def test_sim_watchdog_records_feeds_and_starvation():
    result = run_mpy("watchdog_sim.py")
    assert result["feeds"] == 10 and result["gap"] == 1000
    assert result["starved_ok"] is False
    assert result["starved_idle"] is True  # 6 s without a feed on a 5 s watchdog
    assert result["starved_after"] == [True, 6000, 11]  # it stays recorded after feeding
    assert result["real_clock"] == [1, False]
