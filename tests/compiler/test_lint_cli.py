"""`mlcc lint` as users and pre-commit call it: paths, exit codes, usage errors, no tracebacks."""

from __future__ import annotations

import resource
import shutil

import pytest
from compiler_support import CASE_OPTIONS, CASES, MODULES, ROOT, run_mlcc


def test_examples_lint_clean_with_zero_diagnostics():
    run = run_mlcc("lint", "--format", "json", "modules/")
    assert (run.code, run.json(), run.err) == (0, [], "")


def test_default_path_is_modules_and_the_text_says_clean():
    run = run_mlcc("lint")
    assert (run.code, run.out) == (0, "All checks passed (2 modules).\n")


def test_lint_of_the_examples_is_cheap():
    """pre-commit runs it on every commit: heavy imports stay lazy. CPU time, not wall
    time, so a busy machine does not make this flaky (it measures about 0.3 s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert run_mlcc("lint", "modules/").code == 0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) < 2


def test_a_single_file_lints_its_whole_module(tmp_path):
    """pre-commit passes only the changed file; its references reach the other manifests."""
    module = tmp_path / "iris"
    shutil.copytree(MODULES / "iris", module, ignore=shutil.ignore_patterns("data", "__pycache__"))
    assert run_mlcc("lint", "--format", "json", module / "boxes.yaml", cwd=ROOT).json() == []
    component = module / "iris-mlcmp.yaml"
    component.write_text(component.read_text().replace("s3BoxName: models", "s3BoxName: modles"))
    run = run_mlcc("lint", "--format", "json", module / "boxes.yaml", cwd=ROOT)
    assert run.code == 1
    assert [(d["code"], d["file"]) for d in run.json()] == [("MLCC301", str(component))]


def test_the_example_file_pre_commit_would_pass():
    run = run_mlcc("lint", "modules/iris/boxes.yaml")
    assert (run.code, run.out) == (0, "All checks passed (1 module).\n")


def test_several_files_of_one_module_lint_it_once():
    files = [CASES / "301-unknown-databox" / name for name in ("boxes.yaml", "component.yaml", "apis.yaml")]
    run = run_mlcc("lint", *CASE_OPTIONS, "--format", "json", *files, cwd=CASES)
    assert [d["code"] for d in run.json()] == ["MLCC301"] * 3


def test_a_modules_root_lints_every_module_below_it():
    run = run_mlcc("lint", "--format", "json", CASES, cwd=CASES)
    assert run.code == 1
    files = {d["file"] for d in run.json()}
    assert any("/301-unknown-databox/" in f for f in files) and any("/204-quantity/" in f for f in files)
    assert "Traceback" not in run.err


def test_nonexistent_path_is_a_diagnostic_not_a_traceback():
    run = run_mlcc("lint", "--format", "json", "no/such/module")
    assert run.code == 1
    assert [(d["code"], d["file"], d["line"]) for d in run.json()] == [("MLCC105", "no/such/module", 0)]
    assert run.err == ""


def test_an_empty_folder_is_reported_not_passed(tmp_path):
    run = run_mlcc("lint", "--format", "json", tmp_path)
    assert run.code == 1
    assert [d["code"] for d in run.json()] == ["MLCC106"]


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    (tmp_path / "big.yaml").write_text("# padding\n" * 500_000)  # 5 MB
    run = run_mlcc("lint", "--format", "json", tmp_path)
    assert run.code == 1
    assert [(d["code"], d["line"]) for d in run.json()] == [("MLCC105", 0)]


@pytest.mark.parametrize(
    "argv",
    [
        ["lint", "--no-such-option"],
        ["frobnicate"],
        [],
        ["lint", "--format", "xml", "modules/"],
    ],
    ids=["unknown-option", "unknown-command", "no-command", "unknown-format"],
)
def test_usage_errors_exit_2(argv):
    run = run_mlcc(*argv)
    assert run.code == 2
    assert "Traceback" not in run.err
    assert run.err.strip()


def test_version():
    run = run_mlcc("--version")
    assert run.code == 0 and run.out.startswith("mlcc ")


def test_explain_reports_the_inference_contract():
    run = run_mlcc("explain", "modules/iris")
    assert run.code == 0, run.err
    assert "features" in run.out and "FP32" in run.out


def test_explain_refuses_a_broken_module_with_diagnostics():
    run = run_mlcc("explain", CASES / "301-unknown-databox", cwd=CASES)
    assert run.code == 1
    assert "error[MLCC301]" in run.err and "Traceback" not in run.err


def test_a_list_where_a_name_belongs_is_a_diagnostic_not_a_crash(tmp_path):
    """Found by the long fuzz: a broken APIComponent's target name was put in a set."""
    module = tmp_path / "iris"
    shutil.copytree(MODULES / "iris", module, ignore=shutil.ignore_patterns("data", "__pycache__"))
    api = module / "iris-api.yaml"
    api.write_text(api.read_text().replace("name: iris-mlcmp", "name: [iris-mlcmp]"))
    run = run_mlcc("lint", "--format", "json", module, cwd=ROOT)
    assert run.code == 1 and "Traceback" not in run.err
    assert ("MLCC203", str(api)) in [(d["code"], d["file"]) for d in run.json()]


def test_an_unknown_key_that_looks_like_a_validator_name_is_reported(tmp_path):
    """Found by the long fuzz: a key containing "[" was taken for a pydantic location tag."""
    module = tmp_path / "iris"
    shutil.copytree(MODULES / "iris", module, ignore=shutil.ignore_patterns("data", "__pycache__"))
    boxes = module / "boxes.yaml"
    boxes.write_text(boxes.read_text().replace("spec:", "'sp[ec':", 1))
    run = run_mlcc("lint", "--format", "json", module, cwd=ROOT)
    assert run.code == 1 and "internal error" not in run.err
    assert any(d["code"] == "MLCC201" and "sp[ec" in d["message"] for d in run.json())


@pytest.mark.parametrize("where", ["manifest", "module folder", "environment"])
def test_links_out_of_the_module_are_refused_and_never_shown(tmp_path, where):
    """A link to a file elsewhere would print it (a CI token, the process environment) into the log."""
    secret = tmp_path / "outside" / "environment.yaml"
    secret.parent.mkdir()
    secret.write_text("token: s3cr3t-token-123\n")
    root = tmp_path / "repo"
    shutil.copytree(MODULES / "iris", root / "modules" / "iris", ignore=shutil.ignore_patterns("data", "*.joblib"))
    shutil.copytree(ROOT / "overlays", root / "overlays")
    link = {
        "manifest": root / "modules" / "iris" / "stolen.yaml",
        "module folder": root / "modules" / "stolen",
        "environment": root / "overlays" / "stolen" / "environment.yaml",
    }[where]
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(secret if where != "module folder" else secret.parent)
    run = run_mlcc("lint", "modules", cwd=root)
    assert run.code == 1
    assert "error[MLCC107]" in run.out and "outside its" in run.out
    assert "s3cr3t" not in run.out + run.err


def test_links_inside_the_module_are_followed(tmp_path):
    module = tmp_path / "iris"
    shutil.copytree(MODULES / "iris", module, ignore=shutil.ignore_patterns("data", "*.joblib"))
    (module / "shared").mkdir()
    (module / "boxes.yaml").rename(module / "shared" / "boxes.yml")
    (module / "boxes.yaml").symlink_to("shared/boxes.yml")
    run = run_mlcc("lint", "--overlays", ROOT / "overlays", module, cwd=tmp_path)
    assert (run.code, run.out.splitlines()[-1]) == (0, "All checks passed (1 module)."), run.out
