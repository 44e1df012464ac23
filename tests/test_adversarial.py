"""Adversarial suite: hostile submissions against the real grader, sandbox and CLI.

Each attack in tests/fixtures/attacks.py is graded for real. On the blank release it must
score exactly 0; on the solution it must score the full marks minus exactly the checks it
gives up (``breaks``), the points coming from the grading suite's own markers. Either way
the grader must finish with a message that says what happened, never an internal error,
and leave no sandbox directory behind. The suite runs on whichever rung of the capability ladder
the machine gives the grader (tests/test_rungs.py runs it again under each rung this
machine can imitate); an attack whose defence does not hold on that rung is skipped with
the reason, and docs/threat-model.md says what it achieves there.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shutil
import socketserver
import threading
import time
import uuid
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import cli
from autograder.sandbox import confine as sandbox
from autograder.sandbox import rungs
from autograder.sandbox.child import protocol
from autograder.grading.assignment import get_assignment
from autograder.grading.grade import grade
from autograder.sandbox.confine import SandboxPolicy
from tests.fixtures import attacks
from tests.fixtures.attacks import ATTACKS, BY_NAME
from tests.fixtures.submissions import REPO, solved_notebook

pytestmark = pytest.mark.slow

ROOT = sandbox.root_mode_available()
RUNG = rungs.detect()
# The CLI refuses untrusted work on the user rung; there these tests check what still holds
# once an operator overrides that.
UNSAFE = ["--allow-unsafe-rung"] if not rungs.is_safe(RUNG) else []
NN_BASICS = get_assignment("nn-basics")
# Budgets: generous for notebooks (the honest part must fit on a loaded machine), short for
# probe calls (the longest honest call takes well under a second).
# The rule against code that reaches into the process (grading.tampering) would refuse
# several attacks before they run; off here, so the sandbox's own defences are what is tested.
QUICK = dataclasses.replace(NN_BASICS, notebook_seconds=120, call_seconds=10,
                            refuse_tampering=False)
# For attacks that hang the blank release: its honest part takes a few seconds, and a
# budget too short on a loaded machine costs more cells, never points it could not earn.
SHORT_NOTEBOOK = dataclasses.replace(NN_BASICS, notebook_seconds=15, call_seconds=5,
                                     refuse_tampering=False)

# Attacks with a test of their own below (they need the CLI or extra observations).
DEDICATED = {"write-results-files", "daemon-rewrites-results", "threads-and-daemons",
             "site-packages", "hostile-frames", "fifty-megabytes", "network-fetch",
             "hostile-messages", "shm-plant", "shm-pickup"}


def skip_unless_allowed(attack) -> None:
    if RUNG not in attack.holds_on():
        pytest.skip(f"does not hold on the {RUNG} rung: {attack.root_only}")


# --- fixtures -----------------------------------------------------------------------------


class _SolutionServer(socketserver.ThreadingTCPServer):
    """Hands the solution's code to anyone who connects, and counts who did."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        payload = json.dumps(attacks.solution_code_cells()).encode()
        self.accepted = 0

        class Handler(socketserver.BaseRequestHandler):
            def handle(handler):
                self.accepted += 1
                handler.request.sendall(payload)

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture(scope="module")
def solution_server():
    server = _SolutionServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sandbox_tmp(tmp_path, monkeypatch):
    """Where this test's sandboxes make their temporary directories (checked afterwards)."""
    folder = tmp_path / "sandbox-tmp"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    return folder


@pytest.fixture
def context(tmp_path, solution_server, sandbox_tmp):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    nbformat.write(solved_notebook(), submissions / "other-student.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    return {"REPO": str(REPO), "SUBMISSION_DIR": str(submissions), "OUT_DIR": str(out),
            "PORT": solution_server.server_address[1],
            "MARKER": f"adversarial-{uuid.uuid4().hex}",
            "SOLUTION": json.dumps(attacks.solution_code_cells()),
            "SHM_KEY": str(uuid.uuid4().int % 0xFFFF)}


def write_attack(attack, context) -> Path:
    return attack.write(Path(context["SUBMISSION_DIR"]) / f"{attack.name}.ipynb", context)


