"""Find quotations in raw text: the spans strictly between quotation marks.

Works on characters only, before any parsing, so it is cheap and never loses an offset.
It pairs straight ("), curly double (“ ”), curly single (‘ ’), low (&#8222;) and guillemet (« »)
marks, tells a closing ’ from the apostrophe in "Russia’s", keeps nested quotations inside
the outer one, follows a quotation across paragraphs that end open and re-open with a mark,
and joins the pieces of a quotation split by its attribution (“We are ready,” he said, “to
talk.”).
"""

import re
from dataclasses import dataclass

from data.cues import SPEECH_FORMS

DOUBLE, SINGLE = "double", "single"
_FAMILY = {'"': DOUBLE, "“": DOUBLE, "”": DOUBLE, "„": DOUBLE, "«": DOUBLE, "»": DOUBLE,
           "'": SINGLE, "‘": SINGLE, "’": SINGLE, "‹": SINGLE, "›": SINGLE}
QUOTE_CHARS = "".join(_FAMILY)
_MARK = re.compile("[" + re.escape(QUOTE_CHARS) + "]")
_LINE_BREAK = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_OPENING_NEIGHBOURS = set("([{<—–-/:;,") | set(QUOTE_CHARS)
_CLOSING_NEIGHBOURS = set(".,;:!?)]}>—–-…") | set(QUOTE_CHARS)
_WORD = re.compile(r"\w+")
# A quotation split by its attribution rejoins across a short, comma-ended interruption or
# across one attribution sentence of at most _MAX_ATTRIBUTION_WORDS words.
_MAX_INTERRUPTION_WORDS = 14
_MAX_ATTRIBUTION_WORDS = 45
# A sentence ends inside the text: ". The", "? We" (not "U.S. envoy").
_SENTENCE_BREAK = re.compile(r"[.!?…][\"”’']?\s+[A-Z“‘\"]")


@dataclass(frozen=True)
class Quote:
    """One quotation: its inner pieces and where its marks begin and end."""

    parts: tuple[tuple[int, int], ...]  # [start, end) of each piece, strictly inside the marks
    open_at: int  # offset of the first opening mark
    close_at: int  # offset just after the last closing mark (the piece's end if unclosed)

    @property
    def start(self) -> int:
        return self.parts[0][0]

    @property
    def end(self) -> int:
        return self.parts[-1][1]


def find_quotes(text: str) -> list[Quote]:
    """All quotations in the text, in order, with split quotations joined."""
    return join_split_quotes(text, _find_raw_quotes(text))


def _lines(text: str) -> list[tuple[int, int]]:
    """[start, end) of every line, blank ones included."""
    bounds, start = [], 0
    for match in _LINE_BREAK.finditer(text):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    return bounds


def _classify(text: str, i: int, line_start: int, line_end: int) -> tuple[bool, bool]:
    """Whether the mark at i can open and whether it can close a quotation."""
    char = text[i]
    left = text[i - 1] if i > line_start else " "
    right = text[i + 1] if i + 1 < line_end else " "
    between_letters = left.isalnum() and right.isalnum()
    may_open = not right.isspace() and (left.isspace() or left in _OPENING_NEIGHBOURS)
    may_close = not left.isspace() and (right.isspace() or right in _CLOSING_NEIGHBOURS)
    if char in "“„«‹":
        return not between_letters and not right.isspace(), False
    if char == "‘":
        # ‘90s and Russia‘s use the mark as an apostrophe.
        return not between_letters and not right.isdigit(), False
    if char in "”»›":
        # Some texts use ” for both ends: it opens only where nothing else could.
        return may_open and not may_close, not between_letters
    if char == "’":
        return False, not between_letters
    if char == "'":
        return may_open and not right.isdigit() and not between_letters, (
            may_close and not between_letters)
    return may_open, may_close  # the straight double quote


def _is_possessive_apostrophe(text: str, i: int, line_start: int, line_end: int) -> bool:
    """A ’ after a plural ("the ministers’ meeting") when a later mark closes the quotation."""
    if text[i - 1:i] not in ("s", "S") or text[i + 1:i + 2] != " ":
        return False
    if not text[i + 2:i + 3].isalpha():
        return False
    for match in _MARK.finditer(text, i + 1, line_end):
        char = match.group()
        if char in "‘'":
            return False  # a new quotation opens first: this mark closed the old one
        if char in "’'" and _classify(text, match.start(), line_start, line_end)[1]:
            return True
    return False


