"""Comparisons used by grading tests, with messages that are safe to show students.

A failed check raises :class:`GradingFailure` whose text says what was expected (type,
shape, dtype, tolerance) and how far off the answer was, never the hidden inputs or the
reference values themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from ..sandbox.child.protocol import Unsupported, kind_of


class GradingFailure(AssertionError):
    """The student's answer is wrong; the message is meant for the student."""


def relative_error(actual: np.ndarray, expected: np.ndarray, floor: float = 1e-8) -> float:
    """CS231n's gradient-check measure: max |a - e| / max(|a|, |e|), floored near zero."""
    a = np.asarray(actual, np.float64)
    e = np.asarray(expected, np.float64)
    return float(np.max(np.abs(a - e) / np.maximum(np.maximum(np.abs(a), np.abs(e)), floor)))


def fail(message: str):
    raise GradingFailure(message)


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _describe(value) -> str:
    if isinstance(value, Unsupported):
        return _a(value.description)
    if isinstance(value, np.ndarray):
        kind = kind_of(value)
        noun = {"ndarray": "array", "numpy scalar": "NumPy scalar"}.get(kind, kind)
        return f"{_a(noun)} of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def as_array(value, what: str, shape: tuple | None = None, kinds: str = "fiu",
             finite: bool = True) -> np.ndarray:
    """Validate an answer as a numeric array of the expected shape; numbers are 0-d arrays."""
    if type(value) in (int, float, bool) or isinstance(value, np.generic):
        value = np.asarray(value)
    if isinstance(value, (list, tuple)) and value and all(
            type(v) in (int, float) or (isinstance(v, np.ndarray) and v.ndim == 0)
            for v in value):
        value = np.asarray([np.asarray(v).item() for v in value])  # a list of scalars
    if value is None:  # a mistakes round's print instead of return, and a missing return
        fail(f"{what} is None: the function returned nothing. Does it `return` its result? "
             "(Printing a value does not return it.)")
    if not isinstance(value, np.ndarray):
        fail(f"{what} should be a number or an array/tensor, but it is {_describe(value)}.")
    if value.dtype.kind not in kinds:
        names = {"f": "float", "i": "integer", "u": "unsigned", "b": "bool"}
        wanted = " or ".join(names[k] for k in kinds)
        fail(f"{what} should have {_a(wanted)} dtype, but it has dtype {value.dtype}.")
    if shape is not None and tuple(value.shape) != tuple(shape):
        fail(f"{what} should have shape {tuple(shape)}, but it has shape {tuple(value.shape)}."
             + _extra_axis_hint(tuple(value.shape), tuple(shape)))
    if finite and value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        fail(f"{what} {where_not_finite(value)}")
    return value


def _extra_axis_hint(got: tuple, wanted: tuple) -> str:
    """A column (m, 1) where a vector (m,) belongs, or the reverse, and axes of size 1 that a
    squeeze took: say so in those words."""
    if wanted == () and got == (1,):  # a fresh student's tf.constant([value]) was told "column"
        return (" That is a vector holding one value, not a scalar: build it from the value "
                "itself (tf.constant(value), not tf.constant([value])), or reshape it to [].")
    if got == wanted + (1,):
        return (f" That is a column: a product with a vector reshaped into a column leaves an "
                f"axis of size 1; drop it (tf.reshape(..., {list(wanted) or '[]'}) or a "
                "squeeze of that axis only).")
    if got != wanted and got == tuple(d for d in wanted if d != 1):
        return (" Its axes of size 1 are gone: a squeeze (tf.squeeze, np.squeeze) removes "
                "every axis of size 1, not only the one meant, so name the axis "
                "(tf.squeeze(x, axis=...)) or reshape"
                + (", or a reduction dropped it (keepdims=True)." if len(wanted) - len(got) == 1
                   else "."))
    if got + (1,) == wanted or (1,) + got == wanted:
        return " An axis of size 1 is missing (keepdims=True, or a reshape)."
    return ""


