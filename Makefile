# udfi — the two commands a newcomer runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The official IRS blanks are reference data outside the repo (never committed).
UDFI_FORMS_DIR ?= $(abspath ../shared/irs-forms)
export UDFI_FORMS_DIR
DEMO_OUT ?= out/demo

.PHONY: setup test demo bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt scripts/system-deps.sh
	./scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadscope

DEMO_YEARS ?= 2020 2021 2022 2023

demo: setup
	$(BIN)/udfi validate fixtures/sample
	$(BIN)/udfi check fixtures/sample --year 2022
	@for year in $(DEMO_YEARS); do \
		$(BIN)/udfi prepare fixtures/sample --year $$year --out $(DEMO_OUT)/$$year || exit $$?; \
	done
	@echo "packages: $(DEMO_OUT)/<year>/<account_id>/<year>/ (990-T.pdf where a blank exists, statements.pdf, return.json, 990-T.xml), with summary.csv per year"
	@echo "udfi on your PATH: . .venv/bin/activate (this shell) or pipx install . (every shell); outside make, blanks: export UDFI_FORMS_DIR=$(UDFI_FORMS_DIR)"
	@echo "the investor's page: $(BIN)/udfi serve   then open http://127.0.0.1:8000/ (check a year with fixtures/sample zipped, or plan a purchase)"

bench: setup
	$(BIN)/python bench/bench.py $(ARGS)

clean:
	rm -rf $(VENV) out .pytest_cache
