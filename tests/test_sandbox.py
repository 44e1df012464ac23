"""The sandbox really confines student code (as root, the way CI and LMS graders run)."""

import os
import time

import numpy as np
import pytest

from autograder.sandbox import confine as sandbox
from autograder.sandbox.child.protocol import kind_of
from autograder.sandbox.confine import SandboxPolicy
from tests.fixtures.attacks import FORGE_CELL_REPORT
from autograder.sandbox.process import (MissingName, ProbeTimeout, StudentCrashed,
                                        StudentProcess, StudentRaised)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_root = pytest.mark.skipif(not sandbox.root_mode_available(),
                                reason="root mode needs root and namespaces")


def run(cells, **kwargs):
    process = StudentProcess(cells, notebook_seconds=kwargs.pop("notebook_seconds", 30),
                             call_seconds=kwargs.pop("call_seconds", 10), **kwargs)
    process.start()
    return process


def test_cells_run_in_order_and_errors_do_not_stop_later_cells():
    with run(["x = 1", "raise ValueError('boom')", "y = x + 1",
              "def f(a):\n    return a * 2"]) as p:
        statuses = [c.status for c in p.report.cells]
        assert statuses == ["ok", "error", "ok", "ok"]
        assert "ValueError: boom" in p.report.cells[1].error
        assert p.get("y") == 2
        np.testing.assert_array_equal(p.call("f", np.arange(3)), [0, 2, 4])


def test_probe_errors_are_typed():
    with run(["def bad():\n    raise KeyError('k')", "not_a_function = 3",
              "def slow():\n    import time\n    time.sleep(60)"]) as p:
        with pytest.raises(MissingName, match="not defined"):
            p.call("nowhere")
        with pytest.raises(MissingName, match="should be a function"):
            p.call("not_a_function")
        with pytest.raises(StudentRaised, match="KeyError"):
            p.call("bad")
        with pytest.raises(ProbeTimeout):
            p.call("slow", timeout=1)
        assert p.get("not_a_function") == 3  # restarted after the timeout


def test_endless_cell_is_skipped_on_restart():
    with run(["a = 1", "while True:\n    pass", "b = 2"], notebook_seconds=3) as p:
        assert p.report.cells[1].status == "timeout"
        assert p.get("b") == 2  # restart skips the endless cell
        assert any("Code cell 2" in note for note in p.report.notes)


def test_a_forbidden_api_is_switched_off_under_every_top_level_name_that_holds_it():
    """Switching off the path alone missed names bound before the call: an import alias,
    an assignment, a functools.partial, or the graded name itself."""
    cells = ["import numpy as np\nimport functools",
             "from numpy.linalg import norm as n\ndef by_alias(x):\n    return n(x)",
             "n2 = functools.partial(np.linalg.norm, ord=2)\ndef by_partial(x):\n"
             "    return n2(x)",
             "by_assignment = np.linalg.norm",
             "def own(x):\n    return float(np.sqrt((np.asarray(x) ** 2).sum()))"]
    forbid = ["np.linalg.norm"]
    with run(cells) as p:
        for name in ("by_alias", "by_partial", "by_assignment"):
            with pytest.raises(StudentRaised, match="switched off"):
                p.call(name, [3.0, 4.0], forbid=forbid)
            assert p.call(name, [3.0, 4.0]) == 5.0  # and put back after the call
        assert p.call("own", [3.0, 4.0], forbid=forbid) == 5.0


def test_a_second_endless_cell_costs_its_own_cell_and_what_is_left_of_the_budget():
    """An endless test cell and an endless demo cell calling the same function: the first
    used the whole budget; the restart, for the next probe, reaches the second with only
    the grace left, skips it too and runs again, so the probe is answered (it once failed
    with "the notebook could not be run", and the grading took two budgets)."""
    cells = ["a = 1", "def train():\n    while True:\n        pass", "train()", "b = 2",
             "train()", "c = 3"]
    budget = 8.0
    with run(cells, notebook_seconds=budget) as p:
        assert p.report.cells[2].status == "timeout"
        assert p.get("a") == 1
        assert [c.status for c in p.report.cells] == ["ok", "ok", "timeout", "ok",
                                                      "timeout", "ok"]
        assert p.get("c") == 3
        # the budget once more, not twice: the restart had a quarter of it as grace
        assert p.report.seconds < budget * 1.25 + 2


def test_an_endless_function_is_not_called_again_and_spends_no_restarts():
    cells = ["def slow():\n    while True:\n        pass",
             "def slower():\n    while True:\n        pass",
             "def hang():\n    while True:\n        pass",
             "def fast():\n    return 1"]
    with run(cells, call_seconds=1) as p:
        for name in ("slow", "slow", "slower", "hang", "slow"):
            with pytest.raises(ProbeTimeout):
                p.call(name)
        began = time.monotonic()
        with pytest.raises(ProbeTimeout, match="earlier in this grading"):
            p.call("slower")
        assert time.monotonic() - began < 0.5  # not run again
        assert p.call("fast") == 1  # three endless functions did not use up the restarts


def test_forbidden_tensorflow_ops_and_tapes_are_refused_however_they_are_reached():
    """Names are easy to disguise (tf.raw_ops, tf.compat, internal modules, default
    arguments, traced functions); the op type and the tape are not."""
    cells = ["import tensorflow as tf\nfrom tensorflow.python.ops import nn_ops",
             "def raw(z):\n    return tf.raw_ops.Softmax(logits=z)",
             "def default_arg(z, _f=getattr(tf.nn, 'soft' + 'max')):\n    return _f(z)",
             "def internal(z):\n    return nn_ops.softmax(z)",
             "def compat(z):\n    return tf.compat.v2.nn.softmax(z)",
             "traced = tf.function(lambda x: tf.nn.softmax(x))\n_ = traced(tf.zeros((1, 3)))\n"
             "def pre_traced(z):\n    return traced(z)",
             "def own(z):\n    e = tf.exp(z - tf.reduce_max(z, 1, keepdims=True))\n"
             "    return e / tf.reduce_sum(e, 1, keepdims=True)",
             "def gradient(x):\n    v = tf.Variable(x)\n"
             "    with tf.compat.v2.GradientTape() as t:\n        y = tf.reduce_sum(v * v)\n"
             "    return t.gradient(y, v)"]
    z = np.array([[1.0, 2.0, 3.0]], np.float32)
    with run(cells) as p:
        for name in ("raw", "default_arg", "internal", "compat", "pre_traced"):
            with pytest.raises(StudentRaised, match="Softmax operation"):
                p.call(name, z, forbid=["op:Softmax"])
            np.testing.assert_allclose(p.call(name, z).sum(), 1.0, rtol=1e-6)  # put back
        np.testing.assert_allclose(p.call("own", z, forbid=["op:Softmax", "tape"]).sum(), 1.0,
                                   rtol=1e-6)
        with pytest.raises(StudentRaised, match="gradient tapes"):
            p.call("gradient", z, forbid=["tape"])
        np.testing.assert_allclose(p.call("gradient", z), 2 * z)


