"""Fast unit tests of the grading tools behind issue 10: the source linter for forbidden
APIs, return kinds through the probe protocol, student-facing error text, mistake naming
and the test-cell messages. Nothing here starts a sandbox or TensorFlow."""

from __future__ import annotations

import os

import numpy as np
import pytest

from autograder.grading import api_lint, test_cells
from autograder.grading.checks import (GradingFailure, as_array, assert_close,
                                       assert_gradient, readable_error, require_kind)
from autograder.sandbox.child import protocol

SOFTMAX = ("tf.nn.softmax", "tf.math.softmax", "keras.activations.softmax")


def uses(code: str, function: str = "softmax", forbidden=SOFTMAX, others=()):
    return api_lint.forbidden_uses(["import numpy as np\nimport tensorflow as tf", code],
                                   function, forbidden, others)


@pytest.mark.parametrize("code, hit", [
    ("def softmax(z):\n    return tf.nn.softmax(z)", "tf.nn.softmax"),
    ("def softmax(z):\n    return tf.math.softmax(z, axis=1)", "tf.math.softmax"),
    ("from tensorflow.nn import softmax as s\ndef softmax(z):\n    return s(z)",
     "tf.nn.softmax"),
    ("import tensorflow.math as m\ndef softmax(z):\n    return m.softmax(z)", "tf.math.softmax"),
    ("sm = tf.nn.softmax\ndef softmax(z):\n    return sm(z)", "tf.nn.softmax"),
    ("def softmax(z):\n    return getattr(tf.nn, 'softmax')(z)", "tf.nn.softmax"),
    ("def helper(z):\n    return tf.nn.softmax(z)\ndef softmax(z):\n    return helper(z)",
     "tf.nn.softmax"),
    ("def softmax(z):\n    from tensorflow.keras import activations\n"
     "    return activations.softmax(z)", "keras.activations.softmax"),
    ("%time x = 1\ndef softmax(z):\n    return tf.keras.activations.softmax(z)",
     "keras.activations.softmax"),
    # IPython syntax in the cell must not make the linter skip it
    ("from tensorflow.math import softmax as tf_softmax\ntf_softmax?\n"
     "def softmax(z):\n    return tf_softmax(z, axis=1)", "tf.math.softmax"),
    ("from tensorflow.nn import softmax as s\nfiles = !ls\n"
     "def softmax(z):\n    return s(z)", "tf.nn.softmax"),
    ("%%time\ndef softmax(z):\n    return tf.nn.softmax(z)", "tf.nn.softmax"),
    ("%time sm = tf.nn.softmax\ndef softmax(z):\n    return sm(z)", "tf.nn.softmax"),
    ("%timeit -n 1 -r 1 sm = tf.nn.softmax\ndef softmax(z):\n    return sm(z)",
     "tf.nn.softmax"),
    # a top-level name carries every API named in its value
    ("import functools\nrow_softmax = functools.partial(tf.math.softmax, axis=1)\n"
     "def softmax(z):\n    return row_softmax(z)", "tf.math.softmax"),
    ("ops = {'sm': tf.nn.softmax}\ndef softmax(z):\n    return ops['sm'](z)", "tf.nn.softmax"),
    ("sm = lambda z: tf.nn.softmax(z, axis=1)\ndef softmax(z):\n    return sm(z)",
     "tf.nn.softmax"),
    ("a, sm = 1, tf.nn.softmax\ndef softmax(z):\n    return sm(z)", "tf.nn.softmax"),
    ("softmax = tf.nn.softmax", "tf.nn.softmax"),
    ("import functools\nsoftmax = functools.partial(tf.nn.softmax, axis=1)", "tf.nn.softmax"),
    ("sm = None\ndef softmax(z):\n    global sm\n    sm = tf.nn.softmax\n    return sm(z)",
     "tf.nn.softmax"),
])
def test_forbidden_apis_are_found_however_they_are_spelled(code, hit):
    assert uses(code) == [hit]


