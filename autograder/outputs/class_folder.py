"""A class's output folder: one folder per student, and the class-level views built from it.

Layout, per student: ``OUT/<student>/results.json`` (Gradescope's schema plus
``extra_data``: student, fingerprint, notebook, ...) or ``OUT/<student>/error.json`` (why it
was not graded), and ``grader.log`` for the instructor. For the class: ``gradebook.csv``,
``summary.json`` and ``index.html``. Everything class-level is computed from the
per-student files, so it can be rebuilt at any time, e.g. after a killed run was resumed.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..common.files import read_json, remove_if_present, write_atomically
from ..common.safe_text import csv_cell
from ..grading.results import GradeResult

RESULTS, ERROR, LOG = "results.json", "error.json", "grader.log"
CLASS_FILES = {"gradebook.csv", "summary.json", "index.html",  # beside the student folders
               "similarity.json"}
LATE_COLUMNS = ["late_status", "late_penalty", "late_reason"]


@dataclass
class Record:
    student: str
    result: GradeResult | None  # when graded
    error: str = ""  # why it was not graded, when it was not

    @property
    def graded(self) -> bool:
        return self.result is not None

    @property
    def seconds(self) -> float:
        return self.result.execution_time if self.result else 0.0


def store_graded(out_dir: Path, student: str, result: GradeResult) -> None:
    """Write a student's results.json (atomically); an older error.json goes."""
    folder = Path(out_dir) / student
    write_atomically(folder / RESULTS, json.dumps(result.to_gradescope(), indent=1) + "\n")
    remove_if_present(folder / ERROR)


def store_not_graded(out_dir: Path, student: str, error: dict) -> None:
    """Write why a student was not graded; a grade of an older notebook must not survive."""
    folder = Path(out_dir) / student
    write_atomically(folder / ERROR, json.dumps(dict(error, student=student), indent=1) + "\n")
    remove_if_present(folder / RESULTS)


def store_log(out_dir: Path, student: str, lines: list[str]) -> None:
    path = Path(out_dir) / student / LOG
    if lines:
        write_atomically(path, "\n\n".join(lines) + "\n")
    else:
        remove_if_present(path)


def stored_result(out_dir: Path, student: str) -> GradeResult | None:
    data = read_json(Path(out_dir) / student / RESULTS)
    return GradeResult.from_gradescope(data) if data is not None else None


def load_records(out_dir: Path, students: list[str] | None = None) -> list[Record]:
    """One record per student folder in ``out_dir`` (or per name in ``students``)."""
    out_dir = Path(out_dir)
    if students is None:
        students = sorted(p.name for p in out_dir.iterdir()
                          if p.is_dir() and ((p / RESULTS).exists() or (p / ERROR).exists()))
    records = []
    for student in students:
        result = stored_result(out_dir, student)
        if result is not None:
            records.append(Record(student, result))
            continue
        error = read_json(out_dir / student / ERROR) or {}
        records.append(Record(student, None, error.get("error") or "no result was stored"))
    return records


def suite_columns(records: list[Record]) -> list[dict]:
    """The tests, in suite order, with their points and visibility (from graded results)."""
    seen: dict[str, dict] = {}
    for record in records:
        for test in record.result.tests if record.result else []:
            seen.setdefault(test.name, {"name": test.name, "max_score": test.max_score,
                                        "visibility": test.visibility})
    return list(seen.values())


def late_cells(result: GradeResult | None) -> list[str]:
    """``late_status, late_penalty, late_reason`` of a result (empty without a due date)."""
    late = result.late if result is not None else {}
    if not late:
        return ["", "", ""]
    # the reason may quote the student's timestamp.txt: defused like every student string
    return [csv_cell(late.get("status", "")), f"{result.late_penalty:g}",
            csv_cell(late.get("reason", ""))]


def gradebook_csv(records: list[Record], missing: list[str] = ()) -> str:
    """One row per student; ``score`` is after any late penalty (``late_penalty`` says how
    much was taken, the check columns are before it). Roster students without a
    submission (``missing``) get status ``missing``."""
    tests = suite_columns(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "status", "score", "max_score", "percent", "seconds"]
                    + [csv_cell(t["name"]) for t in tests] + ["error"] + LATE_COLUMNS)
    for r in records:
        if r.result is not None:
            by_name = {t.name: t.score for t in r.result.tests}
            score, top = r.result.score, r.result.max_score
            writer.writerow([csv_cell(r.student), "graded", f"{score:g}", f"{top:g}",
                             f"{100 * score / top:.1f}" if top else "",
                             f"{r.seconds:.1f}"]
                            + [f"{by_name[t['name']]:g}" if t["name"] in by_name else ""
                               for t in tests] + [""] + late_cells(r.result))
        else:
            writer.writerow([csv_cell(r.student), "failed", "", "", "", ""]
                            + [""] * len(tests) + [csv_cell(r.error)] + late_cells(None))
    for student in missing:
        writer.writerow([csv_cell(student), "missing", "", "", "", ""] + [""] * len(tests)
                        + ["no submission"] + late_cells(None))
    return buffer.getvalue()


def class_summary(records: list[Record], assignment: str, slowest: int = 10) -> dict:
    """Counts, score statistics, histogram, per-test pass rates and the slowest gradings."""
    graded = [r for r in records if r.result is not None]
    scores = [r.result.score for r in graded]
    top = max((r.result.max_score for r in graded), default=0.0)
    edges = np.linspace(0, top, 11) if top else np.array([0.0, 1.0])
    counts = np.histogram(scores, bins=edges)[0] if scores else np.zeros(len(edges) - 1, int)
    tests = []
    for column in suite_columns(records):
        taken = [t for r in graded for t in r.result.tests if t.name == column["name"]]
        full = sum(1 for t in taken if t.passed)
        points = sum(t.score for t in taken)
        possible = sum(t.max_score for t in taken)
        tests.append(dict(column, graded=len(taken),
                          pass_rate=full / len(taken) if taken else 0.0,
                          mean_fraction=points / possible if possible else 0.0))
    return {
        "assignment": assignment,
        "submissions": len(records),
        "graded": len(graded),
        "failed": len(records) - len(graded),
        "max_score": top,
        "mean": statistics.fmean(scores) if scores else None,
        "median": statistics.median(scores) if scores else None,
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        "tests": tests,
        "slowest": [{"student": r.student, "seconds": round(r.seconds, 2)}
                    for r in sorted(graded, key=lambda r: -r.seconds)[:slowest]],
        "failures": [{"student": r.student, "error": r.error} for r in records if not r.graded],
        "late": late_summary(graded),
    }


def late_summary(graded: list[Record]) -> list[dict]:
    """Every submission that was late or flagged, with its penalty and reason."""
    rows = []
    for r in graded:
        late = r.result.late
        if late and late.get("status") != "on time":
            rows.append({"student": r.student, "status": str(late.get("status", "")),
                         "timestamp": late.get("timestamp") or late.get("raw_timestamp"),
                         "due": late.get("due"), "penalty": r.result.late_penalty,
                         "raw_score": r.result.raw_score, "score": r.result.score,
                         "reason": str(late.get("reason", ""))})
    return rows


def write_summary_files(out_dir: Path, records: list[Record], assignment: str,
                        missing: list[str] = ()) -> dict:
    summary = class_summary(records, assignment)
    summary["missing"] = list(missing)
    write_atomically(Path(out_dir) / "gradebook.csv", gradebook_csv(records, missing))
    write_atomically(Path(out_dir) / "summary.json", json.dumps(summary, indent=1) + "\n")
    return summary
