"""Fashion-MNIST: one source of truth for points, and a corpus graded end to end.

* The contract table, the notebook's grade cells (nbgrader points) and the grading suite's
  ``points`` markers must agree, check by check and in total (parsed from the source
  notebook and read from the suite's markers, never from a grading run).
* The corpus (tests/fixtures/fashion_submissions.py: correct-but-different answers,
  realistic mistakes and attacks) is graded once per session, in one batch on the shipped small
  subset, in one test (a session fixture would be graded once per xdist worker): every
  correct answer earns full marks, every mistake fails exactly the checks
  it lists, with a message that names the mistake.
"""

from __future__ import annotations

import ast
import re

import nbformat
import numpy as np
import pytest

from autograder.assignments.fashion_mnist.scoring import RETRAIN_ACCURACY, TEST_ACCURACY
from autograder.batch.run import grade_batch
from autograder.grading import test_cells
from autograder.grading.assignment import get_assignment
from autograder.grading.results import GradeResult
from autograder.outputs.class_folder import stored_result
from tests.fixtures import fashion_submissions as fs
from tests.fixtures.submissions import write_notebooks

ASSIGNMENT = "fashion-mnist-small"


SUITE = fs.REPO / "autograder" / "assignments" / "fashion_mnist" / "test_fashion_mnist.py"
TREE = ast.parse(SUITE.read_text())  # read, not imported: its markers belong to the grader


def _markers() -> dict[str, tuple[float, str]]:
    """``{test function: (points, grade cell)}`` from the suite's ``@points(n, cell)``."""
    out = {}
    for node in TREE.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "points":
                    n, cell = (ast.literal_eval(a) for a in deco.args)
                    out[node.name] = (float(n), cell)
    return out


def _suite_points() -> dict[str, float]:
    return {name: n for name, (n, _) in _markers().items()}


def _check_names() -> dict[str, str]:
    """``{test function: the check's name as results show it}`` (its docstring's first line)."""
    return {node.name: ast.get_docstring(node).splitlines()[0] for node in TREE.body
            if isinstance(node, ast.FunctionDef) and node.name in _suite_points()}


def _grade_cells() -> dict[str, str]:
    """``{grade cell: the one check behind it}``."""
    cells = {}
    for name, (_, cell) in _markers().items():
        assert cell not in cells, f"{cell} has two checks: {cells[cell]} and {name}"
        cells[cell] = name
    return cells


