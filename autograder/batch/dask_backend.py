"""Grading on a Dask cluster: each submission is one task, graded in a child process there.

Each Dask worker thread keeps one long-lived warm grading process per assignment
(:mod:`autograder.batch.warm_pool`), as a local ``grade-batch`` does, so TensorFlow is
imported once per Dask worker rather than once per submission (``AUTOGRADER_WARM=0`` on the
workers gives a cold child per task).

The task carries the notebook's bytes (workers need no shared file system) and the
assignment's description; the worker must have the same grader installed, which
:func:`grade_task` checks against the planner's digest before grading. When a worker dies
mid-task the scheduler reschedules the task elsewhere (up to its
``distributed.scheduler.allowed-failures``, then ``KilledWorker``); an exception inside the
task is retried ``retries`` times. A grading crash is not an exception: it comes back as a
failed outcome, as in a local run, so it is not retried.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path

from .fingerprint import grader_digest
from .warm_pool import WorkerSet
from .worker import assignment_from_spec, failed, run_child

_IMPORT_HINT = ("\nThe scheduler and every worker must import this grader: start them from "
                "its repository with PYTHONPATH set to it, in the same environment.")


_worker_sets: dict[str, WorkerSet] = {}
_worker_sets_lock = threading.Lock()


def _close_worker_sets() -> None:
    for worker_set in list(_worker_sets.values()):
        worker_set.close()


atexit.register(_close_worker_sets)


def warm_worker_set(spec: dict) -> WorkerSet | None:
    """This Dask worker's warm graders for ``spec`` (kept between tasks); None: cold."""
    if os.environ.get("AUTOGRADER_WARM", "1") == "0":
        return None
    key = json.dumps(spec, sort_keys=True)
    with _worker_sets_lock:
        if key not in _worker_sets:
            _worker_sets[key] = WorkerSet(spec)
        return _worker_sets[key]


def grade_task(notebook_bytes: bytes, filename: str, spec: dict, digest: str,
               timeout: float) -> dict:
    """Runs on a Dask worker: the outcome dict of :func:`autograder.batch.worker.run_child`."""
    host, began = socket.gethostname(), time.monotonic()
    try:
        assignment = assignment_from_spec(spec)
        mine = grader_digest(assignment)
    except Exception as exc:  # noqa: BLE001 - e.g. the suite's folder is missing there
        return failed(f"worker {host} cannot load the grader for {spec.get('name')!r}: "
                      f"{type(exc).__name__}: {exc}")
    if mine != digest:
        return failed(f"worker {host} has a different grader or grading suite than the "
                      "machine that started the batch; install the same version everywhere")
    with tempfile.TemporaryDirectory(prefix="autograder-task-") as tmp:
        notebook = Path(tmp) / Path(filename).name
        notebook.write_bytes(notebook_bytes)
        warm = warm_worker_set(spec)
        payload = (warm.grade(notebook, timeout) if warm is not None
                   else run_child(notebook, spec, timeout))
    payload.update(worker=host, seconds=time.monotonic() - began)
    return payload


def run_dask(jobs, spec: dict, digest: str, address: str, timeout: float, retries: int,
             done) -> None:
    """Submit every job to the scheduler at ``address``; call ``done`` as each finishes."""
    from distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    with Client(address, timeout="60s") as client:
        futures = {}
        for job in jobs:
            future = client.submit(
                grade_task, job.submission.notebook.read_bytes(), job.submission.notebook.name,
                spec, digest, timeout, key=f"grade-{job.submission.student}-{uuid.uuid4().hex[:8]}",
                retries=retries, pure=False)
            futures[future] = job
        for future in as_completed(futures):
            job = futures[future]
            try:
                payload = future.result()
            except KilledWorker as exc:
                payload = failed(f"the Dask workers grading it kept dying ({exc})")
            except Exception as exc:  # noqa: BLE001 - whatever the task raised, retries spent
                payload = failed(f"the Dask task failed: {type(exc).__name__}: {exc}".strip()
                                 + (_IMPORT_HINT if "deserializ" in str(exc) else ""))
            done(job, payload, float(payload.get("seconds", 0.0)))
            future.release()
