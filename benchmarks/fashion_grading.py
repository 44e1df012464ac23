"""Fashion-MNIST: how long one notebook's grading takes beyond the student's own training.

Target (issue 14): grading one notebook takes at most the student's own training plus 15 s,
the retrain check included, on the small and on the full data set.

For each data set found (``fashion-mnist-small`` ships in ``data/``; the full set is found
where ``python -m autograder data verify`` looks), the solved example notebook is graded in
a warm grading worker, as ``grade-batch`` does: once to start the worker (its imports,
paid once per batch, printed apart), then again, timed. The student's own training is the
notebook's ``final-train`` cell, timed by the grader (host clock) inside that grading, so
both figures come from the same run on the same machine. Also printed: all of the
notebook's cells, the probes and checks (the grader's retrain of the student's network on
other data included), and the load average.

    .venv/bin/python benchmarks/fashion_grading.py [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402

from autograder.batch.warm_pool import WarmWorker  # noqa: E402
from autograder.batch.worker import assignment_spec  # noqa: E402
from autograder.grading import datasets  # noqa: E402
from autograder.grading.assignment import get_assignment  # noqa: E402
from autograder.grading.notebook import code_cell_grade_ids  # noqa: E402
from tests.fixtures.fashion_submissions import solved_notebook  # noqa: E402

TRAINING_CELL = "final-train"
TARGET_SECONDS = 15.0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure(assignment_name: str, notebook: Path, runs: int) -> dict:
    index = code_cell_grade_ids(notebook).index(TRAINING_CELL)
    worker = WarmWorker(assignment_spec(get_assignment(assignment_name)))
    rows = []
    try:
        first = time.perf_counter()
        payload = worker.grade(notebook, timeout=3600)
        first = time.perf_counter() - first
        for _ in range(runs):
            began = time.perf_counter()
            payload = worker.grade(notebook, timeout=3600)
            wall = time.perf_counter() - began
            if payload.get("status") != "graded":
                raise RuntimeError(f"not graded: {payload.get('error')}")
            results, record = payload["results"], payload["record"]
            timing = results["extra_data"]["timing"]
            rows.append({"wall": wall, "training": record[index]["seconds"],
                         "cells": timing["cells_seconds"],
                         "probes": timing["student_seconds"] - timing["cells_seconds"],
                         "score": f"{results['score']:g}/{results['max_score']:g}"})
    finally:
        worker.close()
    return {"startup": worker.startup_times[0] if worker.startup_times else float("nan"),
            "first": first, "rows": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="timed gradings per set (2)")
    args = parser.parse_args(argv)
    print(f"{len(os.sched_getaffinity(0))} cores; load average at start: {loadavg()}")
    verdicts = []
    with tempfile.TemporaryDirectory() as folder:
        notebook = Path(folder) / "solved.ipynb"
        nbformat.write(solved_notebook(), notebook)
        for name, dataset in (("fashion-mnist-small", datasets.SMALL),
                              ("fashion-mnist", datasets.FULL)):
            try:
                source = datasets.locate(dataset)
            except datasets.DatasetNotFound as exc:
                print(f"\n{name}: not measured ({exc})")
                continue
            print(f"\n{name} (data from {source}), load average {loadavg()}")
            data = measure(name, notebook, args.runs)
            print(f"  worker start-up (once per batch, not per notebook): "
                  f"{data['startup']:.1f} s")
            print(f"  {'grading':>8} {'training':>9} {'cells':>7} {'probes':>7} "
                  f"{'beyond training':>16}  score")
            for row in data["rows"]:
                print(f"  {row['wall']:8.1f} {row['training']:9.1f} {row['cells']:7.1f} "
                      f"{row['probes']:7.1f} {row['wall'] - row['training']:16.1f}  "
                      f"{row['score']}")
            beyond = statistics.median(r["wall"] - r["training"] for r in data["rows"])
            verdicts.append(f"  {name}: grading - student's training = {beyond:.1f} s "
                            f"(median of {len(data['rows'])}; target <= {TARGET_SECONDS:g}): "
                            + ("met" if beyond <= TARGET_SECONDS else "NOT met"))
    print(f"\ntargets (load average at end: {loadavg()}):")
    print("\n".join(verdicts) if verdicts else "  nothing measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
