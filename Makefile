# Consult: `make run` serves the app on 127.0.0.1:5000, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := consult

.PHONY: run test bench install translations messages demo clean stack stack-down

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# axe-core, for the browser tests' accessibility checks: from npm, at a pinned version,
# into instance/node (git-ignored), where tests/e2e/test_accessibility.py reads it.
AXE_VERSION := 4.14.1
AXE := instance/node/node_modules/axe-core/axe.min.js

# Without npm the app still installs and runs; the accessibility test then says what is missing.
$(AXE): Makefile
	@if command -v npm >/dev/null; then \
		npm install --prefix instance/node --no-audit --no-fund --save-exact axe-core@$(AXE_VERSION) && touch $@; \
	else echo "npm not found: axe-core not installed, the accessibility test cannot run"; fi

install: $(VENV)/.installed $(AXE)

# Compiled catalogues are built, not committed.
translations: install
	$(BIN)/pybabel -q compile -d consult/translations

# After changing user-visible strings: extract them and merge into the catalogues.
messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o consult/translations/messages.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching -i consult/translations/messages.pot -d consult/translations

# First what the app needs from the system (Pango, for the PDFs): one line with the fix.
run: translations
	@$(BIN)/python -m consult.pdf --check
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --if-empty
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m consult.serve

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: translations
	$(BIN)/python -m bench

# The full stack on 127.0.0.1: PostgreSQL, Redis, STACK_PROCESSES gunicorn processes (2)
# and nginx on STACK_PORT (8080), with the demo area; everything in instance/stack.
stack: translations
	$(BIN)/python -m consult.stack up

stack-down:
	$(BIN)/python -m consult.stack down

clean:
	rm -rf $(VENV) .pytest_cache
