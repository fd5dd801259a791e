# Protocol codec throughput in CPython and in MicroPython.
.PHONY: bench-protocol
bench-protocol: venv
	$(PY) bench/protocol/run.py

# Long fuzz of both frame decoders (plain, MAC'd and sealed sessions, any sealed body size):
# FUZZ_EXAMPLES hypothesis examples per property, replayed through MicroPython too.
FUZZ_EXAMPLES ?= 100000
.PHONY: fuzz-protocol
fuzz-protocol: venv
	BALANCE_PROPERTY_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:sugar -q tests/protocol/test_properties.py
