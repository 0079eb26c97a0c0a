"""Statement loading and checks, topic splits, near-duplicates, and the corpus's own guarantees."""

import json
from collections import Counter
from pathlib import Path

import pytest

from data.near_duplicates import find_near_duplicates, word_ngrams
from data.schema import CONTEXT, KIND, KINDS, LABEL, LABELS, SPEAKER, TEXT, TOPIC
from data.split import assign_topics, build_splits, split_in_batches, split_statements
from data.split import main as split_main
from data.statements import DataError, load_splits, load_statements

CORPUS = Path(__file__).resolve().parents[1] / "data" / "statements"
SPLIT_FILES = [CORPUS / f"{name}.jsonl" for name in ("train", "dev", "test")]
ALL_FIELDS = ("id", TEXT, LABEL, SPEAKER, CONTEXT, KIND, TOPIC)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_fixture_loads(statements_path):
    statements = load_statements(statements_path)
    assert len(statements) == 12 and {s[LABEL] for s in statements} == set(LABELS)


@pytest.mark.parametrize("line, message", [
    ('{"id": "a", "label": "refusal", "quote": "x"}', "expected fields \\['id', 'label', 'text'\\], found \\['id', 'label', 'quote'\\]"),
    ('{"id": "a", "text": "x", "label": "hostile"}', "unknown label 'hostile'"),
    ('{"id": "a", "text": "x", "label": "refusal", "kind": "quoted"}', "unknown kind 'quoted'"),
    ('{"id": "a", "text": "  ", "label": "refusal"}', "'text' must be a non-empty string"),
    ('{"id": "a", "text": "x", "label": "refusal", "speaker": 3}', "'speaker' must be a string"),
    ('{"id": "a", "text": "x"', "malformed JSON"),
    ('["id", "text"]', "expected a JSON object"),
])
def test_bad_records_name_file_and_line(tmp_path, line, message):
    path = write_lines(tmp_path / "bad.jsonl", ['{"id": "ok", "text": "fine", "label": "neutral"}', line])
    with pytest.raises(DataError, match=f"bad.jsonl:2: {message}"):
        load_statements(path)


def test_duplicate_ids_and_empty_files_are_errors(tmp_path):
    row = '{"id": "a", "text": "x", "label": "neutral"}'
    with pytest.raises(DataError, match="dup.jsonl:2: duplicate id 'a' \\(first at line 1\\)"):
        load_statements(write_lines(tmp_path / "dup.jsonl", [row, row]))
    with pytest.raises(DataError, match="no statements"):
        load_statements(write_lines(tmp_path / "empty.jsonl", []))
    with pytest.raises(DataError, match="no such file"):
        load_statements(tmp_path / "missing.jsonl")


def test_labels_are_not_required_at_prediction_time(tmp_path):
    path = write_lines(tmp_path / "unlabelled.jsonl", ['{"id": 7, "text": "we will talk"}'])
    assert load_statements(path, require_label=False)[0]["id"] == 7


def test_split_is_topic_disjoint_deterministic_and_near_target(statements_path):
    statements = load_statements(statements_path) * 1
    rows = [dict(s, topic=f"t{i % 20}", id=f"r{i}") for i, s in enumerate(statements * 10)]
    first, second = split_statements(rows, seed=13), split_statements(rows, seed=13)
    assert first == second
    topics = {name: {s[TOPIC] for s in part} for name, part in first.items()}
    assert not topics["train"] & topics["dev"] and not topics["train"] & topics["test"] and not topics["dev"] & topics["test"]
    assert sum(len(part) for part in first.values()) == len(rows)
    assert 0.6 <= len(first["train"]) / len(rows) <= 0.8


def test_assign_topics_fills_towards_shares():
    assignment = assign_topics({f"t{i}": 10 for i in range(40)}, seed=1)
    assert Counter(assignment.values()) == Counter({"train": 28, "dev": 6, "test": 6})


def test_kept_topics_stay_and_new_topics_fill_the_deficit():
    kept = {f"t{i}": "train" for i in range(10)}
    counts = {**{topic: 10 for topic in kept}, **{f"n{i}": 10 for i in range(10)}}
    assignment = assign_topics(counts, seed=1, kept=kept)
    assert all(assignment[topic] == "train" for topic in kept)
    # 200 statements: train already holds 100 of its 140, dev and test none of their 30 each.
    assert Counter(assignment[f"n{i}"] for i in range(10)) == Counter({"train": 4, "dev": 3, "test": 3})


def test_a_later_batch_never_moves_an_earlier_topic(statements_path):
    statements = load_statements(statements_path)
    first = [dict(s, topic=f"a{i % 6}", id=f"a{i}") for i, s in enumerate(statements * 5)]
    second = [dict(s, topic=f"b{i % 6}", id=f"b{i}") for i, s in enumerate(statements * 5)]
    before = split_in_batches([first])
    after = split_in_batches([first, second])
    def where(splits: dict[str, list[dict]]) -> dict[str, str]:
        return {s["topic"]: name for name, part in splits.items() for s in part}
    assert {t: n for t, n in where(after).items() if t.startswith("a")} == where(before)
    assert sum(len(part) for part in after.values()) == len(first) + len(second)