@pytest.mark.parametrize("code", [
    "def softmax(z):\n    e = tf.exp(z - tf.reduce_max(z, axis=1, keepdims=True))\n"
    "    return e / tf.reduce_sum(e, axis=1, keepdims=True)",
    "def softmax(z):\n    z = np.asarray(z)\n    return np.exp(z) / np.exp(z).sum(1, keepdims=True)",
    "def softmax(z):\n    return my_softmax(z)\n",  # undefined helper: nothing to read
    "def softmax(z):\n    # tf.nn.softmax would be easier\n    return tf.exp(z)",
    "def other(z):\n    return tf.nn.softmax(z)\ndef softmax(z):\n    return tf.exp(z)",
    # a function's own variables are not the notebook's names of the same spelling
    "from tensorflow.nn import softmax as s\ndef softmax(z):\n    s = tf.exp(z)\n"
    "    return s / tf.reduce_sum(s, axis=1, keepdims=True)",
    "sm = tf.nn.softmax\ndef softmax(sm):\n    return tf.exp(sm)",
    "sm = tf.nn.softmax\ndef softmax(z):\n    return [tf.exp(sm) for sm in z]",
    "def other(z):\n    return tf.nn.softmax(z)\ndef softmax(z):\n    other = tf.exp(z)\n"
    "    return other",
    # a name rebound to something else no longer carries the API
    "sm = tf.nn.softmax\nsm = 3\ndef softmax(z):\n    return tf.exp(z) * sm",
    "%%bash\necho tf.nn.softmax\n",
])
def test_own_code_is_not_flagged(code):
    assert uses(code) == []


def test_a_local_variable_named_like_a_forbidden_module_is_not_that_module():
    """A correct cross_entropy with a local ``losses`` lost its points when another cell
    imported ``keras.losses`` for a comparison."""
    cells = ["import tensorflow as tf",
             "from tensorflow.keras import losses  # to compare with Keras later",
             "def cross_entropy(onehot_target, logits):\n"
             "    z = tf.convert_to_tensor(logits)\n"
             "    log_probs = z - tf.reduce_logsumexp(z, axis=1, keepdims=True)\n"
             "    losses = -tf.reduce_sum(onehot_target * log_probs, axis=1)\n"
             "    return losses"]
    assert api_lint.forbidden_uses(cells, "cross_entropy", ["keras.losses"]) == []
    cells[2] = cells[2].replace("    return losses", "    return losses.categorical_crossentropy(onehot_target, z)").replace("    losses = -", "    ce = -")
    assert api_lint.forbidden_uses(cells, "cross_entropy", ["keras.losses"]) == ["keras.losses"]


def test_other_graded_functions_are_not_followed():
    code = ("def mlp_forward(x):\n    return tf.nn.softmax(x)\n"
            "def softmax(z):\n    return mlp_forward(z)")
    assert uses(code, others=["softmax", "mlp_forward"]) == []
    assert uses(code) == ["tf.nn.softmax"]


def test_gradient_tape_in_a_with_statement():
    code = ("def manual_gradients(X, t, W, b):\n    with tf.GradientTape() as tape:\n"
            "        pass\n    return tape.gradient(1, W)")
    assert api_lint.forbidden_uses(["import tensorflow as tf", code], "manual_gradients",
                                   ["tf.GradientTape"]) == ["tf.GradientTape"]


FTS = ("tf.data.Dataset.from_tensor_slices",)


def missing(code: str, function: str = "first_examples"):
    return api_lint.missing_uses(["import numpy as np\nimport tensorflow as tf", code],
                                 function, FTS, others=["softmax"])


@pytest.mark.parametrize("code", [
    "def first_examples(X, k):\n    d = tf.data.Dataset.from_tensor_slices(X)\n"
    "    return np.stack(list(d.take(k).as_numpy_iterator()))",
    "from tensorflow.data import Dataset\ndef first_examples(X, k):\n"
    "    return np.stack(list(Dataset.from_tensor_slices(X).take(k)))",
    "def first_examples(X, k):\n    D = tf.data.Dataset\n"
    "    return np.stack(list(D.from_tensor_slices(X).take(k)))",
    "def first_examples(X, k):\n    make = getattr(tf.data.Dataset, 'from_tensor_slices')\n"
    "    return np.stack(list(make(X).take(k)))",
    "fts = tf.data.Dataset.from_tensor_slices\ndef first_examples(X, k):\n"
    "    return np.stack(list(fts(X).take(k)))",
    "def _pipeline(X):\n    return tf.data.Dataset.from_tensor_slices(X)\n"
    "def first_examples(X, k):\n    return np.stack(list(_pipeline(X).take(k)))",
    "first_examples = lambda X, k: np.stack(list("
    "tf.data.Dataset.from_tensor_slices(X).take(k).as_numpy_iterator()))",
    "def _pipeline(X, k):\n    return np.stack(list(tf.data.Dataset.from_tensor_slices(X)"
    ".take(k)))\nimport functools\nfirst_examples = functools.partial(_pipeline)",
    "class First:\n    def __call__(self, X, k):\n"
    "        return np.stack(list(tf.data.Dataset.from_tensor_slices(X).take(k)))\n"
    "first_examples = First()",
    "%%time\ndef first_examples(X, k):\n"
    "    return np.stack(list(tf.compat.v2.data.Dataset.from_tensor_slices(X).take(k)))",
])
def test_a_required_api_is_found_however_it_is_spelled(code):
    assert missing(code) == []


