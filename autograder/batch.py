"""Grade a whole class: find the submissions, grade each in its own process, keep every result.

- Layouts: nbgrader's ``submitted/<student>/<assignment>/*.ipynb`` (PATH is the course root
  or its ``submitted`` folder) or a flat folder of ``<student>.ipynb``.
- Each submission is graded in a child process (:mod:`autograder.worker`), locally by a pool
  of ``workers`` threads that each wait on one child, or on a Dask cluster
  (:mod:`autograder.dask_backend`); a crash fails that submission only.
- Output, per student: ``OUT/<student>/results.json`` (Gradescope schema plus
  ``extra_data.fingerprint``) or ``OUT/<student>/error.json``; for the class:
  ``gradebook.csv``, ``summary.json``, and HTML feedback (:mod:`autograder.feedback`).
- Resumable: every file is written atomically as soon as its submission is done, and a
  rerun reuses a result whose fingerprint (:mod:`autograder.fingerprint`) is unchanged.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)

from .assignments import Assignment
from .fingerprint import grader_digest, submission_fingerprint
from .reports import write_atomically
from .worker import assignment_spec, failed, run_child

RESULTS, ERROR, LOG = "results.json", "error.json", "grader.log"
CLASS_FILES = {"gradebook.csv", "summary.json", "index.html"}  # beside the student folders


class BatchError(Exception):
    """The batch cannot start (nothing to grade, bad folder); ``str()`` says why."""


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: Path | None  # None when the student's folder has no single notebook to grade
    problem: str = ""
    timestamp: str | None = None  # nbgrader's timestamp.txt, when present


@dataclass
class Outcome:
    student: str
    status: str  # "graded", "reused" (unchanged since the last run) or "failed"
    score: float | None = None
    max_score: float | None = None
    error: str = ""
    seconds: float = 0.0


@dataclass
class BatchReport:
    assignment: str
    out_dir: Path
    outcomes: list[Outcome] = field(default_factory=list)
    wall_seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


# -- finding submissions ------------------------------------------------------------------


def _pick_notebook(folder: Path, assignment: str) -> tuple[Path | None, str]:
    notebooks = sorted(p for p in folder.rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
    named = [p for p in notebooks if p.stem == assignment]
    if len(named) == 1:
        return named[0], ""
    if len(notebooks) == 1:
        return notebooks[0], ""
    if not notebooks:
        return None, f"no notebook was submitted in {folder.name}/"
    return None, (f"{len(notebooks)} notebooks were submitted and none is named "
                  f"{assignment}.ipynb: " + ", ".join(p.name for p in notebooks[:5]))


def discover(path: Path, assignment: str) -> list[Submission]:
    """Submissions under ``path``, sorted by student (see the module docstring)."""
    path = Path(path)
    if path.is_file():
        return [Submission(path.stem, path)]
    if not path.is_dir():
        raise BatchError(f"{path} does not exist")
    if (path / "submitted").is_dir():
        path = path / "submitted"
    nbgrader = sorted(d for d in path.iterdir()
                      if d.is_dir() and not d.name.startswith(".") and (d / assignment).is_dir())
    if nbgrader:
        found = []
        for student_dir in nbgrader:
            folder = student_dir / assignment
            notebook, problem = _pick_notebook(folder, assignment)
            stamp = folder / "timestamp.txt"
            found.append(Submission(student_dir.name, notebook, problem,
                                    stamp.read_text().strip() if stamp.is_file() else None))
        return found
    return [Submission(p.stem, p) for p in sorted(path.glob("*.ipynb"))
            if not p.name.startswith(".")]


# -- storing outcomes ---------------------------------------------------------------------


def read_json(path: Path) -> dict | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stored_fingerprint(out_dir: Path, student: str) -> str | None:
    data = read_json(out_dir / student / RESULTS)
    return ((data or {}).get("extra_data") or {}).get("fingerprint")


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def store(out_dir: Path, submission: Submission, fingerprint: str, payload: dict,
          seconds: float) -> Outcome:
    """Write one submission's outcome (atomically) and return its summary."""
    folder = out_dir / submission.student
    log_lines = list(payload.get("internal_errors") or [])
    if payload.get("status") == "graded":
        data = payload["results"]
        extra = data.setdefault("extra_data", {})
        extra.update(student=submission.student, fingerprint=fingerprint,
                     notebook=str(submission.notebook), wall_seconds=round(seconds, 2))
        if submission.timestamp:
            extra["timestamp"] = submission.timestamp
        write_atomically(folder / RESULTS, json.dumps(data, indent=1) + "\n")
        _remove(folder / ERROR)
        outcome = Outcome(submission.student, "graded", data.get("score"),
                          data.get("max_score"), seconds=seconds)
    else:
        error = str(payload.get("error") or "the grader gave no result")
        write_atomically(folder / ERROR, json.dumps(
            {"student": submission.student, "error": error, "fingerprint": fingerprint,
             "notebook": str(submission.notebook)}, indent=1) + "\n")
        _remove(folder / RESULTS)  # a grade of an older notebook must not survive
        outcome = Outcome(submission.student, "failed", error=error, seconds=seconds)
    if payload.get("log"):
        log_lines.append("grading process stderr (tail):\n" + payload["log"])
    if log_lines:
        write_atomically(folder / LOG, "\n\n".join(log_lines) + "\n")
    else:
        _remove(folder / LOG)
    return outcome


