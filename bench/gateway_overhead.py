"""Gateway overhead: the same stub upstream called directly and through ``gardefou serve``.

Starts ``gardefou stub-upstream`` and ``gardefou serve`` (open mode, SQLite audit, a fast guard policy)
as subprocesses on 127.0.0.1, then measures end-to-end latency (full answer or full stream read) at 1
and 50 concurrent clients, streaming and not. Prints a table and writes
bench/results/gateway_overhead.json.

    python bench/gateway_overhead.py [--duration 5] [--policy rules]
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

RESULTS = Path(__file__).resolve().parent / "results" / "gateway_overhead.json"
BODY = {
    "model": "stub-model",
    "messages": [{"role": "user", "content": "Write one short sentence."}],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
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


def policy_file(tmp: Path, detectors: list[str]) -> Path:
    path = tmp / "bench-policy.yaml"
    path.write_text(json.dumps({"name": "bench-fast", "detectors": detectors}))
    return path


def pick_detectors(requested: str) -> list[str]:
    if requested == "none":
        return []
    from gardefou.detectors import detectors, load_builtin_detectors

    load_builtin_detectors()
    names = [n for n in requested.split(",") if n]
    missing = [n for n in names if n not in detectors.names()]
    if missing:
        print(f"detectors not available: {missing}; measuring with no detector", file=sys.stderr)
        return []
    return names


async def run_load(url: str, clients: int, duration: float, stream: bool) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    body = {**BODY, "stream": stream}
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        for _ in range(3):  # warm up connections
            await client.post("/chat/completions", json=body)
        deadline = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
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

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    qs = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(qs[98], 3),
        "rps": round(len(latencies) / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--policy", default="rules", help="detectors of the fast tier, or 'none'")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gardefou-bench-"))
    detectors = pick_detectors(args.policy)
    stub_port, gw_port = free_port(), free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    exe = [
        sys.executable,
        "-c",
        "import sys; from gardefou.cli.main import main; main(sys.argv[1:])",
    ]
    stub = subprocess.Popen(
        [*exe, "stub-upstream", "--port", str(stub_port), "--reply-words", "40"], env=env
    )
    gateway = subprocess.Popen(
        [
            *exe, "serve", "--no-auth", "--port", str(gw_port),
            "--upstream", f"http://127.0.0.1:{stub_port}/v1",
            "--policy", str(policy_file(tmp, detectors)),
            "--db", f"sqlite:///{tmp / 'audit.db'}",
        ],
        env=env,
        cwd=tmp,
    )  # fmt: skip
    try:
        wait_ready(f"http://127.0.0.1:{stub_port}/v1/models", stub)
        wait_ready(f"http://127.0.0.1:{gw_port}/healthz", gateway)
        rows: list[dict[str, Any]] = []
        for clients in (1, 50):
            for stream in (False, True):
                direct = asyncio.run(
                    run_load(f"http://127.0.0.1:{stub_port}/v1", clients, args.duration, stream)
                )
                through = asyncio.run(
                    run_load(f"http://127.0.0.1:{gw_port}/v1", clients, args.duration, stream)
                )
                row = {
                    "clients": clients,
                    "stream": stream,
                    "direct": direct,
                    "gateway": through,
                    "added_p50_ms": round(through["p50_ms"] - direct["p50_ms"], 3),
                    "added_p99_ms": round(through["p99_ms"] - direct["p99_ms"], 3),
                }
                rows.append(row)
                print(
                    f"clients={clients:>2} stream={stream!s:5}  direct p50 {direct['p50_ms']:7.2f} ms "
                    f"p99 {direct['p99_ms']:7.2f} ms {direct['rps']:7.1f} req/s | gateway p50 "
                    f"{through['p50_ms']:7.2f} ms p99 {through['p99_ms']:7.2f} ms "
                    f"{through['rps']:7.1f} req/s | added p50 {row['added_p50_ms']:+.2f} ms "
                    f"p99 {row['added_p99_ms']:+.2f} ms"
                )
    finally:
        for proc in (gateway, stub):
            proc.terminate()
            proc.wait(timeout=20)
    result = {
        "benchmark": "gateway_overhead",
        "detectors": detectors,
        "duration_s_per_cell": args.duration,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "note": "stub upstream, gateway and load generator share one machine (127.0.0.1)",
        "rows": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
