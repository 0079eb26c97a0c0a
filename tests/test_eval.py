"""Metric functions against scikit-learn on hand-checked arrays, and the eval command on the tiny model."""

import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from data.schema import LABELS
from eval.__main__ import main as eval_main
from eval.metrics import (bootstrap_intervals, compute_confusion, compute_ece, compute_metrics, compute_nll,
                          compute_per_class)

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
                      "--bootstrap", "50", "--quiet"]) == 0
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
