"""Metric functions against scikit-learn on hand-checked arrays, the bootstrap, baselines and stage scores on
hand-made inputs, and the eval command on the tiny model."""

import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from data.schema import LABELS
from eval.__main__ import evaluate_slices
from eval.__main__ import main as eval_main
from eval.baselines import (KEYWORD_CUES, build_keyword, build_majority, build_tfidf, build_verdict,
                            classify_by_keywords, compile_cues, judge, score_baselines)
from eval.compare import bootstrap_scores, build_scorer, compute_scores_from_codes, encode_labels, paired_bootstrap
from eval.metrics import (bootstrap_intervals, compute_confusion, compute_ece, compute_metrics, compute_nll,
                          compute_per_class)
from eval.stages import build_context, build_gold_statements, find_sentences, score_end_to_end

Y_TRUE = ["dialogue", "dialogue", "refusal", "neutral", "cooperation", "refusal", "neutral", "dialogue"]
Y_PRED = ["dialogue", "refusal", "refusal", "neutral", "dialogue", "refusal", "cooperation", "dialogue"]


def test_metrics_match_scikit_learn():
    metrics = compute_metrics(Y_TRUE, Y_PRED, LABELS)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(Y_TRUE, Y_PRED)) == 5 / 8
    assert metrics["macro_f1"] == pytest.approx(f1_score(Y_TRUE, Y_PRED, labels=LABELS, average="macro", zero_division=0))
    per_label = f1_score(Y_TRUE, Y_PRED, labels=LABELS, average=None, zero_division=0)
    for label, value in zip(LABELS, per_label):
        assert metrics[f"f1/{label}"] == pytest.approx(value)
    # Hand-checked: dialogue P=2/3 R=2/3; refusal P=2/3 R=1; neutral P=1 R=1/2; cooperation 0.
    assert metrics["f1/refusal"] == pytest.approx(0.8)


def test_per_class_and_confusion_match_scikit_learn():
    precision, recall, f1, support = precision_recall_fscore_support(Y_TRUE, Y_PRED, labels=LABELS, zero_division=0)
    per_class = compute_per_class(Y_TRUE, Y_PRED, LABELS)
    for i, label in enumerate(LABELS):
        assert per_class[label]["precision"] == pytest.approx(precision[i])
        assert per_class[label]["recall"] == pytest.approx(recall[i])
        assert per_class[label]["support"] == support[i]
    assert compute_confusion(Y_TRUE, Y_PRED, LABELS) == confusion_matrix(Y_TRUE, Y_PRED, labels=LABELS).tolist()


def test_ece_of_hand_checked_probabilities():
    probabilities = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    gold = np.array([0, 1, 0, 1])
    # Bin (0.8, 0.9]: confidence 0.9, accuracy 0.5 -> 2/4 * 0.4; bin (0.5, 0.6]: 1/4 * 0.4; (0.6, 0.7]: 1/4 * 0.3.
    assert compute_ece(probabilities, gold) == pytest.approx(0.2 + 0.1 + 0.075)
    assert compute_nll(np.array([[1.0, 0.0]]), np.array([0])) == pytest.approx(0.0)


def test_bootstrap_intervals_contain_the_point_estimate():
    intervals = bootstrap_intervals(Y_TRUE * 5, Y_PRED * 5, LABELS, rounds=200)
    metrics = compute_metrics(Y_TRUE * 5, Y_PRED * 5, LABELS)
    for key, (low, high) in intervals.items():
        assert low <= metrics[key] <= high, key


def test_eval_command_writes_the_report(tiny_model_dir, statements_path, tmp_path):
    out = tmp_path / "report"
    assert eval_main(["--model", str(tiny_model_dir), "--data", str(statements_path), "--out", str(out),
                      "--bootstrap", "50", "--no-baselines", "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_class"]) == set(LABELS) and metrics["n"] == 12
    low, high = metrics["intervals"]["macro_f1"]
    assert low <= metrics["macro_f1"] <= high
    assert len((out / "predictions.jsonl").read_text().splitlines()) == 12
    assert (out / "per_class.csv").read_text().startswith("label,precision")
    assert eval_main(["--model", str(tiny_model_dir), "--data", str(statements_path), "--out", str(out)]) == 2


