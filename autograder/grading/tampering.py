"""Code that could reach into the grader's side of the student's process, found by reading
the notebook (in the grader's process, never running it).

Inside the sandbox, the grader's probe code runs in the same Python process as the
student's: it switches forbidden TensorFlow operations off during a call, tells a tensor
from a look-alike, and checks that inputs are left untouched. Python cannot protect one
part of a process from another, so code that walks the interpreter's frames, reads
``sys.modules``, rewrites library modules or runs code built from strings could undo those
checks (a red team did: +10 points from a notebook that switched the refusal off). Such
code is never needed for the course's exercises, so the contract forbids it and the grader
refuses to run a notebook that contains it; every check then scores 0 with a message that
names the line. See docs/threat-model.md ("Reaching into the grader").

The rule is narrow on purpose: ``getattr(tf, dtype)``, ``os.environ[...] = ...``,
``!nvidia-smi``, ``%matplotlib inline``, ``from tensorflow.python.client import device_lib``
and ``setattr(self, name, value)`` are ordinary and allowed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from .api_lint import import_aliases, ipython_transform, parse_cell, resolve

# Modules that hand out frames, objects or code by other routes than the names below.
MODULES = ("inspect", "ctypes", "_ctypes", "cffi", "importlib", "builtins", "__builtin__",
           "__main__", "runpy", "marshal", "code", "codeop", "imp", "pkgutil", "zipimport",
           "site", "copyreg", "pydoc", "unittest.mock", "mock", "traitlets", "ipykernel",
           "IPython.core", "IPython.terminal", "IPython.utils", "doctest", "pdb", "bdb",
           "trace", "cProfile", "profile", "numpy.ctypeslib", "IPython.lib", "IPython.testing",
           "IPython.extensions", "IPython.kernel", "IPython.external", "IPython.sphinxext",
           # libraries that evaluate code written in strings (templates, annotations,
           # expressions, logging configurations that name factories)
           "jinja2", "mako", "sympy", "numexpr", "logging.config",
           "tensorflow.python.eager", "tensorflow.python.framework.op_def_library",
           "tensorflow.python.pywrap_tfe", "tensorflow.python._pywrap_tfe",
           # the sandbox's own runner, beside the student's code
           "runner", "protocol", "launcher", "forkserver",
           # starts a process with no audit event (the runner refuses the others while a
           # probe whose contract forbids APIs runs)
           "_posixsubprocess",
           # a string run by autograph's loader, frames handed out by TensorFlow's inspect,
           # and the source cache autograph and inspect read a function's code from
           "tensorflow.python.autograph", "tensorflow.python.util.tf_inspect", "linecache",
           # frames and their locals handed out (the eighth red team's: tf_logging's
           # _get_caller, pure_eval's Evaluator.from_frame), and native libraries loaded
           "tensorflow.python.platform.tf_logging", "pure_eval", "stack_data", "executing",
           "tblib", "_pytest", "debugpy", "numpy.distutils",
           "tensorflow.python.framework.load_library",
           "tensorflow.python.client.pywrap_tf_session")
# ... except these parts, which old tutorials use and which hand out nothing of the kind
_HARMLESS_MODULES = ("IPython.core.display", "IPython.core.interactiveshell",
                     "IPython.lib.display")
# Loading a pickle runs whatever functions it names (the real built-ins among them).
UNPICKLERS = frozenset({"pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load",
                        "_pickle.loads", "dill.load", "dill.loads", "cloudpickle.load",
                        "cloudpickle.loads", "joblib.load", "shelve.open"})
# Attributes that reach frames, namespaces, code objects, wrapped originals, raw memory or
# any attribute by a string, whatever object they are read from.
ATTRIBUTES = frozenset({
    # modules the rule refuses, reached as another module's attribute (dataclasses.inspect)
    "inspect", "linecache", "tf_inspect",
    "_getframe", "_current_frames", "_current_exceptions", "settrace", "setprofile",
    "currentframe", "walk_stack", "walk_tb", "get_stack", "f_back", "f_globals", "f_locals",
    "f_builtins", "f_code", "f_trace", "tb_frame", "gi_frame", "cr_frame", "ag_frame",
    "__traceback__", "__globals__", "__code__", "__closure__", "__builtins__",
    "__subclasses__", "__bases__", "__mro__", "__base__", "__getattribute__", "__setattr__",
    "__delattr__", "__dict__", "__import__", "__loader__", "__spec__", "__wrapped__",
    "__defaults__", "__kwdefaults__", "__self__", "__func__", "meta_path", "path_hooks",
    "path_importer_cache", "addaudithook", "excepthook", "displayhook", "get_objects",
    "get_referrers", "get_referents", "pywrap_tfe", "_pywrap_tfe", "_apply_op_helper",
    "quick_execute", "call_flat", "get_field",
    "locate", "__array_interface__", "__array_struct__", "ctypeslib", "ctypes",
    "read_pickle", "user_ns", "user_global_ns", "run_cell", "run_ast_nodes", "safe_execfile",
    # the shell's code runners, and the way to the shell object itself
    "ex", "ev", "run_code", "run_cell_async", "safe_execfile_ipy", "safe_run_module",
    "_instance", "var_expand", "magics_manager", "input_transformers_post",
    "input_transformers_cleanup", "ast_transformers", "events",
    # code objects and functions built from them, and annotations evaluated from strings
    "CodeType", "FunctionType", "LambdaType", "CellType", "FrameType", "TracebackType",
    "get_type_hints", "ForwardRef", "_evaluate", "evaluate_forward_ref",
    # helpers that hand out a frame or its locals at a depth the caller picks (the eighth
    # red team's: rich's Console._caller_frame_info, tf_logging._get_caller, warnings'
    # _next_external_frame), and TensorFlow's loaders of native libraries
    "_caller_frame_info", "_get_caller", "_next_external_frame", "_is_internal_frame",
    "extract_module_locals", "get_local_scope", "from_frame", "tf_logging",
    "load_op_library", "load_library", "load_file_system_library",
    "load_pluggable_device_library", "register_filesystem_plugin", "TF_LoadLibrary",
    "TF_LoadPluggableDeviceLibrary", "TF_RegisterFilesystemPlugin", "memfd_create",
    # attribute copiers told which attributes to copy, and a closure's cell
    "WRAPPER_ASSIGNMENTS", "WRAPPER_UPDATES", "cell_contents", "_getattribute",
})
# ... of which these matter only on the shell object, which a method's ``self`` cannot be
# (get_ipython() may not be kept or passed): ``self.events`` of a student's training logger
# refused a whole notebook (a fairness probe, 0/34)
_SHELL_ATTRIBUTES = frozenset({
    "user_ns", "user_global_ns", "run_cell", "run_ast_nodes", "safe_execfile", "ex", "ev",
    "run_code", "run_cell_async", "safe_execfile_ipy", "safe_run_module", "var_expand",
    "magics_manager", "input_transformers_post", "input_transformers_cleanup",
    "ast_transformers", "events"})
_ATTRIBUTE_PATTERN = re.compile(r"^(?:TFE_Py|_pywrap)")
# An attribute of frames, functions or objects' insides as a string spells it: ".tb_frame"
_ATTRIBUTES_IN_TEXT = re.compile(r"\.((?:_\w+)|(?:f|tb|gi|cr|ag)_\w+|cell_contents)\b")
# Attributes read through strings: fine when called at once with literal, ordinary names
# (``attrgetter("device_type")`` reads what ``d.device_type`` does), refused otherwise
_BY_STRING = frozenset({"operator.attrgetter", "operator.methodcaller",
                        "_operator.attrgetter", "_operator.methodcaller"})
# string.Formatter().get_field reads attributes through a format string; logging's
# Formatter only formats a record
_FORMATTERS_ALLOWED = ("logging",)
# the debugger's entry point, a habit left in notebooks; its frames' attributes stay refused
_HARMLESS_NAMES = frozenset({"IPython.core.debugger.set_trace"})
# Built-in functions that run code from strings or hand out a namespace to rewrite.
BUILTINS = frozenset({"exec", "eval", "compile", "__import__", "globals", "vars", "locals",
                      "breakpoint"})
# IPython magics that run or write code the grader cannot read, or change the shell.
# (%config runs its line as Python: only ``%config Class.trait = <literal>`` is let through;
# %load_ext only for autoreload, a habit of many notebooks)
# %code_wrap installs a transformer of every later cell's code, %autocall and %automagic make
# lines that are not Python run as calls and magics, %aimport imports a module by its name.
MAGICS = frozenset({"run", "load", "loadpy", "writefile", "file", "macro", "recall", "rerun",
                    "store", "load_ext", "reload_ext", "debug", "alias_magic", "edit",
                    "ed", "paste", "cpaste", "config", "reset", "reset_selective", "code_wrap",
                    "autocall", "automagic", "aimport"})
_HARMLESS_EXTENSIONS = frozenset({"autoreload"})
# What get_ipython() may be asked for: the calls IPython itself writes for magics and ``!``
_SHELL_CALLS = frozenset({"run_line_magic", "run_cell_magic", "system", "getoutput"})


# Modules whose names a notebook may take all at once (``from numpy import *``)
_STAR_IMPORTS = frozenset({"numpy", "math", "cmath", "tensorflow", "keras", "matplotlib",
                           "pylab", "sklearn", "scipy", "pandas", "seaborn", "typing",
                           "collections", "itertools", "functools", "random", "statistics",
                           "string", "dataclasses", "IPython", "PIL", "tqdm", "time"})


def _module_named(dotted: str) -> str | None:
    if any(dotted == h or dotted.startswith(h + ".") for h in _HARMLESS_MODULES):
        return None
    for name in MODULES:
        if dotted == name or dotted.startswith(name + "."):
            return name
    return None


def _rendered(node: ast.Attribute, parents: dict, aliases: dict[str, str]) -> bool:
    """``traceback.format_exception(type(e), e, e.__traceback__)``: an error's traceback
    handed straight to the module that only renders it as text."""
    call = parents.get(id(node))
    return node.attr == "__traceback__" and isinstance(call, ast.Call) \
        and node in call.args and (resolve(call.func, aliases) or "").startswith("traceback.")


def _membership_test(node: ast.AST, parents: dict) -> bool:
    """``x in sys.modules`` (or ``not in``): a question, not a way in."""
    parent = parents.get(id(node))
    return isinstance(parent, ast.Compare) and node in parent.comparators \
        and all(isinstance(op, (ast.In, ast.NotIn)) for op in parent.ops)


# Libraries whose attributes a notebook sets as settings (``pd.options.display.max_rows``,
# ``logging.root.level``) and whose functions the grader's code does not run
_SETTINGS_LIBRARIES = frozenset({"pandas", "logging", "warnings", "absl", "matplotlib",
                                 "seaborn", "tqdm", "plotly", "PIL"})
# IPython's one setting that old tutorials assign (its classes' methods run every cell)
_IPYTHON_SETTINGS = frozenset({"ast_node_interactivity"})


def _on_self(node: ast.AST, aliases: dict[str, str]) -> bool:
    """``self.path``, ``self.history.path``: an attribute of a method's own object."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "self" and "self" not in aliases


