"""Which APIs a student's function uses, found by parsing the notebook's source (never running it).

A contract may forbid an exercise from calling some library function (``softmax`` must not
call ``tf.nn.softmax``). This runs in the grader's own process, on the code cells as text:
the student's code is parsed with :mod:`ast`, not executed. Each cell is first turned into
Python the way IPython runs it (``name?``, ``x = !ls``, ``%time stmt``, ``%%time`` cells),
so IPython syntax cannot hide a cell. It resolves the usual ways of naming an API
(``tf.nn.softmax``, ``import tensorflow.nn as n``, ``from tensorflow.nn import softmax as
s``, ``getattr(tf.nn, "softmax")``), credits a function with every API named in the value
of a top-level name it reads (``s = tf.nn.softmax``, ``s = functools.partial(tf.nn.softmax,
axis=1)``, ``ops = {"sm": tf.nn.softmax}``), leaves alone a function's own local variables
(a local ``losses`` is not ``keras.losses``), and follows the notebook's own helper
functions that the exercise calls. Dynamic tricks beyond that (``eval``, string building)
are what the sandbox's run-time switch-off catches.
"""

from __future__ import annotations

import ast
import copy
import functools
import re
from collections.abc import Iterable, Sequence

# Canonical module prefixes: every spelling of TensorFlow becomes "tf", Keras "keras".
_CANONICAL = {"tensorflow": "tf", "tf_keras": "keras", "tensorflow.keras": "keras",
              "tf.keras": "keras"}
_MAGIC = re.compile(r"^\s*[%!]")
# Magics whose argument or body is Python run in the notebook's namespace: read as that code.
_PYTHON_CELL_MAGIC = re.compile(r"^\s*%%(?:time|timeit|capture|prun)\b[^\n]*\n?")
_PYTHON_LINE_MAGIC = re.compile(
    r"^(\s*)%(?:time|timeit|prun)\b((?:\s+-\w+(?:\s+\d+)?(?=\s))*)\s+(.*)$", re.M)


def as_python(source: str) -> str:
    """A cell's source as the Python that IPython runs for it: the body of a ``%%time`` cell
    and the statement of ``%time stmt`` as code, other magics, ``!cmd`` and ``name?`` as the
    calls IPython makes of them (naming no API)."""
    source = _PYTHON_CELL_MAGIC.sub("", source, count=1) if _PYTHON_CELL_MAGIC.match(source) \
        else source
    source = _PYTHON_LINE_MAGIC.sub(r"\1\3", source)
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - no IPython, or input it cannot read: blank the lines
        return "\n".join("" if _MAGIC.match(line) else line for line in source.split("\n"))


