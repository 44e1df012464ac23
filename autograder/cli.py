"""Command line: ``python -m autograder {release,grade}``.

Exit status of ``grade``: 0 when every submission was graded (whatever its score);
1 when ``--fail-under`` was given and a score fell below it; 2 for a usage error (unknown
assignment, bad options); 3 when the grader itself failed and no trustworthy score exists.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

EXIT_OK, EXIT_BELOW_THRESHOLD, EXIT_USAGE, EXIT_GRADER_ERROR = 0, 1, 2, 3
COURSE_ROOT = Path(__file__).resolve().parent.parent


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cmd_release(args, console: Console) -> int:
    from .release import ReleaseError, release_all, release_assignment

    root = Path(args.course_root)
    try:
        if args.assignments:
            written = [p for name in args.assignments for p in release_assignment(name, root)]
        else:
            written = release_all(root)
    except ReleaseError as exc:
        console.print(f"[red]release failed:[/] {exc}")
        return EXIT_USAGE
    for path in written:
        console.print(f"released {path.relative_to(root)}")
    return EXIT_OK


def cmd_grade(args, console: Console) -> int:
    from .assignments import UnknownAssignment, get_assignment
    from .grading import GraderError, grade
    from .reports import print_result, write_results_json

    try:
        assignment = get_assignment(args.assignment)
    except UnknownAssignment as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    if args.results and len(args.submissions) > 1:
        console.print("[red]error:[/] --results takes one submission; use --out for several")
        return EXIT_USAGE
    status = EXIT_OK
    summary = []
    for submission in args.submissions:
        try:
            result = grade(Path(submission), assignment)
        except GraderError as exc:
            console.print(f"[red]grader error[/] for {submission}: {exc}")
            status = EXIT_GRADER_ERROR
            continue
        if not args.quiet:
            print_result(result, console)
        for problem in getattr(result, "internal_errors", []):
            print(problem, file=sys.stderr)
        if args.results:
            write_results_json(result, Path(args.results))
        if args.out:
            write_results_json(result, Path(args.out) / f"{Path(submission).stem}.json")
        summary.append((submission, result.score, result.max_score))
        if args.fail_under is not None and result.score < args.fail_under \
                and status == EXIT_OK:
            status = EXIT_BELOW_THRESHOLD
    if len(summary) > 1:
        from rich.table import Table

        table = Table(title=f"{assignment.name}: {len(summary)} submissions")
        table.add_column("submission")
        table.add_column("score", justify="right")
        for submission, score, max_score in summary:
            table.add_row(Path(submission).name, f"{score:g}/{max_score:g}")
        console.print(table)
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    release = sub.add_parser("release", help="build release/ from source/ with nbgrader")
    release.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    release.add_argument("--course-root", default=str(COURSE_ROOT))
    release.set_defaults(handler=cmd_release)

    grade = sub.add_parser("grade", help="grade submitted notebooks")
    grade.add_argument("submissions", nargs="+", metavar="SUBMISSION.ipynb")
    grade.add_argument("--assignment", required=True)
    grade.add_argument("--results", help="write Gradescope results.json here (one submission)")
    grade.add_argument("--out", help="write <submission>.json for each submission here")
    grade.add_argument("--fail-under", type=float, default=None,
                       help="exit with status 1 when a score is below this")
    grade.add_argument("--quiet", action="store_true", help="no per-check table")
    grade.set_defaults(handler=cmd_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    _quiet_tensorflow()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    return args.handler(args, Console())
