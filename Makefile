# BALANCE for Home Assistant — developer commands. `make test` and `make demo` install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := test
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements-test.txt | cut -c1-12)
DEMO_STAMP := $(VENV)/.installed-demo-$(shell sha1sum requirements-demo.txt | cut -c1-12)

$(STAMP): requirements-test.txt scripts/find_python.sh
	@scripts/setup_venv.sh $(VENV) requirements-test.txt
	@touch $(STAMP)

.PHONY: venv
venv: $(STAMP)

include mk/*.mk