def test_eval_command_names_a_missing_model(statements_path, tmp_path, capsys):
    assert eval_main(["--model", str(tmp_path / "absent"), "--data", str(statements_path),
                      "--out", str(tmp_path / "r")]) == 2
    assert "absent" in capsys.readouterr().err



def test_vectorised_scores_match_compute_metrics_and_scikit_learn():
    scores = compute_scores_from_codes(encode_labels(Y_TRUE, LABELS), encode_labels(Y_PRED, LABELS), LABELS)
    assert scores == pytest.approx(compute_metrics(Y_TRUE, Y_PRED, LABELS))
    assert scores["macro_f1"] == pytest.approx(f1_score(Y_TRUE, Y_PRED, labels=LABELS, average="macro",
                                                        zero_division=0))


def test_bootstrap_scores_draw_the_same_resamples_as_bootstrap_intervals():
    fast = bootstrap_scores(build_scorer(Y_TRUE * 5, Y_PRED * 5, LABELS), 40, rounds=200, seed=3)
    reference = bootstrap_intervals(Y_TRUE * 5, Y_PRED * 5, LABELS, rounds=200, seed=3)
    for key, interval in reference.items():
        assert fast[key] == pytest.approx(interval), key


def test_every_interval_contains_its_point_estimate_ece_included():
    rng = np.random.default_rng(0)
    gold = list(rng.choice(LABELS, 200))
    probabilities = rng.dirichlet(np.ones(4), 200)
    probabilities[np.arange(100), encode_labels(gold[:100], LABELS)] += 2  # half the rows confidently right
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    predicted = [LABELS[i] for i in probabilities.argmax(axis=1)]
    scorer = build_scorer(gold, predicted, LABELS, probabilities)
    point = scorer(np.arange(200))
    assert point["ece"] == pytest.approx(compute_ece(probabilities, encode_labels(gold, LABELS)))
    for key, (low, high) in bootstrap_scores(scorer, 200, rounds=300).items():
        assert low <= point[key] <= high, key


def test_paired_bootstrap_flags_a_real_gap_and_not_a_tie():
    gold = Y_TRUE * 10
    same = paired_bootstrap(build_scorer(gold, Y_PRED * 10, LABELS), build_scorer(gold, Y_PRED * 10, LABELS),
                            len(gold), rounds=200)
    assert same["macro_f1"]["difference"] == 0 and same["macro_f1"]["interval"] == (0.0, 0.0)
    assert not same["macro_f1"]["flagged"]
    better = paired_bootstrap(build_scorer(gold, Y_PRED * 10, LABELS), build_scorer(gold, gold, LABELS),
                              len(gold), rounds=200)
    assert better["macro_f1"]["flagged"] and better["macro_f1"]["interval"][0] > 0
    assert better["accuracy"]["b"] == 1.0 and better["accuracy"]["a"] == pytest.approx(5 / 8)


def test_keyword_baseline_follows_its_documented_rules():
    patterns = compile_cues(KEYWORD_CUES)
    assert classify_by_keywords("We are ready for talks", patterns) == "dialogue"
    assert classify_by_keywords("There will be no talks", patterns) == "refusal"  # tie: refusal first
    assert classify_by_keywords("The navies will train together under a joint plan", patterns) == "cooperation"
    assert classify_by_keywords("The ministers arrive on Monday", patterns) == "neutral"
    assert build_keyword([], LABELS)([{"text": "they REJECT the proposal"}]) == ["refusal"]


def test_majority_and_tfidf_baselines_fit_the_fixture(statements_path):
    from data.statements import load_statements

    train = load_statements(statements_path)
    assert set(build_majority(train, LABELS)(train)) == {"cooperation"}  # a four-way tie goes to the first label
    predicted = build_tfidf(train, LABELS)(train)
    assert compute_metrics([s["label"] for s in train], predicted, LABELS)["accuracy"] >= 0.9


