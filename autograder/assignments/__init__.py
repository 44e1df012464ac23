"""The assignments this grader knows: where their grading tests live and their budgets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Assignment:
    name: str  # as in source/<name>/ and on the command line
    tests_dir: Path  # pytest grading suite; never visible to student code
    notebook_seconds: float = 300.0  # wall-clock budget to run all cells once
    call_seconds: float = 60.0  # wall-clock budget for one probe call
    dataset: str | None = None  # put in the student's Keras cache (autograder.datasets)

    @property
    def ini_file(self) -> Path:
        return _HERE / "pytest.ini"


ASSIGNMENTS = {
    "nn-basics": Assignment("nn-basics", _HERE / "nn_basics", notebook_seconds=300,
                            call_seconds=60),
    # The homework is graded on the full Fashion-MNIST; "-small" is the same suite on the
    # 6,000/1,000 subset with its own thresholds, for CI and quick checks.
    "fashion-mnist": Assignment("fashion-mnist", _HERE / "fashion_mnist", notebook_seconds=240,
                                call_seconds=60, dataset="fashion-mnist"),
    "fashion-mnist-small": Assignment("fashion-mnist-small", _HERE / "fashion_mnist",
                                      notebook_seconds=240, call_seconds=60,
                                      dataset="fashion-mnist-small"),
}


class UnknownAssignment(KeyError):
    def __str__(self) -> str:
        return f"unknown assignment {self.args[0]!r}; known: {', '.join(sorted(ASSIGNMENTS))}"


def get_assignment(name: str) -> Assignment:
    try:
        return ASSIGNMENTS[name]
    except KeyError:
        raise UnknownAssignment(name) from None