def where_not_finite(value: np.ndarray) -> str:
    """'contains NaN in 3 of 120 entries (first at [0, 4]) ...', saying where an overflow shows."""
    bad = ~np.isfinite(value)
    kinds = [name for name, mask in (("NaN", np.isnan(value)), ("inf", np.isinf(value)))
             if mask.any()]
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if value.ndim else ()
    at = f" (first at index {list(first)})" if first else ""
    return (f"contains NaN or infinite values ({' and '.join(kinds)} in {int(bad.sum())} of "
            f"{value.size} entries{at}): usually an exp or a division overflowed on large "
            "inputs.")


def require_kind(value, what: str, kinds: tuple[str, ...], hint: str = "") -> None:
    """The returned object must be one of ``kinds`` (``tf.Tensor``, ``ndarray``, ...)."""
    kind = kind_of(value)
    if kind not in kinds:
        names = {"ndarray": "NumPy array (np.ndarray)", "numpy scalar": "NumPy scalar"}
        wanted = " or ".join(f"a {k}" if k.startswith("tf.") else _a(names.get(k, k))
                             for k in kinds)
        fail(f"{what} should return {wanted}, but it returned {_describe(value)}."
             + (f" {hint}" if hint else ""))


# TensorFlow's error text names internal ops and devices; students need the shapes.
_TF_NOISE = [re.compile(r"\{\{function_node [^}]*\}\}\s*"), re.compile(r" ?\[Op:[A-Za-z0-9_]+\]"),
             re.compile(r"/job:localhost/replica:\d+/task:\d+/")]
# a message is read at most this far: it may quote the student's values, and the patterns
# above must not spend the grader's time on a megabyte of them
MESSAGE_CHARS = 2000
_MATMUL = re.compile(r"Matrix size-incompatible: In\[0\]: \[([\d,]+)\], In\[1\]: \[([\d,]+)\]")
_BROADCAST = re.compile(r"Incompatible shapes: \[([\d,]*)\] vs\. \[([\d,]*)\]"
                        r"|could not be broadcast together with shapes \(([\d,]*)\) \(([\d,]*)\)")
_PASSED_IN_OBJECT = re.compile(r"Passed in object .{0,1200}? of type '(\w+)', not tf\.Tensor"
                               r"(?: or tf\.Variable(?: or ExtensionType)?)?\.?", re.S)
_OP_NAME = re.compile(r"\[Op:(\w+)\]|__wrapped__(\w+?)_device_")
_MIXED = re.compile(r"cannot compute \w+ as input #\d+\(zero-based\) was expected to be a "
                    r"(\w+) tensor but is a (\w+) tensor")
# tf.nn.softmax_cross_entropy_with_logits of a one-hot with another number of columns
_LABELS_SIZE = re.compile(r"logits and labels must be broadcastable: "
                          r"logits_size=\[(\d+),(\d+)\] labels_size=\[(\d+),(\d+)\]")


def _shape(text: str) -> str:
    dims = [d for d in text.split(",") if d]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _broadcast_hint(a: str, b: str, op: str | None = None) -> str:
    """Where two shapes clash, in the words of the likely cause: a reduction that dropped
    its axis, or one operand of the wrong size (a one-hot's depth, a transpose). ``op``:
    TensorFlow's name of the operation (``Mul``, ``Sub``, ...), None when unknown (NumPy's
    message does not say)."""
    one, two = ([int(d) for d in t.split(",") if d] for t in (a, b))
    if len(one) == len(two) == 2 and one == two[::-1] and one != two and 1 not in one:
        # (m, k) and (k, m): a fairness probe's one-hot along axis 0 met the softmax's rows
        return ("one is the other transposed: check the axis a one-hot or a reduction was "
                "made along, and any transpose.")
    if len(one) == len(two) == 2 and one[1] == two[0] and one != two and 1 not in one + two:
        # (m, p) and (p, q): the operands of a matrix product, multiplied element by element;
        # under a subtraction or a sum (a fairness probe's every parameter paired with every
        # gradient) the product is not what was meant
        product = ("these are the shapes of a matrix product's operands: `*` multiplies "
                   "element by element; a matrix product is `@` or tf.matmul.")
        pairing = ("two arrays of different shapes met: check which arrays are paired (each "
                   "parameter with its own gradient, e.g. with zip; the layers in order).")
        if op in ("Mul", "Multiply"):
            return product
        if op is None:
            return f"if this was `*`, {product[0].lower()}{product[1:]} Otherwise, {pairing}"
        return pairing
    short, long_ = sorted((one, two), key=len)
    if len(short) < len(long_) and short == long_[:len(short)]:
        return ("a reduction dropped an axis the other operand still has: keep it with "
                "keepdims=True (or reduce along the other axis).")
    clash = [-k for k in range(1, len(short) + 1)
             if 1 not in (one[-k], two[-k]) and one[-k] != two[-k]]
    if len(one) == len(two) and len(clash) == 1:
        axis = len(one) + clash[0]
        return (f"they differ on axis {axis} ({one[axis]} vs {two[axis]}): check where each "
                "size comes from (a one-hot's depth, a transposed matrix, a vector reshaped "
                "into a column, the axis of a reduction).")
    if sorted((len(one), len(two))) == [1, 2] and short[0] != long_[-1] and 1 not in one + two:
        # rows of p values and a vector of q: a bias of another layer, as parameters
        # unpacked in another order give (a fairness probe's weights-first unpacking)
        return (f"a vector of {short[0]} values meets rows of {long_[-1]}: a bias that "
                "belongs to another layer (check the order the parameters are taken or "
                "unpacked in) or a vector of the wrong length.")
    return "check the axis of a reduction, a missing keepdims=True or a transposed operand."


