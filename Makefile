# tapgen: render the spec into out/, test, and drive Terraform per workspace.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SPEC   ?= environments.yaml
OUT    ?= out

.PHONY: help install install-test render check test clean

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(VENV)/.installed ## Make .venv with tapgen installed (editable)

install-test: $(VENV)/.installed-test ## Add the test tools to .venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

render: install ## Render $(SPEC) into $(OUT)/
	$(BIN)/tapgen render --spec $(SPEC) --out $(OUT)

check: install ## Exit 1 with a diff if $(OUT)/ is not what $(SPEC) renders to
	$(BIN)/tapgen render --check --spec $(SPEC) --out $(OUT)

test: install-test ## Run the whole test suite
	$(BIN)/pytest

clean: ## Remove the venv and build and test leftovers
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
