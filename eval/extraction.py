"""Score the statement extractor against gold articles.

    python -m eval.extraction --gold data/gold/articles.jsonl
    python -m eval.extraction --gold data/gold/articles.jsonl --out reports/extraction

Each gold line is an article: {"id": ..., "text": ..., "statements": [{"start", "end",
"kind", "speaker", ...}, ...]}. The extractor runs on every article's text; the report
gives precision, recall and F1 for direct, indirect and all statements under exact spans
(same start and end) and overlapping spans (at least half of the shorter span shared,
matched one to one, biggest overlap first), the speaker accuracy over overlap matches,
the matches themselves (for end-to-end label checks) and each article's errors.
With --out it writes metrics.json and errors.jsonl there.
"""

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path

from data.schema import END, ID, KIND, SPEAKER, START, TEXT

logger = logging.getLogger(__name__)

STATEMENTS = "statements"
BUCKETS = ("direct", "indirect", "all")
# Spans match under `overlap` when they share at least this share of the shorter one.
MIN_OVERLAP = 0.5
_TITLES = {
    "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "president", "vice",
    "prime", "minister", "foreign", "defence", "defense", "deputy", "secretary", "general",
    "gen", "admiral", "colonel", "ambassador", "envoy", "senator", "chancellor", "king",
    "queen", "prince", "sheikh", "spokesman", "spokeswoman", "spokesperson", "chief",
    "commander", "governor", "mayor", "chairman", "chairwoman", "senior", "special",
}
_ARTICLES = {"the", "a", "an"}


class GoldError(ValueError):
    """A malformed gold file; the message names the file and line."""


def load_gold(path: str | Path) -> list[dict]:
    """Read and check gold articles: every statement span inside its article's text."""
    articles = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                article = json.loads(line)
            except json.JSONDecodeError as error:
                raise GoldError(f"{where}: not valid JSON ({error.msg})") from None
            _check_article(article, where)
            articles.append(article)
    if not articles:
        raise GoldError(f"{path}: no articles")
    return articles


def _check_article(article: object, where: str) -> None:
    if not isinstance(article, dict):
        raise GoldError(f"{where}: expected a JSON object, found {type(article).__name__}")
    missing = [key for key in (TEXT, STATEMENTS) if key not in article]
    if missing:
        raise GoldError(f"{where}: expected fields {sorted([TEXT, STATEMENTS])}, "
                        f"missing {missing}; found {sorted(article)}")
    text, statements = article[TEXT], article[STATEMENTS]
    if not isinstance(text, str) or not isinstance(statements, list):
        raise GoldError(f"{where}: `text` must be a string and `statements` a list")
    for index, statement in enumerate(statements):
        label = f"{where}: statement {index}"
        if not isinstance(statement, dict) or START not in statement or END not in statement:
            raise GoldError(f"{label}: expected an object with `start` and `end`")
        start, end = statement[START], statement[END]
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise GoldError(f"{label}: span [{start!r}, {end!r}] is not inside the article "
                            f"(length {len(text)})")
        if TEXT in statement and statement[TEXT] != text[start:end]:
            raise GoldError(f"{label}: `text` {statement[TEXT][:40]!r} differs from "
                            f"article[{start}:{end}] {text[start:end][:40]!r}")
        if statement.get(KIND) not in ("direct", "indirect"):
            raise GoldError(f"{label}: `kind` must be 'direct' or 'indirect', "
                            f"found {statement.get(KIND)!r}")


def normalise_speaker(name: str) -> list[str]:
    """Lower-case words without punctuation, a leading article, or the titles before a
    name ("Foreign Minister Maria Okafor" -> maria okafor; "a spokesman for X" keeps its
    role, since no name follows it)."""
    words = re.sub(r"[^\w\s]", " ", name).split()
    while words and words[0].lower() in _ARTICLES:
        words = words[1:]
    while len(words) > 1 and words[0].lower() in _TITLES and words[1][:1].isupper():
        words = words[1:]
    return [word.lower() for word in words]


def speakers_match(gold: str | None, predicted: str | None) -> bool:
    """Equal after normalising, or one's words a contiguous run of the other's."""
    if not gold or not predicted:
        return not gold and not predicted
    gold_words, predicted_words = normalise_speaker(gold), normalise_speaker(predicted)
    if not gold_words or not predicted_words:
        return gold_words == predicted_words
    shorter, longer = sorted((gold_words, predicted_words), key=len)
    return any(longer[i:i + len(shorter)] == shorter
               for i in range(len(longer) - len(shorter) + 1))


