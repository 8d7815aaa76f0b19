# The two commands a newcomer needs: `make run` (the embedded demo) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test browser lint bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	$(VENV)/bin/jjj-gateway demo $(ARGS)

test: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The page tests drive Debian's Chromium, with a CJK font so that Chinese renders (without one
# every character is an empty box). Installed when missing and this user may; otherwise said.
BROWSER_PACKAGES_MISSING = $(strip \
	$(if $(wildcard /usr/bin/chromium),,chromium chromium-driver) \
	$(if $(shell dpkg -s fonts-wqy-microhei >/dev/null 2>&1 && echo yes),,fonts-wqy-microhei))

browser:
	@missing="$(BROWSER_PACKAGES_MISSING)"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make test: installing Debian's $$missing for the page tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	elif [ -n "$$missing" ]; then \
	  echo "make test: the page tests need Debian's $$missing (sudo apt-get install $$missing);" \
	    "without them they skip, or fail when GATEWAY_TEST_REQUIRE_SERVICES=1"; \
	fi

# Style cannot drift: lint rules, the formatting and the types of everything Python in the tree
# (mypy's list of packages is in pyproject.toml). `.ci/run` runs it before the tests.
LINTED := gateway adapters catalog policies tests bench

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m bench $(ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
