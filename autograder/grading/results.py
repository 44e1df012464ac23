"""Scores as data: what a grading run produced, independent of how it is reported.

:class:`GradeResult` travels from grading to every output; JSON (Gradescope's
results.json schema) exists only at the edges, through :meth:`GradeResult.to_gradescope`
and :meth:`GradeResult.from_gradescope`. What a check's outcome is (passed, partial,
failed) is defined once, by :func:`outcome_of`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PASSED, PARTIAL, FAILED = "passed", "partial", "failed"


def outcome_of(score: float, max_score: float, status: str = "") -> str:
    """The one definition: full points pass, some points are partial, none fail. A check
    worth nothing passes or fails by its status."""
    score, max_score = float(score or 0), float(max_score or 0)
    if max_score > 0:
        return PASSED if score >= max_score else PARTIAL if score > 0 else FAILED
    return PASSED if status == PASSED else FAILED


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, whatever its name

    name: str
    score: float
    max_score: float
    output: str = ""
    visibility: str = "visible"  # Gradescope: visible, hidden, after_due_date, after_published
    status: str = PASSED  # Gradescope's field: passed or failed
    test_id: str = ""
    artifacts: dict = field(default_factory=dict)  # plain data for pictures (outputs.plots)

    @property
    def outcome(self) -> str:
        return outcome_of(self.score, self.max_score, self.status)

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED

    @property
    def visible(self) -> bool:
        return self.visibility == "visible"


@dataclass
class GradeResult:
    assignment: str
    submission: str
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    notes: list[str] = field(default_factory=list)  # notebook-level messages for the student
    grader_version: str = ""
    student_seconds: float = 0.0  # of execution_time, spent running the student's code
    cells_seconds: float = 0.0  # of student_seconds, running the notebook's cells (not probes)
    internal_errors: list[str] = field(default_factory=list)  # instructor's log only
    extra: dict = field(default_factory=dict)  # batch bookkeeping: student, fingerprint, ...
    # Lateness (autograder.batch.late): status, timestamp, due, penalty (points), reason.
    late: dict = field(default_factory=dict)
    # The executed cells, for the instructor's record only (never in results.json, never
    # used for a score): index, status, error, output (capped), source.
    record: list = field(default_factory=list)

    @property
    def raw_score(self) -> float:
        """Points the checks gave, before any late penalty."""
        return round(sum(t.score for t in self.tests), 6)

    @property
    def late_penalty(self) -> float:
        try:
            return max(0.0, float(self.late.get("penalty") or 0.0))
        except (TypeError, ValueError):
            return 0.0

    @property
    def score(self) -> float:
        """The grade: the checks' points less the late penalty, never below zero."""
        return round(max(0.0, self.raw_score - self.late_penalty), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def to_gradescope(self, *, visible_artifacts_only: bool = False) -> dict:
        """Gradescope's results.json schema (top-level score, tests[], output).

        Artifacts go into ``extra_data.artifacts`` by check name; a hidden check's may hold
        its hidden inputs, so outputs students can read ask for visible ones only."""
        artifacts = {t.name: t.artifacts for t in self.tests
                     if t.artifacts and (t.visible or not visible_artifacts_only)}
        extra = {**self.extra, "assignment": self.assignment, "submission": self.submission,
                 "grader_version": self.grader_version}
        if artifacts:
            extra["artifacts"] = artifacts
        if self.late:
            extra["late"] = dict(self.late)
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 2),
            "output": "\n".join(self.notes),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {"name": t.name, "score": t.score, "max_score": t.max_score,
                 "status": t.status, "output": t.output, "visibility": t.visibility}
                for t in self.tests
            ],
            "extra_data": extra,
        }

    @classmethod
    def from_gradescope(cls, data: dict) -> "GradeResult":
        extra = dict(data.get("extra_data") or {})
        artifacts = extra.pop("artifacts", None)
        artifacts = artifacts if isinstance(artifacts, dict) else {}
        late = extra.pop("late", None)
        result = cls(late=late if isinstance(late, dict) else {},
                     assignment=str(extra.pop("assignment", "")),
                     submission=str(extra.pop("submission", "")),
                     execution_time=float(data.get("execution_time") or 0.0),
                     notes=[n for n in str(data.get("output") or "").split("\n") if n],
                     grader_version=str(extra.pop("grader_version", "")), extra=extra)
        for t in data.get("tests", []):
            own = artifacts.get(t.get("name"))
            result.tests.append(TestResult(
                name=str(t.get("name", "")), score=float(t.get("score") or 0),
                max_score=float(t.get("max_score") or 0), output=str(t.get("output") or ""),
                visibility=str(t.get("visibility", "visible")),
                status=str(t.get("status", "")), artifacts=own if isinstance(own, dict) else {}))
        return result