def _path_changed(node: ast.Attribute, parents: dict) -> bool:
    """``x.path.insert(...)``, ``.append``, ``.extend``, ``x.path[...] = ``, ``x.path += ``:
    what sys.path takes and os.path never does, whatever ``x`` is an alias of."""
    parent = parents.get(id(node))
    if isinstance(parent, ast.Attribute) and parent.attr in ("insert", "append", "extend"):
        return True
    if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, (ast.Store, ast.Del)):
        return True
    return isinstance(parent, ast.AugAssign) and parent.target is node


def _library_function(owner: str, attr: str) -> bool:
    """Assigning ``owner.attr`` replaces something in a library module (``np.array_equal``,
    ``tf.nn.softmax``), which the grader's code in the student's process may run. Settings
    are let through: anything below an ``options`` object, ``sys.stdout``/``stderr``, and
    the libraries of :data:`_SETTINGS_LIBRARIES`."""
    if not owner:
        return False
    parts = owner.split(".")
    if parts[0] == "IPython":
        return attr not in _IPYTHON_SETTINGS
    if parts[0] in _SETTINGS_LIBRARIES or "options" in parts:
        return False
    return not (owner == "sys" and attr in ("stdout", "stderr", "stdin"))


def _called_with_names(node: ast.AST, parents: dict, function: str) -> bool:
    """``node`` (``function``: attrgetter or methodcaller) is called right here with
    literal, ordinary attribute names only (``attrgetter("a.b")``, ``methodcaller("upper",
    ...)``); kept or passed around, it could be called with any name later."""
    call = parents.get(id(node))
    if not (isinstance(call, ast.Call) and call.func is node and call.args):
        return False
    for arg in call.args[:1] if function.endswith("methodcaller") else call.args:
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return False
        for part in arg.value.split("."):
            if part.startswith("_") or part in ATTRIBUTES or _ATTRIBUTE_PATTERN.match(part):
                return False
    return True


