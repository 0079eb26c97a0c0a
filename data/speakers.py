"""Who says it: the subject of a speech verb, its noun phrase, and who a pronoun means.

The pipeline runs without NER, so names come from the tagger and the parser: a chain of
proper nouns is a person when a title, an honorific or a role in apposition says so, an
organisation when it holds an organisation word, and otherwise a place or an unknown
name. A `Discourse` remembers, in reading order, the people and groups mentioned outside
quotations, so that "he", "the minister" or "Okafor" resolves to the full name introduced
earlier ("Foreign Minister Maria Okafor").
"""

from bisect import bisect_left, insort
from collections.abc import Iterator
from dataclasses import dataclass, field

from spacy.tokens import Span, Token

from data.cues import (
    FEMALE_WORDS,
    GROUP_PRONOUNS,
    MALE_WORDS,
    NARRATOR_PRONOUNS,
    ORGANISATION_HEADS,
    ORGANISATION_WORDS,
    PERSON_ROLES,
    PERSONAL_PRONOUNS,
    THING_NOUNS,
    TITLE_WORDS,
)
from data.names import (
    NAME_TAGS,
    NOUN_TAGS,
    appositive_name,
    is_name_piece,
    join_tokens,
    looks_like_person,
    name_chain,
    noun_phrase,
    split_title,
)

RELATIVE_PRONOUNS = {"who", "which", "that", "whom"}
DEFINITE = {"the", "this", "that", "these", "those"}
DOCUMENT_NOUNS = {"statement", "communique", "communiqué", "letter", "declaration", "note",
                  "post", "notice", "release", "message"}
PARTICIPLE_DEPS = {"advcl", "xcomp", "acl", "pcomp", "conj", "relcl", "ccomp", "dep"}


def find_subject(verb: Token) -> Token | None:
    """The token naming who performs a speech verb, or None when nobody is named."""
    if verb.lower_ == "according":
        for child in verb.children:
            if child.lower_ == "to":
                return next((t for t in child.children if t.dep_ == "pobj"), None)
        return None
    for child in verb.children:
        if child.dep_ == "nsubj":
            if child.lower_ in RELATIVE_PRONOUNS and verb.dep_ == "relcl":
                return verb.head
            return child
    quoting_verb = _quoting_verb(verb)
    if quoting_verb is not None:  # "the agency quoted Okafor as saying"
        for child in quoting_verb.children:
            if child.dep_ in ("dobj", "nsubjpass"):
                return child
        # A mis-tagged object ("quoted a regional fisheries official/JJ as saying").
        between = [c for c in quoting_verb.children if quoting_verb.i < c.i < verb.head.i]
        return between[-1] if between else None
    if any(child.dep_ == "nsubjpass" for child in verb.children):
        return None  # "talks were ruled out": nobody is named
    head = verb.head
    if head.i == verb.i or verb.dep_ not in PARTICIPLE_DEPS:
        return None
    if verb.dep_ == "acl" and verb.tag_ == "VBN" and verb.lower_.endswith(("ed", "said", "told")):
        # "Ukraine's deputy minister, Olena Kovalchuk, posted on X: …" misread as a
        # participle modifying the minister; not "the statement posted on its website".
        if head.lower_ not in DOCUMENT_NOUNS and is_speaker_like(head) and not any(
                c.dep_ == "agent" for c in verb.children):
            return head
        return None
    if verb.dep_ == "conj" or verb.tag_ == "VBG":
        if head.tag_ in NOUN_TAGS and verb.dep_ == "acl":
            # "the ministry issued a statement saying ...": the statement's issuer speaks.
            return find_subject(head.head) if head.head.i != head.i else None
        if head.tag_.startswith("VB"):
            return find_subject(head)
    return None


def _quoting_verb(verb: Token) -> Token | None:
    """The "quoted" in "X was quoted as saying" / "quoted X as saying", if any."""
    head = verb.head
    if head.lower_ == "as" and head.head.lower_ in ("quoted", "quoting", "cited", "citing"):
        return head.head
    return None


