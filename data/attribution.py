"""Who a quotation belongs to, and whether a short quotation is a statement at all.

A quotation's attribution is looked for where journalists put it: between the pieces of
a split quotation, in the clause right after it (“…,” she said), before it (Okafor said:
“…”), and in the clause that governs it (the minister said Brasília was ready for “frank
consultations”). A quotation with none of these borrows a speaker from the sentence before
it or the statement before it; that is decided later, in reading order (see extract.py).
"""

from dataclasses import dataclass

from spacy.tokens import Doc, Token

from data.cues import CHARACTERISING_FORMS, LABEL_MARKERS
from data.quotes import Quote
from data.reported import cue_text, is_speech_verb, speaking_subject
from data.speakers import find_subject, is_speaker_like

# An attribution after a quotation starts within this many words of the closing mark.
MAX_WORDS_TO_TRAILING_CUE = 10
# A quotation of at most this many words must prove it is someone's words.
SHORT_QUOTE_WORDS = 4
_SMALL_WORDS = {"of", "the", "and", "for", "in", "on", "to", "a", "an", "at", "with", "&"}


@dataclass
class Attribution:
    """The cue and subject found for a quotation (either may be None)."""

    subject: Token | None
    verb: Token | None
    cue: str | None


@dataclass
class QuoteTokens:
    """A quotation seen in its parsed chunk: the tokens around its marks."""

    quote: Quote
    text: str  # the whole article
    doc: Doc
    offset: int
    first: int  # index of the token holding the opening mark
    last: int  # index of the token holding the closing mark (or the last quoted token)


def locate(quote: Quote, text: str, doc: Doc, offset: int) -> QuoteTokens:
    """Map a quotation's character offsets to token indices in its chunk."""
    first = _token_at(doc, quote.open_at - offset)
    last = _token_at(doc, quote.close_at - 1 - offset)
    return QuoteTokens(quote, text, doc, offset, first, max(first, last))


def _token_at(doc: Doc, char: int) -> int:
    """Index of the token covering a character offset (or the nearest one before it)."""
    low, high = 0, len(doc) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if doc[middle].idx <= char:
            low = middle
        else:
            high = middle - 1
    return low


def attribute(located: QuoteTokens, in_quote: list[bool]) -> Attribution | None:
    """The attribution in the quotation's own sentence(s), or None."""
    doc, quote = located.doc, located.quote
    for (_, part_end), (next_start, _) in zip(quote.parts, quote.parts[1:]):
        first = _token_at(doc, part_end - located.offset)
        last = _token_at(doc, next_start - located.offset)
        between = [t for t in doc[first:last + 1] if not in_quote[t.i]]
        found = _speech_verb_with_subject(between, quoted_words=in_quote)
        if found is not None:
            return found
    before = _before_tokens(located, in_quote)
    colon = bool(before) and before[-1].text == ":"
    if colon:
        found = _speech_verb_with_subject(reversed(before)) or _clause_subject(before)
        if found is not None:
            return found
    after = _after_tokens(located, in_quote)
    words = [t for t in after if not t.is_punct][:MAX_WORDS_TO_TRAILING_CUE]
    found = _speech_verb_with_subject([t for t in after if t in words or t.lower_ == "according"],
                                      trailing=True)
    if found is not None:
        return found
    governing = _governing_speech_verb(located, in_quote)
    if governing is not None:
        return governing
    found = _speech_verb_with_subject(reversed(before[-MAX_WORDS_TO_TRAILING_CUE - 2:]))
    return found or _attribution_sentence_after(located, in_quote)


def _attribution_sentence_after(located: QuoteTokens, in_quote: list[bool]
                                ) -> Attribution | None:
    """“… all options are open.” Egypt's foreign minister told parliament. — a sentence that
    only attributes (its speech verb reports nothing of its own) right after the quotation."""
    doc = located.doc
    following = located.last + 1
    while following < len(doc) and doc[following].is_space:
        following += 1
    if following >= len(doc) or "\n" in located.text[
            located.offset + doc[located.last].idx:located.offset + doc[following].idx]:
        return None
    sentence = doc[following].sent
    if sentence.start != following:
        return None
    for token in sentence:
        if not in_quote[token.i] and is_speech_verb(token) and _reports_nothing(token):
            subject = speaking_subject(token, quoted=True)
            if subject is not None:
                return Attribution(subject, token, cue_text(token))
    return None


