"""Runs inside the sandbox: executes a submission's cells, then answers probe calls.

The grader starts this script in a separate, unprivileged process and talks to it only
through the probe protocol on two inherited file descriptors. Everything here is under the
student's control once their first cell runs, so this side decides nothing: it executes,
converts return values to plain data, and reports. Only the standard library, numpy and
IPython (with traitlets, its configuration library) are used; the grader's own package is
not visible here.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import signal
import sys
import traceback
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import protocol  # noqa: E402  (copied beside this file by the grader)


_VARIABLE_TYPES = ("ResourceVariable", "UninitializedVariable", "Variable", "RefVariable",
                   "AutoCastVariable", "DistributedVariable", "MirroredVariable")


# TensorFlow's own classes, taken before any student code runs (preloaded on cold starts,
# imported by the fork server on warm ones): a class that only names itself EagerTensor is
# not one of them
_TF_CLASSES: dict = {}


def _capture_tensorflow_classes() -> None:
    if "tensorflow" not in sys.modules or _TF_CLASSES:
        return
    try:
        import tensorflow as tf
        from tensorflow.python.framework.ops import EagerTensor

        _TF_CLASSES.update(tensor=EagerTensor, variable=tf.Variable)
    except Exception:  # noqa: BLE001 - another TensorFlow layout: fall back to names
        pass


_PROCESS_MEMORY = re.compile(r"^/proc/\d+(?:/task/\d+)?(?:/(?:mem|map_files)(?:/.*)?|/?)$")
_MEMORY_NAMES = re.compile(r"(?:^|/)(?:mem|map_files)(?:/|$)")  # relative: after a dir_fd


def _keep_memory_closed() -> None:
    """The seal's key was read into this process's memory (freed bytes included), so the
    notebook's code must not read that memory: refuse opening ``/proc/<pid>/mem`` (and
    ``map_files``, and a process's /proc folder, which ``dir_fd`` could open ``mem`` from),
    however the path is spelled; and make the process non-dumpable, so a command the
    notebook starts (another process of the sandbox's uid) cannot open it either (the kernel
    lets only a ptrace-capable process into a non-dumpable one; ptrace itself is refused by
    the seccomp filter). An audit hook cannot be removed once added."""
    def refuse_memory(event, args):
        if event != "open" or not args or not isinstance(args[0], (str, bytes)):
            return
        given = os.fsdecode(args[0])
        path = os.path.realpath(given)
        if path == "/proc" or _PROCESS_MEMORY.match(path) or (
                not given.startswith("/") and _MEMORY_NAMES.search(os.path.normpath(given))):
            raise PermissionError(f"{given}: a process's memory and /proc folders are closed "
                                  "to the notebook")

    sys.addaudithook(refuse_memory)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except Exception:  # noqa: BLE001 - no libc prctl here: the audit hook still holds
        pass


# Where code may be made from text or bytes once the notebook runs: IPython's cell loop and
# %%time-like magics (cells the grader read), this runner (the instructor's test cells),
# imports of installed modules, TensorFlow's autograph (the notebook's own functions, read),
# and the standard library's namedtuple and dataclasses (identifiers it checks). Paths end
# with "/" for a folder; anything else, a debugger's ``!`` line, an unpickled ``exec``, a
# planted module, ``typing``'s forward references, a template engine, is refused.
_MAKES_CODE = ("IPython/core/interactiveshell.py", "IPython/core/magics/execution.py",
               "IPython/core/async_helpers.py", "IPython/core/inputtransformer2.py",
               "importlib/_bootstrap_external.py", "importlib/_bootstrap.py",
               "tensorflow/", "keras/", "tf_keras/", "collections/__init__.py",
               "dataclasses.py", "ast.py")
# Frames that only relay a compile for the frame below them.
_RELAYS = ("codeop.py", "IPython/core/compilerop.py")
# What an unpickler may look up: NumPy's arrays and the standard containers, never a function.
_UNPICKLES = {"numpy": None, "numpy.core.multiarray": None, "numpy._core.multiarray": None,
              "numpy.core.numeric": None, "numpy._core.numeric": None, "numpy.dtypes": None,
              "collections": {"OrderedDict", "defaultdict", "deque"},
              "copyreg": {"_reconstructor"}, "_codecs": {"encode"},
              "builtins": {"set", "frozenset", "complex", "bytearray", "slice", "range",
                           "object", "list", "dict", "tuple", "int", "float", "str", "bytes"}}
_IMPORT_SYSTEM = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "gi_code",
                               "cr_code", "ag_code", "__code__", "f_back", "f_code"})
_STARTS_PROCESSES = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
                               "os.spawn", "os.fork", "os.forkpty", "pty.spawn"})


class Refused(RuntimeError):
    """What the runtime guards raise: the notebook's code reached something closed to it."""


