# Two commands a new user needs (see README.md):
#   make lab    open the lecture in JupyterLab (creates .venv on first use)
#   make test   run every check: ruff, library tests, every notebook, stripped outputs
# Also: make bench (performance ratios), make env (just the environment), make clean.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Quiet pip, without the notices about this machine's offline mirrors that are not there.
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: lab test env lint unit notebooks stripped bench clean

env: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing lectures_lib and its dependencies into $(VENV) (first run: about a minute)..."
	@$(PIP) -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import lectures_lib, nbval, ipywidgets" || { echo "install failed"; exit 1; }
	@rm -f $(VENV)/.installed-* && touch $@

lab: $(STAMP)
	@echo "Starting JupyterLab on 127.0.0.1 only; open the http://127.0.0.1:... URL with the token printed below."
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.open_browser=False --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_start_here.ipynb

test: lint stripped unit notebooks
	@echo "make test: all checks passed"

lint: $(STAMP)
	$(BIN)/ruff check lectures_lib tests bench notebooks

stripped: $(STAMP)
	$(BIN)/nbstripout --verify $(NOTEBOOKS)

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests lectures_lib --doctest-modules

notebooks: $(STAMP)
	@test -n "$(NOTEBOOKS)" || { echo "no notebooks found in notebooks/"; exit 1; }
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --nbval-lax --nbval-current-env -p no:cacheprovider $(NOTEBOOKS)

bench: $(STAMP)
	$(BIN)/python bench/samplers.py
	$(BIN)/python bench/sliders.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
