"""Build data/statements/{train,dev,test}.jsonl from the written parts, split by topic.

    python -m data.split                       # parts in data/statements/parts/, plan in data/statements/splits.toml
    python -m data.split --parts DIR --out DIR --plan FILE

A topic (one dispute or region) lands in exactly one split, so the test split holds disputes
the model never saw. Topics are ordered by a seeded hash and each goes to the split furthest
below its target share (70/15/15 by statement count).

The plan (splits.toml) lists the part files in batches, in the order they were added. Each
batch's new topics are assigned with every earlier topic kept where it is, so adding data never
moves a dispute a model was trained on into dev or test, and earlier scores stay comparable.
Add new part files as a new batch at the end. Without a plan file, all parts are one batch.
The result depends only on the parts and the plan.
"""

import argparse
import hashlib
import json
import sys
import tomllib
from pathlib import Path

from data.schema import TOPIC
from data.statements import SPLITS, DataError, load_statements

TARGET_SHARES = {"train": 0.70, "dev": 0.15, "test": 0.15}
DEFAULT_SEED = 13


def assign_topics(counts: dict[str, int], seed: int = DEFAULT_SEED, shares: dict[str, float] = TARGET_SHARES,
                  kept: dict[str, str] | None = None) -> dict[str, str]:
    """Map each topic to a split, filling each split towards its share of statements.

    Topics in kept keep their split (and count towards its share); the others are assigned."""
    assignment = {topic: name for topic, name in (kept or {}).items() if topic in counts}
    total = sum(counts.values())
    filled = {name: 0 for name in shares}
    for topic, name in assignment.items():
        filled[name] += counts[topic]
    new_topics = [topic for topic in counts if topic not in assignment]
    for topic in sorted(new_topics, key=lambda t: hashlib.sha256(f"{seed}:{t}".encode()).hexdigest()):
        # The split with the largest remaining deficit (as a share of the whole) takes the topic.
        name = max(shares, key=lambda n: shares[n] - filled[n] / total)
        assignment[topic] = name
        filled[name] += counts[topic]
    return assignment


def split_statements(statements: list[dict], seed: int = DEFAULT_SEED,
                     kept: dict[str, str] | None = None) -> dict[str, list[dict]]:
    """The statements of each split, topics disjoint, input order kept within a split."""
    counts: dict[str, int] = {}
    for statement in statements:
        if not statement.get(TOPIC):
            raise DataError(f"statement {statement['id']!r} has no topic; splits are made by topic")
        counts[statement[TOPIC]] = counts.get(statement[TOPIC], 0) + 1
    assignment = assign_topics(counts, seed, kept=kept)
    return {name: [s for s in statements if assignment[s[TOPIC]] == name] for name in SPLITS}


def split_in_batches(batches: list[list[dict]], seed: int = DEFAULT_SEED) -> dict[str, list[dict]]:
    """Split batch after batch, each with the earlier batches' topics kept where they are."""
    statements: list[dict] = []
    kept: dict[str, str] = {}
    splits: dict[str, list[dict]] = {name: [] for name in SPLITS}
    for batch in batches:
        statements += batch
        splits = split_statements(statements, seed, kept)
        kept = {s[TOPIC]: name for name, part in splits.items() for s in part}
    return splits


def load_plan(plan_path: Path, parts_dir: Path) -> tuple[int, list[list[Path]]]:
    """The seed and the part files batch by batch; every part file must be in exactly one batch."""
    files = sorted(parts_dir.glob("*.jsonl"))
    if not files:
        raise DataError(f"{parts_dir}: no *.jsonl part files")
    if not plan_path.exists():
        return DEFAULT_SEED, [files]
    try:
        plan = tomllib.loads(plan_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{plan_path}: {error}") from None
    batches = plan.get("batches")
    if not isinstance(batches, list) or not all(isinstance(b, list) and b for b in batches):
        raise DataError(f"{plan_path}: 'batches' must be a list of non-empty lists of part names")
    by_name = {path.stem: path for path in files}
    listed = [name for batch in batches for name in batch]
    for name in listed:
        if name not in by_name:
            raise DataError(f"{plan_path}: part {name!r} has no file {parts_dir / (name + '.jsonl')}")
    twice = sorted({name for name in listed if listed.count(name) > 1})
    if twice:
        raise DataError(f"{plan_path}: parts {twice} are listed more than once")
    unlisted = sorted(set(by_name) - set(listed))
    if unlisted:
        raise DataError(f"{plan_path}: part files {unlisted} are in no batch; add them as a new batch "
                        "at the end (earlier topics keep their split)")
    return int(plan.get("seed", DEFAULT_SEED)), [[by_name[name] for name in batch] for batch in batches]


def load_parts(paths: list[Path], seen: dict[str, Path] | None = None) -> list[dict]:
    """Every statement in the given part files, in order; ids must be unique across all files."""
    seen = {} if seen is None else seen
    statements = []
    for path in paths:
        for statement in load_statements(path):
            if statement["id"] in seen:
                raise DataError(f"{path}: id {statement['id']!r} also in {seen[statement['id']]}")
            seen[statement["id"]] = path
            statements.append(statement)
    return statements


def build_splits(parts_dir: Path, plan_path: Path) -> dict[str, list[dict]]:
    """The three splits the plan makes of the part files."""
    seed, batches = load_plan(plan_path, parts_dir)
    seen: dict[str, Path] = {}
    return split_in_batches([load_parts(batch, seen) for batch in batches], seed)


def main(argv: list[str] | None = None) -> int:
    """Write the three split files; print their sizes."""
    parser = argparse.ArgumentParser(prog="python -m data.split", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="data/statements/parts", help="folder of part files (*.jsonl)")
    parser.add_argument("--out", default="data/statements", help="folder for train/dev/test.jsonl")
    parser.add_argument("--plan", help="the batches of part files (default: splits.toml beside --parts)")
    args = parser.parse_args(argv)
    parts = Path(args.parts)
    plan = Path(args.plan) if args.plan else parts.parent / "splits.toml"
    try:
        splits = build_splits(parts, plan)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, statements in splits.items():
        lines = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in statements)
        temporary = out / f".{name}.jsonl.tmp"
        temporary.write_text(lines, encoding="utf-8")
        temporary.replace(out / f"{name}.jsonl")
        topics = sorted({s[TOPIC] for s in statements})
        print(f"{name}: {len(statements)} statements, {len(topics)} topics")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