def _keep_to_the_read_code(namespace: dict):
    """The grader reads every line it grades (``grading.tampering``, ``api_lint``); this
    keeps what runs to those lines. A red team ran code held in strings, which no reading
    sees, through IPython's debugger (``set_trace`` with a fed stdin, ``%pdb``,
    ``sys.breakpointhook``), pickles loaded by ``np.load(path, None, True)`` and
    ``multiprocessing``'s pipes, then walked the frames to the runner's sender and served
    the grader's channel itself (a blank notebook, 34/34); another ran the forbidden APIs
    in a ``python -c`` helper started during the probe (24 -> 34). An audit hook, which
    cannot be removed, now refuses, however they are reached: making code from text or
    bytes outside :data:`_MAKES_CODE`; loading a module that is not installed; unpickling
    anything but arrays and containers; the notebook's own code taking a frame or code
    object, or using ctypes; and starting a process while a probe that forbids APIs runs.

    The eighth red team reached the channel through library functions that hand out frames
    or their locals (``rich``'s ``Console._caller_frame_info``, ``tf_logging._get_caller``
    with ``warnings._next_external_frame``), and loaded native code with
    ``tf.load_op_library``. Now, while the notebook's code is on the stack, no one but the
    runner may hand out or read a frame under the notebook's (:func:`under_the_notebook`),
    list every thread's frames or every object; native code loads only from installed
    files; and a restricted probe may not wake a process the runner stopped. Returns
    ``set_graded``, which :func:`_answer` sets while such a probe runs."""
    import threading

    runner_file = os.path.abspath(__file__)
    roots = []
    for path in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                 *[p for p in sys.path if "-packages" in p]}:
        for form in {os.path.abspath(path), os.path.realpath(path)}:
            roots.append(form.rstrip("/") + "/")
    roots = tuple(sorted(set(roots)))
    kinds: dict = {}
    local = threading.local()
    graded = [False]  # a probe whose contract forbids APIs runs (``_answer``)

    def kind(code) -> str:
        """"runner", "maker", "relay", "installed" or "other" for a code object."""
        name = code.co_filename
        found = kinds.get(name)
        if found is None:
            path = name.replace(os.sep, "/")
            if name == runner_file:
                found = "runner"
            elif name in _IMPORT_SYSTEM:
                found = "maker"
            elif not os.path.isabs(name):
                found = "other"
            elif not (path.startswith(roots) or os.path.realpath(name).startswith(roots)):
                found = "other"
            elif path.endswith(tuple("/" + r for r in _RELAYS)):
                found = "relay"
            elif any(path.endswith("/" + m) if not m.endswith("/") else f"/{m}" in path
                     for m in _MAKES_CODE):
                found = "maker"
            else:
                found = "installed"
            kinds[name] = found
        return found

    def caller(frames: bool = False):
        """The frame that raised the event (the first one past the compile relays, and for
        an event that hands out frames past the frame helpers: ``tf_inspect.stack()``
        called by the notebook is the notebook's doing, a red team's way to the runner's
        frames), and whether it is the notebook's own code."""
        frame = sys._getframe(2)
        while frame is not None and frame.f_globals is not namespace and (
                kind(frame.f_code) == "relay" or _relayed_for_timeit(frame)
                or (frames and frame.f_code.co_filename.replace(os.sep, "/").endswith(
                    _FRAME_HELPERS))):
            frame = frame.f_back
        if frame is None:
            return None, False
        return frame, frame.f_globals is namespace

    def under_the_notebook(start, target) -> bool:
        """Whether ``target`` is one of the frames under the notebook's outermost frame on
        this thread's stack (from ``start`` down): the runner's and IPython's, whose locals
        hold the grader's channel. A library that walks the stack for its caller stops
        above them; the eighth red team's gadgets went on (``rich``'s
        ``Console._caller_frame_info(k)``, ``tf_logging._get_caller(k)`` with
        ``warnings._next_external_frame``), and each reads a frame's ``f_code`` or asks
        ``sys._getframe`` for it. (``traceback`` only renders text: TensorFlow's warnings
        print the stack with it.)"""
        outermost, frame = None, start
        while frame is not None:
            if frame.f_globals is namespace:
                outermost = frame
            frame = frame.f_back
        frame = outermost.f_back if outermost is not None else None
        while frame is not None:
            if frame is target:
                return True
            frame = frame.f_back
        return False

    def installed(path) -> bool:
        return isinstance(path, (str, bytes)) and \
            os.path.realpath(os.fsdecode(path)).startswith(roots)

    def refuse(what: str):
        raise Refused(f"{what} is closed to the notebook: the grader grades only code it has "
                      "read in the notebook")

    def native(path) -> bool:
        """A library file the notebook could not have written: installed, or the system's."""
        if not isinstance(path, (str, bytes)):
            return True  # ctypes.CDLL(None): the process itself
        path = os.fsdecode(path)
        if "/" not in path:
            return True  # found by the loader in the system's folders
        real = os.path.realpath(path)
        return real.startswith(roots) or real.startswith(("/usr/", "/lib/", "/lib64/"))

    def guard(event, args):
        if getattr(local, "busy", False):
            return
        if event in _STARTS_PROCESSES or event in _SIGNALS_OTHERS:
            if graded[0] and (event in _STARTS_PROCESSES or _signals_another(event, args)):
                raise Refused("starting a process (or waking one the runner stopped) while "
                              "a function the contract restricts is graded is closed to the "
                              "notebook: the grader must see every operation the function "
                              "runs")
            return
        if event in ("sys.setprofile", "sys.settrace"):
            # a hook is handed every frame that runs, the runner's too, whose locals hold
            # the channel (the twelfth red team's trace hook served it itself: a blank
            # notebook, 34/34); the runner's own watches are profile hooks: only it sets one
            if kind(sys._getframe(1).f_code) != "runner":
                raise Refused("setting a profile or trace hook is closed to the notebook: "
                              "a hook is handed every frame that runs, the grader's too")
            return
        if event not in _WATCHED_EVENTS and not event.startswith("ctypes."):
            return
        local.busy = True
        try:
            if event == "import":
                planted = next((p for p in sys.path if not installed(p)), None)
                if planted is not None:
                    refuse(f"importing while sys.path holds a folder that is not installed "
                           f"({planted!s:.80})")
                if len(args) > 1 and args[1] is not None and not installed(args[1]) \
                        and not _autograph(sys._getframe(1)):
                    refuse(f"loading a module from a file that is not installed "
                           f"({args[1]!s:.80})")
                return
            if event == "ctypes.dlopen" and args and not native(args[0]):
                refuse(f"loading native code from a file that is not installed "
                       f"({args[0]!s:.80})")
            frame, own = caller(frames=event in _HANDS_OUT_FRAMES)
            if event in _LISTS_EVERYTHING:
                if frame is None or kind(frame.f_code) != "runner":
                    refuse({"sys._current_frames": "every thread's frames"}.get(
                        event, f"`{event}`"))
                return
            if event in _HANDS_OUT_FRAMES and not own and frame is not None \
                    and not _renders_text(frame):
                target = _frame_of(event, args)
                if target is not None and under_the_notebook(frame, target):
                    refuse("a frame of the grader's side, under the notebook's")
                # the notebook's own frame, from a traceback or a generator, read for it by
                # a library that is no renderer of tracebacks (the ninth red team had
                # functools.update_wrapper read tb_frame, then walked f_back, which raises
                # no event, to the runner's frames)
                held = _held_frame(event, args)
                if held is not None and (held.f_globals is namespace or _executes_cells(
                        held, kind)) \
                        and kind(frame.f_code) != "runner" and not \
                        _renders_text(frame) and not any(
                        f"/{part}" in frame.f_code.co_filename.replace(os.sep, "/")
                        for part in _TRACEBACK_READERS):
                    refuse("a frame of the notebook's or of the code running its cells, "
                           "handed out by a library,")
            if event == "pickle.find_class":
                allowed = _UNPICKLES.get(str(args[0]).split(".")[0] if str(args[0])
                                         .startswith("numpy") else str(args[0]), False)
                if allowed is False or (allowed is not None and args[1] not in allowed):
                    refuse(f"unpickling {args[0]}.{args[1]}")
            elif own:
                if event == "object.__getattr__" and args[1] not in _FRAME_ATTRIBUTES:
                    return
                refuse({"sys._getframe": "a frame", "sys._current_frames": "a frame",
                        "object.__getattr__": f"`.{args[1] if len(args) > 1 else ''}`"}.get(
                            event, "ctypes" if event.startswith("ctypes.") else
                            f"`{event}`"))
            elif event in ("compile", "exec", "code.__new__", "function.__new__",
                           "marshal.loads", "marshal.load"):
                where = kind(frame.f_code) if frame is not None else "other"
                if where not in ("maker", "runner") and not _checks_syntax_only(event, frame) \
                        and not _sets_a_config_value(event, args, frame):
                    refuse(f"making code from text ({event})")
                path = frame.f_code.co_filename.replace(os.sep, "/")
                odd = _odd_dataclass_field(frame) if path.endswith("/dataclasses.py") else ""
                if odd:
                    refuse(f"a dataclass field named {odd!r:.60}, which is not a name (its "
                           "name would run as code)")
                if path in _IMPORT_SYSTEM or "importlib/_bootstrap" in path:  # an import:
                    # of an installed module only
                    source = args[1] if event == "compile" else \
                        args[0].co_filename if event == "exec" and hasattr(args[0], "co_filename") \
                        else frame.f_locals.get("bytecode_path") if event.startswith("marshal.") \
                        else None
                    if source is not None and not (
                            installed(source) or str(source).startswith("<frozen ")
                            or _autograph(frame)):
                        refuse(f"loading a module that is not installed ({source!s:.80})")
                elif event.startswith("marshal."):
                    refuse(f"making code from bytes ({event})")

        finally:
            local.busy = False

    def set_graded(value: bool) -> None:
        graded[0] = bool(value)

    # the working folder is the notebook's to write: a module planted there is not read
    sys.path[:] = [p for p in sys.path if installed(p)]
    sys.addaudithook(guard)
    return set_graded


_WATCHED_EVENTS = frozenset({"compile", "exec", "code.__new__", "function.__new__", "import",
                             "marshal.loads", "marshal.load", "pickle.find_class",
                             "sys._getframe", "sys._current_frames", "object.__getattr__",
                             "gc.get_objects", "gc.get_referrers", "gc.get_referents"})
# Calls that reach every thread's frames or every object: the runner's alone.
_LISTS_EVERYTHING = frozenset({"sys._current_frames", "gc.get_objects", "gc.get_referrers",
                               "gc.get_referents"})
# Signals that could wake a helper process the runner stopped for a restricted probe.
_SIGNALS_OTHERS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill"})


def _frame_of(event: str, args):
    """The frame an event hands out or reads: ``sys._getframe``'s result, the frame whose
    ``f_code`` is read, a traceback's ``tb_frame``."""
    import types

    if event == "sys._getframe":
        return args[0] if args and isinstance(args[0], types.FrameType) else None
    if event == "object.__getattr__" and len(args) > 1:
        if isinstance(args[0], types.FrameType) and args[1] in ("f_code", "f_back"):
            return args[0]
        if isinstance(args[0], types.TracebackType) and args[1] == "tb_frame":
            return args[0].tb_frame
    return None


def _executes_cells(frame, kind) -> bool:
    """A frame of the code that runs the notebook's cells (the runner's, IPython's): a
    traceback that went through it (``sys.last_traceback``, an ``ExecutionResult``'s
    error) leads by ``f_back``, which raises no event, to the runner's live frames, which
    hold its sealed sender. The tenth red team's formatter read one such path."""
    return kind(frame.f_code) == "runner" or "/IPython/" in frame.f_code.co_filename.replace(
        os.sep, "/")


def _checks_syntax_only(event: str, frame) -> bool:
    """``typing.ForwardRef`` compiles a string annotation (``x: "tf.Tensor"``, every
    annotation under ``from __future__ import annotations``) only to check its syntax;
    running that code (``get_type_hints``) stays refused."""
    return event == "compile" and frame is not None and frame.f_code.co_name == "__init__" \
        and frame.f_code.co_filename.replace(os.sep, "/").endswith("/typing.py")


# What ``%config Class.trait = value`` compiles to ("cfg." + the line): names, attributes,
# constants and containers of them, nothing called.
_CONFIG_OPS = frozenset({"RESUME", "NOP", "CACHE", "LOAD_NAME", "LOAD_ATTR", "LOAD_CONST",
                         "STORE_ATTR", "POP_TOP", "RETURN_VALUE", "RETURN_CONST", "BUILD_LIST",
                         "BUILD_TUPLE", "BUILD_SET", "BUILD_MAP", "BUILD_CONST_KEY_MAP",
                         "LIST_EXTEND", "SET_UPDATE", "DICT_UPDATE", "UNARY_NEGATIVE",
                         "UNARY_POSITIVE"})


