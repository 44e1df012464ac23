"""What the kit knows about an assignment, discovered from its folder.

One assignment = one folder holding ``assignment.toml`` (its settings), its pytest grading
suite (``test_*.py``) and whatever reference math and scoring schedule the suite imports
from beside it. The kit finds every such folder below ``autograder/assignments/`` and below
each folder named in ``$AUTOGRADER_ASSIGNMENTS`` (separated like ``PATH``); nothing else
has to be edited to add one. ``docs/adding-an-assignment.md`` walks through it.

``assignment.toml`` keys: ``name`` (as in ``source/<name>/`` and on the command line),
``notebook_seconds`` (wall-clock budget to run all cells once), ``call_seconds`` (budget
for one probe call), ``dataset`` (a data set put in the student's Keras cache, see
:mod:`autograder.grading.datasets`), and ``[variants.<name>]`` tables: the same suite
registered again under another name with some settings overridden.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from ..common.paths import PACKAGE_DIR

SETTINGS_FILE = "assignment.toml"
BUILTIN_DIR = PACKAGE_DIR / "assignments"
GRADING_INI = Path(__file__).resolve().parent / "pytest.ini"
ENV_VAR = "AUTOGRADER_ASSIGNMENTS"


@dataclass(frozen=True)
class Assignment:
    name: str  # as in source/<name>/ and on the command line
    tests_dir: Path  # the assignment's folder: grading suite, reference, settings
    notebook_seconds: float = 300.0  # wall-clock budget to run all cells once
    call_seconds: float = 60.0  # wall-clock budget for one probe call
    dataset: str | None = None  # put in the student's Keras cache (autograder.grading.datasets)
    # refuse to run a notebook whose code could reach into the grader's side of its process
    # (autograder.grading.tampering); false only to test the sandbox's own defences alone
    refuse_tampering: bool = True

    @property
    def ini_file(self) -> Path:
        """pytest's configuration for every grading suite (not the kit's own tests)."""
        return GRADING_INI


class AssignmentError(ValueError):
    """An assignment folder's settings cannot be read; ``str()`` says which and why."""


_SETTINGS = {f.name for f in fields(Assignment)} - {"name", "tests_dir"}


def _from_table(table: dict, folder: Path, where: str) -> dict:
    unknown = set(table) - _SETTINGS - {"name", "variants"}
    if unknown:
        raise AssignmentError(f"{where}: unknown setting(s) {sorted(unknown)}; "
                              f"known: name, {', '.join(sorted(_SETTINGS))}, variants")
    return {k: v for k, v in table.items() if k in _SETTINGS}


def load_folder(folder: Path) -> list[Assignment]:
    """The assignment(s) declared by ``folder/assignment.toml``: the main one, then variants."""
    folder = Path(folder).resolve()
    where = str(folder / SETTINGS_FILE)
    try:
        table = tomllib.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AssignmentError(f"{where}: {exc}") from None
    if not isinstance(table.get("name"), str) or not table["name"]:
        raise AssignmentError(f"{where}: needs a name = \"...\"")
    main = Assignment(table["name"], folder, **_from_table(table, folder, where))
    found = [main]
    for name, overrides in (table.get("variants") or {}).items():
        if not isinstance(overrides, dict):
            raise AssignmentError(f"{where}: [variants.{name}] must be a table")
        found.append(replace(main, name=name, **_from_table(overrides, folder, where)))
    return found


def discover(roots: list[Path] | None = None) -> dict[str, Assignment]:
    """Every assignment below ``roots`` (default: the built-in folder, then ``$AUTOGRADER_
    ASSIGNMENTS``), by name. Two folders claiming one name is an error, not a silent pick."""
    if roots is None:
        roots = [BUILTIN_DIR] + [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep)
                                 if p]
    found: dict[str, Assignment] = {}
    for root in roots:
        root = Path(root)
        folders = [root] if (root / SETTINGS_FILE).is_file() else sorted(
            p for p in root.iterdir() if (p / SETTINGS_FILE).is_file()) if root.is_dir() else []
        for folder in folders:
            for assignment in load_folder(folder):
                if assignment.name in found:
                    raise AssignmentError(
                        f"two assignments are named {assignment.name!r}: "
                        f"{found[assignment.name].tests_dir} and {assignment.tests_dir}")
                found[assignment.name] = assignment
    return found


ASSIGNMENTS: dict[str, Assignment] = discover()


class UnknownAssignment(KeyError):
    def __str__(self) -> str:
        return f"unknown assignment {self.args[0]!r}; known: {', '.join(sorted(ASSIGNMENTS))}"


def get_assignment(name: str) -> Assignment:
    try:
        return ASSIGNMENTS[name]
    except KeyError:
        raise UnknownAssignment(name) from None
