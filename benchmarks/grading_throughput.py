"""Grading throughput, side by side in one run: warm and cold autograder vs nbgrader.

Grades the same set of nn-basics submissions (correct and buggy) four ways:

  (a) this autograder, warm: one worker that starts student processes from a fork server
  (b) this autograder, cold: one worker that starts a fresh interpreter per submission
  (c) ``nbgrader autograde`` on the same notebooks in an nbgrader course layout
  (d) plain execution of each notebook with nbclient (kernel start + cells), the floor

Each variant runs in its own subprocess so its peak memory (max RSS of the worker and of
every process it waited for) is its own. Prints per-submission median seconds, peak
memory, the ratios a/c and a/d, and the warm grader's overhead beyond the student's code.

    .venv/bin/python benchmarks/grading_throughput.py [--count 20] [--only a,b,c,d]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def make_submissions(folder: Path, count: int) -> list[Path]:
    """``count`` notebooks cycling through the solved, blank and buggy examples."""
    import nbformat

    from tests.fixtures.submissions import example_notebooks

    examples = list(example_notebooks().items())
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        name, notebook = examples[index % len(examples)]
        path = folder / f"s{index:03d}-{name}.ipynb"
        nbformat.write(notebook, path)
        paths.append(path)
    return paths


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


# --- variants (each runs inside its own subprocess) --------------------------------------


def run_autograder(paths: list[Path], warm: bool) -> dict:
    from autograder.grading.grade import grade
    from autograder.sandbox.confine import SandboxPolicy

    policy = SandboxPolicy(warm_start=warm)
    times, overheads, scores = [], [], []
    for path in paths:
        began = time.perf_counter()
        result = grade(path, "nn-basics", policy=policy)
        elapsed = time.perf_counter() - began
        times.append(elapsed)
        scores.append(result.score)
        student_seconds = getattr(result, "student_seconds", None)
        if student_seconds is not None:
            overheads.append(elapsed - student_seconds)
    return {"times": times, "overheads": overheads, "scores": scores}


def run_nbclient(paths: list[Path]) -> dict:
    import nbformat
    from nbclient import NotebookClient

    times = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        began = time.perf_counter()
        NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=600,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        times.append(time.perf_counter() - began)
    return {"times": times}


def run_nbgrader(paths: list[Path]) -> dict:
    """One ``nbgrader autograde`` over all students; per-student time from its log."""
    from autograder.integrations.nbgrader.release import release_assignment

    course = Path(tempfile.mkdtemp(prefix="nbgrader-course-"))
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(REPO / "source" / "nn-basics", course / "source" / "nn-basics")
    release_assignment("nn-basics", course)  # records the hidden tests in gradebook.db
    for index, path in enumerate(paths):
        target = course / "submitted" / f"student{index:03d}" / "nn-basics"
        target.mkdir(parents=True)
        shutil.copy(path, target / "nn-basics.ipynb")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    began = time.perf_counter()
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "autograde", "nn-basics", "--force",
         "--Application.log_format=%(created)f %(message)s"],
        cwd=course, env=env, capture_output=True, text=True)
    total = time.perf_counter() - began
    stamps = [float(m.group(1)) for m in re.finditer(
        r"^(\d+\.\d+) Creating/updating student", completed.stderr, re.MULTILINE)]
    shutil.rmtree(course, ignore_errors=True)
    if completed.returncode != 0 or len(stamps) != len(paths):
        times = [total / len(paths)] * len(paths)  # fall back to the mean
    else:
        times = [b - a for a, b in zip(stamps, stamps[1:])]
        times.append(max(total - sum(times), 0.0))  # last student: up to the end of the run
    return {"times": times, "total": total, "returncode": completed.returncode}


VARIANTS = {
    "a": ("autograder, warm", lambda paths: run_autograder(paths, warm=True)),
    "b": ("autograder, cold", lambda paths: run_autograder(paths, warm=False)),
    "c": ("nbgrader autograde", run_nbgrader),
    "d": ("nbclient execution only", run_nbclient),
}


def run_variant_in_subprocess(key: str, folder: Path) -> dict:
    out = folder / f"result-{key}.json"
    subprocess.run([sys.executable, __file__, "--variant", key, "--folder", str(folder),
                    "--json", str(out)], check=True)
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--only", default="a,b,c,d")
    parser.add_argument("--class-size", type=int, default=0,
                        help="also grade this many submissions with one warm worker per "
                             "core (two `grade` processes on 2 cores) and print the wall time")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.variant:  # child mode: run one variant, write its figures
        paths = sorted(Path(args.folder, "submissions").glob("*.ipynb"))
        began = time.perf_counter()
        figures = VARIANTS[args.variant][1](paths)
        figures["wall"] = time.perf_counter() - began
        figures["peak_rss_mb"] = peak_rss_mb()
        Path(args.json).write_text(json.dumps(figures))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="throughput-"))
    paths = make_submissions(folder / "submissions", args.count)
    print(f"{len(paths)} nn-basics submissions, {os.cpu_count()} cores, one worker each\n")
    results = {}
    for key in args.only.split(","):
        results[key] = run_variant_in_subprocess(key, folder)
    print(f"{'variant':32} {'median s/sub':>12} {'mean s/sub':>11} {'peak MB':>8}")
    for key, figures in results.items():
        times = figures["times"]
        print(f"({key}) {VARIANTS[key][0]:28} {statistics.median(times):12.2f} "
              f"{statistics.fmean(times):11.2f} {figures['peak_rss_mb']:8.0f}")
    med = {k: statistics.median(v["times"]) for k, v in results.items()}
    print()
    if "a" in med and "c" in med:
        print(f"a/c = {med['a'] / med['c']:.3f}  (nbgrader autograde is {med['c'] / med['a']:.1f}x slower)")
    if "a" in med and "d" in med:
        print(f"a/d = {med['a'] / med['d']:.3f}")
    if "a" in med and "b" in med:
        print(f"a/b = {med['a'] / med['b']:.3f}")
    if "a" in results and results["a"]["overheads"]:
        print(f"warm grader overhead beyond the student's code: median "
              f"{statistics.median(results['a']['overheads']):.2f} s per submission")
    if "a" in results and "b" in results:
        same = results["a"]["scores"] == results["b"]["scores"]
        print(f"warm and cold scores identical: {same}")
    if args.class_size:
        class_wall(folder, args.class_size)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


def class_wall(folder: Path, size: int) -> None:
    """A class graded by one warm `python -m autograder grade` process per core."""
    paths = make_submissions(folder / "class", size)
    workers = os.cpu_count() or 1
    shares = [paths[i::workers] for i in range(workers)]
    began = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "autograder", "grade", *map(str, share),
                                   "--assignment", "nn-basics", "--quiet",
                                   "--out", str(folder / f"class-out-{i}")],
                                  cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for i, share in enumerate(shares)]
    codes = [p.wait() for p in processes]
    wall = time.perf_counter() - began
    graded = sum(len(list((folder / f"class-out-{i}").glob("*.json"))) for i in range(workers))
    print(f"\nclass of {size}: {graded} graded by {workers} warm workers in {wall:.0f} s "
          f"(exit codes {codes})")


if __name__ == "__main__":
    sys.exit(main())
