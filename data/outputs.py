"""Prediction outputs: a JSONL spool committed chunk by chunk, so a killed run can resume, then the
final file put in place by one rename (JSONL, CSV or Parquet by suffix), the errors file and the summary.

    files = RunFiles(Path("out/preds.parquet"))
    log = RunLog.open(files, signature={...}, resume=False)
    log.commit(statement_records, error_records, records_read=256, tally=tally_chunk(ids, statement_records))
    log.close(); finalize(files)                      # out/preds.parquet, out/preds.errors.jsonl
    summary = build_summary(read_commits(files.progress), labels, model="default")

Files beside OUT while a run is going: OUT.partial (the statements, always JSONL), OUT.errors.jsonl.partial
(OUT's stem + .errors.jsonl.partial) and OUT.progress (a header line with the run's settings, then one
line per committed chunk: records read so far, byte lengths of both spools, the chunk's tally). Each
chunk is appended and fsynced before its progress line, so the progress file never claims more
than the spools hold; on resume the spools are cut back to the last committed lengths.

CSV: nested fields (scores, parts) are JSON text, null is an empty cell. Parquet: scores is a struct
of one float64 per label, parts a list<list<int64>>, start/end int64; any other field takes the type
of its values (string, int64, float64, bool), or JSON text when they are mixed or nested.
"""

import csv
import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from data.schema import ARTICLE_ID, END, LABEL, PARTS, SCORES, SPEAKER, START

FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}
UNKNOWN_SPEAKER = "(unknown)"
PARQUET_ROWS_PER_GROUP = 10_000


class OutputError(RuntimeError):
    """An output that cannot be written or resumed: fatal."""


def output_format(path: str | Path) -> str:
    """jsonl, csv or parquet from the output's suffix; anything else is JSONL."""
    return FORMATS.get(Path(path).suffix.lower(), "jsonl")


