"""A class graded as a TA would, side by side in one run: grade-batch, Dask, nbgrader, the floor.

For each class size (copies of the bundled nn-basics examples, cycled, in nbgrader's
``submitted/<student>/nn-basics/`` layout) this prints

- **the floor**: each distinct notebook's code cells run alone in a warm interpreter (one
  that imported what the fork server preloads, as the fork server does it: with the
  garbage collector paused, then frozen; then forked, as the grader's student process
  is), as nbgrader's autograde runs them (the instructor's test cells, hidden asserts
  included, in place of the student's copies; the released version is printed
  beside it), measured before and after the gradings and averaged; the import time such an
  interpreter pays once, and the first TensorFlow op of a fresh fork;
- ``python -m autograder grade-batch`` end to end (a subprocess, start-up included), with,
  per notebook, where its grading time went: the notebook's cells, probes (the student's
  functions called on hidden inputs), checks (the rest of the pytest session), and the
  worker/IPC/report rest, and the overhead beyond the floor;
- the same cells with every core busy (one such interpreter per core at once), for
  reading the gap (is a student process slowed by its neighbour?); and the machine's busy
  CPU-seconds during grade-batch (/proc/stat), against the CPU the cells take alone;
- the same on a Dask ``LocalCluster`` of two single-threaded workers (cluster started
  beforehand, not timed), and ``nbgrader autograde`` (serial) on the same notebooks;
- optionally (``--user``) grade-batch as an ordinary user (``nobody``), where student
  processes start cold, and ``--cold`` (``AUTOGRADER_WARM=0``: a cold worker per submission).

Then each target of issue 14 with its measured ratio. Absolute times on a shared machine
are noisy: compare ratios from one run, and quote the load average printed at start and end.

    .venv/bin/python benchmarks/batch_throughput.py --sizes 20,100 [--no-nbgrader 100] [--user 20]
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from grading_throughput import run_nbgrader  # noqa: E402


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def cores() -> int:
    return len(os.sched_getaffinity(0))


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy since boot (/proc/stat: all but idle and
    iowait), so a difference counts every process of a batch, its students included."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def make_class(root: Path, size: int) -> tuple[Path, dict[str, str]]:
    """An nbgrader course folder with ``size`` students; student -> example name."""
    import nbformat

    from tests.fixtures.submissions import example_notebooks

    examples = list(example_notebooks().items())
    course = root / f"course-{size}"
    which = {}
    for index in range(size):
        name, notebook = examples[index % len(examples)]
        student = f"s{index:03d}"
        folder = course / "submitted" / student / "nn-basics"
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / "nn-basics.ipynb")
        which[student] = name
    return course, which


# --- the floor: the student's cells alone in a warm interpreter -----------------------------

FLOOR_CHILD = r"""
import gc, json, os, sys, time
began = time.perf_counter()
gc.disable()  # as the kit's fork server imports: the fastest start-up known, so the floor's
for name in json.loads(sys.argv[1]):
    __import__(name)
gc.freeze()  # and the student's process collects only its own objects, as a forked one does
gc.enable()
imports = time.perf_counter() - began
from IPython.core.interactiveshell import InteractiveShell

def in_fork(work):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            result = work()
        except BaseException as exc:
            result = {"error": repr(exc)}
        os.write(w, json.dumps(result).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 1 << 16):
        data += chunk
    os.waitpid(pid, 0)
    return json.loads(data)

def first_op():
    import tensorflow as tf
    t = time.perf_counter()
    (tf.constant(1.0) + 1.0).numpy()
    return {"first_op": time.perf_counter() - t}

def cells(sources):
    def work():
        shell = InteractiveShell.instance()
        # A failing cell stops there, as in the grader, but IPython's coloured traceback is
        # not drawn: it is not the student's work (the grader draws it only into the
        # instructor's record), and the first one in a process scans every loaded module's
        # file (0.14-0.2 s), which would pad the floor of a notebook with errors.
        shell.showtraceback = lambda *args, **kwargs: None
        times, cpu = [], time.process_time()
        for source in sources:
            t = time.perf_counter()
            shell.run_cell(source, silent=True)
            times.append(time.perf_counter() - t)
        return {"cells": times, "cpu": time.process_time() - cpu}
    return work

with open(sys.argv[2]) as handle:
    notebooks = json.load(handle)
out = {"imports": imports, "first_op": in_fork(first_op)["first_op"], "notebooks": {}}
for key, sources in notebooks.items():
    done = in_fork(cells(sources))
    out["notebooks"][key] = sum(done["cells"])
    out.setdefault("cpu", {})[key] = done["cpu"]