def is_speaker_like(token: Token, strong_verb: bool = False) -> bool:
    """Whether a subject can make a statement: a person, a group, an organisation, a name;
    before a verb that only speech uses ("said", "told"), any noun that is not a thing."""
    lower = token.lower_
    if strong_verb and token.tag_ in NOUN_TAGS and lower not in THING_NOUNS:
        return True
    if lower in PERSONAL_PRONOUNS or lower in GROUP_PRONOUNS or lower == "it":
        return True
    if lower in NARRATOR_PRONOUNS or lower in RELATIVE_PRONOUNS:
        return False
    if name_chain(token):
        return True
    if lower in PERSON_ROLES or lower in ORGANISATION_HEADS:
        return True
    return any(child.dep_ == "appos" and name_chain(child) for child in token.children)


@dataclass(eq=False)
class Entity:
    """A person, organisation or group the article mentions."""

    name: str
    # "person", "role" (a person known by role only), "organisation", "group", or "name"
    # (a place or a name not known to be a person's)
    kind: str
    words: tuple[str, ...]  # lower-case words of the name
    roles: set[str] = field(default_factory=set)
    gender: str | None = None
    last_named: int = -1  # offset of the latest mention by name
    head: str = ""  # lower-case head noun of a role or organisation phrase ("spokesman")


@dataclass
class Mention:
    """One mention of an entity: where, and whether as a subject or as a speaker."""

    position: int
    entity: Entity
    is_subject: bool
    spoke: bool = False


@dataclass
class Speaker:
    """Who a statement is attributed to."""

    name: str | None
    mention: str | None
    entity: Entity | None = None


