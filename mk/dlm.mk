# DLM benchmark: none / naive / ours / MILP optimum on simulated winter households + transformer.
# BENCH_QUICK=1 for a 2-seed, 3-day smoke run; BENCH_NO_OPT=1 skips the MILP.
.PHONY: bench-dlm
bench-dlm: venv
	@$(PY) -c "import matplotlib" 2>/dev/null || $(PY) -m pip install -q -r requirements-bench.txt
	$(PY) bench/dlm/run.py
