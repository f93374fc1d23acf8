# Two commands for everyone:  `make lab` (set up and open the course)  `make test` (set up and run the tests).
# Everything installs into .venv; nothing is registered outside this folder.

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
# nbgrader calls `alembic` by name, so the environment's bin/ goes first on PATH.
export PATH := $(BIN):$(PATH)

COURSE_STAMP := $(VENV)/.course-installed
TEST_STAMP   := $(VENV)/.test-installed

.PHONY: lab test release bench clean help
help:
	@echo "make lab      set up .venv and open the course in JupyterLab"
	@echo "make test     set up .venv (with test tools) and run the whole test suite"
	@echo "make release  regenerate notebooks/ from solutions/ with nbgrader"
	@echo "make bench    measure speed as ratios against anchors (bench/README.md)"
	@echo "make clean    remove .venv and caches (grading/ data is kept)"

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment: on Debian/Ubuntu, 'apt-get install python3-venv'."; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(COURSE_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	# Students need neither JupyterLab's news prompt nor nbgrader's instructor panels.
	$(BIN)/jupyter labextension disable --level=sys_prefix "@jupyterlab/apputils-extension:announcements" >/dev/null
	touch $@

$(TEST_STAMP): $(COURSE_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

lab: $(COURSE_STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

test: $(TEST_STAMP)
	@if [ -n "$$CI" ] && [ ! -x /usr/bin/chromium ]; then \
		echo "CI: installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	$(BIN)/python -m pytest

release: $(COURSE_STAMP)
	$(BIN)/python -m grading.release

bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
