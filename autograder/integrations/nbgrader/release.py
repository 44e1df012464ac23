"""Build the student version of each assignment, and check the committed one.

Why each piece exists:

- ``release_assignment`` / ``release_all`` run nbgrader's own GenerateAssignment
  converter, so solutions and hidden tests are stripped exactly as
  ``nbgrader generate_assignment`` would strip them.
- The config is read only from the course's ``nbgrader_config.py`` (never
  ``~/.jupyter``), so every machine builds the same student version.
- Builds go to a temporary directory first and are moved into place only on
  success, so a broken source notebook never deletes the committed release.
- ``ReleaseError`` turns nbgrader's logged tracebacks into one short message.
- ``stale_release_diff`` exists because ``release/`` is committed: students get
  whatever is there, so it must equal a fresh build of ``source/``.
- ``leaked_lines`` is a last line of defence that no solution or hidden-test
  line reached ``release/`` (e.g. through a hand edit).

Determinism: nbgrader's output depends only on the source (checksums are
MD5s of cell content, outputs and execution counts are cleared, cell ids are
copied), with one exception handled by the single post-step ``_fix_cell_ids``:
when an nbformat 4.5 source cell has no ``id``, nbformat invents a random one,
so those cells get an id derived from their position instead.
"""

from __future__ import annotations

import atexit
import difflib
import functools
import json
import logging
import re
import shutil
import tempfile
import textwrap
import warnings
from pathlib import Path

import nbformat
from nbformat.warnings import MissingIDFieldWarning
from nbgrader.api import Gradebook
from nbgrader.converters import GenerateAssignment
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config, PyFileConfigLoader

from ...common.paths import REPO_ROOT
from .tools import put_interpreter_tools_on_path

__all__ = [
    "ReleaseError",
    "release_assignment",
    "release_all",
    "stale_release_diff",
    "leaked_lines",
]

CONFIG_NAME = "nbgrader_config.py"
# Used when a course root has no config of its own (e.g. a synthetic test course).
DEFAULT_CONFIG = REPO_ROOT / CONFIG_NAME

# Lines too generic to count as a leak when they appear in a secret block.
_TRIVIAL = {"pass", "return", "return None", "None", "else:", "try:", "finally:",
            "break", "continue", "...", '"""', "'''"}
_ONLY_PUNCTUATION = re.compile(r"^[\s()\[\]{},.:;]*$")
# nbgrader's generic follow-up messages, which point at a traceback we do not print.
_BOILERPLATE = ("There was an error processing assignment", "Please see the")


class ReleaseError(RuntimeError):
    """nbgrader could not build the student version of an assignment."""


class _Records(logging.Handler):
    """Keeps nbgrader's log records so they can go into a ReleaseError."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        """nbgrader's ERROR messages, minus stack traces and its generic boilerplate."""
        messages = []
        for record in self.records:
            msg = record.getMessage().strip()
            if record.levelno < logging.ERROR or msg.startswith(_BOILERPLATE):
                continue
            if msg.startswith("Traceback"):
                msg = msg.splitlines()[-1]  # the exception itself, not the stack
            if msg not in messages:
                messages.append(msg)
        return messages


