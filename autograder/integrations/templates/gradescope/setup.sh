#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
# Choose an Ubuntu 24.04 base image in the assignment's settings: requirements.lock
# needs Python >= 3.11 (numpy 2.4), which 22.04's python3 is not.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is needed"'
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --no-cache-dir --upgrade pip
/autograder/venv/bin/pip install --no-cache-dir -r /autograder/source/requirements.lock
# Check at build time that the grader imports, not at the first student's submission.
cd /autograder/source && /autograder/venv/bin/python -c "import autograder.grading"