class Discourse:
    """The people and groups of one article, in reading order, for resolving back-references."""

    def __init__(self) -> None:
        self.mentions: list[Mention] = []
        self.people_by_word: dict[str, list[Entity]] = {}
        self.by_token: dict[tuple[int, int], Mention] = {}  # (doc id, token index) -> mention

    def observe(self, sentence: Span, offset: int, in_quote: list[bool]) -> None:
        """Register the names mentioned in a sentence outside quotations."""
        for token in sentence:
            if in_quote[token.i] or not is_name_piece(token):
                continue
            following = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
            if following is not None and following.i < sentence.end and (
                    is_name_piece(following) and following.head.i > token.i
                    or following.tag_ == "HYPH" and token.idx + len(token) == following.idx):
                continue  # not the last word of the name
            chain = name_chain(token)
            if chain:
                self._register(token, chain, offset)
        for token in sentence:
            # "a representative of a small island state put it plainly. “…,” she said."
            if (token.dep_ in ("nsubj", "nsubjpass") and token.tag_ == "NN"
                    and token.lower_ in PERSON_ROLES and not in_quote[token.i]
                    and appositive_name(token) is None):
                self._register_role(token, offset)

    def _register_role(self, token: Token, offset: int) -> None:
        """A person known only by a role, as a subject: an antecedent for he or she."""
        position = offset + token.idx
        phrase = noun_phrase(token)
        entity = self._back_reference(token, phrase, position) or Entity(
            phrase.text, "role", tuple(t.lower_ for t in phrase), {token.lower_},
            _gender_of({token.lower_}), head=token.lower_)
        mention = Mention(position, entity, True)
        self._add(mention)
        self.by_token[(id(token.doc), token.i)] = mention

    def _register(self, token: Token, chain: list[Token], offset: int) -> None:
        titles, name = split_title(chain)
        words = tuple(t.lower_ for t in name)
        lowered = {t.lower_ for t in chain}
        roles = {t.lower_ for t in titles} | _appositive_roles(token)
        is_subject = token.dep_ in ("nsubj", "nsubjpass") or (
            token.dep_ == "appos" and token.head.dep_ in ("nsubj", "nsubjpass"))
        if all(w in TITLE_WORDS or w in PERSON_ROLES for w in words):
            return  # "the Foreign Minister": a role, resolved as a back-reference
        known = self._find_person(words)
        if lowered & ORGANISATION_WORDS or (len(chain) == 1 and token.text.isupper()
                                            and len(token.text) > 1):
            entity = Entity(noun_phrase(token).text, "organisation", words, head=token.lower_)
        elif known is not None:
            entity = known
            if len(words) > len(entity.words):
                entity.name, entity.words = join_tokens(name), words
        elif roles or looks_like_person(name):
            entity = Entity(join_tokens(name), "person", words)
        else:
            entity = Entity(noun_phrase(token).text, "name", words, head=token.lower_)
        mention = Mention(offset + chain[0].idx, entity, is_subject)
        if entity.kind == "person":
            entity.roles |= roles
            entity.gender = entity.gender or _gender_of(lowered | roles)
            entity.last_named = mention.position
            for word in entity.words:
                people = self.people_by_word.setdefault(word, [])
                if entity not in people:
                    people.append(entity)
        self._add(mention)
        self.by_token[(id(token.doc), token.i)] = mention

    def _find_person(self, words: tuple[str, ...]) -> Entity | None:
        """The most recently named person whose name contains these words, or is
        contained in them ("Okafor" -> "Maria Okafor")."""
        candidates = {id(e): e for word in words for e in self.people_by_word.get(word, ())}
        matching = [e for e in candidates.values()
                    if _contains(e.words, words) or _contains(words, e.words)]
        return max(matching, key=lambda e: e.last_named, default=None)

    def resolve(self, subject: Token, offset: int) -> Speaker:
        """The speaker a subject token names, resolving pronouns, roles and surnames."""
        position = offset + subject.idx
        lower = subject.lower_
        if lower in PERSONAL_PRONOUNS:
            entity = self._recent_person(position, PERSONAL_PRONOUNS[lower])
            if entity is not None:
                entity.gender = entity.gender or PERSONAL_PRONOUNS[lower]
                return Speaker(entity.name, subject.text, entity)
            return Speaker(subject.text, subject.text)
        if lower in GROUP_PRONOUNS or lower == "it":
            # "it" is an organisation, or a place that has spoken ("Beijing said ... It added").
            if lower == "it":
                entity = self._recent(position, lambda m: m.entity.kind == "organisation"
                                      or m.spoke and m.entity.kind == "name")
            else:
                entity = self._recent(position, lambda m: m.entity.kind in ("group",
                                                                           "organisation"))
            if entity is not None:
                return Speaker(entity.name, subject.text, entity)
            return Speaker(subject.text if lower != "it" else None, subject.text)
        appositive = appositive_name(subject)
        if appositive is not None:
            subject = appositive  # "the foreign minister (of Niger), Maria Okafor, said"
        mention = self.by_token.get((id(subject.doc), subject.i))
        if mention is not None:
            chain = name_chain(subject)
            surface = join_tokens(chain) if chain and mention.entity.kind != "organisation" else (
                noun_phrase(subject).text)
            self._add(Mention(position, mention.entity, True, spoke=True))
            return Speaker(mention.entity.name, surface, mention.entity)
        author = _author_of_document(subject)
        if author is not None:  # "a joint statement by the two negotiators said"
            return self.resolve(author, offset)
        phrase = noun_phrase(subject)
        entity = self._back_reference(subject, phrase, position)
        if entity is None:
            kind = "group" if subject.tag_ in ("NNS", "NNPS") else (
                "organisation" if lower in ORGANISATION_HEADS else "role")
            entity = Entity(phrase.text, kind, tuple(t.lower_ for t in phrase),
                            {lower} if kind == "role" else set(), _gender_of({lower}),
                            head=lower)
        self._add(Mention(position, entity, True, spoke=True))
        return Speaker(entity.name, phrase.text, entity)

    def _add(self, mention: Mention) -> None:
        """Keep mentions in reading order: speakers are resolved after all names are seen."""
        insort(self.mentions, mention, key=lambda m: m.position)

    def resolve_label(self, label: str) -> Speaker:
        """The speaker a transcript label names: "VARGAS" -> "Lucia Vargas"."""
        words = tuple(word.lower() for word in label.split())
        person = self._find_person(words)
        if person is not None:
            return Speaker(person.name, label, person)
        return Speaker(label, label)

    def _back_reference(self, subject: Token, phrase: Span, position: int) -> Entity | None:
        """"the minister" -> the person titled minister; "the ministry" -> "Russia's foreign
        ministry"; None for a phrase that introduces someone new ("a defence official")."""
        first = phrase[0].lower_
        if first not in DEFINITE or any(
                t.dep_ == "poss" or t.tag_ in NAME_TAGS and t.lower_ not in TITLE_WORDS
                and t.lower_ not in PERSON_ROLES for t in phrase):
            return None
        head = subject.lower_
        modifiers = {t.lower_ for t in phrase if t.i != subject.i and t.lower_ not in DEFINITE}
        if head in PERSON_ROLES:
            person = self._recent(position, lambda m: m.entity.kind == "person"
                                  and head in m.entity.roles
                                  and modifiers <= m.entity.roles | {head})
            if person is None:
                person = self._recent(position, lambda m: m.entity.kind == "person"
                                      and head in m.entity.roles)
            if person is not None:
                return person
        return self._recent(position, lambda m: m.entity.kind not in ("person", "name")
                            and m.entity.head == head)

    def _before(self, position: int) -> Iterator[Mention]:
        """Mentions before a character offset, latest first."""
        end = bisect_left(self.mentions, position, key=lambda m: m.position)
        return (self.mentions[i] for i in range(end - 1, -1, -1))

    def _recent(self, position: int, accept) -> Entity | None:
        """The entity of the latest mention before position that accept(mention) takes."""
        return next((m.entity for m in self._before(position) if accept(m)), None)

    def _recent_person(self, position: int, gender: str) -> Entity | None:
        """The person a he/she most likely means: recent, gender-compatible, a subject if
        possible (journalists rarely point a pronoun at an object)."""
        best = self._best_person(position, gender, ("person", "role"))
        # A surname met alone ("Okafor vowed ... She said") when nobody else fits.
        return best or self._best_person(position, gender, ("name",), single_word=True)

    def _best_person(self, position: int, gender: str, kinds: tuple[str, ...],
                     single_word: bool = False) -> Entity | None:
        """Within the last few thousand characters, the latest compatible mention, a
        subject mention counting as if it came 400 characters later."""
        best, best_score = None, None
        for mention in self._before(position):
            entity = mention.entity
            if entity.kind not in kinds:
                continue
            if single_word and (len(entity.words) != 1 or not mention.is_subject):
                continue
            if entity.gender not in (None, gender):
                continue
            score = mention.position + (400 if mention.is_subject else 0)
            if best_score is None or score > best_score:
                best, best_score = entity, score
            if position - mention.position > 4000:
                break
        return best


