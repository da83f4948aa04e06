"""Reading records from the files people have: CSV, TSV, JSONL, JSON arrays, plain text; ``.gz`` too.

Every error names the file and the line; undecodable bytes and malformed rows raise ``InputError``
unless the caller asks to skip them (``on_error``).
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from gardefou.errors import InputError

FORMATS = ("csv", "tsv", "jsonl", "json", "txt")
MAX_LINE_CHARS = 10 * 1024 * 1024
"""Lines/fields longer than this are refused (a 10 MiB prompt is never a real prompt)."""

ErrorHandler = Callable[[InputError], None]


def detect_format(path: str | Path) -> str:
    """The format from the file name (``.gz`` stripped): csv, tsv, jsonl, json or txt."""
    name = str(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for ext, fmt in ((".csv", "csv"), (".tsv", "tsv"), (".jsonl", "jsonl"), (".ndjson", "jsonl")):
        if name.endswith(ext):
            return fmt
    if name.endswith(".json"):
        return "json"
    return "txt"


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a (possibly gzipped) file for reading bytes, or stdin for ``-``."""
    if str(path) == "-":
        return sys.stdin.buffer
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=str(p))
    if p.is_dir():
        raise InputError("is a directory, not a file", path=str(p))
    if p.name.endswith(".gz"):
        return gzip.open(p, "rb")  # type: ignore[return-value]
    return open(p, "rb")


def _lines(
    handle: IO[bytes], path: str, on_error: ErrorHandler | None = None
) -> Iterator[tuple[int, str]]:
    """Decode line by line, so that a bad byte is reported on its own line number.

    A line that is not UTF-8 or longer than ``MAX_LINE_CHARS`` raises, or with ``on_error`` is
    reported there and skipped (a too-long line is drained without being held in memory).
    """
    limit = MAX_LINE_CHARS * 4
    n = 0
    while True:
        n += 1
        try:
            raw = handle.readline(limit + 1)
        except (OSError, EOFError) as exc:
            raise InputError(f"cannot read file: {exc}", path=path, line=n) from None
        if not raw:
            return
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        err: InputError | None = None
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(limit)
            err = InputError(f"line longer than {MAX_LINE_CHARS} characters", path=path, line=n)
        else:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                err = InputError("invalid UTF-8 bytes", path=path, line=n)
        if err is not None:
            if on_error is None:
                raise err
            on_error(err)
            continue
        yield n, line


def _iter_jsonl(
    handle: IO[bytes], path: str, on_error: ErrorHandler | None
) -> Iterator[tuple[int, Any]]:
    for n, line in _lines(handle, path, on_error):
        if not line.strip():
            continue
        try:
            if len(line) > MAX_LINE_CHARS:
                raise InputError(f"line longer than {MAX_LINE_CHARS} characters", path=path, line=n)
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg})", path=path, line=n) from None
        except InputError as err:
            if on_error is None:
                raise
            on_error(err)


def _iter_csv(
    handle: IO[bytes], path: str, delimiter: str, on_error: ErrorHandler | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    csv.field_size_limit(MAX_LINE_CHARS)
    line_iter = (line for _, line in _lines(handle, path, on_error))
    reader = csv.reader(line_iter, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"malformed CSV header: {exc}", path=path, line=1) from None
    header = [h.strip() for h in header]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            err = InputError(f"malformed CSV row: {exc}", path=path, line=reader.line_num)
            if on_error is None:
                raise err from None
            on_error(err)
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) > len(header):
            err = InputError(
                f"row has {len(row)} fields, header has {len(header)}",
                path=path,
                line=reader.line_num,
            )
            if on_error is None:
                raise err
            on_error(err)
            continue
        yield reader.line_num, dict(zip(header, row, strict=False))


def iter_rows(
    path: str | Path, fmt: str | None = None, on_error: ErrorHandler | None = None
) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, record)`` from a file, streaming (never loads the whole file).

    CSV/TSV rows are dicts keyed by the header; JSONL rows are whatever each line holds; TXT rows
    are ``{"text": line}``. Bad rows raise ``InputError`` unless ``on_error`` is given, which then
    receives each error and the row is skipped.
    """
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}", path=str(path))
    spath = str(path)
    with open_binary(path) as handle:
        if fmt == "jsonl":
            yield from _iter_jsonl(handle, spath, on_error)
        elif fmt in ("csv", "tsv"):
            yield from _iter_csv(handle, spath, "," if fmt == "csv" else "\t", on_error)
        elif fmt == "json":
            try:
                data = json.loads("".join(line for _, line in _lines(handle, spath)))
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON ({exc.msg})", path=spath, line=exc.lineno
                ) from None
            if not isinstance(data, list):
                raise InputError("a .json file must hold a list of records", path=spath)
            yield from enumerate(data, start=1)
        else:
            for n, line in _lines(handle, spath, on_error):
                text = line.rstrip("\r\n")
                if text.strip():
                    yield n, {"text": text}


def field_text(record: Any, field: str, *, path: str, line: int) -> str:
    """The string in ``record[field]``; InputError naming the field otherwise."""
    if not isinstance(record, dict):
        raise InputError(f"expected an object, got {type(record).__name__}", path=path, line=line)
    if field not in record:
        keys = ", ".join(sorted(map(str, record))[:10])
        raise InputError(f"no field {field!r} (fields: {keys})", path=path, line=line)
    value = record[field]
    if not isinstance(value, str):
        raise InputError(
            f"field {field!r} must be a string, got {type(value).__name__}", path=path, line=line
        )
    return value


def read_records(
    path: str | Path,
    text_field: str | None = None,
    *,
    fmt: str | None = None,
    on_error: ErrorHandler | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line, record)`` dicts; with ``text_field``, check each has a string there.

    For TXT files the text is under ``"text"`` whatever ``text_field`` says.
    """
    fmt = fmt or detect_format(path)
    for line, record in iter_rows(path, fmt, on_error):
        try:
            if not isinstance(record, dict):
                raise InputError(
                    f"expected an object, got {type(record).__name__}", path=str(path), line=line
                )
            if text_field is not None:
                key = "text" if fmt == "txt" else text_field
                record = {**record, text_field: field_text(record, key, path=str(path), line=line)}
        except InputError as err:
            if on_error is None:
                raise
            on_error(err)
            continue
        yield line, record
