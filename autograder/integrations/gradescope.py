"""Gradescope: the autograder zip, and the entry point it runs for each submission.

Gradescope's contract (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
the zip has ``setup.sh`` and ``run_autograder`` at its root and is unpacked into
``/autograder/source``; ``setup.sh`` installs dependencies once, when the image is built;
``run_autograder`` runs for each submission with ``/autograder`` as working directory and
the student's files in ``/autograder/submission``, and must write
``/autograder/results/results.json``. Students see only the JSON's ``output`` fields
(stdout is for instructors). Each check keeps its suite's visibility: the hidden ones
are marked ``after_published``, so students see them once grades are published.

The zip holds this grader package with only the bundled assignment's grading suite,
the grader-runtime lock (``requirements-grader.lock``, as the zip's ``requirements.lock``:
what grading needs, not the course tooling), and the assignment's data set if it names one. A grader error
writes no results.json, so Gradescope shows the run as failed (and it can be rerun)
instead of recording a wrong zero.
"""

from __future__ import annotations

import os
import re
import sys
import zipfile
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..common.paths import PACKAGE_DIR, REPO_ROOT
from ..grading.assignment import ASSIGNMENTS, Assignment, get_assignment

TEMPLATES = Path(__file__).resolve().parent / "templates" / "gradescope"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # same inputs, same zip bytes
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _package_files(assignment: Assignment) -> list[Path]:
    """The grader's files, minus caches and other assignments' grading suites."""
    suites = {Path(a.tests_dir).resolve() for a in ASSIGNMENTS.values()}
    keep = Path(assignment.tests_dir).resolve()
    files = []
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        if any(path.resolve().is_relative_to(s) for s in suites - {keep}):
            continue
        files.append(path)
    return files


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
    info.external_attr = (0o100000 | mode) << 16  # regular file with these permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build_bundle(name: str, out: Path) -> Path:
    """Write the Gradescope autograder zip for assignment ``name`` to ``out``."""
    assignment = get_assignment(name)
    if not _SAFE_NAME.match(assignment.name):
        raise ValueError(f"assignment name {assignment.name!r} cannot go into a shell script")
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      keep_trailing_newline=True, autoescape=False)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w") as bundle:
            for script in ("setup.sh", "run_autograder"):
                text = env.get_template(script).render(assignment=assignment.name)
                bundle.writestr(_entry(script, 0o755), text)
            bundle.writestr(_entry("requirements.lock", 0o644),
                            (REPO_ROOT / "requirements-grader.lock").read_bytes())
            for path in _package_files(assignment):
                mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
                name = f"autograder/{path.relative_to(PACKAGE_DIR).as_posix()}"
                bundle.writestr(_entry(name, mode), path.read_bytes())
            if assignment.dataset:
                from ..grading import datasets

                folder = datasets.locate(assignment.dataset)
                for data_file in datasets.FILES:
                    bundle.writestr(_entry(f"data/{assignment.dataset}/{data_file}", 0o644),
                                    (folder / data_file).read_bytes())
    except BaseException:  # e.g. the data set is missing: leave nothing behind
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return out


def close_the_graders_files(root: Path) -> None:
    """Make ``<root>/source/autograder`` (hidden tests, reference maths, solutions) the
    grader's alone. The zip unpacks it readable by all, and Gradescope's container is the
    ``setuid`` rung, where the student's process runs under another uid on the real file
    system: a red team read the hidden test cells there and raised them as a visible
    check's message. The data set and the Python installation, which the student's process
    needs, stay readable."""
    package = Path(root) / "source" / "autograder"
    if package.is_dir() and not package.is_symlink() and os.geteuid() == 0:
        os.chown(package, 0, 0)
        os.chmod(package, 0o700)


def _no_notebook_result(message: str) -> dict:
    return {"score": 0.0, "output": message, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": []}


def run(name: str, root: Path) -> None:
    """Grade ``<root>/submission`` and write ``<root>/results/results.json``.

    Raises :class:`GraderError` (and writes nothing) when no trustworthy score exists."""
    import json

    from ..batch.submissions import pick_notebook
    from ..common.files import write_atomically
    from ..grading.grade import grade
    from ..outputs.terminal import print_result

    from ..grading.grade import GraderError
    from ..sandbox import rungs

    assignment = get_assignment(name)
    root = Path(root)
    results = root / "results" / "results.json"
    # never on a rung where the student could forge results.json or kill this process
    rung = rungs.detect()
    try:
        rungs.require_safe(rung, allow_unsafe=False, outputs=[results])
    except rungs.UnsafeRung as exc:
        raise GraderError(str(exc)) from None
    print(f"sandbox rung: {rungs.describe(rung)}")
    close_the_graders_files(root)
    notebook, problem = pick_notebook(root / "submission", assignment.name)
    if notebook is None:
        write_atomically(results, json.dumps(_no_notebook_result(
            f"{problem}. Submit your notebook as {assignment.name}.ipynb.")) + "\n")
        print(problem)
        return
    result = grade(notebook, assignment)
    result.extra["sandbox_rung"] = rung
    # only visible checks' numbers leave the grader (a hidden check's may hold answers)
    data = result.to_gradescope(visible_artifacts_only=True)
    write_atomically(results, json.dumps(data, indent=1) + "\n")
    print_result(result)  # instructors read this in Gradescope's stdout box
    for problem in result.internal_errors:
        print(problem, file=sys.stdout)
