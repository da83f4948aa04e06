"""The Ray engine on a local 2-CPU instance gives the same results as the local engine."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from screen_helpers import KEYWORD_SPEC, mixed_records

from gardefou.screen import screen

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "finetune_sample.jsonl"


@pytest.fixture(scope="module", autouse=True)
def ray_instance() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_engine_matches_local_engine(write_jsonl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl([*mixed_records(), "{broken", *mixed_records()])
    local_out = tmp_path / "clean-local.jsonl"
    local = screen(path, guard=KEYWORD_SPEC, workers=2, chunk_size=3, write_clean=local_out)
    out = tmp_path / "clean.jsonl"
    distributed = screen(
        path, guard=KEYWORD_SPEC, engine="ray", workers=2, chunk_size=3, write_clean=out
    )
    assert distributed.engine == "ray" and distributed.workers == 2
    assert distributed.comparable() == local.comparable()
    assert distributed.invalid == 1 and len(out.read_text().splitlines()) == 3
    assert out.read_text() == local_out.read_text()


def test_ray_engine_over_several_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    from gardefou.screen import _ray

    monkeypatch.setattr(_ray, "WINDOW_CHUNKS", 3)  # 41 examples in 6 chunks: 2 windows
    example_local = screen(EXAMPLE, guard=KEYWORD_SPEC, workers=1)
    example_ray = screen(EXAMPLE, guard=KEYWORD_SPEC, engine="ray", workers=2, chunk_size=8)
    assert example_ray.comparable() == example_local.comparable()