def _reports_nothing(verb: Token) -> bool:
    """A speech verb with no content of its own: "said", "told parliament"."""
    for child in verb.children:
        if child.dep_ in ("ccomp", "xcomp"):
            return False
        if child.dep_ == "dobj" and verb.lower_ not in ("told", "tells", "tell"):
            return False  # a told object is the listener, any other is content
    return True


def _before_tokens(located: QuoteTokens, in_quote: list[bool]) -> list[Token]:
    """Tokens from the start of the quotation's sentence up to its opening mark."""
    doc = located.doc
    sentence_start = doc[located.first].sent.start
    tokens = []
    for token in reversed(doc[sentence_start:located.first]):
        if in_quote[token.i]:
            break  # never look past another quotation
        tokens.insert(0, token)
    return tokens


def _after_tokens(located: QuoteTokens, in_quote: list[bool]) -> list[Token]:
    """Tokens from the closing mark to the end of its sentence; into the next sentence
    when the quotation ends on a comma (“…,” / she said.)."""
    doc = located.doc
    sentence_end = doc[located.last].sent.end
    quote = located.quote
    inner = located.text[quote.parts[-1][0]:quote.parts[-1][1]]
    ends_open = inner.rstrip()[-1:] in (",", "—", "–")
    if ends_open and located.last + 1 >= sentence_end and sentence_end < len(doc):
        sentence_end = doc[sentence_end].sent.end
    tokens = []
    for token in doc[located.last + 1:sentence_end]:
        if in_quote[token.i] or "\n" in token.text:
            break
        tokens.append(token)
    return tokens


def _speech_verb_with_subject(tokens, trailing: bool = False, quoted_words: list[bool] | None = None
                              ) -> Attribution | None:
    """The first speech verb among the tokens that has a speaker (or, in the attribution
    trailing a quotation, sits right after one)."""
    tokens = list(tokens)
    for token in tokens:
        if is_speech_verb(token) or _is_characterising(token):
            subject = speaking_subject(token, quoted=True)
            if subject is not None and quoted_words is not None and quoted_words[subject.i]:
                # “… Every tonne we export …,” said the minister, X. “…” — the parser took a
                # noun inside the quotation as the subject; the speaker follows the verb.
                subject = _inverted_subject(token, tokens)
            if subject is None and trailing:
                subject = _stranded_subject(token, tokens)
            if subject is not None:
                return Attribution(subject, token, cue_text(token))
    return None


def _inverted_subject(verb: Token, tokens: list[Token]) -> Token | None:
    """"said the minister, Batbayar Enkhtuvshin": the first speaker-like noun after the verb."""
    for token in tokens:
        if token.i > verb.i and token.tag_ in ("NN", "NNS", "NNP", "NNPS", "PRP") and is_speaker_like(
                token, strong_verb=True):
            return token
    return None


def _is_characterising(token: Token) -> bool:
    """"described the detention as “…”", "called it “…”": the quotation is the speaker's."""
    return token.lower_ in CHARACTERISING_FORMS and token.tag_ in ("VBD", "VBZ", "VBP", "VBN")


def _stranded_subject(verb: Token, tokens: list[Token]) -> Token | None:
    """“…,” the commission's spokeswoman, Fatou Ndiaye, said. — when the parser hangs the
    subject on the quotation, take the noun phrase between the quotation and the verb."""
    span = sorted((t for t in tokens if t.i < verb.i), key=lambda t: t.i)
    if not span or any(t.is_sent_start for t in span[1:]):
        return None
    first, last = span[0].i, verb.i - 1
    for token in span:
        outside = not first <= token.head.i <= last
        if outside and token.tag_ in ("NN", "NNS", "NNP", "NNPS", "PRP") and is_speaker_like(
                token, strong_verb=True):
            return token
    return None


def _clause_subject(before: list[Token]) -> Attribution | None:
    """"Okafor was unequivocal: “…”": the subject of the clause before the colon."""
    for token in reversed(before):
        if token.dep_ == "nsubj" and is_speaker_like(token, strong_verb=True):
            return Attribution(token, None, None)
    return None


