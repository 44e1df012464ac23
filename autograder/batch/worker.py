"""Grade one submission in a child process, so a crash costs that submission alone.

This is the *cold* path (``AUTOGRADER_WARM=0``); ``grade-batch`` normally grades in long-lived
warm workers (:mod:`autograder.batch.warm_pool`) that reuse :func:`grade_payload` and the
helpers here. :func:`run_child` (parent side) starts ``python -m autograder.batch.worker`` with the request on
stdin; the child grades and writes its outcome to a file. A child that dies without
writing it (killed, out of memory, a segfault in a library) becomes a *failed* outcome
with the reason, and the batch goes on. The child asks Linux to kill it when its parent
dies (PR_SET_PDEATHSIG), so a batch killed even with ``kill -9`` leaves no grading process
behind (the sandbox it starts does the same). A fresh interpreter per submission costs
~2 s of imports (plus TensorFlow's when the suite needs it) and shares nothing with other
submissions.

An outcome is a JSON dict: ``{"status": "graded", "results": <results.json document>,
"internal_errors": [...]}`` or ``{"status": "failed", "error": "<why>"}``, plus ``log``
(the tail of the child's stdout and stderr, for the instructor).
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..common.paths import REPO_ROOT
from ..common.threads import limit_grader_threads

LOG_CHARS = 4000
_PR_SET_PDEATHSIG = 1


# The grading package is imported inside the functions that need it: a warm worker imports
# this module before it forks its students' fork server, which must not carry the grader.


def assignment_spec(assignment) -> dict:
    """A JSON description that rebuilds ``assignment`` in another process or machine.

    A registered assignment is looked up by name there (its files may live elsewhere);
    any other (e.g. one made by a test) is rebuilt field by field."""
    from ..grading.assignment import ASSIGNMENTS

    spec = {f.name: (str(v) if isinstance(v, Path) else v)
            for f in dataclasses.fields(assignment)
            for v in [getattr(assignment, f.name)]}
    spec["registered"] = ASSIGNMENTS.get(assignment.name) == assignment
    return spec


def assignment_from_spec(spec: dict):
    """The :class:`~autograder.grading.assignment.Assignment` that ``spec`` describes."""
    from ..grading.assignment import ASSIGNMENTS, Assignment

    if spec.get("registered") and spec["name"] in ASSIGNMENTS:
        return ASSIGNMENTS[spec["name"]]
    kwargs = {}
    for f in dataclasses.fields(Assignment):
        if f.name in spec:
            value = spec[f.name]
            kwargs[f.name] = Path(value) if "Path" in str(f.type) and value is not None else value
    return Assignment(**kwargs)


def failed(error: str, log: str = "") -> dict:
    return {"status": "failed", "error": error, "log": log}


def grade_payload(notebook: Path, assignment, defer_teardown: bool = False) -> dict:
    """Grade in this process; the outcome dict (see the module docstring).
    ``defer_teardown``: see :func:`autograder.grading.grade.grade`."""
    from ..grading.grade import GraderError, grade
    from ..sandbox.confine import current_rung

    began = time.monotonic()
    try:
        result = grade(notebook, assignment, defer_teardown=defer_teardown)
    except GraderError as exc:
        return failed(f"grader error: {exc}")
    result.extra["sandbox_rung"] = current_rung()
    # where the time went, for benchmarks/batch_throughput.py (scores never depend on it)
    result.extra["timing"] = {"student_seconds": round(result.student_seconds, 3),
                              "cells_seconds": round(result.cells_seconds, 3),
                              "grading_seconds": round(time.monotonic() - began, 3)}
    return {"status": "graded", "results": result.to_gradescope(),
            "internal_errors": list(result.internal_errors),
            "record": list(result.record)}  # the instructor's record, outside the results


def describe_exit(code: int) -> str:
    """Why a grading process that left no outcome ended, for the instructor."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the grading process was killed by {name} before it finished"
    return f"the grading process exited with status {code} without a result"


def run_child(notebook: Path, spec: dict, timeout: float) -> dict:
    """Grade ``notebook`` in a new process; never raises for what happens in the child."""
    with tempfile.TemporaryDirectory(prefix="autograder-worker-") as tmp:
        out, log = Path(tmp) / "outcome.json", Path(tmp) / "output.log"
        request = {"notebook": str(Path(notebook).resolve()), "assignment": spec,
                   "out": str(out), "parent_pid": os.getpid()}
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        limit_grader_threads(env)
        # A worker that grades one submission would pay for a fork server's TensorFlow
        # import on top of its own and fork once: a cold start is cheaper there.
        env.setdefault("AUTOGRADER_WARM", "0")
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        with open(log, "wb") as log_file:
            process = subprocess.Popen([sys.executable, "-m", "autograder.batch.worker"],
                                       stdin=subprocess.PIPE, stdout=log_file,
                                       stderr=subprocess.STDOUT, env=env, cwd=tmp)
            try:
                process.communicate(json.dumps(request).encode(), timeout=timeout)
                code = process.returncode
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                code = None
        if code != 0:  # killed or crashed: it could not remove its sandboxes' folders
            from ..sandbox.confine import remove_left_behind
            remove_left_behind(process.pid)
        tail = log.read_text(encoding="utf-8", errors="replace")[-LOG_CHARS:]
        if code is None:
            return failed(f"grading took longer than {timeout:g} s and was stopped", tail)
        try:
            payload = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return failed(describe_exit(code), tail)
        payload["log"] = tail
        return payload


def die_with_parent(expected_parent: int) -> None:
    """SIGKILL this process when ``expected_parent`` dies (so a killed batch leaves none)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's timeout still applies
        return
    if os.getppid() != expected_parent:
        os._exit(1)  # the parent died before prctl took effect


def main() -> int:
    request = json.loads(sys.stdin.read())
    die_with_parent(request["parent_pid"])
    from ..common.files import write_atomically

    payload = grade_payload(Path(request["notebook"]),
                            assignment_from_spec(request["assignment"]))
    write_atomically(Path(request["out"]), json.dumps(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
