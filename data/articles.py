"""Article (or statement) inputs, read lazily, with every record accounted for.

    from data.articles import resolve_inputs, read_records
    files = resolve_inputs(["news/", "more.jsonl", "wire.csv", "-"])    # "-" is JSONL on stdin
    for record in read_records(files):                                  # InputRecord, in input order
        if record.error:
            print(record.file, record.line, record.error)               # rejected, with the reason
        else:
            print(record.fields["id"], len(record.fields["text"]))

Formats: JSONL (one object a line: id, text, optional title, date, source), CSV with the same
columns, Parquet with the same columns, and .txt files (one article each, id = file name).
A directory stands for the files in it with those suffixes, recursively, in sorted order.
Nothing here raises on a bad record: malformed JSON, a missing or non-string text, invalid
UTF-8, an empty file or a repeated id becomes a rejected InputRecord that names the file and
line; only a missing input or an unknown suffix is fatal (InputError).
"""

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from data.schema import ID, TEXT

STDIN = "-"
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".txt": "txt"}
EXCERPT_CHARS = 200
PARQUET_ROWS_PER_READ = 1024

# Articles can be far longer than csv's default cell limit of 128 KiB.
csv.field_size_limit(2**31 - 1)


class InputError(ValueError):
    """An input that cannot be read at all (missing path, unknown format): fatal."""


@dataclass(frozen=True)
class InputFile:
    """One file to read: its path ("-" for stdin), format, and the name used for .txt ids."""

    path: str
    kind: str
    name: str

    @property
    def source(self) -> str:
        """How error records and logs name the file."""
        return self.name if self.path == STDIN else self.path


@dataclass
class InputRecord:
    """One input record: its fields when valid, or the reason it was rejected."""

    file: str
    line: int | None  # 1-based line (JSONL, CSV: where the record starts), row (Parquet), None (whole file)
    fields: dict | None = None
    error: str | None = None
    record_id: str | None = None
    excerpt: str | None = field(default=None, repr=False)

    def to_error(self) -> dict:
        """The line written to the errors file for a rejected record."""
        return {"file": self.file, "line": self.line, ID: self.record_id, "error": self.error,
                "excerpt": self.excerpt}


def resolve_inputs(paths: Iterable[str | Path]) -> list[InputFile]:
    """Expand directories and check every path exists and has a known suffix; raise InputError if not."""
    files = []
    for raw in paths:
        raw = str(raw)
        if raw == STDIN:
            files.append(InputFile(STDIN, "jsonl", "<stdin>"))
            continue
        path = Path(raw)
        if path.is_dir():
            members = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not members:
                raise InputError(f"{raw}: directory has no {'/'.join(sorted(SUFFIXES))} files")
            files.extend(InputFile(str(p), SUFFIXES[p.suffix.lower()], p.relative_to(path).as_posix())
                         for p in members)
        elif path.is_file():
            kind = SUFFIXES.get(path.suffix.lower())
            if kind is None:
                raise InputError(f"{raw}: unknown input format; expected one of {sorted(SUFFIXES)} or '-'")
            files.append(InputFile(raw, kind, path.name))
        else:
            raise InputError(f"{raw}: no such file or directory")
    if not files:
        raise InputError("no input given: name files, directories or '-' for standard input")
    return files


def count_records(files: list[InputFile]) -> int | None:
    """How many records the files hold (blank lines aside), for a progress bar; None if unknowable."""
    total = 0
    for file in files:
        if file.path == STDIN:
            return None
        try:
            if file.kind == "jsonl":
                with open(file.path, "rb") as lines:
                    total += sum(1 for line in lines if line.strip())
            elif file.kind == "csv":
                with open(file.path, encoding="utf-8", errors="replace", newline="") as text:
                    total += max(sum(1 for _ in csv.reader(text)) - 1, 0)
            elif file.kind == "parquet":
                total += pq.ParquetFile(file.path).metadata.num_rows
            else:
                total += 1
        except Exception:  # noqa: BLE001 - a broken file is reported when it is read; the count is only an estimate
            total += 1
    return total


def read_records(files: list[InputFile], statements: bool = False) -> Iterator[InputRecord]:
    """Every record of every file in order, validated, with repeated ids rejected (the first wins)."""
    duplicates = DuplicateIds()
    for file in files:
        for record in read_file_records(file, statements):
            yield duplicates.check(record)


class DuplicateIds:
    """Rejects a record whose id was already seen; remembers where each id first appeared."""

    def __init__(self) -> None:
        # (file, line) pairs share each file's name string: a few dozen bytes per id, for any input size.
        self.first_seen: dict[str, tuple[str, int | None]] = {}

    def check(self, record: InputRecord) -> InputRecord:
        """The record itself, or a rejected copy when its id is a repeat."""
        if record.error:
            return record
        first = self.first_seen.get(record.record_id)
        if first is None:
            self.first_seen[record.record_id] = (record.file, record.line)
            return record
        where = first[0] if first[1] is None else f"{first[0]}:{first[1]}"
        return InputRecord(record.file, record.line, error=f"duplicate id {record.record_id!r} (first at {where})",
                           record_id=record.record_id)


