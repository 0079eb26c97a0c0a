"""Reported speech: "X said (that) ...", "..., X said", "according to X, ...", "X denied
reports that ...", "X called for ...", "X urged Y to ...", read off the dependency parse.

A candidate is a speech verb outside quotation marks, with a subject that can speak
(checked with `is_speaker_like`), and the tokens of its content: the clause it reports,
its object, or its infinitive. Verbs without a speaker-like subject are narration.
"""

from dataclasses import dataclass

from spacy.tokens import Span, Token

from data.cues import (
    CLAUSE_VERBS,
    EXCLUDED_PARTICLE,
    INFINITIVE_VERBS,
    NARRATOR_PRONOUNS,
    OBJECT_VERBS,
    OPEN_OBJECT_VERBS,
    PREPOSITION_CUES,
    REQUIRED_PARTICLE,
    REQUIRED_PREPOSITION,
    SPEECH_FORMS,
    STRONG_SPEECH_VERBS,
)
from data.speakers import find_subject, is_speaker_like

# Content shorter than this many words is a fragment, not a statement.
MIN_CONTENT_WORDS = 2
# "did not say whether ..." reports nothing; "did not rule out talks" does.
_NEGATION_EMPTIES = {"say", "tell", "comment", "confirm", "add", "elaborate", "explain"}
_TAIL_CONNECTIVES = {"though", "although", "while", "whereas", "after", "despite", "amid"}
_RELATIVE_WORDS = {"that", "which", "who", "whom", "what"}
_TELL = {"tell", "tells", "told", "telling"}
_LEADING_NOISE = {"that", ",", ":", ";", "-", "—", "–", "and", "but"}


@dataclass
class Reported:
    """One reported statement: its cue verb, its subject token and its content tokens."""

    verb: Token
    subject: Token
    first: int  # first content token index
    last: int  # last content token index (inclusive)
    cue: str


def is_speech_verb(token: Token) -> bool:
    """A speech or stance verb in this use (with "out" for "ruled out")."""
    lemma = SPEECH_FORMS.get(token.lower_)
    if lemma is None:
        return False
    if lemma == "according":
        return any(child.lower_ == "to" for child in token.children)
    if not token.tag_.startswith("VB") or token.dep_ == "amod":
        return False
    if any(c.dep_ == "prt" and c.lower_ == EXCLUDED_PARTICLE.get(lemma) for c in token.children):
        return False
    prepositions = REQUIRED_PREPOSITION.get(lemma)
    if prepositions is not None:
        following = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
        return following is not None and following.lower_ in prepositions and (
            following.dep_ in ("prep", "mark", "prt"))
    particle = REQUIRED_PARTICLE.get(lemma)
    if particle is not None:
        return any(c.dep_ == "prt" and c.lower_ == particle for c in token.children)
    return True


def speaking_subject(verb: Token, quoted: bool = False) -> Token | None:
    """The subject of a speech verb when it can speak; any non-thing noun will do for a
    verb only speech uses, or when a quotation proves that someone speaks."""
    subject = find_subject(verb)
    if subject is None or subject.is_space:  # nobody, or a blanked dateline
        return None
    strong = quoted or SPEECH_FORMS.get(verb.lower_) in STRONG_SPEECH_VERBS
    return subject if is_speaker_like(subject, strong_verb=strong) else None


def cue_text(verb: Token) -> str:
    """The cue as written: "said", "ruled out", "called for", "according to"."""
    lemma = SPEECH_FORMS.get(verb.lower_, "")
    if lemma == "according":
        return verb.text + " to"
    extra = [c.text for c in verb.children if c.dep_ == "prt"
             and c.lower_ == REQUIRED_PARTICLE.get(lemma)]
    prepositions = PREPOSITION_CUES.get(lemma, set())
    extra += [c.text for c in verb.children if c.dep_ == "prep" and c.lower_ in prepositions
              and c.i == verb.i + 1]
    return " ".join([verb.text] + extra)


