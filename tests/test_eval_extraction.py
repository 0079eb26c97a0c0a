"""The extraction evaluator (eval/extraction.py) on hand-made gold and predictions whose
scores are worked out by hand in the comments."""

import json

import pytest

from eval.extraction import (
    GoldError,
    evaluate_extraction,
    load_gold,
    main,
    match_overlap,
    overlap_share,
    speakers_match,
)

TEXT = "x" * 100


def statement(start: int, end: int, kind: str = "direct", speaker: str | None = None) -> dict:
    return {"start": start, "end": end, "kind": kind, "speaker": speaker}


@pytest.mark.parametrize("gold, predicted, expected", [
    ("Maria Okafor", "Okafor", True),
    ("Okafor", "Maria Okafor", True),
    ("Foreign Minister Maria Okafor", "maria okafor", True),
    ("Mr. Okafor", "Okafor", True),
    ("the foreign ministry spokesman", "The foreign ministry spokesman", True),
    ("a defence ministry official", "the official", True),
    ("Russia's foreign ministry", "Russia’s foreign ministry", True),
    ("Russia’s embassy in Helsinki", "Russia’s embassy", True),
    ("a spokesperson in New York", "a spokesperson", True),
    ("President Ana Lima", "Lima", True),
    ("a spokesman for the ministry", "the ministry", True),
    ("Maria Okafor", "Ana Okafor", False),
    ("Maria Okafor", "Mensah", False),
    ("the minister", "the ministry", False),
    (None, None, True),
    (None, "Okafor", False),
    ("Okafor", None, False),
    ("", None, True),
])
def test_speakers_match(gold, predicted, expected):
    assert speakers_match(gold, predicted) is expected


def test_overlap_share_is_measured_on_the_shorter_span():
    assert overlap_share(statement(0, 10), statement(5, 30)) == 0.5
    assert overlap_share(statement(0, 10), statement(10, 20)) == 0.0
    assert overlap_share(statement(0, 100), statement(40, 60)) == 1.0


def test_overlap_matching_is_one_to_one_and_greedy_by_share():
    gold = [statement(0, 20), statement(30, 50)]
    # p0 covers g0 fully; p1 overlaps g0 by 10/20 and g1 by 5/20; p2 is g1 exactly.
    predicted = [statement(0, 20), statement(10, 35), statement(30, 50)]
    assert match_overlap(gold, predicted) == [(0, 0), (1, 2)]
    assert match_overlap([statement(0, 10)], [statement(6, 30)]) == []  # 4 of 10 < half


def test_evaluate_extraction_by_hand():
    gold = [statement(0, 10, "direct", "Maria Okafor"),
            statement(20, 40, "indirect", "the ministry"),
            statement(50, 60, "direct", "Mensah")]
    predicted = [statement(0, 10, "direct", "Okafor"),      # exact, speaker right
                 statement(22, 40, "indirect", "Okafor"),   # overlap only, speaker wrong
                 statement(70, 80, "direct", None)]         # spurious; gold 50-60 is missed
    metrics = evaluate_extraction([{"id": "a1", "text": TEXT, "statements": gold}], [predicted])
    exact, overlap = metrics["exact"], metrics["overlap"]
    # exact: direct tp 1 (0-10), fp 1 (70-80), fn 1 (50-60); indirect tp 0, fp 1, fn 1.
    assert (exact["direct"]["tp"], exact["direct"]["fp"], exact["direct"]["fn"]) == (1, 1, 1)
    assert exact["direct"]["f1"] == pytest.approx(0.5)
    assert (exact["indirect"]["tp"], exact["indirect"]["fp"], exact["indirect"]["fn"]) == (0, 1, 1)
    assert exact["indirect"]["f1"] == 0.0
    assert exact["all"]["precision"] == pytest.approx(1 / 3)
    assert exact["all"]["recall"] == pytest.approx(1 / 3)
    # overlap: the indirect pair matches too.
    assert overlap["indirect"]["f1"] == 1.0
    assert overlap["direct"]["f1"] == pytest.approx(0.5)
    assert (overlap["all"]["tp"], overlap["all"]["fp"], overlap["all"]["fn"]) == (2, 1, 1)
    assert overlap["all"]["f1"] == pytest.approx(2 / 3)
    assert metrics["speaker_accuracy"] == 0.5 and metrics["speaker_count"] == 2
    assert metrics["matches"] == [{"article_id": "a1", "gold_index": 0, "pred_index": 0},
                                  {"article_id": "a1", "gold_index": 1, "pred_index": 1}]
    [errors] = metrics["errors"]
    assert [e["start"] for e in errors["missed"]] == [50]
    assert [e["start"] for e in errors["spurious"]] == [70]
    assert errors["wrong_speakers"] == [{"text": "", "gold_speaker": "the ministry",
                                         "predicted_speaker": "Okafor"}]