def _cell_points(path) -> dict[str, float]:
    notebook = nbformat.read(path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
            for c in notebook.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")}


def _contract(path):
    text = nbformat.read(path, as_version=4).cells[0].source
    rows = re.findall(r"^\| `(test-[a-z-]+)` \|.*\| (\d+) \|$", text, re.M)
    total = re.search(r"Points \((\d+) in total[);]", text)
    return {cell: float(p) for cell, p in rows}, float(total.group(1))


@pytest.mark.parametrize("notebook", [fs.SOURCE, fs.RELEASE], ids=["source", "release"])
def test_contract_cells_and_checks_award_the_same_points(notebook):
    checks, cells = _suite_points(), _cell_points(notebook)
    table, total = _contract(notebook)
    assert set(_grade_cells().values()) == set(checks), "every check belongs to a cell"
    assert set(_grade_cells()) == set(cells) == set(table), "every cell is in the contract"
    for cell, check in _grade_cells().items():
        assert cells[cell] == checks[check] == table[cell], (cell, cells[cell], checks[check],
                                                              table[cell])
    assert sum(cells.values()) == sum(checks.values()) == total


def test_every_contract_function_is_graded():
    text = nbformat.read(fs.SOURCE, as_version=4).cells[0].source
    functions = set(re.findall(r"^\| `(\w+)\(", text, re.M))
    source = SUITE.read_text()
    called = set(re.findall(r'student\.call\("(\w+)"', source))
    assert functions == called, (functions, called)


def test_extracted_test_cells_match_the_source_notebook():
    stored = test_cells.load(SUITE.parent)
    assert stored == test_cells.extract(fs.SOURCE), \
        "run: python -c \"from autograder.grading import test_cells; test_cells.write(" \
        "'source/fashion-mnist/fashion-mnist.ipynb', 'autograder/assignments/fashion_mnist')\""
    assert set(stored) == set(_grade_cells()), "every grade cell has its check and no more"


def _image_of(labels) -> np.ndarray:
    """One constant image per label, its pixels the label: scrambling pixels keeps it."""
    return np.repeat(np.asarray(labels, np.uint8), 28 * 28).reshape(-1, 28, 28)


class _ModelAtAccuracy:
    """Stand-ins for the notebook's functions: ``train`` learns which pixel value is which
    class id (the retrain cell relabels the classes) and stores it in ``params``; the model
    answers right on ``accuracy`` of the images and one class off on the rest."""

    def __init__(self, accuracy: float, notebook: dict):
        self.accuracy, self.notebook = accuracy, notebook
        notebook.update(train=self.train, predict=self.predict, preprocess=self.preprocess,
                        forward=self.forward, params=np.arange(10))

    def train(self, images, labels, epochs, seed=0):
        classes = np.zeros(10, np.int64)
        classes[np.asarray(images)[:, 0, 0]] = labels
        self.notebook["params"] = classes
        return np.linspace(2.0, 1.0, epochs)

    @staticmethod
    def preprocess(images):
        return np.asarray(images).reshape(len(images), -1).astype(np.float32)

    def forward(self, X, params):
        right = params[X[:, 0].astype(np.int64)]
        wrong = round((1 - self.accuracy) * len(right))
        answer = np.concatenate([(right[:wrong] + 1) % 10, right[wrong:]])
        return np.eye(10, dtype=np.float32)[answer]

    def predict(self, images):
        return np.argmax(self.forward(self.preprocess(images), self.notebook["params"]), axis=1)


def _run_test_cell(cell_id: str, accuracy: float, n_train: int, n_val: int) -> bool:
    """Whether the instructor's test cell (hidden asserts included) passes for a model at
    ``accuracy``."""
    labels = np.random.default_rng(0)
    y_train, y_val = labels.integers(0, 10, n_train), labels.integers(0, 10, n_val)
    names = {"np": np, "X_train": _image_of(y_train), "y_train": y_train.astype(np.uint8),
             "X_val": _image_of(y_val), "y_val": y_val.astype(np.uint8)}
    _ModelAtAccuracy(accuracy, names)
    try:
        exec(test_cells.load(SUITE.parent)[cell_id]["source"], names)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("data_set, n_train, n_val", [("fashion-mnist", 49_000, 5_000),
                                                      ("fashion-mnist-small", 3_000, 500)])
def test_a_test_cell_never_takes_away_credit_the_schedule_gives(data_set, n_train, n_val):
    """A failing test cell zeroes its checks (the ceiling), so its asserts may fail only
    where the suite's schedule gives nothing: the notebook's promise of partial credit and
    the grade are one thing. Both accuracy cells pass from just above the zero threshold
    and fail below it."""
    for cell_id, schedule in (("test-accuracy", TEST_ACCURACY[data_set]),
                              ("test-retrain", RETRAIN_ACCURACY)):
        for accuracy in (schedule.zero_below + 0.01, (schedule.zero_below + schedule.full_at) / 2,
                         schedule.full_at, 0.95):
            assert schedule.credit(accuracy) > 0
            assert _run_test_cell(cell_id, accuracy, n_train, n_val), \
                (cell_id, data_set, accuracy)
        below = schedule.zero_below - 0.02
        assert schedule.credit(below) == 0
        assert not _run_test_cell(cell_id, below, n_train, n_val), \
            (cell_id, data_set, "passes where the schedule gives nothing")


# --- the corpus -----------------------------------------------------------------------------


def _by_function(result: GradeResult) -> dict:
    """Checks by suite function (stored results keep the check's name, not its id)."""
    names = {name: function for function, name in _check_names().items()}
    return {names[t.name]: t for t in result.tests}


def _failing(result: GradeResult) -> set[str]:
    return {f for f, t in _by_function(result).items() if t.score < t.max_score}


def _explain(result: GradeResult) -> list:
    return [(f, t.score, t.output[:300]) for f, t in _by_function(result).items()] \
        + result.notes[:5]


def _correct_problems(corpus, name) -> list:
    result = corpus["ok-" + name]
    if result.score == result.max_score == 15 and not result.internal_errors:
        return []
    return [f"ok-{name}: {result.score}/{result.max_score}", _explain(result)]


def _mistake_problems(corpus, name) -> list:
    """What is wrong with a mistake's (or an attack's) grade: empty when it is right."""
    if name.startswith("attack-"):
        _, breaks, phrase = fs.ATTACKS[name[len("attack-"):]]
        result = corpus[name]
    else:
        _, breaks, phrase = fs.MISTAKES[name]
        result = corpus["bad-" + name]
    weakened = fs.WEAKENED.get(name, set())
    problems = []
    if not breaks <= _failing(result) <= breaks | weakened:
        problems.append(f"fails {sorted(_failing(result))}, expected {sorted(breaks)}")
    for function, test in _by_function(result).items():
        if function in breaks and function not in weakened and test.score != 0:
            problems.append(f"{function} kept {test.score} points")
        elif function not in breaks | weakened and test.score != test.max_score:
            problems.append(f"{function} lost points")
    messages = " ".join(t.output for f, t in _by_function(result).items() if f in breaks)
    if phrase not in messages:
        problems.append(f"no message names the mistake ({phrase!r})")
    if result.internal_errors:
        problems.append("internal errors")
    return [name, problems, _explain(result)] if problems else []


@pytest.mark.slow
def test_corpus_correct_answers_full_marks_mistakes_exactly_their_checks(tmp_path):
    """One test, so the corpus is graded once (one batch, two at a time) even under xdist."""
    write_notebooks({**fs.corpus_notebooks(), **fs.attack_notebooks()}, tmp_path / "in")
    report = grade_batch(tmp_path / "in", get_assignment(ASSIGNMENT), tmp_path / "out",
                         workers=2, quiet=True)
    corpus = {o.student: stored_result(tmp_path / "out", o.student) for o in report.outcomes}
    assert len(fs.CORRECT) >= 10 and len(fs.MISTAKES) >= 10
    problems = [p for name in sorted(fs.CORRECT) for p in _correct_problems(corpus, name)]
    problems += [p for name in sorted(fs.MISTAKES) + [f"attack-{a}" for a in fs.ATTACKS]
                 for p in _mistake_problems(corpus, name)]
    assert not problems, problems
