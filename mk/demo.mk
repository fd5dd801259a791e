# `make demo`: the sim hub household and Home Assistant with BALANCE set up, on 127.0.0.1:8123.
$(DEMO_STAMP): $(STAMP) requirements-demo.txt
	@scripts/setup_venv.sh $(VENV) requirements-demo.txt
	@touch $(DEMO_STAMP)

.PHONY: demo
demo: $(DEMO_STAMP)
	$(PY) scripts/demo.py