def test_baseline_scores_and_verdict_in_plain_words():
    gold = Y_TRUE * 10
    table = score_baselines(gold, gold, {"weak": Y_PRED * 10}, LABELS, rounds=200)
    row = table["weak"]
    assert row["macro_f1"] == pytest.approx(compute_metrics(gold, Y_PRED * 10, LABELS)["macro_f1"])
    assert row["macro_f1_interval"][0] <= row["macro_f1"] <= row["macro_f1_interval"][1]
    assert row["model_minus_baseline"]["verdict"] == "model better"
    beats_all, text = build_verdict(table)
    assert beats_all and text.startswith("The fine-tuned model beats every baseline")
    beats_all, text = build_verdict(score_baselines(gold, Y_PRED * 10, {"oracle": gold}, LABELS, rounds=200))
    assert not beats_all and "does NOT beat" in text and "oracle" in text
    assert judge((-0.1, 0.2), 0.05) == "no clear difference"


def test_sentences_and_context_around_a_span():
    text = "Mr. Lee spoke first. “We will not sign,” he said. Talks resume on Monday.\n\nA new paragraph."
    assert [text[a:b].strip() for a, b in find_sentences(text)] == [
        "Mr. Lee spoke first.", "“We will not sign,” he said.", "Talks resume on Monday.", "A new paragraph."]
    start = text.index("We will")
    assert build_context(text, start, start + len("We will not sign")) == "“We will not sign,” he said."


def test_gold_statements_and_end_to_end_scores():
    text = "“There will be no talks,” the minister said. The envoy said the door remains open."
    gold = [{"start": 1, "end": 23, "parts": [[1, 23]], "kind": "direct", "speaker": "the minister", "label": "refusal"},
            {"start": 59, "end": 81, "parts": [[59, 81]], "kind": "indirect", "speaker": "the envoy",
             "label": "dialogue"}]
    articles = [{"id": "a1", "text": text, "statements": gold}]
    records = build_gold_statements(articles)
    assert records[0]["text"] == "There will be no talks" and records[0]["speaker"] == "the minister"
    assert records[0]["context"] == "“There will be no talks,” the minister said." and records[0]["id"] == "a1:1-23"
    extracted = [[{"start": 1, "end": 24, "speaker": "The minister"}, {"start": 59, "end": 81, "speaker": "Lee"},
                  {"start": 45, "end": 50, "speaker": "x"}]]
    matches = [{"article_id": "a1", "gold_index": 0, "pred_index": 0}, {"article_id": "a1", "gold_index": 1,
                                                                        "pred_index": 1}]
    result = score_end_to_end(articles, extracted, ["refusal", "dialogue", "neutral"], matches, rounds=50)
    # One of two gold statements right (the second has the wrong speaker); three were extracted.
    assert (result["correct"], result["extracted"], result["gold"]) == (1, 3, 2)
    assert result["precision"] == pytest.approx(1 / 3) and result["recall"] == pytest.approx(0.5)
    assert [row["stage_lost"] for row in result["rows"]] == [None, "speaker"]


def test_slices_are_worst_first_with_intervals_and_skip_single_values():
    statements = [{"label": gold, "kind": "direct" if i % 2 else "indirect", "topic": "one"}
                  for i, gold in enumerate(Y_TRUE * 2)]
    predicted = Y_PRED * 2
    slices = evaluate_slices(statements, predicted, LABELS, baseline=Y_TRUE * 2, bootstrap_rounds=100)
    assert set(slices) == {"kind"}  # every statement shares one topic: no slice
    rows = slices["kind"]
    assert [row["n"] for row in rows] == [8, 8] and rows[0]["accuracy"] <= rows[1]["accuracy"]
    for row in rows:
        members = [i for i, s in enumerate(statements) if s["kind"] == row["value"]]
        assert row["accuracy"] == pytest.approx(sum(predicted[i] == Y_TRUE[i % 8] for i in members) / 8)
        assert row["accuracy_interval"][0] <= row["accuracy"] <= row["accuracy_interval"][1]
        assert row["baseline_accuracy"] == 1.0
