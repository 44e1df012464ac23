"""What running the notebook's own test cells (the nbgrader ceiling) adds to one grading.

Grades the solved nn-basics notebook twice in this process (warm fork server), once with
the assignment as shipped and once with a copy of its folder without ``test_cells.json``,
alternating ``--rounds`` times, and prints the median seconds of each side and their ratio
with the load average (timings depend on what else runs on the machine).

    .venv/bin/python benchmarks/test_cell_overhead.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.grading.assignment import get_assignment  # noqa: E402
from autograder.grading.grade import grade  # noqa: E402
from autograder.grading.test_cells import FILE_NAME  # noqa: E402
from tests.fixtures.submissions import EXAMPLES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    rounds = parser.parse_args().rounds
    shipped = get_assignment("nn-basics")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "nn_basics"
        shutil.copytree(shipped.tests_dir, folder)
        (folder / FILE_NAME).unlink()
        bare = replace(shipped, tests_dir=folder)
        path = EXAMPLES / "01-solved.ipynb"
        grade(path, shipped)  # warm the fork server and the imports
        times = {"with test cells": [], "without": []}
        for _ in range(rounds):
            for name, assignment in (("with test cells", shipped), ("without", bare)):
                began = time.monotonic()
                result = grade(path, assignment)
                times[name].append(time.monotonic() - began)
                assert result.score == result.max_score, name
    with_cells, without = (statistics.median(times[k]) for k in times)
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
    print(f"solved nn-basics, median of {rounds}: with test cells {with_cells:.1f} s, "
          f"without {without:.1f} s, ratio {with_cells / without:.2f}x")


if __name__ == "__main__":
    main()
