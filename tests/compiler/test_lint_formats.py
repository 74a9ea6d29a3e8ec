"""The three report formats of `mlcc lint`: text (rustc/ruff style), JSON and SARIF 2.1.0."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from clirun import mlcc_inprocess
from compiler_support import CASE_OPTIONS, CASES, lint_case, run_mlcc

from mlcc.diagnostics import CODES

HEADER = re.compile(r"^(?P<file>\S+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)\[(?P<code>MLCC\d{3})\]: (?P<message>.+)$")


def _block(text: str, header_prefix: str) -> list[str]:
    """The lines of the one diagnostic whose header starts with `header_prefix`."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(header_prefix)]
    assert len(starts) == 1, text
    block = []
    for line in lines[starts[0] :]:
        if not line:
            break
        block.append(line)
    return block


def test_text_shows_location_source_line_caret_and_help():
    run = run_mlcc("lint", *CASE_OPTIONS, "301-unknown-databox", cwd=CASES)
    assert run.code == 1
    block = _block(run.out, "301-unknown-databox/component.yaml:31:")
    header = HEADER.match(block[0])
    assert header, block[0]
    assert header["col"] == "20" and header["severity"] == "error" and header["code"] == "MLCC301"
    assert "'modles'" in header["message"]
    assert block[1].strip() == "|"
    number, _, source = block[2].partition(" | ")
    assert number == "31" and source == "        s3BoxName: modles  # expect: MLCC301"
    gutter, _, caret = block[3].partition(" | ")
    assert gutter.strip() == "" and len(gutter) == len(number)
    assert caret == " " * 19 + "^" * len("modles")  # under columns 20..25
    assert block[4].strip() == "= help: did you mean 'models'?"


def test_text_summary_counts_errors_warnings_and_modules():
    run = run_mlcc("lint", *CASE_OPTIONS, "301-unknown-databox", "601-602-unpublished", cwd=CASES)
    assert run.out.rstrip().splitlines()[-1] == "Found 3 errors and 2 warnings in 2 modules."


def test_text_warning_only_run_exits_zero():
    run = run_mlcc("lint", *CASE_OPTIONS, "601-602-unpublished", cwd=CASES)
    assert run.code == 0
    assert "warning[MLCC601]" in run.out and "warning[MLCC602]" in run.out


def test_text_clean_run_says_so():
    run = run_mlcc("lint", *CASE_OPTIONS, "000-valid-module", cwd=CASES)
    assert (run.code, run.out) == (0, "All checks passed (1 module).\n")


def test_text_whole_file_diagnostic_has_no_caret_but_keeps_help():
    run = run_mlcc("lint", *CASE_OPTIONS, "106-no-manifests", cwd=CASES)
    block = _block(run.out, "106-no-manifests/empty:")
    assert block[0].startswith("106-no-manifests/empty: error[MLCC106]: ")
    assert "^" not in "\n".join(block)
    assert block[-1].strip().startswith("= help: ")


def test_text_shows_the_line_of_an_invalid_utf8_byte():
    run = run_mlcc("lint", *CASE_OPTIONS, "105-invalid-utf8", cwd=CASES)
    block = _block(run.out, "105-invalid-utf8/boxes.yaml:4:12:")
    assert block[2] == "4 |   name: caf\N{REPLACEMENT CHARACTER}"
    assert block[3] == "  |" + " " * 12 + "^"


def test_text_python_entry_point_diagnostic_shows_the_def_line():
    run = run_mlcc("lint", *CASE_OPTIONS, "504-async", cwd=CASES)
    block = _block(run.out, "504-async/pkg/predict.py:4:1:")
    assert block[2] == "4 | async def inference(parameters, inputs, output_fields, model_key, model=None):"
    assert block[3] == "  | " + "^" * len("async def inference")


def test_text_shows_the_file_as_it_is_now_when_linted_again_in_one_process(tmp_path):
    """An editor integration or a watch loop lints in one process; the shown line must be fresh."""
    shutil.copytree(CASES / "301-unknown-databox", tmp_path / "m")
    component = tmp_path / "m" / "component.yaml"
    first = mlcc_inprocess("lint", "m", cwd=tmp_path)
    assert "31 |         s3BoxName: modles  # expect: MLCC301" in first.out
    component.write_text(component.read_text().replace("s3BoxName: modles", "s3BoxName: modlez"))
    second = mlcc_inprocess("lint", "m", cwd=tmp_path)
    assert "31 |         s3BoxName: modlez  # expect: MLCC301" in second.out, second.out


