"""Word lists the statement extractor reads: speech verbs, speaker nouns, titles.

The extractor runs without spaCy's lemmatizer and NER (they cost more than the rest of the
pipeline together), so verbs are matched by their inflected forms and names are told from
places and organisations with the title and organisation words below.
"""


def _inflect(lemma: str) -> set[str]:
    """The regular forms of a verb: add, adds, added, adding."""
    if lemma.endswith("e"):
        stem = lemma[:-1]
        return {lemma, lemma + "s", stem + "ed", stem + "ing"}
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        stem = lemma[:-1]
        return {lemma, stem + "ies", stem + "ied", lemma + "ing"}
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        return {lemma, lemma + "es", lemma + "ed", lemma + "ing"}
    return {lemma, lemma + "s", lemma + "ed", lemma + "ing"}


_IRREGULAR = {
    "say": {"say", "says", "said", "saying"},
    "tell": {"tell", "tells", "told", "telling"},
    "write": {"write", "writes", "wrote", "written", "writing"},
    "rule": {"rule", "rules", "ruled", "ruling"},
    "admit": {"admit", "admits", "admitted", "admitting"},
    "regret": {"regret", "regrets", "regretted", "regretting"},
    "tweet": {"tweet", "tweets", "tweeted", "tweeting"},
    "post": {"post", "posts", "posted", "posting"},
    "signal": {"signal", "signals", "signalled", "signaled", "signalling", "signaling"},
    "emphasise": {"emphasise", "emphasises", "emphasised", "emphasising",
                  "emphasize", "emphasizes", "emphasized", "emphasizing"},
    "criticise": {"criticise", "criticises", "criticised", "criticising",
                  "criticize", "criticizes", "criticized", "criticizing"},
    "forecast": {"forecast", "forecasts", "forecasting"},
}

# Verbs whose reported content is a clause: "X said (that) ...", "..., X said".
CLAUSE_VERBS = {
    "say", "tell", "add", "insist", "stress", "note", "argue", "announce", "confirm", "write",
    "post", "tweet", "claim", "state", "declare", "explain", "suggest", "acknowledge", "admit",
    "assert", "maintain", "reiterate", "emphasise", "underline", "underscore", "repeat",
    "conclude", "concede", "allege", "predict", "reply", "respond", "caution", "complain",
    "contend", "warn", "promise", "vow", "pledge", "threaten", "deny", "signal", "hint",
    "reaffirm", "remark", "observe", "recall", "counter", "indicate", "demand", "recommend",
    "propose", "answer", "retort", "lament", "regret", "estimate", "forecast", "assure",
    "remind",
    "reassure", "urge", "point",
}
# Verbs whose object is the content: "X denied reports that ...", "X ruled out talks".
OBJECT_VERBS = {
    "deny", "dismiss", "reject", "rule", "announce", "confirm", "threaten", "pledge", "promise",
    "propose", "demand", "accuse", "reiterate", "reaffirm", "stress", "emphasise", "underline",
    "underscore", "welcome", "condemn", "criticise", "blame", "warn", "offer", "express",
    "vow", "signal", "predict",
}
# Object verbs whose bare noun-phrase object is already a statement ("ruled out talks",
# "threatened sanctions"); the others need a clause in it ("denied reports that ...").
OPEN_OBJECT_VERBS = {"rule", "threaten", "propose", "demand", "pledge", "promise", "vow",
                     "accuse", "blame", "warn", "urge"}
