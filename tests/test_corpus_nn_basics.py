"""The nn-basics corpus (tests/corpus/nn_basics.py): correct-but-different answers get full
marks; each realistic mistake loses exactly the checks of the exercises it breaks, and a
failing check's message names the mistake.

One grading per notebook (the warm fork server makes each a fork, not a fresh TensorFlow
import); under xdist the notebooks spread over the workers. Marked slow.
"""

from __future__ import annotations

import pytest

from autograder.grading.grade import grade
from tests.corpus import nn_basics as corpus
from tests.corpus.checks_of import expand
from tests.fixtures import submissions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def solved():
    return submissions.solved_notebook()


def test_corpus_is_large_enough():
    assert len(corpus.CORRECT) >= 40 and len(corpus.MISTAKES) >= 40
    assert len({v.name for v in corpus.CORRECT + corpus.MISTAKES}) == \
        len(corpus.CORRECT) + len(corpus.MISTAKES)


@pytest.mark.parametrize("variant", corpus.CORRECT, ids=lambda v: v.name)
def test_correct_variant_gets_full_marks(write, solved, variant):
    result = grade(write(variant.name, variant.apply(solved)), "nn-basics")
    lost = [(t.test_id, t.output) for t in result.tests if t.status != "passed"]
    assert not lost and result.score == result.max_score, lost
    assert not result.internal_errors


@pytest.mark.parametrize("variant", corpus.MISTAKES, ids=lambda v: v.name)
def test_mistake_loses_exactly_its_checks_and_is_named(write, solved, variant):
    result = grade(write(variant.name, variant.apply(solved)), "nn-basics")
    failed = {t.test_id for t in result.tests if t.status != "passed"}
    expected = expand(variant.exercises, variant.checks)
    assert failed == expected, [(t.test_id, t.output) for t in result.tests
                                if t.test_id in failed ^ expected]
    lost = sum(t.max_score for t in result.tests if t.test_id in expected)
    assert result.score == pytest.approx(result.max_score - lost)
    outputs = [t.output for t in result.tests if t.test_id in expected]
    assert all(outputs), "a lost check without a message"
    assert any(variant.says in text for text in outputs), outputs
    for text in outputs:  # never TensorFlow internals
        assert "{{function_node" not in text and "[Op:" not in text, text
    assert not result.internal_errors


# Mistakes whose points an exercise's grader-side checks must take by themselves, without
# the notebook's test cell: that cell's report comes from the student's process, which can
# write "ok" for it. Each was found keeping points with every test cell made to pass.
WITHOUT_THE_TEST_CELLS = {
    "first-slices-directly": {"test_first_examples"},
    "perceptron-squeeze": {"test_perceptron"},
    "matmul-squeeze": {"test_matmul"},
    "logits-squeeze": {"test_linear_logits"},
    "train-squeeze": {"test_train_decreases_loss"},
    "ce-ten-classes-fixed": {"test_cross_entropy"},
    "train-fixed-alpha": {"test_train_reference_trajectory"},
    "train-uses-the-notebook-data": {"test_train_reference_trajectory",
                                     "test_train_decreases_loss"},
    "train-from-init-mlp": {"test_train_reference_trajectory", "test_train_decreases_loss"},
}


@pytest.fixture(scope="module")
def without_test_cells(tmp_path_factory):
    """nn-basics graded as if every test cell reported success: no instructor cells run,
    and the student's copies are empty."""
    import shutil
    from dataclasses import replace

    from autograder.grading.assignment import get_assignment
    from autograder.grading.test_cells import FILE_NAME

    shipped = get_assignment("nn-basics")
    folder = tmp_path_factory.mktemp("no-cells") / "nn_basics"
    shutil.copytree(shipped.tests_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / FILE_NAME).unlink()
    return replace(shipped, tests_dir=folder)


@pytest.mark.parametrize("name", sorted(WITHOUT_THE_TEST_CELLS))
def test_the_grader_alone_takes_the_points_of_a_mistake(write, solved, without_test_cells,
                                                        name):
    variant = next(v for v in corpus.MISTAKES if v.name == name)
    notebook = variant.apply(solved)
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source = "pass"
    result = grade(write("no-cells-" + name, notebook), without_test_cells)
    failed = {t.test_id for t in result.tests if t.status != "passed"}
    assert WITHOUT_THE_TEST_CELLS[name] <= failed, [(t.test_id, t.output) for t in result.tests]
    assert not result.internal_errors