def overlap_share(a: dict, b: dict) -> float:
    """Shared characters as a share of the shorter span."""
    shared = min(a[END], b[END]) - max(a[START], b[START])
    shorter = min(a[END] - a[START], b[END] - b[START])
    return shared / shorter if shared > 0 and shorter > 0 else 0.0


def match_exact(gold: list[dict], predicted: list[dict]) -> list[tuple[int, int]]:
    """Pairs (gold index, predicted index) with the same start and end."""
    by_span = {}
    for index, statement in enumerate(predicted):
        by_span.setdefault((statement[START], statement[END]), index)
    pairs = []
    for index, statement in enumerate(gold):
        found = by_span.pop((statement[START], statement[END]), None)
        if found is not None:
            pairs.append((index, found))
    return pairs


def match_overlap(gold: list[dict], predicted: list[dict]) -> list[tuple[int, int]]:
    """One-to-one pairs sharing at least MIN_OVERLAP of the shorter span, greedy by share."""
    candidates = []
    for g, gold_statement in enumerate(gold):
        for p, predicted_statement in enumerate(predicted):
            share = overlap_share(gold_statement, predicted_statement)
            if share >= MIN_OVERLAP:
                shared = min(gold_statement[END], predicted_statement[END]) - max(
                    gold_statement[START], predicted_statement[START])
                candidates.append((-share, -shared, g, p))
    used_gold, used_predicted, pairs = set(), set(), []
    for _, _, g, p in sorted(candidates):
        if g not in used_gold and p not in used_predicted:
            used_gold.add(g)
            used_predicted.add(p)
            pairs.append((g, p))
    return sorted(pairs)