def test_a_library_forbidden_whole_cannot_run_during_the_probe_however_reached():
    """The eleventh red team called scikit-learn's softmax through another function and a
    dict filled at the top level; a rule that names a whole library ("sklearn") now
    watches its code run, Python or compiled, and the hook cannot be taken off meanwhile."""
    cells = ["import numpy as np\nfrom sklearn.utils.extmath import softmax as _s\n"
             "from sklearn._loss.loss import HalfMultinomialLoss as _H\n_lib = {}\n"
             "_lib.update(s=_s)",
             "def helper(z, task=None):\n    return _lib['s'](np.array(z, np.float64)) "
             "if task else z",
             "def through_helper(z):\n    return helper(z, 'softmax')",
             "def compiled(z):\n    z = np.ascontiguousarray(z, np.float64)\n"
             "    return _H(n_classes=z.shape[1]).gradient_proba(y_true=np.zeros(len(z)), "
             "raw_prediction=z)[1]",
             "import sys\ndef unhooked(z):\n    sys.setprofile(None)\n    return helper(z, 1)",
             "import _thread, time\ndef in_a_thread(z):\n    out = []\n"
             "    _thread.start_new_thread(lambda: out.append(helper(z, 1)), ())\n"
             "    while not out:\n        time.sleep(0.01)\n    return out[0]",
             "import tensorflow as tf\ndef on_tfs_thread(z):\n"
             "    return tf.numpy_function(lambda v: helper(v, 1).astype(np.float32), [z], "
             "tf.float32)",
             "@tf.function\ndef _traced(z):\n"
             "    return tf.py_function(lambda v: helper(v.numpy(), 1).astype(np.float32), "
             "[z], tf.float32)\n"
             "def traced_on_tfs_thread(z):\n    return _traced(tf.constant(z))",
             "from sklearn.preprocessing import OneHotEncoder\n"
             "def own(z):\n    e = np.exp(z - z.max(1, keepdims=True))\n"
             "    hot = OneHotEncoder(categories=[list(range(3))], sparse_output=False)"
             ".fit_transform(np.array([[0], [2]]))\n"
             "    return e / e.sum(1, keepdims=True) * hot.sum(1)[:1]"]
    z = np.array([[1.0, 2.0, 3.0]], np.float32)
    forbid = ["sklearn._loss", "sklearn.utils.extmath", "sklearn.linear_model"]
    with run(cells) as p:
        for name in ("through_helper", "compiled"):
            with pytest.raises(StudentRaised, match="ran while this function was graded"):
                p.call(name, z, forbid=forbid)
            np.testing.assert_allclose(p.call(name, z).sum(), 1.0, rtol=1e-6)  # put back
        with pytest.raises(StudentRaised, match="profile or trace hook"):
            p.call("unhooked", z, forbid=forbid)
        # where the hook would not follow: a raw thread, TensorFlow's own threads
        with pytest.raises(StudentRaised, match="starting a thread"):
            p.call("in_a_thread", z, forbid=forbid)
        for name in ("on_tfs_thread", "traced_on_tfs_thread"):
            with pytest.raises(StudentRaised, match="switched off|ran while this function"):
                p.call(name, z, forbid=forbid)
            np.testing.assert_allclose(p.call(name, z).sum(), 1.0, rtol=1e-6)
        # scikit-learn's data tools are not its models: a one-hot encoder runs
        np.testing.assert_allclose(p.call("own", z, forbid=forbid).sum(), 1.0, rtol=1e-6)


def test_a_forbidden_api_in_a_module_not_loaded_is_refused_without_loading_it():
    """Switching off ``sklearn.neural_network._base.inplace_softmax`` used to import
    scikit-learn's neural-network package (a lazy package's ``__getattr__``) in every
    student process; now a module the notebook never loaded stays unloaded and cannot be
    loaded during the probe. Loaded by the notebook, the function is switched off as before."""
    forbid = ["sklearn.neural_network._base.inplace_softmax"]
    own = ("import numpy as np, sys, sklearn\ndef own(z):\n"
           "    e = np.exp(z - z.max(1, keepdims=True))\n    return e / e.sum(1, keepdims=True)\n"
           "def loaded():\n    return 'sklearn.neural_network' in sys.modules")
    late = ("def late(z):\n    from sklearn.neural_network._base import inplace_softmax\n"
            "    z = np.array(z, np.float64)\n    inplace_softmax(z)\n    return z")
    z = np.array([[1.0, 2.0, 3.0]], np.float32)
    with run([own, late]) as p:
        np.testing.assert_allclose(p.call("own", z, forbid=forbid).sum(), 1.0, rtol=1e-6)
        assert p.call("loaded") is False
        with pytest.raises(StudentRaised, match="cannot be loaded while this function"):
            p.call("late", z, forbid=forbid)
        np.testing.assert_allclose(p.call("late", z).sum(), 1.0, rtol=1e-6)  # put back
    early = "from sklearn.neural_network._base import inplace_softmax as _s\n" + late
    with run([own, early]) as p:
        with pytest.raises(StudentRaised, match="switched off"):
            p.call("late", z, forbid=forbid)


def test_the_library_watch_knows_a_module_by_its_file_under_any_name():
    """The watch reads a frame's module from its globals (reading ``frame.f_code`` raised an
    audit event per call): a forbidden package's file loaded under another module name is
    still that package's code."""
    cells = ["import importlib.util, numpy as np, sklearn.utils.extmath as _real\n"
             "_spec = importlib.util.spec_from_file_location('not_sklearn', _real.__file__)\n"
             "_other = importlib.util.module_from_spec(_spec)\n_spec.loader.exec_module(_other)\n"
             "def renamed(z):\n    return _other.softmax(np.array(z, np.float64))"]
    z = np.array([[1.0, 2.0, 3.0]], np.float32)
    with run(cells) as p:
        with pytest.raises(StudentRaised, match="ran while this function was graded"):
            p.call("renamed", z, forbid=["sklearn.utils.extmath"])
        np.testing.assert_allclose(p.call("renamed", z).sum(), 1.0, rtol=1e-6)