def _find_raw_quotes(text: str) -> list[Quote]:
    """Pair the marks line by line, carrying an open quotation across paragraphs."""
    lines = _lines(text)
    quotes: list[Quote] = []
    carried: tuple[str, list[tuple[int, int]], int] | None = None  # family, parts, open_at
    index = 0
    while index < len(lines):
        line_start, line_end = lines[index]
        index += 1
        stack: list[tuple[str, int]] = []  # (family, offset of the opening mark)
        parts: list[tuple[int, int]] = []
        open_at = -1
        position = line_start
        if carried is not None:
            family, parts, open_at = carried
            carried = None
            first = _first_mark_of_line(text, line_start, line_end)
            stack = [(family, first)]
            position = first + 1
        for match in _MARK.finditer(text, position, line_end):
            i, char = match.start(), match.group()
            family = _FAMILY[char]
            can_open, can_close = _classify(text, i, line_start, line_end)
            if not stack:
                if can_open:
                    stack.append((family, i))
                    parts, open_at = [], i
                continue
            top_family = stack[-1][0]
            if char == "“" and text[stack[-1][1]] == "„":
                can_close = True  # German style: „…“
            if family == top_family and can_close:
                if char == "’" and _is_possessive_apostrophe(text, i, line_start, line_end):
                    continue
                _, opened = stack.pop()
                if not stack:
                    quotes.append(_close(parts, opened + 1, i, open_at, i + 1))
            elif can_open:
                stack.append((family, i))  # a quotation nested in the open one
            elif can_close and any(f == family for f, _ in stack):
                # The nested quotation was never closed: the outer mark closes both.
                while stack and stack[-1][0] != family:
                    stack.pop()
                _, opened = stack.pop()
                if not stack:
                    quotes.append(_close(parts, opened + 1, i, open_at, i + 1))
        if not stack:
            continue
        family, opened = stack[0]
        piece_end = line_start + len(text[line_start:line_end].rstrip())
        following = _next_nonblank_line(text, lines, index)
        if following is not None:
            first = _first_mark_of_line(text, *lines[following])
            if first is not None and _FAMILY[text[first]] == family and _classify(
                    text, first, *lines[following])[0]:
                # The quotation goes on in the next paragraph, which re-opens it.
                carried = (family, parts + [(opened + 1, piece_end)], open_at)
                index = following
                continue
        if len(parts) or (family == DOUBLE
                          and _looks_like_unclosed_statement(text, opened + 1, piece_end)):
            # A multi-paragraph quotation whose last paragraph lost its closing mark, or
            # a sentence-long quotation whose closing mark is missing.
            quotes.append(_close(parts, opened + 1, piece_end, open_at, piece_end))
    return [quote for quote in quotes if quote.end > quote.start]


def _close(parts: list[tuple[int, int]], start: int, end: int, open_at: int,
           close_at: int) -> Quote:
    """A quotation from its pieces; empty pieces (“” or a bare re-opening mark) are dropped."""
    pieces = tuple(part for part in [*parts, (start, end)] if part[1] > part[0])
    return Quote(pieces or ((start, start),), open_at, close_at)


def _first_mark_of_line(text: str, line_start: int, line_end: int) -> int | None:
    """Offset of a quotation mark that opens the line (after leading spaces), if any."""
    stripped = len(text[line_start:line_end]) - len(text[line_start:line_end].lstrip())
    i = line_start + stripped
    return i if i < line_end and text[i] in QUOTE_CHARS else None


def _next_nonblank_line(text: str, lines: list[tuple[int, int]], index: int) -> int | None:
    """Index of the first line from index on that holds more than whitespace."""
    for position in range(index, len(lines)):
        start, end = lines[position]
        if text[start:end].strip():
            return position
    return None


def _looks_like_unclosed_statement(text: str, start: int, end: int) -> bool:
    """A quotation missing its closing mark: a capitalised sentence of five words or more."""
    inner = text[start:end].strip()
    return (len(_WORD.findall(inner)) >= 5 and inner[:1].isupper()
            and inner[-1:] in ".!?…")


def join_split_quotes(text: str, quotes: list[Quote]) -> list[Quote]:
    """Join “We are ready,” he said, “to talk.” into one quotation with two parts; so too
    “We are ready,” he said. “We will talk.”, where the second quotation goes on after the
    attribution sentence and has no attribution of its own."""
    joined: list[Quote] = []
    for quote in quotes:
        if joined and _is_interruption(text, joined[-1], quote):
            previous = joined.pop()
            quote = Quote(previous.parts + quote.parts, previous.open_at, quote.close_at)
        joined.append(quote)
    return joined


def _is_interruption(text: str, first: Quote, second: Quote) -> bool:
    """Whether the text between two quotations only attributes the first one."""
    between = text[first.close_at:second.open_at]
    stripped = between.strip()
    if not stripped:
        return False
    first_inner = text[first.parts[-1][0]:first.parts[-1][1]].rstrip()
    unfinished = first_inner[-1:] in ",—–-…?!" or first_inner[-1:].isalnum()
    words = _WORD.findall(stripped)
    if not unfinished or not words:
        return False
    if stripped[-1] in ",—–-" and not _LINE_BREAK.search(between):
        # “We are ready,” he said, “to talk.”
        return len(words) <= _MAX_INTERRUPTION_WORDS
    if stripped[-1] != "." or len(words) > _MAX_ATTRIBUTION_WORDS:
        return False
    # “We are ready,” he said. “We will talk.”: one attribution sentence in between (a
    # paragraph break may follow it), and the second quotation attributed nowhere else.
    sentence_body = stripped[:-1]
    if _SENTENCE_BREAK.search(sentence_body) or _LINE_BREAK.search(between.rstrip()):
        return False
    if not any(word.lower() in SPEECH_FORMS for word in words):
        return False
    return not _has_own_attribution(text, second)


def _has_own_attribution(text: str, quote: Quote) -> bool:
    """“…,” she added. — an attribution right after the quotation, in its sentence."""
    after = text[quote.close_at:quote.close_at + 120]
    after = _LINE_BREAK.split(after, 1)[0]
    after = re.split(r"[.!?]", after, 1)[0]
    return any(word.lower() in SPEECH_FORMS for word in _WORD.findall(after)[:8])
