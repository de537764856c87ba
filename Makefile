# pki.lifecycle — the two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
COLLECTIONS := $(CURDIR)/.collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/pki/lifecycle
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(BIN):$(PATH)

.PHONY: demo test unit integration servers venv collection sanity lint bench clean

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

collection: $(COLLECTION_LINK)
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

# CA servers, token and SSH for the integration tests (Debian packages; needs root or sudo).
servers:
	bash scripts/install-servers.sh

demo: venv collection
	$(BIN)/ansible-playbook playbooks/demo.yml

test: venv collection servers
	$(BIN)/pytest -q -n 2 tests

unit: venv collection
	$(BIN)/pytest -q tests/unit

clean:
	rm -rf $(VENV) $(COLLECTIONS) tests/output .pytest_cache
