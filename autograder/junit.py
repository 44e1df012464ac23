"""JUnit XML for CI systems: a <testsuite> per submission, a <testcase> per check.

The de-facto schema CI tools read (Jenkins, GitLab, GitHub test-report actions): a check
with less than full points is a <failure> carrying the grader's student-safe message; a
submission that could not be graded is one <testcase> with an <error>. Points go into
<properties> so a report can show the score.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from .reports import write_atomically

# Characters XML 1.0 cannot hold (a student's exception text may contain any of them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def _status(test: dict) -> str:
    return "passed" if float(test.get("score") or 0) >= float(test.get("max_score") or 0) \
        and test.get("status", "passed") != "failed" else "failed"


def to_junit(assignment: str, graded: dict[str, dict], errors: dict[str, str] | None = None,
             ) -> str:
    """``graded``: student -> results.json document; ``errors``: student -> why not graded."""
    root = ET.Element("testsuites", name=assignment)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for student, data in graded.items():
        tests = data.get("tests", [])
        failures = sum(_status(t) == "failed" for t in tests)
        suite = ET.SubElement(root, "testsuite", name=f"{assignment}: {student}",
                              tests=str(len(tests)), failures=str(failures), errors="0",
                              skipped="0", time=f"{float(data.get('execution_time') or 0):.2f}")
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="score", value=f"{data.get('score', 0):g}")
        ET.SubElement(props, "property", name="max_score", value=f"{data.get('max_score', 0):g}")
        for test in tests:
            case = ET.SubElement(suite, "testcase", classname=f"{assignment}.{student}",
                                 name=_clean(test.get("name", "")), time="0")
            case_props = ET.SubElement(case, "properties")
            for key in ("score", "max_score"):
                ET.SubElement(case_props, "property", name=key, value=f"{test.get(key, 0):g}")
            ET.SubElement(case_props, "property", name="visibility",
                          value=str(test.get("visibility", "visible")))
            if _status(test) == "failed":
                message = _clean(test.get("output") or "check failed")
                failure = ET.SubElement(case, "failure", message=message.split("\n")[0][:500],
                                        type="GradingFailure")
                failure.text = message
        totals["tests"] += len(tests)
        totals["failures"] += failures
    for student, error in (errors or {}).items():
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


def write_junit(path: Path, assignment: str, graded: dict[str, dict],
                errors: dict[str, str] | None = None) -> None:
    write_atomically(Path(path), to_junit(assignment, graded, errors))
