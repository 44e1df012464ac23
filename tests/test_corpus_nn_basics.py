"""The nn-basics corpus (tests/corpus/nn_basics.py): correct-but-different answers get full
marks; each realistic mistake loses exactly the checks of the exercises it breaks, and a
failing check's message names the mistake.

Entries that cannot see each other are graded in one notebook (tests/corpus/packs.py: 428
entries, tests/corpus/nn_basics_probe3.py's included, in some 100 gradings); a pack that
does not grade exactly as its entries predict together is graded entry by entry, so each
entry is held to the same test as alone. A
pack's entries share an xdist group, so one worker grades it once. Marked slow.
"""

from __future__ import annotations

import warnings

import pytest

from autograder.grading.grade import grade
from tests.corpus import nn_basics as corpus
from tests.corpus import nn_basics_probe3 as probe3
from tests.corpus import packs
from tests.corpus.checks_of import expand
from tests.fixtures import submissions

pytestmark = pytest.mark.slow


def _solution_cells() -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: c.source
            for c in submissions.solved_notebook().cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


# every entry, the fairness probe's of 2026-12-05 included
CORRECT = corpus.CORRECT + probe3.CORRECT3
MISTAKES = corpus.MISTAKES + probe3.MISTAKES3 + probe3.INTERACTIONS3
CORRECT_PACKS = packs.pack(CORRECT, _solution_cells(), lost=lambda v: frozenset())
MISTAKE_PACKS = packs.pack(MISTAKES, _solution_cells())
PACK_OF = {v.name: (f"correct-{i}", members) for i, members in enumerate(CORRECT_PACKS)
           for v in members}
PACK_OF.update({v.name: (f"mistakes-{i}", members) for i, members in enumerate(MISTAKE_PACKS)
                for v in members})


@pytest.fixture(scope="module")
def solved():
    return submissions.solved_notebook()


def test_corpus_is_large_enough():
    assert len(CORRECT) >= 40 and len(MISTAKES) >= 40
    assert len({v.name for v in CORRECT + MISTAKES}) == len(CORRECT) + len(MISTAKES)


def failed(result) -> set[str]:
    return {t.test_id for t in result.tests if t.status != "passed"}


def full_marks_problems(result) -> list:
    lost = [(t.test_id, t.output) for t in result.tests if t.status != "passed"]
    return lost + result.internal_errors if lost or result.score != result.max_score \
        or result.internal_errors else []


def mistake_problems(result, variant, also_lost=frozenset()) -> list:
    """What is wrong with ``result`` for ``variant`` (empty when right); ``also_lost``:
    the checks its pack's other entries lose, which are theirs to explain."""
    expected = expand(variant.exercises, variant.checks)
    problems = []
    if failed(result) != expected | also_lost:
        problems.append([(t.test_id, t.output[:300]) for t in result.tests
                         if t.test_id in failed(result) ^ (expected | also_lost)])
    lost = sum(t.max_score for t in result.tests if t.test_id in expected | also_lost)
    if result.score != pytest.approx(result.max_score - lost):
        problems.append(f"score {result.score} of {result.max_score}, {lost} lost expected")
    outputs = [t.output for t in result.tests if t.test_id in expected]
    if not all(outputs):
        problems.append("a lost check without a message")
    if not any(variant.says in text for text in outputs):
        problems.append(f"no message names the mistake ({variant.says!r}): {outputs}")
    problems += [text for text in outputs  # never TensorFlow internals
                 if "{{function_node" in text or "[Op:" in text]
    return problems + list(result.internal_errors)


_GRADED: dict[str, object] = {}


def result_for(variant, write, solved):
    """The grading that judges ``variant``: its pack's, where the pack graded as its entries
    predict together, else its own."""
    key, members = PACK_OF[variant.name]
    if key not in _GRADED:
        result = grade(write(key, packs.combined(members, solved)), "nn-basics")
        if key.startswith("correct"):
            stands = not full_marks_problems(result)
        else:
            lost = frozenset().union(*(expand(m.exercises, m.checks) for m in members))
            stands = all(not mistake_problems(result, m, lost - expand(m.exercises, m.checks))
                         for m in members)
        _GRADED[key] = result if stands or len(members) == 1 else None
        if _GRADED[key] is None:
            warnings.warn(f"pack {key} ({len(members)} entries) did not grade as its "
                          "entries predict together: each is graded alone")
    result = _GRADED[key]
    if result is None:
        result = grade(write(variant.name, variant.apply(solved)), "nn-basics")
        return result, frozenset()
    if key.startswith("correct") or len(members) == 1:
        return result, frozenset()
    lost = frozenset().union(*(expand(m.exercises, m.checks) for m in members))
    return result, lost - expand(variant.exercises, variant.checks)


