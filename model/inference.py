"""Extraction and classification for a batch of articles: the core that every engine shares.

    from model.classifier import load_model
    from model.inference import annotate_articles
    classifier = load_model("runs/default")
    records = annotate_articles(classifier, [{"id": "a1", "text": "“There will be no talks,” she said."}])
    # [{'article_id': 'a1', 'id': 'a1:1-23', 'text': 'There will be no talks', ..., 'label': 'refusal', ...}]

The local engine (predict.py) calls the two halves separately: extraction (the same extract_many,
in a child process for inputs of several chunks) runs ahead while build_statement_records classifies
the previous chunk; the Ray engine (predict_ray.py) calls annotate_articles inside each actor. Same
extractor, same records.
"""

from collections.abc import Iterable

from data.schema import (
    ARTICLE_ID,
    CONTEXT,
    CUE,
    END,
    ID,
    KIND,
    LABEL,
    MODEL,
    PARTS,
    SCORE,
    SCORES,
    SPEAKER,
    SPEAKER_MENTION,
    START,
    TEXT,
)
from model.classifier import StanceClassifier

NEUTRAL = "neutral"

# The output record of an article statement, in this order (the prediction contract).
STATEMENT_FIELDS = (ARTICLE_ID, ID, TEXT, START, END, KIND, SPEAKER, SPEAKER_MENTION, PARTS, CONTEXT, CUE,
                    LABEL, SCORE, SCORES, MODEL)
PREDICTION_FIELDS = (LABEL, SCORE, SCORES, MODEL)


def load_extractor():
    """The statement extractor module (data/extract.py); imported late so --statements needs no spaCy."""
    from data import extract
    return extract


def load_nlp():
    """The extractor's spaCy pipeline; data.extract caches it, so it loads once per process."""
    return load_extractor().load_nlp()


def to_records(articles) -> list[dict]:
    """Articles given as a pandas DataFrame or a list of dicts, as a list of dicts."""
    if hasattr(articles, "to_dict"):
        return articles.to_dict("records")
    return list(articles)


def extract_articles(articles: list[dict], nlp=None, batch_size: int = 32) -> list[list[dict]]:
    """The statements of each article, in article order (spaCy batches the texts)."""
    nlp = load_nlp() if nlp is None else nlp
    texts = (article[TEXT] for article in articles)
    return list(load_extractor().extract_many(texts, nlp=nlp, batch_size=batch_size))


def classification_input(article_text: str, statement: dict) -> dict:
    """What the classifier reads: the quoted pieces joined, without the "he said" that splits them."""
    parts = statement.get(PARTS) or []
    text = " ".join(article_text[start:end] for start, end in parts) if len(parts) > 1 else statement[TEXT]
    return {TEXT: text, SPEAKER: statement.get(SPEAKER), CONTEXT: statement.get(CONTEXT)}


def apply_threshold(prediction: dict, threshold: float | None) -> dict:
    """Below the threshold the label becomes neutral; scores stay and score is neutral's probability."""
    if threshold is None or prediction[SCORE] >= threshold:
        return prediction
    return {**prediction, LABEL: NEUTRAL, SCORE: prediction[SCORES].get(NEUTRAL, 0.0)}


def classify(classifier: StanceClassifier, inputs: list[dict], batch_size: int = 64,
             threshold: float | None = None) -> list[dict]:
    """label, score, scores and model for each classifier input, in order."""
    if not inputs:
        return []
    predictions = classifier.predict(inputs, batch_size=batch_size)
    return [{**apply_threshold(p, threshold), MODEL: classifier.name} for p in predictions]


def build_statement_records(classifier: StanceClassifier, articles: list[dict], extracted: list[list[dict]],
                            batch_size: int = 64, threshold: float | None = None) -> list[dict]:
    """One output record per statement, articles in order; all of a batch's statements classified together."""
    inputs = [classification_input(article[TEXT], statement)
              for article, statements in zip(articles, extracted) for statement in statements]
    predictions = iter(classify(classifier, inputs, batch_size, threshold))
    records = []
    for article, statements in zip(articles, extracted):
        article_id = str(article[ID])
        used_ids: set[str] = set()
        for statement in statements:
            record = {ARTICLE_ID: article_id, ID: build_statement_id(article_id, statement, used_ids)}
            for name in STATEMENT_FIELDS[2:-len(PREDICTION_FIELDS)]:
                record[name] = statement.get(name)
            record[PARTS] = [[int(start), int(end)] for start, end in record[PARTS] or []]
            record.update(next(predictions))
            records.append(record)
    return records


def build_statement_id(article_id: str, statement: dict, used_ids: set[str]) -> str:
    """article_id:start-end, stable across runs; a suffix keeps two statements on one span apart."""
    base = f"{article_id}:{statement[START]}-{statement[END]}"
    statement_id, copy = base, 1
    while statement_id in used_ids:
        copy += 1
        statement_id = f"{base}~{copy}"
    used_ids.add(statement_id)
    return statement_id


def annotate_articles(classifier: StanceClassifier, articles, nlp=None, batch_size: int = 64,
                      threshold: float | None = None, extract_batch_size: int = 32) -> list[dict]:
    """Extraction then classification for a batch of articles (DataFrame or dicts): the statement records."""
    articles = to_records(articles)
    extracted = extract_articles(articles, nlp, extract_batch_size)
    return build_statement_records(classifier, articles, extracted, batch_size, threshold)


def annotate_statements(classifier: StanceClassifier, statements: Iterable[dict], batch_size: int = 64,
                        threshold: float | None = None) -> list[dict]:
    """--statements mode: each input record with label, score, scores and model added."""
    statements = to_records(statements)
    inputs = [{TEXT: s[TEXT], SPEAKER: s.get(SPEAKER), CONTEXT: s.get(CONTEXT)} for s in statements]
    return [{**statement, **prediction}
            for statement, prediction in zip(statements, classify(classifier, inputs, batch_size, threshold))]