def _clean_partial_writes(out_dir: Path) -> None:
    """Remove temp files left by a run killed mid-write (write_atomically's ``.*.tmp``)."""
    for pattern in (".*.tmp", "*/.*.tmp"):
        for path in out_dir.glob(pattern):
            _remove(path)


# -- running ------------------------------------------------------------------------------


@dataclass
class Job:
    submission: Submission
    fingerprint: str


Done = Callable[[Job, dict, float], None]


def run_local(jobs: list[Job], spec: dict, workers: int, timeout: float, done: Done) -> None:
    """Grade on this machine, ``workers`` children at a time."""
    def one(job: Job):
        began = time.monotonic()
        return run_child(job.submission.notebook, spec, timeout), time.monotonic() - began

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="grade")
    try:
        futures = {pool.submit(one, job): job for job in jobs}
        for future in as_completed(futures):
            payload, seconds = future.result()
            done(futures[future], payload, seconds)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_timeout(assignment: Assignment) -> float:
    """A last-resort wall clock per submission, far above the grader's own budgets."""
    return 3 * assignment.notebook_seconds + 30 * assignment.call_seconds + 60


def _progress(console: Console, quiet: bool) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TextColumn("[red]failed {task.fields[failed]}"),
                    TextColumn("reused {task.fields[reused]}"), TimeElapsedColumn(),
                    TextColumn("left"), TimeRemainingColumn(), console=console,
                    disable=quiet, transient=False)


def grade_batch(path: Path, assignment: Assignment, out_dir: Path, *,
                workers: int | None = None, scheduler: str | None = None,
                timeout: float | None = None, retries: int = 2, quiet: bool = False,
                console: Console | None = None) -> BatchReport:
    """Grade every submission under ``path`` into ``out_dir``; see the module docstring.

    Class-level files (CSV, summary, HTML, JUnit) are written afterwards by
    :func:`autograder.cli.write_class_outputs`."""
    began = time.monotonic()
    out_dir = Path(out_dir)
    submissions = discover(path, assignment.name)
    if not submissions:
        raise BatchError(f"no submissions for {assignment.name!r} under {path}")
    students = [s.student for s in submissions]
    if len(set(students)) != len(students):
        raise BatchError("two submissions map to the same student name")
    clashes = sorted(set(students) & CLASS_FILES)
    if clashes:
        raise BatchError(f"student names clash with the class-level outputs: {clashes}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean_partial_writes(out_dir)
    digest = grader_digest(assignment)
    report = BatchReport(assignment.name, out_dir)
    jobs: list[Job] = []
    for sub in submissions:
        if sub.notebook is None:
            report.outcomes.append(store(out_dir, sub, "", failed(sub.problem), 0.0))
            continue
        fingerprint = submission_fingerprint(sub.notebook.read_bytes(), digest)
        if stored_fingerprint(out_dir, sub.student) == fingerprint:
            data = read_json(out_dir / sub.student / RESULTS) or {}
            report.outcomes.append(Outcome(sub.student, "reused", data.get("score"),
                                           data.get("max_score")))
        else:
            jobs.append(Job(sub, fingerprint))

    console = console or Console(stderr=True)
    timeout = timeout or default_timeout(assignment)
    with _progress(console, quiet) as progress:
        reused = report.count("reused")
        task = progress.add_task(assignment.name, total=len(submissions),
                                 completed=len(report.outcomes), failed=report.count("failed"),
                                 reused=reused)

        def done(job: Job, payload: dict, seconds: float) -> None:
            outcome = store(out_dir, job.submission, job.fingerprint, payload, seconds)
            report.outcomes.append(outcome)
            progress.update(task, advance=1, failed=report.count("failed"))

        spec = assignment_spec(assignment)
        if jobs and scheduler:
            from .dask_backend import run_dask

            run_dask(jobs, spec, digest, scheduler, timeout, retries, done)
        elif jobs:
            run_local(jobs, spec, workers or default_workers(), timeout, done)
    order = {name: i for i, name in enumerate(students)}
    report.outcomes.sort(key=lambda o: order[o.student])
    report.wall_seconds = time.monotonic() - began
    return report
