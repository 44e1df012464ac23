"""Grade a whole class: find the submissions, grade each in its own process, keep every result.

- Layouts (:mod:`autograder.batch.submissions`): nbgrader's
  ``submitted/<student>/<assignment>/*.ipynb`` (PATH is the course root or its ``submitted``
  folder) or a flat folder of ``<student>.ipynb``.
- Each submission is graded in a child process, locally by a pool of ``workers`` threads
  that each keep one long-lived warm grading process (:mod:`autograder.batch.warm_pool`;
  cold, one :mod:`autograder.batch.worker` per submission, with ``AUTOGRADER_WARM=0``),
  or on a Dask cluster (:mod:`autograder.batch.dask_backend`); a crash fails that
  submission only.
- Output: the class folder of :mod:`autograder.outputs.class_folder`, each student's files
  written as soon as their submission is done.
- Resumable: every file is written atomically as soon as its submission is done, and a
  rerun reuses a result whose fingerprint (:mod:`autograder.batch.fingerprint`) is unchanged.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)

from ..common.files import remove_if_present
from ..grading.assignment import Assignment
from ..grading.results import GradeResult
from ..outputs.class_folder import (CLASS_FILES, store_graded, store_log, store_not_graded,
                                    stored_result)
from .fingerprint import grader_digest, submission_fingerprint
from .submissions import BatchError, Submission, discover
from .warm_pool import WorkerSet
from .worker import assignment_spec, failed, run_child


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


# -- storing outcomes ---------------------------------------------------------------------


def store(out_dir: Path, submission: Submission, fingerprint: str, payload: dict,
          seconds: float) -> Outcome:
    """Write one submission's outcome (atomically) and return its summary."""
    log_lines = list(payload.get("internal_errors") or [])
    if payload.get("status") == "graded":
        result = GradeResult.from_gradescope(payload["results"])
        result.extra.update(student=submission.student, fingerprint=fingerprint,
                            notebook=str(submission.notebook), wall_seconds=round(seconds, 2))
        if submission.timestamp:
            result.extra["timestamp"] = submission.timestamp
        store_graded(out_dir, submission.student, result)
        outcome = Outcome(submission.student, "graded", result.score, result.max_score,
                          seconds=seconds)
    else:
        error = str(payload.get("error") or "the grader gave no result")
        store_not_graded(out_dir, submission.student, {
            "error": error, "fingerprint": fingerprint, "notebook": str(submission.notebook)})
        outcome = Outcome(submission.student, "failed", error=error, seconds=seconds)
    if payload.get("log"):
        log_lines.append("grading process stderr (tail):\n" + payload["log"])
    store_log(out_dir, submission.student, log_lines)
    return outcome


def _clean_partial_writes(out_dir: Path) -> None:
    """Remove temp files left by a run killed mid-write (write_atomically's ``.*.tmp``)."""
    for pattern in (".*.tmp", "*/.*.tmp"):
        for path in out_dir.glob(pattern):
            remove_if_present(path)


# -- running ------------------------------------------------------------------------------


@dataclass
class Job:
    submission: Submission
    fingerprint: str


Done = Callable[[Job, dict, float], None]


def warm_workers_enabled() -> bool:
    """Long-lived warm workers unless ``AUTOGRADER_WARM=0`` asks for cold starts throughout."""
    return os.environ.get("AUTOGRADER_WARM", "1") != "0"


def run_local(jobs: list[Job], spec: dict, workers: int, timeout: float, done: Done) -> None:
    """Grade on this machine, ``workers`` at a time: each pool thread keeps one warm worker
    process (:mod:`autograder.batch.warm_pool`) for all its submissions, or starts a cold
    child per submission when warm workers are disabled."""
    warm = WorkerSet(spec) if warm_workers_enabled() else None

    def one(job: Job):
        began = time.monotonic()
        if warm is not None:
            payload = warm.grade(job.submission.notebook, timeout)
        else:
            payload = run_child(job.submission.notebook, spec, timeout)
        return payload, time.monotonic() - began

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="grade")
    try:
        futures = {pool.submit(one, job): job for job in jobs}
        for future in as_completed(futures):
            payload, seconds = future.result()
            done(futures[future], payload, seconds)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if warm is not None:
            warm.close()


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
    :func:`autograder.outputs.class_outputs.write_class_outputs`."""
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
        stored = stored_result(out_dir, sub.student)
        if stored is not None and stored.extra.get("fingerprint") == fingerprint:
            report.outcomes.append(Outcome(sub.student, "reused", stored.score,
                                           stored.max_score))
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
