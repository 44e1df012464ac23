"""Plain numbers a grading test attaches to its result, for the pictures in feedback reports.

A grading test attaches one with pytest's own ``record_property`` fixture, e.g.
``record_property("training_loss", {"student": [...], "reference": [...]})``;
:class:`ArtifactCollector` (a pytest plugin every grading run uses) gathers them per test
into :attr:`TestResult.artifacts`. Only JSON data survives (numbers, strings, lists, dicts;
arrays become lists) under a size cap, so a report can be rebuilt from results.json alone.
The kinds a report draws are listed in :mod:`autograder.outputs.plots`; unknown names are
kept and ignored.
"""

from __future__ import annotations

import json
import math

import numpy as np

MAX_CHARS = 400_000  # per test, as JSON; a 20-image Fashion-MNIST sample is ~100 kB


def sanitize(value, depth: int = 0):
    """JSON-only copy of ``value`` (arrays -> lists, non-finite floats -> None)."""
    if depth > 8:
        raise ValueError("artifact nested too deeply")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [sanitize(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): sanitize(v, depth + 1) for k, v in value.items()}
    raise ValueError(f"artifacts hold plain data, not {type(value).__name__}")


class ArtifactCollector:
    """pytest plugin: ``record_property`` values of each test, by test function name."""

    def __init__(self) -> None:
        self.by_test_id: dict[str, dict] = {}
        self.problems: list[str] = []

    def pytest_runtest_logreport(self, report) -> None:
        if report.when != "call" or not report.user_properties:
            return
        test_id = report.nodeid.split("::")[-1]
        kept = {}
        for name, value in report.user_properties:
            try:
                kept[str(name)] = sanitize(value)
            except ValueError as exc:
                self.problems.append(f"{test_id}: artifact {name!r} dropped ({exc})")
        if len(json.dumps(kept)) > MAX_CHARS:
            self.problems.append(f"{test_id}: artifacts dropped (over {MAX_CHARS} chars)")
            return
        if kept:
            self.by_test_id[test_id] = kept

    def attach_to(self, tests) -> None:
        """Give each :class:`TestResult` the artifacts its test recorded."""
        for test in tests:
            test.artifacts = self.by_test_id.get(test.test_id, {})
