# Two commands do everything: `make run` and `make test` (see README.md).
# Each set-up step leaves a stamp named after a hash of its inputs, so a second run skips it.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := run
.PHONY: run test setup train index eval kb-check clean

# Optional local settings (see .env.example).
ifneq (,$(wildcard .env))
include .env
export
endif

STATE := .state
GW := .venv
RS := .venv-rasa
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

hash_of = $(shell cat $(1) | sha256sum | cut -c1-12)

PY311 = $(shell scripts/find-python 3.11)
PY310 = $(shell scripts/find-python 3.10)
GW_ENV := $(STATE)/gateway-env.$(call hash_of,pyproject.toml constraints/gateway.txt retrieval/e5_fast.patch)
RASA_ENV := $(STATE)/rasa-env.$(call hash_of,pyproject.toml constraints/rasa.txt retrieval/e5_fast.patch)
# What the Rasa model depends on; the action server's code is not part of the model.
TRAIN_INPUTS := $(sort $(wildcard bot/config.yml bot/domain.yml nlu_data/*.yml bot/components/*.py)) retrieval/normalize.py retrieval/accents.py
MODEL_HASH := $(call hash_of,$(TRAIN_INPUTS))
MODEL := bot/models/$(MODEL_HASH).tar.gz
EVAL_SET ?= ../shared/eval/dev.jsonl
BROWSER_ENV := $(STATE)/browser-env.$(call hash_of,tests/browser/package-lock.json)

setup: $(GW_ENV) $(RASA_ENV)

train: $(MODEL)

run: $(GW_ENV) $(RASA_ENV) $(MODEL) index
	@$(GW)/bin/python -m gateway.launcher --model $(MODEL)

# Embeds only what changed; reloads the saved index when the knowledge base is unchanged.
index: $(GW_ENV)
	@$(GW)/bin/python -m retrieval.build_index

test: $(GW_ENV) $(RASA_ENV) $(MODEL) $(BROWSER_ENV) kb-check index
	@echo "==> Checking the Rasa training data and domain (rasa data validate)"
	cd bot && PYTHONPATH=$(CURDIR)/bot:$(CURDIR) ../$(RS)/bin/rasa data validate --config config.yml \
		--domain domain.yml --data ../nlu_data
	@echo "==> Unit tests of the Rasa components (Python 3.10)"
	$(RS)/bin/python -m pytest -q tests/bot
	@echo "==> Gateway, retrieval and end-to-end tests (Python 3.11)"
	MODEL=$(MODEL) INDEX_DIR=$(CURDIR)/var/index $(GW)/bin/python -m pytest -q tests --ignore=tests/bot

kb-check: $(GW_ENV)
	@$(GW)/bin/python -m retrieval.kb_check knowledge_base

eval: $(GW_ENV)
	@$(GW)/bin/python $(EVAL_SET:%/dev.jsonl=%/grade.py) $(EVAL_SET) --url http://127.0.0.1:$${PORT:-8000}

$(GW_ENV):
	@echo "==> Setting up the gateway environment (Python 3.11) in $(GW)"
	@mkdir -p $(STATE) && rm -f $(STATE)/gateway-env.*
	@test -x $(GW)/bin/python || $(PY311) -m venv $(GW)
	$(GW)/bin/pip install --upgrade pip wheel
	$(GW)/bin/pip install -c constraints/gateway.txt -e '.[gateway,test]'
	$(GW)/bin/python -m retrieval.e5_engine
	@touch $@

$(RASA_ENV):
	@echo "==> Setting up the Rasa environment (Python 3.10) in $(RS); the first time takes a few minutes"
	@mkdir -p $(STATE) && rm -f $(STATE)/rasa-env.*
	@test -x $(RS)/bin/python || $(PY310) -m venv $(RS)
	$(RS)/bin/pip install --upgrade pip wheel
	$(RS)/bin/pip install -c constraints/rasa.txt -e '.[rasa]'
	$(RS)/bin/python -m retrieval.e5_engine
	@touch $@

# The widget's browser tests: Debian's Chromium driven by playwright-core (Node 20+ is on the machine).
$(BROWSER_ENV):
	@echo "==> Installing Chromium and playwright-core for the web widget's browser tests"
	@mkdir -p $(STATE) && rm -f $(STATE)/browser-env.*
	@test -x /usr/bin/chromium || (apt-get update -q && apt-get install -y -q chromium)
	cd tests/browser && npm ci --no-audit --no-fund
	@touch $@

$(MODEL): $(RASA_ENV)
	@echo "==> Training the Rasa model $(MODEL_HASH) (its training data or pipeline changed)"
	@rm -f bot/models/*.tar.gz
	cd bot && PYTHONPATH=$(CURDIR)/bot:$(CURDIR) ../$(RS)/bin/rasa train --config config.yml \
		--domain domain.yml --data ../nlu_data --out models --fixed-model-name $(MODEL_HASH)

clean:
	rm -rf $(STATE) $(GW) $(RS) bot/models var
