"""JUnit XML for CI systems: one <testcase> per result row, a <failure> for each failed row.

The shape follows the schema CI systems read (Jenkins xunit's junit-10.xsd, also used by GitLab, GitHub
test-report actions, Azure and CircleCI): <testsuites> → <testsuite name tests failures errors time> →
<testcase name classname time> with optional <failure message type> and <system-out>.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from ..outputs import write_output
from .rules import CheckResult, RuleResult

_BAD_XML = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF], "\ufffd")


def _clean(s: str) -> str:
    """Characters XML 1.0 cannot hold (control characters) become U+FFFD."""
    return s.translate(_BAD_XML)


def _out(r: RuleResult) -> str:
    lines = [f"measured: {r.measured}", f"threshold: {r.threshold}"]
    if r.corpus:
        lines.append(f"corpus: {r.corpus}")
    if r.detail:
        lines.append(r.detail)
    for d in r.data.get("diffs", []):
        lines.append(f"--- {d['id']}: {d['text']!r}")
        lines.append(f"  golden : {' | '.join(d['golden_pieces'])}   ids {d['golden_ids']}")
        lines.append(f"  current: {' | '.join(d['current_pieces'])}   ids {d['current_ids']}")
    return "\n".join(lines)


def to_junit(res: CheckResult, elapsed: float = 0.0) -> str:
    n_fail = res.n_failed
    time = f"{elapsed:.3f}"
    suites = ET.Element("testsuites", name="tok check", tests=str(len(res.results)), failures=str(n_fail),
                        errors="0", time=time)
    suite = ET.SubElement(suites, "testsuite", name=f"tok check {res.tokenizer['name']}",
                          tests=str(len(res.results)), failures=str(n_fail), errors="0", skipped="0", time=time,
                          timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                          hostname=_clean(socket.gethostname() or "localhost"), file=_clean(res.policy))
    props = ET.SubElement(suite, "properties")
    for k, v in (("tokenizer", res.tokenizer["name"]), ("tokenizer.sha256", res.tokenizer["sha256"]),
                 ("policy", res.policy)):
        ET.SubElement(props, "property", name=k, value=_clean(str(v)))
    for r in res.results:
        case = ET.SubElement(suite, "testcase", name=_clean(r.name), classname=f"tokforensics.{r.rule}",
                             time=f"{r.seconds:.3f}")
        if not r.passed:
            fail = ET.SubElement(case, "failure", message=_clean(r.detail or f"{r.name} failed"), type=r.rule)
            fail.text = _clean(_out(r))
        else:
            ET.SubElement(case, "system-out").text = _clean(_out(r))
    if res.notes:
        ET.SubElement(suite, "system-out").text = _clean("\n".join(res.notes))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_junit(path: Path, res: CheckResult, elapsed: float = 0.0) -> None:
    write_output(path, to_junit(res, elapsed), "--junit")
