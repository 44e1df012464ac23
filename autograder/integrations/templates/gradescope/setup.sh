#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# Supported base images: Ubuntu 24.04 (Python 3.12), and Debian 12/13 (3.11/3.13), which
# the kit's container test uses. Not Ubuntu 22.04: its Python 3.10 is too old for the pins
# (numpy 2.4). requirements.lock here is the grader-runtime lock (requirements-grader.lock
# in the kit's repository): what grading needs, about 80 wheels, not the course tooling.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is needed"'
python3 -m venv /autograder/venv
# wheels only: the pins were resolved for these Pythons as wheels (scripts/grader_lock.py)
/autograder/venv/bin/pip install --no-cache-dir --only-binary=:all: \
    -r /autograder/source/requirements.lock
# Check at build time that the grader imports, not at the first student's submission.
cd /autograder/source && /autograder/venv/bin/python -c "import autograder.grading"