def find_reported(sentence: Span, in_quote: list[bool]) -> list[Reported]:
    """Every reported statement in one sentence whose cue verb is outside quotations."""
    found = []
    for verb in sentence:
        if in_quote[verb.i] or not is_speech_verb(verb):
            continue
        subject = speaking_subject(verb)
        if subject is None or in_quote[subject.i]:
            continue
        lemma = SPEECH_FORMS[verb.lower_]
        if lemma in _NEGATION_EMPTIES and any(c.dep_ == "neg" for c in verb.children):
            continue
        if any(c.dep_ == "aux" and c.tag_ == "MD" for c in verb.children):
            continue  # "the majority should say so", "will announce": nothing said yet
        span = _content(verb, lemma, sentence)
        if span is None:
            continue
        first, last = _trim(sentence.doc, *span)
        if first is not None:
            first, last = _trim(sentence.doc, first, _trim_tail(sentence.doc, first, last))
        if first is None or _word_count(sentence.doc[first:last + 1]) < MIN_CONTENT_WORDS:
            continue
        if sentence.doc[first].tag_ == "MD":
            continue  # "something officials indicated would not be a problem": no subject
        if lemma != "according" and (first <= subject.i <= last or first <= verb.i <= last):
            continue  # the content must not hold its own attribution
        lowest, highest = min(first, verb.i, subject.i), max(last, verb.i, subject.i)
        if "\n" in sentence.doc[lowest:highest + 1].text:
            continue  # a speech verb never reports across a paragraph break
        found.append(Reported(verb, subject, first, last, cue_text(verb)))
    return found


def _content(verb: Token, lemma: str, sentence: Span) -> tuple[int, int] | None:
    """[first, last] token indices of what the verb reports, before trimming."""
    if lemma == "according":
        return _according_content(verb, sentence)
    children = list(verb.children)
    if lemma in CLAUSE_VERBS:
        found = _reported_clause(verb, lemma, children, sentence)
        if found is not None:
            return found
    if lemma in INFINITIVE_VERBS:
        found = _infinitive_content(verb, children)
        if found is not None:
            return found
    if lemma in PREPOSITION_CUES:
        found = _prepositional_content(verb, PREPOSITION_CUES[lemma], children)
        if found is not None:
            return found
    if lemma in OBJECT_VERBS:
        return _object_content(verb, lemma, children)
    return None


def _reported_clause(verb: Token, lemma: str, children: list[Token], sentence: Span
                     ) -> tuple[int, int] | None:
    """"said (that) ...", "..., she said", "said in a statement that ...", "said reports
    that ... were untrue", and run-on parses of "says this time the project has ..."."""
    clauses = [c for c in children if c.dep_ == "ccomp"]
    if clauses:
        return _clause_content(verb, clauses)
    for find in (_content_before_attribution, _that_clause):
        found = find(verb, sentence)
        if found is not None:
            return found
    obj = next((c for c in children if c.dep_ == "dobj" and c.i > verb.i), None)
    if obj is not None and lemma != "tell" and _has_complement_clause(obj):
        return obj.left_edge.i, obj.right_edge.i
    return _rest_of_sentence(verb, lemma, sentence)


def _has_complement_clause(token: Token) -> bool:
    """"reports that ...", "accusations by Kinshasa that ...": a noun with a clause."""
    return any(t.dep_ == "mark" and t.lower_ in ("that", "whether", "if") for t in token.subtree)


def _rest_of_sentence(verb: Token, lemma: str, sentence: Span) -> tuple[int, int] | None:
    """The parser lost the clause ("says this time the project has ...", "told us the
    army's rejection ... looked like ..."): take the rest of the sentence when it holds
    a finite verb and hangs entirely under the speech verb."""
    doc = verb.doc
    first = verb.i + 1
    while first < sentence.end and (doc[first].dep_ == "prt" or doc[first].is_space):
        first += 1
    if lemma == "tell" and first < sentence.end and doc[first].dep_ in ("dative", "dobj"):
        first = doc[first].right_edge.i + 1  # the listener
    # A clause coordinated with the speech verb (", and the two countries fought ...") is
    # narration, not content.
    stop = next((c.i for c in verb.children if c.dep_ in ("cc", "conj") and c.i > verb.i),
                sentence.end)
    rest = [t for t in doc[first:stop] if not t.is_punct]
    if not rest or doc[first].is_punct or doc[first].dep_ == "prep":
        return None
    if not all(verb.i in (a.i for a in t.ancestors) for t in rest):
        return None
    if any(t.lower_ in _RELATIVE_WORDS and t.dep_ in ("nsubj", "nsubjpass", "dobj") for t in rest):
        return None  # "point out the houses that burned": a relative clause, not a report
    if not any(t.tag_ in ("VBD", "VBZ", "VBP", "MD") for t in rest):
        return None
    return first, rest[-1].i