def _plain_owner(node: ast.AST, aliases: dict[str, str]) -> bool:
    """``self``, ``obj.part``: attributes of the student's own objects, reached by names
    only (no subscript or call on the way, which could hand back a library module)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id not in aliases


def _findings_in(tree: ast.AST, nodes: list[ast.AST], aliases: dict[str, str],
                 top_level: set[str], functions: set[str]) -> list[tuple[int, str]]:
    """``nodes``: every node of ``tree`` (one walk, shared by the passes over a cell)."""
    found = []
    # which scope binds each name: only asked for the built-ins of the rule
    own = _own_names(tree, top_level) if any(
        isinstance(n, ast.Name) and n.id in BUILTINS for n in nodes) else {}
    parents = {id(child): node for node in nodes if not hasattr(node, "_stands_for")
               for child in ast.iter_child_nodes(node)}
    for node in nodes:  # a written-out read sits where the node it stands for does
        if hasattr(node, "_stands_for"):
            parents[id(node)] = parents.get(id(node._stands_for))

    def add(node, what):
        found.append((getattr(node, "lineno", 0), what))

    def own_classes() -> set[str]:
        """Names bound only by a ``class`` statement of the notebook's."""
        defined = {n.name for n in nodes if isinstance(n, ast.ClassDef)}
        stored = {n.id for n in nodes if isinstance(n, ast.Name)
                  and isinstance(n.ctx, (ast.Store, ast.Del))}
        return defined - stored

    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _module_named(alias.name):
                    add(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                add(node, "a relative import")
                continue
            module = node.module or ""
            if any(alias.name == "*" for alias in node.names) \
                    and module.split(".")[0] not in _STAR_IMPORTS:
                # its names arrive bare, where the rule looks for attributes and named
                # imports: ``from sys import *`` brought ``modules`` and ``settrace`` in
                add(node, f"from {module} import *")
                continue
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if alias.name == "get_ipython" and alias.asname not in (None, "get_ipython"):
                    add(node, f"get_ipython imported as {alias.asname}")
                if full in _HARMLESS_NAMES:
                    continue
                if _module_named(module) or _module_named(full) or full in UNPICKLERS:
                    add(node, f"from {module} import {alias.name}")
                elif alias.name == "Formatter" and module.split(".")[0] \
                        not in _FORMATTERS_ALLOWED:
                    add(node, f"from {module} import {alias.name}")
                elif alias.name in ATTRIBUTES or alias.name in BUILTINS \
                        or _ATTRIBUTE_PATTERN.match(alias.name):
                    add(node, f"from {module} import {alias.name}")
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    # as ``pickle._getattribute`` read as an attribute (a private module on
                    # the way is allowed: a student's mistake of taking a library's softmax
                    # from one loses that exercise's points, by the contract, not all)
                    add(node, f"from {module} import {alias.name} (a library's private name)")
        elif isinstance(node, ast.Attribute):
            owner = resolve(node.value, aliases) or ""
            if ((node.attr in ATTRIBUTES and not (node.attr in _SHELL_ATTRIBUTES
                                                  and _on_self(node.value, aliases)))
                    or _ATTRIBUTE_PATTERN.match(node.attr) or (
                    node.attr == "Formatter"
                    and owner.split(".")[0] not in _FORMATTERS_ALLOWED)) \
                    and not _rendered(node, parents, aliases):
                add(node, f".{node.attr}")
            elif node.attr in ("attrgetter", "methodcaller") and not _called_with_names(
                    node, parents, node.attr):  # any owner: ``[operator][0].attrgetter``
                add(node, f".{node.attr} with a computed or special name")
            elif node.attr == "modules" and isinstance(node.ctx, ast.Load) \
                    and not _membership_test(node, parents):  # 'google.colab' in sys.modules
                # any owner: ``for s in (sys,): s.modules`` is sys.modules too
                add(node, "sys.modules" if owner.endswith("sys") else ".modules")
            elif node.attr == "instance" and isinstance(node.ctx, ast.Load) and not (
                    isinstance(node.value, ast.Name) and node.value.id in own_classes()):
                # any owner but a class of the notebook's own: ``T = type(get_ipython());
                # T.instance()`` (the ninth red team)
                add(node, f"{owner or '...'}.instance (the shell object)")
            elif owner and node.attr.startswith("_") and not node.attr.startswith("__") \
                    and owner.split(".")[0] not in ("self", "cls"):
                # a library's private name (pickle._getattribute reads any attribute,
                # tf_logging._get_caller and rich's Console._caller_frame_info hand out
                # frames): what a notebook needs of a library is public
                add(node, f"{owner}.{node.attr} (a library's private name)")
            elif node.attr == "get_ipython" and not (
                    isinstance(parents.get(id(node)), ast.Call)
                    and parents[id(node)].func is node):
                add(node, "get_ipython passed around")
            elif node.attr in ("eval", "query") and owner.startswith("pandas"):
                add(node, f"{owner}.{node.attr} (it evaluates code in a string)")
            elif node.attr == "path" and (owner.endswith("sys") or (
                    _path_changed(node, parents) and not _on_self(node.value, aliases))):
                # a folder to import a module the notebook wrote (``s.path``: any alias of
                # sys; a method's own ``self.path`` list is the notebook's)
                add(node, "sys.path" if owner.endswith("sys") else
                    f"{ast.unparse(node)} changed (it could be sys.path)")
            elif isinstance(node.ctx, (ast.Store, ast.Del)) and _library_function(owner,
                                                                                 node.attr):
                add(node, f"{ast.unparse(node)} = ... (changing a library's function)")
        elif isinstance(node, ast.Name):
            if node.id in ("__builtins__", "__loader__", "__spec__", "__array_interface__",
                           "__array_struct__") or (
                    node.id in BUILTINS and node.id not in own.get(id(node), ())):
                add(node, node.id)
            elif node.id in ("getattr", "setattr", "delattr", "get_ipython") and not (
                    isinstance(parents.get(id(node)), ast.Call)
                    and parents[id(node)].func is node):
                add(node, f"{node.id} passed around")
            elif aliases.get(node.id) in _BY_STRING and not _called_with_names(
                    node, parents, aliases[node.id]):
                add(node, f"{aliases[node.id]} with a computed or special name")
        elif isinstance(node, ast.Call):
            found.extend(_call_findings(node, aliases, functions))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "/proc/self/mem" in node.value:
                add(node, "/proc/self/mem")
            for name in _ATTRIBUTES_IN_TEXT.findall(node.value):
                if name in ATTRIBUTES:
                    # a format string reads them (``"{0.__globals__}".format(f)``, logging's
                    # "{"-style Formatter: the tenth red team's walked a caught error's
                    # ``.__traceback__.tb_frame.f_back`` to the runner's seal)
                    add(node, f".{name} written in a string (a format string reads it)")
                    break
        elif isinstance(node, ast.keyword) and node.arg == "allow_pickle" \
                and not (isinstance(node.value, ast.Constant) and node.value.value is False) \
                and not _saves(parents.get(id(node))):
            add(node.value, "allow_pickle=True")
    return found


def _saves(call) -> bool:
    """``np.save(path, x, allow_pickle=True)``: NumPy's default when saving, and writing
    loads nothing (a fresh student's notebook was refused for it)."""
    func = call.func if isinstance(call, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else \
        func.id if isinstance(func, ast.Name) else ""
    return name in ("save", "write_array")


def _bound_in(scope: ast.AST) -> set[str]:
    """Names a function (or the notebook's top level) binds itself, nested defs aside."""
    names, todo = set(), list(ast.iter_child_nodes(scope))
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        names.update(a.arg for a in ast.walk(scope.args) if isinstance(a, ast.arg))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(import_aliases(node))
        todo.extend(ast.iter_child_nodes(node))
    return names


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _in_scope(scope: ast.AST):
    """The nodes of ``scope`` itself, not those inside the functions it defines (which are
    yielded, so that they can be visited as scopes of their own)."""
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def _own_names(tree: ast.AST, top_level: set[str]) -> dict[int, set[str]]:
    """For each name read, the names its scope (and the top level) binds: a variable the
    student called ``vars`` is theirs, not the built-in (which the sandbox also takes out of
    the notebook's namespace, so a binding that never ran does not bring it back)."""
    own: dict[int, set[str]] = {}

    def visit(scope, outer):
        declared = {name for node in _in_scope(scope) if isinstance(node, ast.Global)
                    for name in node.names}
        names = outer | (_bound_in(scope) - declared if scope is not tree else set())
        for node in _in_scope(scope):
            if isinstance(node, ast.Name):
                own[id(node)] = names
            elif isinstance(node, _SCOPES):
                visit(node, names)

    visit(tree, set(top_level))
    return own


def _call_findings(node: ast.Call, aliases: dict[str, str],
                   functions: set[str]) -> list[tuple[int, str]]:
    func, line = node.func, node.lineno
    if isinstance(func, ast.Name) and func.id in ("getattr", "setattr", "delattr"):
        name = node.args[1] if len(node.args) >= 2 else None
        constant = isinstance(name, ast.Constant) and isinstance(name.value, str)
        if constant and (name.value in ATTRIBUTES or _ATTRIBUTE_PATTERN.match(name.value)):
            return [(line, f"{func.id}(..., {name.value!r})")]
        owner = node.args[0] if node.args else None
        path = resolve(owner, aliases) if owner is not None else None
        if func.id in ("setattr", "delattr"):
            if owner is None or not (constant or _plain_owner(owner, aliases)) or (
                    path and (not constant or _library_function(path, name.value))):
                return [(line, f"{func.id}(...) on a library")]
        elif not constant and not (_plain_owner(owner, aliases) or (path or "").split(".")[0]
                                   in ("tf", "numpy", "keras")):
            # ``getattr(tf, dtype)``, ``getattr(tf.nn, name)``, ``getattr(self, f"W{i}")``:
            # TensorFlow's, NumPy's and the student's own objects; elsewhere a computed
            # name can reach anything
            return [(line, f"{func.id} with a computed name")]
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) \
            and _is_get_ipython(func.value):
        if func.attr not in _SHELL_CALLS:
            return [(line, f"get_ipython().{func.attr}")]
        if func.attr in ("run_line_magic", "run_cell_magic") and node.args:
            magic = node.args[0]
            if not (isinstance(magic, ast.Constant) and isinstance(magic.value, str)):
                return [(line, f"get_ipython().{func.attr} with a computed magic")]
            if magic.value in MAGICS and not _harmless_magic(magic.value, node.args[1:2]):
                return [(line, f"%{magic.value}")]
            if magic.value in _CODE_MAGICS and (node.keywords or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str)
                    for a in node.args[1:])):  # the code it runs is made at run time
                return [(line, f"%{magic.value} on code built at run time")]
    called = resolve(func, aliases) or ""
    if called.split(".")[-1] in ("update_wrapper", "wraps") and (
            len(node.args) > (2 if called.endswith("update_wrapper") else 1)
            or any(k.arg in ("assigned", "updated") for k in node.keywords)):
        # copies any attributes it is told to, by name, with the real getattr and setattr
        # (the ninth red team read __globals__ and tb_frame through it)
        return [(line, f"{called} with its own list of attributes")]
    if called in UNPICKLERS:
        return [(line, f"{called} (loading a pickle runs the functions it names)")]
    if called == "signal.signal":
        return [(line, "signal.signal (a handler receives the interrupted frame)")]
    if called in ("timeit.timeit", "timeit.repeat", "timeit.Timer"):
        statement = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "stmt"), None)
        if statement is not None and not isinstance(statement, (ast.Lambda, ast.Attribute)) \
                and not (isinstance(statement, ast.Name) and statement.id in functions):
            return [(line, "timeit with code in a string")]
    return []