@pytest.mark.parametrize("code", [
    "def first_examples(X, k):\n    return X[:k]",
    "def first_examples(X, k):\n    return np.asarray(tf.data.Dataset.from_tensors(X[:k]))",
    # the API named elsewhere in the notebook, not in what the function reaches
    "demo = tf.data.Dataset.from_tensor_slices(np.zeros((3, 2)))\n"
    "def first_examples(X, k):\n    return np.array(X[:k])",
    "def unused(X):\n    return tf.data.Dataset.from_tensor_slices(X)\n"
    "def first_examples(X, k):\n    return X[:k].copy()",
    # a later definition replaces the one that used it, as when the cells run in order
    "def first_examples(X, k):\n    return np.stack(list("
    "tf.data.Dataset.from_tensor_slices(X).take(k)))\n"
    "def first_examples(X, k):\n    return X[:k]",
])
def test_a_function_that_never_names_the_required_api_is_found(code):
    assert missing(code) == list(FTS)


def test_unparsable_cells_are_skipped():
    assert api_lint.forbidden_uses(["def softmax(:", "import tensorflow as tf\n"
                                    "def softmax(z):\n    return tf.nn.softmax(z)"],
                                   "softmax", SOFTMAX) == ["tf.nn.softmax"]


# --- kinds through the protocol ----------------------------------------------------------


def roundtrip(value):
    read_fd, write_fd = os.pipe()
    try:
        data = protocol.encode_message({"status": "ok"}, value,
                                       describe_unknown=lambda v: protocol.Unsupported("x"))
        os.write(write_fd, data)
        return protocol.receive_message(read_fd)[1]
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_kinds_travel_as_data():
    tensor = protocol.Tagged(np.arange(3.0, dtype=np.float32), "tf.Tensor")
    variable = protocol.Tagged(np.zeros(2), "tf.Variable")
    got = roundtrip([tensor, variable, np.ones(2), np.float32(1.5), 3, 2.5])
    kinds = [protocol.kind_of(v) for v in got]
    assert kinds == ["tf.Tensor", "tf.Variable", "ndarray", "numpy scalar", "int", "float"]
    assert got[0].dtype == np.float32 and np.array_equal(got[0], [0, 1, 2])
    assert type(got[2]) is np.ndarray  # untagged arrays stay plain


def test_an_unknown_kind_is_refused():
    with pytest.raises(protocol.ProtocolError, match="unknown array kind"):
        protocol.unflatten({"__ndarray__": 0, "kind": "evil"}, [np.ones(1)])


def test_require_kind_names_what_came_back():
    value = np.zeros(()).view(protocol.ReturnedArray)
    value.kind = "tf.Tensor"
    require_kind(value, "`make_scalar`", ("tf.Tensor", "tf.Variable"))
    with pytest.raises(GradingFailure, match="should return a tf.Tensor or a tf.Variable, but "
                                             "it returned an array"):
        require_kind(np.zeros(()), "`make_scalar`", ("tf.Tensor", "tf.Variable"))


# --- messages ----------------------------------------------------------------------------


