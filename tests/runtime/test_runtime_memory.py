"""Memory per request, measured on a real ``serve`` process: peak RSS (VmHWM, reset before each
request through /proc/<pid>/clear_refs) against the body's size. Not a timing.

Bodies are built to amplify: one-character numbers, empty arrays, one-character strings, empty
objects, the shapes that took 14 to 31 times their size before. With a memory limit, every
request either fits the request budget or answers 413 (503 while others hold it), and the
process stays under the limit.
"""

from __future__ import annotations

import http.client
import random
import threading
from typing import Any

import pytest

from rt_support import HERE, serve_process

from mlcc_runtime import memory
from mlcc_runtime.cli import build_parser, serve_settings

MiB = 1024 * 1024
SLOW = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.echo_fn.slow"}
FIGURES: dict[str, Any] = {}


def _element(kind: str, rnd: random.Random) -> bytes:
    return {"zeros": b"0", "short": b"1.5", "floats": repr(rnd.random()).encode(),
            "strings": b'"a"', "nested": b"[]", "objects": b"{}"}[kind]


def _body(kind: str, size: int) -> bytes:
    """A V2 request of about ``size`` bytes made of ``kind`` elements."""
    rnd = random.Random(1)
    parts, total = [], 0
    while total < size:
        e = _element(kind, rnd)
        parts.append(e)
        total += len(e) + 1
    datatype = {"strings": "BYTES", "objects": "BYTES"}.get(kind, "FP64")
    shape = b"[%d,0]" % len(parts) if kind == "nested" else b"[%d]" % len(parts)
    return (b'{"inputs":[{"name":"x","datatype":"' + datatype.encode() + b'","shape":' + shape
            + b',"data":[' + b",".join(parts) + b"]}]}")


def _status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(field)


def _reset_peak(pid: int) -> int:
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS
    return _status_kb(pid, "VmRSS")


