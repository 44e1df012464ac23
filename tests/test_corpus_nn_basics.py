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
