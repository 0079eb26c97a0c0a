"""The layout of an article before parsing: paragraphs, transcript turns, datelines, and
the chunks the parser gets.

`plan_layout(text)` finds the quotations (data/quotes.py) and decides what spaCy parses:
whole paragraphs grouped into chunks of about CHUNK_CHARS (never cutting a quotation),
with datelines ("HELSINKI, March 3 (Wire) — "), live-blog timestamps ("09:40 GMT — ")
and transcript labels ("VARGAS: ") blanked out with spaces so that every offset stays
the article's own.
"""

import functools
import re
from bisect import bisect_right
from dataclasses import dataclass

from data.cues import SPEECH_FORMS
from data.quotes import QUOTE_CHARS, Quote, find_quotes

# Articles are parsed in chunks of whole paragraphs so that a huge input never builds one
# giant Doc. Past LONG_TEXT_CHARS only paragraphs with a quotation mark or a speech verb
# (and a short one before each, for the names it introduces) are parsed, and no more than
# PARSE_BUDGET_CHARS in all: quotations beyond it are still found, without speakers.
CHUNK_CHARS = 20_000
LONG_TEXT_CHARS = 200_000
PARSE_BUDGET_CHARS = 150_000
MAX_NAME_PARAGRAPH_CHARS = 2_000

_PARAGRAPH = re.compile(r"[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")
_WORDS = re.compile(r"[A-Za-z]+")
# "HELSINKI, March 3 (Meridian Wire) — ", "KOK-TASH, Kyrgyzstan — ", "BOGOTA - "
_DATELINE = re.compile(r"[A-ZÀ-Þ][A-ZÀ-Þ'’. -]{2,40}(?:,[^\n—–,]{1,40}?)?(?:\s*\([^()\n]{1,40}\))?"
                       r"\s+[—–-]+\s+")
# "09:40 GMT — ", "14:45 GMT - ", "11:10 CET — "
_TIMESTAMP = re.compile(r"\d{1,2}[:.]\d{2}\s*(?:[A-Z]{2,4}\b|[ap]\.?m\.?)?\s*[—–:-]+\s+")
_QUESTION_ANSWER = {"Q", "A", "Question", "Answer"}
_LABEL_TO_QUOTE = re.compile(r"\s*:\s*(?:\([^()\n]{0,40}\)\s*)?")
_TURN_LABEL = re.compile(r"\s*(Q|A|Question|Answer|[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3})"
                         r"\s*:\s")


@dataclass
class Layout:
    """What to parse in one article: its quotations, paragraphs and chunks."""

    text: str
    quotes: list[Quote]
    paragraphs: list[tuple[int, int]]
    chunks: list[tuple[int, int]]
    blanked: list[tuple[int, int]]  # datelines, timestamps, turn labels: hidden from the parser
    turn_labels: dict[int, tuple[int, int]]  # paragraph index -> span of its speaker label

    @functools.cached_property
    def paragraph_starts(self) -> list[int]:
        return [start for start, _ in self.paragraphs]

    @functools.cached_property
    def chunk_starts(self) -> list[int]:
        return [start for start, _ in self.chunks]

    def paragraph_index(self, position: int) -> int:
        """Index of the paragraph holding a character offset (0 before the first)."""
        return max(0, bisect_right(self.paragraph_starts, position) - 1)

    def chunk_index(self, position: int) -> int | None:
        """Index of the parsed chunk holding a character offset, or None."""
        index = bisect_right(self.chunk_starts, position) - 1
        if index < 0 or position >= self.chunks[index][1]:
            return None
        return index

    def parse_text(self, start: int, end: int) -> str:
        """The chunk as the parser sees it: datelines, timestamps and turn labels blanked
        out with spaces, so that offsets stay those of the article."""
        piece = self.text[start:end]
        for first, last in self.blanked:
            if start <= first < end:
                stop = min(last, end)
                piece = piece[:first - start] + " " * (stop - first) + piece[stop - start:]
        return piece

    def turn_label(self, open_at: int) -> str | None:
        """The label of the transcript turn that a quotation opens ("VARGAS: “…”")."""
        label = self.turn_labels.get(self.paragraph_index(open_at))
        if label is None or self.text[label[0]:label[1]] in _QUESTION_ANSWER:
            return None
        if not _LABEL_TO_QUOTE.fullmatch(self.text, label[1], open_at):
            return None
        return self.text[label[0]:label[1]]


