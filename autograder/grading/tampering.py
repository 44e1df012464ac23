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

from .api_lint import as_python, import_aliases, resolve

# Modules that hand out frames, objects or code by other routes than the names below.
MODULES = ("inspect", "gc", "ctypes", "_ctypes", "cffi", "importlib", "builtins",
           "__builtin__", "runpy", "marshal", "code", "codeop", "imp", "pkgutil", "zipimport",
           "site", "pickle", "_pickle", "cPickle", "dill", "cloudpickle", "shelve", "copyreg",
           "traitlets", "ipykernel", "doctest", "pdb", "bdb", "trace", "cProfile", "profile",
           "joblib", "IPython.core", "IPython.terminal", "IPython.utils",
           "tensorflow.python.eager", "tensorflow.python.framework.op_def_library",
           "tensorflow.python.pywrap_tfe", "tensorflow.python._pywrap_tfe",
           # the sandbox's own runner, beside the student's code
           "runner", "protocol", "launcher", "forkserver")
# Attributes that reach frames, namespaces, code objects, wrapped originals or the
# interpreter's module table, whatever object they are read from.
ATTRIBUTES = frozenset({
    "_getframe", "_current_frames", "settrace", "setprofile", "currentframe", "walk_stack",
    "walk_tb", "get_stack", "f_back", "f_globals", "f_locals", "f_builtins", "f_code",
    "f_trace", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "__traceback__", "__globals__",
    "__code__", "__closure__", "__builtins__", "__subclasses__", "__bases__", "__mro__",
    "__base__", "__getattribute__", "__setattr__", "__delattr__", "__dict__", "__import__",
    "__loader__", "__spec__", "__wrapped__", "__defaults__", "__kwdefaults__", "modules",
    "meta_path", "path_hooks", "path_importer_cache", "pywrap_tfe", "_pywrap_tfe",
    "_apply_op_helper", "quick_execute", "call_flat", "attrgetter", "methodcaller",
    "read_pickle", "user_ns", "user_global_ns", "__self__", "__func__",
})
_ATTRIBUTE_PATTERN = re.compile(r"^(?:TFE_Py|_pywrap)")
# Built-in functions that run code from strings or hand out a namespace to rewrite.
BUILTINS = frozenset({"exec", "eval", "compile", "__import__", "globals", "vars", "locals",
                      "breakpoint"})
# IPython magics that run or write code the grader cannot read, or change the shell.
# (%config runs its line as Python: only ``%config Class.trait = <literal>`` is let through;
# %load_ext only for autoreload, a habit of many notebooks)
MAGICS = frozenset({"run", "load", "loadpy", "writefile", "file", "macro", "recall", "rerun",
                    "store", "load_ext", "reload_ext", "debug", "pdb", "alias_magic", "edit",
                    "ed", "paste", "cpaste", "config", "reset", "reset_selective"})
_HARMLESS_EXTENSIONS = frozenset({"autoreload"})
# What get_ipython() may be asked for: the calls IPython itself writes for magics and ``!``
_SHELL_CALLS = frozenset({"run_line_magic", "run_cell_magic", "system", "getoutput"})


def _module_named(dotted: str) -> str | None:
    for name in MODULES:
        if dotted == name or dotted.startswith(name + "."):
            return name
    return None


def _is_module_path(node: ast.AST, aliases: dict[str, str]) -> bool:
    """The expression names a library module or something in one (``np``, ``tf.nn``)."""
    return resolve(node, aliases) is not None