def _governing_speech_verb(located: QuoteTokens, in_quote: list[bool], naming: bool = True
                           ) -> Attribution | None:
    """The speech verb whose clause holds the quotation ("said Brasília was ready for “…”");
    with naming, also a characterising verb ("described the detention as ‘…’")."""
    doc = located.doc
    inner = [t for t in doc[located.first:located.last + 1] if in_quote[t.i]]
    for token in inner:
        if located.first <= token.head.i <= located.last and token.head.i != token.i:
            continue
        for ancestor in token.ancestors:
            if in_quote[ancestor.i]:
                continue
            if _crosses_paragraph(located, ancestor):
                break
            if is_speech_verb(ancestor) or naming and _is_characterising(ancestor):
                subject = speaking_subject(ancestor, quoted=True)
                if subject is not None:
                    return Attribution(subject, ancestor, cue_text(ancestor))
    return None


def _crosses_paragraph(located: QuoteTokens, token: Token) -> bool:
    """Whether a paragraph break lies between the quotation and a token."""
    doc, offset = located.doc, located.offset
    if token.i > located.last:
        start, end = doc[located.last].idx, token.idx
    else:
        start, end = token.idx, doc[located.first].idx
    return "\n" in located.text[offset + start:offset + end]


def previous_sentence_subject(located: QuoteTokens) -> Token | None:
    """The person-like subject of the sentence before the quotation, in its paragraph."""
    doc = located.doc
    sentence = doc[located.first].sent
    if sentence.start == 0:
        return None
    previous = doc[sentence.start - 1].sent
    offset = located.offset
    if "\n" in located.text[offset + previous.start_char:offset + sentence.start_char]:
        return None
    for token in previous:
        if token.dep_ == "nsubj" and token.head.dep_ == "ROOT" and is_speaker_like(token) and (
                token.lower_ != "it"):
            return token
    return None


def is_statement(located: QuoteTokens, in_quote: list[bool], attribution: Attribution | None,
                 text: str) -> bool:
    """Whether a quotation is someone's words rather than a scare quote, name or title."""
    quote = located.quote
    inner = text[quote.start:quote.end]
    words = [w for w in inner.split() if any(c.isalnum() for c in w)]
    if not words:
        return False
    if len(quote.parts) > 1:
        return True  # split by its own attribution
    ending = inner.rstrip()[-1:]
    sentence_like = ending in ".!?…"
    if not sentence_like and (_is_title(words) or _label_marker(located.doc, located.first)):
        return False
    if sentence_like or len(words) > SHORT_QUOTE_WORDS:
        return True
    # A short piece counts when a speech verb governs it or an attribution follows it;
    # "what the industry calls a “mosaic”" only names a thing.
    if attribution is None:
        return False
    if _governing_speech_verb(located, in_quote, naming=False) is not None:
        return True
    if _characterises_something(attribution):
        return True
    trailing = attribution.verb is not None and attribution.verb.i > located.last
    return trailing and ending in (",", "—", "–") and is_speech_verb(attribution.verb)


def _characterises_something(attribution: Attribution) -> bool:
    """"the ministry called Western concerns “Cold War thinking”": a speaker's verdict on
    a thing; "what the industry calls a “mosaic”" or "diplomats call it “…”" only name it."""
    verb, subject = attribution.verb, attribution.subject
    if verb is None or subject is None or not _is_characterising(verb):
        return False
    if verb.dep_ == "relcl" or not is_speaker_like(subject) or subject.tag_ == "NNS":
        return False
    objects = [c for c in verb.children if c.dep_ in ("dobj", "dative")]
    return bool(objects) and objects[0].lower_ not in ("it", "them", "this", "that", "what",
                                                        "which")


def _label_marker(doc: Doc, first: int) -> bool:
    """"the so-called “…”", "a plan dubbed “…”": a word that names rather than quotes."""
    i = first - 1
    while i >= 0 and doc[i].lower_ in ("the", "a", "an", "as", "its", "their"):
        i -= 1
    if i < 0:
        return False
    token = doc[i]
    if token.lower_ not in LABEL_MARKERS:
        return False
    # "what Okafor called “a farce”" quotes Okafor: a finite verb with a speaker.
    subject = find_subject(token) if token.tag_ in ("VBD", "VBZ", "VBP") else None
    return not (subject is not None and is_speaker_like(subject))


def _is_title(words: list[str]) -> bool:
    """“Partnership for Peace”, “Blue Corridor”: every main word capitalised."""
    main = [w.strip("'\"“”‘’()[],.:;") for w in words if w.lower() not in _SMALL_WORDS]
    main = [w for w in main if w]
    if not main or len(words) > 8:
        return False
    return all(w[0].isupper() or w[0].isdigit() for w in main)
