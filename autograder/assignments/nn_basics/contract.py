"""The one declaration of what nn-basics grades: per exercise, its nbgrader test cell, its
points, the APIs it must not call and the kind of object it must return.

Everything else is checked against this table by ``tests/test_contract_nn_basics.py``:
the notebook's contract table names exactly these functions and states these rules, each
test cell carries these points (and the "Points" table lists them), and the grading suite's
checks for an exercise (``@points(n, exercise=...)``) add up to them. An instructor adding
an exercise adds a row here first; the test then says what else is missing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    name: str  # the function (or variable) the student defines
    points: int  # = the nbgrader points of its test cell = the sum of its checks
    forbidden: tuple[str, ...] = ()  # canonical dotted APIs (tf..., keras...), or prefixes
    returns: tuple[str, ...] = ()  # kinds allowed for the returned object (empty: any)
    # refused in the student's process while the function is probed, however it is reached
    # (an alias, tf.raw_ops, tf.compat, an internal module): TensorFlow op types
    # ("op:Softmax") and gradient tapes ("tape")
    refused_at_run_time: tuple[str, ...] = ()
    # APIs the function must go through, read in its source by the grader (the test cell
    # also watches the call; its report comes from the student's process, this does not)
    required: tuple[str, ...] = ()

    @property
    def test_cell(self) -> str:
        return "test-" + self.name.replace("_", "-").lower()


# Other machine-learning libraries' models, losses and metrics, whole packages: none of them
# belongs in softmax, cross_entropy or manual_gradients, and no list of their functions is
# complete (the tenth red team took softmax and cross-entropy from sklearn._loss, and exact
# gradients from sklearn's LinearModelLoss). scikit-learn's data tools (datasets,
# preprocessing: a one_hot built with OneHotEncoder, which manual_gradients may call) are not
# among them. The sandbox also watches these packages' code run during those probes.
OTHER_LIBRARIES = ("sklearn._loss", "sklearn.linear_model", "sklearn.neural_network",
                   "sklearn.utils.extmath", "sklearn.metrics", "torch", "jax")
# ... of which those that compute a linear model's gradients, for manual_gradients: it may
# call the student's softmax, whose own rule (not this one) judges a library softmax there
GRADIENT_LIBRARIES = ("sklearn._loss", "sklearn.linear_model", "torch", "jax")
SOFTMAX_APIS = ("tf.nn.softmax", "tf.math.softmax", "tf.nn.log_softmax",
                "tf.math.log_softmax", "keras.activations.softmax", "keras.ops.softmax",
                "keras.layers.Softmax", "tf.compat.v1.nn.softmax",
                # another library's softmax is no more the exercise than TensorFlow's
                "scipy.special.softmax", "scipy.special.log_softmax",
                "sklearn.neural_network._base.inplace_softmax", "tf.sparse.softmax",
                *OTHER_LIBRARIES,
                # a cross-entropy op's gradient output is the softmax itself
                "tf.nn.softmax_cross_entropy_with_logits",
                "tf.nn.sparse_softmax_cross_entropy_with_logits")
CROSS_ENTROPY_APIS = ("tf.nn.softmax_cross_entropy_with_logits",
                      "tf.nn.sparse_softmax_cross_entropy_with_logits",
                      "tf.compat.v1.nn.softmax_cross_entropy_with_logits",
                      "tf.compat.v1.losses", "keras.losses", "keras.metrics",
                      "scipy.special.log_softmax", *OTHER_LIBRARIES)
TAPE_APIS = ("tf.GradientTape", "tf.autodiff.GradientTape", "tf.gradients",
             "tf.compat.v1.gradients", "tf.compat.v1.GradientTape", "tf.custom_gradient",
             *GRADIENT_LIBRARIES)  # a library's gradient is not derived by hand

EXERCISES = (
    Exercise("list_device_types", 1),
    Exercise("make_scalar", 1, returns=("tf.Tensor", "tf.Variable")),
    Exercise("dot", 1),
    Exercise("matmul", 1),
    Exercise("load_diabetes_tensor", 1, returns=("tf.Tensor", "tf.Variable")),
    Exercise("first_examples", 1, returns=("ndarray",),
             required=("tf.data.Dataset.from_tensor_slices",)),
    Exercise("perceptron", 1),
    Exercise("linear_logits", 1),
    Exercise("softmax", 3, forbidden=SOFTMAX_APIS,
             refused_at_run_time=("op:Softmax", "op:LogSoftmax", "op:SparseSoftmax",
                                  "op:SoftmaxCrossEntropyWithLogits",
                                  "op:SparseSoftmaxCrossEntropyWithLogits")),
    Exercise("one_hot", 1),
    Exercise("cross_entropy", 3, forbidden=CROSS_ENTROPY_APIS,
             refused_at_run_time=("op:SoftmaxCrossEntropyWithLogits",
                                  "op:SparseSoftmaxCrossEntropyWithLogits")),
    Exercise("loss", 2),
    Exercise("SEED", 1),
    Exercise("tape_gradients", 2),
    Exercise("manual_gradients", 4, forbidden=TAPE_APIS, refused_at_run_time=("tape",)),
    Exercise("init_mlp", 2),
    Exercise("mlp_forward", 2),
    Exercise("mlp_loss", 2),
    Exercise("gd_step", 1),
    Exercise("train", 3),
)

BY_NAME = {e.name: e for e in EXERCISES}
TOTAL_POINTS = sum(e.points for e in EXERCISES)


def cell_id_of(name: str) -> str:
    """The nbgrader grade_id of an exercise's test cell (``SEED`` -> ``test-seed``)."""
    return BY_NAME[name].test_cell