def ipython_transform(source: str) -> str:
    """The Python IPython itself makes of a cell (magics as ``get_ipython()`` calls); a
    cell whose transform is not valid Python does not run."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def parse_cell(source: str) -> ast.Module | None:
    """A cell parsed as IPython runs it: plain Python as it is; with magics, their Python
    bodies read as code where they are (``%%time``), else as IPython's own transform (a
    ``%timeit`` with options this module does not know must not hide the rest of the
    cell); None for a cell that does not run."""
    for read in (lambda text: text, as_python, ipython_transform):
        try:
            return ast.parse(read(source))
        except Exception:  # noqa: BLE001 - not Python, or IPython's transformer on hostile input
            continue
    return None


def parse_cells(cells: Sequence[str]) -> list[ast.Module]:
    """Each cell parsed as IPython runs it (:func:`parse_cell`); cells that are not valid
    Python (which do not run either) are skipped."""
    return [tree for tree in map(parse_cell, cells) if tree is not None]


def _canonical(dotted: str) -> str:
    for prefix in sorted(_CANONICAL, key=len, reverse=True):
        if dotted == prefix or dotted.startswith(prefix + "."):
            dotted = _CANONICAL[prefix] + dotted[len(prefix):]
            break
    if dotted.startswith("tf.keras"):
        dotted = "keras" + dotted[len("tf.keras"):]
    return dotted


class _Module:
    """Top-level names of the notebook: import aliases, API aliases, the APIs named in the
    value of every other top-level variable, and function defs."""

    def __init__(self, trees: list[ast.Module]):
        self.aliases: dict[str, str] = {}
        self.carried: dict[str, set[str]] = {}  # name -> APIs named where it was assigned
        # name -> the functions whose results (or the functions themselves) its value holds,
        # through other names too: ``_S = _build()`` holds what ``_build`` made, and
        # ``it = iter(pipeline)`` a pipeline mapped with tf.nn.softmax (a red team's +3)
        self.made_by: dict[str, set[str]] = {}
        self.functions: dict[str, ast.AST] = {}
        self.classes: dict[str, ast.ClassDef] = {}  # their methods are read when reached
        for tree in trees:  # later cells override earlier ones, as when run in order
            for node in tree.body:
                self._top_level(node)

    def _bind(self, name: str, value: ast.AST | None) -> None:
        path = resolve(value, self.aliases) if value is not None else None
        carried = _named_apis(value, self.aliases) if value is not None else set()
        made_by = set()
        for read in ({n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
                     if value is not None else ()):
            carried |= self.carried.get(read, set()) if read != name else set()
            made_by |= self.made_by.get(read, set()) if read != name else set()
            if read in self.functions or read in self.classes:
                made_by.add(read)
        self.carried.pop(name, None)
        self.made_by.pop(name, None)
        self.aliases.pop(name, None)
        self.functions.pop(name, None)
        self.classes.pop(name, None)
        if path:
            self.aliases[name] = path
        if carried:
            self.carried[name] = carried
        if made_by:
            self.made_by[name] = made_by

    def _top_level(self, node: ast.AST) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name, path in import_aliases(node).items():
                self._bind(name, None)
                self.aliases[name] = path
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._bind(node.name, None)
            self.functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            # the class body outside its methods (bases, decorators, class attributes) is
            # carried by its name; a method counts only where the code reaches it
            outside = copy.copy(node)
            outside.body = [b for b in node.body if not isinstance(b, _FUNCTIONS)]
            self._bind(node.name, outside)
            self.classes[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = node.value
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                value = ast.Tuple(elts=[node.target, node.value], ctx=ast.Load())
            for target in targets:
                if isinstance(target, ast.Name) and len(targets) == 1 \
                        and isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
                    self._bind(target.id, value)
                    continue
                for name in _stored_names(target):  # unpacking: each gets all its value names
                    self._bind(name, ast.Tuple(elts=[value] if value else [], ctx=ast.Load()))
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            if isinstance(node, (ast.For, ast.With)):
                for name, value in _loop_and_with_bindings(node):
                    self._bind(name, value)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self._top_level(child)
                elif isinstance(child, ast.ExceptHandler):
                    for grandchild in child.body:
                        self._top_level(grandchild)


def _stored_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _loop_and_with_bindings(node) -> list[tuple[str, ast.AST]]:
    if isinstance(node, ast.For):
        return [(name, node.iter) for name in _stored_names(node.target)]
    return [(name, item.context_expr) for item in node.items if item.optional_vars
            for name in _stored_names(item.optional_vars)]


def _named_apis(value: ast.AST, aliases: dict[str, str]) -> set[str]:
    """Every API path named anywhere in an expression, a class or a function."""
    found = set()
    for node in ast.walk(value):
        if isinstance(node, (ast.Attribute, ast.Name, ast.Call)):
            path = resolve(node, aliases)
            if path:
                found.add(_canonical(path))
    return found


def import_aliases(node) -> dict[str, str]:
    found = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                found[alias.asname] = _canonical(alias.name)
            else:
                top = alias.name.split(".")[0]
                found[top] = _canonical(top)
    elif node.module and not node.level:
        for alias in node.names:
            found[alias.asname or alias.name] = _canonical(f"{node.module}.{alias.name}")
    return found


def resolve(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The canonical dotted name an expression refers to, if it is a (known) API path."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = resolve(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id == "getattr" and len(node.args) >= 2 \
            and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
        base = resolve(node.args[0], aliases)
        return f"{base}.{node.args[1].value}" if base else None
    if isinstance(node, ast.Subscript) and isinstance(node.value, (ast.List, ast.Tuple)) \
            and isinstance(node.slice, ast.Constant) and type(node.slice.value) is int \
            and -len(node.value.elts) <= node.slice.value < len(node.value.elts):
        # ``[hmac][0].new = f``: an item of a literal is that item (the twelfth red team's)
        return resolve(node.value.elts[node.slice.value], aliases)
    return None


def _local_names(function: ast.AST) -> set[str]:
    """Names a function binds itself (parameters, assignments, loop and ``with`` targets,
    nested defs, ``except ... as``), which hide the notebook's names of the same spelling
    everywhere in it, as Python scopes do; ``global``/``nonlocal`` names excepted."""
    names, declared = set(), set()
    for node in ast.walk(function):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and node is not function:
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
    return names - declared


def _uses(function: ast.AST, module: "_Module") -> set[str]:
    """API paths named inside ``function`` (its own local imports included), and those
    carried by the notebook's top-level names it reads."""
    shadowed = _local_names(function)
    local = {name: path for name, path in module.aliases.items() if name not in shadowed}
    for node in ast.walk(function):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            local.update(import_aliases(node))
    found = _named_apis(function, local)
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id not in shadowed:
            found.update(module.carried.get(node.id, ()))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(import_aliases(node).values())
    return found


