"""Labelled statements: reading and checking JSONL, the splits as a DatasetDict, the data hash.

    from data.statements import load_statements, load_splits
    train = load_statements("data/statements/train.jsonl")
    splits = load_splits("data/statements")   # DatasetDict with train / dev / test
"""

import hashlib
import json
from pathlib import Path

from datasets import Dataset, DatasetDict

from data.schema import CONTEXT, ID, KIND, KINDS, LABEL, LABELS, OPTIONAL_FIELDS, REQUIRED_FIELDS, SPEAKER, TEXT, TOPIC

SPLITS = ("train", "dev", "test")


class DataError(ValueError):
    """Bad input data; the message names the file and line."""


def check_statement(record: object, require_label: bool = True) -> str | None:
    """Return what is wrong with one statement record, or None when it is valid."""
    if not isinstance(record, dict):
        return f"expected a JSON object, found {type(record).__name__}"
    required = REQUIRED_FIELDS if require_label else tuple(f for f in REQUIRED_FIELDS if f != LABEL)
    missing = [f for f in required if f not in record]
    if missing:
        return f"expected fields {sorted(required)}, found {sorted(record)}"
    if not isinstance(record[TEXT], str) or not record[TEXT].strip():
        return f"'{TEXT}' must be a non-empty string"
    if not isinstance(record[ID], (str, int)) or isinstance(record[ID], bool):
        return f"'{ID}' must be a string or an integer, found {record[ID]!r}"
    if LABEL in record and require_label and record[LABEL] not in LABELS:
        return f"unknown label {record[LABEL]!r}; expected one of {LABELS}"
    if KIND in record and record[KIND] is not None and record[KIND] not in KINDS:
        return f"unknown kind {record[KIND]!r}; expected one of {list(KINDS)}"
    for field in OPTIONAL_FIELDS:
        if record.get(field) is not None and not isinstance(record[field], str):
            return f"'{field}' must be a string or null, found {type(record[field]).__name__}"
    return None


def load_statements(path: str | Path, require_label: bool = True) -> list[dict]:
    """Read a statement JSONL file; raise DataError naming the file and line of the first bad record."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    statements, seen = [], {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}:{number}: malformed JSON ({error.msg})") from None
            problem = check_statement(record, require_label)
            if problem:
                raise DataError(f"{path}:{number}: {problem}")
            if record[ID] in seen:
                raise DataError(f"{path}:{number}: duplicate id {record[ID]!r} (first at line {seen[record[ID]]})")
            seen[record[ID]] = number
            statements.append(record)
    if not statements:
        raise DataError(f"{path}: no statements")
    return statements


def to_dataset(statements: list[dict]) -> Dataset:
    """A datasets.Dataset with the schema's columns (missing optional fields become None)."""
    columns = (ID, TEXT, LABEL, SPEAKER, CONTEXT, KIND, TOPIC)
    return Dataset.from_dict({c: [None if s.get(c) is None else str(s[c]) for s in statements] for c in columns})


def load_splits(data_dir: str | Path) -> DatasetDict:
    """The train/dev/test splits of a directory as a DatasetDict."""
    data_dir = Path(data_dir)
    return DatasetDict({name: to_dataset(load_statements(data_dir / f"{name}.jsonl")) for name in SPLITS})


def compute_data_hash(paths: list[str | Path]) -> str:
    """SHA-256 over the bytes of the given files, in order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()
