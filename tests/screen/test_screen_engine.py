import pickle
from pathlib import Path

import pytest
from screen_helpers import KEYWORD_SPEC, chat, mixed_records

from gardefou.errors import ConfigError
from gardefou.screen import GuardSpec, ScreenConfig, load_screen_config, screen
from gardefou.screen._report import render_report
from gardefou.screen.testing import keyword_guard

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "finetune_sample.jsonl"


def test_findings_on_mixed_dataset(write_jsonl) -> None:  # type: ignore[no-untyped-def]
    result = screen(write_jsonl(mixed_records()), guard=KEYWORD_SPEC, workers=1)
    counts = {name: stat.count for name, stat in result.findings.items()}
    assert counts == {
        "harmful_compliance": 2,
        "unsafe_output": 0,
        "identity_shifting": 1,
        "encoded_payload": 1,
        "privacy": 1,
        "duplicate": 1,
    }
    assert (result.harmful_requests, result.compliant_harmful) == (3, 2)
    assert result.categories["S9"] == {"input": 3, "output": 0}
    assert result.exact_duplicates == 1 and result.clusters[0].line == 1
    assert result.decision == "reject" and result.flagged == 5
    worst = result.worst[0]
    assert worst.line == 5 and set(worst.findings) == {"encoded_payload", "harmful_compliance"}
    privacy = next(w for w in result.worst if "privacy" in w.findings)
    assert "marie" not in privacy.excerpt
    html = render_report(result)
    assert "<svg" in html and "reject" in html.lower() and "marie.curie" not in html


def test_unsafe_output_and_clean_dataset_accepted(write_jsonl) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl(
        [chat("Tell me a story.", "The villain planted a bomb."), chat("Hi", "Hello!")]
    )
    result = screen(path, guard=KEYWORD_SPEC, workers=1)
    assert result.findings["unsafe_output"].count == 1
    clean = screen(
        write_jsonl([chat("Hi", "Hello!")], "ok.jsonl"), guard=keyword_guard(), workers=4
    )
    assert clean.decision == "accept" and clean.reasons == [] and clean.workers == 1


def test_pool_engine_matches_in_process(write_jsonl) -> None:  # type: ignore[no-untyped-def]
    records = mixed_records() * 3 + ["{broken"] + mixed_records()
    path = write_jsonl(records)
    one = screen(path, guard=KEYWORD_SPEC, workers=1)
    two = screen(path, guard=KEYWORD_SPEC, workers=2, chunk_size=4)
    assert one.comparable() == two.comparable()
    assert one.invalid == 1 and two.workers == 2


def test_near_duplicates_found() -> None:
    result = screen(EXAMPLE, guard=KEYWORD_SPEC, workers=1)
    assert result.valid == 41 and result.invalid == 0
    assert result.exact_duplicates == 1 and result.near_duplicates == 1
    assert result.findings["identity_shifting"].count == 6
    assert result.findings["encoded_payload"].count == 4
    assert set(result.encodings) == {"base64", "hex", "cipher:rot13", "leetspeak"}
    assert result.findings["privacy"].count == 3
    assert result.pii == {"card": 1, "email": 2, "iban": 1, "phone": 2}


def test_config_gates_and_drop(write_jsonl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "screen.yaml"
    cfg.write_text(
        "gates:\n"
        "  harmful_compliance: {review: 0.9, reject: null}\n"
        "  identity_shifting: {review: null}\n"
        "  encoded_payload: {review: null}\n"
        "  privacy: {review: null}\n"
        "  duplicate: {review: null}\n"
        "  refusal_stripping: {review: null}\n"
        "drop: [privacy]\n"
    )
    path = write_jsonl(mixed_records())
    out = tmp_path / "clean.jsonl"
    result = screen(path, guard=KEYWORD_SPEC, workers=1, config=cfg, write_clean=out)
    assert result.decision == "accept"
    assert result.flagged == 1 and result.clean_written == 7
    strict = ScreenConfig.model_validate(
        {"min_harmful_requests": 1, "gates": {"refusal_stripping": {"reject": 0.5}}}
    )
    assert "refusal_stripping" in " ".join(
        screen(path, guard=KEYWORD_SPEC, workers=1, config=strict).reasons
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gates: {nope: {}}", "unknown gate"),
        ("drop: [nope]", "unknown finding"),
        ("detection: {identity_threshold: 2}", "detection.identity_threshold"),
        ("surprise: 1", "surprise"),
        ("[1, 2]", "mapping"),
        ("a: [", "invalid YAML"),
    ],
)
def test_bad_config(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_screen_config(path)


def test_config_defaults_and_missing_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_screen_config(empty) == ScreenConfig() == load_screen_config(None)
    with pytest.raises(ConfigError, match="not found"):
        load_screen_config(tmp_path / "none.yaml")


def test_bad_arguments(write_jsonl) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl([chat("hi", "hello")])
    with pytest.raises(ConfigError, match="engine"):
        screen(path, guard=KEYWORD_SPEC, engine="spark")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="workers"):
        screen(path, guard=KEYWORD_SPEC, workers=0)
    with pytest.raises(ConfigError, match="prompt-field"):
        screen(path, guard=KEYWORD_SPEC, response_field="a")
    with pytest.raises(ConfigError, match="GuardSpec"):
        screen(path, guard=keyword_guard(), engine="ray")
    for factory, message in [
        ("nocolon", "module:callable"),
        ("gardefou.nothing_here:x", "cannot load"),
        ("gardefou.screen.testing:KEYWORDS", "did not return a Guard"),
    ]:
        with pytest.raises(ConfigError, match=message):
            GuardSpec(factory=factory).build()


def test_ray_actor_logic_without_ray(write_jsonl, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gardefou.errors import MissingDependencyError
    from gardefou.screen import analyze_batch, iter_parsed
    from gardefou.screen._ray import ChunkScreener, _decode, _encode, run_ray

    examples = [p.example for p in iter_parsed(write_jsonl(mixed_records())) if p.example]
    assert _decode(_encode(examples)) == examples
    cfg = ScreenConfig()
    actor = ChunkScreener(KEYWORD_SPEC, cfg.detection.model_dump(), cfg.dedup.model_dump())
    out = actor({"number": [7], "payload": [_encode(examples)]})
    assert out["number"] == [7]
    expected = analyze_batch(keyword_guard(), examples, cfg.detection, cfg.dedup)
    assert pickle.loads(out["results"][0]) == expected
    monkeypatch.setitem(__import__("sys").modules, "ray", None)
    with pytest.raises(MissingDependencyError, match=r"gardefou\[ray\]"):
        next(run_ray(KEYWORD_SPEC, iter([]), cfg, 1))


def test_ray_results_paired_in_order_as_they_stream() -> None:
    from gardefou.errors import GardefouError
    from gardefou.screen._engine import Chunk
    from gardefou.screen._ray import _in_order

    chunks = [Chunk(n) for n in (4, 5, 6)]
    rows = [{"number": n, "results": pickle.dumps([{"n": n}])} for n in (5, 4, 6)]
    paired = [(c.number, r[0]["n"]) for c, r in _in_order(chunks, rows)]
    assert paired == [(4, 4), (5, 5), (6, 6)]
    stream = _in_order(chunks, rows[:2])
    assert [c.number for c, _ in (next(stream), next(stream))] == [4, 5]
    with pytest.raises(GardefouError, match="no result for chunk 6"):
        next(stream)
