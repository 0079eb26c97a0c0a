"""The statement extractor (data/extract.py and its helpers): one test per convention of
the brief, bad inputs, and property tests that hold for any string."""

import logging
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.extract import extract_many, extract_statements, load_nlp
from data.quotes import find_quotes
from data.schema import CONTEXT, CUE, END, KIND, KINDS, PARTS, SPEAKER, SPEAKER_MENTION, START, TEXT


def extract(text: str) -> list[dict]:
    statements = extract_statements(text)
    check_invariants(text, statements)
    return statements


def check_invariants(text: str, statements: list[dict]) -> None:
    """What every extraction guarantees, whatever the input."""
    previous_end = 0
    for statement in statements:
        assert 0 <= statement[START] < statement[END] <= len(text)
        assert statement[TEXT] == text[statement[START]:statement[END]]
        assert statement[START] >= previous_end, "statements overlap or are not sorted"
        previous_end = statement[END]
        assert statement[KIND] in KINDS
        parts = statement[PARTS]
        assert parts and parts[0][0] == statement[START] and parts[-1][1] == statement[END]
        for (start, end), following in zip(parts, parts[1:] + [None]):
            assert statement[START] <= start < end <= statement[END]
            if following is not None:
                assert end <= following[0]
        assert isinstance(statement[CONTEXT], str)
        assert statement[SPEAKER] is None or isinstance(statement[SPEAKER], str)


def the(statements: list[dict], fragment: str) -> dict:
    """The one statement whose text holds fragment."""
    found = [s for s in statements if fragment in s[TEXT]]
    assert len(found) == 1, f"{len(found)} statements hold {fragment!r}: {statements}"
    return found[0]


def texts(statements: list[dict], kind: str | None = None) -> list[str]:
    return [s[TEXT] for s in statements if kind is None or s[KIND] == kind]


# --- quotation marks, on the raw text -------------------------------------------------------

def inner_parts(text: str) -> list[list[str]]:
    return [[text[a:b] for a, b in quote.parts] for quote in find_quotes(text)]


def test_straight_curly_and_single_quotes():
    text = 'He said "yes." She said “no.” They said ‘maybe.’'
    assert inner_parts(text) == [["yes."], ["no."], ["maybe."]]


def test_apostrophes_do_not_close_single_quotes():
    text = "She said: ‘Russia’s position is clear, and the ministers’ meeting is off.’ Then she left."
    assert inner_parts(text) == [["Russia’s position is clear, and the ministers’ meeting is off."]]


def test_nested_quote_belongs_to_the_outer_one():
    text = "“He told me ‘never’ twice,” she said."
    assert inner_parts(text) == [["He told me ‘never’ twice,"]]


def test_split_quote_joined_across_a_comma():
    text = "“We are ready,” he said, “to talk.”"
    assert inner_parts(text) == [["We are ready,", "to talk."]]


def test_split_quote_joined_across_an_attribution_sentence():
    text = "“We are ready,” the minister said on Monday. “We will talk to anyone.”"
    assert inner_parts(text) == [["We are ready,", "We will talk to anyone."]]


def test_second_quote_with_its_own_attribution_stays_apart():
    text = "“We are ready,” she said. “We are not,” he replied."
    assert inner_parts(text) == [["We are ready,"], ["We are not,"]]


def test_multi_paragraph_quote():
    text = "“The first paragraph ends open.\n\n“The second one closes,” she said."
    assert inner_parts(text) == [["The first paragraph ends open.", "The second one closes,"]]


def test_stray_marks_make_no_quote():
    assert inner_parts('A 5" screen, rock ’n’ roll in the ’90s and a stray “ mark.') == []


# --- direct statements ---------------------------------------------------------------------

def test_simple_quote_with_attribution_after():
    text = "“We will not sign this agreement,” Foreign Minister Maria Okafor said on Monday."
    [statement] = extract(text)
    assert statement[TEXT] == "We will not sign this agreement,"
    assert statement[KIND] == "direct"
    assert statement[PARTS] == [[1, 33]]
    assert statement[SPEAKER] == "Maria Okafor"
    assert statement[SPEAKER_MENTION] == "Foreign Minister Maria Okafor"
    assert statement[CUE] == "said"
    assert statement[CONTEXT] == text


def test_split_quote_is_one_statement_with_two_parts():
    text = "“We are ready,” Okafor said, “to talk to anyone who respects our borders.”"
    [statement] = extract(text)
    assert [text[a:b] for a, b in statement[PARTS]] == [
        "We are ready,", "to talk to anyone who respects our borders."]
    assert statement[START] == 1 and statement[END] == len(text) - 1
    assert statement[SPEAKER] == "Okafor"


