"""The Gradescope autograder zip, unpacked into a simulated /autograder tree and run.

Gradescope's contract (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
setup.sh and run_autograder at the zip's root, the zip unpacked into /autograder/source,
run_autograder copied to /autograder/run_autograder and run from /autograder, the
submission in /autograder/submission, the score in /autograder/results/results.json.
setup.sh (apt-get, pip) is not run here: the test's interpreter plays the venv it makes.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import cli
from autograder.grading.results import GradeResult
from tests.fixtures import submissions

REPO = Path(__file__).resolve().parent.parent
SUITE = REPO / "autograder" / "assignments" / "nn_basics" / "test_nn_basics.py"


def visibilities(path: Path) -> dict[str, str]:
    """Check name -> the visibility its points marker declares (read from the source)."""
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            marker = next(d for d in node.decorator_list if isinstance(d, ast.Call))
            visibility = "visible"
            for keyword in marker.keywords:
                if keyword.arg == "visibility":
                    value = keyword.value
                    visibility = value.value if isinstance(value, ast.Constant) else \
                        {"HIDDEN": "after_published"}[value.id]
            found[ast.get_docstring(node).splitlines()[0]] = visibility
    return found


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "nn-basics.zip"
    assert cli.main(["gradescope-bundle", "nn-basics", "--out", str(out)]) == cli.EXIT_OK
    return out


def unpack(bundle: Path, root: Path) -> Path:
    """What Gradescope's image build does with the zip."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # extractall drops permission bits
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(root / "source" / info.filename, mode)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    return root


def run_autograder(root: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    return subprocess.run([str(root / "run_autograder")], cwd=root, env=env, text=True,
                          capture_output=True, timeout=600)


def test_bundle_layout(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        assert archive.read("run_autograder").startswith(b"#!")
    assert {"setup.sh", "run_autograder", "requirements.lock",
            "autograder/__main__.py", "autograder/grading/pytest.ini",
            "autograder/assignments/nn_basics/test_nn_basics.py"} <= names
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert not any("__pycache__" in n for n in names)
    other_suites = [n for n in names if n.startswith("autograder/assignments/")
                    and n.count("/") > 2 and "/nn_basics/" not in n]
    assert other_suites == [], "another assignment's grading suite was bundled"
    again = tmp_path / "again.zip"
    assert cli.main(["gradescope-bundle", "nn-basics", "--out", str(again)]) == cli.EXIT_OK
    assert again.read_bytes() == bundle.read_bytes(), "bundles are not reproducible"


@pytest.mark.slow
def test_run_autograder_round_trip(bundle, tmp_path):
    root = unpack(bundle, tmp_path / "autograder")
    nbformat.write(submissions.solved_notebook(), root / "submission" / "my-homework.ipynb")
    done = run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == data["max_score"] > 0
    expected = visibilities(SUITE)
    assert {t["name"]: t["visibility"] for t in data["tests"]} == expected
    assert "after_published" in expected.values()
    for test in data["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
    assert GradeResult.from_gradescope(data).score == data["score"]
    artifacts = data["extra_data"].get("artifacts", {})
    assert artifacts and all(expected[name] == "visible" for name in artifacts)
    assert "total" in done.stdout  # the instructor's view in Gradescope's stdout box
    # the grader's package (hidden tests, reference) unpacks readable by all: grading as
    # root closes it to the student's uid (on Gradescope's setuid rung, the real disk)
    if os.geteuid() == 0:
        package = root / "source" / "autograder"
        assert stat.S_IMODE(package.stat().st_mode) == 0o700 and package.stat().st_uid == 0


def test_run_autograder_without_a_notebook_explains_and_scores_zero(bundle, tmp_path):
    root = unpack(bundle, tmp_path / "autograder")
    (root / "submission" / "notes.txt").write_text("forgot the notebook")
    done = run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0
    assert "no notebook" in data["output"] and "nn-basics.ipynb" in data["output"]


def test_run_autograder_with_ambiguous_notebooks_says_which_name_to_use(bundle, tmp_path):
    root = unpack(bundle, tmp_path / "autograder")
    for name in ("a.ipynb", "b.ipynb"):
        nbformat.write(submissions.blank_notebook(), root / "submission" / name)
    done = run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and "nn-basics.ipynb" in data["output"]


def test_unknown_assignment_is_a_usage_error(tmp_path):
    assert cli.main(["gradescope-bundle", "no-such", "--out", str(tmp_path / "x.zip")]) \
        == cli.EXIT_USAGE
    assert not (tmp_path / "x.zip").exists()


def test_bundle_carries_the_data_set_where_its_grader_finds_it(tmp_path):
    from autograder.grading import datasets

    try:
        original = datasets.locate(datasets.SMALL)
    except datasets.DatasetNotFound as exc:
        pytest.skip(str(exc))
    out = tmp_path / "fashion.zip"
    assert cli.main(["gradescope-bundle", "fashion-mnist-small", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        for name in datasets.FILES:
            assert archive.read(f"data/fashion-mnist-small/{name}") == \
                (original / name).read_bytes()
        assert not any("/nn_basics/" in n for n in archive.namelist())
    root = unpack(out, tmp_path / "autograder")
    assert run_autograder(root).returncode == 0  # no notebook: links the data, scores 0
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(root / "source")
    found = subprocess.run([sys.executable, "-c", "from autograder.grading import datasets; "
                            "print(datasets.locate(datasets.SMALL))"], cwd=root / "source",
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(found) == root / "shared" / "data" / "fashion-mnist-small"


def _pins(path: Path) -> dict[str, str]:
    """name (normalised) -> version, for the ``name==version`` lines of a requirements file."""
    import re

    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


def test_the_bundle_installs_the_smaller_grader_lock(bundle):
    """The grader lock is requirements.lock's versions for what grading needs; the bundle
    ships it (not the course tooling: jupyterlab, dask, nbgrader). That it resolves for
    each supported Python is checked against PyPI by scripts/grader_lock.py check (CI)."""
    grader, full = _pins(REPO / "requirements-grader.lock"), _pins(REPO / "requirements.lock")
    wanted = _pins(REPO / "requirements-grader.in")
    assert wanted.items() <= grader.items(), "a direct grader dependency is not locked"
    assert {n: v for n, v in grader.items() if n in full} == \
        {n: full[n] for n in grader if n in full}, "the grader lock disagrees with requirements.lock"
    # tomli: Python 3.10 only; setuptools and wheel: required by TensorFlow's dependencies,
    # left out of requirements.lock by pip freeze
    assert set(grader) - set(full) <= {"tomli", "setuptools", "wheel"}
    assert not {"jupyterlab", "dask", "distributed", "nbgrader"} & set(grader)
    assert len(grader) < 0.6 * len(full)
    with zipfile.ZipFile(bundle) as archive:
        assert archive.read("requirements.lock") == \
            (REPO / "requirements-grader.lock").read_bytes()