def _infinitive_content(verb: Token, children: list[Token]) -> tuple[int, int] | None:
    """"vowed to retaliate"; "urged both sides to return" (the span starts at the one
    urged) -- but not "asked me not to name him", which is about the reporting."""
    infinitive = next((c for c in children if c.dep_ == "xcomp" and c.i > verb.i), None)
    if infinitive is None:
        return None
    obj = next((c for c in children if c.dep_ in ("dobj", "dative") and c.i < infinitive.i
                and c.i > verb.i), None)
    if obj is not None and obj.lower_ in NARRATOR_PRONOUNS:
        return None
    if any(t.lower_ in ("named", "identified", "quoted") for t in infinitive.subtree):
        return None  # "asked not to be named"
    first = obj.left_edge.i if obj is not None else infinitive.left_edge.i
    return first, infinitive.right_edge.i


def _prepositional_content(verb: Token, prepositions: set[str], children: list[Token]
                           ) -> tuple[int, int] | None:
    """"called for an immediate ceasefire", "called for the RSF to withdraw", "warned of"."""
    for child in children:
        if child.i <= verb.i:
            continue
        if child.dep_ == "prep" and child.lower_ in prepositions:
            objects = [c for c in child.children if c.dep_ in ("pobj", "pcomp")]
            if objects:
                # "called for the United Kingdom to resume ...": the infinitive belongs too.
                infinitives = [c.right_edge.i for c in children if c.i > child.i and (
                    c.dep_ == "xcomp" or c.dep_ == "advcl" and any(
                        a.lower_ == "to" for a in c.children if a.dep_ == "aux"))]
                return objects[0].left_edge.i, max([child.right_edge.i] + infinitives)
        marks = [c for c in child.children if c.dep_ == "mark" and c.lower_ in prepositions]
        if child.dep_ in ("advcl", "ccomp", "xcomp") and marks and marks[0].i == verb.i + 1:
            return marks[0].i + 1, child.right_edge.i  # the parse of "for X to do"
    return None


def _object_content(verb: Token, lemma: str, children: list[Token]) -> tuple[int, int] | None:
    """"ruled out talks with the rebels", "accused Moscow of stalling", "denied reports
    that ...". A bare object of a verb like "welcomed" or "rejected" ("the deal", "the
    criticism") reports too little to be a statement: it needs a clause."""
    obj = next((c for c in children if c.dep_ in ("dobj", "dative") and c.i > verb.i), None)
    if obj is None or (lemma not in OPEN_OBJECT_VERBS and not _has_complement_clause(obj)):
        return None
    last = obj.right_edge.i
    for child in children:
        # "accused Moscow of stalling", "threatened sanctions against ..."
        if child.i > obj.i and child.dep_ in ("prep", "xcomp", "advcl", "oprd", "ccomp") and (
                not any(t.text == "," for t in verb.doc[last:child.i])):
            if child.dep_ == "prep" and child.lower_ not in ("of", "for", "against", "over",
                                                             "about", "to"):
                continue
            last = max(last, child.right_edge.i)
    return obj.left_edge.i, last


def _clause_content(verb: Token, clauses: list[Token]) -> tuple[int, int]:
    """The reported clause(s): after the verb if any follow it ("said (that) ..."), else
    before it ("..., she said"). A "that" between the verb and the clause starts it
    ("said in a report seen by reporters that ...")."""
    after = [c for c in clauses if c.i > verb.i]
    chosen = after or clauses
    first = min(c.left_edge.i for c in chosen)
    last = max(c.right_edge.i for c in chosen)
    doc = verb.doc
    for clause in chosen:
        # "said it would not recognise the licences, and called for talks": after a comma,
        # a second speech verb reports a statement of its own (without one, "... and urged
        # governments not to send observers" goes on with the same report).
        for conj in clause.children:
            if conj.dep_ == "conj" and conj.i > clause.i and is_speech_verb(conj):
                before = conj.left_edge.i - 1
                if doc[before].dep_ == "cc" and doc[before - 1].text == ",":
                    last = min(last, before - 2)
    if after:
        for token in verb.doc[verb.i + 1:first]:
            if token.lower_ == "that" and token.dep_ == "mark":
                first = token.i + 1
                break
    return first, last


