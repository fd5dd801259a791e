# Analytics benchmark: forecasts, leak alerts, theft/fault suspicion, phase balancing, 720-meter
# group update time (bench/analytics/run.py). BENCH_QUICK=1 for a smaller smoke run.
.PHONY: bench-analytics
bench-analytics: venv
	$(PY) bench/analytics/run.py
