"""Long-lived warm grading workers: pay the grader's imports once per worker, not per submission.

A cold batch worker (:func:`autograder.batch.worker.run_child`) is a fresh interpreter per
submission: it imports the grader (and TensorFlow, when the suite's reference math needs
it), and its student process imports TensorFlow again. A :class:`WarmWorker` is one process
(``python -m autograder.batch.warm_pool``) that grades submissions one after another with
the same :func:`~autograder.batch.worker.grade_payload` as a cold worker, so

- its own imports, and the reference values the suite caches per process, are paid once;
- its fork server (:mod:`autograder.sandbox.warm`, started at warm-up) imports TensorFlow
  once, and every submission still runs in a fresh, fully confined student process forked
  from it, exactly as a warm ``grade`` does.

Crash isolation is kept: when a grading kills the worker (a segfault in a library, out of
memory, ``kill``) or runs past the timeout, that submission alone fails with the reason and
the next one starts a fresh worker. The worker dies with the process that started it
(PR_SET_PDEATHSIG, which follows the starting *thread*, so workers are started from one
thread that lives as long as this module).

Protocol (private to this module): requests are JSON lines on an inherited pipe; the worker
writes each outcome atomically to the file the request names, then one JSON line
``{"done": id}`` on a second pipe (``{"ready": true}`` after its warm-up). Its stdout and
stderr go to a log file; each outcome carries the part written while it was graded.
"""

from __future__ import annotations

import gc
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from ..common.paths import REPO_ROOT
from ..common.threads import limit_grader_threads
from .worker import LOG_CHARS, describe_exit, failed

STARTUP_SECONDS = 600.0  # imports on a loaded machine; not charged to any submission
_LAUNCH_ENV = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "TF_CPP_MIN_LOG_LEVEL")
# Popen from one long-lived thread: PR_SET_PDEATHSIG fires when the *thread* that started
# the worker ends, and pool threads (ours or Dask's) may end before the worker should.
_spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-spawner")


class WorkerStartFailed(Exception):
    pass


