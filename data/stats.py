"""Corpus statistics as Markdown tables, for the data card (data/README.md).

    python -m data.stats                      # data/statements/{train,dev,test}.jsonl
    python -m data.stats --dir data/statements --topics
"""

import argparse
import re
from collections import Counter
from pathlib import Path

from data.schema import KIND, LABEL, LABELS, TEXT, TOPIC
from data.statements import SPLITS, load_statements

PHENOMENON = "phenomenon"  # optional annotation field: which hard case a statement exercises, or "plain"
LENGTH_BINS = ((1, 9), (10, 29), (30, 49), (50, 80), (81, 10_000))


def table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def share(count: int, total: int) -> str:
    """'123 (45.6%)'."""
    return f"{count} ({100 * count / total:.1f}%)" if total else "0"


def bin_name(low: int, high: int) -> str:
    """'10-29', or '81+' for the open last bin."""
    return f"{low}-{high}" if high < 10_000 else f"{low}+"


def describe(splits: dict[str, list[dict]], with_topics: bool = False) -> str:
    """Statistics per split, label, kind, length, phenomenon and (optionally) topic."""
    everything = [s for part in splits.values() for s in part]
    total = len(everything)
    sections = []
    rows = []
    for name, part in [*splits.items(), ("all", everything)]:
        labels = Counter(s[LABEL] for s in part)
        rows.append([name, len(part), len({s[TOPIC] for s in part}),
                     *[share(labels[label], len(part)) for label in LABELS]])
    sections.append(table(["split", "statements", "topics", *LABELS], rows))

    kinds = Counter(s.get(KIND) for s in everything)
    sections.append(table(["kind", "statements"], [[k, share(v, total)] for k, v in kinds.most_common()]))

    lengths = Counter()
    for statement in everything:
        words = len(re.findall(r"\S+", statement[TEXT]))
        lengths[next(bin_name(lo, hi) for lo, hi in LENGTH_BINS if lo <= words <= hi)] += 1
    sections.append(table(["words", "statements"],
                          [[bin_name(lo, hi), share(lengths[bin_name(lo, hi)], total)] for lo, hi in LENGTH_BINS]))

    phenomena = Counter(s.get(PHENOMENON) or "untagged" for s in everything)
    hard = sum(v for k, v in phenomena.items() if k not in ("plain", "untagged"))
    sections.append(table(["phenomenon", "statements"], [[k, share(v, total)] for k, v in phenomena.most_common()]))
    sections.append(f"Hard cases (any phenomenon but plain): {share(hard, total)}")

    if with_topics:
        by_topic = {}
        for name, part in splits.items():
            for statement in part:
                by_topic.setdefault(statement[TOPIC], [name, Counter()])[1][statement[LABEL]] += 1
        rows = [[topic, name, sum(c.values()), *[c[label] for label in LABELS]]
                for topic, (name, c) in sorted(by_topic.items(), key=lambda item: (item[1][0], item[0]))]
        sections.append(table(["topic", "split", "statements", *LABELS], rows))
    return "\n\n".join(sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the statistics of a corpus directory."""
    parser = argparse.ArgumentParser(prog="python -m data.stats", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default="data/statements")
    parser.add_argument("--topics", action="store_true", help="add a table per topic")
    args = parser.parse_args(argv)
    splits = {name: load_statements(Path(args.dir) / f"{name}.jsonl") for name in SPLITS}
    print(describe(splits, args.topics), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