def test_tensorflow_internals_become_shapes():
    text = readable_error(
        "InvalidArgumentError: {{function_node __wrapped__MatMul_device_/job:localhost/"
        "replica:0/task:0/device:CPU:0}} Matrix size-incompatible: In[0]: [48,64], "
        "In[1]: [10,64] [Op:MatMul] name: ")
    assert "(48, 64) and (10, 64)" in text and "{{" not in text and "Op:" not in text
    text = readable_error("{{function_node __wrapped__AddV2_device_/job:localhost/replica:0/"
                          "task:0/device:CPU:0}} Incompatible shapes: [30,10] vs. [30] "
                          "[Op:AddV2] name: ")
    assert "(30, 10) and (30,)" in text and "keepdims" in text
    assert "a reduction dropped an axis" in text
    # the same rank with one clashing axis is an operand of the wrong size, not a reduction
    # (a corpus one_hot(target, W.shape[0]) was told about keepdims)
    text = readable_error("Incompatible shapes: [1797,10] vs. [1797,64] [Op:Sub] name: ")
    assert "differ on axis 1 (10 vs 64)" in text and "one-hot's depth" in text
    assert "keepdims" not in text
    # (m, p) * (p, q): a matrix product written with `*` (the corpus' matmul-elementwise)
    text = readable_error("ValueError: operands could not be broadcast together with shapes "
                          "(7,5) (5,3) ")
    assert "`*` multiplies element by element" in text
    # ... but a bias made a column is not one (its shapes say so: a size of 1)
    text = readable_error("Incompatible shapes: [48,10] vs. [10,1] [Op:AddV2] name: ")
    assert "`*`" not in text and "a vector reshaped into a column" in text
    text = readable_error("ValueError: operands could not be broadcast together with shapes "
                          "(5,10) (5,64) ")
    assert text.startswith("ValueError: shapes (5, 10) and (5, 64) cannot be combined")
    assert "differ on axis 1 (10 vs 64)" in text
    text = readable_error("cannot compute AddV2 as input #1(zero-based) was expected to be a "
                          "float tensor but is a double tensor [Op:AddV2] name: ")
    assert "float32" in text and "float64" in text


def test_a_clash_of_shapes_is_named_by_its_operation():
    """A fairness probe's messages: every (m, p) and (p, q) was told it was a matrix product
    written with `*`, also under a subtraction (each parameter paired with every gradient)
    and for a transposed one-hot ((48, 10) against (10, 48))."""
    wrapped = ("{{{{function_node __wrapped__{op}_device_/job:localhost/replica:0/task:0/"
               "device:CPU:0}}}} Incompatible shapes: [{a}] vs. [{b}] [Op:{op}] name: ")
    text = readable_error(wrapped.format(op="Sub", a="64,100", b="100,50"))
    assert "`*`" not in text and "each parameter with its own gradient" in text
    text = readable_error(wrapped.format(op="Mul", a="64,100", b="100,50"))
    assert "`*` multiplies element by element" in text and "paired" not in text
    text = readable_error(wrapped.format(op="Sub", a="48,10", b="10,48"))
    assert "one is the other transposed" in text and "`*`" not in text
    # NumPy's message names no operation: both causes, the product first
    text = readable_error("operands could not be broadcast together with shapes (7,5) (5,3) ")
    assert "if this was `*`" in text and "Otherwise" in text
    # tape.watch of an array quotes its values: the type is what is said
    text = readable_error("ValueError: Passed in object [[ 0.467  1.074]\n [ 0.1 -2.3]] of "
                          "type 'ndarray', not tf.Tensor or tf.Variable or ExtensionType.")
    assert "0.467" not in text and "of type 'ndarray'" in text and "convert_to_tensor" in text


def test_a_numpy_value_on_the_tapes_path_and_a_none_gradient_are_named():
    """The corpus probe's messages: a loss computed with NumPy on the tape's path gave
    "'numpy.float64' object has no attribute '_id'" (only ndarrays were translated), and
    parameters the tape no longer watched gave "unsupported operand ... 'NoneType'"."""
    for kind in ("ndarray", "float64", "float32"):
        text = readable_error(f"AttributeError: 'numpy.{kind}' object has no attribute '_id'")
        assert "a NumPy value was used where a tf.Variable or tensor is needed" in text, kind
        assert "computed with NumPy" in text
    text = readable_error("AttributeError: 'float' object has no attribute '_id'")
    assert "a Python number was used" in text and "float(...)" in text
    text = readable_error("TypeError: Cannot convert the argument `type_value`: 2.766 to a "
                          "TensorFlow DType.")
    assert "return the tensor itself" in text
    text = readable_error("TypeError: unsupported operand type(s) for *: 'float' and "
                          "'NoneType'")
    assert "a gradient was None" in text and text.startswith("TypeError: unsupported")
    assert "gradient was None" not in readable_error(
        "TypeError: unsupported operand type(s) for +: 'int' and 'str'")


