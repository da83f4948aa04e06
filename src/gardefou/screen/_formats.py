"""Fine-tuning dataset formats: read records as chat turns (streaming), write the clean subset back.

Record schemas: ``chat`` (OpenAI ``{"messages": [...]}``), ``alpaca`` (``instruction``/``input``/
``output``), ``sharegpt`` (``conversations`` of ``{"from", "value"}``) and ``fields`` (a prompt and a
response field, for plain CSV/JSONL). Containers: JSONL, JSON, CSV, TSV (``.gz`` too) and Parquet.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from gardefou.errors import InputError, MissingDependencyError
from gardefou.io import MAX_LINE_CHARS, detect_format, iter_rows, open_binary

RECORD_FORMATS = ("chat", "alpaca", "sharegpt", "fields")
_CHAT_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_CHAT_ROLES.update({"tool": "tool", "function": "tool", "ipython": "tool"})
_SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant"}
_SHAREGPT_ROLES.update(
    {"chatgpt": "assistant", "model": "assistant", "bard": "assistant", "bing": "assistant"}
)
_SHAREGPT_ROLES.update(
    {"system": "system", "tool": "tool", "function": "tool", "observation": "tool"}
)
_FIELD_PAIRS = (
    ("prompt", "response"),
    ("prompt", "completion"),
    ("prompt", "chosen"),
    ("question", "answer"),
    ("query", "response"),
    ("user", "assistant"),
    ("input", "output"),
    ("text", None),
)


@dataclass
class Example:
    """One training example as chat turns ``(role, text)``; roles: system, user, assistant, tool."""

    index: int
    line: int
    id: str
    turns: list[tuple[str, str]]


@dataclass
class Parsed:
    """One record of the file: the example, or the reason it is invalid; ``raw`` as read."""

    line: int
    raw: Any
    example: Example | None = None
    error: str | None = None


@dataclass(frozen=True)
class Fields:
    """Field names for the ``fields`` schema."""

    prompt: str
    response: str | None = None
    system: str | None = None


def container_of(path: str | Path) -> str:
    """The container format from the file name: jsonl, json, csv, tsv, parquet or txt."""
    name = str(path).lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return detect_format(path)


def detect_record_format(record: Any, fields: Fields | None) -> str | None:
    """The record schema of ``record``, or None when no known schema matches."""
    if not isinstance(record, dict):
        return None
    if fields is not None and fields.prompt in record:
        return "fields"
    if isinstance(record.get("messages"), list):
        return "chat"
    if isinstance(record.get("conversations"), list):
        return "sharegpt"
    if "instruction" in record and "output" in record:
        return "alpaca"
    return "fields" if guess_fields(record) is not None else None


def guess_fields(record: dict[str, Any]) -> Fields | None:
    """Well-known prompt/response field pairs (``prompt``/``response``, ``question``/``answer``...)."""
    for prompt, response in _FIELD_PAIRS:
        if prompt in record and (response is None or response in record):
            return Fields(prompt, response, "system" if "system" in record else None)
    return None


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # OpenAI content parts
        parts = [p.get("text") for p in value if isinstance(p, dict)]
        if all(isinstance(p, str) for p in parts) and parts:
            return "\n".join(p for p in parts if isinstance(p, str))
    if value is None:
        raise ValueError(f"{what} is missing")
    raise ValueError(f"{what} must be a string, got {type(value).__name__}")


def _turns(record: Any, fmt: str, fields: Fields | None) -> list[tuple[str, str]]:
    if not isinstance(record, dict):
        raise ValueError(f"expected an object, got {type(record).__name__}")
    if fmt in ("chat", "sharegpt"):
        key, role_key, text_key, roles = (
            ("messages", "role", "content", _CHAT_ROLES)
            if fmt == "chat"
            else ("conversations", "from", "value", _SHAREGPT_ROLES)
        )
        msgs = record.get(key)
        if not isinstance(msgs, list):
            raise ValueError(f"field {key!r} is missing or not a list")
        if not msgs:
            raise ValueError("empty conversation")
        turns = []
        for i, msg in enumerate(msgs):
            if not isinstance(msg, dict):
                raise ValueError(f"{key}[{i}] is not an object")
            role = msg.get(role_key)
            if not isinstance(role, str) or role.lower() not in roles:
                raise ValueError(f"{key}[{i}] has an unknown {role_key} {str(role)[:20]!r}")
            if role.lower() in ("tool", "function") and msg.get(text_key) is None:
                continue  # tool-call stubs carry no text
            if fmt == "chat" and msg.get(text_key) is None and msg.get("tool_calls"):
                continue
            turns.append((roles[role.lower()], _text(msg.get(text_key), f"{key}[{i}].{text_key}")))
        return turns
    if fmt == "alpaca":
        instruction = _text(record.get("instruction"), "field 'instruction'")
        extra = record.get("input")
        prompt = instruction + ("\n\n" + _text(extra, "field 'input'") if extra else "")
        turns = (
            [("system", _text(record["system"], "field 'system'"))] if record.get("system") else []
        )
        return [
            *turns,
            ("user", prompt),
            ("assistant", _text(record.get("output"), "field 'output'")),
        ]
    f = fields or guess_fields(record)
    if f is None:
        raise ValueError("no prompt/response fields (use --prompt-field / --response-field)")
    turns = []
    if f.system and record.get(f.system):
        turns.append(("system", _text(record[f.system], f"field {f.system!r}")))
    turns.append(("user", _text(record.get(f.prompt), f"field {f.prompt!r}")))
    if f.response is not None:
        turns.append(("assistant", _text(record.get(f.response), f"field {f.response!r}")))
    return turns


def to_example(
    record: Any, fmt: str, fields: Fields | None, index: int, line: int, max_chars: int
) -> Example:
    """Validate one record into an Example; ValueError with the reason otherwise."""
    turns = _turns(record, fmt, fields)
    if not any(t.strip() for _, t in turns):
        raise ValueError("empty conversation")
    if not any(r in ("user", "assistant") for r, _ in turns):
        raise ValueError("no user or assistant turn")
    size = sum(len(t) for _, t in turns)
    if size > max_chars:
        raise ValueError(f"example too large ({size} characters > {max_chars})")
    rid = record.get("id") if isinstance(record, dict) else None
    ident = str(rid)[:64] if isinstance(rid, str | int) else f"line {line}"
    return Example(index=index, line=line, id=ident, turns=turns)


def _jsonl_rows(path: str, on_error: Any, max_bytes: int) -> Iterator[tuple[int, Any]]:
    """JSON lines, read in bounded pieces: an over-long line is skipped and reported, not fatal."""
    with open_binary(path) as handle:
        n = 0
        while True:
            n += 1
            raw = handle.readline(max_bytes + 1)
            if not raw:
                return
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                while True:  # skip the rest of the line without holding it
                    rest = handle.readline(1 << 20)
                    if not rest or rest.endswith(b"\n"):
                        break
                on_error(InputError(f"line longer than {max_bytes} bytes", path=path, line=n))
                continue
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                yield n, json.loads(raw)
            except UnicodeDecodeError:
                on_error(InputError("invalid UTF-8 bytes", path=path, line=n))
            except json.JSONDecodeError as exc:
                on_error(InputError(f"not valid JSON ({exc.msg})", path=path, line=n))


def _parquet_rows(path: str, on_error: Any) -> Iterator[tuple[int, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependencyError("pyarrow", "parquet") from None
    try:
        pf = pq.ParquetFile(path)
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except Exception as exc:  # pyarrow raises its own error types for a bad file
        raise InputError(f"not a readable Parquet file ({type(exc).__name__})", path=path) from None
    n = 0
    for batch in pf.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            n += 1
            yield n, row


def iter_parsed(
    path: str | Path,
    fmt: str | None = None,
    fields: Fields | None = None,
    *,
    max_chars: int = 1_000_000,
    detected: list[str] | None = None,
) -> Iterator[Parsed]:
    """Stream the records of a dataset file as ``Parsed`` items, invalid records included.

    The record schema is ``fmt`` or, when None, detected from the first valid record. Errors that
    make the whole file unreadable (missing file, unknown format) raise ``InputError``. The schema
    in use is appended to ``detected`` when given.
    """
    if fmt is not None and fmt not in RECORD_FORMATS:
        raise InputError(f"unknown format {fmt!r}; known: {', '.join(RECORD_FORMATS)}")
    spath = str(path)
    container = container_of(path)
    errors: list[InputError] = []
    rows: Iterator[tuple[int, Any]]
    if container == "parquet":
        rows = _parquet_rows(spath, errors.append)
    elif container == "jsonl":
        rows = _jsonl_rows(spath, errors.append, MAX_LINE_CHARS)
    else:
        rows = iter_rows(path, container, on_error=errors.append)
    index = 0
    for line, record in rows:
        while errors:
            err = errors.pop(0)
            yield Parsed(line=err.line or 0, raw=None, error=_reason(err))
        if fmt is None:
            fmt = detect_record_format(record, fields)
            if fmt is None:
                yield Parsed(line=line, raw=record, error="unknown record format")
                continue
            if detected is not None:
                detected.append(fmt)
        try:
            example = to_example(record, fmt, fields, index, line, max_chars)
        except ValueError as exc:
            yield Parsed(line=line, raw=record, error=str(exc))
            continue
        index += 1
        yield Parsed(line=line, raw=record, example=example)
    for err in errors:
        yield Parsed(line=err.line or 0, raw=None, error=_reason(err))


def _reason(err: InputError) -> str:
    text = str(err)
    prefix = f"{err.path}:{err.line}: " if err.path is not None else ""
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


class CleanWriter:
    """Writes kept records back in the input's container format (JSONL/CSV/TSV/Parquet, ``.gz``)."""

    def __init__(self, out: str | Path, source: str | Path) -> None:
        self.out = str(out)
        self.container = container_of(source)
        self.source = str(source)
        self.count = 0
        self._handle: IO[str] | None = None
        self._csv: csv.DictWriter[str] | None = None
        self._pq: Any = None
        self._pending: list[dict[str, Any]] = []
        if self.container == "parquet":
            import pyarrow.parquet as pq

            self._schema = pq.ParquetFile(self.source).schema_arrow
            self._pq = pq.ParquetWriter(self.out, self._schema)
        else:
            raw = cast(
                IO[bytes],
                gzip.open(self.out, "wb") if self.out.endswith(".gz") else open(self.out, "wb"),  # noqa: SIM115
            )
            self._handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")

    def write(self, raw: Any) -> None:
        """Write one record as it was read."""
        self.count += 1
        if self._pq is not None:
            self._pending.append(raw)
            if len(self._pending) >= 4096:
                self._flush_parquet()
            return
        assert self._handle is not None
        if self.container in ("csv", "tsv"):
            if self._csv is None:
                delimiter = "," if self.container == "csv" else "\t"
                self._csv = csv.DictWriter(self._handle, fieldnames=list(raw), delimiter=delimiter)
                self._csv.writeheader()
            self._csv.writerow(raw)
        else:
            self._handle.write(json.dumps(raw, ensure_ascii=False) + "\n")

    def _flush_parquet(self) -> None:
        import pyarrow as pa

        if self._pending:
            self._pq.write_table(pa.Table.from_pylist(self._pending, schema=self._schema))
            self._pending = []

    def close(self) -> None:
        """Flush and close the output file."""
        if self._pq is not None:
            self._flush_parquet()
            self._pq.close()
            self._pq = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None