# tf.matmul of a vector: "In[0] ndims must be >= 2", "In[0] and In[1] ndims must be == 2: 1"
# (the message depends on the CPU's kernels: oneDNN's says "has different ndims: [m,n] vs. [n]")
_MATMUL_RANK = re.compile(r"In\[\d\](?: and In\[\d\])? ndims must be (?:>=|==) 2(?:: \d+)?"
                          r"|In\[0\] and In\[1\] has different ndims: "
                          r"(?:\[\d+\] vs\. \[[\d,]+\]|\[[\d,]+\] vs\. \[\d+\])")
_ONE_SET_OF_GRADIENTS = "A non-persistent GradientTape can only be used to compute one set of " \
    "gradients"
# Keras' optimizers: a loss the tape did not record, and an optimizer made for other variables
# (fresh students' fashion-mnist train: a term added after the tape's block; one optimizer,
# made once, for every call)
_NO_GRADIENTS = "No gradients provided for any variable"
_OPTIMIZER_REUSED = "recreate a new optimizer instance"
_NUMPY_ID = re.compile(r"'(numpy\.\w+|float|int)' object has no attribute '_id'")
_NONE_OPERAND = re.compile(r"unsupported operand type\(s\) for [^:]{1,3}: "
                           r"('\w+' and 'NoneType'|'NoneType' and '\w+')")


