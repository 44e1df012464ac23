# The two commands a fresh clone needs: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
JOBS ?= $(shell n=$$(nproc); [ $$n -gt 4 ] && n=4; echo $$n)
PYTEST_ARGS ?= -n $(JOBS) --dist loadgroup

.PHONY: demo test test-container release venv clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

release: $(STAMP)
	$(PY) -m autograder release

# Rebuild release/ and grade the bundled example submissions into out/. Fashion-MNIST
# examples are graded on the small subset shipped in data/fashion-mnist-small (never
# downloaded; `python -m autograder data verify` checks it).
demo: release
	$(PY) -m autograder grade tests/fixtures/submissions/nn-basics/*.ipynb \
		--assignment nn-basics --out out/nn-basics --quiet
	$(PY) -m autograder grade tests/fixtures/submissions/fashion-mnist/*.ipynb \
		--assignment fashion-mnist-small --out out/fashion-mnist --quiet

# Timing-sensitive tests (marked serial) run alone after the parallel run, so other tests'
# load does not decide them.
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS) -m "not serial"
	$(PY) -m pytest -p no:xdist -m serial

# Opt-in (minutes, ~2 GB, root, Debian's mirror and PyPI): the Gradescope bundle in a
# debootstrapped Debian, setup.sh and run_autograder run as Gradescope does. CI's second step.
test-container: $(STAMP)
	AUTOGRADER_CONTAINER_TEST=require $(PY) -m pytest -p no:xdist tests/test_gradescope_container.py

clean:
	rm -rf out .pytest_cache