def _sets_a_config_value(event: str, args, frame) -> bool:
    """IPython's ``%config`` runs its line with ``exec`` ("cfg." + line): a fairness probe's
    ``%config InlineBackend.figure_format = 'retina'`` at the top of an answer cell left
    the cell's function undefined. Let through only code that sets an attribute to values
    (the reading lets only such lines through), nothing that calls or defines."""
    if frame is None or frame.f_code.co_name != "config" or not frame.f_code.co_filename \
            .replace(os.sep, "/").endswith("IPython/core/magics/config.py"):
        return False
    if event == "compile":
        return bool(args) and isinstance(args[0], (str, bytes)) and \
            args[0].startswith("cfg." if isinstance(args[0], str) else b"cfg.")
    if event != "exec" or not args or not hasattr(args[0], "co_code"):
        return False
    import dis

    code = args[0]
    return not any(hasattr(c, "co_code") for c in code.co_consts) and all(
        i.opname in _CONFIG_OPS for i in dis.get_instructions(code))


def _held_frame(event: str, args):
    """The frame a traceback or a generator holds, when the event reads it."""
    if event == "object.__getattr__" and len(args) > 1 and \
            args[1] in ("tb_frame", "gi_frame", "cr_frame", "ag_frame"):
        try:
            return object.__getattribute__(args[0], args[1])
        except AttributeError:
            return None
    return None


# Libraries that read the frames of a traceback to render or filter it (an error's report):
# IPython's, TensorFlow's and Keras' own.
_TRACEBACK_READERS = ("IPython/core/", "tensorflow/", "keras/", "tf_keras/")


def _signals_another(event: str, args) -> bool:
    """Whether a signal goes to anything but this process itself."""
    if event == "signal.pthread_kill":
        return False  # a thread of this process
    target = args[0] if args else None
    return not (type(target) is int and target == os.getpid())


def _relayed_for_timeit(frame) -> bool:
    """The standard library's timeit, building its timer for IPython's %timeit (whose
    statement is the cell's line, read by the grader): relays that compile, no more."""
    return frame.f_code.co_filename.replace(os.sep, "/").endswith("/timeit.py") \
        and frame.f_back is not None and frame.f_back.f_code.co_filename.replace(
            os.sep, "/").endswith("IPython/core/magics/execution.py")


def _autograph(frame) -> bool:
    """Whether TensorFlow's autograph transpiler is below ``frame``: it imports the code it
    generated from a function's source from a temporary file. Its loader alone is not
    enough: a red team passed it a string (``loader.load_source``), 34/34."""
    while frame is not None:
        if frame.f_code.co_filename.replace(os.sep, "/").endswith(
                "/tensorflow/python/autograph/pyct/transpiler.py"):
            return True
        frame = frame.f_back
    return False


# Modules that hand frames to their caller (``inspect.stack``, ``tf_inspect.stack``): a
# frame event inside them is their caller's. (Not traceback: its walks stay inside it for
# format_exc(), and the reading refuses walk_tb and walk_stack by name.)
_FRAME_HELPERS = ("/inspect.py", "/tensorflow/python/util/tf_inspect.py",
                  # ``_get_caller(k)``, ``get_frame(k)``, ``extract_module_locals(k)``: a
                  # frame at a depth the caller picks (the eighth red team's was the first)
                  "/tensorflow/python/platform/tf_logging.py",
                  "/numpy/distutils/misc_util.py", "/IPython/utils/frame.py")
_HANDS_OUT_FRAMES = frozenset({"sys._getframe", "sys._current_frames", "object.__getattr__"})
# Code that reads frames under the notebook's only to render text: traceback (TensorFlow's
# warnings print the stack), and logging's caller lookup and error reports (TensorFlow's
# logger replaces the lookup: from a notebook's cell, tf_logging._get_caller walks past the
# cell into IPython's frames). Judged by the function, not the file: logging's "{"-style
# formatter reads any attribute path its format string names, and the tenth red team's
# walked `{msg.__traceback__.tb_frame.f_back...}` to the runner's seal, from logging's file.
_RENDERS_TEXT = {"/traceback.py": None,
                 "/logging/__init__.py": frozenset({"<lambda>", "currentframe", "findCaller",
                                                    "_is_internal_frame", "handleError", "_log",
                                                    "formatException"})}


def _renders_text(frame) -> bool:
    code = frame.f_code
    path = code.co_filename.replace(os.sep, "/")
    for suffix, functions in _RENDERS_TEXT.items():
        if path.endswith(suffix):
            return functions is None or code.co_name in functions
    return False


def _odd_dataclass_field(frame) -> str:
    """A field name of the class that ``dataclasses`` is making code for which is not an
    identifier ("" when all are, or when this is not dataclasses' doing): the name goes
    into the generated methods' text as is, and a red team's ran as code there."""
    import keyword

    while frame is not None:
        if frame.f_code.co_name == "_process_class" and \
                frame.f_code.co_filename.replace(os.sep, "/").endswith("/dataclasses.py"):
            cls = frame.f_locals.get("cls")
            names = getattr(cls, "__dict__", {}).get("__annotations__", {})
            for name in names if isinstance(names, dict) else ():
                if not (isinstance(name, str) and name.isidentifier()
                        and not keyword.iskeyword(name)):
                    return str(name)
            return ""
        frame = frame.f_back
    return ""


def _keep_gradient_scopes() -> None:
    """tf.gradients puts its nodes under gradients/, which is how a traced function is seen
    to compute gradients (_GRADIENT_NODE); its ``name=`` renamed them past that reading (a
    red team passed name="mine", +4). The name is dropped before any student code runs: it
    changes no value, only the nodes' names."""
    if "tensorflow" not in sys.modules:
        return
    try:
        from tensorflow.python.ops import gradients_util
    except Exception:  # noqa: BLE001 - another TensorFlow layout
        return
    helper_name = "_GradientsHelper"  # the one function every tf.gradients spelling calls
    original = getattr(gradients_util, helper_name, None)
    if original is None:
        return

    def helper(ys, xs, grad_ys=None, name="gradients", *args, **kwargs):
        return original(ys, xs, grad_ys, "gradients", *args, **kwargs)

    setattr(gradients_util, helper_name, helper)


def _close_native_loaders() -> None:
    """TensorFlow loads shared libraries without an audit event (``tf.load_op_library``,
    ``tf.load_library``, a pluggable device, a file-system plugin): the eighth red team
    loaded one it had written, whose constructor ran a string and took the channel (34/34).
    They are switched off before any student code runs; ctypes and extension modules are
    held to installed files by the guard (:func:`_keep_to_the_read_code`), and the sandbox's
    writable folders are mounted ``noexec`` where it has a mount namespace."""
    modules = [sys.modules.get(f"tensorflow.python.client.{name}")
               for name in ("pywrap_tf_session", "_pywrap_tf_session")]

    def closed(name):
        def refuse(*args, **kwargs):
            raise Refused(f"loading a native library ({name}) is closed to the notebook: the "
                          "grader grades only code it has read in the notebook")
        return refuse

    for module in modules:
        for name in ("TF_LoadLibrary", "TF_LoadPluggableDeviceLibrary",
                     "TF_RegisterFilesystemPlugin"):
            if module is not None and hasattr(module, name):
                try:
                    setattr(module, name, closed(name))
                except (AttributeError, TypeError):  # a module that takes no attributes
                    pass


def _close_signal_handlers() -> None:
    """A Python signal handler is handed the frame the signal interrupted, which may be the
    runner's own: the twelfth red team's ran a 0.3 ms timer until one landed in the runner's
    code, walked ``f_back`` (no audit event) to the sender and served the channel itself (a
    blank notebook, 34/34). Installing one is switched off before any student code runs
    (``signal.signal`` calls ``_signal.signal``, which no other module holds), and so is
    making a fresh ``_signal`` or ``_imp`` module, which would bring the original back."""
    import _imp
    import _signal

    install, create, default = _signal.signal, _imp.create_builtin, _signal.default_int_handler

    def signal(signalnum, handler):
        if callable(handler) and handler is not default:
            raise Refused("installing a Python signal handler is closed to the notebook: a "
                          "handler is handed the frame the signal interrupts, the grader's too")
        return install(signalnum, handler)

    def create_builtin(spec):
        if getattr(spec, "name", None) in ("_signal", "_imp"):
            raise Refused(f"a fresh {spec.name} module is closed to the notebook")
        return create(spec)

    _signal.signal = signal
    _imp.create_builtin = create_builtin


