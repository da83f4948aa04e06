import csv
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from screen_helpers import KEYWORD_SPEC, chat, mixed_records

from gardefou.errors import InputError
from gardefou.screen import Fields, iter_parsed, screen


def _kinds(path: Path, **kw: object) -> list[tuple[int, str | None]]:
    return [(p.line, p.error) for p in iter_parsed(path, **kw)]  # type: ignore[arg-type]


def test_chat_jsonl_with_bad_records(write_jsonl) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl(
        [
            chat("hi", "hello"),
            "{not json",
            {"messages": []},
            {"messages": [{"role": "wizard", "content": "x"}]},
            {"messages": [{"role": "user", "content": 3}]},
            {"messages": [{"role": "user"}]},
            {"other": 1},
            [1, 2],
            chat("bye", "goodbye"),
        ]
    )
    items = list(iter_parsed(path))
    assert [p.line for p in items] == list(range(1, 10))
    errors = {p.line: p.error for p in items if p.error}
    assert "not valid JSON" in errors[2]
    assert errors[3] == "empty conversation"
    assert "unknown role" in errors[4]
    assert "must be a string" in errors[5] and "missing" in errors[6]
    assert "expected an object" in errors[8]
    valid = [p.example for p in items if p.example]
    assert [e.index for e in valid] == [0, 1]
    assert valid[1].turns[-1] == ("assistant", "goodbye")


def test_huge_single_example_is_invalid_not_a_crash(write_jsonl) -> None:  # type: ignore[no-untyped-def]
    big = chat("x" * (50 * 1024 * 1024), "ok")
    path = write_jsonl([chat("hi", "hello"), big, chat("a", "b")])
    result = screen(path, guard=KEYWORD_SPEC, workers=1)
    assert result.valid == 2 and result.invalid == 1
    assert result.invalid_examples[0].line == 2
    assert "longer than" in result.invalid_examples[0].reason


def test_example_size_limit(write_jsonl) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl([chat("x" * 500, "ok")])
    assert "too large" in str(_kinds(path, max_chars=100)[0][1])


def test_alpaca_sharegpt_and_gz(tmp_path: Path) -> None:
    alpaca = tmp_path / "alpaca.jsonl.gz"
    with gzip.open(alpaca, "wt", encoding="utf-8") as f:
        f.write(
            json.dumps({"instruction": "Sum", "input": "2+2", "output": "4", "system": "Be brief"})
        )
        f.write("\n" + json.dumps({"instruction": "Sum"}) + "\n")
    items = list(iter_parsed(alpaca))
    assert items[0].example is not None
    assert items[0].example.turns == [
        ("system", "Be brief"),
        ("user", "Sum\n\n2+2"),
        ("assistant", "4"),
    ]
    assert "output" in str(items[1].error)
    share = tmp_path / "share.jsonl"
    share.write_text(
        json.dumps(
            {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}
        )
        + "\n"
        + json.dumps({"conversations": [{"from": "alien", "value": "hi"}]})
        + "\n"
    )
    detected: list[str] = []
    items = list(iter_parsed(share, detected=detected))
    assert detected == ["sharegpt"]
    assert items[0].example is not None and items[0].example.turns[1] == ("assistant", "yo")
    assert "unknown from" in str(items[1].error)


def test_csv_with_named_fields_and_clean_output(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["q", "a", "note"])
        w.writerow(["How do I build a bomb?", "Sure, step one: [omitted]", "x"])
        w.writerow(["What is 2+2?", "4", "y"])
    with pytest.raises(InputError):
        list(iter_parsed(tmp_path / "missing.csv"))
    assert _kinds(path)[0][1] == "unknown record format"
    out = tmp_path / "clean.csv"
    result = screen(
        path, prompt_field="q", response_field="a", guard=KEYWORD_SPEC, workers=1, write_clean=out
    )
    assert result.format == "fields" and result.findings["harmful_compliance"].count == 1
    rows = list(csv.DictReader(out.open()))
    assert rows == [{"q": "What is 2+2?", "a": "4", "note": "y"}]
    fields = Fields("q", "a")
    assert [p.example.turns for p in iter_parsed(path, "fields", fields) if p.example][1] == [
        ("user", "What is 2+2?"),
        ("assistant", "4"),
    ]


def test_parquet_streamed_and_clean_parquet(tmp_path: Path) -> None:
    records = mixed_records()
    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=3)
    out = tmp_path / "clean.parquet"
    result = screen(path, guard=KEYWORD_SPEC, workers=1, write_clean=out)
    assert result.valid == len(records) and result.format == "chat"
    kept = pq.read_table(out).to_pylist()
    assert len(kept) == result.clean_written == 3
    assert kept[0]["messages"][1]["content"] == "What is the capital of France?"
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="Parquet"):
        list(iter_parsed(bad))


def test_clean_jsonl_gz_roundtrip(write_jsonl, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl(mixed_records())
    out = tmp_path / "clean.jsonl.gz"
    result = screen(path, guard=KEYWORD_SPEC, workers=1, write_clean=out)
    with gzip.open(out, "rt") as f:
        kept = [json.loads(line) for line in f]
    assert len(kept) == 3 == result.clean_written
    assert kept[2]["messages"][1]["content"] == "Name three fruits."
