"""The Dask recipe against a local grade-batch, same machine, same class, side by side.

Grades ``--count`` nn-basics submissions (correct and buggy examples, cycled) twice:

  (a) ``grade-batch --workers N``: the local pool, N = the number of cores by default
  (b) ``grade-batch --scheduler``: a cluster started as docs/course-operations.md says
      (``dask scheduler``; one ``dask worker`` command with N gradings at a time: one
      process with N threads, ``--layout threads``, the recipe, or N processes with one
      thread each, ``--layout processes``), already up before timing starts, as a
      standing cluster would be

and prints the wall time of each, b/a, and the load average before and after (the machine
may be shared; a ratio is only comparable under similar load). Scores must agree.

    .venv/bin/python benchmarks/dask_vs_batch.py [--count 6] [--workers N]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def make_class(folder: Path, count: int) -> None:
    import nbformat

    from tests.fixtures.submissions import example_notebooks

    examples = list(example_notebooks().items())
    folder.mkdir(parents=True)
    for index in range(count):
        name, notebook = examples[index % len(examples)]
        nbformat.write(notebook, folder / f"s{index:02d}-{name}.ipynb")


def grade_batch(folder: Path, out: Path, extra: list[str], env: dict) -> float:
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "autograder", "grade-batch", str(folder),
                    "--assignment", "nn-basics", "--out", str(out), "--quiet", "--no-html",
                    *extra], cwd=REPO, env=env, check=False, stdout=subprocess.DEVNULL)
    return time.monotonic() - began


def scores(out: Path) -> dict[str, str]:
    return {r["student"]: r["score"] for r in csv.DictReader((out / "gradebook.csv").open())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--layout", choices=("threads", "processes"), default="threads")
    parser.add_argument("--skip-local", action="store_true", help="time (b) only")
    args = parser.parse_args()
    nworkers, nthreads = (1, args.workers) if args.layout == "threads" else (args.workers, 1)
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")
    with tempfile.TemporaryDirectory(prefix="dask-vs-batch-") as tmp:
        tmp = Path(tmp)
        make_class(tmp / "class", args.count)
        print(f"{args.count} nn-basics submissions, {args.workers} gradings at a time; "
              f"load average before: {loadavg()}", flush=True)
        local = None
        if not args.skip_local:
            local = grade_batch(tmp / "class", tmp / "out-local",
                                ["--workers", str(args.workers)], env)
            print(f"(a) grade-batch --workers {args.workers}: {local:.0f} s; "
                  f"load {loadavg()}", flush=True)

        scheduler_file = tmp / "scheduler.json"
        logs = (tmp / "dask.log").open("w")
        scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--port", "0",
                                      "--no-dashboard", "--scheduler-file",
                                      str(scheduler_file)], env=env, cwd=REPO,
                                     stdout=logs, stderr=subprocess.STDOUT)
        worker = None
        try:
            while not scheduler_file.exists():
                time.sleep(0.5)
            worker = subprocess.Popen([str(BIN / "dask"), "worker", "--scheduler-file",
                                       str(scheduler_file), "--nworkers", str(nworkers),
                                       "--nthreads", str(nthreads), "--no-dashboard"],
                                      env=env, cwd=REPO, stdout=logs, stderr=subprocess.STDOUT)
            from distributed import Client

            with Client(scheduler_file=str(scheduler_file), timeout="60s") as client:
                client.wait_for_workers(nworkers, timeout=300)
                address = client.scheduler.address
            dask = grade_batch(tmp / "class", tmp / "out-dask", ["--scheduler", address], env)
        finally:
            for process in (worker, scheduler):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=60)
        print(f"(b) grade-batch --scheduler (dask worker --nworkers {nworkers} "
              f"--nthreads {nthreads}): {dask:.0f} s; load {loadavg()}")
        if local is not None:
            same = scores(tmp / "out-local") == scores(tmp / "out-dask")
            print(f"b/a = {dask / local:.2f}; scores identical: {same}")


if __name__ == "__main__":
    main()
