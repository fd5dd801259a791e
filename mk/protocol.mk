# Protocol codec throughput in CPython and in MicroPython.
.PHONY: bench-protocol
bench-protocol: venv
	$(PY) bench/protocol/run.py