def _grouped(variants):
    return [pytest.param(v, id=v.name, marks=pytest.mark.xdist_group(PACK_OF[v.name][0]))
            for v in variants]


@pytest.mark.parametrize("variant", _grouped(CORRECT))
def test_correct_variant_gets_full_marks(write, solved, variant):
    result, _ = result_for(variant, write, solved)
    assert not full_marks_problems(result), full_marks_problems(result)


@pytest.mark.parametrize("variant", _grouped(MISTAKES))
def test_mistake_loses_exactly_its_checks_and_is_named(write, solved, variant):
    result, others = result_for(variant, write, solved)
    assert not mistake_problems(result, variant, others), mistake_problems(result, variant,
                                                                           others)


def test_packs_keep_entries_apart():
    """Packed entries share no answer cell and no name, use none of each other's names, and
    (mistakes) lose no check in common; each entry is in exactly one pack."""
    solution = _solution_cells()
    for members in CORRECT_PACKS + MISTAKE_PACKS:
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                assert packs.compatible(a, b, solution), (a.name, b.name)
                assert not set(a.cells) & set(b.cells), (a.name, b.name)
    assert sorted(v.name for m in CORRECT_PACKS + MISTAKE_PACKS for v in m) == \
        sorted(v.name for v in CORRECT + MISTAKES)
    assert len(CORRECT_PACKS + MISTAKE_PACKS) < 100


def test_the_packing_rules_part_what_could_meet():
    """Each rule, on entries made to break it."""
    from tests.corpus.nn_basics import Variant

    solution = _solution_cells()
    numpy_softmax = Variant("a", {"softmax": "def softmax(z):\n    return np.exp(z)"})
    compiled_forward = Variant("b", {"mlp-forward": "@tf.function\ndef mlp_forward(X, p):\n"
                                     "    return softmax(X)"})
    raises = Variant("c", {"dot": "np.seterr(all='raise')\ndef dot(a, b):\n    return a @ b"})
    helper = Variant("d", {"matmul": "def step():\n    pass\ndef matmul(a, b):\n    return a @ b"})
    helper_too = Variant("e", {"perceptron": "def step():\n    return 1\n"
                               "def perceptron(x, w, b):\n    return x @ w + b"})
    numpy_again = Variant("f", {"one-hot": "import numpy as np\ndef one_hot(t, k):\n"
                                "    return np.eye(k)[t]"})
    other_np = Variant("g", {"linear-logits": "import tensorflow.experimental.numpy as np\n"
                             "def linear_logits(X, W, b):\n    return np.matmul(X, W) + b"})
    assert not packs.compatible(numpy_softmax, compiled_forward, solution)  # uses its name
    assert not packs.compatible(raises, numpy_again, solution)  # a top-level call
    assert not packs.compatible(helper, helper_too, solution)  # the same helper
    assert not packs.compatible(numpy_again, other_np, solution)  # np rebound
    assert not packs.compatible(numpy_softmax, numpy_softmax, solution)  # one cell
    assert packs.compatible(numpy_again, helper, solution)
    assert packs.compatible(numpy_softmax, helper_too, solution)
    # a tape's None gradient is traced by calling cross_entropy, loss and mlp_loss
    numpy_loss = Variant("h", {"loss": "def loss(X, t, W, b):\n    return np.matmul(X, W)"},
                         frozenset({"loss", "tape_gradients"}))
    numpy_ce = Variant("i", {"cross-entropy": "def cross_entropy(t, z):\n    return -z"},
                       frozenset({"cross_entropy"}))
    assert not packs.compatible(numpy_loss, numpy_ce, solution)
    assert not packs.compatible(numpy_ce, numpy_loss, solution)
    assert packs.compatible(numpy_ce, helper, solution)
