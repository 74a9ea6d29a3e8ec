"""Compiler bench: cold `mlcc build` at N modules, single-file `mlcc lint`, peak RSS, and
`kubectl kustomize` over the same rendered output as the reference.

    python bench/compiler/run.py            # full: N = 10, 100, 1000
    python bench/compiler/run.py --quick    # N = 10, 50; fewer repetitions

Every measurement is a new process (cold: interpreter start-up, imports, everything) timed
wall-clock around `Popen` … `wait4`; the peak RSS is that child's own `ru_maxrss` from `wait4`
(the getrusage of the child).  Results: median and min-max, written as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import generate  # noqa: E402

TARGETS = {
    "build_1000_cold_s": 5.0,
    "lint_single_file_s": 0.3,
    "build_1000_peak_rss_mib": 200.0,
    "incremental_rebuild_1000_s": 0.5,
}
KUSTOMIZE_FULL_LIMIT = 250  # folders; above it, a seeded sample of this many is timed and scaled


def mlcc_cmd(source: str, work: Path) -> tuple[list[str], dict]:
    """The mlcc command line to time and what it runs.

    ``worktree``: the installed console script (whatever is in compiler/ right now, edits included);
    a git revision (default HEAD): that revision's compiler/ exported with ``git archive`` into
    bench/.work/ and imported first through PYTHONPATH, so other people's half-done edits in the
    shared worktree do not break or skew a long run.
    """
    exe = ROOT / ".venv" / "bin" / "mlcc"
    py = ROOT / ".venv" / "bin" / "python"
    if source == "worktree":
        return ([str(exe)] if exe.exists() else [sys.executable, "-m", "mlcc.cli"]), {"source": "worktree"}
    sha = subprocess.run(["git", "rev-parse", source], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    dest = work / f"mlcc-src-{sha[:12]}"
    if not (dest / "compiler" / "mlcc" / "__init__.py").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha, "compiler"], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    os.environ["PYTHONPATH"] = str(dest / "compiler") + os.pathsep + os.environ.get("PYTHONPATH", "")
    cmd = [str(py if py.exists() else sys.executable), "-c",
           "import sys; from mlcc.cli import main; sys.exit(main())"]
    return cmd, {"source": source, "commit": sha, "path": str(dest / "compiler")}


def run_child(cmd: list[str], timeout: float | None = None) -> dict:
    """Run one process; wall seconds, its own peak RSS (MiB) and CPU seconds, exit code."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    deadline = None if timeout is None else t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.perf_counter() > deadline:
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            return {"wall_s": None, "timeout_s": timeout, "rc": None}
        time.sleep(0.002)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    p.stderr.close()
    return {
        "wall_s": wall,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "peak_rss_mib": ru.ru_maxrss / 1024.0,
        "rc": p.returncode,
        "stderr_tail": err[-400:] if p.returncode else "",
        "loadavg_1m_after": os.getloadavg()[0],
    }