JSON_KEYS = {"code", "severity", "title", "message", "file", "line", "column", "end_column", "hint", "notes"}


def test_json_has_the_documented_keys(corpus_runs):
    diagnostics = [d for run in corpus_runs.values() for d in run.json()]
    assert diagnostics
    for d in diagnostics:
        assert set(d) == JSON_KEYS
        assert d["title"] == CODES[d["code"]].title
        assert d["severity"] in ("error", "warning", "note")
        assert isinstance(d["message"], str) and d["message"]
        assert d["hint"] is None or isinstance(d["hint"], str)
        assert all(isinstance(d[k], int) for k in ("line", "column", "end_column"))
        if d["line"]:
            assert 1 <= d["column"] < d["end_column"]
        else:
            assert d["column"] == d["end_column"] == 0


def test_json_is_an_empty_list_when_clean():
    run = lint_case("000-valid-module", "--format", "json")
    assert (run.code, run.json()) == (0, [])


def test_output_option_writes_the_report_to_a_file(tmp_path):
    report = tmp_path / "report.json"
    run = run_mlcc("lint", *CASE_OPTIONS, "--format", "json", "--output", report, "301-unknown-databox", cwd=CASES)
    assert run.code == 1 and run.out == ""
    assert [d["code"] for d in json.loads(report.read_text())] == ["MLCC301"] * 3


@pytest.fixture(scope="module")
def sarif():
    run = run_mlcc("lint", *CASE_OPTIONS, "--format", "sarif", "301-unknown-databox", "106-no-manifests", "601-602-unpublished", cwd=CASES)
    assert run.code == 1
    return run.json()


def test_sarif_log_and_tool(sarif):
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json") or "sarif-schema-2.1.0" in sarif["$schema"]
    assert len(sarif["runs"]) == 1
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["name"] == "mlcc" and driver["version"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(CODES) and len(set(ids)) == len(ids)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] == CODES[rule["id"]].title
        # Code-scanning UIs show the rule's help beside each alert: the whole explanation.
        assert rule["help"]["markdown"] == CODES[rule["id"]].explanation
        assert "## Fix" in rule["help"]["text"] and rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] == CODES[rule["id"]].severity.value
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"]), rule["name"]


def test_sarif_results(sarif):
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert sorted(r["ruleId"] for r in results) == sorted(["MLCC301"] * 3 + ["MLCC106"] * 2 + ["MLCC601", "MLCC602"])
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == ("warning" if result["ruleId"] in ("MLCC601", "MLCC602") else "error")
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        region = physical.get("region")
        if region is not None:
            assert region["startLine"] >= 1 and region["startColumn"] >= 1
            assert region["endColumn"] > region["startColumn"]
    mount = next(r for r in results if "'modles'" in r["message"]["text"])
    physical = mount["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "301-unknown-databox/component.yaml"
    assert physical["region"] == {"startLine": 31, "startColumn": 20, "endColumn": 26}
    assert "did you mean 'models'?" in mount["message"]["text"]
    folder = next(r for r in results if r["ruleId"] == "MLCC106" and "empty" in r["message"]["text"])
    assert "region" not in folder["locations"][0]["physicalLocation"]  # a folder has no lines


def test_sarif_uris_are_uri_references(tmp_path):
    module = tmp_path / "my module"
    shutil.copytree(CASES / "301-unknown-databox", module)
    relative = run_mlcc("lint", *CASE_OPTIONS, "--format", "sarif", "my module", cwd=tmp_path).json()
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in relative["runs"][0]["results"]}
    assert uris == {"my%20module/apis.yaml", "my%20module/component.yaml"}
    absolute = run_mlcc("lint", *CASE_OPTIONS, "--format", "sarif", module, cwd=tmp_path).json()
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in absolute["runs"][0]["results"]}
    assert uris == {(module / "apis.yaml").as_uri(), (module / "component.yaml").as_uri()}