# Verbs whose content is an infinitive: "X vowed to ...", "X urged Y to ...".
INFINITIVE_VERBS = {
    "vow", "pledge", "threaten", "promise", "offer", "urge", "ask", "tell", "warn", "call",
    "press", "encourage", "invite", "appeal", "refuse",
}
# Verbs that take their content after a preposition: "called for", "warned of/against".
PREPOSITION_CUES = {
    "call": {"for", "on", "upon"},
    "warn": {"of", "against", "about"},
    "insist": {"on"},
    "appeal": {"for", "to"},
    "press": {"for"},
    "push": {"for"},
    "argue": {"for", "against"},
}
# "ruled out", "pointed out": a particle that the verb needs to be a speech verb.
REQUIRED_PARTICLE = {"rule": "out", "point": "out"}
# "called for", "pushed for": without the preposition these verbs name or act.
REQUIRED_PREPOSITION = {"call": {"for", "on", "upon"}, "push": {"for"}}
# "the pledges add up to ...": a particle that makes a speech verb something else.
EXCLUDED_PARTICLE = {"add": "up", "post": "up", "call": "off", "rule": "in"}

# Verbs that mark speech whoever the subject is ("the elder said", "a member told"); the
# others need a subject that is known to speak (a person, a role, an organisation).
STRONG_SPEECH_VERBS = {"say", "tell", "add", "insist", "stress", "announce", "declare", "state",
                       "write", "post", "tweet", "reply", "respond", "reiterate", "claim",
                       "explain", "answer", "retort", "remark", "emphasise", "urge", "warn",
                       "deny", "vow", "pledge", "accuse", "argue"}
# Subjects that are things, not speakers, even before a strong speech verb
# ("the agreement says both sides will ...").
THING_NOUNS = {"agreement", "deal", "plan", "treaty", "accord", "law", "constitution",
               "resolution", "text", "draft", "document", "bill", "proposal", "rule", "rules",
               "data", "figures", "study", "survey", "map", "contract", "sign", "signs",
               "poll", "polls", "evidence", "records", "footage", "video", "image", "images",
               "photo", "photos", "satellite", "it", "this", "that", "which", "what", "there",
               "ruling", "verdict", "judgment", "judgement", "decision", "order", "decree",
               "pledges", "talks", "meeting", "summit", "visit", "move", "step",
               "one", "nothing", "everything", "something", "all", "both", "each", "who"}

SPEECH_LEMMAS = CLAUSE_VERBS | OBJECT_VERBS | INFINITIVE_VERBS | set(PREPOSITION_CUES)

SPEECH_FORMS: dict[str, str] = {}
for _lemma in sorted(SPEECH_LEMMAS):
    for _form in _IRREGULAR.get(_lemma) or _inflect(_lemma):
        SPEECH_FORMS.setdefault(_form, _lemma)
SPEECH_FORMS.update({"according": "according", "quoted": "quote", "quoting": "quote"})
# Common spellings the inflection rules miss.
for _form, _lemma in {"warned": "warn", "warns": "warn", "warning": "warn", "stressed": "stress",
                      "pledged": "pledge", "appealed": "appeal", "appealing": "appeal",
                      "ruled": "rule", "ruling": "rule", "offered": "offer", "offering": "offer",
                      "answered": "answer", "countered": "counter"}.items():
    SPEECH_FORMS[_form] = _lemma

# Verbs that make a quotation the subject's words without being speech verbs:
# "described the detention as “…”", "called the plan “…”", "branded it “…”".
CHARACTERISING_FORMS = {"described", "describes", "called", "calls", "branded", "brands",
                        "labelled", "labeled", "labels", "termed", "terms", "dubbed", "dubs",
                        "characterised", "characterized", "likened", "likens", "hailed",
                        "hails", "denounced", "denounces", "condemned", "condemns"}

