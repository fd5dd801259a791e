# Forward compatibility: strict mypy of custom_components/balance against the sources of other
# HA releases (the newest the registry offers, and 2025.10), plus the newest with voluptuous
# resolved to probatio. Wheels and mypy caches stay in ~/.cache/balance-compat
# ($BALANCE_COMPAT_CACHE), shared by every checkout on the machine. Bump COMPAT_HA when
# `$(PY) scripts/compat_check.py --newest` names a newer release (and list it in
# docs/architecture.md).
COMPAT_HA ?= 2025.10.4 2026.11.0 2026.11.0+probatio

COMPAT_PROBATIO_TESTS ?= tests/integration/test_config_flow.py tests/load_management/test_services.py

.PHONY: compat compat-runtime
compat: venv
	$(PY) scripts/compat_check.py $(COMPAT_HA)

# The flows and actions at run time with voluptuous replaced by probatio (about a minute).
compat-runtime: venv
	$(PY) scripts/compat_check.py --probatio-tests $(COMPAT_PROBATIO_TESTS)

# `make test` runs `compat` first: seconds with warm caches (they outlive checkouts), 2-7 min
# the first time on a machine (downloads, cold mypy caches; measured 2026-12-01).
test: compat
