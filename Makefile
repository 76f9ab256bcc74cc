# Fresh-machine entry points: `make demo` and `make test` each create their own virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# Dry run over the bundled example service: findings, then the diffs --apply would write.
# Exit status 1 means "findings remain", which is the expected outcome here.
demo: install
	$(BIN)/memfix --dry-run examples/leaky_service; status=$$?; test $$status -le 1

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .memfix_cache

.PHONY: docs
docs: install
	$(BIN)/python -m memfix.cli.docs docs/rules
