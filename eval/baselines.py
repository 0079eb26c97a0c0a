"""Baselines the fine-tuned model has to beat, fitted on the train split and scored on the same test data.

    from eval.baselines import run_baselines, score_baselines
    predictions = run_baselines(train_statements, test_statements, labels, encoder_dir="runs/tiny")
    table = score_baselines(gold, model_predicted, predictions, labels)

- ``majority``: always the most frequent train label.
- ``keyword``: a fixed cue lexicon (KEYWORD_CUES below); the label with most cue hits wins, ties go
  refusal > dialogue > cooperation, no hit means neutral. Nothing is fitted.
- ``tfidf_logreg``: TF-IDF over word 1–2-grams + logistic regression (balanced class weights; C picked by
  cross-validated macro-F1 on train).
- ``embedding_logreg``: frozen sentence embeddings (mean-pooled last layer of the bundled all-MiniLM-L6-v2,
  L2-normalised, statement text only) + the same logistic regression. The slow one; ``encoder_dir`` points
  it at any local encoder (tests use the tiny random BERT).

A baseline sees only the statement text; the model may also see speaker and context (its input_format).
"""

import logging
import re
import time
from collections import Counter
from collections.abc import Callable

import numpy as np

from data.schema import LABEL, TEXT
from eval.compare import bootstrap_scores, build_scorer, paired_bootstrap

log = logging.getLogger("geostance.eval")

# Cues match case-insensitively at a word start, as prefixes (negotiat → negotiations, aid → aided).
KEYWORD_CUES = {
    "refusal": ["reject", "refus", "no talks", "never", "deny", "denie", "dismiss", "rule out", "ruled out", "withdrew",
                "veto", "withdraw", "baseless", "will not", "won't"],
    "dialogue": ["talks", "negotiat", "dialogue", "consultation", "mediat", "diplomatic channel", "summit",
                 "sit down", "meet"],
    "cooperation": ["cooperat", "co-operat", "joint", "together", "agreement", "partnership", "alliance", "allies",
                    "coordinat", "aid"],
}
KEYWORD_TIE_ORDER = ("refusal", "dialogue", "cooperation")
KEYWORD_FALLBACK = "neutral"

DESCRIPTIONS = {
    "majority": "always the most frequent label of the train split",
    "keyword": "a fixed cue list per label, the label with most hits wins (ties: refusal, dialogue, cooperation), "
               "no hit → neutral; cues: " + "; ".join(f"{label}: {', '.join(cues)}" for label, cues in KEYWORD_CUES.items()),
    "tfidf_logreg": "TF-IDF over word 1–2-grams + logistic regression, fitted on train",
    "embedding_logreg": "frozen all-MiniLM-L6-v2 sentence embeddings (mean-pooled) + logistic regression, "
                        "fitted on train",
}

Predictor = Callable[[list[dict]], list[str]]


def texts_of(statements: list[dict]) -> list[str]:
    """The statement texts (baselines see nothing else)."""
    return [statement[TEXT] for statement in statements]


def build_majority(train: list[dict], labels: list[str]) -> Predictor:
    """Predict the most frequent train label (the first in ``labels`` order on a tie)."""
    counts = Counter(statement[LABEL] for statement in train)
    majority = max(labels, key=lambda label: (counts[label], -labels.index(label)))
    return lambda statements: [majority] * len(statements)


def compile_cues(cues: dict[str, list[str]]) -> dict[str, re.Pattern]:
    """One case-insensitive pattern per label; cues match at a word start."""
    return {label: re.compile(r"\b(?:" + "|".join(re.escape(cue) for cue in words) + r")", re.IGNORECASE)
            for label, words in cues.items()}


def classify_by_keywords(text: str, patterns: dict[str, re.Pattern]) -> str:
    """The label with most cue hits in ``text``; ties by KEYWORD_TIE_ORDER, no hit → neutral."""
    hits = {label: len(patterns[label].findall(text)) for label in KEYWORD_TIE_ORDER}
    best = max(KEYWORD_TIE_ORDER, key=lambda label: (hits[label], -KEYWORD_TIE_ORDER.index(label)))
    return best if hits[best] else KEYWORD_FALLBACK