def test_the_library_watch_reads_no_code_object_per_call():
    """Each ``frame.f_code`` the watch read raised an audit event, and the runner's audit
    hook walked the stack for it: a restricted softmax probe took ~30 ms instead of ~3."""
    cells = ["import sys\n_seen = []\n"
             "sys.addaudithook(lambda event, args: _seen.append(1) if event == "
             "'object.__getattr__' and args[1] == 'f_code' else None)\n"
             "def _step(i):\n    return i + 1\n"
             "def many(n):\n    _seen.clear()\n    for i in range(n):\n        _step(i)\n"
             "    return len(_seen)"]
    with run(cells) as p:
        assert p.call("many", 300, forbid=["sklearn.utils.extmath"]) < 10


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_class_that_only_names_itself_a_tensor_is_not_one(warm):
    """The returned object's kind is read in the student's process: a NumPy array in a
    class calling itself tensorflow's EagerTensor once passed as a tf.Tensor. On a cold
    start TensorFlow's classes were taken after the student's cells, so putting the fake in
    TensorFlow's module made it one; the runner now imports TensorFlow first, as warm."""
    cells = ["import numpy as np\nimport tensorflow as tf",
             "class _FakeT:\n    def __init__(self, a):\n        self._a = np.asarray(a)\n"
             "    def numpy(self):\n        return self._a\n"
             "_FakeT.__module__ = 'tensorflow.python.framework.ops'\n"
             "_FakeT.__name__ = _FakeT.__qualname__ = 'EagerTensor'\n"
             "import tensorflow.python.framework.ops as _ops\n"
             "_real = _ops.EagerTensor",
             "def fake():\n    _ops.EagerTensor = _FakeT  # where the kind was looked up\n"
             "    return _FakeT(np.float32(3))",
             "def real():\n    _ops.EagerTensor = _real\n    return tf.constant(3.0)",
             "def variable():\n    return tf.Variable(3.0)"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        assert p._sandbox.warm is warm
        assert kind_of(p.call("fake")) == "tensor-like"
        assert kind_of(p.call("real")) == "tf.Tensor"
        assert kind_of(p.call("variable")) == "tf.Variable"


def test_a_long_error_keeps_its_type_and_what_went_wrong():
    """A TensorFlow error starts with what went wrong and goes on with an array's values:
    keeping only its end showed the student nothing but numbers."""
    cells = ["def f():\n    raise ValueError('Passed in object of type ndarray, not Tensor: '"
             " + ' '.join(['-0.9783825'] * 300) + ' (the end)')"]
    with run(cells) as p:
        with pytest.raises(StudentRaised) as raised:
            p.call("f")
    message = str(raised.value)
    assert "ValueError: Passed in object of type ndarray, not Tensor" in message
    assert message.endswith("(the end)")
    assert len(message) < 450


def test_process_exit_in_a_cell_costs_only_that_cell():
    with run(["a = 1", "import os\nos._exit(0)", "b = 2"]) as p:
        assert p.report.cells[1].status == "crashed"
        assert p.get("b") == 2


def test_restarts_are_bounded():
    p = run(["import os\ndef die():\n    os._exit(3)"], max_restarts=1)
    try:
        with pytest.raises(StudentCrashed):
            p.call("die")
        with pytest.raises(StudentCrashed):
            p.call("die")
        with pytest.raises(StudentCrashed, match="not restarted"):
            p.call("die")
    finally:
        p.close()


@needs_root
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_root_mode_drops_privileges_and_hides_the_grader(warm):
    cells = ["import os\nUID = os.getuid()\nGID = os.getgid()",
             f"import os\nSEES_GRADER = os.path.exists({REPO + '/autograder'!r})",
             f"SEES_TESTS = os.path.exists({REPO + '/tests'!r})",
             "SEES_ROOT_HOME = os.path.exists('/root/.bashrc')",
             f"try:\n    open({REPO + '/.venv/pyvenv.cfg'!r}, 'a')\n    CAN_WRITE = True\n"
             "except OSError:\n    CAN_WRITE = False"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        assert p._sandbox.warm is warm
        assert p.get("UID") >= 200_000 and p.get("GID") >= 200_000
        assert p.get("SEES_GRADER") is False
        assert p.get("SEES_TESTS") is False
        assert p.get("SEES_ROOT_HOME") is False
        assert p.get("CAN_WRITE") is False


@needs_root
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_root_mode_has_no_network(warm):
    cell = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=2)\n"
            "    NET = 'open'\nexcept OSError as e:\n    NET = type(e).__name__")
    with run([cell], policy=SandboxPolicy(warm_start=warm)) as p:
        assert p.get("NET") != "open"


@needs_root
def test_root_mode_kills_escaped_processes_and_removes_files():
    cells = ["import os, subprocess\n"
             "child = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
             "CHILD = child.pid\nopen('/tmp/junk', 'w').write('x' * 1000)"]
    p = run(cells)
    uid = p._sandbox.uid
    tmp = p._sandbox._tmp
    assert p.get("CHILD")
    # the PID namespace numbers it differently inside: find its host pid by its uid
    child = next(pid for pid in sandbox.processes_of_uid(uid)
                 if open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"sleep"))
    assert sandbox.processes_of_uid(uid)
    p.close()
    time.sleep(0.2)
    assert sandbox.processes_of_uid(uid) == []
    assert not os.path.exists(f"/proc/{child}") or \
        open(f"/proc/{child}/status").read().find("zombie") >= 0
    assert not os.path.exists(tmp)


def _killed_or_gone(pid: int) -> bool:
    """The process has ended, or SIGKILL is pending for it (it can run no more code)."""
    try:
        status = dict(line.split(":", 1) for line in
                      open(f"/proc/{pid}/status").read().splitlines() if ":" in line)
    except OSError:
        return True
    pending = int(status.get("SigPnd", "0"), 16) | int(status.get("ShdPnd", "0"), 16)
    return status["State"].strip()[0] in "ZX" or bool(pending & (1 << 8))


@needs_root
def test_a_deferred_close_kills_everything_at_once_and_cleans_up_in_the_background(
        monkeypatch):
    """What a batch worker does between gradings: every process of the sandbox, the escaped
    ones included, is killed before close(wait=False) returns; only the waiting for their
    deaths and the removal of the files run on, until finish_closing()."""
    import threading

    released = threading.Event()
    tear_down = sandbox.Sandbox._tear_down

    def held_back(self):  # the background part waits, so only close() itself can have killed
        released.wait(30)
        tear_down(self)

    monkeypatch.setattr(sandbox.Sandbox, "_tear_down", held_back)
    from autograder.sandbox.child import protocol

    cells = ["import os, subprocess\n"
             "child = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
             "open('/tmp/junk', 'w').write('x' * 1000)\n"
             "def spin():\n    while True:\n        pass"]
    p = run(cells)
    box = p._sandbox
    uid, tmp, group = box.uid, box._tmp, box.cgroup
    before = sandbox.processes_of_uid(uid)
    assert len(before) >= 2  # the runner and the escaped sleep
    # busy in the student's code, the runner would not notice its channel closing
    protocol.send_message(box.request_fd, {"op": "call", "name": "spin"}, [[], {}],
                          deadline=time.monotonic() + 5)
    time.sleep(0.2)
    box.close(wait=False)
    p._sandbox = None
    try:
        time.sleep(0.1)  # a process that could still run would show it now
        assert all(_killed_or_gone(pid) for pid in before)
        assert os.path.exists(tmp)  # the teardown has not run yet
    finally:
        released.set()
    sandbox.finish_closing()
    assert sandbox.processes_of_uid(uid) == []
    assert not os.path.exists(tmp)
    assert group is None or not any(folder.exists() for folder in group.folders)
    assert sandbox._closing == []


def test_user_mode_still_limits_and_cleans_up():
    policy = SandboxPolicy(confine="user", file_size_mb=1)
    cells = ["import os\nPID = os.getpid()",
             "try:\n    open('big', 'wb').write(b'x' * (2 << 20))\n    WROTE = True\n"
             "except OSError:\n    WROTE = False"]
    p = run(cells, policy=policy)
    # user mode gives each sandbox its own home, which modules read at import: never warm
    assert p._sandbox.warm is False
    pid = p.get("PID")
    assert p.get("WROTE") is False  # RLIMIT_FSIZE: SIGXFSZ is ignored by Python -> OSError
    p.close()
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{pid}")


@needs_root
@pytest.mark.parametrize("warm", ["0", "1"])
def test_a_grader_that_is_pid_1_is_a_live_parent(warm):
    """`docker run image python -m autograder ...` without --init makes the grader pid 1;
    its sandboxes must not take that for a dead parent and quit (scoring correct work 0)."""
    import subprocess
    import sys

    script = ("from autograder.sandbox.process import StudentProcess\n"
              "with StudentProcess(['x = 40 + 2'], notebook_seconds=60, call_seconds=20) as p:\n"
              "    assert [c.status for c in p.report.cells] == ['ok'], p.report\n"
              "    print('x =', p.get('x'), 'pid', __import__('os').getpid())\n")
    run_ = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c",
                           script], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, AUTOGRADER_WARM=warm, PYTHONPATH=REPO))
    assert run_.returncode == 0, run_.stdout + run_.stderr
    assert "x = 42 pid 1" in run_.stdout


