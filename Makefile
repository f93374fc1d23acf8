# Two commands for everyone:  `make lab` (set up and open the course)  `make test` (set up and run the tests).
# Everything installs into .venv; nothing is registered outside this folder.

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
# nbgrader calls `alembic` by name, so the environment's bin/ goes first on PATH.
export PATH := $(BIN):$(PATH)

COURSE_STAMP     := $(VENV)/.course-installed
INSTRUCTOR_STAMP := $(VENV)/.instructor-installed
HUB_STAMP        := $(VENV)/.hub-installed
TEST_STAMP       := $(VENV)/.test-installed
# Test processes: slow notebook and grading tests run side by side (tests/conftest.py groups them).
TEST_WORKERS ?= auto

.PHONY: lab test release bench mutation clean help bundle example-class grade feedback export report hub
help:
	@echo "make lab      set up .venv and open the course in JupyterLab"
	@echo "make test     set up .venv (with test tools) and run the whole test suite"
	@echo "make release  regenerate notebooks/ from solutions/ with nbgrader"
	@echo "make bench    measure speed as ratios against anchors (bench/README.md)"
	@echo "make mutation plant small bugs in helpers' core, count those the tests catch (tests/mutation/REPORT.md)"
	@echo "make clean    remove .venv and caches (grading/ data is kept)"
	@echo "Instructors (README: For instructors; all of them are 'course COMMAND', see 'course --help'):"
	@echo "make bundle         build/why-nn-student-<week>.zip: the first week's student files (BUNDLE_ARGS='--through 3' later)"
	@echo "make example-class  an example class in grading/submitted/ to try the rest on"
	@echo "make grade          autograde grading/submitted/ in parallel (GRADE_ARGS='--workers 8 --force ...')"
	@echo "make feedback       grading/feedback/<student>/<assignment>/<assignment>.html"
	@echo "make export         grading/reports/grades.csv and totals.csv"
	@echo "make report         grading/reports/report.html"
	@echo "make hub            a term on this machine: JupyterHub, nbgrader's exchange, PostgreSQL (as root; HUB_ARGS='--port 8001')"

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment: on Debian/Ubuntu, 'apt-get install python3-venv'."; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(COURSE_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	# Students need neither JupyterLab's news prompt nor nbgrader's instructor panels.
	$(BIN)/jupyter labextension disable --level=sys_prefix "@jupyterlab/apputils-extension:announcements" >/dev/null
	touch $@

$(INSTRUCTOR_STAMP): $(COURSE_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[instructor]"
	touch $@

$(TEST_STAMP): $(INSTRUCTOR_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,instructor]"
	touch $@

lab: $(COURSE_STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

test: $(TEST_STAMP)
	@if [ -n "$$CI" ]; then \
		missing=""; \
		[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
		command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
		command -v npm >/dev/null || missing="$$missing nodejs npm"; \
		if [ -n "$$missing" ]; then \
			echo "CI: installing Debian's$$missing for the browser, sandbox, PostgreSQL and hub tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		fi; \
		$(BIN)/python -m pip install --quiet -e ".[oracle]"; \
		$(BIN)/python -m pip install --quiet -e ".[hub]"; \
	fi
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=15

release: $(COURSE_STAMP)
	$(BIN)/course release

bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py

# Slow (about an hour on 2 free cores), so not part of `make test`; MODULES='optim train' for some.
mutation: $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[mutation]"
	$(BIN)/python tests/mutation/run.py $(MODULES)

# A term on this machine, as root (README: Deployment for a term); stop it with the command it prints.
hub: $(HUB_STAMP)
	$(BIN)/python -m deploy up --release 01_why_sigmoid $(HUB_ARGS)

$(HUB_STAMP): $(INSTRUCTOR_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[hub]"
	touch $@

# Instructor's steps: each is one `course` subcommand (grading/cli.py).
bundle: $(INSTRUCTOR_STAMP)
	$(BIN)/course bundle $(BUNDLE_ARGS)

example-class: $(INSTRUCTOR_STAMP)
	$(BIN)/course examples

grade: $(INSTRUCTOR_STAMP)
	$(BIN)/course autograde $(GRADE_ARGS)

feedback: $(INSTRUCTOR_STAMP)
	$(BIN)/course feedback

export: $(INSTRUCTOR_STAMP)
	$(BIN)/course export

report: $(INSTRUCTOR_STAMP)
	$(BIN)/course report

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
