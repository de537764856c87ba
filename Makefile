# pki.lifecycle — the two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
# Override to try a fresh environment, e.g. `make demo VENV=/tmp/demo-venv`.
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
COLLECTIONS := $(CURDIR)/.collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/pki/lifecycle
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(BIN):$(PATH)

.PHONY: demo demo-venv test unit integration servers venv collection sanity lint package-test bench clean soak

# Two stamps: the demo needs only the runtime (requirements.txt) and ansible-core; `make venv`
# (test, lint, sanity, bench) adds the tools of requirements-dev.txt on top.
ANSIBLE_CORE := ansible-core>=2.16,<2.20
demo-venv: $(VENV)/.runtime-installed
$(VENV)/.runtime-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt '$(ANSIBLE_CORE)'
	touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: $(VENV)/.runtime-installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

collection: $(COLLECTION_LINK)
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

# CA servers, token and SSH for the integration tests (Debian packages; needs root or sudo).
servers:
	bash scripts/install-servers.sh

demo: demo-venv collection
	$(BIN)/ansible-playbook playbooks/demo.yml

# The quality gates run first; a failing gate does not stop the tests, but fails `make test`.
test: venv collection servers
	@rc=0; $(MAKE) -k --no-print-directory sanity lint || rc=$$?; \
	$(BIN)/pytest -q -n 2 tests || rc=$$?; exit $$rc

# ansible-test sanity on a copy of the tree, offline, no ignore entries (scripts/sanity.sh).
sanity: venv servers
	VENV_BIN=$(BIN) bash scripts/sanity.sh

# ansible-lint (production profile, .ansible-lint: roles, playbooks, galaxy.yml, meta/),
# changelog fragments, collection docs.
lint: venv collection
	$(BIN)/ansible-lint --offline --nocolor
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs self $(COLLECTION_LINK)

# The galaxy tarball holds what a user needs, installs offline and runs playbooks/demo.yml;
# ansible-builder makes an execution environment context (also run by `make test` via tests/).
package-test: venv collection
	$(BIN)/pytest -q tests/integration/test_packaging.py

unit: venv collection
	$(BIN)/pytest -q tests/unit

# Benchmarks (bench/README.md), ~30 min. The baseline, community.crypto from PyPI's `ansible`
# package, goes into its own environment .venv-bench: never a dependency of the collection.
BENCH_VENV := $(CURDIR)/.venv-bench
$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --no-deps 'ansible>=12,<13'
	touch $@

bench: venv collection $(BENCH_VENV)/.installed
	$(BIN)/python bench/bench_issuance.py
	$(BIN)/python bench/bench_renewal.py
	$(BIN)/python bench/bench_inventory.py
	$(BIN)/python bench/bench_memory.py
	$(BIN)/python bench/bench_concurrency.py
	$(BIN)/python bench/bench_discovery.py
	$(BIN)/python bench/bench_role.py

clean:
	rm -rf $(VENV) $(COLLECTIONS) tests/output .pytest_cache

# The long soak (tests/integration/test_soak.py): 400 simulated days of the scheduled lifecycle on
# the embedded CA under libfaketime (a CA of 90 days: 4 rollovers), and ten minutes of short-lived
# certificates on OpenBao and on Pebble in real time. `make test` runs the same tests shorter
# (30 days, 150 s). Figures: printed, and in the test's tmp dir (soak-figures.json).
soak: venv collection servers
	PKI_LIFECYCLE_SOAK_DAYS=400 PKI_LIFECYCLE_SOAK_CA_DAYS=90 PKI_LIFECYCLE_SOAK_SECONDS=600 $(BIN)/pytest -q -s -p no:xdist tests/integration/test_soak.py