def test_colon_introduced_quote():
    text = "A defence ministry official told reporters: “We have no plans to join their patrols.”"
    [statement] = extract(text)
    assert statement[TEXT] == "We have no plans to join their patrols."
    assert statement[SPEAKER] == "A defence ministry official"
    assert statement[CUE] == "told"


def test_quote_in_the_sentence_after_its_speaker():
    text = ("Foreign Minister Maria Okafor spoke after the talks. "
            "Okafor was unequivocal. “We will not sign.”")
    statement = the(extract(text), "We will not sign.")
    assert statement[SPEAKER] == "Maria Okafor"
    assert "Okafor was unequivocal." in statement[CONTEXT]


def test_quote_paragraph_after_a_she_said_paragraph():
    text = ("“The door is open,” Trade Minister Ana Lindqvist said.\n\n"
            "“But it will not stay open forever. We expect an answer by June.”")
    statement = the(extract(text), "But it will not stay open")
    assert statement[SPEAKER] == "Ana Lindqvist"


def test_scare_quotes_and_titles_are_skipped():
    text = ("Both governments have stepped up surveillance of the so-called “shadow fleet” of tankers. "
            "The “Blue Corridor” plan was signed in 2019.")
    assert extract(text) == []


def test_short_fragment_of_a_speaker_is_kept_and_not_also_indirect():
    text = "The minister said Brasília was ready for “frank consultations” with Caracas."
    [statement] = extract(text)
    assert statement[TEXT] == "frank consultations"
    assert statement[KIND] == "direct"
    assert statement[SPEAKER] == "The minister"


def test_fragment_with_the_attribution_after_the_sentence():
    text = "Brasília is ready for “frank consultations” with Caracas, the minister said."
    assert [(s[TEXT], s[KIND], s[SPEAKER]) for s in extract(text)] == [
        ("frank consultations", "direct", "the minister")]


def test_what_someone_calls_a_thing_is_a_label_not_a_statement():
    text = ("Chile holds much of the lithium in a region that the industry calls the “lithium "
            "triangle”. Diplomats call it “agreeing to disagree,” and move on.")
    assert texts(extract(text), "direct") == []


def test_statement_by_a_named_author_of_a_document():
    text = "A joint statement by the two negotiators said the crossings would open in May."
    [statement] = extract(text)
    assert statement[SPEAKER] == "the two negotiators"


def test_unattributed_long_quote_is_still_a_statement():
    [statement] = extract("“Nobody here wants another war over this river.”")
    assert statement[KIND] == "direct" and statement[SPEAKER] is None


def test_interview_turn_label_names_the_speaker():
    text = ("Lucia Vargas, the government's deputy negotiator, spoke to us from Caracas.\n\n"
            "MONITOR: What changed?\n\n"
            "VARGAS: “Both delegations understood that the suspension was hurting everyone.”\n\n"
            "MONITOR: And now?\n\n"
            "VARGAS: “We are prepared to discuss the ceasefire point by point.”")
    statements = extract(text)
    assert texts(statements) == [
        "Both delegations understood that the suspension was hurting everyone.",
        "We are prepared to discuss the ceasefire point by point."]
    assert all(s[SPEAKER] == "Lucia Vargas" and s[SPEAKER_MENTION] == "VARGAS" for s in statements)


def test_transcript_answers_outside_quotes_are_not_statements():
    text = ("Q: Will you sign the deal?\n\n"
            "A: It is too early. Our team needs another month to read the text.\n\n"
            "Q: And the ministry?\n\n"
            "A: A senior official told me in February that the council would not vote this year.")
    assert texts(extract(text)) == ["the council would not vote this year"]


# --- reported speech -------------------------------------------------------------------------

