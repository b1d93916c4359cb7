"""`--junit` output validates against the JUnit schema CI systems use (tests/data/junit-10.xsd)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tokforensics.policy.junit import to_junit, write_junit
from tokforensics.policy.rules import CheckResult, RuleResult

xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is not installed (pip install xmlschema)")
XSD = Path(__file__).parent / "data" / "junit-10.xsd"


def result() -> CheckResult:
    rows = [
        RuleResult("premium", "premium[tur]", 2.02, "<= 2.5", True, "udhr; 31 aligned segments", seconds=0.1234),
        RuleResult("golden", "golden", 1, "<= 0", False, "golden file g.json (126 probe texts)",
                   "1 of 126 probe texts tokenize differently; first: code/c", line=3,
                   data={"diffs": [{"id": "code/c", "text": "a\x00b <&> ]]>", "golden_ids": [1, 2],
                                    "current_ids": [3], "golden_pieces": ["a", "\x00b"], "current_pieces": ["a\x00b"],
                                    "first_diff": 0}]}),
        RuleResult("special_tokens", "special[<|endoftext|>]", None, "== 50256", False, None,
                   "'<|endoftext|>' is not a special or added token of x"),
    ]
    return CheckResult("/proj/tokforensics.toml", {"name": "gpt2", "sha256": "ab" * 32}, rows,
                       notes=["encoding libraries changed since the baseline: tiktoken 0.7 → 0.8"])


def test_junit_validates_against_the_ci_schema(tmp_path):
    schema = xmlschema.XMLSchema(str(XSD))
    path = tmp_path / "junit.xml"
    write_junit(path, result(), elapsed=12.3456)
    schema.validate(str(path))  # raises with the offending element on any violation
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "2"
    (suite,) = root
    assert suite.get("time") == "12.346" and suite.get("errors") == "0"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["premium[tur]", "golden", "special[<|endoftext|>]"]
    assert [c.get("classname") for c in cases] == ["tokforensics.premium", "tokforensics.golden",
                                                   "tokforensics.special_tokens"]
    assert cases[0].find("failure") is None and cases[0].get("time") == "0.123"
    fail = cases[1].find("failure")
    assert fail.get("message").startswith("1 of 126") and "ids [1, 2]" in fail.text
    assert "\x00" not in fail.text  # control characters XML cannot hold are replaced
    assert "tiktoken 0.7" in suite.find("system-out").text


def test_all_passing_is_valid_too(tmp_path):
    res = result()
    res.results = res.results[:1]
    res.notes = []
    xmlschema.XMLSchema(str(XSD)).validate(to_junit(res, 0.0))


def test_schema_rejects_what_ci_would(tmp_path):
    """The schema is strict enough to matter: a testcase without a name is invalid."""
    bad = '<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><testcase/></testsuite></testsuites>'
    assert not xmlschema.XMLSchema(str(XSD)).is_valid(bad)
