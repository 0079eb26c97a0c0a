"""Stage-by-stage evaluation on gold articles, the way GenderGapTracker scores its pipeline.

    from eval.stages import build_gold_statements, run_extractor, score_end_to_end
    gold_statements = build_gold_statements(articles)          # stage 2 input: gold spans, speakers, context
    extracted = run_extractor(articles)                        # stage 1 and 3 input (needs spaCy)
    end_to_end = score_end_to_end(articles, extracted, predicted_labels, extraction["matches"])

1. extraction and attribution: eval/extraction.py's scores for the extractor on the gold articles;
2. classification alone: the model on the gold statements (gold span, gold speaker, the sentence(s)
   around the span as context), so extraction errors cannot leak in;
3. end to end: a gold statement counts when the extractor found it (overlap match), gave it the right
   speaker, and the model gave it the right label. Precision is over every extracted statement,
   recall over every gold statement.
"""

import re

import numpy as np

from data.schema import CONTEXT, END, ID, KIND, LABEL, SPEAKER, START, TEXT, TOPIC
from eval.compare import percentile_interval
from eval.extraction import STATEMENTS, speakers_match
from model.inference import classification_input

# A sentence ends at . ! or ? (with any closing quotes or brackets) before white space, or at a line break;
# not after a title or an initial ("Mr.", "U.S.").
_SENTENCE_END = re.compile(r"[.!?]+[\"”’)\]]*(?=\s)|\n+")
_NOT_AN_END = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|St|Rep|Sen|Gov|Prof|No|Jan|Feb|Aug|Sept|Oct|Nov|Dec)"
                         r"|\b[A-Z])\.$")


def find_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character bounds of each sentence, covering the whole text."""
    bounds, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.group().startswith(".") and _NOT_AN_END.search(text, 0, match.start() + 1):
            continue
        if text[start:match.end()].strip():
            bounds.append((start, match.end()))
        start = match.end()
    if text[start:].strip():
        bounds.append((start, len(text)))
    return bounds


def build_context(text: str, start: int, end: int, sentences: list[tuple[int, int]] | None = None) -> str:
    """The sentence(s) that the span [start, end) touches, stripped."""
    sentences = find_sentences(text) if sentences is None else sentences
    touched = [(a, b) for a, b in sentences if a < end and b > start]
    if not touched:
        return text[start:end].strip()
    return text[min(touched[0][0], start):max(touched[-1][1], end)].strip()


def build_gold_statements(articles: list[dict]) -> list[dict]:
    """Every labelled gold statement as a classifier record: joined quoted parts, gold speaker, sentence context."""
    records = []
    for position, article in enumerate(articles):
        article_id = str(article.get(ID, position))
        sentences = find_sentences(article[TEXT])
        for statement in article[STATEMENTS]:
            if statement.get(LABEL) is None:
                continue
            span = {**statement, TEXT: article[TEXT][statement[START]:statement[END]],
                    CONTEXT: build_context(article[TEXT], statement[START], statement[END], sentences)}
            records.append({ID: f"{article_id}:{statement[START]}-{statement[END]}",
                            **classification_input(article[TEXT], span), LABEL: statement[LABEL],
                            KIND: statement.get(KIND), TOPIC: article.get(TOPIC), "article_id": article_id,
                            START: statement[START], END: statement[END]})
    return records


def run_extractor(articles: list[dict], batch_size: int = 32) -> list[list[dict]]:
    """The extractor's statements for each article (data/extract.py; loads spaCy)."""
    from data.extract import extract_many

    return list(extract_many([article[TEXT] for article in articles], batch_size=batch_size))


def build_extracted_inputs(articles: list[dict], extracted: list[list[dict]]) -> list[dict]:
    """What the classifier reads for each extracted statement, articles in order (as predict.py builds it)."""
    return [classification_input(article[TEXT], statement)
            for article, statements in zip(articles, extracted) for statement in statements]


def summarise_extraction(extraction: dict) -> dict:
    """The extraction scores without the per-match and per-article lists (those go to their own files)."""
    return {key: value for key, value in extraction.items() if key not in ("matches", "errors")}


def compute_prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    """Precision, recall and F1 from counts (0.0 where undefined)."""
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def score_end_to_end(articles: list[dict], extracted: list[list[dict]], predicted_labels: list[str],
                     matches: list[dict], rounds: int = 1000, seed: int = 13, level: float = 0.95) -> dict:
    """Found + right speaker + right label per gold statement; P/R/F1 with intervals from resampling articles."""
    labels_by_article, position = [], 0
    for statements in extracted:
        labels_by_article.append(predicted_labels[position:position + len(statements)])
        position += len(statements)
    article_index = {str(article.get(ID, i)): i for i, article in enumerate(articles)}
    match_of = {(article_index[str(m["article_id"])], m["gold_index"]): m["pred_index"] for m in matches}
    rows, per_article = [], []
    for a, article in enumerate(articles):
        article_id = str(article.get(ID, a))
        correct = 0
        gold_statements = [s for s in article[STATEMENTS] if s.get(LABEL) is not None]
        for g, gold in enumerate(article[STATEMENTS]):
            if gold.get(LABEL) is None:
                continue
            p = match_of.get((a, g))
            found = p is not None
            predicted = extracted[a][p] if found else {}
            speaker_ok = found and speakers_match(gold.get(SPEAKER), predicted.get(SPEAKER))
            label = labels_by_article[a][p] if found else None
            all_right = speaker_ok and label == gold[LABEL]
            correct += all_right
            rows.append({"article_id": article_id, START: gold[START], END: gold[END], KIND: gold.get(KIND),
                         TEXT: article[TEXT][gold[START]:gold[END]], "gold_speaker": gold.get(SPEAKER),
                         "gold_label": gold[LABEL], "found": found, "predicted_speaker": predicted.get(SPEAKER),
                         "speaker_ok": speaker_ok, "predicted_label": label, "label_ok": label == gold[LABEL],
                         "correct": all_right, "stage_lost": None if all_right else
                         "extraction" if not found else "speaker" if not speaker_ok else "label"})
        per_article.append((correct, len(extracted[a]), len(gold_statements)))
    counts = np.array(per_article, dtype=np.int64).reshape(-1, 3)
    totals = counts.sum(axis=0)
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {"precision": [], "recall": [], "f1": []}
    for _ in range(rounds):
        picked = counts[rng.integers(0, len(counts), len(counts))].sum(axis=0)
        for key, value in compute_prf(*picked).items():
            samples[key].append(value)
    found = sum(row["found"] for row in rows)
    speaker_right = sum(row["speaker_ok"] for row in rows)
    return {
        **compute_prf(*totals),
        "intervals": {key: percentile_interval(values, level) for key, values in samples.items()},
        "correct": int(totals[0]), "extracted": int(totals[1]), "gold": int(totals[2]),
        "funnel": [["gold statements", int(totals[2])], ["found by the extractor", found],
                   ["… with the right speaker", speaker_right], ["… and the right label", int(totals[0])]],
        "label_accuracy_when_found": (sum(row["label_ok"] for row in rows if row["found"]) / found) if found else 0.0,
        "rows": rows,
    }