@pytest.mark.parametrize("text, content, speaker, cue", [
    ("Foreign Minister Maria Okafor said that Nigeria would not sign the accord.",
     "Nigeria would not sign the accord", "Maria Okafor", "said"),
    ("Talks will resume next week, the foreign ministry spokesman said.",
     "Talks will resume next week", "the foreign ministry spokesman", "said"),
    ("A defence ministry official told reporters the navy would train with Brazil.",
     "the navy would train with Brazil", "A defence ministry official", "told"),
    ("According to a senior diplomat, the talks will resume on Monday.",
     "the talks will resume on Monday", "a senior diplomat", "According to"),
    ("The talks will resume on Monday, according to a senior diplomat.",
     "The talks will resume on Monday", "a senior diplomat", "according to"),
    ("Russia's foreign ministry denied reports that Moscow had agreed to a ceasefire.",
     "reports that Moscow had agreed to a ceasefire", "Russia's foreign ministry", "denied"),
    ("The ministry called for an immediate halt to the shelling.",
     "an immediate halt to the shelling", "The ministry", "called for"),
    ("Okafor urged both sides to return to the negotiating table.",
     "both sides to return to the negotiating table", "Okafor", "urged"),
    ("The president warned that patience with the rebels was running out.",
     "patience with the rebels was running out", "The president", "warned"),
    ("Mr Daniel Mensah ruled out talks with the rebels.",
     "talks with the rebels", "Daniel Mensah", "ruled out"),
    ("Ms Ana Lima accused Moscow of stalling the talks.",
     "Moscow of stalling the talks", "Ana Lima", "accused"),
    ("The ministry said in a statement that it would not attend the summit.",
     "it would not attend the summit", "The ministry", "said"),
    ("The envoy vowed to keep the channel to Moscow open.",
     "to keep the channel to Moscow open", "The envoy", "vowed"),
])
def test_reported_speech_patterns(text, content, speaker, cue):
    [statement] = extract(text)
    assert statement[KIND] == "indirect"
    assert statement[TEXT] == content
    assert statement[PARTS] == [[statement[START], statement[END]]]
    assert statement[SPEAKER] == speaker
    assert statement[CUE] == cue
    assert statement[CONTEXT] == text


def test_no_reported_speech_for_narration_or_things():
    text = ("The agreement calls for a ceasefire. The storm threatened to delay the talks. "
            "It was announced that the summit would move to Geneva.")
    assert extract(text) == []


def test_reported_speech_is_cut_before_a_quotation_after_a_colon():
    text = "Okafor said the talks had failed: “We will not return to Geneva this year.”"
    assert texts(extract(text)) == ["the talks had failed", "We will not return to Geneva this year."]


def test_dateline_is_not_part_of_the_statement():
    text = "HELSINKI, March 3 (Meridian Wire) — Finland will ask NATO for more patrols, officials said."
    [statement] = extract(text)
    assert statement[TEXT] == "Finland will ask NATO for more patrols"
    assert statement[SPEAKER] == "officials"


# --- speakers ---------------------------------------------------------------------------------

def test_pronouns_resolve_by_gender_from_honorifics():
    text = ("Mr Pedro Costa, the defence minister, met Ms Ana Lima in Lisbon. "
            "She said the talks had been useful. He added that the navy was ready.")
    statements = extract(text)
    assert the(statements, "useful")[SPEAKER] == "Ana Lima"
    assert the(statements, "useful")[SPEAKER_MENTION] == "She"
    assert the(statements, "navy")[SPEAKER] == "Pedro Costa"


def test_role_back_reference_resolves_to_the_titled_name():
    text = ("Foreign Minister Maria Okafor arrived in Lagos on Monday. "
            "The minister said the border would stay closed.")
    statement = the(extract(text), "border")
    assert statement[SPEAKER] == "Maria Okafor"
    assert statement[SPEAKER_MENTION] == "The minister"


def test_surname_resolves_to_the_full_name():
    text = ("Maria Okafor, the foreign minister, met her counterpart on Monday.\n\n"
            "“We will not sign,” Okafor said.")
    statement = the(extract(text), "We will not sign")
    assert statement[SPEAKER] == "Maria Okafor"
    assert statement[SPEAKER_MENTION] == "Okafor"


def test_quoted_as_saying_credits_the_person_quoted():
    text = "The agency quoted Foreign Minister Maria Okafor as saying the deal was dead."
    statement = the(extract(text), "the deal was dead")
    assert statement[SPEAKER] == "Maria Okafor"


def test_organisation_phrases_and_their_back_references():
    text = ("Russia’s foreign ministry said the patrols were a provocation. "
            "The ministry added that Moscow would respond. It said talks were still possible.")
    statements = extract(text)
    assert the(statements, "provocation")[SPEAKER] == "Russia’s foreign ministry"
    assert the(statements, "respond")[SPEAKER] == "Russia’s foreign ministry"
    assert the(statements, "respond")[SPEAKER_MENTION] == "The ministry"
    assert the(statements, "still possible")[SPEAKER_MENTION] == "It"
    assert the(statements, "still possible")[SPEAKER] == "Russia’s foreign ministry"


def test_pronoun_can_point_at_a_speaker_known_only_by_role():
    text = ("When the board met last year, a representative of a small island state put it plainly. "
            "“We did not come here for another workshop,” she told the board.")
    statement = the(extract(text), "another workshop")
    assert statement[SPEAKER] == "a representative of a small island state"
    assert statement[SPEAKER_MENTION] == "she"