def _trim_tail(doc, first: int, last: int) -> int:
    """Drop what the writer appends after a comma: ", though the two sides remain far
    apart", ", in an effort to ...". (Participles and appositions stay: as often as not
    they carry the speaker's own claim.)"""
    while True:
        comma = next((t.i for t in reversed(doc[first + 1:last + 1]) if t.text == ","), None)
        if comma is None or _word_count(doc[first:comma]) < 3 or comma + 1 > last:
            return last
        opener = doc[comma + 1]
        writers_aside = opener.lower_ in _TAIL_CONNECTIVES or (
            opener.lower_ == "in" and doc[comma + 2:comma + 3].text in ("an", "a", "what"))
        if not writers_aside:
            return last
        last = comma - 1


def _that_clause(verb: Token, sentence: Span) -> tuple[int, int] | None:
    """"said in a statement that ...", "told a briefing that ...": the parser often hangs
    the clause on a noun; take the clause its "that" opens. Under the verb's object
    ("denied reports that ...") the object is part of the content."""
    for token in verb.subtree:
        if token.i <= verb.i or token.lower_ != "that" or token.dep_ != "mark":
            continue
        clause = token.head
        path, first = clause, token.i + 1
        while path.i != verb.i and path.dep_ in ("acl", "relcl", "ccomp", "pobj", "prep",
                                                 "pcomp", "dobj", "npadvmod", "advmod",
                                                 "dative"):
            if path.dep_ == "dobj" and path.head.i == verb.i and verb.lower_ not in _TELL:
                first = path.left_edge.i
            path = path.head
        if path.i == verb.i:
            return first, clause.right_edge.i
        return None
    return None


def _content_before_attribution(verb: Token, sentence: Span) -> tuple[int, int] | None:
    """"Talks will resume next week, the minister said." when parsed with the content as
    the root: the content is everything before the attribution."""
    if verb.dep_ == "ROOT" or verb.head.i > verb.i:
        return None
    attribution_start = min(verb.left_edge.i, verb.i)
    for child in verb.children:
        if child.dep_ == "nsubj":
            attribution_start = min(attribution_start, child.left_edge.i)
    after = [t for t in verb.doc[verb.i + 1:sentence.end] if not t.is_punct]
    # "..., a diplomat told the Monitor": the listener is no content of its own.
    content_deps = ("ccomp", "xcomp") if verb.lower_ in _TELL else ("dobj", "ccomp", "xcomp")
    if any(t.dep_ in content_deps and t.head.i == verb.i for t in after):
        return None
    before = verb.doc[sentence.start:attribution_start]
    if not before or before[-1].text not in (",", "—", "–"):
        return None
    return sentence.start, attribution_start - 1


def _according_content(verb: Token, sentence: Span) -> tuple[int, int] | None:
    """The clause around "according to X": after it, before it, or around it."""
    phrase_first, phrase_last = verb.left_edge.i, verb.right_edge.i
    words_before = [t for t in verb.doc[sentence.start:phrase_first] if not t.is_punct]
    words_after = [t for t in verb.doc[phrase_last + 1:sentence.end] if not t.is_punct]
    if not words_before:
        return phrase_last + 1, sentence.end - 1
    if not words_after:
        return sentence.start, phrase_first - 1
    return sentence.start, sentence.end - 1


def _trim(doc, first: int, last: int) -> tuple[int | None, int]:
    """Drop a leading "that" and punctuation at both ends."""
    while first <= last and (doc[first].lower_ in _LEADING_NOISE or doc[first].is_punct
                             or doc[first].is_space):
        first += 1
    while last >= first and (doc[last].is_punct or doc[last].is_space):
        last -= 1
    return (first, last) if first <= last else (None, last)


def _word_count(span: Span) -> int:
    return sum(1 for t in span if t.is_alpha or t.like_num)
