"""Proper names and speaker phrases read off spaCy's tags and parse (no NER).

A name is a chain of proper nouns ("Foreign Minister Maria Okafor", "Choi Eun-ha"); its
leading title words are split off ("Foreign Minister" | "Maria Okafor"). A speaker's noun
phrase keeps its determiners, modifiers and short "of/for/at" phrases ("a spokesman for
the embassy") and drops appositions and relative clauses.
"""

from spacy.tokens import Span, Token

from data.cues import NAME_PARTICLES, PERSON_ROLES, TITLE_WORDS

NAME_TAGS = {"NNP", "NNPS"}
NOUN_TAGS = {"NN", "NNS", "NNP", "NNPS"}
# First and last words of multi-word proper names that are places or things, not people.
_PLACE_FIRST = {
    "north", "south", "east", "west", "new", "united", "saudi", "sri", "hong", "costa", "san",
    "santo", "sierra", "burkina", "papua", "czech", "central", "democratic", "solomon", "cape",
    "ivory", "kuala", "abu", "addis", "buenos", "rio", "sao", "são", "tel", "los", "las", "port",
    "phnom", "dar", "ho", "st", "st.", "upper", "lower", "gulf", "red", "black", "persian",
    "middle", "latin", "western", "eastern", "northern", "southern", "european", "african",
    "asian", "pacific", "atlantic", "indian", "arctic", "baltic", "caribbean", "mount", "lake",
    "inner", "outer", "greater", "el", "la", "al", "the",
}
_PLACE_LAST = {
    "sea", "strait", "straits", "island", "islands", "river", "province", "region", "city",
    "valley", "bay", "gulf", "ocean", "peninsula", "street", "square", "county", "state",
    "states", "republic", "kingdom", "emirates", "shoal", "reef", "coast", "mountains",
    "desert", "basin", "canal", "border", "district", "airport", "port", "station", "hall",
    "plaza", "agreement", "accord", "accords", "treaty", "day", "week", "zone", "corridor",
    "delta", "plateau", "heights", "bank", "strip", "lanka", "arabia", "korea", "africa",
    "america", "asia", "europe", "zealand", "guinea", "sudan", "leone", "rica", "kong", "delhi",
    "york", "aviv", "salaam", "penh", "lumpur", "aires", "janeiro", "paulo", "east", "west",
    "initiative", "plan", "forum", "summit", "talks", "declaration", "line", "group", "fund",
}


def name_chain(token: Token) -> list[Token]:
    """The proper-name tokens ending at token ("Foreign Minister Maria Okafor"), or []."""
    if not is_name_piece(token):
        return []
    doc = token.doc
    chain = [token]
    i = token.i - 1
    while i >= 0:
        left = doc[i]
        joined = left.idx + len(left) == chain[0].idx  # no space: "Eun-ha"
        inside = token.i >= left.head.i > left.i or (joined and left.tag_ == "HYPH")
        if not inside:
            break
        if not (left.tag_ in NAME_TAGS or left.lower_ in NAME_PARTICLES or joined
                or left.lower_ in TITLE_WORDS):
            break
        chain.insert(0, left)
        i -= 1
    while chain and (chain[0].tag_ == "HYPH" or chain[0].lower_ in NAME_PARTICLES):
        chain.pop(0)
    return chain


def is_name_piece(token: Token) -> bool:
    """A capitalised proper noun, or a piece glued to one by a hyphen."""
    if token.tag_ in NAME_TAGS:
        return token.text[:1].isupper() or token.text[:1].isdigit()
    # "ha" in "Choi Eun-ha" is often mis-tagged: a piece glued to a name by a hyphen counts.
    if token.i >= 2:
        hyphen, before = token.doc[token.i - 1], token.doc[token.i - 2]
        return (hyphen.tag_ == "HYPH" and before.tag_ in NAME_TAGS
                and hyphen.idx == before.idx + len(before) and token.idx == hyphen.idx + 1)
    return False


def split_title(chain: list[Token]) -> tuple[list[Token], list[Token]]:
    """(titles, name): "Foreign Minister Maria Okafor" -> ([Foreign, Minister], [Maria, Okafor])."""
    last_title = -1
    for index, token in enumerate(chain[:-1]):
        if token.lower_ in TITLE_WORDS:
            last_title = index
    return chain[:last_title + 1], chain[last_title + 1:]


def noun_phrase(token: Token) -> Span:
    """The speaker's noun phrase: determiners, modifiers and short prepositional phrases,
    without appositions, relative clauses or anything after a comma."""
    doc = token.doc
    start = token.i
    for child in token.lefts:
        if child.dep_ in ("punct", "cc", "conj", "appos", "relcl", "acl", "advmod", "preconj"):
            continue
        start = min(start, child.left_edge.i)
    end = token.i + 1
    for child in token.rights:
        # "a spokesman for the embassy", "an analyst at a think tank"; not "in Lima",
        # which names where the speaker was rather than who they are.
        if child.dep_ not in ("prep", "compound", "nummod", "case") or child.lower_ not in (
                "of", "for", "at", "from", "to"):
            break
        right = child.right_edge.i + 1
        if right - end > 12 or any(t.text in ",;()—–" for t in doc[end:right]):
            break
        end = right
    # A quotation mark, a comma or a blanked dateline never belongs to the phrase.
    while start < token.i and (doc[start].is_punct or doc[start].is_space):
        start += 1
    while end > token.i + 1 and doc[end - 1].is_punct:
        end -= 1
    return doc[start:end]


def appositive_name(subject: Token) -> Token | None:
    """The name in apposition to a role: "the foreign minister of Niger, Abdoulaye Maïga"."""
    if name_chain(subject) or subject.lower_ not in PERSON_ROLES:
        return None
    for token in subject.subtree:
        if token.dep_ == "appos" and name_chain(token) and token.i > subject.i:
            return token
    return None


def looks_like_person(name: list[Token]) -> bool:
    """A two-word proper name that is not a place: "Maria Okafor", not "South Korea"."""
    return (len(name) >= 2 and name[0].lower_ not in _PLACE_FIRST
            and name[-1].lower_ not in _PLACE_LAST)


def join_tokens(tokens: list[Token]) -> str:
    """The tokens' text as written, spaces included ("Choi Eun-ha")."""
    if not tokens:
        return ""
    doc = tokens[0].doc
    return doc[tokens[0].i:tokens[-1].i + 1].text
