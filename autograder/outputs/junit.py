"""JUnit XML for CI systems: a <testsuite> per submission, a <testcase> per check.

The de-facto schema CI tools read (Jenkins, GitLab, GitHub test-report actions): a check
with less than full points is a <failure> carrying the grader's student-safe message; a
submission that could not be graded is one <testcase> with an <error>. Points go into
<properties> so a report can show the score.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..common.files import write_atomically
from ..common.safe_text import xml_text
from ..grading.results import GradeResult

def _clean(text) -> str:
    """Student text (names, messages, file names) as XML 1.0 can hold it."""
    return xml_text(text)


def to_junit(assignment: str, graded: dict[str, GradeResult],
             errors: dict[str, str] | None = None) -> str:
    """``graded``: student -> result; ``errors``: student -> why not graded."""
    root = ET.Element("testsuites", name=assignment)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for student, result in graded.items():
        student = _clean(student)
        tests = result.tests
        failures = sum(not t.passed for t in tests)
        suite = ET.SubElement(root, "testsuite", name=f"{assignment}: {student}",
                              tests=str(len(tests)), failures=str(failures), errors="0",
                              skipped="0", time=f"{result.execution_time:.2f}")
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="score", value=f"{result.score:g}")
        ET.SubElement(props, "property", name="max_score", value=f"{result.max_score:g}")
        for test in tests:
            case = ET.SubElement(suite, "testcase", classname=f"{assignment}.{student}",
                                 name=_clean(test.name), time="0")
            case_props = ET.SubElement(case, "properties")
            for key, value in (("score", test.score), ("max_score", test.max_score)):
                ET.SubElement(case_props, "property", name=key, value=f"{value:g}")
            ET.SubElement(case_props, "property", name="visibility", value=test.visibility)
            if not test.passed:
                message = _clean(test.output or "check failed")
                failure = ET.SubElement(case, "failure", message=message.split("\n")[0][:500],
                                        type="GradingFailure")
                failure.text = message
        totals["tests"] += len(tests)
        totals["failures"] += failures
    for student, error in (errors or {}).items():
        student = _clean(student)
        suite = ET.SubElement(root, "testsuite", name=f"{assignment}: {student}", tests="1",
                              failures="0", errors="1", skipped="0", time="0")
        case = ET.SubElement(suite, "testcase", classname=f"{assignment}.{student}",
                             name="grading", time="0")
        error = _clean(error)
        node = ET.SubElement(case, "error", message=error.split("\n")[0][:500],
                             type="NotGraded")
        node.text = error
        totals["tests"] += 1
        totals["errors"] += 1
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path: Path, assignment: str, graded: dict[str, GradeResult],
                errors: dict[str, str] | None = None) -> None:
    write_atomically(Path(path), to_junit(assignment, graded, errors))