def _harmless_magic(name: str, args: list[ast.AST]) -> bool:
    line = args[0].value if args and isinstance(args[0], ast.Constant) \
        and isinstance(args[0].value, str) else None
    if line is None:
        return False
    if name in ("load_ext", "reload_ext"):  # an installed extension (nothing else imports)
        return line.strip() in _HARMLESS_EXTENSIONS or not _module_named(line.strip())
    if name == "config":  # ``InlineBackend.figure_format = 'retina'``
        try:
            statement = ast.parse(line.strip()).body
        except SyntaxError:
            return False
        if len(statement) != 1 or not isinstance(statement[0], ast.Assign):
            return not line.strip() or line.strip().isidentifier()  # %config, %config Class
        try:
            ast.literal_eval(statement[0].value)
        except (ValueError, SyntaxError, TypeError):
            return False
        return all(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                   for t in statement[0].targets)
    return False


def _is_get_ipython(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "get_ipython") or \
        (isinstance(func, ast.Attribute) and func.attr == "get_ipython")


def _get_ipython_escapes(nodes: list[ast.AST]) -> list[tuple[int, str]]:
    """``get_ipython()`` kept whole (``sh = get_ipython()``): its uses cannot be followed."""
    uses = [n for n in nodes if isinstance(n, ast.Call) and _is_get_ipython(n)]
    if not uses:
        return []
    owned = {id(n.func.value) for n in nodes
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Call)}
    looked_at = {id(arg) for n in nodes if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name)
                 and n.func.id in ("str", "repr", "print", "type", "bool")
                 for arg in n.args}  # 'google.colab' in str(get_ipython())
    # isinstance(get_ipython(), ZMQInteractiveShell) with a library's class; a class of the
    # notebook's own could keep the shell in its metaclass' __instancecheck__ (the ninth
    # red team's way to the runner's functions on it)
    looked_at |= {id(n.args[0]) for n in nodes if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name) and n.func.id == "isinstance"
                  and len(n.args) == 2 and isinstance(n.args[1], ast.Attribute)}
    # "am I in Jupyter?": ``get_ipython() is not None``, ``get_ipython().__class__.__name__``,
    # ``'IPKernelApp' in get_ipython().config`` (questions whose answers hand out nothing)
    for n in nodes:
        if isinstance(n, ast.Compare) and all(isinstance(op, (ast.Is, ast.IsNot, ast.Eq,
                                                              ast.NotEq)) for op in n.ops) \
                and all(isinstance(c, ast.Constant) and c.value is None
                        for c in n.comparators):
            looked_at.add(id(n.left))
        elif isinstance(n, ast.Attribute) and n.attr == "__name__" \
                and isinstance(n.value, ast.Attribute) and n.value.attr == "__class__":
            looked_at.add(id(n.value.value))
        elif isinstance(n, ast.Compare) and all(isinstance(op, (ast.In, ast.NotIn))
                                                for op in n.ops):
            looked_at |= {id(c.value) for c in n.comparators
                          if isinstance(c, ast.Attribute) and c.attr == "config"}
    return [(n.lineno, "get_ipython() kept in a variable") for n in uses
            if id(n) not in owned and id(n) not in looked_at]