def readable_error(text: str) -> str:
    """An error message with TensorFlow's internals removed and shape errors in plain words."""
    text = str(text)
    if len(text) > MESSAGE_CHARS:
        text = text[:MESSAGE_CHARS] + " …"
    match = _MATMUL.search(text)
    if match:
        a, b = _shape(match.group(1)), _shape(match.group(2))
        return (text[:text.find(match.group(0))].split("{{")[0] +
                f"a matrix product got shapes {a} and {b}: the inner sizes must be equal "
                "(check the order of the operands or a missing transpose).").strip()
    match = _BROADCAST.search(text)
    if match:
        one, two = (g for g in match.groups() if g is not None)
        found = _OP_NAME.search(text)
        op = (found.group(1) or found.group(2)) if found else None
        return (text[:text.find(match.group(0))].split("{{")[0].removesuffix("operands ") +
                f"shapes {_shape(one)} and {_shape(two)} cannot be combined element-wise "
                f"(broadcast): {_broadcast_hint(one, two, op)}").strip()
    match = _LABELS_SIZE.search(text)
    if match and match.group(1) != match.group(3):
        rows, labels = match.group(1), match.group(3)
        return (text[:text.find(match.group(0))].split("{{")[0] +
                f"the logits have {rows} rows and the one-hot labels {labels}: each example "
                "needs its own label. Use the function's own arguments (X and target), not "
                "the notebook's data, and check which axis was reduced.").strip()
    if match:
        _, classes, _, depth = match.groups()
        return (text[:text.find(match.group(0))].split("{{")[0] +
                f"the one-hot labels have {depth} columns and the logits {classes}: a "
                "one-hot's depth is the number of classes (the logits' columns)"
                + (", not read off the labels (their max + 1 is smaller when the largest "
                   "classes are missing)" if int(depth) < int(classes) else
                   ", not another size of the data (such as the number of input "
                   "features, W's rows)") + ".").strip()
    match = _MIXED.search(text)
    if match:
        names = {"float": "float32", "double": "float64", "half": "float16"}
        one, two = (names.get(g, g) for g in match.groups())
        return (text[:text.find(match.group(0))].split("{{")[0] +
                f"an operation mixed a {one} tensor with a {two} "
                "tensor; convert one with tf.cast or tf.convert_to_tensor(..., dtype=...).")
    match = _MATMUL_RANK.search(text)
    if match:
        return (text[:text.find(match.group(0))].split("{{")[0] +
                "a matrix product got a vector (1-D) operand: tf.matmul multiplies matrices "
                "(2-D); for a vector use tf.tensordot(..., axes=1) or tf.reduce_sum(a * b), "
                "or make it a column with tf.reshape.").strip()
    for noise in _TF_NOISE:
        text = noise.sub("", text)
    # tape.watch of a NumPy array quotes the array's values (a fairness probe's gd_step
    # returned NumPy arrays): the type is what matters
    text = _PASSED_IN_OBJECT.sub(r"Passed in an object of type '\1', not a tf.Tensor or "
                                 r"tf.Variable (convert it with tf.convert_to_tensor)", text)
    if _ONE_SET_OF_GRADIENTS in text:
        text = text.rstrip() + (" (a tape gives its gradients once: ask for all of them in one "
                                "call, tape.gradient(L, [W, b]), or open it with "
                                "tf.GradientTape(persistent=True))")
    if _NO_GRADIENTS in text:
        text = text.rstrip() + (" (no parameter had a gradient: compute the loss inside the "
                                "`with tf.GradientTape()` block, from the parameters "
                                "themselves, with TensorFlow operations; a term added after "
                                "the block, or a value that went through NumPy or .numpy(), "
                                "is not recorded)")
    elif _OPTIMIZER_REUSED in text:
        text = text.rstrip() + (" (an optimizer keeps the variables of the first model it "
                                "trained: a function that trains a fresh model on each call "
                                "needs a new optimizer, and a new tf.function using it, on "
                                "each call)")
    # labels of a dtype an op does not take (a mistakes round's got TensorFlow's op
    # signature): what the op was given, then what to do
    first_line = text.split("\n")[0].split("; NodeDef")[0].rstrip()
    if "attr 'TI' of float" in text or "attr 'TI' of double" in text:
        return (first_line + " (tf.one_hot takes integer class ids: keep the labels "
                "integers, not cast to float)")
    if re.search(r"(attr 'Tlabels' of|DataType) u?int(8|16) (is )?not in (the )?list", text):
        return (first_line + " (these labels must be int32 or int64: convert them with "
                "labels.astype(np.int64) or tf.cast(labels, tf.int64))")
    if text.rstrip().endswith(" name:"):  # TensorFlow's op name, left empty
        text = text.rstrip()[:-len(" name:")].rstrip()
    if "to a TensorFlow DType" in text and "type_value" in text:
        # tape.gradient(L, ...) with L a Python number: its second argument read as a dtype
        return (text.strip() + " (a Python number reached TensorFlow where a tensor was "
                "needed: a loss returned with float(...) or .numpy() cannot be "
                "differentiated; return the tensor itself)")
    match = _NUMPY_ID.search(text)
    if match and match.group(1) in ("float", "int"):  # a loss made a Python number
        text = text.replace(match.group(0), "a Python number was used where a tf.Variable "
                            f"or tensor is needed ({match.group(0)}): a loss returned with "
                            "float(...) or .numpy() cannot be differentiated; return the "
                            "tensor itself")
    elif match:  # a tape asked for the gradient of (or with respect to) a NumPy value
        text = text.replace(match.group(0), "a NumPy value was used where a tf.Variable or "
                            f"tensor is needed ({match.group(0)}): `tape.gradient` was given "
                            "a NumPy array, either as the loss (a loss computed with NumPy) "
                            "or as a source (make each source a tf.Variable, or a tensor "
                            "the tape watches)")
    elif _NONE_OPERAND.search(text):
        text += (" (a gradient was None: that parameter does not reach the loss on the "
                 "tape. Is it used in the loss at all, e.g. a bias left out? Otherwise watch "
                 "the tensors you update, or keep them tf.Variables, and compute the loss "
                 "from them inside the tape)")
    return text.strip()


