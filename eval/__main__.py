"""Evaluate a saved model on a labelled statement file and write a report.

    python -m eval --model runs/default --data data/statements/test.jsonl --out reports/default/test

Writes metrics.json (accuracy, macro-F1, per-class precision/recall/F1/support, confusion, ECE,
95% bootstrap intervals), per_class.csv, confusion.csv and predictions.jsonl (every statement with
its gold and predicted label and scores) into --out.
"""

import argparse
import csv
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from data.schema import LABEL
from data.statements import DataError, load_statements
from eval.metrics import bootstrap_intervals, compute_confusion, compute_ece, compute_metrics, compute_per_class

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
log = logging.getLogger("geostance.eval")


def evaluate_predictions(statements: list[dict], probabilities: np.ndarray, labels: list[str],
                         bootstrap_rounds: int = 1000) -> dict:
    """Every figure of the report from gold statements and the model's probability rows."""
    gold = [s[LABEL] for s in statements]
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    gold_index = np.array([labels.index(label) for label in gold])
    metrics = compute_metrics(gold, predicted, labels)
    intervals = bootstrap_intervals(gold, predicted, labels, rounds=bootstrap_rounds)
    per_class = compute_per_class(gold, predicted, labels)
    for label in labels:
        per_class[label]["f1_interval"] = intervals[f"f1/{label}"]
    return {
        "n": len(statements),
        "labels": labels,
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "intervals": {"accuracy": intervals["accuracy"], "macro_f1": intervals["macro_f1"]},
        "per_class": per_class,
        "confusion": compute_confusion(gold, predicted, labels),
        "ece": compute_ece(probabilities, gold_index),
    }


def build_prediction_rows(statements: list[dict], probabilities: np.ndarray, labels: list[str]) -> list[dict]:
    """Each statement with its gold label, predicted label, score and every label's score."""
    rows = []
    for statement, row in zip(statements, probabilities):
        best = int(row.argmax())
        rows.append({**statement, "gold": statement[LABEL], "label": labels[best], "score": float(row[best]),
                     "scores": {label: float(p) for label, p in zip(labels, row)}})
    return rows


def write_report_files(out_dir: Path, metrics: dict, rows: list[dict]) -> None:
    """metrics.json, per_class.csv, confusion.csv and predictions.jsonl in ``out_dir``."""
    labels = metrics["labels"]
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    with (out_dir / "per_class.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["label", "precision", "recall", "f1", "f1_low", "f1_high", "support"])
        for label in labels:
            c = metrics["per_class"][label]
            writer.writerow([label, f"{c['precision']:.4f}", f"{c['recall']:.4f}", f"{c['f1']:.4f}",
                             f"{c['f1_interval'][0]:.4f}", f"{c['f1_interval'][1]:.4f}", c["support"]])
    with (out_dir / "confusion.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["gold \\ predicted", *labels])
        for label, counts in zip(labels, metrics["confusion"]):
            writer.writerow([label, *counts])
    with (out_dir / "predictions.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation from the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default", help="a saved model directory")
    parser.add_argument("--data", required=True, help="labelled statements (JSONL)")
    parser.add_argument("--out", required=True, help="report directory to write")
    parser.add_argument("--overwrite", action="store_true", help="replace --out when it exists")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    out_dir = Path(args.out)
    if out_dir.exists() and not args.overwrite:
        print(f"error: {out_dir} exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    try:
        from model.classifier import ModelError, load_model

        statements = load_statements(args.data)
        classifier = load_model(args.model)
    except (DataError, ModelError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    probabilities = classifier.predict_proba(statements, args.batch_size)
    metrics = evaluate_predictions(statements, probabilities, classifier.labels, args.bootstrap)
    metrics.update(model=str(args.model), data=str(args.data))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    write_report_files(staging, metrics, build_prediction_rows(statements, probabilities, classifier.labels))
    staging.chmod(0o755)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(staging, out_dir)
    low, high = metrics["intervals"]["macro_f1"]
    log.info("%s on %s: macro-F1 %.4f [%.4f, %.4f]  accuracy %.4f  ECE %.3f  (n=%d) -> %s", args.model, args.data,
             metrics["macro_f1"], low, high, metrics["accuracy"], metrics["ece"], metrics["n"], out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
