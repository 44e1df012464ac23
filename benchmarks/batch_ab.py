"""grade-batch of this working tree against another commit, alternated in one run.

These machines drift by 30-50% in speed over minutes (the floor of the same class measured
21 s in one run and 32 s in the next), so a change to the grader's speed is judged only
side by side: the same class (copies of the bundled nn-basics examples) is graded by the
two versions in turn, ``--rounds`` times each (the order flips every round), and the
medians are compared. The other version is checked out with ``git worktree`` into a
temporary folder and run with this interpreter.

    PYTHONPATH=. .venv/bin/python benchmarks/batch_ab.py --base HEAD~1 --size 20 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from batch_throughput import busy_cpu_seconds, loadavg, make_class  # noqa: E402


def phase_seconds(out: Path) -> dict[str, float]:
    """The class's summed per-submission timing (``extra_data.timing`` of each
    ``results.json``): the student process's life, its cells, the whole grading. Where a
    difference lies: inside the student's process, in its cells, or on the grader's side."""
    sums: dict[str, float] = {}
    for path in out.rglob("results.json"):
        timing = json.loads(path.read_text()).get("extra_data", {}).get("timing", {})
        for key, value in timing.items():
            sums[key] = sums.get(key, 0.0) + float(value)
    return sums


def grade_batch(tree: Path, course: Path, out: Path) -> tuple[float, float, str]:
    """(wall s, the machine's busy CPU-s, what was graded) of one grade-batch by ``tree``."""
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [sys.executable, "-m", "autograder", "grade-batch", str(course),
           "--assignment", "nn-basics", "--out", str(out), "--quiet"]
    began, busy = time.perf_counter(), busy_cpu_seconds()
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
    wall, busy = time.perf_counter() - began, busy_cpu_seconds() - busy
    if done.returncode not in (0, 1):
        raise RuntimeError(f"grade-batch in {tree} failed:\n{done.stderr[-3000:]}")
    scores = sorted(out.rglob("results.json"))
    phases = ", ".join(f"{k.removesuffix('_seconds')} {v:.1f}"
                       for k, v in sorted(phase_seconds(out).items()))
    return wall, busy, f"{len(scores)} results; summed s: {phases}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the commit to compare against")
    parser.add_argument("--size", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="batch-ab-") as scratch:
        scratch = Path(scratch)
        base = scratch / "base"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(base), args.base],
                       cwd=REPO, check=True)
        try:
            course, _ = make_class(scratch, args.size)
            trees = {"this tree": REPO, f"base {args.base}": base}
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
            print(f"class of {args.size}, {os.cpu_count()} cores, load at start {loadavg()}")
            for round_ in range(args.rounds):
                order = list(trees) if round_ % 2 == 0 else list(trees)[::-1]
                for name in order:
                    wall, busy, what = grade_batch(trees[name], course, scratch / "out")
                    runs[name].append((wall, busy))
                    print(f"  round {round_ + 1} {name:>16}: {wall:6.1f} s wall, "
                          f"{busy:6.1f} busy CPU-s ({what}; load {loadavg()})")
            medians = {name: (statistics.median(w for w, _ in r),
                              statistics.median(b for _, b in r)) for name, r in runs.items()}
            (new_wall, new_cpu), (old_wall, old_cpu) = medians.values()
            print(f"medians: this tree {new_wall:.1f} s / {new_cpu:.1f} CPU-s; base "
                  f"{old_wall:.1f} s / {old_cpu:.1f} CPU-s")
            print(f"this tree / base: wall {new_wall / old_wall:.3f}, busy CPU "
                  f"{new_cpu / old_cpu:.3f}; per submission "
                  f"{(old_cpu - new_cpu) / args.size * 1000:+.0f} ms of CPU saved")
            print(f"load at end {loadavg()}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO)
    return 0


if __name__ == "__main__":
    sys.exit(main())