def as_sequence(value, what: str, length: int) -> list:
    if not isinstance(value, (list, tuple)):
        fail(f"{what} should be a list or tuple of {length} items, but it is "
             f"{_describe(value)}.")
    if len(value) != length:
        fail(f"{what} should have {length} items, but it has {len(value)}.")
    return list(value)


def _close(a: np.ndarray, e: np.ndarray, rtol: float, atol: float) -> bool:
    a = np.asarray(a, np.float64)
    e = np.asarray(e, np.float64)
    return a.shape == e.shape and bool(np.all(np.abs(a - e) <= atol + rtol * np.abs(e)))


Mistakes = dict | Callable[[], dict] | None  # name -> wrong answer, or made on demand


def catalogue(mistakes) -> dict:
    """A mistake catalogue, computed now if it was given as a function: checks pass it that
    way so that only an answer that fails pays for the wrong variants (a catalogue can
    take a forward pass per variant; computed for every grading, nn-basics' cost 0.1-0.3 s
    of a correct notebook's grading)."""
    if callable(mistakes):
        mistakes = mistakes()
    return dict(mistakes or {})


def known_mistake(actual, mistakes: Mistakes, rtol: float, atol: float,
                  expected=None) -> str | None:
    """The known wrong variant (name -> the answer that mistake gives) that ``actual``
    matches most closely (the first of equals); wrong variants are computed by the grader
    from the same hidden inputs. Closest, not first: on logits of +-1000 a cross-entropy
    that left out the log-sum-exp matched "a log-sum-exp without the maximum added back"
    too, listed first, and was named for it (a fairness probe of 2026-12-04). A
    variant that gives ``expected`` itself on these inputs is never named: matching it says
    nothing (a step's sign cannot change the loss recorded before the first step, yet a
    float16 near miss of that loss was told it had the wrong sign)."""
    # one number (a loss) matches a wrong variant by chance more easily than an array: a
    # mistakes round's pixels scaled in mlp_loss came within 0.1% of the loss a sigmoid
    # layer gives, and was told so; scalars get a narrower window
    widen = 2 if np.size(actual) == 1 else 10
    wide_rtol, wide_atol = max(rtol, 1e-4) * widen, max(atol, 1e-6) * widen
    best, best_distance = None, np.inf
    for name, wrong in catalogue(mistakes).items():
        try:
            wrong = np.asarray(wrong, np.float64)
        except (TypeError, ValueError):
            continue
        if expected is not None and np.shape(wrong) == np.shape(expected) \
                and _close(wrong, np.asarray(expected, np.float64), wide_rtol, wide_atol):
            continue
        if np.all(np.isfinite(wrong)) and _close(actual, wrong, wide_rtol, wide_atol):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                gap = np.abs(np.asarray(actual, np.float64) - wrong) / (
                    wide_atol + wide_rtol * np.abs(wrong))
            distance = float(np.max(gap)) if gap.size else 0.0
            if distance < best_distance:
                best, best_distance = name, distance
    return best


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str, *, rtol: float,
                 atol: float, mistakes: Mistakes = None, otherwise: str = "") -> None:
    """Element-wise ``|a - e| <= atol + rtol * |e|``, as ``numpy.allclose`` (grader-side).

    ``mistakes`` maps a description of a known mistake to the answer it gives (or is a
    function returning that map, called only on failure); a wrong answer that matches one
    is told which mistake it looks like. ``otherwise`` is said when
    none matches (where the check knows which part is wrong, not which slip)."""
    a = np.asarray(actual, np.float64)
    e = np.asarray(expected, np.float64)
    if a.shape != e.shape:
        fail(f"{what} should have shape {e.shape}, but it has shape {a.shape}.")
    excess = np.abs(a - e) - (atol + rtol * np.abs(e))
    bad = int(np.count_nonzero(excess > 0)) if a.size else 0
    if bad:
        # how far, in bands of the tolerance, never in the answer's units: a difference
        # told exactly would tell a student who returns 0 the hidden reference itself
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = np.abs(a - e) / (atol + rtol * np.abs(e))
        worst = float(np.max(ratio)) if np.all(np.isfinite(ratio)) else np.inf
        how_far = ("just outside the tolerance: within 10 times it" if worst <= 10 else
                   "far outside the tolerance")
        mistake = known_mistake(a, mistakes, rtol, atol, expected=e)
        text = (f"{what}: the answer differs from the reference in {bad} of {a.size} "
                f"entries ({how_far}; tolerance {atol:g} + {rtol:g}*|expected|).")
        # not where the tolerance is loose (a training trajectory): any two curves of
        # similar shape would pass for multiples of each other there
        factor = None if mistake or rtol > 1e-3 else constant_factor(
            a, e, lambda x, y: _close(x, y, max(rtol, 1e-4) * 10, max(atol, 1e-6) * 10))
        if mistake:
            text += f" This is what {mistake} gives."
        elif factor is not None:
            text += _factor_text(factor)
        elif otherwise:
            text += " " + otherwise
        elif getattr(actual, "dtype", None) is not None and actual.dtype in (np.float16,):
            text += f" The answer has dtype {actual.dtype}, too coarse for this tolerance."
        fail(text)