def read_file_records(file: InputFile, statements: bool = False, stream=None) -> Iterator[InputRecord]:
    """One file's records, each checked on its own; ``stream`` (binary) replaces opening the path."""
    if stream is None and file.path == STDIN:
        stream = sys.stdin.buffer
    if stream is None:
        with open(file.path, "rb") as opened:
            yield from read_file_records(file, statements, opened)
        return
    parse = {"jsonl": parse_jsonl, "csv": parse_csv, "parquet": parse_parquet, "txt": parse_txt}[file.kind]
    empty = True
    for record in parse(stream, file):
        empty = False
        record.file = file.source
        if record.error is None:
            problem = check_statement(record.fields) if statements else check_article(record.fields)
            if problem:
                record.error = problem
                record.excerpt = excerpt(json.dumps(record.fields, ensure_ascii=False, default=str))
                record.fields = None
        yield record
    if empty:
        yield InputRecord(file.source, None, error="empty file: no records")


def check_statement(record: dict) -> str | None:
    """What is wrong with one statement record (--statements), or None; the training data's rules, no label."""
    # Imported here: data.statements pulls in `datasets`, which article runs (and Ray workers) never need.
    from data.statements import check_statement as check_labelled_statement
    return check_labelled_statement(record, require_label=False)


def check_article(record: dict) -> str | None:
    """What is wrong with one article record, or None when it is valid."""
    if ID not in record or record[ID] is None:
        return f"missing '{ID}'; expected fields ['{ID}', '{TEXT}'], found {sorted(record)}"
    if isinstance(record[ID], bool) or not isinstance(record[ID], (str, int)) or str(record[ID]) == "":
        return f"'{ID}' must be a non-empty string or an integer, found {record[ID]!r}"
    if TEXT not in record or record[TEXT] is None:
        return f"missing '{TEXT}'; expected fields ['{ID}', '{TEXT}'], found {sorted(record)}"
    if not isinstance(record[TEXT], str):
        return f"'{TEXT}' must be a string, found {type(record[TEXT]).__name__}"
    return None


def excerpt(text: str) -> str:
    """The start of a bad record, short enough for an error line."""
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def build_record(line: int | None, value: object) -> InputRecord:
    """A parsed value as a record, or rejected when it is not an object."""
    if not isinstance(value, dict):
        return InputRecord("", line, error=f"expected a JSON object, found {type(value).__name__}",
                           excerpt=excerpt(json.dumps(value, ensure_ascii=False, default=str)))
    record_id = value.get(ID)
    return InputRecord("", line, fields=value,
                       record_id=None if record_id is None or isinstance(record_id, (dict, list)) else str(record_id))


def parse_jsonl(stream, file: InputFile) -> Iterator[InputRecord]:
    """One record per non-blank line; bytes are decoded line by line so one bad line costs only itself."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield InputRecord("", number, error=f"invalid UTF-8 at byte {error.start} of the line",
                              excerpt=excerpt(raw.decode("utf-8", errors="replace").rstrip()))
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            yield InputRecord("", number, error=f"malformed JSON ({error.msg} at column {error.colno})",
                              excerpt=excerpt(line.rstrip()))
            continue
        yield build_record(number, value)


def parse_csv(stream, file: InputFile) -> Iterator[InputRecord]:
    """One record per row under a header; a cell with invalid UTF-8 rejects its row."""
    # surrogateescape keeps undecodable bytes as lone surrogates, so the reader goes on and the row is flagged.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None:
        return
    if ID not in header or TEXT not in header:
        yield InputRecord("", 1, error=f"expected columns ['{ID}', '{TEXT}'], found {header}")
        return
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if any(not is_valid_utf8(cell) for cell in row):
            yield InputRecord("", start, error="invalid UTF-8",
                              excerpt=excerpt(",".join(row).encode("utf-8", "surrogateescape").decode("utf-8", "replace")))
            continue
        if len(row) != len(header):
            yield InputRecord("", start, error=f"row has {len(row)} cells, the header has {len(header)}",
                              excerpt=excerpt(",".join(row)))
            continue
        yield build_record(start, dict(zip(header, row)))


def is_valid_utf8(cell: str) -> bool:
    """False when the cell holds bytes that were not UTF-8 (kept as lone surrogates)."""
    try:
        cell.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_parquet(stream, file: InputFile) -> Iterator[InputRecord]:
    """One record per row (line = row number); an unreadable file is one rejected record."""
    try:
        table = pq.ParquetFile(stream)
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a file that is not Parquet
        yield InputRecord("", None, error=f"not a readable Parquet file ({error})")
        return
    columns = table.schema_arrow.names
    if ID not in columns or TEXT not in columns:
        yield InputRecord("", None, error=f"expected columns ['{ID}', '{TEXT}'], found {columns}")
        return
    number = 0
    for batch in table.iter_batches(batch_size=PARQUET_ROWS_PER_READ):
        for row in batch.to_pylist():
            number += 1
            yield build_record(number, row)


def parse_txt(stream, file: InputFile) -> Iterator[InputRecord]:
    """The whole file is one article whose id is the file name."""
    data = stream.read()
    if not data.strip():
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        yield InputRecord("", line, error=f"invalid UTF-8 at byte {error.start}", record_id=file.name)
        return
    yield InputRecord("", None, fields={ID: file.name, TEXT: text}, record_id=file.name)