def test_a_matching_wrong_variant_is_named_without_values():
    expected = np.array([0.2, 0.3, 0.5])
    with pytest.raises(GradingFailure) as info:
        assert_close(expected * 7, expected, "`loss`", rtol=1e-5, atol=1e-6,
                     mistakes={"summing instead of averaging": expected * 7})
    assert "This is what summing instead of averaging gives." in str(info.value)
    assert "0.2" not in str(info.value) and "1.4" not in str(info.value)
    with pytest.raises(GradingFailure, match=r"the answer differs from the reference in 1 of 3 entries"):
        assert_close(np.array([0.2, 0.3, 0.6]), expected, "x", rtol=1e-5, atol=1e-6)


def test_a_catalogue_given_as_a_function_is_made_only_for_a_wrong_answer():
    """Catalogues can cost a forward pass per variant: a right answer must not pay."""
    expected, made = np.array([0.2, 0.3, 0.5]), []

    def variants():
        made.append(1)
        return {"summing instead of averaging": expected * 7}

    assert_close(expected, expected, "`loss`", rtol=1e-5, atol=1e-6, mistakes=variants)
    assert_gradient(expected, expected, "dW", threshold=1e-4, mistakes=variants)
    assert made == []
    with pytest.raises(GradingFailure, match="This is what summing instead of averaging"):
        assert_close(expected * 7, expected, "`loss`", rtol=1e-5, atol=1e-6, mistakes=variants)
    with pytest.raises(GradingFailure, match="This is what summing instead of averaging"):
        assert_gradient(expected * 7, expected, "dW", threshold=1e-4, mistakes=variants)
    assert made == [1, 1]


def test_a_matrix_product_of_a_vector_and_a_tape_asked_twice_are_named():
    """The message probe of 2026-12-03 (sixth): tf.matmul of a vector, and a second
    gradient from a non-persistent tape, came back in TensorFlow's words only."""
    for raw in ("InvalidArgumentError: In[0] and In[1] ndims must be == 2: 1 [Op:MatMul]",
                "InvalidArgumentError: In[1] ndims must be >= 2 [Op:MatMul] name: ",
                # oneDNN's kernels (a CPU with other features) say it another way
                "InvalidArgumentError: In[0] and In[1] has different ndims: [48,64] vs. [64] "
                "[Op:BatchMatMulV3]"):
        text = readable_error(raw)
        assert "a vector (1-D) operand" in text and "tf.tensordot" in text, text
        assert "Op:" not in text and "ndims" not in text
    text = readable_error("RuntimeError: A non-persistent GradientTape can only be used to "
                          "compute one set of gradients (or jacobians)")
    assert text.startswith("RuntimeError: A non-persistent") and "persistent=True" in text
    assert "tape.gradient(L, [W, b])" in text


def test_a_constant_factor_is_named_where_no_known_mistake_is():
    """The probe: dW divided by K instead of m, and draws with stddev 0.1, were told only
    that they differ."""
    expected = np.array([[0.2, -0.3], [0.5, 0.1]])
    with pytest.raises(GradingFailure, match=r"times one factor, about 4\.8, in every entry"):
        assert_close(expected * 4.8, expected, "dW", rtol=1e-5, atol=1e-6)
    with pytest.raises(GradingFailure, match=r"opposite sign in every entry"):
        assert_close(-expected, expected, "dW", rtol=1e-5, atol=1e-6)
    with pytest.raises(GradingFailure, match=r"times one factor, about 0\.1,"):
        assert_gradient(expected * 0.1, expected, "dW", threshold=1e-4)
    # a named mistake wins; a near-multiple, a scalar and a loose tolerance say nothing of it
    with pytest.raises(GradingFailure) as info:
        assert_close(expected * 7, expected, "x", rtol=1e-5, atol=1e-6,
                     mistakes={"summing": expected * 7})
    assert "summing" in str(info.value) and "factor" not in str(info.value)
    for actual, want, rtol in ((expected * 2 + [[0, 0], [0, 0.3]], expected, 1e-5),
                               (np.array(3.0), np.array(1.5), 1e-5),
                               (expected * 1.1, expected, 2e-2)):
        with pytest.raises(GradingFailure) as info:
            assert_close(actual, want, "x", rtol=rtol, atol=0, otherwise="Look at the steps.")
        assert "factor" not in str(info.value)
        assert str(info.value).endswith("Look at the steps.")


