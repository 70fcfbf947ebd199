# Two commands a new user needs (see README.md):
#   make lab    open the lecture in JupyterLab (creates .venv on first use)
#   make test   run every check: ruff, library tests, every notebook, stripped outputs
# Also: make site (the course website, one folder: build/site), make site-serve (serve it on 127.0.0.1),
#       make app (the demos as Voila apps), make browser (the real-browser tests), make bench, make env, make clean.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Quiet pip, without the notices about this machine's offline mirrors that are not there.
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: lab test env lint unit notebooks stripped browser site site-serve site-browser app bench clean lite lite-serve \
        lite-browser test-oldest

# Servers listen on 127.0.0.1 only and want a token (tests/browser/test_lab_security.py checks `make -n lab`).
LAB_ARGS := --ServerApp.ip=127.0.0.1 --ServerApp.open_browser=False --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root)
APP_ARGS := --no-browser --Voila.ip=127.0.0.1 --Voila.auto_token=True
# Kernels talk to the server over local sockets (ipc), not TCP: no "running over TCP without encryption"
# warning per notebook.  The app uses tools/app/lecture (Voila's lab template without CDN stylesheets).
LAB_ARGS += --KernelManager.transport=ipc
APP_ARGS += --KernelManager.transport=ipc --template=lecture
VOILA_TEMPLATE := $(VENV)/share/jupyter/voila/templates/lecture/index.html.j2

env: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing lectures_lib and its dependencies into $(VENV) (first run: about a minute)..."
	@$(PIP) -e '.[lab,test]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import lectures_lib, nbval, ipywidgets" || { echo "install failed"; exit 1; }
	@rm -f $(VENV)/.installed-* && touch $@

lab: $(STAMP)
	@echo "Starting JupyterLab on 127.0.0.1 only; open the http://127.0.0.1:... URL with the token printed below."
	$(BIN)/jupyter lab $(LAB_ARGS) notebooks/00_start_here.ipynb

test: lint stripped unit notebooks browser lite-browser site-browser
	@echo "make test: all checks passed"

lint: $(STAMP)
	$(BIN)/ruff check lectures_lib tests bench notebooks tools

# What git holds is checked, not the working file: a student's saved outputs never fail `make test`.
stripped: $(STAMP)
	$(BIN)/python tools/check_stripped.py $(NOTEBOOKS)

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests lectures_lib --doctest-modules --ignore=tests/browser --ignore=tests/lite \
	    --ignore=tests/site

notebooks: $(STAMP)
	@test -n "$(NOTEBOOKS)" || { echo "no notebooks found in notebooks/"; exit 1; }
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --nbval-lax --nbval-current-env -p no:cacheprovider $(NOTEBOOKS)

# JupyterLab and Voila in headless Chromium (Debian's /usr/bin/chromium); one server for all tests.
browser: $(STAMP) $(VOILA_TEMPLATE)
	$(BIN)/python -m pytest -q tests/browser -p no:cacheprovider

# The course website, one folder with everything (tools/build_site.py; offline): build/site/index.html.
# Pages by Sphinx + myst-nb + sphinx-book-theme (pinned in tools/site/requirements.txt, own venv .venv-site),
# the JupyterLite site of `make lite` in build/site/lite/, the slide decks in build/site/slides/.
# A notebook is executed only if it (or the library) changed since the last run (build/executed/).
SITE_VENV  ?= .venv-site
SITE_STAMP := $(SITE_VENV)/.installed-$(shell cat tools/site/requirements.txt tools/site/package-lock.json | cksum | cut -d' ' -f1)
SITE_PORT  ?= 8000

