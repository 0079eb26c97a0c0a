"""Build data/statements/{train,dev,test}.jsonl from the written parts, split by topic.

    python -m data.split                       # parts in data/statements/parts/*.jsonl
    python -m data.split --parts DIR --out DIR --seed 13

A topic (one dispute or region) lands in exactly one split, so the test split holds disputes
the model never saw. Topics are ordered by a seeded hash and each goes to the split furthest
below its target share (70/15/15 by statement count): deterministic for a given seed and data.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

from data.schema import TOPIC
from data.statements import SPLITS, DataError, load_statements

TARGET_SHARES = {"train": 0.70, "dev": 0.15, "test": 0.15}


def assign_topics(counts: dict[str, int], seed: int = 13, shares: dict[str, float] = TARGET_SHARES) -> dict[str, str]:
    """Map each topic to a split, filling each split towards its share of statements."""
    order = sorted(counts, key=lambda topic: hashlib.sha256(f"{seed}:{topic}".encode()).hexdigest())
    total = sum(counts.values())
    filled = {name: 0 for name in shares}
    assignment = {}
    for topic in order:
        # The split with the largest remaining deficit (as a share of the whole) takes the topic.
        name = max(shares, key=lambda n: shares[n] - filled[n] / total)
        assignment[topic] = name
        filled[name] += counts[topic]
    return assignment


def split_statements(statements: list[dict], seed: int = 13) -> dict[str, list[dict]]:
    """The statements of each split, topics disjoint, input order kept within a split."""
    counts: dict[str, int] = {}
    for statement in statements:
        if not statement.get(TOPIC):
            raise DataError(f"statement {statement['id']!r} has no topic; splits are made by topic")
        counts[statement[TOPIC]] = counts.get(statement[TOPIC], 0) + 1
    assignment = assign_topics(counts, seed)
    return {name: [s for s in statements if assignment[s[TOPIC]] == name] for name in SPLITS}


def load_parts(parts_dir: Path) -> list[dict]:
    """Every statement in the part files, in file-name order; ids must be unique across files."""
    statements, seen = [], {}
    for path in sorted(parts_dir.glob("*.jsonl")):
        for statement in load_statements(path):
            if statement["id"] in seen:
                raise DataError(f"{path}: id {statement['id']!r} also in {seen[statement['id']]}")
            seen[statement["id"]] = path
            statements.append(statement)
    if not statements:
        raise DataError(f"{parts_dir}: no *.jsonl part files")
    return statements


def main(argv: list[str] | None = None) -> int:
    """Write the three split files; print their sizes."""
    parser = argparse.ArgumentParser(prog="python -m data.split", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="data/statements/parts", help="folder of part files (*.jsonl)")
    parser.add_argument("--out", default="data/statements", help="folder for train/dev/test.jsonl")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    try:
        splits = split_statements(load_parts(Path(args.parts)), args.seed)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, statements in splits.items():
        lines = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in statements)
        (out / f"{name}.jsonl").write_text(lines, encoding="utf-8")
        topics = sorted({s[TOPIC] for s in statements})
        print(f"{name}: {len(statements)} statements, {len(topics)} topics")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
