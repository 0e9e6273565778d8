# The README's commands. Each sets up what it needs: a .venv with the Python
# dependencies and, for the tests, the Debian packages they drive.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEBIAN_TEST_PACKAGES := chromium fonts-dejavu-core fonts-liberation rclone git libreoffice-calc python3-uno poppler-utils zbar-tools
SAMPLE := workbook/sample.xlsx

.PHONY: setup system-deps demo test test-fast lint bench bench-large clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Installs the Debian packages the tests drive, only those missing (needs root or sudo).
system-deps:
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

demo: setup
	$(PY) -m portal.front.demo

# The whole suite, browser tests included, after the linters.
test: setup system-deps lint
	$(PY) -m pytest -q

# The quick lane: no browser, no Debian packages to install; under a minute on two cores.
test-fast: setup lint
	$(PY) -m pytest -q -m "not e2e and not slow" -n 2

lint: setup
	$(VENV)/bin/ruff check portal tests bench
	$(VENV)/bin/ruff format --check portal tests bench
	$(VENV)/bin/mypy

# Times our build (cold, nothing changed, one invoice changed) against Debian's hugo, which it
# installs when missing, at the reference size (10,000 invoices); writes bench/RESULTS.md.
bench: setup
	$(PY) -m bench.run --results bench/RESULTS.md

# The large size (100,000 invoices, 20,000 customers): longer than `make bench`'s 10 minutes.
bench-large: setup
	$(PY) -m bench.run --invoices 100000 --customers 20000 --results bench/RESULTS-large.md

clean:
	rm -rf $(VENV) site_out/* build dist *.egg-info
