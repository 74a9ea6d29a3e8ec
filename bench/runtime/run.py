"""Runtime bench: mlcc-runtime vs. MLServer, KServe, LitServe, BentoML and a bare Starlette+orjson
echo, under wrk; each batching server once without and once with its own adaptive batching.

    bash bench/runtime/setup.sh             # once: peer venvs under bench/.work/
    python bench/runtime/run.py             # full: all servers, c=1 and c=32, 5 rounds of 3 s runs
    python bench/runtime/run.py --quick     # mlcc-runtime and the Starlette echo, 2 s runs

Every server is started alone, pinned with ``taskset -c 0``; wrk runs pinned with ``taskset -c 1``
(one thread), against 127.0.0.1, with a Lua script POSTing the same JSON body (one Iris sample,
FP32 [1, 4]).  Per run: requests/s, p50 and p99 (wrk --latency, via the Lua done() hook), non-2xx
count, and CPU per request = CPU time of the server's process tree (utime+stime from /proc) over
the run / requests.  Medians and min-max over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = ROOT / "bench" / ".work"
MODEL = ROOT / "modules/iris/data/models/users/developer/file_groups/models/iris.joblib"
SAMPLE = [5.1, 3.5, 1.4, 0.2]
V2_BODY = {"inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 4], "data": SAMPLE}]}
CLK = os.sysconf("SC_CLK_TCK")
# Batching at each server's best here (wrk -c32, one row per request): (max batch size, max
# latency in ms), chosen by the sweep recorded in bench/README.md; --batch NAME=SIZE:MS overrides.
BATCHING = {
    "mlcc-runtime-batched": (32, 5),
    "mlserver-batched": (32, 2),
    "litserve-batched": (32, 1),
    "bentoml-batched": (32, 1000),
}
# Servers that stand for the others (peers) and which of their runs use batching.
PEERS = ("mlserver", "mlserver-batched", "kserve", "litserve", "litserve-batched", "bentoml",
         "bentoml-batched")

LUA = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[%BODY%]==]
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\": %.0f, \"duration_us\": %.0f, \"status_errors\": %.0f, \"socket_errors\": %.0f, " ..
    "\"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"mean_us\": %.1f, \"max_us\": %.1f}\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def venv_python(name: str) -> Path:
    return WORK / f"venv-{name}" / "bin" / "python"


# ---------------------------------------------------------------- servers
def server_specs(port: int, tmp: Path) -> dict[str, dict]:
    """name -> how to start it and which URLs to load."""
    specs: dict[str, dict] = {}
    proj = ROOT / ".venv" / "bin"
    v2_url = f"http://127.0.0.1:{port}/v2/models/iris/infer"
    iris = [str(proj / "mlcc-runtime"), "serve", "--python-path", str(ROOT / "modules/iris"),
            "--function", "iris.predict.inference", "--model-key", str(MODEL),
            "--model-name", "iris", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "WARNING", "--workers", "1"]  # one core: one process
    specs["mlcc-runtime"] = {
        "cmd": iris,
        "ready": f"http://127.0.0.1:{port}/v2/health/ready",
        "targets": {
            "v2-infer": (v2_url, V2_BODY),
            "predict": (f"http://127.0.0.1:{port}/predict", V2_BODY),
        },
        "python": str(proj / "python"),
    }
    size, ms = BATCHING["mlcc-runtime-batched"]
    specs["mlcc-runtime-batched"] = {
        "cmd": [*iris, "--max-batch-size", str(size), "--max-batch-latency-ms", str(ms)],
        "ready": f"http://127.0.0.1:{port}/v2/health/ready",
        "targets": {
            "v2-infer": (v2_url, V2_BODY),
            "predict": (f"http://127.0.0.1:{port}/predict", V2_BODY),
        },
        "batched": True,
        "python": str(proj / "python"),
    }
    specs["mlcc-runtime-identity"] = {
        "cmd": [str(proj / "mlcc-runtime"), "serve", "--python-path", str(HERE / "peers"),
                "--function", "identity.inference", "--model-name", "iris", "--host", "127.0.0.1",
                "--port", str(port), "--log-level", "WARNING", "--workers", "1"],
        "ready": f"http://127.0.0.1:{port}/v2/health/ready",
        "targets": {"v2-infer": (v2_url, V2_BODY)},
        "python": str(proj / "python"),
    }
    specs["starlette-echo"] = {
        "cmd": [str(venv_python("starlette")), str(HERE / "peers/starlette_echo.py"), str(port)],
        "ready": None,
        "targets": {"v2-infer": (f"http://127.0.0.1:{port}/v2/models/iris/infer", V2_BODY)},
        "python": str(venv_python("starlette")),
    }
    # MLServer 1.7.1 + mlserver-sklearn, parallel_workers 0 (1 fails to start here: event-loop error)
    size, ms = BATCHING["mlserver-batched"]
    for name, batching in (("mlserver", {}), ("mlserver-batched", {
            "max_batch_size": size, "max_batch_time": ms / 1000})):
        ms = tmp / name
        (ms / "iris").mkdir(parents=True, exist_ok=True)
        shutil.copy(MODEL, ms / "iris" / "iris.joblib")
        (ms / "settings.json").write_text(json.dumps({
            "debug": False, "parallel_workers": 0, "host": "127.0.0.1", "http_port": port,
            "grpc_port": free_port(), "metrics_port": free_port(), "metrics_endpoint": None,
        }))
        (ms / "iris" / "model-settings.json").write_text(json.dumps({
            "name": "iris", "implementation": "mlserver_sklearn.SKLearnModel",
            "parameters": {"uri": "./iris.joblib"}, **batching,
        }))
        specs[name] = {
            "cmd": [str(WORK / "venv-mlserver/bin/mlserver"), "start", str(ms)],
            "ready": f"http://127.0.0.1:{port}/v2/models/iris/ready",
            "targets": {"v2-infer": (v2_url, V2_BODY)},
            "python": str(venv_python("mlserver")),
            "batched": bool(batching),
        }
    # LitServe: one inference worker process and one API server process; zmq queues
    # (fast_queue), which were faster here than its default multiprocessing queues.
    size, ms = BATCHING["litserve-batched"]
    for name, extra in (("litserve", []), ("litserve-batched", [
            "--max-batch-size", str(size), "--batch-timeout", str(ms / 1000)])):
        specs[name] = {
            "cmd": [str(venv_python("litserve")), str(HERE / "peers/litserve_iris.py"), str(port),
                    str(MODEL), "--fast-queue", *extra],
            "ready": None,
            "targets": {"v2-infer": (v2_url, V2_BODY)},
            "python": str(venv_python("litserve")),
            "batched": bool(extra),
        }
    # BentoML: `bentoml serve` (a supervisor and one worker process), access log off.
    size, ms = BATCHING["bentoml-batched"]
    for name, batch in (("bentoml", 1), ("bentoml-batched", size)):
        specs[name] = {
            "cmd": [str(WORK / "venv-bentoml/bin/bentoml"), "serve", "bentoml_iris:Iris",
                    "--working-dir", str(HERE / "peers"), "--host", "127.0.0.1",
                    "--port", str(port)],
            "env": {"IRIS_MODEL": str(MODEL), "BENTO_MAX_BATCH_SIZE": str(batch),
                    "BENTO_MAX_LATENCY_MS": str(ms), "BENTOML_DO_NOT_TRACK": "True"},
            "ready": None,
            "targets": {"v2-infer": (v2_url, V2_BODY)},
            "python": str(venv_python("bentoml")),
            "batched": batch > 1,
        }
    specs["kserve"] = {
        "cmd": [str(venv_python("kserve")), str(HERE / "peers/kserve_iris.py"), "--model_name", "iris",
                "--model_path", str(MODEL), "--http_port", str(port)],
        "ready": f"http://127.0.0.1:{port}/v2/models/iris/ready",
        "targets": {"v2-infer": (f"http://127.0.0.1:{port}/v2/models/iris/infer", V2_BODY)},
        "python": str(venv_python("kserve")),
    }
    return specs


def wait_ready(proc: subprocess.Popen, url: str, body: dict, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before it was ready")
        try:
            req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception as exc:  # noqa: BLE001 - keep polling
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"not ready after {timeout} s: {last!r}")


def tree_cpu_seconds(pid: int) -> float:
    """utime+stime of pid and its descendants (all threads), from /proc."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            raw = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        stats[int(d)] = fields
        children.setdefault(int(fields[1]), []).append(int(d))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        if p in stats:
            f = stats[p]
            total += int(f[11]) + int(f[12])  # utime, stime (fields 14, 15)
        todo.extend(children.get(p, []))
    return total / CLK


