"""Gateway overhead: the same stub upstream called directly and through ``gardefou serve``.

Starts ``gardefou stub-upstream`` and, for each guard, ``gardefou serve`` (open mode, SQLite audit)
as subprocesses on 127.0.0.1. For each cell (1 client, 50 clients as fast as they can, 50 clients
paced to a fixed total rate; streaming or not) it measures end-to-end latency (full answer or full
stream read) directly and through the gateway, interleaved, ``--runs`` times, and keeps the median of
each figure. It also counts the CPU time the gateway process spent per request, the figure that
depends least on how loaded the machine is. Prints a table and writes
bench/results/gateway_overhead.json.

    python bench/gateway_overhead.py [--duration 3] [--runs 3] [--guards rules,default]

Guards: ``rules`` (a policy with only the rules detector), ``default`` (the default preset: rules and
the embedded classifier), ``none`` (no detector: the proxy alone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

# Throughput is measured on the model, not served from the encoder's cache of recent texts.
os.environ["GARDEFOU_ENCODER_CACHE"] = "0"

RESULTS = Path(__file__).resolve().parent / "results" / "gateway_overhead.json"
BODY = {
    "model": "stub-model",
    "messages": [{"role": "user", "content": "Write one short sentence."}],
}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {url}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server not ready: {url}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children (``--workers``)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
    except (OSError, ValueError, IndexError):
        pass
    return total


def gateway_yaml(tmp: Path, guard: str, inline_max_chars: int | None, workers: int) -> Path:
    """The gateway config for one guard (open mode, SQLite audit in ``tmp``)."""
    if guard == "default":
        policy = "default"
    else:
        policy_path = tmp / f"bench-{guard}.yaml"
        detectors = [] if guard == "none" else [guard]
        policy_path.write_text(json.dumps({"name": f"bench-{guard}", "detectors": detectors}))
        policy = str(policy_path)
    settings: dict[str, Any] = {}
    if inline_max_chars is not None:
        settings["inline_max_chars"] = inline_max_chars
    config = {
        "listen": {"workers": workers} if workers > 1 else {},
        "auth": {"enabled": False},
        "tiers": {"default": {"policy": policy}},
        "database": {"url": f"sqlite:///{tmp / f'audit-{guard}.db'}"},
        "audit": {"spool_path": str(tmp / f"spool-{guard}.jsonl")},
        "guard": settings,
    }
    path = tmp / f"gateway-{guard}.yaml"
    path.write_text(json.dumps(config))
    return path


async def run_load(
    url: str, clients: int, duration: float, stream: bool, rate: float | None
) -> dict[str, float]:
    """``clients`` concurrent clients for ``duration`` s; ``rate``: total requests/s (paced)."""
    latencies: list[float] = []
    errors = 0
    body = {**BODY, "stream": stream}
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        for _ in range(3):  # warm up connections
            await client.post("/chat/completions", json=body)
        began = time.perf_counter()
        deadline = began + duration
        interval = clients / rate if rate else 0.0

        async def worker(i: int) -> None:
            nonlocal errors
            next_at = began + interval * i / clients
            while time.perf_counter() < deadline:
                if interval:
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                    next_at += interval
                start = time.perf_counter()
                if stream:
                    async with client.stream("POST", "/chat/completions", json=body) as r:
                        async for _ in r.aiter_bytes():
                            pass
                else:
                    r = await client.post("/chat/completions", json=body)
                    r.read()
                if r.status_code != 200:
                    errors += 1
                latencies.append((time.perf_counter() - start) * 1000)

        await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - began
    qs = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(qs[98], 3),
        "rps": round(len(latencies) / elapsed, 1),
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}


def measure_cell(
    direct_url: str, gw_url: str, gw_pid: int, cell: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    directs, throughs, cpu = [], [], []
    for _ in range(args.runs):  # interleaved: direct and gateway see the same machine state
        load = (cell["clients"], args.duration, cell["stream"], cell["rate"])
        directs.append(asyncio.run(run_load(direct_url, *load)))
        before = cpu_seconds(gw_pid)
        through = asyncio.run(run_load(gw_url, *load))
        cpu.append((cpu_seconds(gw_pid) - before) * 1000 / max(1, through["requests"] + 3))
        throughs.append(through)
    direct, gateway = median_of(directs), median_of(throughs)
    added_p50 = statistics.median(
        t["p50_ms"] - d["p50_ms"] for d, t in zip(directs, throughs, strict=True)
    )
    added_p99 = statistics.median(
        t["p99_ms"] - d["p99_ms"] for d, t in zip(directs, throughs, strict=True)
    )
    return {
        **cell,
        "direct": direct,
        "gateway": gateway,
        "added_p50_ms": round(added_p50, 3),
        "added_p99_ms": round(added_p99, 3),
        "gateway_cpu_ms_per_request": round(statistics.median(cpu), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--runs", type=int, default=3, help="runs per cell (median kept)")
    parser.add_argument("--guards", default="rules,default", help="rules, default and/or none")
    parser.add_argument("--rate", type=float, default=25.0, help="total req/s of the paced cells")
    parser.add_argument("--inline-max-chars", type=int, default=None, help="0: always a thread")
    parser.add_argument("--workers", type=int, default=1, help="gateway processes")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gardefou-bench-"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    exe = [
        sys.executable,
        "-c",
        "import sys; from gardefou.cli.main import main; main(sys.argv[1:])",
    ]
    stub_port = free_port()
    stub = subprocess.Popen(
        [*exe, "stub-upstream", "--port", str(stub_port), "--reply-words", "40"], env=env
    )
    cells = [
        {"clients": c, "stream": s, "rate": r}
        for c, r in ((1, None), (50, None), (50, args.rate))
        for s in (False, True)
    ]
    load_before = os.getloadavg()
    results: dict[str, list[dict[str, Any]]] = {}
    try:
        wait_ready(f"http://127.0.0.1:{stub_port}/v1/models", stub)
        for guard in [g for g in args.guards.split(",") if g]:
            gw_port = free_port()
            cfg = gateway_yaml(tmp, guard, args.inline_max_chars, args.workers)
            gateway = subprocess.Popen(
                [*exe, "serve", "--config", str(cfg), "--port", str(gw_port),
                 "--upstream", f"http://127.0.0.1:{stub_port}/v1"],
                env=env,
                cwd=tmp,
            )  # fmt: skip
            try:
                wait_ready(f"http://127.0.0.1:{gw_port}/healthz", gateway)
                rows = results.setdefault(guard, [])
                for cell in cells:
                    row = measure_cell(
                        f"http://127.0.0.1:{stub_port}/v1",
                        f"http://127.0.0.1:{gw_port}/v1",
                        gateway.pid,
                        cell,
                        args,
                    )
                    rows.append(row)
                    d, g = row["direct"], row["gateway"]
                    mode = f"paced {cell['rate']:g}/s" if cell["rate"] else "closed"
                    print(
                        f"{guard:7} clients={cell['clients']:>2} {mode:11} stream={cell['stream']!s:5}"
                        f" direct p50 {d['p50_ms']:7.2f} p99 {d['p99_ms']:7.2f} {d['rps']:6.1f}/s"
                        f" | gw p50 {g['p50_ms']:7.2f} p99 {g['p99_ms']:7.2f} {g['rps']:6.1f}/s"
                        f" | added p50 {row['added_p50_ms']:+7.2f} p99 {row['added_p99_ms']:+7.2f}"
                        f" | gw cpu {row['gateway_cpu_ms_per_request']:.2f} ms/req",
                        flush=True,
                    )
            finally:
                gateway.terminate()
                gateway.wait(timeout=30)
    finally:
        stub.terminate()
        stub.wait(timeout=30)
    result = {
        "benchmark": "gateway_overhead",
        "duration_s_per_run": args.duration,
        "runs_per_cell": args.runs,
        "statistic": "median over runs (added_*: median of the per-run differences)",
        "paced_rate_rps": args.rate,
        "inline_max_chars": args.inline_max_chars,
        "workers": args.workers,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_1_5_15_before": [round(x, 2) for x in load_before],
            "load_avg_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
        },
        "note": "stub upstream, gateway and load generator share one machine (127.0.0.1)",
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