# Heads of noun phrases that can speak: people by role, organisations, groups.
PERSON_ROLES = {
    "minister", "ministers", "spokesman", "spokeswoman", "spokesperson", "spokespeople",
    "official", "officials", "diplomat", "diplomats", "envoy", "envoys", "ambassador",
    "ambassadors", "president", "premier", "chancellor", "secretary", "secretary-general",
    "chief", "leader", "leaders", "commander", "commanders", "general", "admiral", "officer",
    "officers", "adviser", "advisers", "advisor", "advisors", "aide", "aides", "analyst",
    "analysts", "researcher", "researchers", "expert", "experts", "professor", "scholar",
    "lawmaker", "lawmakers", "legislator", "legislators", "senator", "senators", "deputy",
    "deputies", "mp", "mps", "negotiator", "negotiators", "mediator", "mediators",
    "representative", "representatives", "delegate", "delegates", "source", "sources",
    "observer", "observers", "governor", "mayor", "king", "queen", "prince", "princess", "emir",
    "sheikh", "sultan", "colonel", "captain", "chairman", "chairwoman", "chair", "head",
    "director", "coordinator", "commissioner", "rapporteur", "consul", "counsellor", "cleric",
    "activist", "activists", "campaigner", "campaigners", "witness", "witnesses", "resident",
    "residents", "fisherman", "fishermen", "farmer", "farmers", "journalist", "editor",
    "columnist", "economist", "economists", "strategist", "veteran", "veterans", "citizen",
    "lawyer", "lawyers", "attorney", "judge", "prosecutor", "prosecutors", "foreign minister", "counterpart", "counterparts", "monitor", "monitors",
    "inspector", "inspectors", "manager", "executive", "executives", "ceo", "founder", "fellow",
    "spokespersons", "dean", "historian", "specialist", "specialists", "worker",
    "workers", "student", "students", "protester", "protesters", "chiefs", "staff",
    "insider", "insiders", "undersecretary", "under-secretary", "vice-president", "secretaries",
    "presidents", "prime", "politician", "politicians", "minister-counsellor", "attaché",
    "mufti", "patriarch", "pope", "cardinal", "bishop", "archbishop", "rabbi", "imam",
    "member", "members", "elder", "elders", "superintendent", "chairperson", "academic",
    "academics", "lecturer", "commentator", "commentators", "people", "man", "woman", "men",
    "women", "villager", "villagers", "trader", "traders", "driver", "drivers", "teacher",
    "doctor", "doctors", "nurse", "soldier", "soldiers", "refugee", "refugees", "survivor",
    "survivors", "owner", "shopkeeper", "voter", "voters", "mother", "father", "pilot",
    "crew", "sailor", "sailors", "guard", "guards", "president-elect", "speaker", "whip", "senior", "consultant", "partner", "undersecretary-general", "emissary",
}
ORGANISATION_HEADS = {
    "ministry", "ministries", "government", "governments", "administration", "office",
    "department", "agency", "council", "committee", "commission", "union", "alliance", "bloc",
    "army", "military", "navy", "embassy", "embassies", "mission", "parliament", "senate",
    "congress", "cabinet", "presidency", "kremlin", "junta", "party", "movement", "group",
    "groups", "coalition", "organisation", "organization", "authority", "authorities", "court",
    "tribunal", "secretariat", "regime", "company", "firm", "bank", "fund", "forces", "force",
    "command", "guard", "police", "assembly", "delegation", "team", "side", "sides",
    "statement", "communique", "communiqué", "spokesperson's office", "foundation", "institute",
    "centre", "center", "think-tank", "tank", "rebels", "insurgents", "militia", "militants",
    "opposition", "leadership", "palace", "house", "pentagon", "chancellery", "ministry's",
    "board", "consulate", "staff", "headquarters", "service",
    "services", "operator", "operators", "airline", "corporation", "association", "federation",
    "network", "watchdog", "regulator", "parliamentarians", "agencies", "bureau", "directorate",
    "inspectorate", "observatory", "courts", "letter", "note", "post", "declaration",
}
ORGANISATION_WORDS = {
    "ministry", "council", "office", "agency", "department", "union", "organisation",
    "organization", "nations", "bank", "fund", "commission", "parliament", "assembly",
    "government", "army", "navy", "forces", "command", "institute", "centre", "center", "group",
    "party", "front", "movement", "committee", "court", "secretariat", "alliance",
    "association", "corporation", "company", "reuters", "afp", "xinhua", "tass", "house",
    "kremlin", "pentagon", "embassy", "mission", "senate", "congress", "cabinet", "guard",
    "police", "coalition", "foundation", "federation", "board", "bureau", "network", "times",
    "post", "news", "agency's", "authority", "tribunal", "presidency", "junta", "university",
    "school", "service", "services", "corps", "brigade", "battalion", "treaty", "pact",
    "community", "forum", "summit", "initiative", "programme", "program", "bloc",
}
FEMALE_WORDS = {"ms", "ms.", "mrs", "mrs.", "miss", "madam", "madame", "spokeswoman",
                "chairwoman", "congresswoman", "queen", "princess", "businesswoman", "she",
                "her", "lady", "dame", "sister", "mother", "wife", "daughter", "woman"}