# --- the interface ------------------------------------------------------------------------------

ARTICLES = [
    "“We are ready,” Okafor said.",
    "",
    "Officials in Lima said the border would reopen. “Not yet,” a diplomat told us.",
    "No statements here at all.",
]


def test_extract_many_streams_in_input_order():
    results = extract_many(iter(ARTICLES), batch_size=2)
    assert not isinstance(results, list)
    assert list(results) == [extract_statements(text) for text in ARTICLES]


def test_extract_many_in_two_processes_matches_one():
    assert list(extract_many(ARTICLES * 3, batch_size=2, n_process=2)) == list(
        extract_many(ARTICLES * 3, batch_size=2))


def test_load_nlp_is_cached_and_lean():
    nlp = load_nlp()
    assert load_nlp() is nlp
    assert "parser" in nlp.pipe_names and "tagger" in nlp.pipe_names
    assert "ner" not in nlp.pipe_names and "lemmatizer" not in nlp.pipe_names


def test_a_non_string_article_is_refused():
    with pytest.raises(TypeError, match="str"):
        extract_statements(None)


# --- bad inputs -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "", " ", "\n\n\n", "No quotes and no speech verbs here.", '"', "“", "”", "‘", "’", "''",
    "“unclosed quotation that never ends", "” stray closer,” he said.", '"a" "b" "c" "d"',
    "“a ‘b “c ‘d” e’ f” g’", "\x00\x01\x02 “control\x07 chars,” he said.\x1b",
    "„Wir werden nicht unterschreiben“, sagte die Ministerin.", "«Nous sommes prêts», a dit le ministre.",
    "“我们不会签署。”他说。", "قال الوزير: “لن نوقع”", "“Мы не подпишем”, — сказал министр.",
    "“We will\u2028not sign,”\u2029she said.", "\t“tabs\tand\r\nwindows\rline ends,”\the said.",
    "“ spaced out ”  he   said  .", "x" * 5000, "“" + "word " * 3000 + "”", "😀 “emoji 😀 quote,” she said 😀",
])
def test_odd_inputs_never_raise(text, caplog):
    with caplog.at_level(logging.WARNING, logger="data.extract"):
        extract(text)
    assert not caplog.records, "extraction fell back to quotations only"


def test_a_one_megabyte_article_finishes_quickly():
    # ~625 quotations: the first ones parsed, the rest past the parse budget kept unparsed.
    paragraph = ("The delegations met again without result. " * 4).strip()
    quote = "“We will not sign anything that divides the river,” the minister said."
    text = "\n\n".join(paragraph if i % 10 else quote for i in range(7000))[:1_000_000]
    started = time.perf_counter()
    statements = extract(text)
    assert time.perf_counter() - started < 30
    assert len(texts(statements, "direct")) >= 600


@pytest.mark.slow
def test_a_one_megabyte_article_of_dense_news_finishes():
    sentence = ("“The door is open,” Okafor said. Lima said the talks would resume, "
                "according to a diplomat who said the mood had improved. ")
    text = (sentence * 8000)[:1_000_000]
    started = time.perf_counter()
    extract(text)
    assert time.perf_counter() - started < 120


# --- properties: any string ---------------------------------------------------------------------

PIECES = ["“", "”", '"', "‘", "’", "'", "«", "»", " ", "\n", "\n\n", ",", ".", ":", "—",
          " said", " she said", " according to ", "Okafor", " the minister", " told reporters",
          " that", "We will not sign", " talks", "Mr ", "s", "A:", "Q: ", "\t", "\x00"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_any_mix_of_quotes_and_speech_words_gives_valid_statements(text):
    check_invariants(text, extract_statements(text))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_valid_statements(text):
    check_invariants(text, extract_statements(text))


def test_split_quote_with_inverted_attribution_takes_the_speaker_after_the_verb():
    text = ("“We are a landlocked country with two neighbours. Every tonne we export crosses one of them,” "
            "said the minister, Batbayar Enkhtuvshin. “We are ready to start talks tomorrow.”")
    statements = extract_statements(text)
    assert len(statements) == 1
    assert statements[0]["speaker"] == "Batbayar Enkhtuvshin"


def test_speaker_names_carry_no_stray_whitespace():
    text = "ULAANBAATAR, March 3 —\n\nMongolia's minister, Saran Bold, spoke.\n\nShe said: “All options are open.”"
    for statement in extract_statements(text):
        if statement["speaker"]:
            assert statement["speaker"] == " ".join(statement["speaker"].split())