def run_wrk(url: str, lua: Path, conns: int, seconds: float) -> dict:
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--latency",
           "--timeout", "10s", "-s", str(lua), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    for line in out.stdout.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON "):])
    raise RuntimeError(f"wrk gave no result: {out.stdout[-300:]} {out.stderr[-300:]}")


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def bench_server(name: str, spec: dict, conns_list: list[int], runs: int, seconds: float,
                 warmup: float, tmp: Path) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **spec.get("env", {}))
    log = open(tmp / f"{name}.log", "w")
    t0 = time.monotonic()
    proc = subprocess.Popen(["taskset", "-c", "0", *spec["cmd"]], stdout=log, stderr=subprocess.STDOUT,
                            env=env, cwd=tmp, start_new_session=True)
    result: dict = {"cmd": " ".join(spec["cmd"]), "targets": {}}
    try:
        first_url, first_body = next(iter(spec["targets"].values()))
        wait_ready(proc, first_url, first_body)
        result["startup_s"] = time.monotonic() - t0
        for tname, (url, body) in spec["targets"].items():
            lua = tmp / f"{name}-{tname}.lua"
            lua.write_text(LUA.replace("%BODY%", json.dumps(body)))
            per_c = {}
            # Batching servers skip c=1 (a lone request only waits for company).
            for c in [c for c in conns_list if c > 1 or not spec.get("batched")]:
                run_wrk(url, lua, c, warmup)  # warm-up, discarded
                rows = []
                for _ in range(runs):
                    cpu0 = tree_cpu_seconds(proc.pid)
                    w = run_wrk(url, lua, c, seconds)
                    cpu1 = tree_cpu_seconds(proc.pid)
                    dur = w["duration_us"] / 1e6
                    w["rps"] = w["requests"] / dur
                    w["cpu_ms_per_req"] = 1000 * (cpu1 - cpu0) / max(1, w["requests"])
                    w["loadavg_1m_after"] = os.getloadavg()[0]  # the machine may be shared
                    rows.append(w)
                    print(f"[runtime] {name} {tname} c={c}: {w['rps']:.0f} req/s p50 {w['p50_us']} us "
                          f"p99 {w['p99_us']} us cpu {w['cpu_ms_per_req']:.3f} ms/req "
                          f"errors {w['status_errors']}+{w['socket_errors']}", flush=True)
                per_c[str(c)] = {
                    "url": url,
                    "rps": summary([r["rps"] for r in rows]),
                    "p50_ms": summary([r["p50_us"] / 1000 for r in rows]),
                    "p99_ms": summary([r["p99_us"] / 1000 for r in rows]),
                    "cpu_ms_per_req": summary([r["cpu_ms_per_req"] for r in rows]),
                    "errors": sum(r["status_errors"] + r["socket_errors"] for r in rows),
                    "runs": rows,
                }
            result["targets"][tname] = per_c
        result["ok"] = True
    except Exception as exc:  # noqa: BLE001 - a failing peer is recorded, the bench goes on
        result["ok"] = False
        result["error"] = str(exc)
        log.flush()
        result["log_tail"] = (tmp / f"{name}.log").read_text(errors="replace")[-1500:]
        print(f"[runtime] {name} FAILED: {exc}", flush=True)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        log.close()
    return result


