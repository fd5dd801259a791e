# `make test`: lint, format check, strict typing and every pytest suite (HA harness, MicroPython).
LINT_PATHS := custom_components tests bench scripts
PYTEST_ARGS ?=

.PHONY: test lint typecheck pytest broker
test: venv
	$(MAKE) --no-print-directory lint typecheck pytest

lint: venv
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

typecheck: venv
	$(VENV)/bin/mypy custom_components/balance

# The MQTT notifier tests run a real Mosquitto broker (Debian's package).
broker:
	@command -v mosquitto >/dev/null 2>&1 || test -x /usr/sbin/mosquitto || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto; } || \
		{ echo "Install Debian's mosquitto package (the MQTT tests need it)"; exit 1; }

pytest: venv broker
	$(PY) -m pytest -p no:sugar -q --cov=custom_components/balance --cov-report=term-missing:skip-covered --cov-fail-under=95 $(PYTEST_ARGS)