$(SITE_STAMP): tools/site/requirements.txt tools/site/package-lock.json
	@test -x $(SITE_VENV)/bin/python || $(PYTHON) -m venv $(SITE_VENV)
	@echo "Installing the website's build tools (Sphinx, myst-nb, sphinx-book-theme) into $(SITE_VENV), MathJax 3 (npm)..."
	@$(SITE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r tools/site/requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
	@$(SITE_VENV)/bin/sphinx-build --version >/dev/null || { echo "install failed"; exit 1; }
	npm ci --prefix tools/site --ignore-scripts --no-audit --no-fund --loglevel=error
	@rm -f $(SITE_VENV)/.installed-* && touch $@

site: $(STAMP) $(SITE_STAMP) tools/slides/node_modules/reveal.js/dist/reveal.js lite
	$(BIN)/python tools/build_site.py --out build/site

site-serve: $(STAMP)
	@test -f build/site/index.html || { echo "build/site/ is missing: run make site first"; exit 1; }
	$(BIN)/python tools/serve_site.py build/site --port $(SITE_PORT)

# The website in headless Chromium, served under a sub-path: every page crawled, search, run, slides, homework.
site-browser: site $(STAMP)
	$(BIN)/python -m pytest -q tests/site -p no:cacheprovider

# The notebooks as apps without code cells (Voila): the tree of notebooks at the URL printed below.
app: $(STAMP) $(VOILA_TEMPLATE)
	@echo "Serving the notebooks as apps (Voila) on 127.0.0.1 only; open the URL with the token printed below."
	$(BIN)/voila $(APP_ARGS) notebooks

# Mutation run: small wrong changes to lectures_lib's formulas, one at a time in a scratch copy
# (tools/mutants.toml); fails if the tests covering a formula do not notice its mutant.
.PHONY: mutants
mutants: $(STAMP)
	$(BIN)/python tools/mutants.py

$(VOILA_TEMPLATE): $(STAMP) tools/app/lecture/index.html.j2 tools/app/lecture/conf.json
	@mkdir -p $(dir $@) && cp tools/app/lecture/index.html.j2 tools/app/lecture/conf.json $(dir $@)

# The trained weights notebooks 06, 08 and 09 load (lectures_lib/weights/, under a minute on 2 idle cores):
# every recipe of lectures_lib/recipes.py, run once; tests/test_trained.py fails when they are stale.
.PHONY: weights
weights: $(STAMP)
	$(BIN)/python -m tools.train_weights

bench: $(STAMP)
	$(BIN)/python bench/samplers.py
	$(BIN)/python bench/sliders.py
	$(BIN)/python bench/estimators.py
	$(BIN)/python bench/concrete.py
	$(BIN)/python bench/vae.py

clean:
	rm -rf $(VENV) $(LITE_VENV) $(OLDEST_VENV) $(SITE_VENV) tools/lite/node_modules tools/site/node_modules \
	       tools/slides/node_modules .pytest_cache .ruff_cache build *.egg-info

# Zero install (JupyterLite): the whole lecture in the browser, Python included (Pyodide), as static files.
#   make lite         build build/lite/ (offline after the first run: packages are cached in build/cache/)
#   make lite-serve   serve build/lite/ on 127.0.0.1 and print the URL to open
#   make lite-browser build it, then run every notebook in it in headless Chromium (part of make test)
# PYODIDE_DIST=<official Pyodide 0.27.7 folder or .tar.bz2> takes the compiled packages from there.
LITE_VENV  ?= .venv-lite
LITE_STAMP := $(LITE_VENV)/.installed-$(shell cat tools/lite/build-requirements.txt tools/lite/package-lock.json | cksum | cut -d' ' -f1)
LITE_PORT  ?= 8000

$(LITE_STAMP): tools/lite/build-requirements.txt tools/lite/package-lock.json
	@test -x $(LITE_VENV)/bin/python || $(PYTHON) -m venv $(LITE_VENV)
	@echo "Installing the JupyterLite build tools into $(LITE_VENV) and the Pyodide runtime (npm)..."
	@$(LITE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/lite/build-requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
	npm ci --prefix tools/lite --ignore-scripts --no-audit --no-fund --loglevel=error
	@rm -f $(LITE_VENV)/.installed-* && touch $@

lite: $(LITE_STAMP) homework
	PYODIDE_DIST="$(PYODIDE_DIST)" $(LITE_VENV)/bin/python tools/build_lite.py --out build/lite --homework $(HOMEWORK_OUT)

lite-serve: $(STAMP)
	@test -f build/lite/index.html || { echo "build/lite/ is missing: run make lite first"; exit 1; }
	$(BIN)/python tools/serve_lite.py build/lite --port $(LITE_PORT)

lite-browser: lite $(STAMP)
	$(BIN)/python -m pytest -q tests/lite -p no:cacheprovider

# The oldest versions the library supports (the browser's: Pyodide 0.27.7), on CPython: the library tests
# (not the grading and notebook-tooling tests, which need the lab extra).
OLDEST_VENV   ?= .venv-oldest
OLDEST_PYTHON ?= $(shell command -v python3.12 >/dev/null 2>&1 && python3.12 -c "" 2>/dev/null && command -v python3.12 || ls /root/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -1 || echo $(PYTHON))

test-oldest:
	@test -x $(OLDEST_VENV)/bin/python || $(or $(OLDEST_PYTHON),$(PYTHON)) -m venv $(OLDEST_VENV)
	@$(OLDEST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c tools/oldest-constraints.txt -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
	$(OLDEST_VENV)/bin/python -c "import sys, numpy, scipy, matplotlib, sympy, sklearn; print('oldest:', sys.version.split()[0], 'numpy', numpy.__version__, 'scipy', scipy.__version__, 'matplotlib', matplotlib.__version__, 'sympy', sympy.__version__, 'scikit-learn', sklearn.__version__)"
	TORCH_OPTIONAL=1 $(OLDEST_VENV)/bin/python -m pytest -q -n 2 tests lectures_lib --doctest-modules --ignore=tests/browser --ignore=tests/lite --ignore=tests/site --ignore-glob='tests/test_homework*' --ignore=tests/test_stripped.py -p no:cacheprovider

# Homework (instructors: homework/README.md), all offline:
#   make homework                    student notebooks, hand-out zips, autograder zips in build/homework/
#   make grade SUBMISSIONS=<folder>  grade every submitted .ipynb under <folder>: build/homework/grades/
#   make homework-clean              remove build/homework/
# Student code runs in a bubblewrap sandbox (Debian package bubblewrap), the tests outside it: homework/README.md.
HOMEWORK_OUT ?= build/homework
GRADE_ARGS   ?=

.PHONY: homework grade homework-clean

homework: $(STAMP)
	$(BIN)/python -m tools.homework build --out $(HOMEWORK_OUT)

grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder with the submitted .ipynb files>"; exit 2; }
	$(BIN)/python -m tools.homework grade "$(SUBMISSIONS)" --build $(HOMEWORK_OUT) $(GRADE_ARGS)

homework-clean:
	rm -rf $(HOMEWORK_OUT)

# Slide decks for presenting (reveal.js 4 from npm, served from build/slides/assets; no CDN):
#   make slides    build/slides/NN_name.slides.html, one per notebook (executed now, offline)
.PHONY: slides
slides: $(STAMP) tools/slides/node_modules/reveal.js/dist/reveal.js
	$(BIN)/python tools/build_slides.py --out build/slides

tools/slides/node_modules/reveal.js/dist/reveal.js: tools/slides/package.json tools/slides/package-lock.json
	npm ci --prefix tools/slides --no-audit --no-fund --ignore-scripts
	@touch $@