class WarmWorker:
    """Parent side of one warm grading process; :meth:`grade` never raises for the child."""

    def __init__(self, spec: dict, startup_seconds: float = STARTUP_SECONDS):
        self.spec = spec
        self.startup_seconds = startup_seconds
        self.starts = 0  # how many processes this worker has started (1 unless one died)
        self.startup_times: list[float] = []
        self._tmp = Path(tempfile.mkdtemp(prefix="autograder-warm-"))
        self._log = self._tmp / "output.log"
        self._process: subprocess.Popen | None = None
        self._requests = self._replies = None
        self._pending = b""
        self._served = 0
        self._retired = False  # told there is no more work: exiting on its own

    # -- lifecycle --------------------------------------------------------------------

    def _start(self) -> None:
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        limit_grader_threads(env)  # the worker applies env before it imports NumPy
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        # The worker may become its students' fork server's parent image (see warm_up), and
        # /proc/self/environ shows a process's environment *as executed*: start it with what
        # an interpreter needs, and send the rest over the pipe.
        launch_env = {name: env[name] for name in _LAUNCH_ENV if name in env}
        argv = [sys.executable, "-m", "autograder.batch.warm_pool", str(request_r),
                str(reply_w), str(os.getpid())]
        began = time.monotonic()
        try:
            with open(self._log, "ab") as log:
                self._process = _spawner.submit(
                    subprocess.Popen, argv, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, env=launch_env, cwd=self._tmp,
                    pass_fds=(request_r, reply_w)).result()
        finally:
            os.close(request_r)
            os.close(reply_w)
        self.starts += 1
        self._retired = False
        self._requests = os.fdopen(request_w, "wb", buffering=0)
        self._replies, self._pending = reply_r, b""
        self._send({"warm_up": self.spec, "env": env})
        reply = self._reply(time.monotonic() + self.startup_seconds)
        if not (isinstance(reply, dict) and reply.get("ready")):
            timed_out = reply == "timeout"
            code = self._stop()
            why = (f"did not start within {self.startup_seconds:g} s" if timed_out
                   else describe_exit(code).replace("the grading process ", "", 1))
            raise WorkerStartFailed(f"the grading worker could not start: {why}")
        self.startup_times.append(time.monotonic() - began)

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _stop(self) -> int:
        """Kill the process (if alive); its fork server and student processes die with it."""
        code = 0
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            code = self._process.wait()
            if code != 0:  # killed or crashed: it could not remove its sandboxes' folders
                from ..sandbox.confine import remove_left_behind
                remove_left_behind(self._process.pid)
        for end in (self._requests,):
            if end is not None:
                try:
                    end.close()
                except OSError:
                    pass
        if self._replies is not None:
            os.close(self._replies)
        self._process = self._requests = self._replies = None
        return code

    def retire(self) -> None:
        """Tell the worker there is no more work (EOF) without waiting: it exits on its own,
        and tearing down its TensorFlow process (~0.1-0.2 s of the kernel's time) overlaps
        whatever comes next. :meth:`close` still waits for it."""
        if self._requests is not None:
            try:
                self._requests.close()
            except OSError:
                pass
            self._requests = None
            self._retired = True

    def close(self) -> None:
        self.retire()
        if self._retired and self._process is not None:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    # -- the pipes ----------------------------------------------------------------------

    def _send(self, message: dict) -> bool:
        try:
            self._requests.write(json.dumps(message).encode() + b"\n")
            return True
        except (OSError, ValueError):
            return False

    def _reply(self, deadline: float) -> dict | str:
        """The next reply line, or "timeout" at the deadline, or "closed" when the worker
        closed its end (it died: its exit status may not be visible yet)."""
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                return "timeout"
            chunk = os.read(self._replies, 65536)
            if not chunk:
                return "closed"
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)

    def _log_since(self, offset: int) -> str:
        try:
            with open(self._log, "rb") as log:
                log.seek(max(offset, os.path.getsize(self._log) - 4 * LOG_CHARS))
                return log.read().decode("utf-8", errors="replace")[-LOG_CHARS:]
        except OSError:
            return ""

    # -- grading ------------------------------------------------------------------------

    def grade(self, notebook: Path, timeout: float) -> dict:
        """The outcome dict of :mod:`autograder.batch.worker` for ``notebook``."""
        offset = self._log.stat().st_size if self._log.exists() else 0
        if not self.alive():
            if self._process is not None:
                self._stop()
            try:
                self._start()
            except WorkerStartFailed as exc:
                return failed(str(exc), self._log_since(offset))
        self._served += 1
        out = self._tmp / f"outcome-{self._served}.json"
        request = {"id": self._served, "notebook": str(Path(notebook).resolve()),
                   "out": str(out)}
        reply = self._reply(time.monotonic() + timeout) if self._send(request) else "closed"
        if reply == "timeout":
            self._stop()
            return failed(f"grading took longer than {timeout:g} s and was stopped",
                          self._log_since(offset))
        if not isinstance(reply, dict):
            return failed(describe_exit(self._stop()), self._log_since(offset))
        try:
            payload = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            payload = failed("the grading worker gave no readable result")
        finally:
            out.unlink(missing_ok=True)
        payload["log"] = self._log_since(offset)
        return payload


class WorkerSet:
    """Warm workers shared by concurrent callers (a thread pool, or Dask's threads): a call
    takes an idle worker, or makes one, and gives it back after its submission, so there
    are never more workers than calls in flight at once."""

    def __init__(self, spec: dict):
        self.spec = spec
        self._idle: list[WarmWorker] = []
        self._all: list[WarmWorker] = []
        self._lock = threading.Lock()

    def grade(self, notebook: Path, timeout: float,
              more_to_come: Callable[[], bool] = lambda: True) -> dict:
        """``more_to_come()`` is asked once this submission is graded: False retires the
        worker at once (see :meth:`WarmWorker.retire`), so at the end of a batch a worker
        with nothing left to grade is torn down while the others finish theirs."""
        with self._lock:
            worker = self._idle.pop() if self._idle else None
            if worker is None:
                worker = WarmWorker(self.spec)
                self._all.append(worker)
        try:
            return worker.grade(notebook, timeout)
        finally:
            if more_to_come():
                with self._lock:
                    self._idle.append(worker)
            else:
                worker.retire()

    def workers(self) -> list[WarmWorker]:
        with self._lock:
            return list(self._all)

    def close(self) -> None:
        workers = self.workers()
        for worker in workers:  # all at once: their teardowns overlap
            worker.retire()
        for worker in workers:
            worker.close()