def summary(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def repeat(cmd: list[str], reps: int, timeout: float | None = None) -> dict:
    runs = [run_child(cmd, timeout) for _ in range(reps)]
    bad = [r for r in runs if r.get("rc") not in (0,)]
    runs = [r for r in runs if r.get("rc") == 0]  # a failed or killed run is no timing
    return {
        "ok": not bad,
        "cmd": " ".join(cmd),
        "reps": reps,
        "wall_s": summary([r["wall_s"] for r in runs]),
        "cpu_s": summary([r.get("cpu_s") for r in runs]),
        "peak_rss_mib": summary([r.get("peak_rss_mib") for r in runs]),
        "failures": [{k: r.get(k) for k in ("rc", "timeout_s", "stderr_tail")} for r in bad],
        "loadavg_1m_after": [r.get("loadavg_1m_after") for r in runs],
    }


def time_incremental(cmd: list[str], src: Path, reps: int, timeout: float) -> tuple[dict, dict]:
    """Warm builds with the cache: nothing changed, then one module's manifest changed each time."""
    run_child(cmd, timeout)  # fills the cache for this output folder
    noop = repeat(cmd, reps, timeout)
    boxes = src / "mod00000" / "boxes.yaml"
    original = boxes.read_text()
    runs = []
    try:
        for i in range(reps):
            boxes.write_text(original.replace("capacity: 1G", f"capacity: {i + 2}G", 1))
            runs.append(run_child(cmd, timeout))
    finally:
        boxes.write_text(original)
    good = [r for r in runs if r.get("rc") == 0]
    one = {
        "wall_s": summary([r["wall_s"] for r in good]),
        "peak_rss_mib": summary([r["peak_rss_mib"] for r in good]),
        "failures": [{k: r.get(k) for k in ("rc", "timeout_s", "stderr_tail")} for r in runs if r.get("rc") != 0],
        "changed": "the capacity of one DataBox in mod00000",
    }
    return noop, one


def kustomize_folders(out: Path) -> list[Path]:
    return sorted(p.parent for p in out.glob("*/*/kustomization.yaml"))


def time_kustomize(out: Path, reps: int) -> dict:
    """`kubectl kustomize` over every rendered folder (sum), or a sample scaled up."""
    kubectl = shutil.which("kubectl")
    folders = kustomize_folders(out)
    if not kubectl:
        return {"available": False, "reason": "kubectl not on PATH", "folders": len(folders)}
    if len(folders) > KUSTOMIZE_FULL_LIMIT:
        sample = random.Random(6).sample(folders, KUSTOMIZE_FULL_LIMIT)
        method = f"sample of {len(sample)} of {len(folders)} folders, scaled by {len(folders) / len(sample):.2f}"
    else:
        sample = folders
        method = f"sum over all {len(folders)} folders"
    scale = len(folders) / len(sample)
    totals, cpus, rc = [], [], 0
    for _ in range(reps):
        wall = cpu = 0.0
        for f in sample:
            r = run_child([kubectl, "kustomize", str(f)])
            wall += r["wall_s"]
            cpu += r["cpu_s"]
            rc = rc or r["rc"]
        totals.append(wall * scale)
        cpus.append(cpu * scale)
    return {
        "available": True,
        "method": method,
        "folders": len(folders),
        "reps": reps,
        "rc": rc,
        "wall_s": summary(totals),
        "cpu_s": summary(cpus),
        "per_folder_ms": 1000 * statistics.median(totals) / max(1, len(folders)),
    }


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N = 10, 50 and fewer repetitions")
    ap.add_argument("--sizes", help="comma-separated N (overrides the default sizes)")
    ap.add_argument("--reps", type=int, help="repetitions per N (default 3; 1 for N >= 1000)")
    ap.add_argument("--lint-reps", type=int, default=None)
    ap.add_argument("--kustomize-reps", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=720.0, help="seconds per build before it is killed")
    ap.add_argument("--source", default="HEAD",
                    help="git revision of compiler/ to bench (default HEAD), or 'worktree'")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / ".work" / "compiler")
    ap.add_argument("--out", type=Path, default=None, help="JSON results (default bench/results/compiler[-quick].json)")
    a = ap.parse_args(argv)

    sizes = [int(s) for s in a.sizes.split(",")] if a.sizes else ([10, 50] if a.quick else [10, 100, 1000])
    lint_reps = a.lint_reps or (3 if a.quick else 10)
    out_json = a.out or ROOT / "bench" / "results" / ("compiler-quick.json" if a.quick else "compiler.json")
    overlays = ROOT / "overlays"
    a.work.mkdir(parents=True, exist_ok=True)
    mlcc, source = mlcc_cmd(a.source, a.work)

    res: dict = {
        "bench": "compiler",
        "quick": a.quick,
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "mlcc": source,
        "build": {},
        "kustomize": {},
        "lint_single_file": None,
        "warm_noop": {},
        "incremental_rebuild": {},
    }
    for n in sizes:
        src = generate.generate(n, a.work / f"modules-{n}")
        out = a.work / f"rendered-{n}"
        reps = a.reps or (1 if n >= 1000 else 2 if (a.quick or n >= 100) else 3)
        cmd = mlcc + ["build", str(src), "--overlays", str(overlays), "-o", str(out)]
        cold = cmd + ["--no-cache"]  # cold: every module parsed, rendered, verified and written
        print(f"[compiler] build N={n} x{reps} ...", flush=True)
        r = repeat(cold, reps, a.timeout)
        r["modules"] = n
        r["files"] = sum(1 for _ in out.rglob("*") if _.is_file()) if out.exists() else 0
        res["build"][str(n)] = r
        print(f"[compiler]   median {r['wall_s']['median']} s, peak RSS {r['peak_rss_mib']['median']} MiB", flush=True)
        if out.exists() and not r["failures"]:
            print(f"[compiler] kubectl kustomize over N={n} output ...", flush=True)
            k = time_kustomize(out, a.kustomize_reps)
            if k.get("available") and r["wall_s"]["median"]:
                k["ratio_mlcc_build_over_kustomize"] = r["wall_s"]["median"] / k["wall_s"]["median"]
            res["kustomize"][str(n)] = k
        if out.exists() and not r["failures"]:
            res["warm_noop"][str(n)], res["incremental_rebuild"][str(n)] = time_incremental(cmd, src, reps + 1, a.timeout)
        _write(out_json, res)

    # pre-commit case: one manifest file of one module, new interpreter each time
    lint_file = generate.generate(1, a.work / "modules-lint") / "mod00000" / "boxes.yaml"
    print(f"[compiler] lint single file x{lint_reps} ...", flush=True)
    res["lint_single_file"] = repeat(mlcc + ["lint", str(lint_file), "--overlays", str(overlays)], lint_reps)
    res["lint_single_file"]["file"] = str(lint_file.relative_to(ROOT)) if lint_file.is_relative_to(ROOT) else str(lint_file)
    res["python_startup"] = repeat([sys.executable, "-c", "pass"], lint_reps)

    res["targets"] = evaluate(res)
    res["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    _write(out_json, res)
    print(json.dumps(res["targets"], indent=2))
    print(f"[compiler] results: {out_json}")
    return res


def evaluate(res: dict) -> dict:
    def verdict(value, limit, entry=True):
        if entry and entry is not True and entry.get("failures"):
            return {"value": value, "target": limit, "status": "failed", "failures": entry["failures"][:1]}
        if value is None:
            return {"value": None, "target": limit, "status": "not measured"}
        return {"value": round(value, 3), "target": limit, "status": "met" if value <= limit else "not met"}

    b1000 = res["build"].get("1000")
    lint = res["lint_single_file"]
    inc = res["incremental_rebuild"].get("1000")
    return {
        "build_1000_cold_s": verdict(b1000 and b1000["wall_s"]["median"], TARGETS["build_1000_cold_s"], b1000),
        "build_1000_peak_rss_mib": verdict(
            b1000 and b1000["peak_rss_mib"]["median"], TARGETS["build_1000_peak_rss_mib"], b1000
        ),
        "lint_single_file_s": verdict(lint and lint["wall_s"]["median"], TARGETS["lint_single_file_s"], lint),
        "incremental_rebuild_1000_s": verdict(
            inc and inc["wall_s"]["median"], TARGETS["incremental_rebuild_1000_s"], inc
        ),
    }


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
