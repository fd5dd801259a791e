# Hub firmware: `make sim` runs the simulated hub (SCENARIO=..., SIM_ARGS=... for more options,
# e.g. SIM_ARGS="--speed 60 --fast-forward-days 3"); `make bench-firmware` prints the bench JSON.
SCENARIO ?= hub_firmware/sim/scenarios/default.json
SIM_TCP ?= 127.0.0.1:6638
SIM_ARGS ?=

.PHONY: sim bench-firmware
sim: venv
	MICROPYPATH=hub_firmware:.frozen $(VENV)/bin/micropython -m boards.sim \
		--scenario $(SCENARIO) --tcp $(SIM_TCP) $(SIM_ARGS)

bench-firmware: venv
	$(PY) bench/firmware/run.py