# -- the worker process -------------------------------------------------------------------


def start_fork_server(spec: dict) -> bool:
    """Before anything else is imported: fork this worker's student fork server from the
    worker itself (:func:`autograder.sandbox.warm.start_here`), so the worker and its
    students share one TensorFlow import. Root with namespaces and warm starts only."""
    from ..sandbox import warm
    from ..sandbox.confine import warm_environment

    env = warm_environment(None, bool(spec.get("dataset")))
    try:
        return env is not None and warm.start_here(env)
    except Exception as exc:  # noqa: BLE001 - no server here: one starts the usual way
        print(f"autograder: the worker could not fork its own fork server ({exc!r}); "
              "starting one the usual way", file=sys.stderr)
        return False


def warm_up(spec: dict) -> None:
    """Import the grader and start the fork server before the first submission's clock."""
    from ..grading.grade import grade  # noqa: F401 - the imports are the point
    from ..sandbox.confine import SandboxPolicy, root_mode_available
    from ..sandbox.process import StudentProcess
    from .worker import assignment_from_spec

    assignment = assignment_from_spec(spec)
    # A suite whose reference math uses TensorFlow would import it inside the first
    # submission's grading (and its timeout); import it now instead.
    if any("tensorflow" in path.read_text(errors="replace")
           for path in Path(assignment.tests_dir).glob("*.py")):
        import tensorflow  # noqa: F401
    if not (SandboxPolicy().warm_start and root_mode_available()):
        return  # user mode starts each student process cold: nothing to warm
    with tempfile.TemporaryDirectory(prefix="autograder-warm-up-") as data:
        # The fork server is keyed by the sandbox's environment, which depends only on
        # whether a data set is mounted: a data folder here gives the same one as grading.
        process = StudentProcess(["pass"], data_dir=Path(data) if assignment.dataset else None)
        try:
            process.start()
        finally:
            process.close()


def keep_imports_out_of_gc() -> None:
    """Move everything the warm-up made (the grader's and TensorFlow's ~400,000 objects)
    into the cyclic garbage collector's permanent generation and turn it back on (``main``
    imports with it paused: collections while TensorFlow's objects pile up cost ~0.45 s of
    a 2.6 s import, and the few MB of cycles the imports leave are not worth a 0.2 s full
    collection). A full collection otherwise walks them all, ~0.3 s every six gradings or
    so (48 ms a grading on average, measured on nn-basics); the objects each grading makes
    are still collected."""
    gc.freeze()
    gc.enable()


def main(argv: list[str]) -> int:
    from ..common.files import write_atomically
    from ..sandbox.confine import finish_closing
    from .worker import assignment_from_spec, die_with_parent, grade_payload

    request_fd, reply_fd, parent = int(argv[1]), int(argv[2]), int(argv[3])
    gc.disable()  # during the warm-up's imports; keep_imports_out_of_gc turns it back on
    die_with_parent(parent)
    assignment = None
    with os.fdopen(request_fd, "rb") as requests, os.fdopen(reply_fd, "wb", buffering=0) as reply:
        for line in requests:
            request = json.loads(line)
            if "warm_up" in request:
                os.environ.update(request.get("env") or {})
                start_fork_server(request["warm_up"])
                warm_up(request["warm_up"])
                assignment = assignment_from_spec(request["warm_up"])
                keep_imports_out_of_gc()
                reply.write(b'{"ready": true}\n')
                continue
            # the student's processes are dead-signalled when this returns; their teardown
            # overlaps the next grading instead of delaying this outcome
            payload = grade_payload(Path(request["notebook"]), assignment, defer_teardown=True)
            write_atomically(Path(request["out"]), json.dumps(payload))
            reply.write(json.dumps({"done": request["id"]}).encode() + b"\n")
            sys.stdout.flush()
            sys.stderr.flush()
    # Every outcome is on disk and the batch closed its end: leave now. A normal interpreter
    # exit tears down TensorFlow's runtime and waits on the fork server (seconds per worker,
    # all at the end of a batch); the fork server dies with us (PR_SET_PDEATHSIG). The last
    # sandbox's folders and group are removed first.
    finish_closing()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