@functools.lru_cache(maxsize=1)
def _empty_gradebook() -> Path:
    """An empty, schema-stamped gradebook made once per process. Creating one makes
    nbgrader run the ``alembic`` executable (~2 s), so throwaway builds copy this."""
    put_interpreter_tools_on_path()
    folder = Path(tempfile.mkdtemp(prefix="gradebook-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # not one left per run
    Gradebook(f"sqlite:///{folder / 'gradebook.db'}").close()
    return folder / "gradebook.db"


def _load_config(course_root: Path) -> Config:
    path = course_root / CONFIG_NAME
    if not path.is_file():
        path = DEFAULT_CONFIG
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def _source_dir(course_root: Path, config: Config) -> Path:
    return course_root / config.CourseDirectory.get("source_directory", "source")


def release_assignment(name: str, course_root: Path, output_root: Path | None = None) -> list[Path]:
    """Write the student version of ``source/<name>`` and return its notebooks.

    Output goes to ``<course_root>/release/<name>`` (recording the assignment in
    ``<course_root>/gradebook.db``, which autograding needs for hidden tests), or
    to ``<output_root>/<name>`` with a throwaway gradebook when output_root is given.
    """
    course_root = Path(course_root).resolve()
    config = _load_config(course_root)
    if not (_source_dir(course_root, config) / name).is_dir():
        raise ReleaseError(f"no assignment {name!r} in {_source_dir(course_root, config)}")
    if output_root is None:
        final = course_root / config.CourseDirectory.get("release_directory", "release") / name
    else:
        final = Path(output_root).resolve() / name

    log = logging.getLogger(f"{__name__}.nbgrader")
    log.propagate = False  # quiet on success; errors are raised as ReleaseError
    log.setLevel(logging.INFO)
    handler = _Records()
    log.addHandler(handler)
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        config.CourseDirectory.root = str(course_root)
        config.CourseDirectory.release_directory = str(Path(tmp) / "release")
        db = course_root / "gradebook.db" if output_root is None else Path(tmp) / "gradebook.db"
        if not db.exists():
            shutil.copy(_empty_gradebook(), db)
        config.CourseDirectory.db_url = f"sqlite:///{db}"
        try:
            coursedir = CourseDirectory(config=config, log=log)
            coursedir.assignment_id = name
            converter = GenerateAssignment(coursedir=coursedir, config=config, log=log)
            converter.force = True
            with warnings.catch_warnings():
                # nbformat warns about id-less cells; _fix_cell_ids handles them.
                warnings.simplefilter("ignore", MissingIDFieldWarning)
                converter.start()
        except Exception as exc:
            details = handler.errors() or [f"{type(exc).__name__}: {exc}"]
            raise ReleaseError(f"nbgrader could not release {name!r}:\n"
                               + textwrap.indent("\n".join(details), "  ")) from None
        finally:
            log.removeHandler(handler)

        built = Path(tmp) / "release" / name
        for notebook in built.glob("*.ipynb"):
            _fix_cell_ids(_source_dir(course_root, config) / name / notebook.name, notebook)
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(built, final)
    return sorted(final.glob("*.ipynb"))


def _read(path: Path) -> nbformat.NotebookNode:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingIDFieldWarning)  # _fix_cell_ids's business
        return nbformat.read(path, as_version=4)


def _fix_cell_ids(source: Path, released: Path) -> None:
    """The one post-step: position-based ids where nbformat invented random ones."""
    source_cells = json.loads(source.read_text(encoding="utf-8"))["cells"]  # as the author wrote them
    nb = _read(released)
    if nb.nbformat_minor < 5 or all("id" in cell for cell in source_cells):
        return  # nbformat < 4.5 has no ids; otherwise nbgrader copied the source's ids
    if len(source_cells) != len(nb.cells):
        raise ReleaseError(f"{released.name}: nbgrader added or removed cells; cannot fix cell ids")
    for index, (source_cell, cell) in enumerate(zip(source_cells, nb.cells)):
        if "id" not in source_cell:
            cell["id"] = f"cell-{index}"
    nbformat.write(nb, released)


def release_all(course_root: Path, output_root: Path | None = None) -> list[Path]:
    """Release every assignment folder in ``source/`` that contains a notebook."""
    course_root = Path(course_root).resolve()
    source = _source_dir(course_root, _load_config(course_root))
    if not source.is_dir():
        raise ReleaseError(f"no source directory {source}")
    written: list[Path] = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        if not folder.name.startswith(".") and any(folder.glob("*.ipynb")):
            written += release_assignment(folder.name, course_root, output_root)
    return written


def stale_release_diff(name: str, course_root: Path) -> list[str]:
    """Rebuild ``name`` into a temp dir; describe how committed ``release/<name>`` differs."""
    course_root = Path(course_root).resolve()
    committed = course_root / _load_config(course_root).CourseDirectory.get(
        "release_directory", "release") / name
    with tempfile.TemporaryDirectory(prefix="fresh-") as tmp:
        release_assignment(name, course_root, Path(tmp))
        fresh = Path(tmp) / name
        if not committed.is_dir():
            return [f"release/{name}/ is missing"]
        fresh_files = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
        old_files = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()}
        problems = [f"release/{name}/{f} is missing" for f in sorted(fresh_files - old_files)]
        problems += [f"release/{name}/{f} is not produced by source/ (remove it)"
                     for f in sorted(old_files - fresh_files)]
        for f in sorted(fresh_files & old_files):
            new, old = (fresh / f).read_bytes(), (committed / f).read_bytes()
            if new != old:
                diff = difflib.unified_diff(
                    old.decode(errors="replace").splitlines(),
                    new.decode(errors="replace").splitlines(),
                    f"release/{name}/{f} (committed)", f"{f} (fresh build)", n=1, lineterm="")
                snippet = list(diff)[:20]
                problems.append(f"release/{name}/{f} differs from a fresh build:\n" + "\n".join(snippet))
        return problems


def _delimiters(config: Config) -> list[tuple[str, str]]:
    cs, ht = config.ClearSolutions, config.ClearHiddenTests
    return [
        (cs.get("begin_solution_delimeter", "BEGIN SOLUTION"), cs.get("end_solution_delimeter", "END SOLUTION")),
        (ht.get("begin_test_delimeter", "BEGIN HIDDEN TESTS"), ht.get("end_test_delimeter", "END HIDDEN TESTS")),
    ]


def _split_secret(cell, delimiters: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Split a source cell's stripped lines into (secret, public)."""
    lines = [line.strip() for line in cell.source.split("\n")]
    is_solution_cell = cell.get("metadata", {}).get("nbgrader", {}).get("solution", False)
    if is_solution_cell and not any(begin in line for begin, _ in delimiters for line in lines):
        return lines, []  # nbgrader replaces the whole cell with the stub
    secret, public, end = [], [], None
    for line in lines:
        begin = next((b for b, e in delimiters if b in line), None)
        if end is None and begin is not None:
            end = dict(delimiters)[begin]
        elif end is not None and end in line:
            end = None
        elif end is None:
            public.append(line)
        else:
            secret.append(line)
    return secret, public


def leaked_lines(name: str, course_root: Path) -> list[str]:
    """Solution/hidden-test lines of ``source/<name>`` that appear in ``release/<name>``."""
    course_root = Path(course_root).resolve()
    config = _load_config(course_root)
    delimiters = _delimiters(config)
    release = course_root / config.CourseDirectory.get("release_directory", "release") / name
    leaks = []
    for source_path in sorted((_source_dir(course_root, config) / name).glob("*.ipynb")):
        release_path = release / source_path.name
        if not release_path.is_file():
            continue  # nothing released, nothing leaked (stale_release_diff reports it)
        secret, public = {}, set()
        for index, cell in enumerate(_read(source_path).cells):
            cell_secret, cell_public = _split_secret(cell, delimiters)
            public.update(cell_public)
            for line in cell_secret:
                secret.setdefault(line, index)
        released = {line.strip()
                    for cell in _read(release_path).cells
                    for line in cell.source.split("\n")}
        for line, index in secret.items():
            if (line and line not in _TRIVIAL and not _ONLY_PUNCTUATION.match(line)
                    and line not in public and line in released):
                leaks.append(f"release/{name}/{release_path.name}: {line!r} "
                             f"(secret in source cell {index})")
    return leaks
