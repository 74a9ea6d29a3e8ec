"""Incremental and parallel builds give exactly what a clean serial build gives."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mlcc(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlcc", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def counts(result: subprocess.CompletedProcess) -> tuple[int, int]:
    match = re.search(r"\((\d+) rebuilt, (\d+) unchanged\)", result.stdout)
    assert match, result.stdout + result.stderr
    return int(match[1]), int(match[2])


def workspace(tmp_path: Path, modules: int = 0) -> Path:
    shutil.copytree(ROOT / "modules", tmp_path / "modules", ignore=shutil.ignore_patterns("*.joblib", "__pycache__"))
    shutil.copytree(ROOT / "overlays", tmp_path / "overlays")
    if modules:
        subprocess.run([sys.executable, str(ROOT / "bench/compiler/generate.py"), str(modules), str(tmp_path / "many")],
                       check=True, capture_output=True)
    return tmp_path


def test_unchanged_modules_are_skipped_and_changed_ones_rebuilt(tmp_path):
    ws = workspace(tmp_path)
    assert counts(mlcc(ws, "build", "modules", "-o", "out")) == (2, 0)
    assert counts(mlcc(ws, "build", "modules", "-o", "out")) == (0, 2)
    manifest = ws / "modules/iris/iris-mlcmp.yaml"
    manifest.write_text(manifest.read_text().replace("iris:1f3c9a2", "iris:2b4d6f8"))
    assert counts(mlcc(ws, "build", "modules", "-o", "out")) == (1, 1)
    assert "iris:2b4d6f8" in (ws / "out/dev/pu-alice-pa-iris/deployment-iris-mlcmp.yaml").read_text()
    assert mlcc(ws, "build", "modules", "-o", "clean", "--no-cache").returncode == 0
    assert tree(ws / "out") == tree(ws / "clean")


def test_a_hand_edited_output_is_rebuilt_and_caught_by_check(tmp_path):
    ws = workspace(tmp_path)
    assert mlcc(ws, "build", "modules", "-o", "out").returncode == 0
    original = tree(ws / "out")
    edited = ws / "out/dev/pu-bob-pa-textstats/service-textstats-mlcmp.yaml"
    edited.write_text(edited.read_text() + "# hand edit\n")
    check = mlcc(ws, "build", "modules", "-o", "out", "--check")
    assert check.returncode == 1 and "service-textstats-mlcmp.yaml: stale" in check.stdout
    assert counts(mlcc(ws, "build", "modules", "-o", "out")) == (1, 1)
    assert tree(ws / "out") == original


def test_an_environment_change_rebuilds_everything_and_a_removed_module_leaves(tmp_path):
    ws = workspace(tmp_path)
    assert mlcc(ws, "build", "modules", "-o", "out").returncode == 0
    env = ws / "overlays/dev/environment.yaml"
    env.write_text(env.read_text().replace("replicas: 1", "replicas: 3"))
    assert counts(mlcc(ws, "build", "modules", "-o", "out")) == (2, 0)
    shutil.rmtree(ws / "modules/textstats")
    assert counts(mlcc(ws, "build", "modules", "-o", "out")) == (0, 1)
    assert not (ws / "out/dev/pu-bob-pa-textstats").exists()
    assert "pu-bob-pa-textstats" not in (ws / "out/dev/argocd/kustomization.yaml").read_text()


def test_parallel_build_equals_serial_build(tmp_path):
    ws = workspace(tmp_path, modules=20)
    serial = mlcc(ws, "build", "many", "-o", "serial", "--no-cache", "--jobs", "1")
    parallel = mlcc(ws, "build", "many", "-o", "parallel", "--no-cache", "--jobs", "2")
    assert serial.returncode == 0 and parallel.returncode == 0, serial.stderr + parallel.stderr
    assert tree(ws / "serial") and tree(ws / "serial") == tree(ws / "parallel")


def test_parallel_build_reports_every_error(tmp_path):
    ws = workspace(tmp_path, modules=20)
    for name in ("mod00003", "mod00017"):
        boxes = ws / "many" / name / "boxes.yaml"
        boxes.write_text(boxes.read_text().replace("capacity:", "capacty:", 1))
    result = mlcc(ws, "build", "many", "-o", "out", "--jobs", "2")
    assert result.returncode == 1
    assert result.stderr.count("error[MLCC201]") == 2
    assert not (ws / "out").exists()


def test_an_unchanged_module_repeats_its_warnings(tmp_path):
    ws = workspace(tmp_path)
    (ws / "modules/iris/files-api.yaml").unlink()  # no file API: warning MLCC602
    first = mlcc(ws, "build", "modules", "-o", "out")
    second = mlcc(ws, "build", "modules", "-o", "out")
    assert counts(second) == (0, 2)
    assert "warning[MLCC602]" in first.stderr
    assert second.stderr == first.stderr