def plan_layout(text: str) -> Layout:
    """Quotations, paragraphs, chunks to parse and spans to blank out, for one article."""
    quotes = find_quotes(text)
    paragraphs = [m.span() for m in _PARAGRAPH.finditer(text) if m.group().strip()]
    keep = [True] * len(paragraphs)
    if len(text) > LONG_TEXT_CHARS:
        wanted = [_has_cue(text, a, b) for a, b in paragraphs]
        keep = [w or (i + 1 < len(wanted) and wanted[i + 1]
                      and paragraphs[i][1] - paragraphs[i][0] <= MAX_NAME_PARAGRAPH_CHARS)
                for i, w in enumerate(wanted)]
    chunks, budget = [], PARSE_BUDGET_CHARS
    for start, end in _chunk(text, paragraphs, keep, quotes):
        if budget <= 0:
            break
        chunks.append((start, min(end, _cut_at_space(text, start, start + budget, end))))
        budget -= end - start
    turn_labels = _transcript_turns(text, paragraphs)
    blanked = [(start, start + match.end()) for start, end in paragraphs
               if (match := _DATELINE.match(text[start:min(end, start + 120)])
                   or _TIMESTAMP.match(text[start:min(end, start + 40)]))]
    blanked += [(paragraphs[index][0], text.index(":", end) + 1)
                for index, (_, end) in turn_labels.items()]
    return Layout(text, quotes, paragraphs, chunks, sorted(blanked), turn_labels)


def _has_cue(text: str, start: int, end: int) -> bool:
    """Whether a paragraph holds a quotation mark or a speech verb."""
    piece = text[start:end]
    if any(mark in piece for mark in QUOTE_CHARS):
        return True
    return any(word in SPEECH_FORMS for word in _WORDS.findall(piece.lower()))


def _cut_at_space(text: str, start: int, limit: int, end: int) -> int:
    """limit moved back to a space (end if limit is past it)."""
    if limit >= end:
        return end
    space = text.rfind(" ", start, limit)
    return space if space > start else limit


def _chunk(text: str, paragraphs: list[tuple[int, int]], keep: list[bool],
           quotes: list[Quote]) -> list[tuple[int, int]]:
    """Group the kept paragraphs into chunks of about CHUNK_CHARS, never cutting a
    quotation, and split any paragraph longer than that."""
    protected_starts = [q.open_at for q in quotes]
    chunks: list[tuple[int, int]] = []
    start = end = None
    for (first, last), wanted in zip(paragraphs, keep):
        if not wanted:
            if start is not None:
                chunks.append((start, end))
            start = None
            continue
        index = bisect_right(protected_starts, first) - 1
        inside_quote = index >= 0 and first < quotes[index].close_at
        if start is not None and first - start > CHUNK_CHARS and not inside_quote:
            chunks.append((start, end))
            start = None
        if start is None:
            start = first
        end = last
    if start is not None:
        chunks.append((start, end))
    return [piece for a, b in chunks for piece in _split_long(text, a, b)]


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a chunk longer than CHUNK_CHARS at sentence ends (or spaces) near the limit."""
    pieces = []
    while end - start > CHUNK_CHARS:
        limit, half = start + CHUNK_CHARS, start + CHUNK_CHARS // 2
        cut = text.rfind(". ", half, limit) + 1 or text.rfind(" ", half, limit)
        cut = cut if cut > half else limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return [(a, b) for a, b in pieces if text[a:b].strip()]


def _transcript_turns(text: str, paragraphs: list[tuple[int, int]]
                      ) -> dict[int, tuple[int, int]]:
    """Turns of an interview transcript ("Q: ...", "VARGAS: ..."): paragraph index -> span
    of the label. A label counts when it is Q/A or when it labels two paragraphs or more."""
    labels = {}
    for index, (start, end) in enumerate(paragraphs):
        match = _TURN_LABEL.match(text, start, end)
        if match:
            labels[index] = match.span(1)
    counts: dict[str, int] = {}
    for first, last in labels.values():
        counts[text[first:last]] = counts.get(text[first:last], 0) + 1
    return {index: (first, last) for index, (first, last) in labels.items()
            if text[first:last] in _QUESTION_ANSWER or counts[text[first:last]] >= 2}
