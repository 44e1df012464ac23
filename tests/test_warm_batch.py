"""Long-lived warm grading workers (autograder.batch.warm_pool): same grades as cold
workers, and a submission that kills its worker, or hangs, costs only itself.

The tiny course keeps these to a few dozen seconds; one real nn-basics pair checks that the
per-process reference cache changes no score.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.assignments.nn_basics import reference as ref
from autograder.batch import run as batch
from autograder.batch.warm_pool import WarmWorker
from autograder.batch.worker import assignment_spec
from autograder.grading.assignment import ASSIGNMENTS
from tests.fixtures import submissions, tiny_course

REPO = Path(__file__).resolve().parent.parent


def graded(out: Path, student: str) -> dict:
    """What a grade says (scores and messages), without timings or paths."""
    data = json.loads((out / student / "results.json").read_text())
    return {"score": data["score"], "max_score": data["max_score"],
            "tests": [(t["name"], t["score"], t["max_score"], t.get("output", ""))
                      for t in data["tests"]]}


def suite_names(path: Path) -> dict[str, str]:
    """test function -> the name students see (its docstring's first line), read with ast."""
    tree = ast.parse(Path(path).read_text())
    return {node.name: ast.get_docstring(node).splitlines()[0] for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def failed_names(data: dict) -> set[str]:
    return {name for name, score, max_score, _ in data["tests"] if score < max_score}


@pytest.mark.slow
def test_warm_and_cold_batches_grade_a_class_identically(tiny, tmp_path, monkeypatch):
    folder = tmp_path / "subs"
    folder.mkdir()
    expected = {}
    for i, bug in enumerate(tiny_course.BUGS):
        nbformat.write(tiny_course.with_bugs([bug]), folder / f"b{i}.ipynb")
        expected[f"b{i}"] = set(bug.breaks)
    nbformat.write(tiny_course.with_bugs(tiny_course.BUGS[:2]), folder / "two.ipynb")
    expected["two"] = set(tiny_course.BUGS[0].breaks) | set(tiny_course.BUGS[1].breaks)
    nbformat.write(tiny_course.solved_notebook(), folder / "solved.ipynb")
    expected["solved"] = set()

    warm = batch.grade_batch(folder, tiny, tmp_path / "warm", workers=2, quiet=True)
    monkeypatch.setenv("AUTOGRADER_WARM", "0")
    cold = batch.grade_batch(folder, tiny, tmp_path / "cold", workers=2, quiet=True)
    assert warm.count("graded") == cold.count("graded") == len(expected)
    names = suite_names(tiny_course.SUITE)
    for student, broken in expected.items():
        result = graded(tmp_path / "warm", student)
        assert result == graded(tmp_path / "cold", student), student
        assert failed_names(result) == {names[t] for t in broken}, student


@pytest.mark.slow
def test_a_worker_killed_mid_grading_costs_only_that_submission(tiny, tmp_path, monkeypatch):
    """One warm worker, three submissions in order: the crash in the middle fails alone,
    and the next submission is graded by a fresh worker; the killed worker's sandbox
    folder, which it could not remove, is removed for it."""
    temp = tmp_path / "temp"  # where the worker makes its sandboxes' folders
    temp.mkdir(mode=0o755)
    monkeypatch.setenv("TMPDIR", str(temp))
    folder = tmp_path / "subs"
    folder.mkdir()
    paths = []
    for name, notebook in [("a-solved", tiny_course.solved_notebook()),
                           ("b-crash", tiny_course.with_bugs([], "CRASH_GRADER = True")),
                           ("c-bug", tiny_course.with_bugs([tiny_course.BUGS[0]]))]:
        nbformat.write(notebook, folder / f"{name}.ipynb")
        paths.append(folder / f"{name}.ipynb")
    worker = WarmWorker(assignment_spec(tiny))
    try:
        outcomes = [worker.grade(path, timeout=120) for path in paths]
        assert [o["status"] for o in outcomes] == ["graded", "failed", "graded"]
        assert "killed by SIGKILL" in outcomes[1]["error"]
        assert outcomes[0]["results"]["score"] == outcomes[0]["results"]["max_score"]
        lost = {t["name"] for t in outcomes[2]["results"]["tests"]
                if t["score"] < t["max_score"]}
        names = suite_names(tiny_course.SUITE)
        assert lost == {names[t] for t in tiny_course.BUGS[0].breaks}
        assert worker.starts == 2  # the crash cost one restart, nothing more
    finally:
        worker.close()
    assert not list(temp.glob("autograder-sandbox-*"))  # the crash's folder too


@pytest.mark.slow
def test_a_hanging_submission_is_stopped_and_the_worker_replaced(tiny, tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(tiny_course.with_bugs([], "import time\ntime.sleep(60)"),
                   folder / "slow.ipynb")
    nbformat.write(tiny_course.solved_notebook(), folder / "fine.ipynb")
    worker = WarmWorker(assignment_spec(tiny))
    try:
        slow = worker.grade(folder / "slow.ipynb", timeout=8)
        assert slow["status"] == "failed" and "longer than 8 s" in slow["error"]
        fine = worker.grade(folder / "fine.ipynb", timeout=120)
        assert fine["status"] == "graded"
        assert fine["results"]["score"] == fine["results"]["max_score"]
    finally:
        worker.close()


def test_reference_cache_returns_equal_independent_copies():
    params = ref.init_mlp(12345)
    first = ref.init_mlp(12345)
    for a, b in zip(params, first):
        np.testing.assert_array_equal(a, b)
    params[0][0, 0] = 1e9  # a caller changing its copy changes nothing for the next one
    assert ref.init_mlp(12345)[0][0, 0] != 1e9
    X = np.linspace(-1, 1, 64 * 3, dtype=np.float32).reshape(3, 64)
    target = np.array([1, 2, 3])
    W = np.zeros((64, 10), np.float32)
    b = np.zeros(10, np.float32)
    W2 = np.random.default_rng(0).normal(size=(64, 10)).astype(np.float32)  # other values
    dW, _ = ref.finite_difference_gradients(X, target, W, b)
    dW2, _ = ref.finite_difference_gradients(X, target, W2, b)
    assert not np.allclose(dW, dW2)  # cached by value, not by shape
    np.testing.assert_allclose(ref.manual_gradients(X, target, W, b)[0], dW, atol=1e-6)
    np.testing.assert_allclose(ref.manual_gradients(X, target, W2, b)[0], dW2, atol=1e-6)
    again, _ = ref.finite_difference_gradients(X, target, W, b)
    np.testing.assert_array_equal(again, dW)


@pytest.mark.slow
def test_nn_basics_warm_batch_matches_the_mutations(tmp_path):
    """Real notebooks through one warm worker: the second grading reuses cached reference
    values and must still fail exactly what its bug breaks."""
    names = suite_names(REPO / "autograder" / "assignments" / "nn_basics" / "test_nn_basics.py")
    mutation = next(m for m in submissions.MUTATIONS if m.name == "forgotten-db")
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(submissions.solved_notebook(), folder / "a-solved.ipynb")
    nbformat.write(mutation.apply(submissions.solved_notebook()), folder / "b-bug.ipynb")
    nbformat.write(submissions.solved_notebook(), folder / "c-solved.ipynb")
    report = batch.grade_batch(folder, ASSIGNMENTS["nn-basics"], tmp_path / "out",
                               workers=1, quiet=True)
    assert report.count("graded") == 3, [o.error for o in report.failed]
    out = tmp_path / "out"
    assert failed_names(graded(out, "a-solved")) == set()
    assert failed_names(graded(out, "c-solved")) == set()
    assert failed_names(graded(out, "b-bug")) == {names[t] for t in mutation.breaks}



_PEEK = """import os as _os, sys as _sys
try:
    _environ = open('/proc/self/environ', 'rb').read()
except OSError:  # not readable to the sandbox's uid: nothing shows either
    _environ = b''
print('SECRET-IN-PROC', b'zygote-secret-123' in _environ)
print('SECRET-IN-ENV', any('zygote-secret-123' in _v for _v in _os.environ.values()))
print('GRADER-MODULES', sorted(_m for _m in _sys.modules if _m.startswith(
    ('autograder.grading', 'autograder.assignments', '_pytest', 'pytest', 'tests'))))
import gc as _gc
print('GC-ENABLED', _gc.isenabled())
"""


def _children(pid: int) -> list[str]:
    """Command lines of ``pid``'s child processes."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.skipif(not __import__("autograder.sandbox.confine", fromlist=["x"])
                    .root_mode_available(), reason="warm starts need root and namespaces")
def test_a_warm_worker_is_its_own_fork_server_and_leaks_nothing_into_it(
        tiny, tmp_path, monkeypatch):
    """One TensorFlow import per worker: the fork server is forked from the worker (no
    separate forkserver.py interpreter). What the students' processes inherit is not the
    grader's: the batch's environment (a secret here) is neither in their environment nor
    in /proc/self/environ, and no grading or test module is loaded in them. The worker
    imports with the garbage collector paused; the student's process collects."""
    monkeypatch.setenv("AUTOGRADER_TEST_SECRET", "zygote-secret-123")
    notebook = tiny_course.solved_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(_PEEK))
    path = tmp_path / "peek.ipynb"
    nbformat.write(notebook, path)
    # the peek reads sys.modules, which the rule against reaching into the grader refuses
    worker = WarmWorker(assignment_spec(dataclasses.replace(tiny, refuse_tampering=False)))
    try:
        payload = worker.grade(path, timeout=120)
        children = _children(worker._process.pid)
        # the worker went back to the host's mount namespace after forking its server
        same_mounts = (os.stat(f"/proc/{worker._process.pid}/ns/mnt").st_ino
                       == os.stat("/proc/self/ns/mnt").st_ino)
    finally:
        worker.close()
    assert payload["status"] == "graded", payload
    assert payload["results"]["score"] == payload["results"]["max_score"]
    assert children and not any("forkserver.py" in c for c in children), children
    assert same_mounts
    printed = payload["record"][-1]["output"]
    assert "SECRET-IN-PROC False" in printed and "SECRET-IN-ENV False" in printed, printed
    assert "GRADER-MODULES []" in printed, printed
    assert "GC-ENABLED True" in printed, printed



def _live_workers() -> int:
    """Warm grading workers started by this process that have not exited (zombies aside)."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and fields[0] != "Z" and \
                    b"autograder.batch.warm_pool" in (entry / "cmdline").read_bytes():
                count += 1
        except (OSError, ValueError, IndexError):
            continue
    return count


@pytest.mark.slow
def test_a_worker_with_nothing_left_to_grade_exits_while_the_others_finish(tiny, tmp_path):
    """Two workers, three submissions, the last one slow: the worker that finds no
    submission left is retired at once, so its teardown overlaps the slow grading instead
    of following it; every result is still stored."""
    folder = tmp_path / "subs"
    folder.mkdir()
    nbformat.write(tiny_course.solved_notebook(), folder / "a.ipynb")
    nbformat.write(tiny_course.solved_notebook(), folder / "b.ipynb")
    nbformat.write(tiny_course.with_bugs([], "import time\ntime.sleep(6)"), folder / "c.ipynb")
    stored, samples, finished = [], [], threading.Event()

    def sample() -> None:  # how many workers live while the slow one is still grading
        while not finished.is_set():
            samples.append((len(stored), "c" in stored, _live_workers()))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        report = batch.grade_batch(folder, tiny, tmp_path / "out", workers=2, quiet=True,
                                   on_stored=stored.append)
    finally:
        finished.set()
        sampler.join()
    assert report.count("graded") == 3 and stored[-1] == "c"
    during_c = [live for done, c_done, live in samples if done == 2 and not c_done]
    # one worker left while c grades; it may end just before c's result is stored (a 0 at
    # the very end), but the retired one must never come back or linger (a 2)
    tail = during_c[5:]
    assert len(during_c) > 10 and 2 not in tail and tail.count(1) > 5 \
        and tail == sorted(tail, reverse=True), during_c
    assert _live_workers() == 0


_FAILING_START = """
import json, os, sys, tempfile
from autograder.sandbox import warm
from autograder.sandbox.confine import warm_environment
before = (os.stat('/proc/self/ns/mnt').st_ino, dict(os.environ), os.getcwd(), tempfile.tempdir)
try:
    warm.start_here(warm_environment(None, False), preload=['json', 'no_such_module_xyz'])
except ImportError as exc:
    raised = type(exc).__name__
else:
    raised = None
after = (os.stat('/proc/self/ns/mnt').st_ino, dict(os.environ), os.getcwd(), tempfile.tempdir)
print(json.dumps({'raised': raised, 'restored': before == after,
                  'children': len(os.listdir('/proc/self/task'))}))
"""


@pytest.mark.skipif(not __import__("autograder.sandbox.confine", fromlist=["x"])
                    .root_mode_available(), reason="warm starts need root and namespaces")
def test_a_fork_server_that_fails_to_start_leaves_the_worker_as_it_was():
    """An import that fails while the worker is dressed as a student (the students'
    environment, a home of its own): the error comes out (the worker then starts a server
    the usual way) and the worker is back in the host's mount namespace, environment,
    folder and temporary folder."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FAILING_START], capture_output=True,
                          text=True, cwd=REPO, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["raised"] == "ModuleNotFoundError" and report["restored"], report