def _post(base: str, body: bytes) -> int:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        conn.request("POST", "/v2/models/model/infer", body=body,
                     headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


PEAKS: list[int] = []  # absolute peak RSS of the process under test, per request


def _peak_growth(proc: Any, base: str, body: bytes) -> tuple[int, int]:
    _post(base, b'{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[1]}]}')
    before = _reset_peak(proc.pid)
    status = _post(base, body)
    peak = _status_kb(proc.pid, "VmHWM")
    PEAKS.append(peak)
    return status, peak - before


# Peak RSS growth per body byte, bound (measured before the change: 14.0x, 16.0x, 31.4x).
# One-digit numbers and "1.5": the shortest literals, the most objects per byte.
BOUNDS = {"zeros": 9.0, "short": 14.5, "nested": 3.0}


def test_peak_memory_grows_in_proportion_to_the_body() -> None:
    size = 8 * MiB
    with serve_process({**SLOW, "MLCC_MAX_BODY_BYTES": str(64 * MiB)}) as (proc, base):
        for kind, bound in BOUNDS.items():
            body = _body(kind, size)
            status, growth = _peak_growth(proc, base, body)
            ratio = growth / len(body)
            FIGURES[f"ratio_{kind}"] = round(ratio, 1)
            assert status == 200, (kind, status)
            assert ratio < bound, f"{kind}: peak RSS grew {ratio:.1f}x the body (bound {bound}x)"


def test_no_request_takes_the_process_past_its_memory_limit() -> None:
    limit = 256 * MiB
    budget = memory.request_budget(limit)
    assert budget == 96 * MiB
    # The body cap is lifted on purpose: the budget alone must hold every request.
    env = {**SLOW, "MLCC_MEMORY_LIMIT": str(limit), "MLCC_MAX_BODY_BYTES": str(64 * MiB)}
    margin = 32 * MiB  # allocator slack, one decoded slice, the server's buffers
    with serve_process(env) as (proc, base):
        for kind in ("zeros", "short", "floats", "strings", "nested", "objects"):
            status, growth = _peak_growth(proc, base, _body(kind, 15 * MiB))
            FIGURES[f"15MiB_{kind}"] = (status, round(growth / MiB, 1))
            assert status in (200, 413), (kind, status)
            assert growth < budget + margin, \
                f"{kind}: peak RSS grew {growth / MiB:.0f} MiB, budget {budget / MiB:.0f} MiB"
        # Several at once: the budget is shared, so they wait their turn (503 past 10 s).
        body = _body("short", 5 * MiB)
        _post(base, b'{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[1]}]}')
        before = _reset_peak(proc.pid)
        statuses: list[int] = []
        threads = [threading.Thread(target=lambda: statuses.append(_post(base, body)))
                   for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = _status_kb(proc.pid, "VmHWM")
        growth = peak - before
        FIGURES["6x5MiB_concurrent"] = (sorted(statuses), round(growth / MiB, 1))
        # Admitted one after the other (each waits for the memory it may need), not all at once.
        assert set(statuses) <= {200, 503} and 200 in statuses, statuses
        assert growth < budget + margin, f"6 concurrent requests grew {growth / MiB:.0f} MiB"
        FIGURES["peak_rss_MiB"] = round(max(PEAKS + [peak]) / MiB, 1)
        assert max(PEAKS + [peak]) < limit, "the process went past its memory limit"


@pytest.mark.parametrize(("limit", "expected"), [
    (None, 64 * MiB), (64 * MiB, 1 * MiB), (128 * MiB, 2 * MiB), (256 * MiB, 6 * MiB),
    (1024 * MiB, 30 * MiB), (2048 * MiB, 62 * MiB), (4096 * MiB, 64 * MiB),
])
def test_the_default_body_cap_follows_the_memory_limit(limit: int | None, expected: int) -> None:
    assert memory.max_body_for(limit) == expected
    if limit is not None:  # the formula the README gives the compiler
        assert expected == max(MiB, min(64 * MiB, (limit - 64 * MiB) // 32))


def test_the_cap_comes_from_the_limit_unless_given(monkeypatch) -> None:
    def settings(*args: str) -> Any:
        return serve_settings(build_parser().parse_args(["serve", "--function", "f", *args]))

    monkeypatch.setattr(memory, "container_limit", lambda: 512 * MiB)
    assert settings().memory_limit == 512 * MiB
    assert settings().max_body_bytes == 14 * MiB
    assert settings("--memory-limit", "256Mi").max_body_bytes == 6 * MiB
    assert settings("--memory-limit", "256Mi", "--max-body-bytes", "64Mi").max_body_bytes \
        == 64 * MiB  # an explicit cap wins
    monkeypatch.setenv("MLCC_MAX_BODY_BYTES", "1000")
    assert settings().max_body_bytes == 1000
    monkeypatch.delenv("MLCC_MAX_BODY_BYTES")
    monkeypatch.setattr(memory, "container_limit", lambda: None)
    assert settings().max_body_bytes == 64 * MiB and settings().memory_limit is None


def _cgroup(tmp_path, proc_lines: str, files: dict[str, str]) -> int | None:
    root = tmp_path / "cgroup"
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    tmp_path.mkdir(parents=True, exist_ok=True)
    proc = tmp_path / "proc-cgroup"
    proc.write_text(proc_lines)
    return memory.container_limit(str(root), str(proc))


def test_the_memory_limit_is_read_from_the_cgroup(tmp_path) -> None:
    assert _cgroup(tmp_path / "a", "0::/\n", {"memory.max": "268435456\n"}) == 256 * MiB
    assert _cgroup(tmp_path / "b", "0::/\n", {"memory.max": "max\n"}) is None
    # v2 seen from the host's namespace: the process's own cgroup
    assert _cgroup(tmp_path / "c", "0::/kubepods/pod1/c1\n",
                   {"kubepods/pod1/c1/memory.max": "134217728"}) == 128 * MiB
    # v1: the memory controller's file; "unlimited" is a huge page-rounded number
    assert _cgroup(tmp_path / "d", "4:memory:/\n",
                   {"memory/memory.limit_in_bytes": "536870912"}) == 512 * MiB
    assert _cgroup(tmp_path / "e", "4:memory:/docker/x\n",
                   {"memory/memory.limit_in_bytes": "9223372036854771712",
                    "memory/docker/x/memory.limit_in_bytes": "9223372036854771712"}) is None
    assert _cgroup(tmp_path / "f", "", {}) is None  # nothing readable: no limit


def test_zz_report_figures() -> None:
    print("\nrequest memory:", FIGURES)


def test_a_reservation_waits_for_its_credit_and_gives_back_what_it_did_not_use() -> None:
    import asyncio

    from mlcc_runtime.errors import ApiError

    async def scenario() -> None:
        budget = memory.Budget(100)
        first = memory.Reservation(budget)
        await first.admit(80, 1.0)
        first.charge(30)  # drawn on the credit
        assert budget.used == 80 and first.held == 80
        second = memory.Reservation(budget)
        waiting = asyncio.ensure_future(second.admit(60, 5.0))
        await asyncio.sleep(0.05)
        assert not waiting.done()  # 80 + 60 > 100: it waits, it does not fail half-way
        first.settle()  # the 50 the decode did not use
        await asyncio.wait_for(waiting, 1.0)
        assert budget.used == 90 and (first.held, second.held) == (30, 60)
        third = memory.Reservation(budget)
        try:
            await third.admit(20, 0.1)
        except ApiError as exc:
            assert exc.status == 503 and exc.headers == {"Retry-After": "1"}
        else:
            raise AssertionError("admitted past the budget")
        second.charge(60)  # its credit
        try:
            second.charge(60)  # 120 > 100, the whole budget: it could never fit
        except ApiError as exc:
            assert exc.status == 413
        else:
            raise AssertionError("charged past the budget")
        first.release()
        second.release()
        assert budget.used == 0

    asyncio.run(scenario())
