# quotabook front door. `make` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PERIOD ?=
DEMO   := data/demo/opportunities.parquet

.DEFAULT_GOAL := help
.PHONY: help install demo pack test lint clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed: installing Debian's python3-venv"; rm -rf $(VENV); \
	  (apt-get update -qq && apt-get install -y -qq python3-venv) >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install quotabook with its test tools

$(DEMO): | $(STAMP)
	$(BIN)/quotabook demo

demo: $(DEMO) ## generate the demo district into data/demo (once)

CHROMIUM ?= /usr/bin/chromium

# PDFs are printed by Debian's chromium (playwright cannot download a browser here); installed once if missing.
$(CHROMIUM):
	@echo "PDF output needs Chromium: installing Debian's chromium package"
	@SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

pack: $(STAMP) $(DEMO) $(CHROMIUM) ## build the demo pack, every region + district, HTML + PDF: the quarter in progress (PERIOD=2026-Q3 for another)
	$(BIN)/quotabook pack $(if $(PERIOD),--period $(PERIOD))

# --durations: every run ends with the 25 slowest tests, so CI shows where its time goes (the suite must stay well
# under 20 min on 2 cores). Scheduling (--dist loadgroup) is in pyproject.toml's pytest options.
test: $(STAMP) ## run the whole test suite
	$(BIN)/python -m pytest -q -n auto --durations=25

lint: $(STAMP) ## ruff check
	$(BIN)/ruff check lib tests

clean: ## remove the venv, generated data and reports
	rm -rf $(VENV) data reports/*/ .pytest_cache
