# Touchloop. `make run` runs it, `make test` tests it; both set themselves up.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
BENCH_CUSTOMERS ?= 10000
BENCH_CASES ?= 100000
# Answers to top up to (PostgreSQL only; 0 adds none). The issue's figures:
# make bench BENCH_CUSTOMERS=1000000 BENCH_ANSWERS=1000000 (or 10000000).
BENCH_ANSWERS ?= 0
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-k api -x"
PYTEST_ARGS ?=

.PHONY: run test bench lint typecheck check clean messages messages-check

run: $(VENV)/.installed-run
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py run_embedded

# make turns every failing exit code into 2; pytest's own is kept for .ci/run.
test: $(VENV)/.installed-dev
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
		echo $$status > $(VENV)/.pytest-exit-code; exit $$status

# Benchmarks write data (seed_bench, created interactions), so they never use
# DATABASE_URL: BENCH_DATABASE_URL names their database, else the embedded SQLite.
# Dispatch and the answer page need PostgreSQL and Redis (BENCH_REDIS_URL,
# default redis://127.0.0.1:6379/9); on SQLite they say so and are skipped.
BENCH_ENV = DATABASE_URL="$(BENCH_DATABASE_URL)" SECRET_KEY=$${SECRET_KEY:-bench-only-secret}
BENCH_INVITATIONS ?= 100000
BENCH_SECONDS ?= 10
bench: $(VENV)/.installed-dev
	$(BENCH_ENV) $(BIN)/python bench/run.py --customers $(BENCH_CUSTOMERS) --cases $(BENCH_CASES) --answers $(BENCH_ANSWERS)
	$(BENCH_ENV) $(BIN)/python bench/dispatch.py --invitations $(BENCH_INVITATIONS)
	$(BENCH_ENV) $(BIN)/python bench/answer_page.py --seconds $(BENCH_SECONDS)
	$(BENCH_ENV) $(BIN)/python bench/imports.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	SECRET_KEY=$${SECRET_KEY:-typecheck-only} $(BIN)/mypy .

check: lint typecheck test

# The Chinese catalogue: `make messages` adds the code's new messages and
# compiles it (needs gettext); translate what `msgattrib --untranslated` and
# `--only-fuzzy` list (a fuzzy entry is gettext's guess, never shown) and run
# it again. `make messages-check` (CI) changes nothing: it fails when a message
# has no Chinese or a guessed one, or the compiled file is older than the .po.
CATALOGUE = locale/zh_Hans/LC_MESSAGES/django
MAKEMESSAGES = DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans \
	--no-obsolete -v0 -i ".venv/*" -i "bench/*" -i "tests/*" -i "var/*"

messages: $(VENV)/.installed-dev
	$(MAKEMESSAGES)
	msgfmt --check -o $(CATALOGUE).mo $(CATALOGUE).po

messages-check: $(VENV)/.installed-dev
	@kept=$$(mktemp -d); cp $(CATALOGUE).po $$kept/django.po; \
	msgfmt -o $$kept/django.mo $(CATALOGUE).po; \
	$(MAKEMESSAGES); \
	untranslated=$$(msgattrib --untranslated $(CATALOGUE).po | grep -c '^msgid '); \
	fuzzy=$$(msgattrib --only-fuzzy $(CATALOGUE).po | grep -c '^msgid '); \
	cp $$kept/django.po $(CATALOGUE).po; \
	if [ "$$untranslated" -gt 1 ]; then \
		echo "$$((untranslated - 1)) messages have no Chinese: make messages"; exit 1; fi; \
	if [ "$$fuzzy" -gt 1 ]; then \
		echo "$$((fuzzy - 1)) messages have a guessed (fuzzy) Chinese: translate them"; exit 1; fi; \
	cmp -s $$kept/django.mo $(CATALOGUE).mo || { \
		echo "$(CATALOGUE).mo is older than its .po: make messages"; exit 1; }

clean:
	rm -rf $(VENV) var staticfiles

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Touchloop needs Python 3.11 or newer, and '$(PYTHON)' is:"; \
		$(PYTHON) --version 2>&1 || echo "  (not found)"; \
		echo "Install Python 3.11+ and run: make $(MAKECMDGOALS) PYTHON=/path/to/python3.11"; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run