# Magics whose argument or body IPython runs as Python in the notebook's namespace
_CODE_MAGICS = frozenset({"time", "timeit", "prun", "capture", "debug"})


def _code_in(text: str) -> ast.Module | None:
    """The Python a magic's line runs: what is left after its options (``-n1 -r1``)."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch.isspace()]
    for start in starts:
        tree = parse_cell(text[start:]) if text[start:].strip() else None
        if tree is not None:
            return tree
    return None


def _magic_code(tree: ast.AST, depth: int = 0) -> list[tuple[int, ast.AST]]:
    """Trees of the code that a cell's magics run (``%timeit -q <code>``, ``%%capture``
    bodies, written as IPython's calls or by hand), at their line in the cell."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("run_line_magic", "run_cell_magic") and node.args):
            continue
        strings = [a.value for a in node.args
                   if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not strings or strings[0] not in _CODE_MAGICS:
            continue
        for text in strings[1:]:
            inner = _code_in(text)
            if inner is not None:
                found.append((node.lineno, inner))
                if depth < 3:
                    found.extend((node.lineno, t) for _, t in _magic_code(inner, depth + 1))
    return found


def _stand_in(node: ast.AST, source: ast.AST) -> ast.AST:
    """A node written out for one the rule reads another way, at its line; ``_stands_for``
    is the node whose place in the tree it takes."""
    ast.copy_location(node, source)
    for inner in ast.walk(node):
        if not hasattr(inner, "lineno"):
            ast.copy_location(inner, source)
    node._stands_for = source
    return node


def _class_pattern_reads(subject: ast.expr, pattern: ast.AST) -> list[ast.AST]:
    """``match s: case C(attr=p)`` reads ``s.attr`` with the C-level getattr and binds it
    as ``p`` says: written out as ``s.attr`` (and ``name = s.attr`` for a capture), so
    every rule about attributes and aliases reads it (the twelfth red team's frame walks
    and ``sys.modules`` went past the rule as class patterns)."""
    out: list[ast.AST] = []
    if isinstance(pattern, ast.MatchAs):
        if pattern.pattern is not None:
            out += _class_pattern_reads(subject, pattern.pattern)
    elif isinstance(pattern, ast.MatchOr):
        for option in pattern.patterns:
            out += _class_pattern_reads(subject, option)
    elif isinstance(pattern, (ast.MatchSequence, ast.MatchMapping)):
        unknown = ast.Name(id="_", ctx=ast.Load())  # an item: no alias to follow
        for inner in pattern.patterns:
            out += _class_pattern_reads(_stand_in(unknown, pattern), inner)
    elif isinstance(pattern, ast.MatchClass):
        for inner in pattern.patterns:
            out += _class_pattern_reads(_stand_in(ast.Name(id="_", ctx=ast.Load()),
                                                  pattern), inner)
        for attr, inner in zip(pattern.kwd_attrs, pattern.kwd_patterns):
            read = _stand_in(ast.Attribute(value=subject, attr=attr, ctx=ast.Load()), pattern)
            out.append(read)
            if isinstance(inner, ast.MatchAs) and inner.name:
                out.append(_stand_in(ast.Assign(
                    targets=[ast.Name(id=inner.name, ctx=ast.Store())], value=read), pattern))
            out += _class_pattern_reads(read, inner)
    return out


def _written_out(walked: list[ast.AST]) -> list[ast.AST]:
    """Reads of attributes the tree spells another way, written out as attributes:
    ``getattr(x, "name")`` (inside any expression: ``[getattr(operator, "attrgetter")][0]``
    went past the rule's aliases) and class patterns."""
    out: list[ast.AST] = []
    for node in walked:
        if isinstance(node, ast.Match):
            for case in node.cases:
                out += _class_pattern_reads(node.subject, case.pattern)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "getattr" and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, str):
            out.append(_stand_in(ast.Attribute(value=node.args[0], attr=node.args[1].value,
                                               ctx=ast.Load()), node))
    return out


