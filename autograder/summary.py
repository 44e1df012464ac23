"""Class-level views of a batch's output folder: the CSV gradebook and summary statistics.

Everything here is computed from the per-student files the batch wrote (results.json or
error.json), so the views can be rebuilt at any time, e.g. after a killed run was resumed.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .batch import ERROR, RESULTS, read_json
from .reports import write_atomically


@dataclass
class Record:
    student: str
    data: dict | None  # results.json, when graded
    error: str = ""  # why it was not graded, when it was not

    @property
    def graded(self) -> bool:
        return self.data is not None

    @property
    def seconds(self) -> float:
        return float((self.data or {}).get("execution_time") or 0.0)


def load_records(out_dir: Path, students: list[str] | None = None) -> list[Record]:
    """One record per student folder in ``out_dir`` (or per name in ``students``)."""
    out_dir = Path(out_dir)
    if students is None:
        students = sorted(p.name for p in out_dir.iterdir()
                          if p.is_dir() and ((p / RESULTS).exists() or (p / ERROR).exists()))
    records = []
    for student in students:
        data = read_json(out_dir / student / RESULTS)
        if data is not None:
            records.append(Record(student, data))
            continue
        error = read_json(out_dir / student / ERROR) or {}
        records.append(Record(student, None, error.get("error") or "no result was stored"))
    return records


def suite_columns(records: list[Record]) -> list[dict]:
    """The tests, in suite order, with their points and visibility (from graded results)."""
    seen: dict[str, dict] = {}
    for record in records:
        for test in (record.data or {}).get("tests", []):
            seen.setdefault(test["name"], {"name": test["name"],
                                           "max_score": test.get("max_score", 0),
                                           "visibility": test.get("visibility", "visible")})
    return list(seen.values())


def gradebook_csv(records: list[Record]) -> str:
    tests = suite_columns(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "status", "score", "max_score", "percent", "seconds"]
                    + [t["name"] for t in tests] + ["error"])
    for r in records:
        if r.graded:
            by_name = {t["name"]: t.get("score", 0) for t in r.data.get("tests", [])}
            score, top = r.data.get("score", 0), r.data.get("max_score", 0)
            writer.writerow([r.student, "graded", f"{score:g}", f"{top:g}",
                             f"{100 * score / top:.1f}" if top else "",
                             f"{r.seconds:.1f}"]
                            + [f"{by_name[t['name']]:g}" if t["name"] in by_name else ""
                               for t in tests] + [""])
        else:
            writer.writerow([r.student, "failed", "", "", "", ""] + [""] * len(tests)
                            + [r.error])
    return buffer.getvalue()


def class_summary(records: list[Record], assignment: str, slowest: int = 10) -> dict:
    """Counts, score statistics, histogram, per-test pass rates and the slowest gradings."""
    graded = [r for r in records if r.graded]
    scores = [float(r.data.get("score", 0)) for r in graded]
    top = max((float(r.data.get("max_score", 0)) for r in graded), default=0.0)
    edges = np.linspace(0, top, 11) if top else np.array([0.0, 1.0])
    counts = np.histogram(scores, bins=edges)[0] if scores else np.zeros(len(edges) - 1, int)
    tests = []
    for column in suite_columns(records):
        taken = [t for r in graded for t in r.data.get("tests", [])
                 if t["name"] == column["name"]]
        full = sum(1 for t in taken if t.get("score", 0) >= t.get("max_score", 0))
        points = sum(t.get("score", 0) for t in taken)
        possible = sum(t.get("max_score", 0) for t in taken)
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
    }


def write_summary_files(out_dir: Path, records: list[Record], assignment: str) -> dict:
    summary = class_summary(records, assignment)
    write_atomically(Path(out_dir) / "gradebook.csv", gradebook_csv(records))
    write_atomically(Path(out_dir) / "summary.json", json.dumps(summary, indent=1) + "\n")
    return summary
