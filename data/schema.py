"""The one record schema used everywhere (see LABELS.md): field names and the label set.

Statements carry ``id``, ``text`` and ``label`` (absent at prediction time) plus the
optional ``speaker``, ``context``, ``kind`` and ``topic``. Articles carry ``id`` and
``text`` plus the optional ``title``, ``date`` and ``source``.
"""

# Statement fields.
ID = "id"
TEXT = "text"
LABEL = "label"
SPEAKER = "speaker"
CONTEXT = "context"
KIND = "kind"
TOPIC = "topic"

REQUIRED_FIELDS = (ID, TEXT, LABEL)
OPTIONAL_FIELDS = (SPEAKER, CONTEXT, KIND, TOPIC)

# Fields the extractor adds to a statement found in an article.
START = "start"
END = "end"
PARTS = "parts"  # [[start, end], ...]: the quoted pieces of a split or multi-paragraph quotation
SPEAKER_MENTION = "speaker_mention"  # the surface text next to the statement ("she", "the minister")
CUE = "cue"  # the speech or stance verb ("said", "denied", "according to")

KINDS = ("direct", "indirect")

# Article fields.
ARTICLE_ID = "article_id"
TITLE = "title"
DATE = "date"
SOURCE = "source"

# Prediction fields.
SCORE = "score"
SCORES = "scores"
MODEL = "model"

# Sorted once, here; a trained model keeps its own copy in config.json (id2label).
LABELS = sorted(["cooperation", "dialogue", "neutral", "refusal"])
