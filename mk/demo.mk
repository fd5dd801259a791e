# `make demo`: the sim hub household and Home Assistant with BALANCE set up, on 127.0.0.1:8123.
$(DEMO_STAMP): $(STAMP) requirements-demo.txt
	@scripts/setup_venv.sh $(VENV) requirements-demo.txt
	@touch $(DEMO_STAMP)

.PHONY: demo demo-reset
demo: $(DEMO_STAMP)
	$(PY) scripts/demo.py

demo-reset:
	rm -rf demo/state demo/config/.storage demo/config/.HA_VERSION demo/config/blueprints \
		demo/config/home-assistant* demo/config/custom_components demo/config/tts
