# gridgov: make demo | make test | make e2e | make bench | make lint
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SCALE ?= small

.PHONY: demo test e2e bench lint messages clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gridgov demo --scale $(SCALE) $(if $(FORCE),--force)

test: $(STAMP)
	$(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

e2e: $(STAMP)
	$(BIN)/pytest -m e2e tests/e2e $(PYTEST_ARGS)

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/gridgov

messages: $(STAMP)
	$(BIN)/python -m gridgov.core.i18n_compile

clean:
	rm -rf $(VENV) var build *.egg-info
