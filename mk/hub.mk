# Integration hub load: 240 nodes x 3 channels every 10 s into a real Home Assistant.
.PHONY: bench-hub
bench-hub: venv
	$(PY) bench/hub/run.py
