"""The runner protocol shared by the peer scripts (standard library only: runs in the peer's venv).

A runner reads JSONL ``{"text": ...}`` on stdin and writes one JSONL ``{"score": p, "flag": b}``
per text on stdout (``score`` in [0, 1], higher = riskier; ``flag`` = the peer's own decision;
optional ``detail``, e.g. which scanner fired),
then one ``{"meta": {...}}`` line: load time, batched throughput, single-text latency, versions.

Network access is refused: ``socket`` connects raise, and the runner exits with status 3 and
says so (a peer that tries to download weights is out of the benchmark). Anything a peer prints
goes to stderr, so stdout carries only the protocol. Errors name the exception type, never text.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

# (score, flag) or (score, flag, detail): detail is a short label such as which rule fired.
Result = tuple[float, bool] | tuple[float, bool, str]
Scorer = Callable[[list[str]], list[Result]]
EXIT_ERROR = 1
EXIT_NETWORK = 3


class NetworkAttemptError(RuntimeError):
    """A peer tried to open a network connection."""


_attempts: list[str] = []


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    _attempts.append("connect")  # remembered even if the peer catches the error
    raise NetworkAttemptError("network access attempted")


def block_network() -> None:
    """Make every outgoing connection (and DNS lookup) raise ``NetworkAttemptError``."""
    socket.socket.connect = _refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = _refuse  # type: ignore[method-assign]
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    score: Scorer, texts: Sequence[str], batch: int = 256, latency: int = 200
) -> tuple[list[Result], dict[str, Any]]:
    """Score ``texts`` in batches (timed), then time ``latency`` single-text calls.

    The same function times gardefou and the keyword baseline in the main process.
    """
    results: list[Result] = []
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        results.extend(score(list(texts[i : i + batch])))
    batch_s = time.perf_counter() - start
    latencies = []
    for text in texts[:latency]:
        t = time.perf_counter()
        score([text])
        latencies.append((time.perf_counter() - t) * 1000)
    stats = {
        "texts": len(texts),
        "texts_per_s": round(len(texts) / batch_s, 1) if batch_s > 0 else None,
        "p50_ms": round(statistics.median(latencies), 3) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99), 3) if latencies else None,
    }
    return results, stats


def serve(load: Callable[[], Scorer], packages: Sequence[str]) -> None:
    """Run the protocol: ``load()`` returns a batch scorer; ``packages`` are reported with versions."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=256, help="texts per batch")
    parser.add_argument("--latency", type=int, default=200, help="single-text calls to time")
    args = parser.parse_args()
    out = sys.stdout
    sys.stdout = sys.stderr
    block_network()
    try:
        texts = [json.loads(line)["text"] for line in sys.stdin if line.strip()]
        start = time.perf_counter()
        score = load()
        load_s = time.perf_counter() - start
        results, stats = measure(score, texts, args.batch, args.latency)
    except Exception as exc:
        if not _attempts:
            what = f" ({exc.name})" if isinstance(exc, ImportError) and exc.name else ""
            print(f"error: {type(exc).__name__}{what} while scoring", file=sys.stderr)
            sys.exit(EXIT_ERROR)
    if _attempts:
        print("error: the peer attempted a network connection", file=sys.stderr)
        sys.exit(EXIT_NETWORK)
    if len(results) != len(texts):
        print(f"error: {len(results)} scores for {len(texts)} texts", file=sys.stderr)
        sys.exit(EXIT_ERROR)
    for p, flag, *detail in results:
        row: dict[str, Any] = {"score": round(float(p), 6), "flag": bool(flag)}
        if detail and detail[0]:
            row["detail"] = detail[0]
        out.write(json.dumps(row) + "\n")
    meta = {
        "versions": {name: metadata.version(name) for name in packages},
        "python": sys.version.split()[0],
        "load_s": round(load_s, 3),
        **stats,
    }
    out.write(json.dumps({"meta": meta}) + "\n")
    out.flush()
