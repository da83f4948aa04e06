from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from gardefou.errors import InputError
from gardefou.io import detect_format, field_text, iter_rows, read_records


def test_detect_format() -> None:
    assert detect_format("a.csv") == "csv"
    assert detect_format("a.JSONL.gz") == "jsonl"
    assert detect_format("a.tsv") == "tsv"
    assert detect_format("a.json") == "json"
    assert detect_format("notes") == "txt"


def test_csv_with_bom_and_multiline(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_bytes('\ufefftext,label\n"line one\nstill one",1\nplain,0\n'.encode())
    rows = list(read_records(p, "text"))
    assert [r["text"] for _, r in rows] == ["line one\nstill one", "plain"]
    assert rows[0][1]["label"] == "1"
    assert rows[1][0] == 4


def test_jsonl_gz_and_bad_line(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": "a"}) + "\n\n{not json\n" + json.dumps({"text": "b"}) + "\n")
    with pytest.raises(InputError, match=r"d.jsonl.gz:3: not valid JSON"):
        list(read_records(p, "text"))
    errors: list[InputError] = []
    rows = list(read_records(p, "text", on_error=errors.append))
    assert [r["text"] for _, r in rows] == ["a", "b"]
    assert [e.line for e in errors] == [3]


def test_invalid_utf8_names_line(tmp_path: Path) -> None:
    p = tmp_path / "d.txt"
    p.write_bytes(b"fine\nbad \xff\xfe bytes\n")
    with pytest.raises(InputError, match=r"d.txt:2: invalid UTF-8"):
        list(read_records(p, "text"))


def test_missing_field_and_wrong_type(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"prompt": "x"}\n{"text": 3}\n[1]\n', encoding="utf-8")
    errors: list[InputError] = []
    assert list(read_records(p, "text", on_error=errors.append)) == []
    assert "no field 'text'" in str(errors[0]) and "prompt" in str(errors[0])
    assert "must be a string" in str(errors[1])
    assert "expected an object" in str(errors[2])
    with pytest.raises(InputError, match="expected an object"):
        field_text([1], "text", path="x", line=1)


def test_csv_too_many_fields_and_missing_column(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("text\nok\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=":3: row has 2 fields"):
        list(iter_rows(p))
    p2 = tmp_path / "e.csv"
    p2.write_text("prompt\nhello\n", encoding="utf-8")
    with pytest.raises(InputError, match="no field 'text'"):
        list(read_records(p2, "text"))


def test_json_array_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "d.json"
    p.write_text('[{"text": "a"}, {"text": "b"}]', encoding="utf-8")
    assert [r["text"] for _, r in read_records(p, "text")] == ["a", "b"]
    p.write_text('{"text": "a"}', encoding="utf-8")
    with pytest.raises(InputError, match="list of records"):
        list(read_records(p))
    p.write_text("[1, ", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        list(read_records(p))


def test_not_found_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        list(iter_rows(tmp_path / "nope.csv"))
    with pytest.raises(InputError, match="directory"):
        list(iter_rows(tmp_path))
    with pytest.raises(InputError, match="unknown format"):
        list(iter_rows(tmp_path / "x", fmt="xml"))


def test_txt_field_is_text(tmp_path: Path) -> None:
    p = tmp_path / "d.txt"
    p.write_text("one\n\n two \n", encoding="utf-8")
    rows = list(read_records(p, "prompt"))
    assert [(n, r["prompt"]) for n, r in rows] == [(1, "one"), (3, " two ")]


def test_bad_lines_skippable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gardefou.io as gio

    monkeypatch.setattr(gio, "MAX_LINE_CHARS", 20)
    p = tmp_path / "d.jsonl"
    p.write_bytes(
        b'{"text": "a"}\n' + b'{"text": "' + b"x" * 200 + b'"}\n' + b"\xff\n" + b'{"text": "b"}\n'
    )
    errors: list[InputError] = []
    rows = list(read_records(p, "text", on_error=errors.append))
    assert [r["text"] for _, r in rows] == ["a", "b"]
    assert [e.line for e in errors] == [2, 3]
    assert "longer than 20" in str(errors[0])
    with pytest.raises(InputError, match=":2: line longer"):
        list(read_records(p, "text"))