def _plain_owner(node: ast.AST, aliases: dict[str, str]) -> bool:
    """``self``, ``obj.part``: attributes of the student's own objects, reached by names
    only (no subscript or call on the way, which could hand back a library module)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id not in aliases


def _findings_in(tree: ast.AST, aliases: dict[str, str], top_level: set[str],
                 functions: set[str]) -> list[tuple[int, str]]:
    found = []
    own = _own_names(tree, top_level)

    def add(node, what):
        found.append((getattr(node, "lineno", 0), what))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _module_named(alias.name):
                    add(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                add(node, "a relative import")
                continue
            module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if _module_named(module) or _module_named(full):
                    add(node, f"from {module} import {alias.name}")
                elif alias.name in ATTRIBUTES or alias.name in BUILTINS \
                        or _ATTRIBUTE_PATTERN.match(alias.name):
                    add(node, f"from {module} import {alias.name}")
        elif isinstance(node, ast.Attribute):
            if node.attr in ATTRIBUTES or _ATTRIBUTE_PATTERN.match(node.attr):
                add(node, f".{node.attr}")
            elif node.attr == "path" and (resolve(node.value, aliases) or "").endswith("sys"):
                add(node, "sys.path")
            elif isinstance(node.ctx, (ast.Store, ast.Del)) and (
                    _is_module_path(node.value, aliases)
                    or not _plain_owner(node.value, aliases)):
                add(node, f"{ast.unparse(node)} = ... (changing a library module)")
        elif isinstance(node, ast.Name):
            if node.id in ("__builtins__", "__loader__", "__spec__") or (
                    node.id in BUILTINS and node.id not in own.get(id(node), ())):
                add(node, node.id)
            elif node.id in ("getattr", "setattr", "delattr") and not _called(node, tree):
                add(node, f"{node.id} passed around")
        elif isinstance(node, ast.Call):
            found.extend(_call_findings(node, aliases, functions))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and "/proc/self/mem" in node.value:
            add(node, "/proc/self/mem")
        elif isinstance(node, ast.keyword) and node.arg == "allow_pickle" \
                and not (isinstance(node.value, ast.Constant) and node.value.value is False):
            add(node.value, "allow_pickle=True")
    return found


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


def _called(name: ast.Name, tree: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))


def _call_findings(node: ast.Call, aliases: dict[str, str],
                   functions: set[str]) -> list[tuple[int, str]]:
    func, line = node.func, node.lineno
    if isinstance(func, ast.Name) and func.id in ("getattr", "setattr", "delattr"):
        name = node.args[1] if len(node.args) >= 2 else None
        constant = isinstance(name, ast.Constant) and isinstance(name.value, str)
        if constant and (name.value in ATTRIBUTES or _ATTRIBUTE_PATTERN.match(name.value)):
            return [(line, f"{func.id}(..., {name.value!r})")]
        owner = node.args[0] if node.args else None
        if func.id in ("setattr", "delattr"):
            if owner is None or _is_module_path(owner, aliases) \
                    or not _plain_owner(owner, aliases):
                return [(line, f"{ast.unparse(func)}(...) on a library module")]
        elif not constant and not (owner is not None and resolve(owner, aliases) in ("tf", "numpy")):
            # ``getattr(tf, dtype)`` reads the top of TensorFlow or NumPy, whose attributes
            # are the public API; elsewhere a computed name can reach anything
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
    if resolve(func, aliases) in ("timeit.timeit", "timeit.repeat", "timeit.Timer"):
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
    if name in ("load_ext", "reload_ext"):
        return line.strip() in _HARMLESS_EXTENSIONS
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


def _get_ipython_escapes(tree: ast.AST) -> list[tuple[int, str]]:
    """``get_ipython()`` kept whole (``sh = get_ipython()``): its uses cannot be followed."""
    uses = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_get_ipython(n)]
    owned = {id(n.func.value) for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Call)}
    return [(n.lineno, "get_ipython() kept in a variable") for n in uses if id(n) not in owned]


def findings(cells: Sequence[str], skip: frozenset[int] = frozenset()) -> list[str]:
    """``"`._getframe` in code cell 4, line 2"`` for every construct of the rule, in notebook
    order; ``skip``: indices of cells the grader wrote (the instructor's test cells)."""
    parsed: list[tuple[int, ast.AST]] = []
    for index, source in enumerate(cells):
        if index in skip:
            continue
        try:
            try:
                tree = ast.parse(source)
            except SyntaxError:
                tree = ast.parse(as_python(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # does not run either
        parsed.append((index, tree))
    aliases: dict[str, str] = {}
    for _, tree in parsed:  # every import anywhere, and plain aliases of modules (m = np)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                aliases.update(import_aliases(node))
    for _, tree in parsed:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                path = resolve(node.value, aliases)
                if path:
                    aliases.setdefault(node.targets[0].id, path)
    top_level = set().union(*(_bound_in(tree) for _, tree in parsed)) if parsed else set()
    functions = {node.name for _, tree in parsed for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    out = []
    for index, tree in parsed:
        seen = set()
        for line, what in sorted(_findings_in(tree, aliases, top_level, functions)
                                 + _get_ipython_escapes(tree)):
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