def test_a_column_where_a_vector_belongs_is_named():
    with pytest.raises(GradingFailure, match=r"should have shape \(48,\), but it has shape "
                       r"\(48, 1\)\. That is a column"):
        as_array(np.zeros((48, 1)), "`perceptron(X, w, b)`", shape=(48,))
    with pytest.raises(GradingFailure) as info:
        as_array(np.zeros((48, 2)), "x", shape=(48,))
    assert str(info.value).endswith("but it has shape (48, 2).")


def test_axes_of_size_one_taken_by_a_squeeze_are_named():
    for value, shape in [(np.float32(3.0), (1, 1)), (np.zeros(4), (1, 4)), (np.float32(1), (1,))]:
        with pytest.raises(GradingFailure, match="a squeeze"):
            as_array(value, "x", shape=shape)
    with pytest.raises(GradingFailure) as info:  # no size-1 axis wanted: not a squeeze
        as_array(np.zeros(3), "x", shape=(4,))
    assert "squeeze" not in str(info.value)


def test_a_gradient_of_none_says_why_tensorflow_gives_none():
    with pytest.raises(GradingFailure, match=r"dW is None: .*inside `with tf.GradientTape\(\)`"):
        assert_gradient(None, np.ones((2, 2)), "dW", threshold=1e-4)


def test_a_variant_that_gives_the_right_answer_here_is_never_named():
    """The corpus probe: a loss history returned in float16 missed the first loss just
    outside the tolerance and was told "This is what a step with the wrong sign gives",
    a mistake whose first loss is the reference's own."""
    expected = np.array([2.3467])  # float16 holds 2.3457 or 2.3477: 4e-4 away
    near_miss = expected.astype(np.float16)
    with pytest.raises(GradingFailure) as info:
        assert_close(near_miss, expected, "the first recorded loss", rtol=1e-4, atol=0,
                     mistakes={"a step with the wrong sign": expected.copy()})
    assert "wrong sign" not in str(info.value)
    assert "float16, too coarse" in str(info.value)


def test_test_cell_messages_hide_hidden_code():
    source = ("_x = f()\nassert _x == 1, 'f must return 1'\n### BEGIN HIDDEN TESTS\n"
              "_secret = 12345\nassert f(_secret) == 2, 'f must not add'\n"
              "assert f(_secret) == 3, (f(_secret), _secret)\n### END HIDDEN TESTS")
    cell = {"source": source, "hidden_from": 3}
    visible = test_cells.explain("test-f", cell, {"ok": False, "line": 2,
                                                  "error": "AssertionError: f must return 1"})
    assert "f must return 1" in visible and "0 points" in visible
    hidden = test_cells.explain("test-f", cell, {"ok": False, "line": 5,
                                                 "error": "AssertionError: 12345 leaked"})
    assert "f must not add" in hidden and "12345" not in hidden
    computed = test_cells.explain("test-f", cell, {"ok": False, "line": 6,
                                                   "error": "AssertionError: (7, 12345)"})
    assert "12345" not in computed and "hidden test failed: AssertionError" in computed


def test_a_message_full_of_a_students_spaces_is_read_in_linear_time():
    """A student's value quoted in a message (`list_device_types` returning one string of
    150 000 spaces) held the grader 40 s in a pattern that scanned every run of spaces from
    each of its starts; a megabyte would have held it half an hour."""
    import time

    start = time.process_time()
    text = readable_error("ValueError: " + " " * 1_000_000 + "x [Op:Foo] name: ")
    assert time.process_time() - start < 5  # quadratic: hours; linear: milliseconds
    assert len(text) <= 2100 and text.startswith("ValueError:")
    assert readable_error("ValueError: bad input [Op:MatMul] name: ") == "ValueError: bad input"


