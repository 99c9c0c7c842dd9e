# Two commands for a newcomer: `make run` (a node on http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FEDIFY := tests/interop/fedify
MASTODON_CLIENTS := tests/interop/mastodon_clients
OIDC_PROVIDER := tests/accounts/oidc_provider
BROWSER := tests/browser
CHROMIUM := /usr/bin/chromium
IPTABLES := /usr/sbin/iptables

.PHONY: run test test-deps lint check clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/smartnode init
	$(BIN)/smartnode seed --if-empty
	$(BIN)/smartnode serve --host 127.0.0.1 --port 8000

# Fedify (npm) for the interop tests; they fail, never skip, without it.
$(FEDIFY)/node_modules/.installed: $(FEDIFY)/package.json $(FEDIFY)/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20+ with npm is needed for the interop tests"; exit 1; }
	cd $(FEDIFY) && npm ci --no-audit --no-fund
	touch $@

# masto.js and megalodon (npm), real Mastodon client libraries, for the Mastodon API interop
# tests (tests/interop/test_mastodon_clients.py); they fail, never skip, without them.
$(MASTODON_CLIENTS)/node_modules/.installed: $(MASTODON_CLIENTS)/package.json $(MASTODON_CLIENTS)/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20.18+ with npm is needed for the Mastodon client tests"; exit 1; }
	cd $(MASTODON_CLIENTS) && npm ci --no-audit --no-fund
	touch $@

# oidc-provider (npm) for the OpenID sign-in tests; they fail, never skip, without it.
$(OIDC_PROVIDER)/node_modules/.installed: $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20+ with npm is needed for the OpenID sign-in tests"; exit 1; }
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium and axe-core (npm) for the browser tests (tests/browser); Playwright drives
# the system's Chromium, it never downloads a browser. The tests fail, never skip, without them.
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "Debian's chromium is needed at $(CHROMIUM) for the browser tests"; exit 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(BROWSER)/node_modules/.installed: $(BROWSER)/package.json $(BROWSER)/package-lock.json | $(CHROMIUM)
	@command -v npm >/dev/null || { echo "Node.js 20+ with npm is needed for the browser tests"; exit 1; }
	cd $(BROWSER) && npm ci --no-audit --no-fund
	touch $@

# Debian's iptables (and iproute2's `ip`) for the network fault test
# (tests/faults/test_network_faults.py): its rules live in network namespaces the test makes and
# removes, as root. The test fails, never skips, without them.
$(IPTABLES):
	@command -v apt-get >/dev/null || { echo "Debian's iptables is needed at $(IPTABLES) for the network fault test"; exit 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables iproute2

# Everything the suite needs, installed once (CI installs it before running two suites at once).
test-deps: $(VENV)/.installed-test $(FEDIFY)/node_modules/.installed $(MASTODON_CLIENTS)/node_modules/.installed $(OIDC_PROVIDER)/node_modules/.installed $(BROWSER)/node_modules/.installed $(IPTABLES)

test: test-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