def _author_of_document(subject: Token) -> Token | None:
    """Who issued a statement, letter or communique that "said" something, when named."""
    if subject.lower_ not in DOCUMENT_NOUNS:
        return None
    for child in subject.children:
        if child.dep_ == "prep" and child.lower_ in ("by", "from") or child.dep_ == "agent":
            author = next((c for c in child.children if c.dep_ == "pobj"), None)
            if author is not None:
                return author
    return None


def _appositive_roles(token: Token) -> set[str]:
    """Roles given in apposition: "Okafor, the foreign minister," / "the minister, Okafor,"."""
    roles: set[str] = set()
    related = [c for c in token.children if c.dep_ == "appos"]
    if token.dep_ == "appos":
        related.append(token.head)
    for other in related:
        if other.lower_ in PERSON_ROLES:
            roles.add(other.lower_)
            roles |= {c.lower_ for c in other.lefts if c.dep_ in ("amod", "compound")}
    return roles


def _gender_of(words: set[str]) -> str | None:
    if words & FEMALE_WORDS:
        return "f"
    if words & MALE_WORDS:
        return "m"
    return None


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    """Whether shorter is a contiguous run of longer's words."""
    if not shorter or len(shorter) > len(longer):
        return False
    return any(longer[i:i + len(shorter)] == shorter for i in range(len(longer) - len(shorter) + 1))