def test_a_far_off_answer_is_not_told_how_far_in_its_units():
    """`loss` returning 0 was told "largest difference 138": the hidden reference itself. The
    distance is now told in bands of the tolerance, and a gradient's relative error to one
    digit."""
    from autograder.grading.checks import assert_gradient

    expected = np.array([138.25, -2.5])
    with pytest.raises(GradingFailure) as info:
        assert_close(np.zeros(2), expected, "`loss`", rtol=1e-5, atol=1e-6)
    assert "138" not in str(info.value) and "far outside the tolerance" in str(info.value)
    with pytest.raises(GradingFailure, match="just outside the tolerance: within 10 times it"):
        assert_close(expected * (1 + 3e-5), expected, "`loss`", rtol=1e-5, atol=1e-6)
    gradient = np.array([[0.123456, -0.5], [0.25, 1.0]])
    with pytest.raises(GradingFailure) as info:
        assert_gradient(gradient * 1.3456, gradient, "`dW`", threshold=1e-4)
    assert "relative error 3e-01" in str(info.value) and "2.57" not in str(info.value)


def test_a_magic_option_the_linter_does_not_know_hides_no_cell():
    """``%timeit -n1 -r1 -v _rt pass`` left the rest of its cell unread (the linter's own
    reading of %timeit failed, and it took the cell for one that does not run), so a
    forbidden API below it went unseen; IPython's own transform reads it."""
    from autograder.grading import api_lint

    cell = ("%timeit -n1 -r1 -v _rt pass\nimport tensorflow as tf\n"
            "def softmax(z):\n    return tf.nn.softmax(z)")
    assert api_lint.forbidden_uses([cell], "softmax", ["tf.nn.softmax"]) == ["tf.nn.softmax"]


def test_the_closest_known_mistake_is_named_not_the_first_that_matches():
    """On wide logits two cross-entropy slips fall within the naming window of each other;
    the answer is named for the one it equals, whichever the catalogue lists first."""
    expected = np.array([1.0, 2.0, 3.0])
    nearly = expected * 3 + 1e-4  # within the window of `exact`'s answer too
    exact = expected * 3
    for order in (["nearly", "exact"], ["exact", "nearly"]):
        catalogue = {"nearly": nearly, "exact": exact}
        catalogue = {name: catalogue[name] for name in order}
        with pytest.raises(GradingFailure, match="This is what exact gives"):
            assert_close(exact, expected, "x", rtol=1e-5, atol=1e-6, mistakes=catalogue)
    # equals stay in the catalogue's order
    with pytest.raises(GradingFailure, match="This is what first gives"):
        assert_close(exact, expected, "x", rtol=1e-5, atol=1e-6,
                     mistakes={"first": exact.copy(), "second": exact.copy()})


@pytest.mark.parametrize("code", [
    # a red team's +1: the data set built, then the array sliced
    "def first_examples(X, k):\n    tf.data.Dataset.from_tensor_slices(X)\n"
    "    return np.asarray(X)[:k]",
    "def first_examples(X, k):\n    ds = tf.data.Dataset.from_tensor_slices(X)\n"
    "    return X[:k]",
    "def first_examples(X, k):\n    _ = tf.data.Dataset.from_tensor_slices(X)\n"
    "    return X[:k]",
    "def first_examples(X, k):\n    'from_tensor_slices'\n    return X[:k]",
    "def first_examples(X, k):\n    if k:\n        tf.data.Dataset.from_tensor_slices(X)\n"
    "    return X[:k]",
    # a variable of the notebook's own spelled like the API is not the API
    "def first_examples(X, k):\n    from_tensor_slices = X[:k]\n"
    "    return from_tensor_slices",
])
def test_a_required_api_whose_value_nothing_uses_is_not_counted(code):
    assert missing(code) == list(FTS)


@pytest.mark.parametrize("code", [
    # its value used through a call made for its effect, a list filled in place
    "def first_examples(X, k):\n    rows = []\n"
    "    rows.extend(tf.data.Dataset.from_tensor_slices(X).take(k))\n"
    "    return np.stack(rows)",
    "def first_examples(X, k):\n    global DS\n    DS = tf.data.Dataset.from_tensor_slices(X)\n"
    "    return np.stack(list(DS.take(k)))",
    "from tensorflow.data.Dataset import *\ndef first_examples(X, k):\n"
    "    return np.stack(list(from_tensor_slices(X).take(k)))",
])
def test_a_required_api_whose_value_is_used_counts(code):
    assert missing(code) == []
