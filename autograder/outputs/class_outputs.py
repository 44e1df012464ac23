"""Everything class-level a batch folder gets: gradebook.csv, summary.json, HTML, JUnit."""

from __future__ import annotations

from pathlib import Path

from ..common.files import read_json
from .class_folder import load_records, write_summary_files
from .records import has_record

SIMILARITY = "similarity.json"  # written by autograder.batch.similarity


def write_class_outputs(out_dir: Path, assignment: str, students: list[str] | None = None, *,
                        junit: str | None = None, html: bool = True,
                        include_hidden: bool = True, missing: list[str] = ()) -> dict:
    """Rebuild the class-level files of ``out_dir`` from its per-student files.

    ``missing``: roster students without a submission. The class page (instructor only)
    also shows the similarity report and links each student's record, when present."""
    records = load_records(out_dir, students)
    summary = write_summary_files(out_dir, records, assignment, missing)
    if html:
        from .feedback import write_feedback

        page = dict(summary, similarity=read_json(Path(out_dir) / SIMILARITY),
                    records=[r.student for r in records if has_record(out_dir, r.student)])
        write_feedback(out_dir, records, page, include_hidden=include_hidden)
    if junit:
        from .junit import write_junit

        write_junit(Path(junit), assignment, {r.student: r.result for r in records if r.graded},
                    {r.student: r.error for r in records if not r.graded})
    return summary