def build_keyword(train: list[dict], labels: list[str]) -> Predictor:
    """The fixed lexicon; ``train`` is unused (kept for the common signature)."""
    patterns = compile_cues(KEYWORD_CUES)
    return lambda statements: [classify_by_keywords(text, patterns) for text in texts_of(statements)]


def fit_logistic_regression(features, targets: list[str], solver: str = "lbfgs", seed: int = 13):
    """Balanced logistic regression; C chosen by cross-validated macro-F1 when every class has ≥ 2 rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    model = LogisticRegression(class_weight="balanced", solver=solver, max_iter=2000, random_state=seed)
    folds = min(5, min(Counter(targets).values()))
    if folds < 2:
        return model.fit(features, targets)
    search = GridSearchCV(model, {"C": [0.1, 1.0, 10.0]}, scoring="f1_macro",
                          cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    return search.fit(features, targets).best_estimator_


def build_tfidf(train: list[dict], labels: list[str]) -> Predictor:
    """TF-IDF (word 1–2-grams, sublinear tf) + logistic regression fitted on train."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
    # saga: lbfgs needs many slow iterations on 30k sparse n-gram columns once C is large.
    classifier = fit_logistic_regression(vectorizer.fit_transform(texts_of(train)), [s[LABEL] for s in train],
                                         solver="saga")
    return lambda statements: list(classifier.predict(vectorizer.transform(texts_of(statements))))


def load_encoder(encoder_dir: str):
    """Tokenizer and bare encoder (no task head) from a local directory, in eval mode."""
    from transformers import AutoModel, AutoTokenizer

    return AutoTokenizer.from_pretrained(encoder_dir), AutoModel.from_pretrained(encoder_dir).eval()


