"""A grade where people read it: the terminal table, Markdown for CI job summaries, the
self-check advice, and results.json (Gradescope's schema) for machines."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..common.files import write_atomically
from ..common.safe_text import markdown_text, terminal_text
from ..grading.results import PARTIAL, PASSED, GradeResult

_MARKS = {PASSED: "[green]✓[/]", PARTIAL: "[yellow]◐[/]"}
_MARKDOWN_MARKS = {PASSED: "✅", PARTIAL: "🟡"}


def write_results_json(result: GradeResult, path: Path) -> None:
    write_atomically(path, json.dumps(result.to_gradescope(), indent=2) + "\n")


def score_table(result: GradeResult) -> Table:
    title = terminal_text(f"{result.assignment}: {result.submission}", 200)  # a file name
    table = Table(title=Text(title), show_lines=False)
    table.add_column("check")
    table.add_column("points", justify="right")
    table.add_column("message", overflow="fold")
    for test in result.tests:
        mark = _MARKS.get(test.outcome, "[red]✗[/]")
        # names and messages may quote the student's text: never parse them as markup
        table.add_row(Text.from_markup(mark + " ") + Text(terminal_text(test.name)),
                      f"{test.score:g}/{test.max_score:g}",
                      Text(terminal_text(test.output, multiline=True)))
    table.add_section()
    table.add_row("[bold]total[/]", f"[bold]{result.score:g}/{result.max_score:g}[/]", "")
    return table


def print_result(result: GradeResult, console: Console | None = None) -> None:
    console = console or Console()
    console.print(score_table(result))
    for note in result.notes:
        console.print(Text.from_markup("[yellow]note:[/] ") + Text(terminal_text(note)))


def print_advice(result: GradeResult, console: Console) -> None:
    """Self-check: what passed, and for each public check that did not, the message."""
    todo = [t for t in result.tests if not t.passed]
    console.print(f"[bold]{escape(result.assignment)}[/]: {len(result.tests) - len(todo)} of "
                  f"{len(result.tests)} public checks pass "
                  f"({result.score:g}/{result.max_score:g} public points).")
    for note in result.notes:
        console.print(f"[yellow]notebook:[/] {escape(terminal_text(note))}", highlight=False)
    if not todo:
        console.print("[green]Everything the public checks cover works.[/] Hidden checks "
                      "run when your work is graded.")
        return
    console.print("\n[bold]To fix:[/]")
    for test in todo:
        console.print(f"[red]✗[/] {escape(terminal_text(test.name))} "
                      f"({test.score:g}/{test.max_score:g})", highlight=False)
        if test.output:
            console.print("    " + escape(terminal_text(test.output)), highlight=False)


def _md_cell(text) -> str:
    """Text safe inside a GitHub-flavoured Markdown table cell: literal, no live link."""
    return markdown_text(text)


def markdown_summary(result: GradeResult, title: str | None = None) -> str:
    """A Markdown score table, e.g. for a CI job summary ($GITHUB_STEP_SUMMARY)."""
    lines = [f"### {_md_cell(title or f'{result.assignment}: {result.submission}')}", "",
             f"**Score: {result.score:g} / {result.max_score:g}**", "",
             "| | check | points | message |", "|---|---|---:|---|"]
    for test in result.tests:
        mark = _MARKDOWN_MARKS.get(test.outcome, "❌")
        lines.append(f"| {mark} | {_md_cell(test.name)} | {test.score:g}/{test.max_score:g} "
                     f"| {_md_cell(test.output)} |")
    lines += [f"> {_md_cell(note)}" for note in result.notes]
    return "\n".join(lines) + "\n\n"


def print_class_summary(summary: dict, console: Console) -> None:
    table = Table(title=f"{summary['assignment']}: {summary['submissions']} submissions")
    table.add_column("graded", justify="right")
    table.add_column("not graded", justify="right")
    table.add_column("mean", justify="right")
    table.add_column("median", justify="right")
    fmt = lambda x: "–" if x is None else f"{x:.3g}/{summary['max_score']:g}"  # noqa: E731
    table.add_row(str(summary["graded"]), str(summary["failed"]), fmt(summary["mean"]),
                  fmt(summary["median"]))
    console.print(table)
    for failure in summary["failures"][:20]:
        console.print(f"[red]not graded:[/] {escape(terminal_text(failure['student'], 200))}: "
                      f"{escape(terminal_text(failure['error'], 500))}", highlight=False)


def print_scores(assignment: str, scores: list[tuple[str, float, float]],
                 console: Console) -> None:
    """One line per submission graded by ``grade``, when there were several."""
    table = Table(title=f"{assignment}: {len(scores)} submissions")
    table.add_column("submission")
    table.add_column("score", justify="right")
    for name, score, max_score in scores:
        table.add_row(Text(terminal_text(name, 200)), f"{score:g}/{max_score:g}")
    console.print(table)
