"""The Ray engine: Ray Data ``map_batches`` over chunks of examples with a pool of guard actors.

The driver streams the file and sends windows of chunks (one dataset row per chunk) through
``from_items → map_batches(actor pool) → iter_rows`` with ordering preserved, so memory stays
bounded by the window and results come back in dataset order. ``address`` joins an existing
cluster (``ray start --head`` …); without it a local Ray instance starts with ``workers`` CPUs.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from gardefou.errors import GardefouError, MissingDependencyError
from gardefou.screen._analyze import GuardSpec, analyze_batch
from gardefou.screen._config import DedupSettings, DetectionSettings, ScreenConfig
from gardefou.screen._engine import Chunk, Results
from gardefou.screen._formats import Example

WINDOW_CHUNKS = 200
"""Chunks sent to Ray per dataset execution (~50k examples, ~100 MB held by the driver): bounds
the driver's memory. Each window starts its actor pool anew (a few seconds: imports, guard)."""
CHUNKS_PER_BLOCK = 4
"""Chunks per Ray Data block: small blocks stream results back while the actors work."""


def _encode(examples: list[Example]) -> bytes:
    """One chunk as a dataset cell (pickled: the object store moves it between our own processes)."""
    return pickle.dumps([(e.index, e.line, e.id, e.turns) for e in examples], protocol=5)


def _decode(payload: bytes) -> list[Example]:
    return [
        Example(index=i, line=line, id=ident, turns=turns)
        for i, line, ident, turns in pickle.loads(payload)  # written by _encode
    ]


class ChunkScreener:
    """Ray Data callable class: builds its guard once per actor, analyzes one chunk per row."""

    def __init__(self, spec: GuardSpec, detection: dict[str, Any], dedup: dict[str, Any]) -> None:
        self.guard = spec.build()
        self.detection = DetectionSettings.model_validate(detection)
        self.dedup = DedupSettings.model_validate(dedup)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Analyze every chunk in the batch; returns the chunk numbers and pickled results."""
        results = [
            pickle.dumps(
                analyze_batch(self.guard, _decode(bytes(p)), self.detection, self.dedup),
                protocol=5,
            )
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


def _in_order(
    batch: list[Chunk], rows: Iterable[dict[str, Any]]
) -> Iterator[tuple[Chunk, Results]]:
    """Pair each chunk with its results as they stream in (in order; out-of-order rows wait)."""
    pending = iter(batch)
    expected = next(pending, None)
    arrived: dict[int, Results] = {}
    for row in rows:
        arrived[int(row["number"])] = pickle.loads(row["results"])
        while expected is not None and expected.number in arrived:
            yield expected, arrived.pop(expected.number)
            expected = next(pending, None)
    if expected is not None:
        raise GardefouError(f"the Ray engine returned no result for chunk {expected.number}")


def run_ray(
    spec: GuardSpec,
    chunks: Iterator[Chunk],
    config: ScreenConfig,
    workers: int,
    address: str | None = None,
    window: int | None = None,
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
            batch = list(islice(chunks, window or WINDOW_CHUNKS))
            if not batch:
                return
            rows = [{"number": c.number, "payload": _encode(c.examples)} for c in batch]
            blocks = max(min(len(rows), 4 * workers), -(-len(rows) // CHUNKS_PER_BLOCK))
            ds = ray.data.from_items(rows, override_num_blocks=blocks)
            ds = ds.map_batches(
                ChunkScreener,
                fn_constructor_args=(spec, detection, dedup),
                batch_size=1,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=1,
            )
            yield from _in_order(batch, ds.iter_rows())
    finally:
        if started:
            ray.shutdown()