def _scores(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def _bucket_counts(gold: list[dict], predicted: list[dict], pairs: list[tuple[int, int]],
                   counts: dict) -> None:
    """Add tp/fp/fn per bucket: a match counts under the gold kind, a spurious prediction
    under its own kind, a miss under the gold kind."""
    matched_gold = {g for g, _ in pairs}
    matched_predicted = {p for _, p in pairs}
    for g, _ in pairs:
        for bucket in (gold[g].get(KIND), "all"):
            counts[bucket]["tp"] += 1
    for p, statement in enumerate(predicted):
        if p not in matched_predicted:
            for bucket in (statement.get(KIND), "all"):
                counts.setdefault(bucket, {"tp": 0, "fp": 0, "fn": 0})["fp"] += 1
    for g, statement in enumerate(gold):
        if g not in matched_gold:
            for bucket in (statement.get(KIND), "all"):
                counts[bucket]["fn"] += 1


def evaluate_extraction(gold_articles: list[dict], predicted: list[list[dict]]) -> dict:
    """Exact and overlap P/R/F1 per kind, speaker accuracy, matches and errors."""
    if len(gold_articles) != len(predicted):
        raise ValueError(f"{len(gold_articles)} gold articles but {len(predicted)} predictions")
    exact = {bucket: {"tp": 0, "fp": 0, "fn": 0} for bucket in BUCKETS}
    overlap = {bucket: {"tp": 0, "fp": 0, "fn": 0} for bucket in BUCKETS}
    speaker_hits = {bucket: [0, 0] for bucket in BUCKETS}
    matches, errors = [], []
    for position, (article, statements) in enumerate(zip(gold_articles, predicted)):
        article_id = article.get(ID, position)
        gold = article[STATEMENTS]
        _bucket_counts(gold, statements, match_exact(gold, statements), exact)
        pairs = match_overlap(gold, statements)
        _bucket_counts(gold, statements, pairs, overlap)
        wrong_speakers = []
        for g, p in pairs:
            matches.append({"article_id": article_id, "gold_index": g, "pred_index": p})
            hit = speakers_match(gold[g].get(SPEAKER), statements[p].get(SPEAKER))
            for bucket in (gold[g].get(KIND), "all"):
                speaker_hits[bucket][0] += hit
                speaker_hits[bucket][1] += 1
            if not hit:
                wrong_speakers.append({"text": gold[g].get(TEXT, ""),
                                       "gold_speaker": gold[g].get(SPEAKER),
                                       "predicted_speaker": statements[p].get(SPEAKER)})
        errors.append(_article_errors(article_id, article[TEXT], gold, statements, pairs,
                                      wrong_speakers))
    return {
        "exact": {bucket: _scores(**exact[bucket]) for bucket in BUCKETS},
        "overlap": {bucket: _scores(**overlap[bucket]) for bucket in BUCKETS},
        "speaker_accuracy": speaker_hits["all"][0] / speaker_hits["all"][1]
        if speaker_hits["all"][1] else 0.0,
        "speaker_count": speaker_hits["all"][1],
        "speaker_accuracy_by_kind": {bucket: hits / total if total else 0.0
                                     for bucket, (hits, total) in speaker_hits.items()},
        "articles": len(gold_articles),
        "matches": matches,
        "errors": errors,
    }


def _article_errors(article_id, text: str, gold: list[dict], predicted: list[dict],
                    pairs: list[tuple[int, int]], wrong_speakers: list[dict]) -> dict:
    matched_gold = {g for g, _ in pairs}
    matched_predicted = {p for _, p in pairs}

    def describe(statement: dict) -> dict:
        return {"text": text[statement[START]:statement[END]], START: statement[START],
                END: statement[END], KIND: statement.get(KIND),
                SPEAKER: statement.get(SPEAKER)}

    return {
        "article_id": article_id,
        "missed": [describe(s) for g, s in enumerate(gold) if g not in matched_gold],
        "spurious": [describe(s) for p, s in enumerate(predicted) if p not in matched_predicted],
        "wrong_speakers": wrong_speakers,
    }


def format_report(metrics: dict, worst: int = 5) -> str:
    """A readable table of the scores and the articles with the most errors."""
    lines = [f"{metrics['articles']} articles",
             f"{'':10}" + "".join(f"{mode + ' P':>10}{'R':>7}{'F1':>7}  {'tp/fp/fn':<14}"
                                  for mode in ("exact", "overlap"))]
    for bucket in BUCKETS:
        row = f"{bucket:10}"
        for mode in ("exact", "overlap"):
            s = metrics[mode][bucket]
            counts = f"{s['tp']}/{s['fp']}/{s['fn']}"
            row += f"{s['precision']:10.3f}{s['recall']:7.3f}{s['f1']:7.3f}  {counts:<14}"
        lines.append(row.rstrip())
    by_kind = metrics["speaker_accuracy_by_kind"]
    lines.append(f"speaker accuracy {metrics['speaker_accuracy']:.3f} over "
                 f"{metrics['speaker_count']} overlap matches (direct {by_kind['direct']:.3f}, "
                 f"indirect {by_kind['indirect']:.3f})")
    ranked = sorted(metrics["errors"], key=lambda e: -_error_count(e))[:worst]
    ranked = [e for e in ranked if _error_count(e)]
    if ranked:
        lines.append("worst articles (missed / spurious / wrong speaker):")
        for entry in ranked:
            lines.append(f"  {entry['article_id']}: {len(entry['missed'])} / "
                         f"{len(entry['spurious'])} / {len(entry['wrong_speakers'])}")
    return "\n".join(lines)


def _error_count(entry: dict) -> int:
    return len(entry["missed"]) + len(entry["spurious"]) + len(entry["wrong_speakers"])


def save_report(metrics: dict, out_dir: Path) -> None:
    """metrics.json (scores and matches) and errors.jsonl (one article per line)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {key: value for key, value in metrics.items() if key != "errors"}
    (out_dir / "metrics.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    with open(out_dir / "errors.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(entry, ensure_ascii=False) + "\n" for entry in metrics["errors"])


def main(argv: list[str] | None = None) -> int:
    """Run the extractor on the gold articles and print (and optionally save) the scores."""
    parser = argparse.ArgumentParser(prog="python -m eval.extraction", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", required=True, help="gold articles (JSONL)")
    parser.add_argument("--out", help="directory for metrics.json and errors.jsonl")
    parser.add_argument("--overwrite", action="store_true", help="allow an existing --out")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--quiet", action="store_true", help="print only the table")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(message)s")
    if args.out and Path(args.out).exists() and not args.overwrite:
        print(f"error: {args.out} exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    try:
        gold = load_gold(args.gold)
    except (GoldError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from data.extract import extract_many  # loads spaCy only once the input is valid

    started = time.perf_counter()
    predicted = list(extract_many([article[TEXT] for article in gold],
                                  batch_size=args.batch_size, n_process=args.n_process))
    logger.info("extracted %d articles in %.1f s", len(gold), time.perf_counter() - started)
    metrics = evaluate_extraction(gold, predicted)
    print(format_report(metrics))
    if args.out:
        save_report(metrics, Path(args.out))
        logger.info("wrote %s/metrics.json and errors.jsonl", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