def _called_names(function: ast.AST) -> set[str]:
    """The notebook-level names a function reads (its own locals are not the notebook's)."""
    shadowed = _local_names(function)
    return {n.id for n in ast.walk(function) if isinstance(n, ast.Name)} - shadowed


@functools.lru_cache(maxsize=2)
def _cell_trees(cells: tuple[str, ...]) -> list[ast.Module | None]:
    """Each cell parsed once per notebook (:func:`parse_cell`; None where it does not run),
    shared read-only by the questions asked about it."""
    return [parse_cell(source) for source in cells]


@functools.lru_cache(maxsize=2)
def _module(cells: tuple[str, ...]) -> _Module:
    """One parse per notebook: a suite asks about each exercise in turn (read-only use)."""
    return _Module([tree for tree in _cell_trees(cells) if tree is not None])


def definition_cells(cells: Sequence[str], function: str) -> list[int]:
    """The indices of the code cells with a top-level ``def function``, in notebook order."""
    return [i for i, tree in enumerate(_cell_trees(tuple(cells))) if tree is not None
            and any(isinstance(node, _FUNCTIONS) and node.name == function
                    for node in tree.body)]


def defined_in(cells: Sequence[str], function: str) -> int | None:
    """The index of the code cell whose top-level ``def function`` the notebook runs last
    (the definition a probe calls), if any: a message can point at that cell."""
    found = definition_cells(cells, function)
    return found[-1] if found else None


def graded_calls(cells: Sequence[str], function: str, graded: Iterable[str]) -> set[str]:
    """The other graded functions that ``function`` calls, itself or through the notebook's
    own helpers (a graded function's own calls are its own)."""
    module = _module(tuple(cells))
    graded = set(graded) - {function}
    if function not in module.functions:
        return set()
    return {name for node in _reachable(module, function, graded)
            for name in _called_names(node) if name in graded}


def names_read(cells: Sequence[str], function: str) -> set[str]:
    """The notebook-level names that ``function`` reads, itself or through the notebook's
    own helpers it calls."""
    module = _module(tuple(cells))
    if function not in module.functions:
        return set()
    return {name for node in _reachable(module, function, set())
            for name in _called_names(node)}