MALE_WORDS = {"mr", "mr.", "spokesman", "chairman", "congressman", "king", "prince", "he", "him",
              "sheikh", "emir", "sultan", "businessman", "sir", "lord", "brother", "father",
              "husband", "son", "man", "pope", "cardinal", "imam", "rabbi", "ayatollah",
              "patriarch", "mufti"}

# Words that stand before a name as a title ("Foreign Minister Maria Okafor", "Mr Okafor");
# they are dropped from the resolved name and kept as the person's roles.
TITLE_WORDS = {
    "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "dr", "dr.", "prof", "prof.", "professor",
    "president", "vice", "vice-president", "prime", "minister", "foreign", "defence", "defense",
    "interior", "finance", "trade", "economy", "justice", "energy", "deputy", "secretary",
    "secretary-general", "general", "gen", "gen.", "admiral", "adm", "adm.", "colonel", "col",
    "col.", "lt", "lt.", "lieutenant", "major", "maj", "captain", "capt", "capt.", "senator",
    "sen", "sen.", "rep", "rep.", "representative", "ambassador", "envoy", "chancellor", "king",
    "queen", "prince", "princess", "sheikh", "emir", "sultan", "pope", "cardinal", "archbishop",
    "rev", "rev.", "judge", "governor", "gov", "gov.", "mayor", "chairman",
    "chairwoman", "chair", "chief", "commander", "spokesman", "spokeswoman", "spokesperson",
    "special", "senior", "state", "under-secretary", "undersecretary", "premier", "speaker",
    "commissioner", "director", "high", "adviser", "advisor", "national", "security",
    "ayatollah", "imam", "defence-minister", "crown", "marshal", "field", "sergeant", "sgt",
    "lawmaker", "legislator", "mp", "congressman", "congresswoman", "assistant", "acting",
    "former", "opposition", "leader", "head", "chief-of-staff", "staff", "of", "affairs",
    "external", "home", "agriculture", "health", "environment", "development", "cooperation",
    "diplomat", "official", "analyst", "researcher", "negotiator", "mediator", "army", "navy",
    "air", "armed", "forces", "joint", "madam", "madame", "sir", "dame", "lord", "lady",
    "executive", "ceo", "managing", "vice-chair", "co-chair", "first", "chief-executive", "secretary-of-state", "attorney", "attorney-general", "solicitor",
}
# Particles inside names: "Lula da Silva", "Ursula von der Leyen", "Abu Bakr al-Baghdadi".
NAME_PARTICLES = {"da", "de", "del", "della", "di", "do", "dos", "du", "van", "von", "der",
                  "den", "ter", "al", "el", "bin", "ibn", "bint", "abu", "la", "le", "mac"}

# Words before a quotation that mark it as a name or a label, not someone's words.
LABEL_MARKERS = {"so-called", "dubbed", "nicknamed", "codenamed", "code-named", "titled",
                 "entitled", "termed", "labelled", "labeled", "branded", "named", "called",
                 "known", "word", "term", "phrase", "slogan", "motto", "headline", "banner",
                 "billed", "marketed", "styled", "self-styled", "self-described"}

PERSONAL_PRONOUNS = {"he": "m", "she": "f", "him": "m", "her": "f"}
GROUP_PRONOUNS = {"they", "them"}
NARRATOR_PRONOUNS = {"i", "we", "you", "me", "us"}
