# The two commands: `make run` serves the product on embedded defaults, `make test` runs the
# whole suite. Both set everything up on a fresh machine first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Browser tests drive Debian's chromium; it is installed once, from the Debian packages.
CHROMIUM := /usr/bin/chromium
# The offline speech provider runs espeak-ng: one on the PATH, else Debian's, installed once.
DEBIAN_ESPEAK := /usr/bin/espeak-ng
ESPEAK := $(or $(shell command -v espeak-ng 2>/dev/null),$(DEBIAN_ESPEAK))
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: setup run test lint format clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed $(ESPEAK)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

$(DEBIAN_ESPEAK):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq espeak-ng

# Sets up, makes the sample drama end to end (once: a second run reuses it), then serves the
# admin, the API, /docs and the viewer with a worker, and prints their addresses.
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap_admin --url http://127.0.0.1:$(PORT) > /dev/null
	$(PY) manage.py sample
	bash bin/run-dev $(PORT)

test: setup $(CHROMIUM)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var
