"""The Ray engine: Ray Data ``map_batches`` over chunks of examples with a pool of guard actors.

The driver streams the file and sends windows of chunks (one dataset row per chunk) through
``from_items → map_batches(actor pool) → iter_rows`` with ordering preserved, so memory stays
bounded by the window and results come back in dataset order. ``address`` joins an existing
cluster (``ray start --head`` …); without it a local Ray instance starts with ``workers`` CPUs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from typing import Any

from gardefou.errors import MissingDependencyError
from gardefou.screen._analyze import GuardSpec, analyze_batch
from gardefou.screen._config import DedupSettings, DetectionSettings, ScreenConfig
from gardefou.screen._engine import Chunk, Results
from gardefou.screen._formats import Example

WINDOW_CHUNKS = 200
"""Chunks sent to Ray per dataset execution (bounds the driver's memory)."""


def _encode(examples: list[Example]) -> str:
    return json.dumps([[e.index, e.line, e.id, e.turns] for e in examples], ensure_ascii=False)


def _decode(payload: str) -> list[Example]:
    return [
        Example(index=i, line=line, id=ident, turns=[(r, t) for r, t in turns])
        for i, line, ident, turns in json.loads(payload)
    ]


class ChunkScreener:
    """Ray Data callable class: builds its guard once per actor, analyzes one chunk per row."""

    def __init__(self, spec: GuardSpec, detection: dict[str, Any], dedup: dict[str, Any]) -> None:
        self.guard = spec.build()
        self.detection = DetectionSettings.model_validate(detection)
        self.dedup = DedupSettings.model_validate(dedup)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Analyze every chunk in the batch; returns the chunk numbers and JSON results."""
        results = [
            json.dumps(analyze_batch(self.guard, _decode(str(p)), self.detection, self.dedup))
            for p in batch["payload"]
        ]
        return {"number": list(batch["number"]), "results": results}


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingDependencyError("ray", "ray") from None
    return ray


def run_ray(
    spec: GuardSpec,
    chunks: Iterator[Chunk],
    config: ScreenConfig,
    workers: int,
    address: str | None = None,
    window: int = WINDOW_CHUNKS,
) -> Iterator[tuple[Chunk, Results]]:
    """Analyze chunks with Ray Data, yielding them in dataset order."""
    ray = _import_ray()
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address is None:
            kwargs["num_cpus"] = workers
        ray.init(address=address, **kwargs)
        started = True
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    detection = config.detection.model_dump()
    dedup = config.dedup.model_dump()
    try:
        while True:
            batch = list(islice(chunks, window))
            if not batch:
                return
            rows = [{"number": c.number, "payload": _encode(c.examples)} for c in batch]
            ds = ray.data.from_items(rows, override_num_blocks=min(len(rows), 4 * workers))
            ds = ds.map_batches(
                ChunkScreener,
                fn_constructor_args=(spec, detection, dedup),
                batch_size=1,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=1,
            )
            by_number: dict[int, Results] = {}
            for row in ds.iter_rows():
                by_number[int(row["number"])] = json.loads(str(row["results"]))
            for c in batch:
                yield c, by_number[c.number]
    finally:
        if started:
            ray.shutdown()