def findings(cells: Sequence[str], skip: frozenset[int] = frozenset()) -> list[str]:
    """``"`._getframe` in code cell 4, line 2"`` for every construct of the rule, in notebook
    order; ``skip``: indices of cells the grader wrote (the instructor's test cells)."""
    parsed: list[tuple[int, ast.AST]] = []
    for index, source in enumerate(cells):
        if index in skip:
            continue
        try:  # plain Python: IPython runs it as it is (magics called by hand included)
            tree = raw = ast.parse(source)
            text = source
        except Exception:  # noqa: BLE001 - magics, or not Python at all
            tree = parse_cell(source)
            if tree is None and len(source.strip().splitlines()) == 1:
                # ``time <code>``, ``run x.py``: a one-line cell IPython would run as a magic
                # without its % if automagic were on (the sandbox turns it off): read it so
                source = "%" + source.strip()
                tree = parse_cell(source)
            if tree is None:
                continue  # does not run either
            try:  # the code inside magics, as IPython itself reads the cell
                text = ipython_transform(source)
                raw = ast.parse(text)
            except Exception:  # noqa: BLE001 - no magic runs in a cell IPython cannot read
                text = ""
        parsed.append((index, tree))
        if "_magic" not in text:  # no run_line_magic / run_cell_magic call to read inside
            continue
        for line, inner in _magic_code(raw):
            for node in ast.walk(inner):  # report at the magic's line
                if hasattr(node, "lineno"):
                    node.lineno = line
            parsed.append((index, inner))
    nodes = [list(ast.walk(tree)) for _, tree in parsed]  # one walk per tree, shared
    nodes = [walked + _written_out(walked) for walked in nodes]
    aliases: dict[str, str] = {}
    for walked in nodes:  # every import anywhere, and plain aliases of modules (m = np)
        for node in walked:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                aliases.update(import_aliases(node))
    # a name a loop or a with statement also binds is not an alias of one thing (``layer =
    # tf.keras.layers.Dense``, later ``for layer in model.layers: layer.trainable = False``)
    looped = {n.id for walked in nodes for node in walked
              if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension, ast.withitem))
              for target in [node.target if not isinstance(node, ast.withitem)
                             else node.optional_vars]
              if target is not None
              for n in ast.walk(target) if isinstance(n, ast.Name)}
    for walked in nodes:  # ``for m in (np, tf): m.allclose = f``: each of them in turn
        for node in walked:
            if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) \
                    and isinstance(node.target, ast.Name) \
                    and isinstance(node.iter, (ast.List, ast.Tuple, ast.Set)):
                paths = [resolve(element, aliases) for element in node.iter.elts]
                if paths and all(paths):
                    aliases.setdefault(node.target.id, paths[0])
    for walked in nodes:
        for node in walked:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name) \
                    and node.targets[0].id not in looped:
                path = resolve(node.value, aliases)
                if path:
                    aliases.setdefault(node.targets[0].id, path)
    top_level = set().union(*(_bound_in(tree) for _, tree in parsed)) if parsed else set()
    functions = {node.name for walked in nodes for node in walked
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    out = []
    for (index, tree), walked in zip(parsed, nodes):
        seen = set()
        for line, what in sorted(_findings_in(tree, walked, aliases, top_level, functions)
                                 + _get_ipython_escapes(walked)):
            if (line, what) not in seen:
                seen.add((line, what))
                out.append(f"`{what}` in code cell {index + 1}, line {line}")
    return out


def refusal(found: list[str]) -> str:
    """The message every check of a refused notebook carries."""
    shown = "; ".join(found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
    return ("The notebook was not run: it uses code that could reach into the grader's side "
            f"of its process ({shown}). The contract does not allow it (frames, sys.modules, "
            "changing library modules, code run from strings, %run/%load), because no check "
            "of such a notebook can be trusted. Remove it and submit again.")
