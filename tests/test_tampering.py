"""The rule against code that reaches into the grader's side of the student's process:
what it refuses, what it lets through (every correct and mistaken notebook of the corpora),
and that a refused notebook scores 0 with the construct named, without being run."""

from __future__ import annotations

import dataclasses

import nbformat
import pytest

from autograder.grading import tampering
from autograder.grading.assignment import get_assignment
from autograder.grading.grade import grade
from autograder.grading.notebook import read_code_cells
from tests.corpus import nn_basics as corpus
from tests.corpus import nn_basics_probe3 as probe3
from tests.fixtures import attacks, fashion_submissions
from tests.fixtures.submissions import REPO, solved_notebook

# Found by a red team (2026-12-03): each took points the notebook did not earn, from inside
# the student's process, while the sandbox held.
# the runner's globals, through sys.modules or frames (tests/fixtures/attacks.py)
RUNNER_GLOBALS = attacks.BY_NAME["weak-checks-without-ceiling"].cells_start[0]
SAVED_ORIGINALS = '''
from tensorflow.python import pywrap_tfe as _pt
_stash = {"fast": _pt.TFE_Py_FastPathExecute, "tape_new": _pt.TFE_Py_TapeSetNew}
'''
REFUSED = {
    "a library's function replaced through a loop over modules": "import numpy as np\n"
    "for m in [np]:\n    m.allclose = print",
    "an alias of sys changing its path": "import sys\nfor s in (sys,):\n"
    "    s.path.append('/tmp')",
    "an error's traceback kept": "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
    "    tb = e.__traceback__",
    # the tenth red team's (2026-12-04): a format string's fields read attributes, and a
    # library's private module held another softmax
    "frame attributes in a format string": "import logging\n"
    "f = logging.Formatter('{msg.__traceback__.tb_frame.f_back}', style='{')",
    "a dotted frame path in a string": "base = '.__traceback__.tb_frame'",
    "str.format reaching a function's globals": "'{0.__globals__}'.format(print)",
    "a library's private name imported": "from numpy import _NoValue",
    "the runner's globals, through sys.modules and frames": RUNNER_GLOBALS,
    "TensorFlow's C API kept before the probe": SAVED_ORIGINALS,
    "a forged report (numpy patched)": "import numpy as np\nnp.array_equal = lambda *a: True",
    "a module patched through an alias": "import numpy as np\nm = np\nm.allclose = print",
    "setattr on a module": "import numpy as np\nsetattr(np, 'allclose', print)",
    "attrgetter of a computed name": "from operator import attrgetter\nf = attrgetter(n)",
    "attrgetter of a frame's namespace": "import operator\nm = [operator][0]\n"
                                         "g = m.attrgetter('f_back.f_globals')",
    "attrgetter of a special name": "from operator import attrgetter as a\n"
                                    "g = a('__class__.__subclasses__')",
    "attrgetter kept for later": "import operator\nget = operator.attrgetter",
    "methodcaller of a special method": "import operator\nf = operator.methodcaller('__reduce__')",
    # the sixth red team's (2026-12-04): a process started with no audit event
    "a process started by _posixsubprocess": "import _posixsubprocess as p\np.fork_exec",
    "_posixsubprocess imported from": "from _posixsubprocess import fork_exec",
    # the seventh red team's: a string run by autograph's loader, frames from tf_inspect
    "autograph's loader": "from tensorflow.python.autograph.pyct import loader",
    "TensorFlow's inspect": "from tensorflow.python.util import tf_inspect\ntf_inspect.stack()",
    "inspect reached through another module": "import dataclasses\ndataclasses.inspect.stack()",
    "the source cache": "import traceback\ntraceback.linecache.cache.clear()",
    "the source cache imported": "import linecache",
    "string's Formatter": "import string\nf = string.Formatter()",
    "the debugger's class": "from IPython.core.debugger import Pdb",
    # the ninth red team's (2026-12-04): generic attribute copiers and readers, and two more
    # ways to the shell object (whose methods are the runner's functions)
    "update_wrapper told which attributes": "import functools\nclass C:\n    pass\n"
    "functools.update_wrapper(C(), len, assigned=('__globals__',), updated=())",
    "wraps told which attributes": "from functools import wraps\nw = wraps(len, ('__doc__',))",
    "a library's private reader": "import pickle\npickle._getattribute(len, '__name__')",
    "a library's private frame helper": "from rich.console import Console\n"
    "Console._caller_frame_info(3)",
    "the shell's class asked for its instance": "T = type(get_ipython())\nsh = T.instance()",
    "isinstance with a class of the notebook's": "class M(type):\n"
    "    def __instancecheck__(cls, x):\n        return True\n"
    "class P(metaclass=M):\n    pass\nisinstance(get_ipython(), P)",
    "a closure's cell": "def f():\n    pass\nc = (1,)[0]\nc.cell_contents = 2",
    "a computed attribute name": "import os\nx = getattr(os, 'sy' + 's')",
    "getattr passed around": "import functools\ng = functools.partial(getattr, 1)",
    "exec": "exec('x = 1')",
    "eval in a %time line": "%time x = eval('1')",
    "eval in a %%time cell": "%%time\nx = eval('1')",
    "the builtins module": "f = lambda: print.__self__",
    "a traceback's frame": "try:\n    1 / 0\nexcept Exception as e:\n    t = e.__traceback__",
    "a generator's frame": "g = (i for i in [1])\nf = g.gi_frame",
    "a function's globals": "def f():\n    pass\nG = f.__globals__",
    "inspect": "import inspect",
    "gc's objects": "import gc\nobjects = gc.get_objects()",
    "ctypes": "from ctypes import pythonapi",
    "importlib": "import importlib\nimportlib.import_module('runner')",
    "the runner by name": "import runner",
    "sys.path, to import a written file": "import sys\nsys.path.insert(0, '.')",
    "%run": "%run helper.py",
    "%%writefile": "%%writefile helper.py\nx = 1",
    "%load": "%load helper.py",
    "%config with code": "%config InlineBackend.figure_format = __import__('os').getcwd()",
    "the shell's namespace": "get_ipython().user_ns['softmax'] = None",
    "the shell kept": "sh = get_ipython()\nsh.run_cell('x = 1')",
    "pickle": "import pickle\npickle.loads(b'')",
    "a pickled array": "import numpy as np\nnp.load('a.npy', allow_pickle=True)",
    "timeit of a string": "import timeit\ntimeit.timeit('x = 1', number=1)",
    "vars() of a module": "import numpy as np\nv = vars(np)",
    "%reset, which brings the built-ins back": "%reset -f",
    "a class's subclasses": "s = object.__subclasses__()",
    # found by a second red team (2026-12-03), against the first version of the rule
    "any attribute read through a string": "import string\n"
    "f = string.Formatter().get_field('0.modules', [object()], {})",
    "pydoc's locate": "import pydoc\nr = pydoc.locate('runner._switch_off')",
    "a cell hidden behind a %timeit option": "%timeit -n1 -r1 -v _rt pass\nimport sys\n"
    "print(sys.modules['runner'])",
    "code inside a %timeit line": "get_ipython().run_line_magic('timeit', "
    "'-n1 -r1 -q import sys; sys._getframe()')",
    "code inside a %%capture body": "get_ipython().run_cell_magic('capture', '_c', "
    "'import sys\\nf = sys._getframe()')",
    "code in a %%timeit setup line": "%%timeit -n1 -r1 import sys; f = sys._getframe()\npass",
    # a one-line cell that is not Python ran as a magic without its % (automagic): the red
    # team's +10 (the runner's switch-off replaced from a file run this way)
    "%run without its %": "run -i helpers.py",
    "%time without its %": "time import sys as s; s._getframe()",
    "%timeit without its %, with options": "timeit -n1 -r1 import sys; sys._getframe()",
    "a %time of code built at run time": "s = 'import sys'\nget_ipython().run_line_magic('time', s)",
    "a transformer of every later cell": "%code_wrap wrapper",
    "lines run as calls": "%autocall 2",
    "automagic switched back on": "%automagic 1",
    "a module imported by its name": "%load_ext autoreload\n%aimport runner",
    "unittest.mock patching by name": "from unittest import mock\n"
    "mock.patch('numpy.array_equal', print).start()",
    "raw memory through NumPy": "class View:\n    __array_interface__ = {'data': (0, False)}",
    "ctypes through NumPy": "from numpy.ctypeslib import ctypes as ct",
    "an array's ctypes": "import numpy as np\np = np.zeros(1).ctypes",
    "a signal handler's frame": "import signal\nsignal.signal(signal.SIGUSR1, print)",
    "an audit hook": "import sys\nsys.addaudithook(print)",
    "loading a pickle": "import pickle\nx = pickle.loads(b'')",
    "sys.modules through an alias the reader cannot follow": "import sys\n"
    "for s in (sys,):\n    r = s.modules\ny = (z := sys).modules",
    "sys.path through such an alias": "import sys\nfor s in (sys,):\n"
    "    s.path.insert(0, '/tmp')\n    s.path += ['/tmp']",
    # the red team of 2026-12-03 (third): the shell object by other names, +9 points each
    "get_ipython imported under another name": "from IPython import get_ipython as g\n"
    "g().run_line_magic('matplotlib', 'inline')",
    "get_ipython kept as a name": "g = get_ipython\ng().system('ls')",
    "IPython.get_ipython kept": "import IPython\ng = IPython.get_ipython",
    "the shell's class asked for its instance": "from IPython.core.interactiveshell import "
    "InteractiveShell as S\nS.instance().system('ls')",
    "the instance through type()": "type(get_ipython()).instance()",
    "the shell's code runners": "def f(sh):\n    sh.ex('x = 1')\n    sh.ev('1')",
    "an IPython method replaced": "from IPython.core.interactiveshell import InteractiveShell\n"
    "InteractiveShell.run_cell = print",
    "IPython's demo runner": "from IPython.lib.demo import Demo",
    "a template that calls attributes": "import jinja2\njinja2.Template('{{ x }}')",
    "annotations evaluated from strings": "import typing\ndef f(x: 'int'): pass\n"
    "typing.get_type_hints(f)",
    "a code object built by hand": "import types\nc = types.CodeType",
    "a function from a code object": "from types import FunctionType",
    "pandas evaluating a string": "import pandas as pd\npd.eval('1 + 1')",
    "a logging configuration's factories": "import logging.config\n"
    "logging.config.dictConfig({'version': 1})",
    # the second red team of 2026-12-03 (third): names that arrive bare
    "sys's names taken all at once": "from sys import *\nm = modules",
    "traceback's names taken all at once": "from traceback import *\nw = walk_stack(None)",
    "gc's names taken all at once": "from gc import *",
    # the twelfth red team (2026-12-04): class patterns read attributes with the C-level
    # getattr, and a getattr inside another expression hid its alias
    "sys.modules read by a class pattern": "import sys\nmatch sys:\n"
    "    case object(modules=M):\n        pass",
    "signal.signal bound by a class pattern, then called": "import signal as s\nmatch s:\n"
    "    case object(signal=register):\n        register(s.SIGALRM, print)",
    "frames walked by nested class patterns": "def walk(f):\n    match f:\n"
    "        case object(f_back=object(f_locals=L)):\n            return L",
    "sys.settrace bound by a class pattern": "import sys\nmatch sys:\n"
    "    case object(settrace=hook):\n        hook(print)",
    "a library's function replaced through a literal's item": "import hmac\n"
    "[hmac][0].new = print",
    "the shell's events": "get_ipython().events.register('pre_run_cell', print)",
    "the shell's events through IPython": "import IPython\n"
    "IPython.get_ipython().events.register('post_run_cell', print)",
    "a method handed the shell": "def f(self):\n    return self.events\nf(get_ipython())",
    "an attrgetter taken by getattr inside a list": "import operator\n"
    "walk = [getattr(operator, 'attrgetter')][0]('f_' + 'back')",
}
ALLOWED = {
    "a name first a Keras class, then each layer of a model": "import tensorflow as tf\n"
    "layer = tf.keras.layers.Dense\nm = tf.keras.Sequential([layer(3)])\n"
    "for layer in m.layers:\n    layer.trainable = False",
    "a method's own path list": "class Descent:\n    def __init__(self):\n"
    "        self.path = []\n    def step(self, w):\n        self.path.append(w)",
    "an error's traceback rendered": "import traceback\ntry:\n    1 / 0\n"
    "except ZeroDivisionError as e:\n"
    "    print(''.join(traceback.format_exception(type(e), e, e.__traceback__)))",
    # "am I in Jupyter?" (a fairness probe of 2026-12-04 found each refused)
    "the shell's class name": "def in_notebook():\n    try:\n"
    "        return get_ipython().__class__.__name__ == 'ZMQInteractiveShell'\n"
    "    except NameError:\n        return False",
    "whether there is a shell": "if get_ipython() is not None:\n    print('notebook')",
    "whether a kernel app is configured": "'IPKernelApp' in get_ipython().config",
    "a class name in a format string": "s = '{0.__class__.__name__}'.format(1)",
    "a logging format with fields": "import logging\n"
    "logging.Formatter('{asctime} {levelname}: {message}', style='{')",
    "saving with NumPy's default allow_pickle": "import numpy as np\n"
    "np.save('w.npy', np.zeros(3), allow_pickle=True)",
    "Keras 2's API under its package's name": "from keras._tf_keras.keras.layers import Dense",
    # a mistake the contract scores (softmax's points), not a reason to refuse the notebook
    "a function from a library's private module": "from sklearn._loss.loss import "
    "HalfMultinomialLoss",
    "a relative path in a string": "np_path = './data/_cache/file.npz'",
    "the post-mortem debugger switched off": "%pdb off",  # refused the whole notebook before
    "a dtype by name": "import tensorflow as tf\n"
                       "def make_scalar(v, dtype):\n    return tf.constant(v, getattr(tf, dtype))",
    "a constant getattr": "import tensorflow as tf\nsm = getattr(tf.nn, 'relu')",
    "a student's variable named vars": "vars = [1, 2]\nprint(vars)",
    "setattr on the student's own object": "class A:\n    def __init__(self):\n"
                                           "        setattr(self, 'W', 1)\n        self.b = 2",
    "environment variables": "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'",
    "matplotlib settings": "import matplotlib.pyplot as plt\nplt.rcParams['figure.dpi'] = 90",
    "shell commands and common magics": "!nvidia-smi\n%matplotlib inline\nfiles = !ls\n"
                                        "%load_ext autoreload\n%autoreload 2\n%timeit 1 + 1",
    "%config of a literal": "%config InlineBackend.figure_format = 'retina'",
    "help": "import tensorflow as tf\ntf.matmul?",
    "device_lib": "from tensorflow.python.client import device_lib\n"
                  "print(device_lib.list_local_devices())",
    "sys.version": "import sys\nprint(sys.version, sys.argv)",
    "timeit of a function": "import timeit\ndef f():\n    pass\ntimeit.timeit(f, number=1)\n"
                            "timeit.timeit(lambda: f(), number=1)",
    "IPython.display": "from IPython.display import display, clear_output\ndisplay(1)",
    "np.load without pickles": "import numpy as np\nnp.load('a.npy')",
    # refused by the first version of the rule (found by the second red team)
    "gc.collect": "import gc\ngc.collect()",
    "%load_ext tensorboard": "%load_ext tensorboard",
    "a layer setting": "model.layers[0].trainable = False\nparams[0].trainable = False",
    "pandas options": "import pandas as pd\npd.options.display.max_rows = 100",
    "logging switched off": "import logging\nimport tensorflow as tf\n"
    "logging.getLogger('tensorflow').disabled = True\ntf.get_logger().propagate = False",
    "a Colab check": "import sys\nIN_COLAB = 'google.colab' in sys.modules\n"
    "ON_COLAB = 'google.colab' in str(get_ipython())",
    "getattr on the student's object": "class M:\n    def w(self, i):\n"
    "        return getattr(self, f'W{i}')",
    "an activation by name": "import tensorflow as tf\nact = getattr(tf.keras.activations, name)",
    "saving a pickle": "import pickle\npickle.dump([1], open('h.pkl', 'wb'))",
    "an attribute named modules": "class Net:\n    def __init__(self):\n        self.modules = []",
    "old IPython imports": "from IPython.core.display import HTML, display\n"
    "from IPython.core.interactiveshell import InteractiveShell\n"
    "InteractiveShell.ast_node_interactivity = 'all'",
    "printing quietly": "import os, sys\nsys.stdout = open(os.devnull, 'w')",
    "a video": "from IPython.lib.display import YouTubeVideo\nYouTubeVideo('x')",
    "IPython's top level": "import IPython\nIPython.display.display(1)\n"
    "IPython.get_ipython().run_line_magic('matplotlib', 'inline')",
    "a decorator that keeps the function's name": "import functools\ndef deco(f):\n"
    "    @functools.wraps(f)\n    def w(*a):\n        return f(*a)\n    return w",
    "a library class in isinstance": "import IPython\n"
    "colab = isinstance(get_ipython(), IPython.core.interactiveshell.InteractiveShell)",
    "a private attribute of the student's own object": "class M:\n    def __init__(self):\n"
    "        self._w = 1\nm = M()\nw = m._w",
    "a singleton of the student's own": "class Config:\n    @classmethod\n"
    "    def instance(cls):\n        return cls()\nc = Config.instance()",
    "typing annotations": "from typing import List\ndef f(x: List[int]) -> int:\n"
    "    return len(x)",
    "star imports of the usual libraries": "from numpy import *\nfrom math import *\n"
    "from tensorflow.keras.layers import *\nfrom matplotlib.pyplot import *",
    # refused whole notebooks in a fairness probe (2026-12-03, evening): 0/34 each
    "attrgetter of a literal name": "from operator import attrgetter\nimport tensorflow as tf\n"
    "t = sorted(set(map(attrgetter('device_type'), tf.config.list_physical_devices())))",
    "operator.attrgetter and methodcaller": "import operator\n"
    "f = operator.attrgetter('device_type', 'name')\ng = operator.methodcaller('upper')",
    "a logging formatter": "import logging\nh = logging.StreamHandler()\n"
    "h.setFormatter(logging.Formatter('%(levelname)s %(message)s'))\n"
    "from logging import Formatter",
    "a debugger import left in": "from IPython.core.debugger import set_trace",
    "a class pattern on the notebook's own dataclass": "from dataclasses import dataclass\n"
    "@dataclass\nclass Point:\n    x: int\n    y: int\nmatch Point(1, 2):\n"
    "    case Point(x=0, y=yy):\n        print(yy)\n    case [a, b]:\n        pass",
    # a fairness probe of 2026-12-04 (0/34): shell-only names on a class of the notebook's
    "a training logger's own events": "class Log:\n    def __init__(self):\n"
    "        self.events = []\n        self.ex = None\n    def add(self, e):\n"
    "        self.events.append(e)",
    "getattr with a name written out": "import numpy as np\nf = getattr(np, 'float32')\n"
    "layers = getattr(object(), 'layers', [])",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_code_that_reaches_into_the_process_is_found(name):
    assert tampering.findings([REFUSED[name]]), name


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_ordinary_notebook_code_is_not(name):
    assert tampering.findings([ALLOWED[name]]) == [], name


def _code(notebook) -> list[str]:
    return [c.source for c in notebook.cells if c.cell_type == "code"]


def test_no_notebook_of_the_corpora_is_refused():
    """Every correct-but-different and every mistaken notebook, the bundled examples and the
    instructor's solutions (their test cells run in place of the student's, unread)."""
    solved = solved_notebook()
    for variant in (corpus.CORRECT + corpus.MISTAKES + probe3.CORRECT3 + probe3.MISTAKES3
                    + probe3.INTERACTIONS3):
        assert tampering.findings(_code(variant.apply(solved))) == [], variant.name
    for name, notebook in fashion_submissions.example_notebooks().items():
        assert tampering.findings(_code(notebook)) == [], name
    for path in sorted((REPO / "tests" / "fixtures" / "submissions").glob("*/*.ipynb")):
        assert tampering.findings(read_code_cells(path)) == [], path.name
    for folder in ("release",):
        for path in sorted((REPO / folder).glob("*/*.ipynb")):
            assert tampering.findings(read_code_cells(path)) == [], path


def test_the_adversarial_suites_in_process_attacks_are_refused_before_they_run():
    """The attacks that rewrite the process's own modules are caught twice: by this rule,
    and (tests/test_adversarial.py, with the rule off) by the sandbox."""
    for name in ("monkeypatch-numpy-tf", "monkeypatch-builtins-and-runner",
                 "read-hidden-files", "site-packages", "signal-handler-frame-serves-the-channel",
                 "trace-hook-frame-serves-the-channel", "protocol-receive-rewritten",
                 "hmac-new-hands-over-the-seal-key", "json-dumps-rewrites-a-refusal",
                 "inputs-restored-when-read-back"):
        attack = attacks.BY_NAME[name]
        assert tampering.findings(list(attack.cells_start) + list(attack.cells_end)), name


def test_a_refused_notebook_scores_zero_and_names_the_line(tmp_path):
    notebook = solved_notebook()
    notebook.cells.insert(1, nbformat.v4.new_code_cell(RUNNER_GLOBALS.strip()))
    path = tmp_path / "reaches-in.ipynb"
    nbformat.write(notebook, path)
    result = grade(path, "nn-basics")
    assert result.score == 0 and result.max_score == 34
    for test in result.tests:
        assert "The notebook was not run" in test.output, test.output
        assert "`sys.modules` in code cell 1, line 3" in test.output, test.output
    assert result.student_seconds == 0  # nothing of it ran


def test_the_rule_can_be_switched_off_only_by_an_assignments_settings():
    assert get_assignment("nn-basics").refuse_tampering is True
    assert get_assignment("fashion-mnist").refuse_tampering is True
    off = dataclasses.replace(get_assignment("nn-basics"), refuse_tampering=False)
    assert off.refuse_tampering is False


@pytest.mark.parametrize("assignment", ["nn-basics", "fashion-mnist"])
def test_the_contract_says_what_the_rule_refuses_and_what_it_allows(assignment):
    """The notebook's "Play fair" bullet and the rule are one thing: every example it
    names as refused is refused, every example it names as fine is let through."""
    import re

    contract = nbformat.read(str(REPO / "release" / assignment / f"{assignment}.ipynb"),
                             as_version=4).cells[0].source
    bullet = contract[contract.index("**Play fair"):]
    bullet = bullet[:bullet.index("\n* ")] if "\n* " in bullet else bullet
    refused_part, allowed_part = bullet.split("Ordinary notebook code is fine")
    spans = lambda text: re.findall(r"`([^`]+)`", text)  # noqa: E731
    header = "import numpy as np\nimport tensorflow as tf\nimport sys\n"
    refused, allowed = spans(refused_part), spans(allowed_part)
    assert len(refused) >= 12 and len(allowed) >= 3, (refused, allowed)
    for example in refused:
        code = example if example.startswith("%") else header + example
        assert tampering.findings([code]), example
    for example in allowed:
        code = example if example.startswith(("%", "!")) else header + example
        assert tampering.findings([code]) == [], example
    assert "scores 0" in bullet and "not run" in bullet
