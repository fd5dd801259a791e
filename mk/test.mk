# `make test`: lint, format check, strict typing and every pytest suite (HA harness, MicroPython).
LINT_PATHS := custom_components tests bench scripts
PYTEST_ARGS ?=

.PHONY: test lint typecheck pytest
test: venv
	$(MAKE) --no-print-directory lint typecheck pytest

lint: venv
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

typecheck: venv
	$(VENV)/bin/mypy custom_components/balance

pytest: venv
	$(PY) -m pytest -p no:sugar -q --cov=custom_components/balance --cov-report=term-missing:skip-covered --cov-fail-under=95 $(PYTEST_ARGS)
