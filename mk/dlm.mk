# DLM benchmark: none / naive / onoff / ours (/ MILP optimum on the legacy homes) on simulated
# winter households + transformer, and the issue-9 scenarios ecopower, three_phase, capacity.
# BENCH_QUICK=1 for a 2-seed, 3-day smoke run; BENCH_NO_OPT=1 skips the MILP;
# `make bench-dlm SCENARIO=ecopower` runs one issue-9 scenario alone. mk/firmware.mk gives
# SCENARIO a default for `make sim`, so only a SCENARIO from the command line or the
# environment selects a bench scenario. With it, SEEDS=11-30 runs other seeds than the
# scenario's share and STRATEGY="ours none" only those strategies.
BENCH_DLM_SCENARIO = $(if $(filter command line environment environment override,$(origin SCENARIO)),--scenario $(SCENARIO))
.PHONY: bench-dlm
bench-dlm: venv
	@$(PY) -c "import matplotlib" 2>/dev/null || $(PY) -m pip install -q -r requirements-bench.txt
	$(PY) bench/dlm/run.py $(BENCH_DLM_SCENARIO) $(if $(SEEDS),--seeds $(SEEDS)) \
		$(foreach s,$(STRATEGY),--strategy $(s))
