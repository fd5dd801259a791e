# Planner benchmark: ours vs the exact MILP (HiGHS, mip_rel_gap=0) vs EMHASS (pinned, own venv).
# BENCH_NO_EMHASS=1 skips EMHASS (its keys are then null).
EMHASS_VENV := bench/.venv-emhass
EMHASS_REQ := bench/planner/requirements-emhass.txt
EMHASS_STAMP := $(EMHASS_VENV)/.installed-$(shell sha1sum $(EMHASS_REQ) | cut -c1-12)

$(EMHASS_STAMP): $(EMHASS_REQ) scripts/find_python.sh
	@rm -rf $(EMHASS_VENV)
	$$(scripts/find_python.sh) -m venv $(EMHASS_VENV)
	$(EMHASS_VENV)/bin/python -m pip install -q -r $(EMHASS_REQ)
	@touch $@

.PHONY: bench-planner
bench-planner: venv
	@if [ "$(BENCH_NO_EMHASS)" != 1 ]; then \
	  $(MAKE) --no-print-directory $(EMHASS_STAMP) || echo "EMHASS venv could not be created"; fi
	EMHASS_PY=$(EMHASS_VENV)/bin/python $(PY) bench/planner/run.py
