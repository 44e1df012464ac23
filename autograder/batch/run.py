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
- Progress: a live bar on a terminal; otherwise (a CI log, a redirected file) one plain line
  per finished submission with done/failed/left and an ETA from this run's throughput.
- Nothing is silently left out: a file in a flat folder that is not a notebook becomes a
  not-graded row (``alice.py``: "not a notebook"), and what is skipped is printed with why.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                           TextColumn, TimeElapsedColumn, TimeRemainingColumn)

from ..common.files import remove_if_present
from ..common.safe_text import terminal_text
from ..grading.assignment import Assignment
from ..grading.results import GradeResult
from ..outputs.class_folder import (CLASS_FILES, store_graded, store_log, store_not_graded,
                                    stored_result)
from ..outputs.records import store_record
from .fingerprint import grader_digest, submission_fingerprint
from .late import DuePolicy, attach_timestamps
from .submissions import BatchError, HandinRefused, Submission, discover, read_handin
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


def apply_late(result: GradeResult, submission: Submission, policy: DuePolicy | None) -> None:
    """Set ``result.late`` from the submission's time (after grading: the penalty may
    depend on the score). Without a due date there is nothing to be late for."""
    result.late = policy.assess(submission.student, submission.timestamp, result.raw_score,
                                result.max_score) if policy else {}


def store(out_dir: Path, submission: Submission, fingerprint: str, payload: dict,
          seconds: float, policy: DuePolicy | None = None) -> Outcome:
    """Write one submission's outcome (atomically) and return its summary."""
    log_lines = list(payload.get("internal_errors") or [])
    if payload.get("status") == "graded":
        result = GradeResult.from_gradescope(payload["results"])
        log_lines.insert(0, f"sandbox rung: {result.extra.get('sandbox_rung', 'unknown')}")
        result.extra.update(student=submission.student, fingerprint=fingerprint,
                            notebook=str(submission.notebook), wall_seconds=round(seconds, 2))
        if submission.timestamp:
            result.extra["timestamp"] = submission.timestamp
        apply_late(result, submission, policy)
        store_graded(out_dir, submission.student, result)
        store_record(out_dir, submission.student, payload.get("record"))
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


def _renamed_if_clashing(sub: Submission) -> Submission:
    """A student whose name is a class-level file's (``gradebook.csv.ipynb``) is graded
    under a name of its own, with a note, instead of stopping the batch."""
    if sub.student not in CLASS_FILES:
        return sub
    return Submission(f"{sub.student}.student", sub.notebook,
                      sub.problem or "", sub.timestamp)


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
    unstarted = [len(jobs)]
    lock = threading.Lock()

    def one(job: Job):
        began = time.monotonic()
        with lock:
            unstarted[0] -= 1
        if warm is not None:
            payload = warm.grade(job.submission.notebook, timeout,
                                 more_to_come=lambda: unstarted[0] > 0)
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


ISOLATION_WARNING = (
    "the sandboxes get no cgroup here (an ordinary user, or a read-only cgroup file system "
    "as in a default Docker container): nothing shares the CPU out between gradings, and a "
    "student's processes (64 spinners in sessions of their own slowed a neighbour 8x) can "
    "push another's grading past its time budget.")


def local_workers(asked: int | None) -> tuple[int, str]:
    """How many local gradings run at once, and what to tell the TA. Where sandboxes get no
    cgroup, one at a time unless asked otherwise: one student's processes then compete with
    no one's grading but their own, and die with it."""
    from ..sandbox import cgroups

    if cgroups.available():
        return asked or default_workers(), ""
    if asked is None:
        return 1, ("grading one submission at a time: " + ISOLATION_WARNING
                   + " --workers N grades N at a time anyway.")
    if asked > 1:
        return asked, f"warning: {asked} gradings at a time, but {ISOLATION_WARNING}"
    return asked, ""


def default_timeout(assignment: Assignment) -> float:
    """A last-resort wall clock per submission, far above the grader's own budgets."""
    return 3 * assignment.notebook_seconds + 30 * assignment.call_seconds + 60