print(json.dumps(out))
"""


def cell_versions(notebook: Path) -> dict[str, list[str]]:
    """The notebook's code cells as the student ran them (``release``: their copies of the
    test cells, visible asserts only) and as graded (``autograded``: the instructor's test
    cells, hidden asserts included, in their place, as nbgrader's autograde runs them)."""
    from autograder.grading import test_cells
    from autograder.grading.assignment import get_assignment
    from autograder.grading.notebook import code_cell_grade_ids, read_code_cells

    tests = test_cells.load(get_assignment("nn-basics").tests_dir)
    release = read_code_cells(notebook)
    autograded = [tests[grade_id]["source"] if grade_id in tests else source
                  for source, grade_id in zip(release, code_cell_grade_ids(notebook))]
    return {"release": release, "autograded": autograded}


def measure_floor(course: Path, which: dict[str, str], side_by_side: int = 1) -> dict:
    """Each distinct example's cells, both versions, in a fork of a warm interpreter (as the
    grader's student process is forked from its fork server), with TensorFlow's thread
    pools sized as the student process has them (one compute thread per core of a sandbox's
    share): on these small ops that is faster than a pool per machine core, so this is the
    lower, stricter floor.

    ``side_by_side`` > 1 runs that many such interpreters at once on the same notebooks and
    averages them: the students' cells with every core busy, as a batch runs them."""
    from autograder.sandbox.confine import SandboxPolicy, thread_pools
    from autograder.sandbox.warm import PRELOAD

    first = {}
    for student, name in which.items():
        first.setdefault(name, course / "submitted" / student / "nn-basics" / "nn-basics.ipynb")
    env = dict(os.environ, MPLBACKEND="Agg", **thread_pools(SandboxPolicy().cpus))
    with tempfile.TemporaryDirectory() as scratch:
        env["HOME"] = scratch  # cells that write files write them here
        jobs = {f"{kind}:{name}": sources for name, path in first.items()
                for kind, sources in cell_versions(path).items()}
        job_file = Path(scratch) / "cells.json"
        job_file.write_text(json.dumps(jobs))
        logs = [open(Path(scratch) / f"log-{i}.txt", "w+") for i in range(side_by_side)]
        children = [subprocess.Popen([sys.executable, "-c", FLOOR_CHILD, json.dumps(PRELOAD),
                                      str(job_file)], stdout=subprocess.PIPE, stderr=log,
                                     text=True, env=env, cwd=scratch)
                    for log in logs]
        outputs = [child.communicate()[0] for child in children]
        for child, log in zip(children, logs):
            log.seek(0)
            if child.returncode:
                raise RuntimeError(f"the floor's interpreter failed:\n{log.read()[-3000:]}")
            log.close()
    runs = [json.loads(out.strip().splitlines()[-1]) for out in outputs]

    def mean(key: str) -> float:
        return statistics.mean(run["notebooks"][key] for run in runs)

    return {"imports": statistics.mean(run["imports"] for run in runs),
            "first_op": statistics.mean(run["first_op"] for run in runs), "load": loadavg(),
            "per_example": {name: mean(f"autograded:{name}") for name in first},
            "release": {name: mean(f"release:{name}") for name in first},
            "cpu": {name: statistics.mean(run["cpu"][f"autograded:{name}"] for run in runs)
                    for name in first}}


def mean_floor(before: dict, after: dict) -> dict:
    """The floor measured before and after the gradings, averaged: on a machine whose load
    changes, one measurement taken minutes away from the gradings misleads."""
    both = (before, after)
    return {"imports": statistics.mean(f["imports"] for f in both),
            "first_op": statistics.mean(f["first_op"] for f in both),
            "per_example": {k: statistics.mean(f["per_example"][k] for f in both)
                            for k in before["per_example"]},
            "release": {k: statistics.mean(f["release"][k] for f in both)
                        for k in before["release"]},
            "cpu": {k: statistics.mean(f["cpu"][k] for f in both) for k in before["cpu"]}}


# --- grading a class --------------------------------------------------------------------------


def grade_batch(course: Path, out: Path, *, scheduler: str | None = None,
                env_extra: dict | None = None, user: str | None = None) -> tuple[float, float]:
    """(wall seconds, the machine's busy CPU-seconds meanwhile) of one grade-batch run."""
    cmd = [sys.executable, "-m", "autograder", "grade-batch", str(course),
           "--assignment", "nn-basics", "--out", str(out), "--quiet"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    env = dict(os.environ, **(env_extra or {}))
    if user:
        home = Path(tempfile.mkdtemp(prefix="bench-home-"))
        out.parent.mkdir(parents=True, exist_ok=True)
        for path in (home, out.parent):
            os.chmod(path, 0o777)
        shutil.chown(home, user)
        # an ordinary user grades on the user rung, which needs the instructor's consent
        env.update(HOME=str(home), PYTHONPATH=str(REPO), AUTOGRADER_ALLOW_UNSAFE_RUNG="1")
        cmd = ["runuser", "-u", user, "--", "env", *[f"{k}={v}" for k, v in env.items()
                                                      if k in ("HOME", "PYTHONPATH", "PATH",
                                                               "TF_CPP_MIN_LOG_LEVEL",
                                                               "AUTOGRADER_WARM",
                                                               "AUTOGRADER_ALLOW_UNSAFE_RUNG")],
               *cmd]
    began, busy = time.perf_counter(), busy_cpu_seconds()
    completed = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    busy = busy_cpu_seconds() - busy
    if completed.returncode not in (0, 1):  # 1: some submission lost points? see cli
        print(completed.stdout[-2000:], completed.stderr[-2000:])
    return wall, busy


def per_submission(out: Path, which: dict[str, str]) -> list[dict]:
    rows = []
    for student, name in which.items():
        path = out / student / "results.json"
        if not path.exists():
            rows.append({"student": student, "example": name, "failed": True})
            continue
        data = json.loads(path.read_text())
        extra = data.get("extra_data", {})
        timing = extra.get("timing", {})
        student_s = timing.get("student_seconds", 0.0)
        cells = timing.get("cells_seconds", student_s)
        rows.append({"student": student, "example": name, "score": data["score"],
                     "wall": extra.get("wall_seconds", 0.0), "cells": cells,
                     "probes": student_s - cells,
                     "checks": data.get("execution_time", 0.0) - student_s,
                     "rest": extra.get("wall_seconds", 0.0) - data.get("execution_time", 0.0)})
    return rows


def start_cluster():
    from distributed import LocalCluster

    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                        dashboard_address=None)


def run_size(root: Path, size: int, args) -> None:
    n_cores = cores()
    course, which = make_class(root, size)
    print(f"\n=== class of {size} ({n_cores} cores) - load average at start: {loadavg()}")
    before = measure_floor(course, which)
    figures = {}
    figures["grade-batch"], busy = grade_batch(course, root / f"out-{size}" / "batch")
    rows = per_submission(root / f"out-{size}" / "batch", which)
    if not args.no_dask:
        with start_cluster() as cluster:
            figures["dask"], _ = grade_batch(course, root / f"out-{size}" / "dask",
                                          scheduler=cluster.scheduler_address)
    if args.cold:
        figures["cold"], _ = grade_batch(course, root / f"out-{size}" / "cold",
                                      env_extra={"AUTOGRADER_WARM": "0"})
    if size in args.user:
        user_out = root / f"out-{size}-user" / "user"
        figures["user"], _ = grade_batch(course, user_out, user="nobody")
        if not list(user_out.glob("*/results.json")):
            del figures["user"]
            print("  grade-batch as user nobody: nothing graded (can nobody read the "
                  "repository and run its Python?)")
    after = measure_floor(course, which)
    crowded = measure_floor(course, which, side_by_side=n_cores)
    floor = mean_floor(before, after)
    if size not in args.no_nbgrader:
        paths = [course / "submitted" / s / "nn-basics" / "nn-basics.ipynb" for s in which]
        figures["nbgrader"] = run_nbgrader(paths)["total"]

    print("\nper distinct notebook, median s over its copies. floor: its cells alone in a fork of "
          "a warm interpreter,\nas autograded (the instructor's test cells in place, hidden "
          "asserts included) and as released (the student's copies);\na grading: cells, probes "
          "(the student's functions on hidden inputs), checks (the rest of the suite),\nrest "
          "(worker start on its first submission, IPC, results); overhead = grading - autograded "
          "floor")
    print(f"{'example':28} {'floor':>6} {'release':>8} {'grading':>8} {'cells':>6} {'probes':>7} "
          f"{'checks':>7} {'rest':>6} {'overhead':>9} score")
    by_example: dict[str, list[dict]] = {}
    for row in rows:
        by_example.setdefault(row["example"], []).append(row)
    for name, group in by_example.items():
        ok = [r for r in group if not r.get("failed")]
        if not ok:
            print(f"{name:28} not graded")
            continue
        med = {k: statistics.median(r[k] for r in ok)
               for k in ("wall", "cells", "probes", "checks", "rest")}
        base = floor["per_example"][name]
        print(f"{name:28} {base:6.2f} {floor['release'][name]:8.2f} {med['wall']:8.2f} "
              f"{med['cells']:6.2f} {med['probes']:7.2f} {med['checks']:7.2f} "
              f"{med['rest']:6.2f} {med['wall'] - base:9.2f} {ok[0]['score']:g}")
    graded = [r for r in rows if not r.get("failed")]
    sum_floor = sum(floor["per_example"][name] for name in which.values())
    sum_release = sum(floor["release"][name] for name in which.values())
    startup = floor["imports"]
    floor_wall = sum_floor / n_cores + startup
    batch_wall = figures["grade-batch"]
    overheads = [r["wall"] - floor["per_example"][r["example"]] for r in graded]
    print(f"\nfloor measured before (load {before['load']}) and after (load {after['load']}) "
          f"the gradings; the mean is used")
    print(f"warm interpreter imports (one start-up): {startup:.2f} s; the child's first "
          f"TensorFlow op: {floor['first_op']:.3f} s")
    print(f"sum of cell times as autograded: {sum_floor:.1f} s (as released: {sum_release:.1f} s)"
          f" -> floor = {sum_floor:.1f}/{n_cores} + {startup:.1f} = {floor_wall:.1f} s")
    for key, label in (("grade-batch", "grade-batch (warm workers)"),
                       ("dask", "Dask LocalCluster 2x1"), ("cold", "grade-batch, cold workers"),
                       ("user", "grade-batch as user nobody"),
                       ("nbgrader", "nbgrader autograde (serial)")):
        if key in figures:
            print(f"  {label:32} {figures[key]:8.1f} s  ({figures[key] / size:.2f} s/sub)")
    print(f"graded {len(graded)}/{size}")
    sum_crowded = sum(crowded["per_example"][name] for name in which.values())
    crowded_wall = sum_crowded / n_cores + crowded["imports"]
    print(f"\nthe same cells with every core busy ({n_cores} such interpreters at once, "
          f"load {crowded['load']}): sum {sum_crowded:.1f} s ({sum_crowded / sum_floor:.2f}x "
          f"alone) -> {sum_crowded:.1f}/{n_cores} + {crowded['imports']:.1f} = "
          f"{crowded_wall:.1f} s; grade-batch / that = {batch_wall / crowded_wall:.2f} "
          f"(for reading the gap only: the target is against the floor above)")
    cells_cpu = sum(floor["cpu"][name] for name in which.values())
    print(f"CPU: during grade-batch the machine was busy {busy:.1f} CPU-s of "
          f"{batch_wall * n_cores:.1f} ({busy / (batch_wall * n_cores):.0%}); the "
          f"students' cells alone take {cells_cpu:.1f} CPU-s, so everything else "
          f"(start-ups, probes, the grader, cells slowed by a busy neighbour) took "
          f"{(busy - cells_cpu) / size:.2f} CPU-s a submission")
    print("\ntargets:")
    ratio = batch_wall / floor_wall
    print(f"  grade-batch / floor = {ratio:.2f} (target <= 1.25): "
          f"{'met' if ratio <= 1.25 else 'NOT met'}")
    if "nbgrader" in figures:
        speed = figures["nbgrader"] / batch_wall
        goal = 5 if size <= 20 else 7
        print(f"  nbgrader / grade-batch = {speed:.2f}x (target >= {goal}x): "
              f"{'met' if speed >= goal else 'NOT met'}")
    median_overhead = statistics.median(overheads) if overheads else float("nan")
    amortised = (batch_wall - floor_wall) * n_cores / size
    print(f"  overhead beyond the floor per submission: median {median_overhead:.2f} s "
          f"(each grading's wall minus its notebook's floor); amortised "
          f"{amortised:.2f} s ((batch - floor) x cores / N) (target <= 0.3): "
          f"{'met' if max(median_overhead, amortised) <= 0.3 else 'NOT met'}")
    if graded:
        parts = {"the notebook's cells beyond their floor":
                 [r["cells"] - floor["per_example"][r["example"]] for r in graded],
                 "probes (the student's functions on hidden inputs)":
                 [r["probes"] for r in graded],
                 "the grader's own part (checks + rest)":
                 [r["checks"] + r["rest"] for r in graded]}
        print("    of which (medians): " + "; ".join(
            f"{label} {statistics.median(values):.2f} s" for label, values in parts.items()))
    if "dask" in figures:
        rel = figures["dask"] / batch_wall
        print(f"  Dask / grade-batch = {rel:.2f} (target <= 1.15): "
              f"{'met' if rel <= 1.15 else 'NOT met'}")
    if "user" in figures:
        print(f"  ordinary user / root grade-batch = {figures['user'] / batch_wall:.2f} "
              f"(cold student processes: the cost of no warm start)")
    print(f"load average at end: {loadavg()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100")
    parser.add_argument("--no-nbgrader", default="", help="sizes to skip nbgrader for")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--cold", action="store_true", help="also AUTOGRADER_WARM=0")
    parser.add_argument("--user", default="", help="sizes to also grade as user nobody (as root)")
    args = parser.parse_args()
    args.no_nbgrader = {int(s) for s in args.no_nbgrader.split(",") if s}
    args.user = {int(s) for s in args.user.split(",") if s}
    root = Path(tempfile.mkdtemp(prefix="batch-bench-"))
    os.chmod(root, 0o755)
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            run_size(root, size, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