def constant_factor(actual: np.ndarray, expected: np.ndarray, close) -> float | None:
    """The one factor c with actual = c * expected in every entry (``close(actual, c *
    expected)``), if there is one and it is not 1: a scale slip (a mean for a sum, 1/m
    forgotten or doubled, a stddev) says so instead of a bare "differs". Arrays of at least
    two entries that are not all equal only: for a single number any answer is a multiple."""
    a = np.asarray(actual, np.float64).ravel()
    e = np.asarray(expected, np.float64).ravel()
    if a.size < 2 or a.shape != e.shape or np.ptp(e) == 0 or not np.all(np.isfinite(a)):
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # huge answers: no factor, below
        factor = float(a @ e / (e @ e))
    if not np.isfinite(factor) or abs(factor) < 1e-12 or abs(factor - 1) < 1e-3:
        return None
    return factor if close(a, factor * e) else None


def _factor_text(factor: float) -> str:
    # two significant digits: enough to recognise 1/m or 1/K, not to rebuild the reference
    if np.isclose(factor, -1, rtol=1e-3):
        return " It is the reference with the opposite sign in every entry: a sign is off."
    return (f" It is the reference times one factor, about {factor:.2g}, in every entry: a "
            "constant factor is off (a mean where a sum belongs or the reverse, a 1/m "
            "forgotten or taken twice, a scale).")


def assert_gradient(actual: np.ndarray, expected: np.ndarray, what: str, *,
                    threshold: float, floor_fraction: float = 1e-2,
                    mistakes: Mistakes = None) -> None:
    """CS231n-style gradient check: relative error must be below ``threshold``.

    Entries far below the gradient's scale are measured against ``floor_fraction`` times its
    largest magnitude instead of themselves: float32 round-off there is tiny in absolute
    terms but would look huge relative to a near-zero entry.
    """
    if actual is None:
        fail(f"{what} is None: TensorFlow's gradient of a loss that does not depend on a "
             "tensor on the tape is None. Compute the loss inside `with tf.GradientTape()`, "
             "from W and b made tf.Variables (or watched with tape.watch).")
    a = as_array(actual, what, shape=np.shape(expected), kinds="f")
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    error = relative_error(a, expected, floor=max(floor_fraction * scale, 1e-12))
    if not error < threshold:
        # one significant digit: the exact figure, for an answer of the student's choosing,
        # would give away the hidden reference gradient
        text = (f"{what} has relative error {error:.0e} against the reference gradient "
                f"(must be below {threshold:.0e}).")
        floor = max(floor_fraction * scale, 1e-12)
        for name, wrong in catalogue(mistakes).items():
            wrong = np.asarray(wrong, np.float64)
            if wrong.shape == a.shape and relative_error(a, wrong, floor=floor) < threshold * 10:
                text += f" This is what {name} gives."
                break
        else:
            factor = constant_factor(a, expected, lambda x, y: relative_error(
                x, y, floor=max(floor_fraction * float(np.max(np.abs(y))), 1e-12))
                < threshold * 10)
            if factor is not None:
                text += _factor_text(factor)
        fail(text)