def compute_embeddings(texts: list[str], tokenizer, encoder, batch_size: int = 64, max_length: int = 128) -> np.ndarray:
    """Mean-pooled, L2-normalised last-layer embeddings (what sentence-transformers does for all-MiniLM-L6-v2)."""
    import torch

    rows = []
    with torch.inference_mode():
        for begin in range(0, len(texts), batch_size):
            batch = tokenizer(texts[begin:begin + batch_size], padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            rows.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(rows)


def build_embedding(train: list[dict], labels: list[str], encoder_dir: str) -> Predictor:
    """Frozen sentence embeddings from ``encoder_dir`` + logistic regression fitted on train."""
    tokenizer, encoder = load_encoder(encoder_dir)
    features = compute_embeddings(texts_of(train), tokenizer, encoder)
    classifier = fit_logistic_regression(features, [s[LABEL] for s in train])
    return lambda statements: list(classifier.predict(compute_embeddings(texts_of(statements), tokenizer, encoder)))


def run_baselines(train: list[dict], test: list[dict], labels: list[str], encoder_dir: str | None = None,
                  embedding: bool = True) -> dict[str, list[str]]:
    """Each baseline's predicted labels for ``test``, fitted on ``train``; embedding only when asked."""
    unknown = sorted({s[LABEL] for s in train} - set(labels))
    if unknown:
        raise ValueError(f"the train split has labels {unknown} that the model does not know ({labels})")
    builders: dict[str, Callable[[], Predictor]] = {
        "majority": lambda: build_majority(train, labels),
        "keyword": lambda: build_keyword(train, labels),
        "tfidf_logreg": lambda: build_tfidf(train, labels),
    }
    if embedding:
        if encoder_dir is None:
            from train.config import default_base_model
            encoder_dir = default_base_model()
        builders["embedding_logreg"] = lambda: build_embedding(train, labels, encoder_dir)
    predictions = {}
    for name, build in builders.items():
        started = time.perf_counter()
        predictions[name] = build()(test)
        log.info("baseline %s: fitted and predicted in %.1f s", name, time.perf_counter() - started)
    return predictions


def judge(difference_interval: tuple[float, float], difference: float) -> str:
    """Plain words for model − baseline: 'model better', 'baseline better' or 'no clear difference'."""
    low, high = difference_interval
    if low > 0:
        return "model better"
    if high < 0:
        return "baseline better"
    return "no clear difference" if difference >= 0 else "no clear difference (baseline ahead)"


def score_baselines(gold: list[str], model_predicted: list[str], baseline_predictions: dict[str, list[str]],
                    labels: list[str], rounds: int = 1000, seed: int = 13) -> dict[str, dict]:
    """Each baseline's macro-F1, accuracy and per-class F1 with 95% intervals, and a paired test against the model."""
    model_scorer = build_scorer(gold, model_predicted, labels)
    table = {}
    for name, predicted in baseline_predictions.items():
        scorer = build_scorer(gold, predicted, labels)
        point = scorer(np.arange(len(gold)))
        intervals = bootstrap_scores(scorer, len(gold), rounds, seed)
        versus = paired_bootstrap(scorer, model_scorer, len(gold), rounds, seed)["macro_f1"]
        table[name] = {
            "description": DESCRIPTIONS.get(name, name),
            "macro_f1": point["macro_f1"], "macro_f1_interval": intervals["macro_f1"],
            "accuracy": point["accuracy"], "accuracy_interval": intervals["accuracy"],
            "per_class_f1": {label: point[f"f1/{label}"] for label in labels},
            "model_minus_baseline": {"macro_f1": versus["difference"], "interval": versus["interval"],
                                     "verdict": judge(versus["interval"], versus["difference"])},
        }
    return table


def describe_gap(name: str, gap: dict) -> str:
    """'tfidf_logreg (gap −0.023, 95% interval −0.052 to +0.006)': model minus baseline in macro-F1."""
    low, high = gap["interval"]
    return f"{name} (model − baseline {gap['macro_f1']:+.3f}, 95% interval {low:+.3f} to {high:+.3f})"


def build_verdict(baselines: dict[str, dict]) -> tuple[bool, str]:
    """Whether the model clearly beats every baseline, and plain sentences saying so (or not)."""
    if not baselines:
        return False, "No baselines were run, so there is nothing to say about whether the model beats them."
    gaps = {name: row["model_minus_baseline"] for name, row in baselines.items()}
    beaten = [name for name, gap in gaps.items() if gap["verdict"] == "model better"]
    if len(beaten) == len(gaps):
        strongest = max(baselines, key=lambda name: baselines[name]["macro_f1"])
        return True, ("The fine-tuned model beats every baseline. Against the strongest, "
                      f"{describe_gap(strongest, gaps[strongest])}, paired bootstrap.")
    also = f" It does clearly beat {', '.join(beaten)}." if beaten else ""
    clearly_better = [name for name, gap in gaps.items() if gap["verdict"] == "baseline better"]
    if clearly_better:
        return False, ("The fine-tuned model does NOT beat every baseline: "
                       f"{'; '.join(describe_gap(name, gaps[name]) for name in clearly_better)} "
                       f"{'is' if len(clearly_better) == 1 else 'are'} clearly better on this data. Prefer the simpler "
                       f"method until the model beats it.{also}")
    ahead = [name for name, gap in gaps.items() if name not in beaten and gap["macro_f1"] < 0]
    if ahead:
        return False, ("The fine-tuned model does NOT beat every baseline: "
                       f"{'; '.join(describe_gap(name, gaps[name]) for name in ahead)} "
                       f"{'scores' if len(ahead) == 1 else 'score'} a higher macro-F1 on this data. The gap is within "
                       f"the noise, but the model shows no advantage for its cost.{also}")
    level = [name for name in gaps if name not in beaten]
    return False, ("The fine-tuned model does NOT clearly beat every baseline: against "
                   f"{'; '.join(describe_gap(name, gaps[name]) for name in level)} the gap is within the noise of this "
                   f"test set (its interval includes 0).{also}")