@needs_root
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_sandbox_that_cannot_be_built_is_the_graders_failure(warm):
    """A tmpfs size the kernel refuses: no student code ever ran, so this is not a crash
    of the notebook (0 points) but a setup failure the grading must not score."""
    process = run(["x = 1"], policy=SandboxPolicy(tmpfs_mb=-1, warm_start=warm),
                  max_restarts=0)
    try:
        assert "mount" in (process.setup_failure or ""), process.setup_failure
        assert process.report.cells[0].status != "ok"
    finally:
        process.close()


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_notebook_that_fakes_a_setup_failure_has_only_crashed(warm):
    """The marker and status a setup failure leaves, produced by the student's own cell:
    the runner had said it was up, so it is the notebook's crash, never "not graded"."""
    with run(["import os\nprint('sandbox setup failed: FileNotFoundError: mount')\n"
              "os._exit(121)"], policy=SandboxPolicy(warm_start=warm), max_restarts=0) as p:
        assert p.setup_failure is None
        assert p.report.cells[0].status == "crashed", p.report.cells[0]


@needs_root
def test_grading_refuses_to_score_a_sandbox_that_was_not_built(tiny, write):
    from autograder.grading.grade import GraderError, grade
    from tests.fixtures import tiny_course

    path = write("tiny-solved", tiny_course.solved_notebook())
    with pytest.raises(GraderError, match="sandbox could not be set up"):
        grade(path, tiny, policy=SandboxPolicy(tmpfs_mb=-1))


def test_each_cell_is_timed_on_the_graders_clock():
    with run(["import time\ntime.sleep(0.6)", "x = 1"]) as p:
        slow, quick = p.report.cells
        assert 0.55 <= slow.seconds < 5 and quick.seconds < slow.seconds - 0.3


TF_POOL = ("import os\nimport tensorflow as tf\n"
           "_ = tf.matmul(tf.ones((256, 256)), tf.ones((256, 256))).numpy()\n"
           "POOL = sum(open(f'/proc/self/task/{t}/comm').read().strip() == 'tf_Compute'\n"
           "           for t in os.listdir('/proc/self/task'))")


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
@pytest.mark.parametrize("cpus", [1.0, 2.5])
def test_tensorflows_thread_pool_is_the_sandboxs_cpu_share(warm, cpus):
    """One compute thread per core of the sandbox's share, not per core of the machine: a
    larger pool under the quota spins and is throttled (two gradings side by side slowed
    each other by 10-15%), and a fixed size grades alike on any machine."""
    if warm and not sandbox.root_mode_available():
        pytest.skip("warm starts need the namespaces rung")
    with run([TF_POOL], policy=SandboxPolicy(cpus=cpus, warm_start=warm),
             notebook_seconds=120) as p:
        assert p.report.cells[0].status == "ok", p.report.cells[0].error
        assert p.get("POOL") == (1 if cpus == 1.0 else 3)