def budgets_for(attack):
    budgets = SHORT_NOTEBOOK if attack.hang and attack.base == "blank" else QUICK
    if attack.call_seconds:
        budgets = dataclasses.replace(budgets, call_seconds=attack.call_seconds)
    return budgets


def policy_for(attack):
    return SandboxPolicy(**attack.policy) if attack.policy else None


# --- what every graded attack must satisfy --------------------------------------------------


def failed(result) -> set[str]:
    return {t.test_id for t in result.tests if t.status != "passed"}


def details(result) -> list:
    return [(t.test_id, t.score, t.output[:200]) for t in result.tests] + result.notes[-5:]


def assert_exact_score(result, attack) -> None:
    assert result.max_score > 0
    if attack.base == "blank":
        assert result.score == 0, details(result)
        assert failed(result) == {t.test_id for t in result.tests}
    else:
        assert failed(result) == set(attack.breaks), details(result)
        lost = sum(t.max_score for t in result.tests if t.test_id in attack.breaks)
        assert result.score == pytest.approx(result.max_score - lost), details(result)


def assert_finished_clearly(result, attack) -> None:
    assert not result.internal_errors, result.internal_errors
    for test in result.tests:
        if test.status != "passed":
            assert test.output.strip(), f"{test.test_id} failed without a message"
            assert "internal error" not in test.output, test.output
            assert "did not run" not in test.output, test.output
    for where, text in attack.expect:
        if where == "notes":
            assert any(text in note for note in result.notes), (text, result.notes)
        elif where == "any":
            assert any(text in t.output for t in result.tests), (text, details(result))
        else:
            outputs = [t.output for t in result.tests if t.test_id == where]
            assert outputs and text in outputs[0], (where, text, outputs)


def assert_no_sandbox_left(sandbox_tmp: Path) -> None:
    assert list(sandbox_tmp.iterdir()) == [], "a sandbox's temporary directory was left"


def grade_attack(attack, context):
    return grade(write_attack(attack, context), budgets_for(attack), policy=policy_for(attack))


# --- the attacks ----------------------------------------------------------------------------


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.name not in DEDICATED],
                         ids=lambda a: a.name)
def test_attack_is_graded_exactly_and_explained(attack, context, sandbox_tmp):
    skip_unless_allowed(attack)
    result = grade_attack(attack, context)
    assert_exact_score(result, attack)
    assert_finished_clearly(result, attack)
    assert_no_sandbox_left(sandbox_tmp)


def test_network_fetch_gets_no_connection(context, solution_server, sandbox_tmp):
    attack = BY_NAME["network-fetch"]
    before = solution_server.accepted
    result = grade_attack(attack, context)
    assert solution_server.accepted == before, "the student's code reached the network"
    assert_exact_score(result, attack)
    assert_finished_clearly(result, attack)
    assert_no_sandbox_left(sandbox_tmp)


@pytest.fixture
def warm_grader():
    """Load what grading loads into this process anyway (TensorFlow alone is ~600 MB), so a
    memory measurement counts only what the submission under test costs."""
    import tensorflow as tf

    from autograder.assignments.nn_basics import reference

    tf.config.list_physical_devices()
    float(tf.reduce_sum(tf.ones((2, 2))))
    reference.digits()


