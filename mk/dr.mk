# Utility link benchmark: OpenADR event -> first shed directive (polling, webhook, MQTT), reports after a 7-day outage.
# BENCH_DR_POLL_S (default 2) sets the poll interval T, BENCH_DR_TRIALS (default 6) the events timed.
.PHONY: bench-dr
bench-dr: venv broker
	$(PY) bench/dr/run.py