def _progress(console: Console, quiet: bool) -> Progress:
    # rich estimates speed over the last 30 s by default: with gradings of a minute or more
    # that window is mostly empty and the ETA reads -:--:--; this run's whole history is used
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TextColumn("[red]failed {task.fields[failed]}"),
                    TextColumn("reused {task.fields[reused]}"), TimeElapsedColumn(),
                    TextColumn("left"), TimeRemainingColumn(), console=console,
                    disable=quiet or not console.is_terminal, transient=False,
                    speed_estimate_period=24 * 3600)


def eta_seconds(finished_this_run: int, elapsed: float, left: int) -> float | None:
    """Seconds left at this run's average throughput; None before the first result."""
    if left <= 0:
        return 0.0
    if finished_this_run <= 0 or elapsed <= 0:
        return None
    return left * elapsed / finished_this_run


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "unknown until the first result"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class PlainProgress:
    """Progress as plain lines, for logs: one per finished submission, and a heartbeat every
    ``every`` seconds while nothing finishes (so a CI log never looks stuck)."""

    def __init__(self, console: Console, assignment: str, total: int, already: int,
                 failed: int, every: float = 60.0):
        self.console, self.assignment, self.total = console, assignment, total
        self.done, self.failed, self.already = already, failed, already
        self.began = time.monotonic()
        self.every = every
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._heartbeat, daemon=True)

    def start(self, workers: str) -> None:
        self._print(f"{self.assignment}: {self.total} submissions, {self.already} already "
                    f"done (reused or not gradable), {self.total - self.already} to grade "
                    f"({workers})")
        self._thread.start()

    def line(self) -> str:
        elapsed = time.monotonic() - self.began
        left = self.total - self.done
        eta = eta_seconds(self.done - self.already, elapsed, left)
        return (f"done {self.done}/{self.total}, failed {self.failed}, left {left}; "
                f"elapsed {_clock(elapsed)}, ETA {_clock(eta)}")

    def finished(self, outcome: "Outcome") -> None:
        with self._lock:
            self.done += 1
            self.failed += outcome.status == "failed"
            what = (f"{outcome.score:g}/{outcome.max_score:g}" if outcome.status == "graded"
                    else f"NOT GRADED ({terminal_text((outcome.error or '?').splitlines()[0], 120)})")
            # a hand-in's name is the student's to choose: escape sequences in it could
            # rewrite the log's lines about other students (a red team's did)
            self._print(f"{terminal_text(outcome.student, 200)}: {what} in "
                        f"{outcome.seconds:.0f} s | {self.line()}")

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                self._print(f"still grading | {self.line()}")

    def _print(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def unlisted_files(path: Path, assignment: str,
                   submissions: list[Submission]) -> tuple[list[Submission], list[str]]:
    """Files in a flat folder that :func:`discover` does not grade: a non-notebook whose
    name is no one else's becomes a not-graded submission (a row in gradebook.csv); the
    rest is returned as ``"name: why"`` lines to print."""
    path = Path(path)
    if not path.is_dir() or (path / "submitted").is_dir() or \
            any(d.is_dir() and (d / assignment).is_dir() for d in path.iterdir()):
        return [], []  # nbgrader layout: other folders are other assignments or students
    students = {s.student for s in submissions}
    added, skipped = [], []
    for item in sorted(path.iterdir()):
        if item.suffix == ".ipynb" and item.is_file() and not item.name.startswith("."):
            continue
        if item.name.startswith("."):
            skipped.append(f"{item.name}: hidden")
        elif item.is_dir():
            skipped.append(f"{item.name}/: a folder (a flat folder holds <student>.ipynb)")
        elif item.name in CLASS_FILES:
            skipped.append(f"{item.name}: a class-level output of grade-batch")
        elif item.stem in students:
            skipped.append(f"{item.name}: not a notebook (.ipynb)")
        else:
            students.add(item.stem)
            added.append(Submission(item.stem, None, f"{item.name} is not a notebook (.ipynb); "
                                                     f"submit the .ipynb file"))
    return added, skipped


def grade_batch(path: Path, assignment: Assignment, out_dir: Path, *,
                workers: int | None = None, scheduler: str | None = None,
                timeout: float | None = None, retries: int = 2, quiet: bool = False,
                console: Console | None = None, policy: DuePolicy | None = None,
                on_stored: Callable[[str], None] | None = None) -> BatchReport:
    """Grade every submission under ``path`` into ``out_dir``; see the module docstring.

    ``policy``: the assignment's due date and late rule (:mod:`autograder.batch.course`);
    each result then carries its lateness and penalty (:mod:`autograder.batch.late`).
    ``on_stored(student)`` is called as each graded submission's files are written (the
    CLI writes the student's feedback page there, while the rest are graded).

    Class-level files (CSV, summary, HTML, JUnit) are written afterwards by
    :func:`autograder.outputs.class_outputs.write_class_outputs`."""
    began = time.monotonic()
    out_dir = Path(out_dir)
    submissions = attach_timestamps(discover(path, assignment.name), path)
    extra, skipped = unlisted_files(path, assignment.name, submissions)
    submissions = sorted(submissions + extra, key=lambda s: s.student)
    if not submissions:
        raise BatchError(f"no submissions for {assignment.name!r} under {path}")
    submissions = [_renamed_if_clashing(s) for s in submissions]
    students = [s.student for s in submissions]
    if len(set(students)) != len(students):
        raise BatchError("two submissions map to the same student name")
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean_partial_writes(out_dir)
    digest = grader_digest(assignment)
    report = BatchReport(assignment.name, out_dir)
    jobs: list[Job] = []
    for sub in submissions:
        if sub.notebook is None:
            report.outcomes.append(store(out_dir, sub, "", failed(sub.problem), 0.0, policy))
            continue
        try:  # a hostile file (FIFO, link, huge) is refused before any read
            data = read_handin(sub.notebook, sub.notebook.parent)
        except HandinRefused as exc:
            report.outcomes.append(store(out_dir, sub, "", failed(
                f"the hand-in was refused: {exc}"), 0.0, policy))
            continue
        fingerprint = submission_fingerprint(data, digest)
        stored = stored_result(out_dir, sub.student)
        if stored is not None and stored.extra.get("fingerprint") == fingerprint:
            late = stored.late
            apply_late(stored, sub, policy)  # the course's dates may have changed since
            if stored.late != late:
                store_graded(out_dir, sub.student, stored)
            report.outcomes.append(Outcome(sub.student, "reused", stored.score,
                                           stored.max_score))
        else:
            jobs.append(Job(sub, fingerprint))

    console = console or Console(stderr=True)
    if not quiet:
        for line in skipped:
            console.print(f"not graded: {terminal_text(line, 400)}", markup=False,
                          highlight=False)
    if jobs and not scheduler:
        workers, warning = local_workers(workers)
        if warning and not quiet:
            console.print(warning, markup=False, highlight=False)
    timeout = timeout or default_timeout(assignment)
    plain = None
    if not quiet and not console.is_terminal:
        plain = PlainProgress(console, assignment.name, len(submissions),
                              len(report.outcomes), report.count("failed"))
        plain.start(f"Dask scheduler {scheduler}" if scheduler else
                    f"{workers or default_workers()} local workers")
    with _progress(console, quiet) as progress:
        reused = report.count("reused")
        task = progress.add_task(assignment.name, total=len(submissions),
                                 completed=len(report.outcomes), failed=report.count("failed"),
                                 reused=reused)

        def done(job: Job, payload: dict, seconds: float) -> None:
            outcome = store(out_dir, job.submission, job.fingerprint, payload, seconds, policy)
            report.outcomes.append(outcome)
            if on_stored is not None:
                on_stored(outcome.student)
            progress.update(task, advance=1, failed=report.count("failed"))
            if plain is not None:
                plain.finished(outcome)

        spec = assignment_spec(assignment)
        try:
            if jobs and scheduler:
                from .dask_backend import run_dask

                run_dask(jobs, spec, digest, scheduler, timeout, retries, done)
            elif jobs:
                run_local(jobs, spec, workers or default_workers(), timeout, done)
        finally:
            if plain is not None:
                plain.stop()
    order = {name: i for i, name in enumerate(students)}
    report.outcomes.sort(key=lambda o: order[o.student])
    report.wall_seconds = time.monotonic() - began
    return report