def test_split_plan_errors_name_the_file_and_the_part(tmp_path, statements_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "one.jsonl").write_text(statements_path.read_text(encoding="utf-8"), encoding="utf-8")
    second = [dict(s, id=f"two-{s['id']}", topic="another-dispute") for s in load_statements(statements_path)]
    write_lines(parts / "two.jsonl", [json.dumps(s) for s in second])
    plan = tmp_path / "splits.toml"
    plan.write_text('batches = [["one"]]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"splits.toml: part files \['two'\] are in no batch"):
        build_splits(parts, plan)
    plan.write_text('batches = [["one", "three"]]\n', encoding="utf-8")
    with pytest.raises(DataError, match="part 'three' has no file"):
        build_splits(parts, plan)
    plan.write_text('batches = [["one"], ["two", "one"]]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"parts \['one'\] are listed more than once"):
        build_splits(parts, plan)
    plan.write_text('batches = [["one"], ["two"]]\n', encoding="utf-8")
    assert split_main(["--parts", str(parts), "--out", str(tmp_path / "out")]) == 0
    written = [(tmp_path / "out" / f"{n}.jsonl").read_text(encoding="utf-8").splitlines() for n in ("train", "dev", "test")]
    assert sum(map(len, written)) == 24


def test_near_duplicates_are_found_and_distinct_texts_pass():
    statements = [
        {"id": "a", "text": "We are ready to sit down with them at any time and any place"},
        {"id": "b", "text": "We are ready to sit down with them at any time and in any place"},
        {"id": "c", "text": "The ministers will meet on Monday in Geneva"},
        {"id": "d", "text": "No comment"}, {"id": "e", "text": "no comment."},
    ]
    pairs = find_near_duplicates(statements)
    assert {tuple(sorted(p[:2])) for p in pairs} == {("a", "b"), ("d", "e")}
    assert word_ngrams("No comment") == frozenset([("no", "comment")])


# The corpus itself (data/statements): the guarantees the data card states.

@pytest.fixture(scope="module")
def corpus() -> dict[str, list[dict]]:
    return {path.stem: load_statements(path) for path in SPLIT_FILES}


def test_corpus_loads_as_a_datasetdict():
    splits = load_splits(CORPUS)
    assert set(splits) == {"train", "dev", "test"} and all(len(splits[name]) for name in splits)


def test_corpus_records_are_complete_and_valid(corpus):
    for name, statements in corpus.items():
        for statement in statements:
            empty = [f for f in ALL_FIELDS if not isinstance(statement.get(f), str) or not statement[f].strip()]
            assert not empty, f"{name}: {statement['id']} has empty {empty}"
            assert statement[LABEL] in LABELS and statement[KIND] in KINDS
    ids = [s["id"] for part in corpus.values() for s in part]
    assert len(ids) == len(set(ids))


def test_corpus_splits_share_no_topic(corpus):
    topics = {name: {s[TOPIC] for s in part} for name, part in corpus.items()}
    for a, b in (("train", "dev"), ("train", "test"), ("dev", "test")):
        assert not topics[a] & topics[b], f"{a} and {b} share {topics[a] & topics[b]}"


def test_corpus_split_files_match_the_split_rule(corpus):
    rebuilt = build_splits(CORPUS / "parts", CORPUS / "splits.toml")
    assert {name: [s["id"] for s in part] for name, part in rebuilt.items()} == \
        {name: [s["id"] for s in part] for name, part in corpus.items()}


def test_corpus_has_no_near_duplicates(corpus):
    statements = [s for part in corpus.values() for s in part]
    pairs = find_near_duplicates(statements)
    assert not pairs, f"{len(pairs)} near-duplicate pairs, e.g. {pairs[:3]}"


def test_corpus_direct_statements_appear_in_their_context(corpus):
    missing = []
    for statement in (s for part in corpus.values() for s in part if s[KIND] == "direct"):
        # A split quotation is stored as its parts joined; each part's opening words are in the context.
        if statement[TEXT][:25] not in statement[CONTEXT]:
            missing.append(statement["id"])
    assert len(missing) <= 0.02 * sum(len(p) for p in corpus.values()), missing[:10]


def test_corpus_size_breadth_and_balance(corpus):
    statements = [s for part in corpus.values() for s in part]
    assert len(statements) >= 3000
    assert len({s[TOPIC] for s in statements}) >= 25
    shares = {label: count / len(statements) for label, count in Counter(s[LABEL] for s in statements).items()}
    for label in ("dialogue", "cooperation", "refusal"):
        assert shares[label] >= 0.20, (label, shares[label])
    assert shares["neutral"] >= 0.15
    hard = sum(1 for s in statements if s.get("phenomenon") not in (None, "plain"))
    assert hard / len(statements) >= 0.20
    assert {s[KIND] for s in statements} == set(KINDS)
