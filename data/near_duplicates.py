"""Find near-duplicate statements: word 3-gram Jaccard similarity above a threshold (0.6).

    python -m data.near_duplicates data/statements/*.jsonl          # exit 1 when any pair is too close
    python -m data.near_duplicates data/statements/parts/*.jsonl --threshold 0.5

Real reporting rarely repeats itself word for word; a corpus that does teaches templates, and a
near-copy across splits leaks the test set into training. Pairs are found through an inverted
index of 3-grams, so only statements that share a 3-gram are compared.
"""

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

from data.schema import ID, TEXT
from data.statements import DataError, load_statements

THRESHOLD = 0.6


def word_ngrams(text: str, n: int = 3) -> frozenset:
    """Lower-cased word n-grams; a text shorter than n words is one gram of all its words."""
    words = re.findall(r"\w+", text.lower())
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    """|a ∩ b| / |a ∪ b| (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def find_near_duplicates(statements: list[dict], threshold: float = THRESHOLD) -> list[tuple[str, str, float]]:
    """Pairs of statement ids whose texts' 3-gram Jaccard similarity exceeds ``threshold``, most similar first."""
    grams = [word_ngrams(s[TEXT]) for s in statements]
    index: dict[tuple, list[int]] = defaultdict(list)
    for i, statement_grams in enumerate(grams):
        for gram in statement_grams:
            index[gram].append(i)
    candidates = set()
    for members in index.values():
        for position, i in enumerate(members):
            for j in members[position + 1 :]:
                candidates.add((i, j))
    pairs = []
    for i, j in candidates:
        similarity = jaccard(grams[i], grams[j])
        if similarity > threshold:
            pairs.append((statements[i][ID], statements[j][ID], similarity))
    return sorted(pairs, key=lambda pair: -pair[2])


def main(argv: list[str] | None = None) -> int:
    """Report near-duplicate pairs across all given files; exit 1 when there are any."""
    parser = argparse.ArgumentParser(prog="python -m data.near_duplicates", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="statement JSONL files, checked together")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args(argv)
    try:
        statements = [s for path in args.files for s in load_statements(Path(path))]
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    pairs = find_near_duplicates(statements, args.threshold)
    texts = {s[ID]: s[TEXT] for s in statements}
    for first, second, similarity in pairs:
        print(f"{similarity:.2f}  {first}: {texts[first]!r}\n      {second}: {texts[second]!r}")
    print(f"{len(pairs)} pair(s) above {args.threshold} among {len(statements)} statements")
    return 1 if pairs else 0


if __name__ == "__main__":
    raise SystemExit(main())
