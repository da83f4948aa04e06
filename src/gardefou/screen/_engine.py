"""The screening driver: stream the file, analyze chunks on an engine, aggregate in dataset order.

Engines yield ``(chunk, results)`` in dataset order; the driver does everything order-dependent
(duplicate clusters, the clean output, the worst examples) so that every engine gives the same
result. The local engine runs a process pool with a bounded number of chunks in flight; each
worker builds its guard once from a picklable ``GuardSpec``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gardefou.errors import ConfigError
from gardefou.guard import Guard
from gardefou.screen._analyze import GuardSpec, analyze_batch
from gardefou.screen._config import (
    DedupSettings,
    DetectionSettings,
    ScreenConfig,
    load_screen_config,
)
from gardefou.screen._formats import CleanWriter, Example, Fields, Parsed, iter_parsed
from gardefou.screen._result import Aggregator, ScreenResult

Engine = Literal["local", "ray"]
ENGINES = ("local", "ray")
Results = list[dict[str, Any]]


@dataclass
class Chunk:
    """Consecutive records of the file (invalid ones included) and the examples among them."""

    number: int
    items: list[Parsed] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)


def iter_chunks(parsed: Iterator[Parsed], size: int) -> Iterator[Chunk]:
    """Group records into chunks of ``size`` valid examples (the last one may be smaller)."""
    chunk = Chunk(0)
    for item in parsed:
        chunk.items.append(item)
        if item.example is not None:
            chunk.examples.append(item.example)
            if len(chunk.examples) >= size:
                yield chunk
                chunk = Chunk(chunk.number + 1)
    if chunk.items:
        yield chunk


# -- local engine ---------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(spec: GuardSpec, detection: DetectionSettings, dedup: DedupSettings) -> None:
    _WORKER.update(guard=spec.build(), detection=detection, dedup=dedup)


def _work(examples: list[Example]) -> Results:
    return analyze_batch(_WORKER["guard"], examples, _WORKER["detection"], _WORKER["dedup"])


def run_local(
    guard: Guard,
    spec: GuardSpec | None,
    chunks: Iterator[Chunk],
    config: ScreenConfig,
    workers: int,
) -> Iterator[tuple[Chunk, Results]]:
    """Analyze chunks in this process (1 worker) or a process pool, yielding them in order."""
    detection, dedup = config.detection, config.dedup
    if workers <= 1 or spec is None:
        for chunk in chunks:
            yield chunk, analyze_batch(guard, chunk.examples, detection, dedup)
        return
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(spec, detection, dedup)) as pool:
        pending: deque[tuple[Chunk, Any]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.apply_async(_work, (chunk.examples,))))
            while len(pending) >= 2 * workers:
                done, handle = pending.popleft()
                yield done, handle.get()
        while pending:
            done, handle = pending.popleft()
            yield done, handle.get()


# -- driver ---------------------------------------------------------------------------------------


def _resolve_guard(guard: GuardSpec | Guard | str | None) -> tuple[Guard, GuardSpec | None]:
    if isinstance(guard, Guard):
        return guard, None
    spec = GuardSpec(policy=guard) if isinstance(guard, str) else (guard or GuardSpec())
    return spec.build(), spec


def screen(
    path: str | Path,
    *,
    fmt: str | None = None,
    prompt_field: str | None = None,
    response_field: str | None = None,
    system_field: str | None = None,
    config: ScreenConfig | str | Path | None = None,
    guard: GuardSpec | Guard | str | None = None,
    engine: Engine = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    write_clean: str | Path | None = None,
    chunk_size: int = 256,
    progress: Callable[[int], None] | None = None,
) -> ScreenResult:
    """Screen a fine-tuning dataset file and return the dataset-level result.

    ``guard`` is a ``GuardSpec``, a policy name/path, or a ready ``Guard`` (in-process only: a
    ``Guard`` object cannot be sent to worker processes). ``workers`` defaults to the CPU count.
    ``write_clean`` writes the examples without findings listed in ``config.drop`` to that file,
    in the input's format. ``progress`` is called with the number of records done so far.
    """
    cfg = config if isinstance(config, ScreenConfig) else load_screen_config(config)
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    if n_workers < 1:
        raise ConfigError("workers must be at least 1")
    built, spec = _resolve_guard(guard)
    if spec is None and (engine == "ray" or n_workers > 1):
        n_workers = 1
        if engine == "ray":
            raise ConfigError(
                "the ray engine needs a GuardSpec or a policy name, not a Guard object"
            )
    fields = Fields(prompt_field, response_field, system_field) if prompt_field else None
    if fields is None and (response_field or system_field):
        raise ConfigError("--response-field/--system-field need --prompt-field")
    detected: list[str] = []
    parsed = iter_parsed(
        path, fmt, fields, max_chars=cfg.detection.max_example_chars, detected=detected
    )
    chunks = iter_chunks(parsed, chunk_size)
    if engine == "ray":
        from gardefou.screen._ray import run_ray

        assert spec is not None
        stream = run_ray(spec, chunks, cfg, n_workers, ray_address)
    else:
        stream = run_local(built, spec, chunks, cfg, n_workers)
    agg = Aggregator(cfg)
    writer = CleanWriter(write_clean, path) if write_clean is not None else None
    start = time.perf_counter()
    done = 0
    try:
        for chunk, results in stream:
            position = 0
            for item in chunk.items:
                if item.example is None:
                    agg.add_invalid(item.line, item.error or "invalid")
                    continue
                flagged = agg.add(results[position], item.example.turns)
                position += 1
                if writer is not None and not flagged:
                    writer.write(item.raw)
            done += len(chunk.items)
            if progress is not None:
                progress(done)
    finally:
        if writer is not None:
            writer.close()
    result = agg.finish(
        str(path), fmt or (detected[0] if detected else None), time.perf_counter() - start
    )
    result.engine = engine
    result.workers = n_workers
    if writer is not None:
        result.clean_written = writer.count
    return result