class _ReadingWatch:
    """Whether any code but the runner's reading ran while it read the grader's next
    request: the notebook's (its functions' globals are the namespace), or a library that
    computes (TensorFlow, scikit-learn, ...). The twelfth red team replaced
    ``protocol.receive_message`` and so saw each probe's inputs before the restrictions
    were switched on, computed the answer with the forbidden APIs and turned the request
    into a ``get`` of it (24 -> 34). Whatever the reading calls (``json``, ``os``, NumPy)
    could be replaced the same way; any of them that runs such code is seen here. A profile
    hook sees only this thread, where the request is read; the collector is held off
    meanwhile, so no finaliser of the notebook's runs by chance."""

    # the packages that compute, by their top-level name; a frame's module is read from its
    # globals, not from ``frame.f_code`` (reading that raises an audit event, and the
    # runner's audit hook would run for every call the watch sees)
    _COMPUTES = frozenset({"tensorflow", "keras", "tf_keras", "sklearn", "scipy", "torch",
                           "jax", "jaxlib"})

    # taken when the runner is imported: a notebook that reached the module's names could
    # not swap the hook or the collector's switches for its own
    def __init__(self, namespace: dict, computing: bool = True, *, _set=sys.setprofile,
                 _collecting=gc.isenabled, _disable=gc.disable):
        self.namespace, self.found = namespace, ""
        self.computing = self._COMPUTES if computing else frozenset()
        self.collecting = _collecting()
        _disable()
        _set(self._profile)

    def _profile(self, frame, event, arg):
        if self.found:
            return
        if event == "call":
            names = frame.f_globals
            module = names.get("__name__") if type(names) is dict else None
            if names is self.namespace or (self.computing and type(module) is str and
                                           module.partition(".")[0] in self.computing):
                self.found = f"`{frame.f_code.co_name}`"
        elif event == "c_call" and self.computing:
            module = getattr(arg, "__module__", None)
            if type(module) is str and module.partition(".")[0] in self.computing:
                self.found = f"`{getattr(arg, '__name__', '?')}`"

    def stop(self, *, _set=sys.setprofile, _enable=gc.enable) -> str:
        _set(None)
        if self.collecting:
            _enable()
        return self.found


def _preload(names) -> None:
    """Import what a warm start's fork server had imported (a cold start's only): a module
    that fails to import here fails the same way in the student's own cell."""
    import importlib

    for name in names if isinstance(names, list) else []:
        try:
            importlib.import_module(str(name))
        except Exception:  # noqa: BLE001 - the student's import reports it
            pass


def _tensor_kind(value) -> str:
    """"tf.Tensor" or "tf.Variable" for TensorFlow's own types, else "tensor-like"."""
    _capture_tensorflow_classes()
    if _TF_CLASSES:
        if isinstance(value, _TF_CLASSES["variable"]):
            return "tf.Variable"
        return "tf.Tensor" if isinstance(value, _TF_CLASSES["tensor"]) else "tensor-like"
    cls = type(value)
    if not (cls.__module__ or "").startswith(("tensorflow.", "keras.")):
        return "tensor-like"
    return "tf.Variable" if cls.__name__ in _VARIABLE_TYPES else "tf.Tensor"


def _to_plain(value):
    """Tensors and ndarray subclasses become plain arrays, tagged with the kind of object
    they were (protocol.Tagged); anything else is only named."""
    import numpy as np

    if callable(getattr(type(value), "numpy", None)):  # tf.Tensor, tf.Variable
        try:
            return protocol.Tagged(np.array(value.numpy()), _tensor_kind(value))
        except Exception as exc:  # noqa: BLE001
            return protocol.Unsupported(f"{type(value).__name__} whose .numpy() failed: {exc}")
    if isinstance(value, np.ndarray):  # subclasses lose their methods here
        return np.array(value).view(np.ndarray).copy()
    return protocol.Unsupported(type(value).__name__)


def _short_error(exc: BaseException, head: int = 260, tail: int = 120) -> str:
    """The exception's type and message; a long one keeps its start (the type and what
    went wrong, where TensorFlow puts it) and its end, and drops the middle (often an
    array's values). Short enough for the grader's 400-character cap."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if len(text) <= head + tail + 3:
        return text
    return text[:head] + " … " + text[-tail:]


def _sender(fd: int, seal, namespace: dict | None = None):
    """``send(header, payload=None, watched=True)``: one sealed reply
    (:func:`protocol.seal_with`). A value that cannot be encoded (too big, too deep,
    hostile) becomes an error reply, encoded before anything is written so the channel
    never carries half a message. The seal lives only in this closure, which the notebook's
    code cannot reach (frames, closures and the garbage collector are closed to it).

    With ``namespace``, a message the runner wrote itself (``watched``: an event, an error,
    a test cell's outcome; not a value of the notebook's, whose own methods may run to
    read it) is encoded under :class:`_ReadingWatch`: a notebook that replaced ``json.dumps``
    or NumPy's writer could rewrite it (a failing test cell's status, a refusal) before it
    is sealed. If the notebook's code ran, a refusal encoded beforehand goes instead."""
    refusal = _encoded({"status": "raised", "error": "RuntimeError: the notebook's code ran "
                        "while the grader wrote a message, so no answer of this process can "
                        "be trusted"})
    watch = _ReadingWatch if namespace is not None else None

    def send(header, payload=None, watched=True) -> None:
        if type(header) is bytes:
            data = header
        elif watch is not None and watched:
            writing = watch(namespace, computing=False)
            try:
                data = _encoded(header, payload)
            finally:
                if writing.stop():
                    data = refusal
        else:
            data = _encoded(header, payload)
        protocol.write_all(fd, seal(data))
    return send


def _encoded(header: dict, payload=None) -> bytes:
    """A reply as bytes, the value read to its last array here (``.numpy()``, ``__array__``,
    a sequence's items): an error reply where it cannot be."""
    try:
        return protocol.encode_message(header, payload, describe_unknown=_to_plain)
    except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError, a lying __array__
        return protocol.encode_message(
            {"status": "error", "error": f"result could not be sent: {_short_error(exc)}"})


def _run_cells(shell, cells: list[str], send, checked=frozenset()) -> None:
    """Run each cell, reporting its status and what it printed (the first
    ``output_chars`` characters: for the instructor's record, never for a score).

    Cells whose index is in ``checked`` are the instructor's test cells, put in place of the
    student's copies as nbgrader's autograde does: they run as plain Python, like
    :func:`_run_code`, and their report names the failing line."""
    import contextlib
    import io

    output_chars = 8000

    class CappedOutput(io.TextIOBase):
        """Keeps the start of what is written; counts, but drops, the rest."""

        def __init__(self):
            super().__init__()
            self.parts, self.kept, self.truncated = [], 0, False

        def writable(self):
            return True

        def write(self, text):
            text = text if isinstance(text, str) else str(text)
            room = output_chars - self.kept
            if room > 0:
                self.parts.append(text[:room])
                self.kept += min(len(text), room)
            if len(text) > room:
                self.truncated = True
            return len(text)

    for index, source in enumerate(cells):
        captured = CappedOutput()
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            if index in checked:
                outcome = _run_code(shell.user_ns, source)
            else:
                result = shell.run_cell(source, store_history=False, silent=False)
                error = result.error_before_exec or result.error_in_exec
                outcome = {"ok": error is None, "error": _short_error(error) if error else "",
                           "line": None}
                del result, error
                _forget_the_last_error(shell)
        header = {"event": "cell", "index": index,
                  "status": "ok" if outcome["ok"] else "error"}
        if not outcome["ok"]:
            header["error"] = outcome["error"]
            if outcome["line"] is not None:
                header["line"] = outcome["line"]
        header["output"] = "".join(captured.parts)[:output_chars]
        if captured.truncated:
            header["truncated"] = True
        send(header)
    send({"event": "executed"})


def _forget_the_last_error(shell) -> None:
    """A cell's error as IPython keeps it (``sys.last_traceback``, the shell's last result,
    its traceback formatter's ``tb``) holds frames of the code that ran the cell, whose
    ``f_back`` leads to the runner's live frames: dropped once the runner has read it."""
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            delattr(sys, name)
    shell.last_execution_result = None
    for formatter in (getattr(shell, "InteractiveTB", None), getattr(shell, "SyntaxTB", None)):
        if formatter is not None and hasattr(formatter, "tb"):
            formatter.tb = None


