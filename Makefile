# Kelas Imigrasi: `make run` starts the app with demo content; `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PYTHON := $(VENV)/bin/python
FLASK := $(PYTHON) -m flask --app lms
PORT ?= 5000
export PORT
SYSTEM_PACKAGES := $(shell grep -v '^\#' system-packages.txt)

.PHONY: run test venv system-check system-deps setup lint bench bench-smoke security

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v python3 >/dev/null || { echo "Python 3.11+ is needed: apt-get install python3 python3-venv"; exit 1; }
	python3 -m venv $(VENV) || { echo "Creating the virtual environment failed: apt-get install python3-venv"; exit 1; }
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# Says exactly which Debian packages are missing; never skips silently.
system-check:
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	[ -e /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || missing="$$missing fonts-noto-core"; \
	if [ -n "$$missing" ]; then \
	  echo "Missing system packages:$$missing"; \
	  echo "Install them with:  sudo apt-get update && sudo apt-get install -y$$missing   (or: sudo make system-deps)"; \
	  exit 1; \
	fi

system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES)

setup: venv
	$(FLASK) translate compile
	$(FLASK) setup

run: setup
	$(FLASK) serve --port $(PORT)

test: venv system-check
	$(FLASK) translate compile
	$(PYTHON) -m pytest

lint: venv
	$(VENV)/bin/ruff check lms tests config.py
	$(VENV)/bin/ruff format --check lms tests config.py

# Benchmarks (never part of `make test`): loopback only; see bench/run.py and "Performance" in README.md.
bench: venv
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	@[ -x /usr/bin/chromium ] || { echo "Chromium is missing: sudo apt-get install -y chromium"; exit 1; }
	@command -v npm >/dev/null || { echo "Node.js 20 with npm is needed for Lighthouse: sudo apt-get install -y nodejs npm"; exit 1; }
	$(PYTHON) -m pip install --quiet -r bench/requirements.txt
	cd bench && npm install --no-audit --no-fund --loglevel=error
	$(PYTHON) bench/run.py

bench-smoke: venv
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(PYTHON) -m pip install --quiet -r bench/requirements.txt
	$(PYTHON) bench/run.py --smoke

# Security (never part of `make test`): every hostile payload and file, fault injection on a real server,
# dependency audit and static analysis. Loopback only; see scripts/security/README.md.
security: venv
	$(PYTHON) -m pip install --quiet -r requirements-security.txt
	$(FLASK) translate compile
	$(PYTHON) -m pytest tests/security -q
	$(PYTHON) scripts/security/hostile_input.py
	$(PYTHON) scripts/security/faults.py
	$(VENV)/bin/pip-audit -r requirements.txt --progress-spinner off
	$(VENV)/bin/bandit -r lms -q -b scripts/security/bandit-baseline.json
