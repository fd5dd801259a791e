# Integration hub load: 240 nodes x 3 channels every 10 s into a real Home Assistant (with the
# frontend, as residents run it, hence the demo requirements).
.PHONY: bench-hub
bench-hub: $(DEMO_STAMP)
	$(PY) bench/hub/run.py