class _Switched:
    """Stands in for a forbidden API while a probe runs: calling it raises."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{self.path} is switched off while this function is graded: "
                           "the assignment's contract forbids it here")


def _refuse_runner(what: str):
    raise RuntimeError(f"{what} runs a graph made before this call, out of the grader's sight, "
                       "so it is switched off while this function is graded (the "
                       "assignment's contract forbids some operations here)")


_OP_KINDS: dict = {}  # name -> (a registered op type, whose definition takes a function)


def _op_kind(name: str) -> tuple[bool, bool]:
    """Whether ``name`` is a registered op type, and whether its definition has a
    function-valued attribute (BatchFunction, the XLA and TPU launchers, whatever a later
    TensorFlow adds): such an op runs a function inside TensorFlow's kernels. A name that
    is no op type is a traced function run by its name (as call_flat runs one)."""
    if name not in _OP_KINDS:
        try:
            from tensorflow.python.framework import op_def_registry

            definition = op_def_registry.get(name)
            _OP_KINDS[name] = (definition is not None, definition is not None and any(
                attr.type in ("func", "list(func)") for attr in definition.attr))
        except Exception:  # noqa: BLE001 - no registry: the named lists below still hold
            _OP_KINDS[name] = (True, False)
    return _OP_KINDS[name]


def _runs_functions(name: str, checked=frozenset()) -> bool:
    """An op that runs a function or a data pipeline made before the call: by type, or a
    traced function run by its name that call_flat did not read during this probe
    (``checked``; a red team ran one through Context.call_function, +6)."""
    if name in _FUNCTION_RUNNERS or "Dataset" in name or "Iterator" in name:
        return True
    registered, takes_functions = _op_kind(name)
    return takes_functions if registered else name not in checked


def _refuse_op(op, ops: frozenset, runners: bool = False, checked=frozenset()) -> None:
    name = op.decode("utf-8", "replace") if isinstance(op, bytes) else str(op)
    if runners and _runs_functions(name, checked):
        raise RuntimeError(f"TensorFlow's {name} operation runs a function or data pipeline "
                           "made before this call, out of the grader's sight, so it is "
                           "switched off while this function is graded (the assignment's "
                           "contract forbids some operations here)")
    if name in ops:
        raise RuntimeError(f"TensorFlow's {name} operation (whichever API reaches it) is "
                           "switched off while this function is graded: the assignment's "
                           "contract forbids it here")


def _function_nodes(definition, seen: set):
    """Nodes of a traced function and of the functions it calls, from their FunctionDefs."""
    from tensorflow.python.eager import context

    for node in definition.node_def:
        yield node
        called = [v.func.name for v in node.attr.values() if v.func.name]
        called += [f.name for v in node.attr.values() for f in v.list.func]  # Case branches
        for name in [node.op] + called:
            if name in seen:
                continue
            seen.add(name)
            try:
                called = context.context().get_function_def(name)
            except Exception:  # noqa: BLE001 - an ordinary op, not a function
                continue
            yield from _function_nodes(called, seen)


# Where a traced function holds a gradient: a tape names its nodes gradient_tape/...,
# tf.gradients gradients/<op>_grad/... and gradients/grad_ys_<n>.
_GRADIENT_NODE = re.compile(r"(^|/)gradient_tape/|(^|/)gradients(_\d+)?/(.+_grad/|grad_ys_)")
# Ops that run functions inside TensorFlow's kernels (see _switch_off_ops); every op whose
# type names a dataset or an iterator runs a pipeline (_runs_functions).
_FUNCTION_RUNNERS = frozenset({
    "If", "StatelessIf", "While", "StatelessWhile", "Case", "StatelessCase", "For",
    "PartitionedCall", "StatefulPartitionedCall", "RemoteCall", "SymbolicGradient",
    "MapDefun"})


def _switch_off_ops(rules: list, saved: list) -> None:
    """Refuse TensorFlow ops by type (``"op:Softmax"``) and gradient tapes (``"tape"``) at
    the few entry points every spelling goes through: eager ops (the fast path and the
    slow one), ops added to a graph being traced, traced functions being run, and a new
    tape. No alias, ``tf.raw_ops``, ``tf.compat`` or internal module gets past them."""
    ops = frozenset(rule[3:] for rule in rules if rule.startswith("op:"))
    tape = "tape" in rules
    if not (ops or tape):
        return
    # ops that run a function traced before the probe began (a tf.data pipeline's map, a
    # raw If or PartitionedCall): its ops never pass the entry points below, so while a
    # rule holds these do not run eagerly (a red team's softmax drew on a tf.data map of
    # tf.nn.softmax, +9 points); tf.function calls are read through call_flat instead
    try:
        import tensorflow  # noqa: F401 - loads the modules hooked below
        from tensorflow.python import pywrap_tfe
        from tensorflow.python.eager import execute
        from tensorflow.python.eager.polymorphic_function import atomic_function
        from tensorflow.python.framework import op_def_library
    except Exception:  # noqa: BLE001 - no TensorFlow here: nothing can reach its ops
        return

    def hook(owner, attr, make):
        original = getattr(owner, attr, None)
        if original is None:
            return
        saved.append((setattr, owner, attr, original))
        setattr(owner, attr, make(original))

    checked = set()  # traced functions read by call_flat during this probe, by name
    hook(pywrap_tfe, "TFE_Py_FastPathExecute", lambda f: lambda ctx, op, *a, **k: (
        _refuse_op(op, ops, True, checked), f(ctx, op, *a, **k))[1])
    for attr in ("quick_execute", "execute"):
        hook(execute, attr, lambda f: lambda op, *a, **k: (
            _refuse_op(op, ops, True, checked), f(op, *a, **k))[1])
    # graphs built before the call, run by a session or by TensorFlow Lite, pass none of
    # the entry points above (a red team ran tf.nn.softmax so, +3 each)
    refuse_whole = lambda what: lambda f: lambda *a, **k: _refuse_runner(what)  # noqa: E731
    try:
        from tensorflow.python.client import pywrap_tf_session, session
        for attr in ("TF_SessionRun_wrapper", "TF_SessionPRun_wrapper",
                     "TF_SessionRunCallable", "TF_SessionMakeCallable"):
            hook(pywrap_tf_session, attr, refuse_whole("a session"))
        for attr in ("run", "partial_run", "make_callable"):
            hook(session.BaseSession, attr, refuse_whole("a session"))
    except Exception:  # noqa: BLE001 - no graph sessions in this TensorFlow
        pass
    lite = sys.modules.get("tensorflow.lite.python.interpreter")
    if lite is not None:
        hook(lite.Interpreter, "invoke", refuse_whole("TensorFlow Lite"))
        wrapper = sys.modules.get("tensorflow.lite.python.interpreter_wrapper."
                                  "_pywrap_tensorflow_interpreter_wrapper")
        if wrapper is not None:
            try:
                hook(wrapper.InterpreterWrapper, "Invoke", refuse_whole("TensorFlow Lite"))
            except Exception:  # noqa: BLE001 - a compiled class that takes no attributes
                pass
    if ops:
        hook(op_def_library, "_apply_op_helper", lambda f: lambda op, *a, **k: (
            _refuse_op(op, ops), f(op, *a, **k))[1])

    def run_checked(f):
        def call_flat(self, *args, **kwargs):
            for node in _function_nodes(self.definition, set()):
                _refuse_op(node.op, ops)
                if tape and (node.op == "SymbolicGradient"
                             or _GRADIENT_NODE.search(node.name)):
                    raise RuntimeError("this traced function computes gradients (a tape "
                                       "or tf.gradients), which the assignment's contract "
                                       "forbids here")
            checked.add(self.name.decode() if isinstance(self.name, bytes) else str(self.name))
            return f(self, *args, **kwargs)
        return call_flat
    hook(atomic_function.AtomicFunction, "call_flat", run_checked)
    if tape:
        def no_tape(f):
            def refuse(*args, **kwargs):
                raise RuntimeError("gradient tapes (tf.GradientTape, whichever way it is "
                                   "reached) are switched off while this function is "
                                   "graded: the assignment's contract forbids them here")
            return refuse
        # a new tape, and the gradient of any tape, opened before the probe too (a red
        # team kept one recording from the notebook's top level, +4); forward-mode too
        for attr in ("TFE_Py_TapeSetNew", "TFE_Py_TapeGradient",
                     "TFE_Py_ForwardAccumulatorNew", "TFE_Py_ForwardAccumulatorJVP",
                     "TFE_Py_PackJVPs"):
            hook(pywrap_tfe, attr, no_tape)


def _switch_off(paths, namespace: dict | None = None) -> list:
    """Replace each dotted API ("tf.nn.softmax") by a :class:`_Switched`; returns what to
    restore. Paths that do not resolve (another TensorFlow version) are skipped. The
    notebook's own top-level names that hold the same function (``s = tf.nn.softmax``,
    ``from tensorflow.nn import softmax as s``, a ``functools.partial`` of it) are switched
    too: they kept the function itself, not the path."""
    import functools

    saved, originals = [], []
    paths = [str(p) for p in paths] if isinstance(paths, list) else []
    if any(_LibraryWatch._package(p) for p in paths if not p.startswith(("op:", "tf.", "np."))):
        # Python that TensorFlow runs on its own threads, where the library watch's profile
        # hook is not set (tf.py_function, tf.numpy_function)
        paths += ["op:EagerPyFunc", "op:PyFunc", "op:PyFuncStateless"]
    _switch_off_ops(paths, saved)
    roots = {"tf": "tensorflow", "np": "numpy"}
    apis = [p for p in paths if not (p.startswith("op:") or p == "tape")]
    # (no ``set(sys.modules)``: a set of ~5,000 names built for every probe, restricted or not)
    unloaded = {root for root in (roots.get(p.split(".")[0], p.split(".")[0]) for p in apis)
                if root not in sys.modules and root not in _OWN_FAMILY}
    finder = _RefusedImports(unloaded)
    for path in apis:
        parts = path.split(".")
        if _LibraryWatch._package(path):
            # a whole package (sklearn.linear_model): its code is watched as it runs;
            # reaching it as an attribute would import it (a lazy package's __getattr__)
            continue
        owner = sys.modules.get(roots.get(parts[0], parts[0]))
        try:
            for part in parts[1:-1]:
                lazy = _lazy_submodule(owner, part)
                if lazy:  # not loaded: refused while the probe runs, as a whole library is
                    finder.add(lazy)
                    owner = None
                    break
                owner = getattr(owner, part)
            if owner is None or not hasattr(owner, parts[-1]):
                continue
            original = getattr(owner, parts[-1])
            saved.append((setattr, owner, parts[-1], original))
            originals.append((original, path))
            setattr(owner, parts[-1], _Switched(path))
            _switch_off_code(original, path, saved)
        except Exception:  # noqa: BLE001 - a lazy module that fails to load: nothing to switch
            continue
    if finder.roots:  # a library the notebook never loaded cannot be loaded by this call
        sys.meta_path.insert(0, finder)
        saved.append((lambda _o, _k, f: sys.meta_path.remove(f), None, None, finder))
    for name, value in list((namespace or {}).items()):
        held = value.func if isinstance(value, functools.partial) else value
        for original, path in originals:
            if held is original:
                saved.append((dict.__setitem__, namespace, name, value))
                namespace[name] = _Switched(path)
                break
    return saved


# TensorFlow loads these lazily on its own (tf.keras); their ops are refused by type instead
_OWN_FAMILY = frozenset({"tensorflow", "keras", "tf_keras", "numpy"})


def _lazy_submodule(owner, part: str) -> str:
    """The dotted name of ``owner.part`` when it is a submodule that is not loaded yet and
    that reading the attribute would import (a package's module ``__getattr__``, PEP 562:
    scikit-learn's): "" otherwise. Importing ``sklearn.neural_network`` to switch off its
    softmax cost every student process ~50 ms and 46 modules (py-spy, 2026-12-04); not
    loaded, it is refused instead (:class:`_RefusedImports`)."""
    if not isinstance(owner, types.ModuleType):
        return ""
    names = owner.__dict__
    owner_name = names.get("__name__")
    if part in names or type(owner_name) is not str or "__getattr__" not in names \
            or "__path__" not in names:
        return ""
    dotted = f"{owner_name}.{part}"
    return "" if dotted in sys.modules else dotted


class _RefusedImports:
    """Refuses, while a probe runs, to load a library (or a library's module) whose API the
    probe forbids and that the notebook had not loaded (a function could otherwise import it
    and be switched off by nothing)."""

    def __init__(self, roots):
        self.roots = set(roots)

    def add(self, dotted: str) -> None:
        self.roots.add(dotted)

    def find_spec(self, name, path=None, target=None):
        if any(name == root or name.startswith(root + ".") for root in self.roots):
            raise ImportError(f"{name} cannot be loaded while this function is graded: the "
                              "assignment's contract forbids its API here")
        return None


_SWITCHED_MESSAGE = "<API> is switched off while this function is graded"


def _refusing_codes(most: int = 24) -> list:
    """Code objects that raise, one per number of closure cells (a function's code can only
    be swapped for code with as many), compiled before any student code runs."""
    codes = []
    for count in range(most + 1):
        names = [f"_cell{i}" for i in range(count)]
        lines = ["def _outer():"] + [f"    {name} = None" for name in names]
        lines += ["    def _refused(*args, **kwargs):"]
        lines += [f"        {', '.join(names)}"] if names else []
        lines += [f"        raise RuntimeError({_SWITCHED_MESSAGE!r})", "    return _refused"]
        scope: dict = {}
        exec(compile("\n".join(lines), "<switched off>", "exec"), scope)  # noqa: S102
        codes.append(scope["_outer"]().__code__)
    return codes


_REFUSING_CODES = _refusing_codes()


def _switch_off_code(original, path: str, saved: list) -> None:
    """A Python function is also switched off by its code, so every reference to it refuses:
    one bound as a default argument, kept in a partial or a container, or reached by
    another module path (a red team called scipy's softmax these ways, +3 each)."""
    import types

    if not isinstance(original, types.FunctionType) or \
            str(getattr(original, "__module__", "")).startswith(("tensorflow", "keras")):
        return  # TensorFlow's own APIs are refused by op type (_switch_off_ops), which
        # spares the library's internal callers of a decorator such as tf.custom_gradient
    count = len(original.__code__.co_freevars)
    if count >= len(_REFUSING_CODES):
        return
    message = (f"{path} is switched off while this function is graded: the assignment's "
               "contract forbids it here")
    template = _REFUSING_CODES[count]
    code = template.replace(co_consts=tuple(message if c == _SWITCHED_MESSAGE else c
                                            for c in template.co_consts))
    saved.append((setattr, original, "__code__", original.__code__))
    original.__code__ = code


def _restore(saved: list) -> None:
    for put, owner, key, original in reversed(saved):
        try:
            put(owner, key, original)
        except Exception:  # noqa: BLE001
            pass


# Where an instructor's test cell turns hidden (nbgrader's marker; the grader keeps it, as a
# comment, in the source it sends).
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


def _run_code(namespace: dict, source) -> dict:
    """Run grader-supplied code (an instructor's test cell) in the notebook's namespace.

    The hidden part runs in a copy of that namespace, so what it defines (a reference
    function, the values it compares with) never becomes a name the notebook's code can
    use: a red-team ``mlp_forward`` that called the hidden ``_ref_forward`` once it existed
    got the check's points. The visible part's names stay, as when the student runs it.
    Reports whether it raised and on which line of ``source``; the grader only ever
    lowers a score on what this says."""
    if not isinstance(source, str):
        return {"ok": False, "error": "no code", "line": None}
    lines = source.split("\n")
    cut = next((i for i, line in enumerate(lines) if line.strip() == HIDDEN_BEGIN), len(lines))
    numpy = sys.modules.get("numpy")
    # NumPy's default error handling, whatever the notebook set: np.seterr(all="raise")
    # made an underflow inside the instructor's np.allclose fail two test cells (7 points)
    errors = numpy.errstate(divide="warn", over="warn", under="ignore", invalid="warn") \
        if numpy is not None else contextlib.nullcontext()
    try:
        with errors:
            return _run_test_code(namespace, source, lines, cut)
    except BaseException as exc:  # noqa: BLE001 - SystemExit too
        line, tb = None, exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<test-cell>":
                line = tb.tb_lineno
            tb = tb.tb_next
        return {"ok": False, "error": _short_error(exc), "line": line}


def _run_test_code(namespace: dict, source: str, lines: list, cut: int) -> dict:
    try:  # the hidden part after as many empty lines, so its line numbers stay
        visible = compile("\n".join(lines[:cut]), "<test-cell>", "exec")
        hidden = compile("\n" * cut + "\n".join(lines[cut:]), "<test-cell>", "exec") \
            if cut < len(lines) else None
    except SyntaxError:  # hidden asserts inside a block: the whole cell runs apart
        visible, hidden = None, compile(source, "<test-cell>", "exec")
    if visible is not None:
        exec(visible, namespace)  # noqa: S102
    if hidden is not None:
        exec(hidden, dict(namespace))  # noqa: S102
    return {"ok": True, "error": "", "line": None}


def _answer(namespace: dict, header: dict, payload,
            set_graded=lambda graded: None) -> tuple[dict | bytes, object]:
    """The reply to one request: ``(header, value)``, or a call's reply already encoded
    (``(bytes, None)``), which ``send`` passes on as it is."""
    op, name = header.get("op"), header.get("name")
    if op == "exec":
        return {"status": "ok"}, _run_code(namespace, payload)
    if op not in ("get", "call"):
        return {"status": "error", "error": f"unknown op {op!r}"}, None
    if not isinstance(name, str) or name not in namespace:
        return {"status": "missing"}, None
    target = namespace[name]
    if op == "get":
        return {"status": "ok"}, target
    if not callable(target):
        return {"status": "not_callable", "type": type(target).__name__}, None
    args, kwargs = payload if payload is not None else ([], {})
    forbid = header.get("forbid")
    if forbid:
        busy = _other_threads()
        if busy:
            return {"status": "raised", "error": (
                f"RuntimeError: a thread the notebook started is running TensorFlow ({busy}), "
                "so the grader cannot see which operations this function uses (the contract "
                "forbids some here): let threads finish before the notebook ends")}, None
    saved = _switch_off(forbid, namespace)
    target = namespace.get(name, target)  # ``softmax = tf.nn.softmax`` is switched off too
    stopped = _stop_the_others() if forbid else False
    watch = _LibraryWatch(forbid)
    set_graded(bool(forbid))
    try:
        # read to its last array while the restrictions hold: a value computed only when
        # read (a .numpy() or a sequence's __iter__ of the notebook's) ran forbidden ops
        # after they were restored (the eleventh red team's, 24 -> 34/34)
        reply = _encoded({"status": "ok"}, target(*args, **kwargs))
        ran = watch.stop()
        if ran:
            return {"status": "raised", "error": f"RuntimeError: {ran} ran while this "
                    "function was graded, and the contract forbids that library here"}, None
        return reply, None
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: report it, keep serving
        return {"status": "raised", "error": _short_error(exc)}, None
    finally:
        watch.stop()
        set_graded(False)
        if stopped:
            _signal_the_others(signal.SIGCONT)
        _restore(saved)


def _thread_starts() -> tuple:
    import _thread

    return tuple(getattr(_thread, name) for name in ("start_new_thread", "start_new",
                                                     "start_joinable_thread")
                 if hasattr(_thread, name))


_THREAD_STARTS = _thread_starts()


class _LibraryWatch:
    """Whether code of a library the contract forbids whole (``sklearn``: the rule names
    no function) runs while a function is probed, however it was reached: through another
    graded function, a container filled at the top level, a compiled entry point. A profile
    hook notes it and never raises (a hook that raises is unset, and a retry would pass);
    the probe's answer is then refused. Other threads are stopped during such a probe."""

    def __init__(self, forbid):
        import threading

        packages = [p for p in forbid if isinstance(p, str) and not p.startswith(("op:", "tf.",
                                                                                   "np."))
                    and p != "tape" and self._package(p)] if isinstance(forbid, list) else []
        self.folders = tuple(place for p in packages for place in self._package(p))
        self.modules = tuple(p + "." for p in packages)
        self.found, self.hook = "", None
        if self.folders:
            self.hook = self._profile
            sys.setprofile(self.hook)
            threading.setprofile(self.hook)

    _places: dict = {}  # (path, the top package's file) -> _package's answer

    @staticmethod
    def _package(path: str) -> list[str]:
        """Where a forbidden package's code lies (``sklearn.linear_model``: its folder), found
        from its loaded top package without importing it; [] for a function's path. Kept
        per path and top file: each probe asks for ~25 paths, twice, and every answer took
        a ``realpath`` (a system call per folder of the path)."""
        parts = path.split(".")
        top = sys.modules.get(parts[0])
        base = getattr(top, "__file__", None) if top is not None else None
        if not base or type(base) is not str:
            return []
        known = _LibraryWatch._places.get((path, base))
        if known is None:
            known = _LibraryWatch._places[(path, base)] = _LibraryWatch._find_package(
                parts, base)
        return list(known)

    @staticmethod
    def _find_package(parts: list[str], base: str) -> tuple[str, ...]:
        places = []
        for folder in {os.path.dirname(base), os.path.realpath(os.path.dirname(base))}:
            place = os.path.join(folder, *parts[1:])
            if os.path.isdir(place):
                places.append(place + os.sep)
            elif os.path.isfile(place + ".py"):
                places.append(place + ".py")
        return tuple(places)

    def _profile(self, frame, event, arg):
        if self.found:
            return
        if event == "c_call" and arg in _THREAD_STARTS:  # a thread the hook would not follow
            self.found = "starting a thread"
            return
        if event == "call":
            # the frame's module read from its globals, not ``frame.f_code`` (each read of
            # it raises an audit event, and the runner's audit hook then walks the stack:
            # ~10 ms of every restricted probe); code of a library module runs with that
            # module's globals, whose file says where it was loaded from under any name (a
            # function remade on other globals, or code run in a module's namespace, is
            # refused by the reading and the audit hook)
            names = frame.f_globals
            module, file = (names.get("__name__"), names.get("__file__")) \
                if type(names) is dict else (None, None)
            if (type(module) is str and (module + ".").startswith(self.modules)) or (
                    type(file) is str and file.startswith(self.folders)):
                self.found = f"{frame.f_code.co_filename.rsplit(os.sep, 1)[-1]}'s " \
                             f"`{frame.f_code.co_name}`"
        elif event == "c_call" and (str(getattr(arg, "__module__", None) or "") + ".").startswith(
                self.modules):
            self.found = f"`{arg.__module__}.{getattr(arg, '__name__', '?')}`"

    def stop(self) -> str:
        """What of a forbidden library ran ("" if nothing); the hook is taken off."""
        if self.hook is not None:
            import threading

            if sys.getprofile() is not self.hook and not self.found:
                self.found = "a change of the profile hook"
            sys.setprofile(None)
            threading.setprofile(None)
            self.hook = None
        return self.found


def _other_threads() -> str:
    """Threads of the notebook's that are inside TensorFlow right now: one of them may run
    a function started before the probe, whose ops no hook sees (a red team's thread ran a
    tf.while_loop serving tf.nn.softmax through queues, +3). A thread that waits, sleeps or
    runs plain Python is left alone: any op it starts later meets the hooks."""
    import threading

    frames = sys._current_frames()
    busy = []
    for thread in threading.enumerate():
        frame = frames.get(thread.ident)
        if thread is threading.current_thread() or frame is None:
            continue
        while frame is not None:
            if f"{os.sep}tensorflow{os.sep}" in frame.f_code.co_filename:
                busy.append(thread.name)
                break
            frame = frame.f_back
    return ", ".join(busy)[:120]


def _stop_the_others() -> bool:
    """Stop every other process of the sandbox while a probe that forbids operations runs:
    a helper process started by the notebook could compute them (a red team's worker ran
    tf.nn.softmax for the probe over a pipe, +3). Only where the sandbox has a uid of its
    own (``kill(-1)`` reaches exactly its processes then; as the grader's own user it would
    reach the grader too)."""
    if not _OWN_UID or os.getuid() == 0:
        return False
    _signal_the_others(signal.SIGSTOP)
    return True


_OWN_UID = False  # the grader says so (``own_uid``): the sandbox runs as a uid of its own


def _signal_the_others(number: int) -> None:
    try:
        os.kill(-1, number)
    except OSError:  # ESRCH: no other process
        pass


# Built-ins that run code from strings or hand out a namespace to rewrite; the grader
# refuses notebooks that name them (grading.tampering), and they are not there either, so a
# name the notebook seemed to bind itself cannot turn out to be the built-in after all
_TAKEN_OUT = ("exec", "eval", "compile", "vars", "globals", "locals", "breakpoint")


# Special attributes a name computed at run time may reach (``getattr(obj, f"__{op}__")``):
# names, documentation and the operator protocol. Not: __globals__, __builtins__, __code__,
# __dict__, __subclasses__ and their like, which lead to frames, namespaces and code.
_PLAIN_SPECIALS = frozenset(f"__{n}__" for n in (
    "name qualname doc module version class len call init iter next enter exit getitem "
    "setitem contains repr str format eq ne lt le gt ge hash bool add sub mul truediv "
    "floordiv mod pow matmul neg pos abs invert and or xor radd rsub rmul rtruediv "
    "rfloordiv rmod rpow rmatmul iadd isub imul itruediv array float int index file "
    "annotations").split())


# Names that lead to frames, namespaces or the interpreter's objects, whatever they are read
# from (the reading refuses them as attributes; a red team computed ``"f_" + "globals"`` on
# a frame from ``traceback.walk_stack`` to switch the refusal off, +3)
_INTROSPECTION = frozenset({
    "_getframe", "_current_frames", "_current_exceptions", "settrace", "setprofile",
    "currentframe", "walk_stack", "walk_tb",
    "get_stack", "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace",
    "tb_frame", "tb_next", "gi_frame", "cr_frame", "ag_frame", "get_objects",
    "get_referrers", "get_referents", "modules", "meta_path", "path_hooks",
    "path_importer_cache", "addaudithook", "excepthook", "displayhook", "user_ns",
    "user_global_ns", "run_cell", "ex", "ev", "run_code", "ctypes", "ctypeslib",
    "pywrap_tfe", "_pywrap_tfe", "_apply_op_helper", "quick_execute", "call_flat"})


def _checked_attribute_access():
    """``getattr``, ``setattr`` and ``delattr`` for the notebook: a special name outside
    :data:`_PLAIN_SPECIALS` raises. The reading lets ``getattr(np, name)`` through, and a
    red team computed ``"__" + "builtins__"`` there to reach ``exec``."""
    import builtins

    real_get, real_set, real_del = builtins.getattr, builtins.setattr, builtins.delattr

    def refused(name, plain=_PLAIN_SPECIALS):
        return isinstance(name, str) and (name in _INTROSPECTION or (
            name.startswith("__") and name.endswith("__") and name not in plain))

    def getattr(obj, name, *default):  # noqa: A001 - the notebook's getattr
        if refused(name):
            raise AttributeError(f"{name} is not available to the notebook")
        return real_get(obj, name, *default)

    def setattr(obj, name, value):  # noqa: A001
        if refused(name, frozenset()):
            raise AttributeError(f"{name} cannot be set by the notebook")
        return real_set(obj, name, value)

    def delattr(obj, name):  # noqa: A001
        if refused(name, frozenset()):
            raise AttributeError(f"{name} cannot be deleted by the notebook")
        return real_del(obj, name)

    return {"getattr": getattr, "setattr": setattr, "delattr": delattr}


def _take_out_builtins(shell) -> None:
    """The notebook's namespace gets built-ins without :data:`_TAKEN_OUT` (libraries keep
    theirs: each module reads its own), with ``getattr`` and its kin checked. IPython adds
    ``get_ipython`` while a cell runs; the copy has it all the time, as magics need it."""
    import builtins

    own = {k: v for k, v in vars(builtins).items() if k not in _TAKEN_OUT}
    own.update(_checked_attribute_access())
    own["get_ipython"] = shell.get_ipython
    shell.user_ns["__builtins__"] = own


def make_shell():
    """The process's IPython shell (a singleton: made once, then returned again).

    The fork server makes it before it forks (about 45 ms a student process otherwise), so
    it must hold nothing shared: no SQLite history (a file the server opened would be one
    inode for every student forked from it, a channel between them), which grading never
    kept anyway (cells run with ``store_history=False``). Cold starts make the same one."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if InteractiveShell.initialized():
        return InteractiveShell.instance()
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config, colors="nocolor")
    shell.made_in_pid = os.getpid()  # which process made it: the fork server's, when warm
    # A notebook's habits must run as in Jupyter's kernel: the base shell runs ``!cmd``
    # through a pseudo-terminal (the sandbox has none: "out of pty devices") and has no
    # GUI event loop for ``%matplotlib inline`` to hook into (NotImplementedError).
    shell.system = shell.system_raw
    shell.enable_gui = lambda gui=None: None
    # A failing cell's traceback goes only into the instructor's record. IPython's default
    # ("Context", drawn with stack_data) cost ~12 ms a failing cell: 0.23 s of a blank
    # notebook's 0.41 s of cells. The plain one still names each frame's file, line and code.
    shell.InteractiveTB.set_mode(mode="Plain")
    # A one-line cell that is not Python would otherwise still run: as a magic without its
    # % (automagic: ``time <code>``), as a call (autocall), or as a Macro's or IPyAutocall
    # object's code (the prefilter). The grader reads cells as Python and %-magics only, so
    # here a cell runs as exactly that (``!cmd`` and ``%magic`` are transformed before).
    shell.automagic = False
    shell.autocall = 0
    shell.prefilter_manager.prefilter_lines = lambda lines, continue_prompt=False: lines
    _close_the_shells_code_doors(shell)
    return shell


# Magics that run or write code the grader never read (or change how later cells run); the
# grader refuses notebooks that use them (grading.tampering), and here they do not exist.
_REMOVED_MAGICS = ("run", "load", "loadpy", "writefile", "file", "macro", "recall", "rerun",
                   "store", "edit", "ed", "paste", "cpaste", "code_wrap", "alias_magic",
                   "reset", "reset_selective", "aimport", "autocall", "automagic", "save")
# Methods of the shell that run code from a string, and which of IPython's own files may
# call them: the cell loop (interactiveshell.py) and %%capture (magics/execution.py).
_SHELL_RUNNERS = ("run_cell", "run_cell_async", "run_ast_nodes", "run_code")
_SHELL_NEVER = ("ex", "ev", "safe_execfile", "safe_execfile_ipy", "safe_run_module")


def _close_the_shells_code_doors(shell) -> None:
    """A notebook that gets hold of the shell object (``from IPython import get_ipython as
    g``, ``InteractiveShell.instance()``) could run code the grader never read through it:
    ``.ex(s)``, ``.run_cell(s)``, ``%run``, or ``{expr}`` in a ``!`` or ``%`` line, which
    IPython evaluates (a red team ran a whole file each way). The reading refuses those
    spellings; here they do not work either. The runner's own cell loop and IPython's
    (``%%capture``'s body, which the grader reads) still run cells."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.magics import execution

    magics = shell.magics_manager
    if hasattr(magics, "load_all_lazy_magics"):  # IPython 9 loads magics lazily (~25 ms):
        magics.load_all_lazy_magics()  # loading one would register its siblings again
    for name in _REMOVED_MAGICS:
        for kind in ("line", "cell"):
            magics.magics[kind].pop(name, None)
        getattr(magics, "lazy_magics", {}).pop(name, None)
    shell.var_expand = lambda cmd, depth=0, formatter=None: cmd  # ``!ls {x}`` stays literal
    allowed = frozenset((_run_cells.__code__.co_filename,
                         InteractiveShell.run_cell.__code__.co_filename, execution.__file__))

    def guarded(name, method):
        def call(*args, **kwargs):
            if sys._getframe(1).f_code.co_filename not in allowed:
                raise RuntimeError(f"the shell's {name}() is not available to the notebook")
            return method(*args, **kwargs)
        return call

    def never(name):
        def call(*args, **kwargs):
            raise RuntimeError(f"the shell's {name}() is not available to the notebook")
        return call

    for name in _SHELL_RUNNERS:
        setattr(shell, name, guarded(name, getattr(shell, name)))
    for name in _SHELL_NEVER:
        setattr(shell, name, never(name))


def _bound_copy() -> dict:
    """The runner's functions bound to a copy of its module's namespace, taken before any
    student code runs. The ninth red team reached the module's namespace from a function
    the notebook can touch (a shell hook, a switched-off API's class) and replaced
    ``_answer``, ``_run_code``, ``_switch_off`` and ``_refuse_op``, which the runner looked
    up at each call: a blank notebook scored 34/34. The runner's entry points run from this
    copy, so the module's own namespace steers nothing."""
    import types

    def rebound(own: dict) -> dict:
        copy = dict(own)
        for name, value in own.items():
            if isinstance(value, types.FunctionType) and value.__globals__ is own:
                bound = types.FunctionType(value.__code__, copy, value.__name__,
                                           value.__defaults__, value.__closure__)
                bound.__kwdefaults__ = value.__kwdefaults__
                copy[name] = bound
        return copy

    copy = rebound(globals())
    # the protocol module too: the twelfth red team replaced ``receive_message`` on it
    # (reached as ``sys.modules["protocol"]``), which the request loop looked up each time
    copy["protocol"] = types.SimpleNamespace(**rebound(vars(protocol)))
    return copy


def main(argv: list[str]) -> int:
    request_fd, reply_fd = int(argv[1]), int(argv[2])
    # the cells come from the grader, which checked the notebook's size already
    header, cells = protocol.receive_message(request_fd,
                                             max_header_bytes=protocol.MAX_CELLS_BYTES)
    key = header.pop("seal", None)  # read before any student code runs; kept in a closure
    if header.get("op") != "execute" or not isinstance(cells, list) \
            or not isinstance(key, str) or len(key) != 2 * protocol.SEAL_BYTES:
        return 2
    seal = protocol.seal_with(bytes.fromhex(key))
    send = _sender(reply_fd, seal)
    request_key = bytes.fromhex(key)  # opens the later requests (protocol.request_opener)
    del key
    shell = make_shell()
    _preload(header.get("preload"))
    _capture_tensorflow_classes()
    _keep_gradient_scopes()
    _close_native_loaders()
    _close_signal_handlers()
    _keep_memory_closed()
    set_graded = _keep_to_the_read_code(shell.user_ns)
    # before any student code: from here on, a death is the notebook's doing, not the sandbox's
    send({"event": "started"})
    global _OWN_UID
    _OWN_UID = header.get("own_uid") is True
    checked = header.get("checked")
    checked = frozenset(i for i in checked if type(i) is int) if isinstance(checked, list) \
        else frozenset()
    _take_out_builtins(shell)
    bound = _bound_copy()  # the module's namespace as it is now, last thing before the cells
    run_cells, answer, channel = bound["_run_cells"], bound["_answer"], bound["protocol"]
    watch = bound["_ReadingWatch"]
    # sends from the copy, under watch: the module's send looked its helpers up at each call
    send = bound["_sender"](reply_fd, seal, shell.user_ns)
    receive = channel.request_opener(request_key)
    del bound, seal, request_key
    run_cells(shell, [str(c) for c in cells], send, checked)
    tampered = ""
    while True:
        reading = watch(shell.user_ns)
        try:
            header, payload = receive(request_fd)
        except channel.ChannelClosed:
            return 0
        finally:
            tampered = tampered or reading.stop()
        if header.get("op") == "bye":
            return 0
        if tampered:  # from then on: what it read may have been seen, or rewritten
            send({"status": "raised", "error": f"RuntimeError: the notebook's code "
                  f"({tampered}) ran while the grader read its request, so no answer of "
                  "this process can be trusted"})
            continue
        name = header.get("name")
        # a get of the grader's own probe arrays (``_g<12 hex>_X``: a call's inputs, read
        # back to see whether it changed them) holds no object of the notebook's: watched
        probe_array = type(name) is str and len(name) == 16 and name[:2] == "_g" \
            and name[14] == "_" and all(c in "0123456789abcdef" for c in name[2:14])
        send(*answer(shell.user_ns, header, payload, set_graded),
             watched=header.get("op") != "get" or probe_array)


if __name__ == "__main__":
    os._exit(main(sys.argv))
