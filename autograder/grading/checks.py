"""Comparisons used by grading tests, with messages that are safe to show students.

A failed check raises :class:`GradingFailure` whose text says what was expected (type,
shape, dtype, tolerance) and how far off the answer was, never the hidden inputs or the
reference values themselves.
"""

from __future__ import annotations

import numpy as np

from ..sandbox.child.protocol import Unsupported


class GradingFailure(AssertionError):
    """The student's answer is wrong; the message is meant for the student."""


def relative_error(actual: np.ndarray, expected: np.ndarray, floor: float = 1e-8) -> float:
    """CS231n's gradient-check measure: max |a - e| / max(|a|, |e|), floored near zero."""
    a = np.asarray(actual, np.float64)
    e = np.asarray(expected, np.float64)
    return float(np.max(np.abs(a - e) / np.maximum(np.maximum(np.abs(a), np.abs(e)), floor)))


def fail(message: str):
    raise GradingFailure(message)


def _describe(value) -> str:
    if isinstance(value, Unsupported):
        article = "an" if value.description[:1].lower() in "aeiou" else "a"
        return f"{article} {value.description}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def as_array(value, what: str, shape: tuple | None = None, kinds: str = "fiu",
             finite: bool = True) -> np.ndarray:
    """Validate an answer as a numeric array of the expected shape; numbers are 0-d arrays."""
    if type(value) in (int, float, bool):
        value = np.asarray(value)
    if isinstance(value, (list, tuple)) and value and all(
            type(v) in (int, float) or (isinstance(v, np.ndarray) and v.ndim == 0)
            for v in value):
        value = np.asarray([np.asarray(v).item() for v in value])  # a list of scalars
    if not isinstance(value, np.ndarray):
        fail(f"{what} should be a number or an array/tensor, but it is {_describe(value)}.")
    if value.dtype.kind not in kinds:
        names = {"f": "float", "i": "integer", "u": "unsigned", "b": "bool"}
        wanted = " or ".join(names[k] for k in kinds)
        fail(f"{what} should have a {wanted} dtype, but it has dtype {value.dtype}.")
    if shape is not None and tuple(value.shape) != tuple(shape):
        fail(f"{what} should have shape {tuple(shape)}, but it has shape {tuple(value.shape)}.")
    if finite and value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        fail(f"{what} contains NaN or infinite values.")
    return value


def as_sequence(value, what: str, length: int) -> list:
    if not isinstance(value, (list, tuple)):
        fail(f"{what} should be a list or tuple of {length} items, but it is "
             f"{_describe(value)}.")
    if len(value) != length:
        fail(f"{what} should have {length} items, but it has {len(value)}.")
    return list(value)


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str, *, rtol: float,
                 atol: float) -> None:
    """Element-wise ``|a - e| <= atol + rtol * |e|``, as ``numpy.allclose`` (grader-side)."""
    a = np.asarray(actual, np.float64)
    e = np.asarray(expected, np.float64)
    if a.shape != e.shape:
        fail(f"{what} should have shape {e.shape}, but it has shape {a.shape}.")
    excess = np.abs(a - e) - (atol + rtol * np.abs(e))
    bad = int(np.count_nonzero(excess > 0)) if a.size else 0
    if bad:
        worst = float(np.max(np.abs(a - e)))
        fail(f"{what} differs from the reference in {bad} of {a.size} entries "
             f"(largest difference {worst:.3g}; tolerance {atol:g} + {rtol:g}*|expected|).")


def assert_gradient(actual: np.ndarray, expected: np.ndarray, what: str, *,
                    threshold: float, floor_fraction: float = 1e-2) -> None:
    """CS231n-style gradient check: relative error must be below ``threshold``.

    Entries far below the gradient's scale are measured against ``floor_fraction`` times its
    largest magnitude instead of themselves: float32 round-off there is tiny in absolute
    terms but would look huge relative to a near-zero entry.
    """
    a = as_array(actual, what, shape=np.shape(expected), kinds="f")
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    error = relative_error(a, expected, floor=max(floor_fraction * scale, 1e-12))
    if not error < threshold:
        fail(f"{what} has relative error {error:.2e} against the reference gradient "
             f"(must be below {threshold:.0e}).")