def _rss(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _Sampler(threading.Thread):
    """Polls a callable while grading runs, keeping the largest value it returned."""

    def __init__(self, measure, interval=0.05):
        super().__init__(daemon=True)
        self.measure, self.interval, self.peak = measure, interval, 0
        self.seen: set = set()
        self._halt = threading.Event()

    def run(self):
        while not self._halt.wait(self.interval):
            value = self.measure()
            if isinstance(value, set):
                self.seen |= value
            else:
                self.peak = max(self.peak, value)

    def stop(self):
        self._halt.set()
        self.join()


def test_hostile_frames_cannot_exhaust_the_graders_memory(context, sandbox_tmp, warm_grader):
    """64 arrays of 250 MB announced in one reply: the grader stops reading at its cap."""
    attack = BY_NAME["hostile-frames"]
    baseline = _rss()
    sampler = _Sampler(_rss)
    sampler.start()
    try:
        result = grade_attack(attack, context)
    finally:
        sampler.stop()
    # one capped message is at most 320 MB, decoded once more by numpy: well below 1.5 GB
    assert sampler.peak - baseline < 1536 << 20, (sampler.peak - baseline) >> 20
    assert_exact_score(result, attack)
    assert_finished_clearly(result, attack)
    assert_no_sandbox_left(sandbox_tmp)


def test_fifty_megabyte_notebook_grades_fully_in_reasonable_time(context, sandbox_tmp,
                                                                 warm_grader):
    attack = BY_NAME["fifty-megabytes"]
    path = write_attack(attack, context)
    assert path.stat().st_size > 50 << 20
    baseline = _rss()
    sampler = _Sampler(_rss)
    sampler.start()
    try:
        began = time.monotonic()
        result = grade(path, QUICK)
        seconds = time.monotonic() - began
    finally:
        sampler.stop()
    assert_exact_score(result, attack)
    assert_finished_clearly(result, attack)
    assert seconds < 120, seconds
    # parsing a 50 MB notebook costs a few copies of it, not gigabytes
    assert sampler.peak - baseline < 1024 << 20, (sampler.peak - baseline) >> 20


def _marked_processes(marker: str) -> set[tuple[int, int]]:
    """(pid, uid) of live processes whose command line holds ``marker``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if marker.encode() not in handle.read():
                    continue
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        if not fields.get("State", "").strip().startswith("Z"):
            found.add((int(entry), int(fields["Uid"].split()[0])))
    return found


@pytest.mark.skipif(RUNG not in attacks.HOLDS_ON[attacks.ROOT_PROCS],
                    reason=f"needs a uid of its own: {attacks.ROOT_PROCS}")
def test_threads_and_daemons_are_all_gone_after_grading(context, sandbox_tmp):
    """Honest grading survives them, and afterwards no process of the sandbox uid and no
    sandbox directory is left."""
    attack = BY_NAME["threads-and-daemons"]
    watcher = _Sampler(lambda: _marked_processes(context["MARKER"]), interval=0.2)
    watcher.start()
    try:
        result = grade_attack(attack, context)
    finally:
        watcher.stop()
    assert watcher.seen, "the attack's daemon never ran, so this test proves nothing"
    uids = {uid for _, uid in watcher.seen}
    assert all(uid >= 200_000 for uid in uids), uids  # it ran as the sandbox's own uid
    for uid in uids:
        assert sandbox.processes_of_uid(uid) == [], f"processes of uid {uid} outlived grading"
    assert _marked_processes(context["MARKER"]) == set()
    assert_exact_score(result, attack)
    assert_finished_clearly(result, attack)
    assert_no_sandbox_left(sandbox_tmp)


@pytest.mark.skipif(RUNG not in attacks.HOLDS_ON[attacks.ROOT_SITE],
                    reason=f"needs root: {attacks.ROOT_SITE}")
def test_site_packages_stay_untouched(context, sandbox_tmp):
    import site
    import sys

    attack = BY_NAME["site-packages"]
    result = grade_attack(attack, context)
    directories = set(site.getsitepackages() + [site.getusersitepackages()]
                      + [p for p in sys.path if p and os.path.isdir(p)])
    planted = attacks.marker_files(directories, context["MARKER"])
    for path in planted:  # never leave them in a shared environment, even on failure
        path.unlink()
    assert planted == [], planted
    assert_exact_score(result, attack)
    assert_finished_clearly(result, attack)
    assert_no_sandbox_left(sandbox_tmp)


def test_forged_results_files_are_overwritten_by_the_grader(context, sandbox_tmp, capsys):
    attack = BY_NAME["write-results-files"]
    path = write_attack(attack, context)
    out = Path(context["OUT_DIR"])
    status = cli.main(["grade", str(path), "--assignment", "nn-basics", "--out", str(out),
                       "--quiet", *UNSAFE])
    assert status == cli.EXIT_OK
    data = json.loads((out / f"{attack.name}.json").read_text())
    assert data["score"] == 0 and data["max_score"] > 0
    assert data["tests"] and all(t["score"] == 0 and t["output"] for t in data["tests"])
    assert_no_sandbox_left(sandbox_tmp)


def test_batch_attack_between_honest_submissions_changes_nothing(context, sandbox_tmp,
                                                                 capsys):
    """Honest, hostile, honest through the CLI: the honest results are full marks and stay
    so after the hostile one's daemon had its chance; every results file is whole JSON."""
    attack = BY_NAME["daemon-rewrites-results" if RUNG in attacks.HOLDS_ON[attacks.ROOT_PROCS]
                     else "forged-replies"]
    folder = Path(context["SUBMISSION_DIR"])
    honest_a, honest_b = folder / "honest-a.ipynb", folder / "honest-b.ipynb"
    nbformat.write(solved_notebook(), honest_a)
    nbformat.write(solved_notebook(), honest_b)
    hostile = write_attack(attack, context)
    out = Path(context["OUT_DIR"])
    status = cli.main(["grade", str(honest_a), str(hostile), str(honest_b),
                       "--assignment", "nn-basics", "--out", str(out), "--quiet", *UNSAFE])
    assert status == cli.EXIT_OK
    time.sleep(1.0)  # the daemon, were it alive, rewrites its targets every 50 ms
    results = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert set(results) == {"honest-a", "honest-b", attack.name}
    for name in ("honest-a", "honest-b"):
        assert results[name]["score"] == results[name]["max_score"] > 0, name
        assert len(results[name]["tests"]) == len(results[attack.name]["tests"])
    assert results[attack.name]["score"] == 0
    assert _marked_processes(context["MARKER"]) == set()
    assert_no_sandbox_left(sandbox_tmp)


def _printable(text: str) -> bool:
    return all(ch.isprintable() or ch in "\n\t" for ch in text) and \
        text.encode("utf-8", "strict") is not None


def test_hostile_messages_reach_the_report_defused(context, sandbox_tmp, capsys):
    """Escapes, markup and surrogates in the student's error texts neither break the CLI's
    table nor reach the terminal or results.json as they were written."""
    attack = BY_NAME["hostile-messages"]
    path = write_attack(attack, context)
    out = Path(context["OUT_DIR"])
    status = cli.main(["grade", str(path), "--assignment", "nn-basics", "--out", str(out),
                       *UNSAFE])
    assert status == cli.EXIT_OK
    printed = capsys.readouterr().out
    assert "\x1b[2J" not in printed and "\ud800" not in printed and "\u202e" not in printed
    assert "38/38 PASSED" in printed  # shown, as text, and not mistaken for the total
    data = json.loads((out / f"{attack.name}.json").read_text())
    assert data["score"] == 0
    texts = [t["output"] for t in data["tests"]] + [data["output"]]
    assert all(_printable(text) for text in texts), texts
    assert all(t["output"] and "internal error" not in t["output"] for t in data["tests"])
    for _, text in attack.expect:  # results.json names tests by title, not by id
        assert any(text in t["output"] for t in data["tests"]), text
    assert_no_sandbox_left(sandbox_tmp)


@pytest.mark.skipif(RUNG not in attacks.HOLDS_ON[attacks.ROOT_IPC],
                    reason=f"needs root: {attacks.ROOT_IPC}")
def test_nothing_left_in_shared_memory_reaches_the_next_submission(context, sandbox_tmp):
    """A solved submission leaves its code in System V shared memory, a POSIX message
    queue, /dev/shm, /tmp, /var/tmp and a world-writable folder of another user's; a blank
    one graded next looks for it everywhere and finds nothing."""
    plant, pickup = BY_NAME["shm-plant"], BY_NAME["shm-pickup"]
    shared = Path(f"/tmp/{context['MARKER']}-shared")  # another user's world-writable folder
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    planted = grade_attack(plant, context)
    assert_exact_score(planted, plant)  # the plant itself costs the solution nothing
    found = grade_attack(pickup, context)
    assert_exact_score(found, pickup)
    assert_finished_clearly(found, pickup)
    for folder in ("/dev/shm", "/tmp", "/var/tmp"):
        assert not os.path.exists(f"{folder}/{context['MARKER']}"), folder
    assert list(shared.iterdir()) == []
    shutil.rmtree(shared)
    assert_no_sandbox_left(sandbox_tmp)


# --- the probe channel, frame by frame (no notebook needed) ----------------------------------


def _receive(data: bytes):
    read_fd, write_fd = os.pipe()
    writer = threading.Thread(target=lambda: (_write_quietly(write_fd, data),
                                              os.close(write_fd)))
    writer.start()
    try:
        return protocol.receive_message(read_fd, deadline=time.monotonic() + 10)
    finally:
        os.close(read_fd)
        writer.join()


def _write_quietly(fd: int, data: bytes) -> None:
    """Write until done or until the reader hangs up (it should, early, on bad input)."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view[: 1 << 20]):]
    except OSError:
        pass


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def _npy(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _hostile_frame(kind: str) -> bytes:
    header = b'{"status": "ok", "n_arrays": %d, "payload": %s}'
    if kind == "deep-json":
        return _frame(header % (0, b"[" * 200000 + b"]" * 200000))
    if kind == "deep-value-tree":  # valid JSON, but the value tree recurses past the stack
        return _frame(header % (0, b'{"__seq__": [' * 30000 + b"]}" * 30000))
    if kind == "pickled-object":
        return (_frame(header % (1, b'{"__ndarray__": 0}'))
                + _frame(_npy(np.array([object()]), allow_pickle=True)))
    if kind == "absurd-length":
        return (1 << 63).to_bytes(8, "big") + b"{}"
    if kind == "not-json":
        return _frame(b"\xff\xfe not json")
    if kind == "over-message-cap":  # two arrays, each under the array cap, together over
        first = _npy(np.zeros((170 << 20) // 8))
        return _frame(header % (2, b"null")) + _frame(first) + len(first).to_bytes(8, "big")
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["deep-json", "deep-value-tree", "pickled-object",
                                  "absurd-length", "not-json", "over-message-cap"])
def test_hostile_frames_end_as_protocol_errors(kind):
    """Whatever arrives, the reader raises ProtocolError: never RecursionError, never a
    pickle load, never an allocation past the caps."""
    # over the cap: refused from its length alone, before a byte of it is read
    match = "exceeds the limit" if kind == "over-message-cap" else None
    with pytest.raises(protocol.ProtocolError, match=match):
        _receive(_hostile_frame(kind))


# --- the same attacks on a batch worker's own fork server ---------------------------------
# grade-batch's warm workers fork their students' fork server from themselves
# (autograder.sandbox.warm.start_here), so a student process starts from the worker's
# memory, not from a fresh interpreter's: the attacks that look for what a process
# inherits (grader code and files, other submissions, the parent to kill, the runner to
# patch) run again there.
ZYGOTE_ATTACKS = ["reference-import", "read-hidden-files", "copy-other-submission",
                  "monkeypatch-builtins-and-runner", "forged-replies", "kill-parent",
                  "lying-objects", "exits-in-probes"]


def _test_ids_by_name() -> dict[str, str]:
    """The name a check shows (its docstring's first line) -> its test id, read from the
    suite's source: results.json carries names, the attacks' expectations name test ids."""
    import ast

    tree = ast.parse((NN_BASICS.tests_dir / "test_nn_basics.py").read_text())
    return {ast.get_docstring(node).splitlines()[0]: node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


@pytest.fixture(scope="module")
def batch_worker():
    from autograder.batch.warm_pool import WarmWorker
    from autograder.batch.worker import assignment_spec

    worker = WarmWorker(assignment_spec(QUICK))
    yield worker
    worker.close()


@pytest.mark.skipif(not ROOT, reason="a worker forks its own fork server on the root rung only")
@pytest.mark.parametrize("name", ZYGOTE_ATTACKS)
def test_attack_on_a_batch_workers_own_fork_server(name, context, batch_worker):
    from autograder.grading.results import GradeResult

    attack = BY_NAME[name]
    skip_unless_allowed(attack)
    assert budgets_for(attack) is QUICK and policy_for(attack) is None, name
    payload = batch_worker.grade(write_attack(attack, context), timeout=600)
    assert payload["status"] == "graded", payload
    result = GradeResult.from_gradescope(payload["results"])
    result.internal_errors = list(payload.get("internal_errors") or [])
    ids = _test_ids_by_name()
    for test in result.tests:
        test.test_id = ids[test.name]
    assert_exact_score(result, attack)
    assert_finished_clearly(result, attack)