def names_bound(source: str) -> set[str]:
    """The names a cell binds at its top level (``_grads = tape_gradients(...)``)."""
    tree = parse_cell(source)
    if tree is None:
        return set()
    names = set()
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
            continue
        names.update(n.id for n in ast.walk(statement)
                     if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names


def forbidden_uses(cells: Sequence[str], function: str, forbidden: Iterable[str],
                   others: Iterable[str] = ()) -> list[str]:
    """The forbidden APIs that ``function`` (or a notebook helper it calls) names.

    ``forbidden`` are canonical dotted paths (``tf.nn.softmax``, or a prefix such as
    ``keras.losses``); ``others`` are the other graded functions, which the exercise may
    call freely (their own rules are checked on them). Answered once per notebook and
    question: a suite asks before every probe of a restricted function."""
    return list(_forbidden_uses(tuple(cells), function, tuple(forbidden), tuple(others)))


@functools.lru_cache(maxsize=64)
def _forbidden_uses(cells: tuple[str, ...], function: str, forbidden: tuple[str, ...],
                    others: tuple[str, ...]) -> tuple[str, ...]:
    module = _module(cells)
    forbidden = [_canonical(f) for f in forbidden]
    hits = set()
    if function not in module.functions:  # ``softmax = tf.nn.softmax``: the API itself
        named = set(module.carried.get(function, ()))
        if function in module.aliases:
            named.add(_canonical(module.aliases[function]))
        return tuple(sorted({rule for path in named for rule in forbidden
                             if path == rule or path.startswith(rule + ".")}))
    skip = set(others) - {function}
    for node in _reachable(module, function, skip):
        for path in _uses(node, module):
            for rule in forbidden:
                if path == rule or path.startswith(rule + "."):
                    hits.add(rule)
    return tuple(sorted(hits))


def missing_uses(cells: Sequence[str], function: str, required: Iterable[str],
                 others: Iterable[str] = ()) -> list[str]:
    """The required APIs that ``function`` (with the notebook helpers, classes and values
    it reaches) never names: ``first_examples`` must go through
    ``tf.data.Dataset.from_tensor_slices``.

    Read generously, since failing a correct answer is the worse error: an API counts as
    named where its path resolves (``from tensorflow.data import Dataset``), and also where
    its last name appears at all, as an attribute, a name or a string (``D =
    tf.data.Dataset; D.from_tensor_slices(X)``, ``getattr(D, "from_tensor_slices")``). Only
    a function that never spells it fails, or spells it only where nothing can use it: a
    call whose result is thrown away, a name assigned and never read, a bare string, or a
    variable of its own spelled like the API. This is the grader's own reading of the
    source, which no output of the student's process can change."""
    required = tuple(required)
    module = _module(tuple(cells))
    skip = set(others) - {function}
    named = set(module.carried.get(function, ()))
    if function in module.aliases:
        named.add(_canonical(module.aliases[function]))
    if function in module.functions:
        nodes = _reachable(module, function, skip)
    else:  # a lambda, a callable object, a partial of a helper: what made the value
        made = module.made_by.get(function, set()) - skip
        nodes = _reachable_from(module, [module.functions[n] for n in sorted(made)
                                         if n in module.functions],
                                {n for n in made if n in module.classes})
    last_names = {_canonical(api).rsplit(".", 1)[-1] for api in required}
    nodes = [_without_dead_code(node, last_names) for node in nodes]
    own = _notebook_bound(tuple(cells))
    words = set()
    for node in nodes:
        named |= _uses(node, module)
        for child in ast.walk(node):
            if isinstance(child, ast.Attribute):
                words.add(child.attr)
            elif isinstance(child, ast.Name) and child.id not in own:
                words.add(child.id)  # a star import's name; not a variable of the notebook's
            elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                words.add(child.value)
    words |= {path.rsplit(".", 1)[-1] for path in named}
    missing = []
    for api in required:
        path = _canonical(api)
        if not (path in named or path.rsplit(".", 1)[-1] in words):
            missing.append(api)
    return missing


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@functools.lru_cache(maxsize=2)
def _notebook_bound(cells: tuple[str, ...]) -> frozenset[str]:
    """Every name the notebook binds itself (assignments, parameters, defs, classes): a
    variable spelled like an API (``device_type = "CPU"``) does not name that API."""
    names = set()
    for tree in _cell_trees(cells):
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
                names.add(node.name)
    return frozenset(names)


def _called_last_name(call: ast.AST) -> str | None:
    if not isinstance(call, ast.Call):
        return None
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        if func.id == "getattr" and len(call.args) >= 2 \
                and isinstance(call.args[1], ast.Constant):
            return str(call.args[1].value)
        return func.id
    return None


def _without_dead_code(node: ast.AST, required: set[str]) -> ast.AST:
    """A copy of ``node`` without the statements whose value nothing uses: a required API
    called and its result thrown away, a bare string or name, a name assigned and never
    read. A required API counts where its value can reach the answer (a red team's
    ``from_tensor_slices(X)`` before ``return X[:k]``, and ``device_type = "CPU"``)."""
    node = copy.deepcopy(node)
    loaded = {n.id for n in ast.walk(node)
              if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    declared = {name for n in ast.walk(node) if isinstance(n, (ast.Global, ast.Nonlocal))
                for name in n.names}

    def dead(statement: ast.stmt) -> bool:
        if isinstance(statement, ast.Expr):
            value = statement.value
            return isinstance(value, (ast.Constant, ast.Name, ast.Attribute)) \
                or _called_last_name(value) in required
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) \
                else [statement.target]
            return all(isinstance(t, ast.Name) and t.id not in loaded
                       and t.id not in declared for t in targets)
        return False

    for parent in ast.walk(node):
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(parent, field, None)
            if isinstance(statements, list) and statements \
                    and all(isinstance(s, ast.stmt) for s in statements):
                setattr(parent, field, [ast.Pass() if dead(s) else s for s in statements])
    return node


def _reachable(module: _Module, function: str, skip: set[str]) -> list[ast.AST]:
    """``function`` and the notebook code it can run: the helpers it calls, and of each
    class it reads, the special methods (``__init__``, ``__call__``, ...) and the methods
    named as an attribute anywhere in the code reached (all of them where an attribute is
    read by a computed name). A tape in a method never called is not the function's."""
    return _reachable_from(module, [module.functions[function]], set(), skip)


def _reachable_from(module: _Module, functions: list, classes: set[str],
                    skip: set[str] = frozenset()) -> list[ast.AST]:
    """:func:`_reachable` from several functions and classes at once."""
    nodes, seen, attrs, classes, any_attr = [], set(), set(), set(classes), False
    todo = list(functions)
    if classes and not todo:  # a callable object: its special methods are its code
        todo = [m for name in sorted(classes) for m in module.classes[name].body
                if isinstance(m, _FUNCTIONS) and m.name.startswith("__")]
    while todo:
        while todo:
            node = todo.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            nodes.append(node)
            for child in ast.walk(node):
                if isinstance(child, ast.Attribute):
                    attrs.add(child.attr)
                elif isinstance(child, ast.Call) and isinstance(child.func, ast.Name) \
                        and child.func.id in ("getattr", "hasattr") and len(child.args) >= 2:
                    name = child.args[1]
                    if isinstance(name, ast.Constant) and isinstance(name.value, str):
                        attrs.add(name.value)
                    else:
                        any_attr = True
            for read in _called_names(node) - skip:
                for name in [read, *sorted(module.made_by.get(read, ()))]:
                    if name in skip:
                        continue
                    if name in module.functions:
                        todo.append(module.functions[name])
                    elif name in module.classes:
                        classes.add(name)
        todo = [method for name in classes for method in module.classes[name].body
                if isinstance(method, _FUNCTIONS) and id(method) not in seen
                and (any_attr or method.name.startswith("__") or method.name in attrs)]
    return nodes