def evaluate(res: dict) -> dict:
    """The issue's targets, as ratios against the peers measured in the same run."""
    s = res["servers"]

    def get(server, target, c, metric):
        try:
            return s[server]["targets"][target][str(c)][metric]["median"]
        except (KeyError, TypeError):
            return None

    def verdict(value, target, ok, **more):
        if value is None:
            return {"value": None, "target": target, "status": "not measured", **more}
        return {"value": round(value, 3), "target": target,
                "status": "met" if ok(value) else "not met", **more}

    def peers(names):
        """(name, rps, p99) of every peer configuration measured at c=32."""
        rows = []
        for name in names:
            rps, p99 = get(name, "v2-infer", 32, "rps"), get(name, "v2-infer", 32, "p99_ms")
            if rps and p99:
                rows.append((name, rps, p99))
        return rows

    out = {}
    # With batching: against every peer at its best (batching or not, whichever was faster).
    every = peers(PEERS)
    mine = get("mlcc-runtime-batched", "v2-infer", 32, "rps")
    mine_p99 = get("mlcc-runtime-batched", "v2-infer", 32, "p99_ms")
    best = max(every, key=lambda r: r[1]) if every else None
    out["batched_throughput_vs_best_peer_c32"] = verdict(
        mine / best[1] if mine and best else None, ">= 4.0", lambda v: v >= 4.0,
        peer=best[0] if best else None)
    out["batched_p99_vs_best_peer_c32"] = verdict(
        mine_p99 / best[2] if mine_p99 and best else None, "<= 0.333", lambda v: v <= 1 / 3,
        peer=best[0] if best else None)
    lowest = min(every, key=lambda r: r[2]) if every else None
    out["batched_p99_vs_lowest_peer_p99_c32"] = verdict(
        mine_p99 / lowest[2] if mine_p99 and lowest else None, "<= 0.333 (stricter reading)",
        lambda v: v <= 1 / 3, peer=lowest[0] if lowest else None)
    # Without batching: against the peers without batching.
    plain = peers(p for p in PEERS if not p.endswith("-batched"))
    mine = get("mlcc-runtime", "v2-infer", 32, "rps")
    mine_p99 = get("mlcc-runtime", "v2-infer", 32, "p99_ms")
    best = max(plain, key=lambda r: r[1]) if plain else None
    out["unbatched_throughput_vs_best_peer_c32"] = verdict(
        mine / best[1] if mine and best else None, ">= 2.0", lambda v: v >= 2.0,
        peer=best[0] if best else None)
    lowest = min(plain, key=lambda r: r[2]) if plain else None
    out["unbatched_p99_vs_every_peer_c32"] = verdict(
        mine_p99 / lowest[2] if mine_p99 and lowest else None, "< 1.0 (below the lowest peer p99)",
        lambda v: v < 1.0, peer=lowest[0] if lowest else None)
    # The framework ceiling compares like with like: the runtime around a do-nothing function.
    echo = get("starlette-echo", "v2-infer", 32, "rps")
    identity = get("mlcc-runtime-identity", "v2-infer", 32, "rps")
    out["identity_throughput_vs_starlette_echo_c32"] = verdict(
        identity / echo if identity and echo else None, ">= 0.70", lambda v: v >= 0.70)
    out["iris_v2_p50_c1_ms"] = verdict(get("mlcc-runtime", "v2-infer", 1, "p50_ms"), "<= 0.5",
                                       lambda v: v <= 0.5)
    out["iris_predict_p50_c1_ms"] = verdict(get("mlcc-runtime", "predict", 1, "p50_ms"),
                                            "<= 0.5", lambda v: v <= 0.5)
    return out


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0],
            "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else ""}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="mlcc-runtime and Starlette echo only, 2 s runs")
    ap.add_argument("--servers", help="comma-separated subset of: mlcc-runtime, mlcc-runtime-batched, "
                    "mlcc-runtime-identity, starlette-echo, " + ", ".join(PEERS))
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--seconds", type=int, default=None)
    ap.add_argument("--conns", default="1,32")
    ap.add_argument("--rounds", type=int, default=None,
                    help="rounds over all servers, one run per cell each (default 5; quick: 1)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--batch", action="append", default=[], metavar="NAME=SIZE:MS",
                    help="batching of a *-batched server (max batch size, max latency in ms)")
    a = ap.parse_args(argv)
    for item in a.batch:
        name, _, value = item.partition("=")
        size, _, ms = value.partition(":")
        if name not in BATCHING:
            ap.error(f"--batch: no batched server {name!r}; one of {sorted(BATCHING)}")
        BATCHING[name] = (int(size), float(ms) if "." in ms else int(ms))

    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk")
    if not MODEL.exists():
        subprocess.run([str(ROOT / ".venv/bin/python"), str(ROOT / "modules/iris/train.py")], check=True)
    names = (a.servers.split(",") if a.servers else
             ["mlcc-runtime", "mlcc-runtime-identity", "starlette-echo"] if a.quick else
             ["mlcc-runtime", "mlcc-runtime-batched", "mlcc-runtime-identity", "starlette-echo",
              *PEERS])
    a.rounds = a.rounds or (1 if a.quick or a.runs else 5)
    runs = a.runs or (1 if a.quick else 3)
    seconds = a.seconds or (2 if a.quick else 3)
    warmup = 1.0  # wrk takes whole seconds
    conns = [int(c) for c in a.conns.split(",")]
    out_json = a.out or ROOT / "bench" / "results" / ("runtime-quick.json" if a.quick else "runtime.json")

    res: dict = {"bench": "runtime", "quick": a.quick, "machine": machine(),
                 "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                 "config": {"runs": runs if a.rounds == 1 else a.rounds, "rounds": a.rounds,
                            "seconds": seconds, "warmup_s": warmup, "conns": conns,
                            "body": V2_BODY, "server_cpu": 0, "wrk_cpu": 1, "wrk_threads": 1,
                            "batching": {k: {"max_batch_size": v[0], "max_latency_ms": v[1]}
                                         for k, v in BATCHING.items()}},
                 "servers": {}}
    with tempfile.TemporaryDirectory(prefix="mlcc-bench-") as td:
        tmp = Path(td)
        # Rounds: every server once per round (a fresh start, one run per cell), so that on a
        # shared machine every server meets the same stretches of neighbours' load; the medians
        # are over the rounds. --rounds 1 runs each server's cells back to back instead.
        rounds = a.rounds
        for round_no in range(rounds):
            for name in names:
                port = free_port()
                spec = server_specs(port, tmp)[name]
                if not name.startswith("mlcc-runtime") and not Path(spec["python"]).exists():
                    res["servers"][name] = {"ok": False, "error": f"venv missing: run bench/runtime/setup.sh ({spec['python']})"}
                    print(f"[runtime] {name} skipped: venv missing", flush=True)
                    continue
                if res["servers"].get(name, {}).get("ok") is False:
                    continue  # failed in an earlier round
                print(f"[runtime] {name} (round {round_no + 1} of {rounds}) ...", flush=True)
                result = bench_server(name, spec, conns, runs if rounds == 1 else 1, seconds,
                                      warmup, tmp)
                res["servers"][name] = _merge(res["servers"].get(name), result)
                _write(out_json, res)
    res["targets"] = evaluate(res)
    res["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    _write(out_json, res)
    print(json.dumps(res["targets"], indent=2))
    print(f"[runtime] results: {out_json}")
    return res


def _merge(old: dict | None, new: dict) -> dict:
    """One server's results over rounds: the runs of each cell together, summaries recomputed."""
    if old is None or not new.get("ok"):
        return new
    for tname, per_c in new["targets"].items():
        for c, row in per_c.items():
            mine = old["targets"].setdefault(tname, {}).get(c)
            if mine is None:
                old["targets"][tname][c] = row
                continue
            runs = mine["runs"] + row["runs"]
            mine.update({
                "runs": runs,
                "rps": summary([r["rps"] for r in runs]),
                "p50_ms": summary([r["p50_us"] / 1000 for r in runs]),
                "p99_ms": summary([r["p99_us"] / 1000 for r in runs]),
                "cpu_ms_per_req": summary([r["cpu_ms_per_req"] for r in runs]),
                "errors": sum(r["status_errors"] + r["socket_errors"] for r in runs),
            })
    old.setdefault("startup_s_rounds", [old.get("startup_s")]).append(new.get("startup_s"))
    return old


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
