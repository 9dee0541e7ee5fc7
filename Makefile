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
# pytest-xdist's processes (0: one process, in order).
PYTEST_WORKERS ?= auto

.PHONY: run test bench lint typecheck check clean messages messages-check \
	lock lock-check upgrade prod-check

run: $(VENV)/.installed-run
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py run_embedded

# make turns every failing exit code into 2; pytest's own is kept for .ci/run.
# The run's clock is drawn and printed in the header; replay a draw with
# make test TEST_NOW=2026-12-07T00:30 TEST_TIME_ZONE=Asia/Shanghai (tests/clock.py).
test: $(VENV)/.installed-dev
	@$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS); status=$$?; \
		echo $$status > $(VENV)/.pytest-exit-code; exit $$status

# Benchmarks write data (seed_bench, created interactions), so they never use
# DATABASE_URL: BENCH_DATABASE_URL names their database, else the embedded SQLite.
# Dispatch and the answer page need PostgreSQL and Redis (BENCH_REDIS_URL,
# default redis://127.0.0.1:6379/9); on SQLite they say so and are skipped.
BENCH_ENV = DATABASE_URL="$(BENCH_DATABASE_URL)" SECRET_KEY=$${SECRET_KEY:-bench-only-not-a-secret-only-for-this-step-0123456789abcdefghij}
BENCH_INVITATIONS ?= 100000
BENCH_SECONDS ?= 10
# Comments read by two workers (bench/text_enrichment.py); the issue's figure
# is at 100,000 (about 4 minutes with the seeding, at 690 comments/s).
BENCH_COMMENTS ?= 100000
# Answers seeded for a pilot's result (bench/pilot_result.py; the issue's 1,000,000).
BENCH_PILOT_ANSWERS ?= 1000000
# Customers erased (bench/erasure.py: 1,000 answers and 100 cases each, among
# BENCH_CUSTOMERS; the issue's figure at BENCH_CUSTOMERS=1000000), per mode.
BENCH_ERASURES ?= 5
# Expired answers anonymised by the retention rule while answers arrive
# (bench/retention.py; the issue's 100,000 in under 60 s).
BENCH_RETENTION_ANSWERS ?= 100000
bench: $(VENV)/.installed-dev
	$(BENCH_ENV) $(BIN)/python bench/run.py --customers $(BENCH_CUSTOMERS) --cases $(BENCH_CASES) --answers $(BENCH_ANSWERS)
	$(BENCH_ENV) $(BIN)/python bench/dispatch.py --invitations $(BENCH_INVITATIONS)
	$(BENCH_ENV) $(BIN)/python bench/answer_page.py --seconds $(BENCH_SECONDS)
	$(BENCH_ENV) $(BIN)/python bench/imports.py
	$(BENCH_ENV) $(BIN)/python bench/text_enrichment.py --comments $(BENCH_COMMENTS)
	$(BENCH_ENV) $(BIN)/python bench/pilot_result.py --answers $(BENCH_PILOT_ANSWERS)
	$(BENCH_ENV) $(BIN)/python bench/retention.py --answers $(BENCH_RETENTION_ANSWERS)
	$(BENCH_ENV) $(BIN)/python bench/erasure.py --customers $(BENCH_CUSTOMERS) --runs $(BENCH_ERASURES)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(VENV)/.installed-dev
	SECRET_KEY=$${SECRET_KEY:-typecheck-only-not-a-secret-only-for-this-step-0123456789abcdefghij} $(BIN)/mypy . .ci/prod_check.py

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

# Installs take the hashed locks alone: a package whose hash differs, or one
# that no lock names, is refused.
$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

# Dependencies are declared once, in pyproject.toml ([project] for the
# runtime, [dependency-groups] dev for the tools), and locked with hashes by
# uv: requirements.txt (what the image installs) and requirements-dev.txt
# (the same runtime pins plus the tools). `make lock` keeps every pin that
# still fits and resolves only what changed; `make upgrade` moves every pin to
# the newest release the registry serves, then runs the tests; `make
# lock-check` (CI) fails when a lock no longer matches pyproject.toml.
UV_COMPILE = $(abspath $(BIN))/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet \
	--custom-compile-command "make lock   (from pyproject.toml; never edit by hand)"
# $(1): the runtime lock's path, $(2): the dev lock's path, $(3): more options.
lock_into = $(UV_COMPILE) $(3) -o $(1) && \
	$(UV_COMPILE) $(3) --group dev --constraints $(1) -o $(2)

# uv alone, from the dev lock: locking must work when the locks themselves
# are broken (a hand-edited hash would stop the full install).
$(VENV)/.installed-uv: requirements-dev.txt | $(BIN)/python
	awk '/^uv==/ { keep = 1; print; next } /^[^ ]/ { keep = 0 } keep' \
		requirements-dev.txt > $(VENV)/uv-requirement.txt
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps \
		-r $(VENV)/uv-requirement.txt
	touch $@

lock: $(VENV)/.installed-uv
	$(call lock_into,requirements.txt,requirements-dev.txt,)

upgrade: $(VENV)/.installed-uv
	$(call lock_into,requirements.txt,requirements-dev.txt,--upgrade)
	$(MAKE) test

# Locks again in a scratch directory, preferring the committed versions (but
# not their hashes, which uv would reuse), and compares: a dependency added
# without relocking, or a lock edited by hand, gives a different file.
lock-check: $(VENV)/.installed-uv
	@scratch=$$(mktemp -d); trap 'rm -rf $$scratch' EXIT; \
	cp pyproject.toml $$scratch/; \
	for lock in requirements.txt requirements-dev.txt; do \
		grep -E '^[A-Za-z0-9]' $$lock | sed 's/ *\\$$//' > $$scratch/$$lock; done; \
	(cd $$scratch && $(call lock_into,requirements.txt,requirements-dev.txt,)) || exit 1; \
	for lock in requirements.txt requirements-dev.txt; do \
		cmp -s $$lock $$scratch/$$lock && continue; \
		if [ "$$(grep -E '^[A-Za-z0-9]' $$lock)" = "$$(grep -E '^[A-Za-z0-9]' $$scratch/$$lock)" ]; then \
			echo "$$lock has the right versions but not their hashes: it was edited by hand. Run 'make lock' and commit both locks"; \
		else \
			echo "$$lock does not pin what pyproject.toml asks for (a dependency was added, removed or changed without relocking, or a pin was edited by hand). Run 'make lock' and commit both locks"; \
		fi; exit 1; \
	done; echo "requirements.txt and requirements-dev.txt match pyproject.toml"

# The production-shaped run: the runtime lock alone in a new venv, the
# image's and compose's commands against PostgreSQL and Redis, one loop end to
# end over HTTP and SMTP, then SIGTERM (.ci/prod_check.py says more).
prod-check: $(VENV)/.installed-dev
	$(BIN)/python .ci/prod_check.py