def test_the_gold_kind_decides_the_bucket_of_a_match():
    gold = [statement(0, 10, "direct")]
    predicted = [statement(0, 10, "indirect")]
    metrics = evaluate_extraction([{"text": TEXT, "statements": gold}], [predicted])
    assert metrics["exact"]["direct"]["tp"] == 1
    assert metrics["exact"]["indirect"]["fp"] == 0
    assert metrics["matches"][0]["article_id"] == 0  # no id: the position stands in


def test_no_statements_at_all_scores_zero_without_dividing_by_zero():
    metrics = evaluate_extraction([{"text": TEXT, "statements": []}], [[]])
    assert metrics["overlap"]["all"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                         "tp": 0, "fp": 0, "fn": 0}
    assert metrics["speaker_accuracy"] == 0.0


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="2 gold articles but 1"):
        evaluate_extraction([{"text": TEXT, "statements": []}] * 2, [[]])


# --- the gold file and the command line ------------------------------------------------------

ARTICLE = "“We will not sign,” Okafor said. Lima said the talks would resume."


REPORTED = ARTICLE.index("the talks would resume")


def gold_line(**changes) -> str:
    record = {"id": "g1", "text": ARTICLE, "statements": [
        {"start": 1, "end": 18, "kind": "direct", "speaker": "Okafor"},
        {"start": REPORTED, "end": REPORTED + 22, "kind": "indirect", "speaker": "Lima"}]}
    record.update(changes)
    return json.dumps(record, ensure_ascii=False)


def write(tmp_path, *lines: str):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("bad, message", [
    ("{not json", "not valid JSON"),
    ('["a list"]', "expected a JSON object"),
    ('{"id": "x", "text": "abc"}', r"missing \['statements'\]"),
    (gold_line(statements=[{"start": 5, "end": 500, "kind": "direct"}]), "not inside the article"),
    (gold_line(statements=[{"start": 1, "end": 5, "kind": "direct", "text": "nope"}]), "differs"),
    (gold_line(statements=[{"start": 1, "end": 5, "kind": "quote"}]), "kind"),
])
def test_malformed_gold_names_file_and_line(tmp_path, bad, message):
    path = write(tmp_path, gold_line(), bad)
    with pytest.raises(GoldError, match=message) as error:
        load_gold(path)
    assert f"{path}:2" in str(error.value)


def test_main_reports_bad_gold_and_exits_non_zero(tmp_path, capsys):
    path = write(tmp_path, "{not json")
    assert main(["--gold", str(path), "--quiet"]) == 2
    assert f"{path}:1" in capsys.readouterr().err


def test_main_scores_and_writes_its_report(tmp_path, capsys):
    path = write(tmp_path, gold_line())
    out = tmp_path / "report"
    assert main(["--gold", str(path), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "direct" in printed and "speaker accuracy" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["overlap"]["all"]["f1"] == 1.0
    assert metrics["speaker_accuracy"] == 1.0
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert errors[0]["article_id"] == "g1"
    assert main(["--gold", str(path), "--out", str(out), "--quiet"]) == 2  # exists
    assert main(["--gold", str(path), "--out", str(out), "--quiet", "--overwrite"]) == 0