@needs_root
def test_a_warm_student_process_inherits_the_module_file_map():
    """IPython's first traceback in a process maps every loaded module's file (~0.15 s with
    TensorFlow); the fork server does it once, so a forked student's process starts with
    it and its first failing cell is cheap."""
    cells = ["import inspect\nMAPPED = len(inspect._filesbymodname)",
             "raise ValueError('first failure')"]
    with run(cells, policy=SandboxPolicy(warm_start=True)) as p:
        assert p._sandbox.warm
        assert p.get("MAPPED") > 1000
        assert p.report.cells[1].status == "error"
        assert "first failure" in p.report.cells[1].error


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_the_students_shell_is_the_same_warm_or_cold_and_shares_nothing(warm):
    """The fork server makes the student's IPython shell before it forks (~45 ms a student
    process otherwise). Warm or cold, the student sees the same shell: started in their home
    folder, without an SQLite history, whose file a server-made shell would share between
    every student forked from it."""
    cells = ["import os, sys\n"
             "shell = get_ipython()\n"
             "INHERITED = shell.made_in_pid != os.getpid()\n"
             "STATE = [shell.starting_dir, [str(d) for d in _dh], shell.history_manager.enabled,\n"
             "         shell.execution_count, os.getcwd()]\n"
             "FILES = []\n"
             "for fd in os.listdir('/proc/self/fd'):\n"
             "    try:\n"
             "        FILES.append(os.readlink(f'/proc/self/fd/{fd}'))\n"
             "    except OSError:\n"
             "        pass  # the listing's own descriptor, closed by now\n"
             "HOME_FILES = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.environ['HOME'])\n"
             "                    for f in fs)"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        assert p._sandbox.warm is (warm and sandbox.root_mode_available())
        assert p.get("INHERITED") is p._sandbox.warm
        home, dh, history, count, cwd = p.get("STATE")
        assert home == cwd and dh == [cwd] and history is False and count == 1
        assert not [f for f in p.get("FILES") if "sqlite" in f or "history" in f]
        assert not [f for f in p.get("HOME_FILES") if "sqlite" in f]


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_student_process_collects_garbage_and_never_walks_the_servers_imports(warm):
    """The fork server imports with the garbage collector paused (~0.45 s of a 2.6 s
    TensorFlow import) and freezes what it imported before it serves. A student's process
    still collects its own cycles, warm or cold; warm, the server's imports are frozen, so
    no collection of the student's walks them."""
    cells = ["import gc\nclass Node:\n    pass\n"
             "def cycles(n):\n    for _ in range(n):\n        a, b = Node(), Node()\n"
             "        a.b, b.a = b, a\n"
             "import weakref\nprobe = Node(); probe.me = probe\nref = weakref.ref(probe)\n"
             "del probe\ncycles(5000)\n"
             "GC = [gc.isenabled(), ref() is None, gc.get_freeze_count()]"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        enabled, collected, frozen = p.get("GC")
        assert enabled and collected  # the automatic collections ran in the student's cell
        if p._sandbox.warm:
            assert frozen > 100_000  # TensorFlow's objects, out of every collection's way
        else:
            assert frozen == 0


def test_a_cells_outcome_written_by_the_notebook_can_only_get_worse():
    """The runner reports each cell once, in order; the student's code shares its process
    and can write on the same channel. A report of "ok" written by the notebook, before the
    cell's own report (from inside the failing cell) or after it (from a later cell), does
    not carry the runner's seal: it breaks the channel, and the cell that wrote it is
    reported as having stopped the process and is skipped when the notebook runs again. No
    cell's outcome gets better; a cell that passed stays passed."""
    cells = [FORGE_CELL_REPORT, "_forge(1)\nraise ValueError('fails after forging its own ok')",
             "raise ValueError('fails, forged later')", "_forge(2)\n_forge(0)", "x = 1"]
    with run(cells) as p:
        assert p.get("x") == 1  # run again (twice) without the cells that forged
        statuses = [c.status for c in p.report.cells]
        assert statuses == ["ok", "crashed", "error", "crashed", "ok"], p.report.cells
        assert any("runner's seal" in note for note in p.report.notes), p.report.notes


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_one_line_cell_runs_as_python_or_a_percent_magic_only(warm):
    """The grader reads a cell as Python, with IPython's ``%``/``!`` transforms. IPython's
    prefilter would also run a one-line cell that is not Python: as a magic without its
    ``%`` (automagic: ``time <code>``), as a call (autocall) or as a Macro's code. None of
    them runs here: the red team ran a file through ``run -i`` past the grader's reading."""
    cells = ["from IPython.core.macro import Macro\nm = Macro('MACRO = 1')",
             "m",
             "time AUTOMAGIC = 1",
             "def f(x):\n    global AUTOCALL\n    AUTOCALL = x",
             "f 1",
             "%time PERCENT = 1",
             "BANG = !echo hi"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        for name in ("MACRO", "AUTOMAGIC", "AUTOCALL"):
            with pytest.raises(MissingName):
                p.get(name)
        assert [c.status for c in p.report.cells] == ["ok", "ok", "error", "ok", "error",
                                                      "ok", "ok"]
        assert p.get("PERCENT") == 1 and p.get("BANG") == ["hi"]


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_the_shell_runs_no_code_the_grader_did_not_read(warm):
    """The red team of 2026-12-03 got the shell object by other names (an alias of
    get_ipython, ``InteractiveShell.instance()``) and ran code from strings through it, or
    had IPython evaluate ``{expr}`` in a ``!`` line, or reached ``exec`` through a
    ``getattr`` with a computed special name: +9 points each past the reading. None of it
    runs in the sandbox; ``%%capture``, ``%time`` and ``!`` lines still do."""
    code = "RAN = 1"
    cells = ["from IPython import get_ipython as g\ng().ex(%r)" % code,
             "g().ev('1')",
             "from IPython.core.interactiveshell import InteractiveShell as S\n"
             "S.instance().run_cell(%r)" % code,
             "S.instance().run_line_magic('run', '-i nothing.py')",
             "g().run_line_magic('writefile', 'x.py')",
             "import numpy as np\nb = getattr(np, '__' + 'builtins__')",
             "f = getattr(np.add, '__gl' + 'obals__')",
             "!echo {RAN_BY_BANG}",
             "%%capture out\nprint('captured')\nCAPTURED = 1",
             "%time TIMED = 1",
             "NAME = getattr(np.add, '__name__')",
             "ECHO = !echo {1 + 1}"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        with pytest.raises(MissingName):
            p.get("RAN")
        statuses = [c.status for c in p.report.cells]
        assert statuses == ["error"] * 7 + ["ok"] * 5, [(c.status, c.error) for c in
                                                         p.report.cells]
        assert "not available to the notebook" in p.report.cells[0].error
        assert "not found" in p.report.cells[3].error
        assert p.get("CAPTURED") == 1 and p.get("TIMED") == 1 and p.get("NAME") == "add"
        assert p.get("ECHO") == ["{1 + 1}"]  # IPython would have made it "2"


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_failing_cell_leaves_a_plain_traceback_in_the_record(warm):
    """The instructor's record shows where a cell failed: each frame's line and code, in
    IPython's plain form (its default, drawn with stack_data, cost ~12 ms a failing cell,
    half of a blank notebook's cells), the same warm or cold."""
    cells = ["def helper(x):\n    return 1 / x\n\ndef top(x):\n    return helper(x) + 1",
             "top(0)"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        failed = p.report.cells[1]
        assert failed.status == "error" and "ZeroDivisionError" in failed.error
        lines = failed.output.splitlines()
        assert lines[0] == "Traceback (most recent call last):", failed.output
        assert "    return 1 / x" in lines and "    return helper(x) + 1" in lines
        assert "ZeroDivisionError: division by zero" in lines
        assert "\x1b[" not in failed.output


@needs_root
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_student_killed_by_a_signal_reads_as_that_signal(warm):
    """The namespace's init reports its runner's death by a signal as 128 + the signal; the
    cold launcher's relay and the fork server both read it back as the signal, so the note
    names it, warm or cold."""
    with run(["a = 1", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", "b = 2"],
             policy=SandboxPolicy(warm_start=warm)) as p:
        assert p.report.cells[1].status == "crashed"
        assert any("killed by SIGSEGV" in note for note in p.report.notes), p.report.notes
        assert p.get("b") == 2


@needs_root
def test_a_warm_student_process_is_forked_straight_into_its_pid_namespace():
    """The fork server's child is pid 1 of the sandbox's PID namespace (no relay process
    outside it, one fork and one exit of a TensorFlow-sized process less), the runner pid 2,
    and the next student starts in a namespace of its own, not in this one."""
    cells = ["import os\nME = os.getpid()"]
    # both alive at once: the kernel reuses a dead namespace's inode number
    with run(cells, policy=SandboxPolicy(warm_start=True)) as first, \
            run(cells, policy=SandboxPolicy(warm_start=True)) as second:
        seen = []
        for p in (first, second):
            assert p._sandbox.warm
            status = open(f"/proc/{p._sandbox.process.pid}/status").read()
            nspid = next(line.split()[1:] for line in status.splitlines()
                         if line.startswith("NSpid:"))
            assert nspid[-1] == "1", nspid
            assert p.get("ME") == 2
            seen.append(os.stat(f"/proc/{p._sandbox.process.pid}/ns/pid").st_ino)
        assert seen[0] != seen[1] and os.stat("/proc/self/ns/pid").st_ino not in seen


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_notebooks_shell_commands_and_matplotlib_magic_run_as_in_jupyter(warm):
    """``!nvidia-smi`` raised "out of pty devices" (the sandbox has no ptys) and
    ``%matplotlib inline`` NotImplementedError (no GUI loop): an answer cell that began with
    either lost its whole exercise, though Jupyter's kernel runs both."""
    cells = ["!nvidia-smi-that-is-not-installed\ndef f():\n    return 1",
             "%matplotlib inline\ndef g():\n    return 2",
             "listing = !ls /\ndef h():\n    return len(listing)"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        assert [c.status for c in p.report.cells] == ["ok", "ok", "ok"], p.report.cells
        assert (p.call("f"), p.call("g")) == (1, 2) and p.call("h") > 3


def test_a_namedtuple_or_a_list_subclass_arrives_as_its_items():
    """A namedtuple ``(dW, db)`` and the list a tf.Module keeps (TensorFlow's ListWrapper)
    are a tuple and a list, as the contract asks; they arrived as 'an unsupported
    Gradients' and scored 0."""
    cells = ["import collections\nimport numpy as np\nimport tensorflow as tf\n"
             "Gradients = collections.namedtuple('Gradients', 'dW db')",
             "def pair():\n    return Gradients(tf.ones((2, 3)), np.zeros(3))",
             "class Model(tf.Module):\n    def __init__(self):\n        super().__init__()\n"
             "        self.params = [tf.Variable(tf.ones((2, 2))), tf.Variable(tf.zeros(2))]\n"
             "def wrapped():\n    return Model().params"]
    with run(cells) as p:
        dW, db = p.call("pair")
        np.testing.assert_array_equal(dW, np.ones((2, 3)))
        np.testing.assert_array_equal(db, np.zeros(3))
        params = p.call("wrapped")
        assert isinstance(params, list) and len(params) == 2
        assert [kind_of(v) for v in params] == ["tf.Variable", "tf.Variable"]


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_built_ins_that_run_strings_are_not_in_the_notebooks_namespace(warm):
    """exec, eval, vars, globals... are refused by the grader's reading of the notebook;
    they are also absent at run time, so a binding that never ran (a cell that raised before
    its ``vars = ...``) cannot hand the built-in back. Magics and libraries still work."""
    cells = ["[][0]\nvars = None  # never runs",
             "import tensorflow as tf\ndef reach():\n    return vars(tf)",
             "def sees():\n    b = __builtins__\n    keys = b if isinstance(b, dict) else vars(b)\n"
             "    return [name in keys for name in "
             "('exec', 'eval', 'compile', 'globals', 'locals', 'breakpoint', 'print')]",
             "%time timed = 1",
             "@tf.function\ndef traced(x):\n    for _ in tf.range(2):\n        x += 1.0\n    return x"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        assert [c.status for c in p.report.cells] == ["error", "ok", "ok", "ok", "ok"]
        with pytest.raises(StudentRaised, match="name 'vars' is not defined"):
            p.call("reach")
        assert p.call("sees") == [False] * 6 + [True]
        assert float(p.call("traced", np.float32(1.0))) == 3.0


@pytest.mark.skipif(os.geteuid() != 0, reason="files of another uid need root")
def test_leftovers_inside_other_users_shared_folders_are_removed(tmp_path):
    """On the setuid rung a student can write inside any world-writable folder, such as one
    another user made in /tmp (a red team's file there reached the next grading): its files
    are found at any depth; other users' files and folders stay, and links are not
    followed."""
    uid = 54321
    shared = tmp_path / "someone-elses"
    (shared / "deeper").mkdir(parents=True)
    for folder in (shared, shared / "deeper"):
        folder.chmod(0o777)
    private = tmp_path / "private"  # not world-writable: the student cannot write there
    private.mkdir(mode=0o755)
    planted = [shared / "planted", shared / "deeper" / "planted", shared / "own-folder"]
    planted[0].write_text("x")
    planted[1].write_text("x")
    planted[2].mkdir()
    (planted[2] / "inside").write_text("x")
    kept = [shared / "theirs", private / "theirs"]
    for path in kept:
        path.write_text("x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file").write_text("x")
    os.symlink(outside, shared / "link")
    for path in planted + [planted[2] / "inside"]:
        os.chown(path, uid, uid, follow_symlinks=False)
    sandbox.remove_leftovers_of_uid(uid, folders=(str(tmp_path),))
    assert not any(path.exists() for path in planted)
    assert all(path.exists() for path in kept) and (outside / "file").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a queue file system needs root")
def test_a_message_queue_left_in_dev_mqueue_is_removed(tmp_path):
    """Docker mounts /dev/mqueue world-writable; on the setuid rung a queue made there with
    open() (seccomp refuses mq_open only) reached the next submission (a red team's). The
    folder is among those searched, and a queue of the sandbox's uid goes."""
    import subprocess

    assert "/dev/mqueue" in sandbox.WORLD_WRITABLE
    uid, queues = 54322, tmp_path / "mqueue"
    queues.mkdir()
    subprocess.run(["mount", "-t", "mqueue", "none", str(queues)], check=True)
    try:
        name = f"autograder-test-{os.getpid()}"
        for owner, suffix in ((uid, "planted"), (0, "theirs")):
            path = queues / f"{name}-{suffix}"
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
            os.chown(path, owner, owner)
        sandbox.remove_leftovers_of_uid(uid, folders=(str(queues),))
        assert sorted(os.listdir(queues)) == [f"{name}-theirs"]
        os.unlink(queues / f"{name}-theirs")
    finally:
        subprocess.run(["umount", str(queues)], check=False)


def test_the_notebooks_getattr_refuses_the_interpreters_insides():
    """The reading lets a computed getattr through on the student's own names; a red team
    computed ``"f_" + "globals"`` on a frame of ``traceback.walk_stack`` (+3). The notebook's
    getattr refuses such names and special ones other than names, documentation and the
    operator protocol; ordinary attributes pass."""
    from autograder.sandbox.child import runner

    access = runner._checked_attribute_access()
    getattr_, setattr_ = access["getattr"], access["setattr"]
    import traceback
    frame = next(iter(traceback.walk_stack(None)))[0]
    for obj, name in ((frame, "f_" + "globals"), (frame, "f_back"), (np, "__" + "builtins__"),
                      (np.add, "__globals__"), (traceback, "walk_stack"), (os, "__dict__")):
        with pytest.raises(AttributeError, match="not available to the notebook"):
            getattr_(obj, name)
    assert getattr_(np, "float32") is np.float32 and getattr_(np.add, "__name__") == "add"
    assert getattr_(np, "no_such_thing", 7) == 7

    class Own:
        pass
    own = Own()
    setattr_(own, "W1", 1)
    assert own.W1 == 1
    with pytest.raises(AttributeError):
        setattr_(own, "__class__", int)


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_the_student_process_cannot_read_its_own_memory_nor_write_the_runners_replies(warm):
    """The runner's replies are sealed with a key it read into its memory before any student
    code ran (protocol.seal_with): that memory stays closed to the notebook, however the path
    is spelled, and to the commands it starts; a reply the notebook writes on the channel
    itself breaks it, so the cell is reported as having stopped the process."""
    opens = ["f'/proc/{os.getpid()}/mem'", "'/proc/self/mem'", "'/proc/self/task/' + "
             "str(os.getpid()) + '/mem'", "'/proc/self'", "'/proc/self/../self/mem'"]
    cells = ["import os, subprocess, sys\nREFUSED = []\n"
             f"for path in [{', '.join(opens)}]:\n"
             "    try:\n        os.close(os.open(path, os.O_RDONLY))\n"
             "    except PermissionError:\n        REFUSED.append(path)\n"
             "CHILD = subprocess.run([sys.executable, '-c', "
             "f'open(\"/proc/{os.getpid()}/mem\", \"rb\")'], capture_output=True).returncode\n"
             "UID = os.getuid()",
             "DATA = open('/proc/self/status').read()[:4]",
             # the hook's blind spot: a symlink opened relative to a directory descriptor
             # (its event carries the name only); the kernel refuses it, because a
             # non-dumpable process's /proc files belong to root
             "import tempfile\nd = tempfile.mkdtemp()\nos.symlink('/proc/self/mem', d + '/l')\n"
             "try:\n    os.close(os.open('l', os.O_RDONLY, dir_fd=os.open(d, os.O_RDONLY)))\n"
             "    BY_DIR_FD = 'opened'\nexcept OSError as e:\n    BY_DIR_FD = str(e)"]
    with run(cells, policy=SandboxPolicy(warm_start=warm)) as p:
        assert p._sandbox.warm == warm
        assert all(c.status == "ok" for c in p.report.cells), p.report.cells
        assert len(p.get("REFUSED")) == len(opens), p.get("REFUSED")
        assert p.get("DATA") == "Name"  # the rest of /proc is as before
        if p.get("UID") != 0:  # a ptrace-capable (root) child is the kernel's exception
            assert p.get("BY_DIR_FD") == "[Errno 13] Permission denied: 'l'", p.get("BY_DIR_FD")
            assert p.get("CHILD") != 0
    forged = ["import json, os, struct\n"
              "for fd in sorted(int(f) for f in os.listdir('/proc/self/fd')):\n"
              "    try:\n"
              "        flags = open(f'/proc/self/fdinfo/{fd}').read().split('flags:')[1]\n"
              "        link = os.readlink(f'/proc/self/fd/{fd}')\n"
              "    except OSError:\n"
              "        continue\n"
              "    if fd > 2 and link.startswith('pipe:') and int(flags.split()[0], 8) & 3 == 1:\n"
              "        data = json.dumps({'event': 'executed', 'payload': None, "
              "'n_arrays': 0}).encode()\n"
              "        os.write(fd, struct.pack('>Q', len(data)) + data)",
              "AFTER = 1"]
    with run(forged, policy=SandboxPolicy(warm_start=warm), max_restarts=0) as p:
        assert p.report.cells[0].status == "crashed", p.report.cells[0]
        assert any("runner's seal" in note for note in p.report.notes), p.report.notes


# A notebook's ordinary habits, each of which makes code at run time somewhere in a library
# (IPython's magics, dataclasses, namedtuple, autograph, Keras, pickled arrays): the guard
# that keeps what runs to what was read (runner._keep_to_the_read_code) lets them all run.
ORDINARY_CELLS = [
 "import numpy as np, tensorflow as tf, matplotlib.pyplot as plt\n%matplotlib inline",
 "%time x = np.arange(10).sum()",
 "%%time\ny = tf.reduce_sum(tf.ones((3, 3)))",
 "%timeit -n 3 -r 1 np.arange(100).sum()",
 "plt.plot([1, 2, 3]); plt.title('t'); plt.show()",
 "from dataclasses import dataclass\n@dataclass\nclass P:\n    a: int\n    b: float = 0.0\nP(1)",
 "from collections import namedtuple\nQ = namedtuple('Q', 'a b')\nQ(1, 2)",
 "from typing import List, Optional, NamedTuple\nclass R(NamedTuple):\n    a: int\ndef f(x: List[int]) -> Optional[int]:\n    return None\nR(1)",
 "import enum\nclass C(enum.Enum):\n    A = 1",
 "import functools\n@functools.lru_cache\ndef g(n):\n    return n\ng(3)",
 "model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3, activation='relu'), tf.keras.layers.Dense(2)])\nmodel.compile(optimizer='adam', loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))\nmodel.fit(np.random.rand(32, 4).astype('float32'), np.random.randint(0, 2, 32), epochs=2, verbose=0)\nmodel.predict(np.zeros((2, 4), 'float32'), verbose=0)",
 "@tf.function\ndef h(x):\n    if tf.reduce_sum(x) > 0:\n        return x * 2\n    return x\nh(tf.ones(3))",
 "from sklearn.datasets import load_digits, load_diabetes\nfrom sklearn.model_selection import train_test_split\nX, y = load_digits(return_X_y=True)\ntrain_test_split(X, y, test_size=0.2, random_state=0)[0].shape",
 "import logging, warnings, json, re, math, random, itertools, time, os, sys, io\nlogging.getLogger('x').warning('w')\nwarnings.warn('careful')\njson.dumps({'a': 1})",
 "np.savez('/tmp/a.npz', x=np.ones(3)); np.load('/tmp/a.npz')['x']",
 "import pickle\npickle.loads(pickle.dumps({'a': [1, 2.0, (3,)]}))",
 "pickle.loads(pickle.dumps(np.ones(3)))",
 "help(len)",
 "try:\n    1/0\nexcept ZeroDivisionError as e:\n    import traceback\n    traceback.format_exc()",
 "import scipy.special\nscipy.special.expit(np.ones(3))",
 "!echo hi",
 "tf.data.Dataset.from_tensor_slices(np.arange(10)).map(lambda v: v * 2).batch(3).take(1).get_single_element()",
 # libraries that walk the whole stack or look for their caller, called from a function
 # of the notebook's (the guard closes the frames under the notebook's to everyone else)
 "import traceback, logging, warnings\ndef deep():\n    logging.getLogger('y').warning('w', stack_info=True)\n    tf.get_logger().warning('tf')\n    warnings.warn('w', stacklevel=2)\n    return len(traceback.format_stack()) + len(traceback.extract_stack())\ndeep()",
 "tf.compat.v1.logging.warning('old style')",
 "@tf.function\ndef loop(x):\n    for i in range(3):\n        x = x + i\n    return x\nloop(tf.constant(1))",
 # string annotations: typing compiles each one to check its syntax (a fresh student's)
 "from typing import NamedTuple\nclass Grads(NamedTuple):\n    dW: 'tf.Tensor'\n    db: 'tf.Tensor'\n"
 "Grads(1, 2)",
 "def in_notebook():\n    try:\n        return get_ipython().__class__.__name__ != '' and "
 "get_ipython() is not None and 'IPKernelApp' not in get_ipython().config\n"
 "    except NameError:\n        return False\nassert in_notebook()",
 "import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
 "    TEXT = ''.join(traceback.format_exception(type(e), e, e.__traceback__))\n"
 "    traceback.print_tb(e.__traceback__)\nassert 'ZeroDivisionError' in TEXT",
]


def test_ordinary_notebook_code_runs_past_the_guard_on_code_from_strings():
    with run(ORDINARY_CELLS, notebook_seconds=200) as p:
        failed = [(c.index, ORDINARY_CELLS[c.index].splitlines()[0], c.error[:200])
                  for c in p.report.cells if c.status != "ok"]
        assert failed == []


def test_code_from_strings_is_refused_however_it_is_reached():
    """Each way runs a string no reading sees; each is refused where it makes the code."""
    import marshal

    cells = ["import timeit\ntimeit.timeit('1 + 1', number=1)",
             "import pickle\npickle.loads(b'cbuiltins\\neval\\n(V1+1\\ntR.')",
             "import builtins\nbuiltins.exec('X = 1')",
             "import sys\nsys._getframe()",
             "import operator\ntry:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
             "    operator.attrgetter('tb_frame')(e.__traceback__)",
             "import types\n(lambda: 0).__code__",
             f"import marshal\nmarshal.loads({marshal.dumps(compile('1', 's', 'eval'))!r})",
             "import os, sys\nopen('planted.py', 'w').write('Y = 1')\n"
             "sys.path.insert(0, os.getcwd())\nimport planted"]
    with run(cells) as p:
        for cell in p.report.cells:
            assert cell.status == "error", (cells[cell.index], cell.status)
        assert all("closed to the notebook" in c.error for c in p.report.cells), \
            [c.error for c in p.report.cells]


def test_frames_under_the_notebook_every_object_and_native_code_are_refused():
    """The eighth red team's ways, each closed where it happens rather than by name: a
    library that hands out a frame under the notebook's or reads its code (the runner's
    frames hold the grader's channel), the calls that list every thread's frames or every
    object, and native code from a file the notebook wrote, through TensorFlow's loader,
    NumPy's ctypes loader or an extension module's."""
    cells = ["from tensorflow.python.platform import tf_logging\ntf_logging._get_caller(3)",
             "import warnings\nfrom rich.console import Console\n"
             "[Console._caller_frame_info(k) for k in range(1, 60)]",
             "import gc\ngc.get_referrers(get_ipython())",
             "import tensorflow as tf\ntf.load_op_library('/tmp/custom_ops.so')",
             "import numpy as np\nopen('/tmp/libmine.so', 'wb').write(b'not a library')\n"
             "np.ctypeslib.load_library('libmine', '/tmp')",
             "import importlib.machinery as m, importlib.util as u\n"
             "open('/tmp/mine.so', 'wb').write(b'not a library')\n"
             "l = m.ExtensionFileLoader('mine', '/tmp/mine.so')\n"
             "l.create_module(u.spec_from_file_location('mine', '/tmp/mine.so', loader=l))"]
    with run(cells) as p:
        for cell in p.report.cells:
            assert cell.status == "error", (cells[cell.index], cell.status)
            assert "closed to the notebook" in cell.error, (cells[cell.index], cell.error)


_RENDER = ("import logging\n"
           "def render(obj, path):\n"
           "    fmt = logging.Formatter('{msg' + path + '}', style='{')\n"
           "    return fmt.format(logging.LogRecord('n', 20, 'p', 1, obj, None, None))\n")


def test_a_formatter_reads_no_frame_and_a_cells_error_is_not_kept():
    """The tenth red team's way: logging's "{"-style formatter reads any attribute path its
    format string names, from logging's own file, which may read frames to render a
    traceback; from a caught error's ``tb_frame`` it walked ``f_back`` (no event) to the
    runner's frames and read its seal. Now only logging's renderers read frames, and an
    error IPython keeps after a cell (``sys.last_traceback``), whose frames lead to the
    runner's, is dropped. Ordinary formatting, the caller lookup and error reports work."""
    cells = ["raise ValueError('a cell that fails')",
             "import sys\nKEPT = [hasattr(sys, n) for n in ('last_type', 'last_value', "
             "'last_traceback')] + [get_ipython().InteractiveTB.tb is not None]",
             _RENDER + "try:\n    raise ValueError('x')\nexcept ValueError as err:\n"
             "    caught = err\nrender(caught, '.__traceback__.tb_frame.f_code.co_name')",
             _RENDER + "import logging, io\nstream = io.StringIO()\n"
             "h = logging.StreamHandler(stream)\n"
             "h.setFormatter(logging.Formatter('{levelname}:{funcName}:{message}', style='{'))\n"
             "log = logging.getLogger('mine')\nlog.addHandler(h)\n"
             "def train():\n    log.warning('epoch %d', 3)\n"
             "    try:\n        1 / 0\n    except ZeroDivisionError:\n"
             "        log.exception('failed')\n"
             "train()\nTEXT = stream.getvalue() + render(caught if False else 7, '.real')"]
    with run(cells) as p:
        statuses = [c.status for c in p.report.cells]
        assert statuses == ["error", "ok", "error", "ok"], [c.error for c in p.report.cells]
        assert p.get("KEPT") == [False, False, False, False]
        assert "closed to the notebook" in p.report.cells[2].error, p.report.cells[2].error
        text = p.get("TEXT")
        assert "WARNING:train:epoch 3" in text and "ZeroDivisionError" in text, text
        assert text.endswith("7"), text


@needs_root
def test_the_sandboxs_writable_folders_run_no_code():
    """A shared library the notebook writes cannot even be mapped to run: its writable
    folders are mounted noexec (the eighth red team loaded one with tf.load_op_library)."""
    with run(["MOUNTS = {l.split()[4]: l.split()[5] for l in open('/proc/self/mountinfo')}"]) as p:
        mounts = p.get("MOUNTS")
        for folder in ("/tmp", "/home/student", "/dev/shm"):
            assert "noexec" in mounts[folder].split(","), (folder, mounts[folder])


@needs_root
def test_the_hosts_cgroup_tree_is_hidden_from_the_student():
    """/sys is the host's, read-only; its cgroup tree names every other sandbox and shows
    their memory and CPU use (a red team read it), so an empty folder covers it."""
    with run(["import os\nCGROUPS = os.listdir('/sys/fs/cgroup')\n"
              "CPUS = len(os.listdir('/sys/devices/system/cpu')) > 0"]) as p:
        assert p.report.cells[0].status == "ok", p.report.cells[0].error
        assert p.get("CGROUPS") == [] and p.get("CPUS") is True


RELAY_ON_THE_REQUEST_PIPE = '''
import fcntl, os, stat, threading
def _request_fd():
    for fd in range(3, 256):
        try:
            mode, flags = os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if stat.S_ISFIFO(mode) and flags & os.O_ACCMODE == os.O_RDONLY:
            return fd
_req = _request_fd()
_orig = os.dup(_req)
_r, _w = os.pipe()
os.dup2(_r, _req)
_seen = bytearray()
def _relay():
    while True:
        chunk = os.read(_orig, 65536)
        if not chunk:
            break
        _seen.extend(chunk)
        os.write(_w, bytes(b ^ FLIP for b in chunk))
threading.Thread(target=_relay, daemon=True).start()
def seen(marker_hex):
    return bytes.fromhex(marker_hex) in bytes(_seen)
def doubled_marker_name(x):
    return x * 2
'''


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_relay_on_the_request_pipe_sees_no_request_and_cannot_change_one(warm):
    """The thirteenth red team put a pipe of its own in place of the request pipe
    (``os.dup2``) and read each request first, inputs included, before the runner switched a
    restricted probe's forbidden APIs off (softmax from scipy, +3). Requests now travel
    enveloped: the relay sees ciphertext, and one it changes breaks the channel."""
    marker = np.arange(64, dtype=np.float64) * 1.25
    policy = SandboxPolicy(warm_start=warm)
    with run([RELAY_ON_THE_REQUEST_PIPE.replace("FLIP", "0")], policy=policy) as p:
        np.testing.assert_array_equal(p.call("doubled_marker_name", marker), marker * 2)
        assert p.call("seen", marker.tobytes()[8:40].hex()) is False
        assert p.call("seen", b"doubled_marker_name".hex()) is False
        assert p.call("seen", b'"op"'.hex()) is False
    with run([RELAY_ON_THE_REQUEST_PIPE.replace("FLIP", "1")], policy=policy) as p:
        with pytest.raises(StudentCrashed):
            p.call("doubled_marker_name", marker)


def test_a_cold_start_is_not_charged_to_the_notebooks_budget():
    """An endless cell spends the budget; the restart that skips it must still fit. On the
    cold rungs (setuid, user) the restart's imports took longer than the restart's grace,
    so no cell ran again and every check scored 0 (the full rung suite's
    ``infinite-loop-cell``). The process's start, which runs no student code, now has its
    own limit."""
    cells = ["x = 1", "while True:\n    pass", "def f():\n    return x + 1"]
    with run(cells, notebook_seconds=3, policy=SandboxPolicy(warm_start=False)) as p:
        assert p.call("f") == 2
        statuses = [c.status for c in p.report.cells]
        assert statuses[0] == "ok" and statuses[1] == "timeout", statuses


def test_sandbox_folders_left_behind_are_removed_only_when_their_grader_is_gone(tmp_path,
                                                                                 monkeypatch):
    """A grading process killed mid-grading leaves its sandbox's folder (runner copy, mount
    points); its parent removes that pid's folders, and a later sweep removes old ones
    whose process is gone, never a young one or one whose process runs."""
    import subprocess
    import sys

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    old = time.time() - 2 * sandbox.LEFT_BEHIND_AGE
    made = {}
    for name, pid, age in [("dead-old", dead.pid, old), ("dead-young", dead.pid, None),
                           ("alive-old", os.getpid(), old)]:
        path = tmp_path / f"autograder-sandbox-{pid}-{name}"
        (path / "runner").mkdir(parents=True)
        (path / "runner" / "runner.py").write_text("")
        if age:
            os.utime(path, (age, age))
        made[name] = path
    sandbox.sweep_left_behind.cache_clear()
    assert sandbox.sweep_left_behind(str(tmp_path)) == 1
    assert not made["dead-old"].exists()
    assert made["dead-young"].exists() and made["alive-old"].exists()
    assert sandbox.remove_left_behind(dead.pid) == 1  # its parent knows it died
    assert not made["dead-young"].exists() and made["alive-old"].exists()


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_memory_held_in_memfds_counts_where_there_is_no_cgroup(warm, monkeypatch):
    """A default Docker container mounts the cgroup file system read-only, so the sandbox
    gets no cgroup and its memory is the processes' resident sizes, which miss memfds never
    mapped: a red team held 1.5 GB under a 1 GB limit. Open memfds count now."""
    monkeypatch.setattr(sandbox.cgroups, "create", lambda *args, **kwargs: None)
    hoard = ("import os, time\n_block = b'x' * (32 << 20)\n_fds = []\n"
             "for _ in range(48):\n    _fds.append(os.memfd_create('hoard'))\n"
             "    os.write(_fds[-1], _block)\ntime.sleep(60)")
    began = time.monotonic()
    process = run([hoard, "after = 1"], notebook_seconds=90,
                  policy=SandboxPolicy(total_memory_mb=1024, warm_start=warm))
    try:
        assert any("MB of memory together" in note for note in process.report.notes), \
            process.report.notes
        assert time.monotonic() - began < 60  # killed, not timed out
    finally:
        process.close()
