"""Scores as data: what a grading run produced, independent of how it is reported."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class TestResult:
    name: str
    score: float
    max_score: float
    output: str = ""
    visibility: str = "visible"  # Gradescope: visible, hidden, after_due_date, after_published
    status: str = "passed"  # passed, failed
    test_id: str = ""


@dataclass
class GradeResult:
    assignment: str
    submission: str
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0
    notes: list[str] = field(default_factory=list)  # notebook-level messages for the student
    grader_version: str = ""
    student_seconds: float = 0.0  # of execution_time, spent running the student's code
    internal_errors: list[str] = field(default_factory=list)  # instructor's log only

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    def to_gradescope(self) -> dict:
        """Gradescope's results.json schema (top-level score, tests[], output)."""
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
            "extra_data": {"assignment": self.assignment, "submission": self.submission,
                           "grader_version": self.grader_version},
        }

    @classmethod
    def from_gradescope(cls, data: dict) -> "GradeResult":
        extra = data.get("extra_data", {})
        result = cls(assignment=extra.get("assignment", ""),
                     submission=extra.get("submission", ""),
                     execution_time=data.get("execution_time", 0.0),
                     notes=[n for n in data.get("output", "").split("\n") if n],
                     grader_version=extra.get("grader_version", ""))
        for t in data.get("tests", []):
            result.tests.append(TestResult(name=t["name"], score=t["score"],
                                           max_score=t["max_score"], output=t.get("output", ""),
                                           visibility=t.get("visibility", "visible"),
                                           status=t.get("status", "")))
        return result

    def as_dict(self) -> dict:
        return asdict(self)
