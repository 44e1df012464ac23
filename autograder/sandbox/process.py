"""The grader's handle on an executed submission: run its cells, then probe its functions.

Each probe failure is a typed exception with a message fit for the student's report, so a
grading test can fail on exactly what went wrong and nothing else. When the student's
process dies or hangs, it is killed and, on the next probe, started again; a cell that ran
past the notebook budget is skipped on restart, so one endless cell costs the tests that
need it, not the whole notebook. The budget is for the whole grading: a restart re-runs the
cells that finished before (with twice their time, plus a little) and gives a cell it has
not reached only what is left. A function that did not return within a probe's budget is
not called again (each later call fails at once), so one endless function costs its own
checks, once. Restarts after a crash or an endless cell are capped at ``max_restarts``.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from .child import protocol
from ..common.safe_text import student_text
from .confine import Sandbox, SandboxPolicy


CELL_OUTPUT_CHARS = 8000  # of a cell's printed output kept; the runner cuts there too
MAX_CELLS = 1000  # honest notebooks have a few dozen; each cell's outcome becomes a note
MAX_NOTES = 50


class ProbeError(Exception):
    """A probe could not produce an answer; ``str()`` is safe to show the student."""


class MissingName(ProbeError):
    pass


class StudentRaised(ProbeError):
    pass


class ProbeTimeout(ProbeError):
    pass


class StudentCrashed(ProbeError):
    pass


@dataclass
class CellOutcome:
    index: int
    status: str  # "ok", "error", "timeout", "crashed", "skipped", "not run"
    error: str = ""
    output: str = ""  # what the cell printed, capped (the instructor's record, never a score)
    truncated: bool = False  # the output was cut at the cap
    line: int | None = None  # a checked (test) cell's failing line, as its process reports it
    seconds: float = 0.0  # from the previous cell's report to this one's, on the grader's clock


@dataclass
class ExecutionReport:
    cells: list[CellOutcome] = field(default_factory=list)
    seconds: float = 0.0  # running the cells
    probe_seconds: float = 0.0  # inside probe calls: the student's functions, plus transfer
    notes: list[str] = field(default_factory=list)

    def errors(self) -> list[CellOutcome]:
        return [c for c in self.cells if c.status != "ok"]


def _worse(before: CellOutcome, reported: CellOutcome) -> CellOutcome:
    """The outcome that counts when a cell is reported again. The runner reports each cell
    once, in order, but it shares its process with the student's code, which can write on
    the same channel (a red team rewrote a failed test cell's outcome as "ok", +1): a second
    report can only make a cell's outcome worse, never better."""
    if before.status == "not run" or (before.status == "ok" and reported.status != "ok"):
        return reported
    return before


# The longest a student process may take to start, before its first cell (imports, no
# student code): apart from the notebook's budget.
START_SECONDS = 120.0


class StudentProcess:
    """A submission's code cells running in a sandbox, answering probes until closed."""

    def __init__(self, cells: list[str], *, policy: SandboxPolicy | None = None,
                 data_dir: Path | None = None, notebook_seconds: float = 300.0,
                 call_seconds: float = 60.0, max_restarts: int = 2,
                 checked: frozenset[int] = frozenset()):
        """``checked``: indices of cells that are grader-written test code (an instructor's
        test cell in place of the student's copy): run as plain Python, reporting the
        failing line in :attr:`CellOutcome.line`."""
        self.cells = list(cells)
        self.checked = frozenset(checked)
        self.policy = policy or SandboxPolicy()
        self.data_dir = data_dir
        self.notebook_seconds = notebook_seconds
        self.call_seconds = call_seconds
        self.max_restarts = max_restarts
        self.report = ExecutionReport()
        self._skipped: set[int] = set()
        self._sandbox: Sandbox | None = None
        self._starts = 0
        self._budget_used = 0.0  # of notebook_seconds, on cells not finished before
        self._hung: dict[str, float] = {}  # functions that ran past a probe's budget
        self._probe_restarts = 0  # restarts after a probe timeout: not capped (one each)
        self._started = False
        self._seal: protocol.SealCheck | None = None  # the replies' seal, new each launch
        self._sealer: protocol.RequestSealer | None = None  # the requests' envelope, likewise
        self._last_failure = ""
        # why the sandbox itself could not be built (the grader's failure, not the
        # student's): a grading that met one cannot be trusted
        self.setup_failure: str | None = None

    # -- execution --------------------------------------------------------------------

    def start(self) -> ExecutionReport:
        """Execute the cells once; later restarts happen only on demand."""
        if self._starts == 0:
            self._launch()
        return self.report

    def _note(self, text: str) -> None:
        """Notes are capped: a notebook of a million failing cells gets a short report."""
        if len(self.report.notes) < MAX_NOTES:
            self.report.notes.append(text)
        elif len(self.report.notes) == MAX_NOTES:
            self.report.notes.append("(further notes left out)")

    def _launch(self) -> None:
        if len(self.cells) > MAX_CELLS:
            raise StudentCrashed(f"the notebook has {len(self.cells)} code cells, above the "
                                 f"limit of {MAX_CELLS}; merge cells and submit again")
        if self._starts - self._probe_restarts > self.max_restarts:
            raise StudentCrashed(f"the notebook's process stopped and was not restarted "
                                 f"again ({self._last_failure})")
        self._starts += 1
        self._started = False  # the runner said it was up, before the first cell ran
        sandbox = Sandbox(self.policy, self.data_dir).start()
        self._sandbox = sandbox
        began = time.monotonic()
        # cells that finished before run again in twice their time; the rest share what is
        # left of the budget (a grace on restarts, so a quick cell after them can run)
        rerun = sum(c.seconds for c in self.report.cells
                    if c.status in ("ok", "error") and c.index not in self._skipped)
        left = max(0.0, self.notebook_seconds - self._budget_used)
        if self._starts > 1:
            left += 2 * rerun + min(10.0, self.notebook_seconds / 4)
        # the process's own start (a cold one imports TensorFlow: 5-30 s) runs no student
        # code and is not charged to the budget: an endless cell on a cold rung spent the
        # whole budget, and the restart's imports then outlasted the grace, so no later
        # cell ran again (every check 0 on the setuid and user rungs)
        deadline = began + max(left, START_SECONDS)
        cells_began = None
        to_run = [("pass" if i in self._skipped else src) for i, src in enumerate(self.cells)]
        previous = {c.index: c for c in self.report.cells}
        outcomes = [previous[i] if i in self._skipped else CellOutcome(i, "not run")
                    for i in range(len(self.cells))]
        last = began
        key = os.urandom(protocol.SEAL_BYTES)  # this process's seal (protocol.seal_with)
        self._seal = protocol.SealCheck(key)
        # and the envelope of every later request (protocol.request_opener)
        self._sealer = protocol.RequestSealer(key)
        try:
            protocol.send_message(sandbox.request_fd,
                                  {"op": "execute", "seal": key.hex(),
                                   "checked": sorted(self.checked),
                                   "own_uid": sandbox.uid is not None,
                                   "preload": [] if sandbox.warm else list(self.policy.preload)},
                                  to_run,
                                  deadline=deadline, max_header_bytes=protocol.MAX_CELLS_BYTES)
            while True:
                header, _ = protocol.receive_message(sandbox.reply_fd, deadline=deadline,
                                                     seal=self._seal)
                if header.get("event") == "started":
                    self._started = True
                    last = cells_began = time.monotonic()
                    deadline = cells_began + left
                    continue
                if header.get("event") == "executed":
                    if any(c.status == "not run" for c in outcomes):
                        raise protocol.ProtocolError("the notebook's process said it had run "
                                                     "every cell before reporting them all")
                    break
                index = header.get("index")
                if header.get("event") != "cell" or type(index) is not int \
                        or not 0 <= index < len(outcomes):
                    raise protocol.ProtocolError("unexpected message during execution")
                if index not in self._skipped:
                    status = header.get("status")
                    line = header.get("line")
                    outcome = CellOutcome(
                        index, status if status in ("ok", "error") else "error",
                        student_text(header.get("error", ""), 500),
                        student_text(header.get("output") or "", CELL_OUTPUT_CHARS),
                        header.get("truncated") is True,
                        line if type(line) is int and index in self.checked else None,
                        round(time.monotonic() - last, 3))
                    outcomes[index] = _worse(outcomes[index], outcome)
                last = time.monotonic()
        except protocol.ProtocolError as exc:
            # before "started" no cell ran: the process's start failed, not a cell
            running = next((c.index for c in outcomes if c.status == "not run"), None) \
                if self._started else None
            if isinstance(exc, protocol.ChannelTimeout):
                what = f"ran past the notebook's {self.notebook_seconds:g} s budget" \
                    if self._started else f"did not start within {START_SECONDS:g} s"
                self._fail(f"the notebook {what}")
            else:
                self._fail(self._death_reason(exc))
                what = f"stopped the notebook's process ({self._last_failure})"
            if running is not None:
                outcomes[running].status = "timeout" if "budget" in what else "crashed"
                self._skipped.add(running)
                self._note(f"Code cell {running + 1} {what}; it is skipped when "
                           "the notebook is run again for grading.")
            else:
                self._note(f"The notebook {what}.")
        finally:
            elapsed = time.monotonic() - began
            self.report.seconds += elapsed
            self.report.cells = outcomes
            if cells_began is not None:
                self._budget_used += max(0.0, time.monotonic() - cells_began - rerun)

    def _death_reason(self, exc: Exception) -> str:
        sandbox = self._sandbox
        if sandbox is not None and sandbox.killed_for:
            return f"it was stopped: {sandbox.killed_for}"
        if sandbox is not None and sandbox.process is not None:
            try:
                code = sandbox.process.wait(timeout=2)
            except Exception:  # noqa: BLE001
                code = None
            marker = "sandbox setup failed:"
            if code == 121 and marker in sandbox.output():
                after = sandbox.output().rsplit(marker, 1)[1]
                if not self._started:  # after "started", the student could have printed it
                    lines = after.strip().splitlines()
                    self.setup_failure = student_text(lines[-1] if lines else "", 300)
                return "the sandbox could not be set up:" + student_text(
                    after.split("\n", 1)[0], 300)
            if code is not None and code < 0:
                try:
                    return f"it was killed by {signal.Signals(-code).name}"
                except ValueError:
                    return f"it was killed by signal {-code}"
            if code is not None:
                return f"it exited with status {code}"
        return f"it broke the probe channel ({exc})"

    def _fail(self, reason: str) -> None:
        self._last_failure = reason
        if self._sandbox is not None:
            self._sandbox.close()
        self._sandbox = None

    # -- probes -----------------------------------------------------------------------

    def call(self, name: str, *args, timeout: float | None = None, forbid=(), **kwargs):
        """Call the student's ``name(*args, **kwargs)``; args are plain data or arrays.

        ``forbid``: dotted APIs (``"tf.nn.softmax"``) switched off in the student's process
        for the duration of this call; using one makes the call raise."""
        if name in self._hung:
            raise ProbeTimeout(f"`{name}` did not return within {self._hung[name]:g} s when "
                               "called earlier in this grading, so it was not called again")
        header = {"op": "call", "name": name}
        if forbid:
            header["forbid"] = [str(path) for path in forbid]
        return self._request(header, [list(args), kwargs], name, timeout)

    def run_code(self, source: str, timeout: float | None = None) -> dict:
        """Run grader-written code (an instructor's test cell) in the notebook's namespace.

        Returns the student side's report, ``{"ok": bool, "error": str, "line": int|None}``:
        untrusted, so use it only to lower a score."""
        reply = self._request({"op": "exec", "name": "test cell"}, source, "the test cell",
                              timeout)
        if not isinstance(reply, dict) or type(reply.get("ok")) is not bool:
            return {"ok": False, "error": "the test cell's report was unreadable", "line": None}
        line = reply.get("line")
        return {"ok": reply["ok"], "error": student_text(str(reply.get("error", "")), 400),
                "line": line if type(line) is int else None}

    def get(self, name: str, timeout: float | None = None):
        """Read the student's global variable ``name``."""
        return self._request({"op": "get", "name": name}, None, name, timeout)

    def _request(self, header: dict, payload, name: str, timeout: float | None):
        while self._sandbox is None:  # each failed launch skips the cell that failed it
            cells_failed = len(self._skipped)
            self._launch()  # raises once the restarts are spent
            if self._sandbox is None and len(self._skipped) == cells_failed:
                raise StudentCrashed(f"the notebook could not be run ({self._last_failure})")
        sandbox = self._sandbox
        seconds = timeout or self.call_seconds
        deadline = time.monotonic() + seconds
        began = time.monotonic()
        try:
            protocol.send_message(sandbox.request_fd, header, payload, deadline=deadline,
                                  sealer=self._sealer)
            reply, value = protocol.receive_message(sandbox.reply_fd, deadline=deadline,
                                                    seal=self._seal)
        except protocol.ChannelTimeout:
            self._fail(f"`{name}` did not return within {seconds:g} s")
            if header.get("op") == "call":
                self._hung[name] = seconds
                self._probe_restarts += 1
            raise ProbeTimeout(f"`{name}` did not return within {seconds:g} s") from None
        except protocol.ProtocolError as exc:
            self._fail(self._death_reason(exc))
            raise StudentCrashed(f"calling `{name}` stopped the notebook's process "
                                 f"({self._last_failure})") from None
        finally:
            self.report.probe_seconds += time.monotonic() - began
        status = reply.get("status")
        if status == "ok":
            return value
        if status == "missing":
            raise MissingName(f"`{name}` is not defined (did its cell run without errors?)")
        if status == "not_callable":
            raise MissingName(f"`{name}` should be a function, but it is a "
                              f"{student_text(reply.get('type'), 50)}")
        if status == "raised":
            raise StudentRaised(f"`{name}` raised {student_text(reply.get('error'), 400)}")
        raise StudentCrashed(f"`{name}`: {student_text(reply.get('error', 'bad reply'), 400)}")

    def output(self) -> str:
        return self._sandbox.output() if self._sandbox else ""

    def close(self, wait: bool = True) -> None:
        """End the student's process; ``wait=False``: see :meth:`Sandbox.close`."""
        if self._sandbox is not None:
            try:
                protocol.send_message(self._sandbox.request_fd, {"op": "bye"},
                                      deadline=time.monotonic() + 1, sealer=self._sealer)
            except protocol.ProtocolError:
                pass
            self._sandbox.close(wait=wait)
            self._sandbox = None

    def __enter__(self) -> "StudentProcess":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
