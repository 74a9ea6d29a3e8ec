"""`mlcc run` with example requests: the service warms up before it is ready; a failed warm-up
stops the run at once with the cause, instead of after the readiness timeout."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

MLCC = str(Path(sys.executable).parent / "mlcc")


def _init(tmp_path: Path) -> Path:
    done = subprocess.run([MLCC, "init", "modules/scorer", "--owner", "bob"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return tmp_path / "modules" / "scorer"


def test_smoke_passes_on_the_scaffold(tmp_path: Path) -> None:
    _init(tmp_path)
    run = subprocess.run([MLCC, "run", "modules/scorer", "--port", "0", "--smoke"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "smoke scorer-mlcmp example 'two-rows': 200" in run.stdout
    assert "press Ctrl-C" not in run.stdout


def test_a_failed_warm_up_stops_the_run_at_once_with_its_cause(tmp_path: Path) -> None:
    module = _init(tmp_path)
    (module / "data/models/users/developer/file_groups/models/model.json").unlink()  # no model released
    started = time.monotonic()
    run = subprocess.run([MLCC, "run", "modules/scorer", "--port", "0", "--smoke"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "warm-up with example 'two-rows' failed" in run.stderr
    assert "model.json" in run.stderr  # the log tail names what is missing
    assert time.monotonic() - started < 40  # not the 60 s readiness timeout