def dumps(record: dict) -> str:
    """One JSON line: UTF-8 kept readable, anything odd (dates) as its string."""
    return json.dumps(record, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class RunFiles:
    """The final output and the files beside it while the run is going."""

    output: Path

    @property
    def errors(self) -> Path:
        return self.output.with_name(f"{self.output.stem}.errors.jsonl")

    @property
    def spool(self) -> Path:
        return self.output.with_name(self.output.name + ".partial")

    @property
    def errors_spool(self) -> Path:
        return self.errors.with_name(self.errors.name + ".partial")

    @property
    def progress(self) -> Path:
        return self.output.with_name(self.output.name + ".progress")

    def interrupted(self) -> bool:
        """Whether an earlier run on this output stopped before it finished."""
        return self.progress.exists()


class RunLog:
    """The commit log of one run: both spools and the progress file, appended and fsynced per chunk."""

    def __init__(self, files: RunFiles, records_done: int, spool_bytes: int, errors_bytes: int) -> None:
        self.files = files
        self.records_done = records_done
        self.progress = open(files.progress, "r+b")  # noqa: SIM115 - open for the run's life; close()
        try:
            # Two runs appending to one output would interleave chunks; the second one stops here.
            fcntl.flock(self.progress, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.progress.close()
            raise OutputError(f"{files.output}: another run is writing this output") from None
        self.progress.seek(0, os.SEEK_END)
        self.spool = open_truncated(files.spool, spool_bytes)
        self.errors = open_truncated(files.errors_spool, errors_bytes)

    @classmethod
    def open(cls, files: RunFiles, signature: dict, resume: bool) -> "RunLog":
        """Start a fresh log, or continue the committed part of an interrupted one."""
        files.output.parent.mkdir(parents=True, exist_ok=True)
        if resume and files.progress.exists():
            header, last, valid_bytes = read_progress(files.progress)
            for path, committed in ((files.spool, last.get("spool_bytes", 0)), (files.errors_spool, last.get("errors_bytes", 0))):
                if (path.stat().st_size if path.exists() else 0) < committed:
                    raise OutputError(f"{path}: shorter than its committed length; start again with --overwrite")
            if header.get("signature") != signature:
                changed = sorted(k for k in signature | header.get("signature", {})
                                 if signature.get(k) != header.get("signature", {}).get(k))
                raise OutputError(f"{files.progress}: the interrupted run used other settings ({', '.join(changed)}); "
                                  "rerun with those settings, or start again with --overwrite")
            with open(files.progress, "r+b") as progress:
                progress.truncate(valid_bytes)  # a line cut short by the kill is dropped
            return cls(files, last.get("records", 0), last.get("spool_bytes", 0), last.get("errors_bytes", 0))
        with open(files.progress, "wb") as progress:
            progress.write((dumps({"signature": signature}) + "\n").encode())
            fsync(progress)
        return cls(files, 0, 0, 0)

    def commit(self, statements: list[dict], errors: list[dict], records_read: int, tally: dict) -> None:
        """Append one chunk durably: spools first, then the progress line that makes it count."""
        self.spool.write("".join(dumps(r) + "\n" for r in statements).encode())
        self.errors.write("".join(dumps(e) + "\n" for e in errors).encode())
        fsync(self.spool)
        fsync(self.errors)
        self.records_done = records_read
        line = {"records": records_read, "spool_bytes": self.spool.tell(), "errors_bytes": self.errors.tell(),
                "tally": tally}
        self.progress.write((dumps(line) + "\n").encode())
        fsync(self.progress)

    def close(self) -> None:
        """Close the files (the lock goes with the progress file)."""
        for handle in (self.spool, self.errors, self.progress):
            handle.close()


def open_truncated(path: Path, length: int):
    """Open for appending after cutting the file back to ``length`` bytes (created if missing)."""
    handle = open(path, "ab")  # noqa: SIM115 - the caller keeps it open
    handle.truncate(length)
    handle.seek(length)
    return handle


def fsync(handle) -> None:
    """Flush Python's buffer and the OS cache to disk."""
    handle.flush()
    os.fsync(handle.fileno())


def read_progress(path: Path) -> tuple[dict, dict, int]:
    """The header, the last complete commit ({} if none) and the byte length of the valid lines."""
    header, last, valid_bytes = {}, {}, 0
    with open(path, "rb") as lines:
        for number, line in enumerate(lines):
            if not line.endswith(b"\n"):
                break
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                break
            header, last = (entry, last) if number == 0 else (header, entry)
            valid_bytes += len(line)
    if not header:
        raise OutputError(f"{path}: not a progress file of this tool; start again with --overwrite")
    return header, last, valid_bytes


def read_commits(path: Path) -> Iterator[dict]:
    """The tallies of the committed chunks, in order."""
    with open(path, "rb") as lines:
        next(lines, None)
        for line in lines:
            yield json.loads(line)["tally"]


def finalize(files: RunFiles) -> None:
    """Put the output and the errors file in place under their final names, each by one rename."""
    fmt = output_format(files.output)
    if fmt == "jsonl":
        os.replace(files.spool, files.output)
    else:
        with tempfile.NamedTemporaryFile(dir=files.output.parent, prefix=f".{files.output.name}.",
                                         suffix=".tmp", delete=False) as staging:
            staged = Path(staging.name)
        try:
            (write_csv if fmt == "csv" else write_parquet)(files.spool, staged)
            os.replace(staged, files.output)
        finally:
            staged.unlink(missing_ok=True)
        files.spool.unlink()
    if files.errors_spool.stat().st_size:
        os.replace(files.errors_spool, files.errors)
    else:
        # No rejected record: an errors file left by an earlier run on this output would mislead.
        files.errors_spool.unlink()
        files.errors.unlink(missing_ok=True)
    files.progress.unlink()
    fsync_directory(files.output.parent)


def fsync_directory(path: Path) -> None:
    """Make renames inside a directory durable."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def iter_jsonl(path: Path) -> Iterator[dict]:
    """The objects of a JSONL file, one at a time."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def collect_columns(path: Path) -> dict[str, set[str]]:
    """Every field name in first-seen order, with the kinds of value it holds (one streaming pass)."""
    columns: dict[str, set[str]] = {}
    for record in iter_jsonl(path):
        for name, value in record.items():
            columns.setdefault(name, set()).add(value_kind(value))
    return columns


def value_kind(value: object) -> str:
    """The Parquet-relevant kind of a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, str)):
        return {int: "int", float: "float", str: "str"}[type(value)]
    return "json"


def write_csv(spool: Path, out: Path) -> None:
    """The spool as CSV: one column per field, nested values as JSON text, null as an empty cell."""
    names = list(collect_columns(spool))
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for record in iter_jsonl(spool):
            writer.writerow([csv_cell(record.get(name)) for name in names])


def csv_cell(value: object) -> str:
    """One CSV cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def build_parquet_schema(columns: dict[str, set[str]], labels: list[str]) -> pa.Schema:
    """Typed columns: scores a struct, parts a list of pairs, the rest by the kinds of their values."""
    fields = []
    for name, kinds in columns.items():
        kinds = kinds - {"null"}
        if name == SCORES and kinds <= {"json"}:
            kind = pa.struct([(label, pa.float64()) for label in labels])
        elif name == PARTS and kinds <= {"json"}:
            kind = pa.list_(pa.list_(pa.int64()))
        elif name in (START, END) and kinds <= {"int"}:
            kind = pa.int64()
        elif kinds <= {"str"}:
            kind = pa.string()
        elif kinds <= {"bool"} and kinds:
            kind = pa.bool_()
        elif kinds <= {"int"} and kinds:
            kind = pa.int64()
        elif kinds <= {"int", "float"} and kinds:
            kind = pa.float64()
        else:
            kind = pa.string()  # JSON text
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def write_parquet(spool: Path, out: Path) -> None:
    """The spool as Parquet with typed columns, written in row groups so memory stays flat."""
    columns = collect_columns(spool)
    labels = next((list(r[SCORES]) for r in iter_jsonl(spool) if isinstance(r.get(SCORES), dict)), [])
    schema = build_parquet_schema(columns, labels)
    json_columns = {f.name for f in schema if f.type == pa.string() and columns[f.name] - {"null", "str"}}
    with pq.ParquetWriter(out, schema) as writer:
        for rows in batched(iter_jsonl(spool), PARQUET_ROWS_PER_GROUP):
            data = {name: [row.get(name) for row in rows] for name in schema.names}
            for name in json_columns:
                data[name] = [None if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                              for v in data[name]]
            writer.write_table(pa.Table.from_pydict(data, schema=schema))


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Lists of up to ``size`` items."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def tally_chunk(article_ids: list[str] | None, statements: list[dict], rejected: int = 0) -> dict:
    """A chunk's contribution to the summary: labels per article (None: statement input), per speaker, rejected."""
    per_article = {article_id: {} for article_id in article_ids or []}
    speakers: dict[str, dict[str, int]] = {}
    for statement in statements:
        label = statement[LABEL]
        if article_ids is not None:
            counts = per_article.setdefault(str(statement[ARTICLE_ID]), {})
            counts[label] = counts.get(label, 0) + 1
        counts = speakers.setdefault(statement.get(SPEAKER) or UNKNOWN_SPEAKER, {})
        counts[label] = counts.get(label, 0) + 1
    return {"articles": [[article_id, counts] for article_id, counts in per_article.items()],
            "speakers": speakers, "rejected": rejected}


def build_summary(tallies: Iterable[dict], labels: list[str], model: str, articles: bool = True) -> dict:
    """Per article, per speaker and overall label counts and shares (zero-statement articles included)."""
    per_article, speakers, rejected = [], {}, 0
    for tally in tallies:
        rejected += tally["rejected"]
        per_article.extend(tally["articles"])
        for speaker, counts in tally["speakers"].items():
            merged = speakers.setdefault(speaker, {})
            for label, count in counts.items():
                merged[label] = merged.get(label, 0) + count
    overall: dict[str, int] = {}
    for counts in speakers.values():
        for label, count in counts.items():
            overall[label] = overall.get(label, 0) + count
    summary = {"model": model, "records_rejected": rejected, "overall": describe_counts(overall, labels)}
    if articles:
        summary["articles"] = len(per_article)
        summary["articles_with_statements"] = sum(1 for _, counts in per_article if counts)
    ranked = sorted(speakers.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    summary["per_speaker"] = [{"speaker": speaker, **describe_counts(counts, labels)} for speaker, counts in ranked]
    if articles:
        summary["per_article"] = [{"id": article_id, "statements": sum(counts.values()),
                                   "labels": {label: counts.get(label, 0) for label in labels} | counts}
                                  for article_id, counts in per_article]
    return summary


def describe_counts(counts: dict[str, int], labels: list[str]) -> dict:
    """{'statements': n, 'labels': {label: count}, 'shares': {label: share}} with every label present."""
    total = sum(counts.values())
    full = {label: counts.get(label, 0) for label in labels} | counts
    return {"statements": total, "labels": full,
            "shares": {label: round(count / total, 4) if total else 0.0 for label, count in full.items()}}


def format_summary_table(summary: dict, top_speakers: int = 5) -> str:
    """A short plain-text table of the summary for the end of a run."""
    labels = list(summary["overall"]["labels"])
    lines = [f"{'stance':<14}{'statements':>11}{'share':>8}"]
    for label in labels:
        lines.append(f"{label:<14}{summary['overall']['labels'][label]:>11}{summary['overall']['shares'][label]:>8.1%}")
    lines.append(f"{'total':<14}{summary['overall']['statements']:>11}")
    if "articles" in summary:
        lines.append(f"articles: {summary['articles']} ({summary['articles_with_statements']} with statements); "
                     f"rejected records: {summary['records_rejected']}")
    if summary["per_speaker"]:
        lines.append("")
        lines.append(f"{'speaker':<40}{'n':>5}  " + "  ".join(f"{label[:11]:>11}" for label in labels))
        for row in summary["per_speaker"][:top_speakers]:
            shares = "  ".join(f"{row['shares'][label]:>11.0%}" for label in labels)
            lines.append(f"{row['speaker'][:39]:<40}{row['statements']:>5}  {shares}")
    return "\n".join(lines)


def write_json_atomic(path: str | Path, content: object) -> None:
    """Pretty JSON written to a temporary sibling, then renamed over ``path``."""
    # json.dump encodes piece by piece: a summary of 200,000 articles never becomes one huge string.
    write_atomic(Path(path), lambda handle: (json.dump(content, handle, indent=2, ensure_ascii=False),
                                             handle.write("\n")))


def write_jsonl_atomic(path: str | Path, records: Iterable[dict]) -> None:
    """JSON lines written to a temporary sibling, then renamed over ``path``."""
    write_atomic(Path(path), lambda handle: handle.writelines(dumps(record) + "\n" for record in records))


def write_atomic(path: Path, write) -> None:
    """Call ``write(handle)`` on a temporary sibling, fsync, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                     suffix=".tmp", delete=False) as staging:
        write(staging)
        fsync(staging)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging.name, 0o666 & ~umask)  # a temporary file is private; the result is an ordinary file
    os.replace(staging.name, path)
