"""Smoke test of the benches: both run in a tiny quick mode and write numbers.

Asserts that the benches run and produce a JSON results file with the expected keys and numeric
values, never how fast anything is (timings are for bench/README.md, not for CI).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def test_compiler_bench_quick(tmp_path: Path) -> None:
    out = tmp_path / "compiler.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench/compiler/run.py"), "--quick", "--sizes", "2",
         "--reps", "1", "--lint-reps", "1", "--work", str(tmp_path / "work"), "--out", str(out)],
        cwd=ROOT, check=True, timeout=120, capture_output=True,
    )
    res = json.loads(out.read_text())
    assert {"machine", "mlcc", "build", "kustomize", "lint_single_file", "targets",
            "warm_noop", "incremental_rebuild"} <= res.keys()
    build = res["build"]["2"]
    assert build["ok"], build["failures"]
    assert build["files"] > 0
    for key in ("wall_s", "cpu_s", "peak_rss_mib"):
        assert _num(build[key]["median"]) and build[key]["min"] <= build[key]["max"]
    assert res["lint_single_file"]["ok"] and _num(res["lint_single_file"]["wall_s"]["median"])
    if shutil.which("kubectl"):
        assert _num(res["kustomize"]["2"]["wall_s"]["median"])
    for key in ("warm_noop", "incremental_rebuild"):
        assert _num(res[key]["2"]["wall_s"]["median"]), res[key]
    assert set(res["targets"]) == {"build_1000_cold_s", "build_1000_peak_rss_mib",
                                   "lint_single_file_s", "incremental_rebuild_1000_s"}


@pytest.mark.skipif(shutil.which("wrk") is None,
                    reason="wrk is not installed (apt-get install -y wrk); runtime bench skipped")
@pytest.mark.skipif(shutil.which("taskset") is None, reason="taskset (util-linux) is not installed")
def test_runtime_bench_quick(tmp_path: Path) -> None:
    out = tmp_path / "runtime.json"
    servers = "mlcc-runtime,mlcc-runtime-batched,mlcc-runtime-identity"
    if (ROOT / "bench/.work/venv-starlette/bin/python").exists():
        servers += ",starlette-echo"
    subprocess.run(
        [sys.executable, str(ROOT / "bench/runtime/run.py"), "--quick", "--servers", servers,
         "--runs", "1", "--seconds", "1", "--conns", "1,8", "--out", str(out)],
        cwd=ROOT, check=True, timeout=120, capture_output=True,
    )
    res = json.loads(out.read_text())
    assert {"machine", "config", "servers", "targets"} <= res.keys()
    mine = res["servers"]["mlcc-runtime"]
    assert mine["ok"], mine.get("error")
    for target in ("predict", "v2-infer"):
        for c in ("1", "8"):
            row = mine["targets"][target][c]
            assert row["errors"] == 0
            for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_req"):
                assert _num(row[key]["median"])
    assert res["servers"]["mlcc-runtime-identity"]["ok"], res["servers"]["mlcc-runtime-identity"].get("error")
    batched = res["servers"]["mlcc-runtime-batched"]
    assert batched["ok"], batched.get("error")
    assert set(batched["targets"]["v2-infer"]) == {"8"}  # no c=1 for a batching server
    assert batched["targets"]["v2-infer"]["8"]["errors"] == 0
    assert {"iris_v2_p50_c1_ms", "iris_predict_p50_c1_ms", "identity_throughput_vs_starlette_echo_c32",
            "batched_throughput_vs_best_peer_c32", "unbatched_throughput_vs_best_peer_c32"} \
        <= res["targets"].keys()
