"""Bootstrap resampling for every interval in a report, and two reports side by side.

    python -m eval compare reports/a/test reports/b/test
    python -m eval compare reports/a/test reports/b/test --json /tmp/a-vs-b.json

When both reports hold predictions.jsonl over the same statement ids with the same gold labels,
the comparison is a paired bootstrap: the statements are resampled once per round and both runs
are scored on that same resample, so the interval is the interval of the *difference* b − a.
A difference is flagged when that interval leaves out 0. Otherwise (different data, or no
predictions) it falls back to the two reports' own intervals and flags a difference when b's
point estimate lies outside a's interval or a's lies outside b's; that rule is rougher.

Subsets, always paired, with intervals recomputed from the rows:

    python -m eval compare reports/old/test reports/new/test --shared          # only the statements both scored
    python -m eval compare reports/a/test reports/b/test --predictions gold_predictions.jsonl \
        --exclude data/audit/art34/gold_quoted_in_brief.json                   # gold statements, minus some ids
"""

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from eval.metrics import compute_ece

# The figures compared, in display order; per-class F1 keys (f1/<label>) are added per run.
HEADLINE_KEYS = ("accuracy", "macro_f1", "ece")
LOWER_IS_BETTER = {"ece"}
PREDICTIONS = "predictions.jsonl"


def encode_labels(values: list[str], labels: list[str]) -> np.ndarray:
    """Label names as integer codes in ``labels`` order."""
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[value] for value in values], dtype=np.int64)


def compute_scores_from_codes(gold: np.ndarray, predicted: np.ndarray, labels: list[str]) -> dict[str, float]:
    """compute_metrics over integer codes, vectorised (the bootstrap calls it thousands of times)."""
    k = len(labels)
    confusion = np.bincount(gold * k + predicted, minlength=k * k).reshape(k, k).astype(np.float64)
    tp, predicted_n, support = np.diag(confusion), confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(tp, predicted_n, out=np.zeros(k), where=predicted_n > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k), where=precision + recall > 0)
    scores = {"accuracy": float(tp.sum() / len(gold)), "macro_f1": float(f1.mean())}
    scores.update({f"f1/{label}": float(value) for label, value in zip(labels, f1)})
    return scores


def build_scorer(gold: list[str], predicted: list[str], labels: list[str],
                 probabilities: np.ndarray | None = None) -> Callable[[np.ndarray], dict[str, float]]:
    """A function from a resample's row indices to its scores (ECE too when probabilities are given)."""
    gold_codes, predicted_codes = encode_labels(gold, labels), encode_labels(predicted, labels)

    def score(pick: np.ndarray) -> dict[str, float]:
        scores = compute_scores_from_codes(gold_codes[pick], predicted_codes[pick], labels)
        if probabilities is not None:
            scores["ece"] = compute_ece(probabilities[pick], gold_codes[pick])
        return scores
    return score


def draw_resamples(n: int, rounds: int, seed: int) -> list[np.ndarray]:
    """Row indices of each bootstrap round; the same draws as eval.metrics.bootstrap_intervals."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, n, n) for _ in range(rounds)]


def percentile_interval(values: list[float], level: float) -> tuple[float, float]:
    """The central ``level`` share of the values (percentile bootstrap)."""
    tail = (1 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def bootstrap_scores(score: Callable[[np.ndarray], dict[str, float]], n: int, rounds: int = 1000,
                     seed: int = 13, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile intervals of every figure ``score`` returns, resampling the n rows with replacement."""
    samples: dict[str, list[float]] = {}
    for pick in draw_resamples(n, rounds, seed):
        for key, value in score(pick).items():
            samples.setdefault(key, []).append(value)
    return {key: percentile_interval(values, level) for key, values in samples.items()}


def paired_bootstrap(score_a: Callable, score_b: Callable, n: int, rounds: int = 1000, seed: int = 13,
                     level: float = 0.95) -> dict[str, dict]:
    """Point estimates of a and b, and the interval of b − a, both scored on the same resamples."""
    everyone = np.arange(n)
    point_a, point_b = score_a(everyone), score_b(everyone)
    differences: dict[str, list[float]] = {key: [] for key in point_a if key in point_b}
    for pick in draw_resamples(n, rounds, seed):
        a, b = score_a(pick), score_b(pick)
        for key, values in differences.items():
            values.append(b[key] - a[key])
    result = {}
    for key, values in differences.items():
        low, high = percentile_interval(values, level)
        result[key] = {"a": point_a[key], "b": point_b[key], "difference": point_b[key] - point_a[key],
                       "interval": (low, high), "flagged": bool(low > 0 or high < 0)}
    return result


def load_report(report_dir: Path, predictions: str = PREDICTIONS) -> tuple[dict, list[dict] | None]:
    """A report's metrics.json and the rows of its predictions file (None when absent)."""
    metrics_path = report_dir / "metrics.json"
    if not metrics_path.is_file():
        raise FileNotFoundError(f"{metrics_path}: no such file (is {report_dir} a `python -m eval` report?)")
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    predictions_path = report_dir / predictions
    if not predictions_path.is_file():
        return metrics, None
    rows = [json.loads(line) for line in predictions_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return metrics, rows


def rows_are_paired(rows_a: list[dict] | None, rows_b: list[dict] | None) -> bool:
    """True when both runs predicted the same statement ids with the same gold labels."""
    if not rows_a or not rows_b or len(rows_a) != len(rows_b):
        return False
    gold_a = {row["id"]: row["gold"] for row in rows_a}
    gold_b = {row["id"]: row["gold"] for row in rows_b}
    return len(gold_a) == len(rows_a) and gold_a == gold_b


def scorer_from_rows(rows: list[dict], order: list, labels: list[str]) -> Callable:
    """A resample scorer over prediction rows, put in the given id order."""
    by_id = {row["id"]: row for row in rows}
    ordered = [by_id[statement_id] for statement_id in order]
    probabilities = np.array([[row["scores"][label] for label in labels] for row in ordered])
    return build_scorer([row["gold"] for row in ordered], [row["label"] for row in ordered], labels, probabilities)


def point_and_interval(metrics: dict, key: str) -> tuple[float, tuple[float, float] | None]:
    """A figure and its interval from a metrics.json, for top-level and per-class (f1/<label>) keys."""
    if key.startswith("f1/"):
        entry = metrics["per_class"][key[3:]]
        return entry["f1"], tuple(entry["f1_interval"]) if "f1_interval" in entry else None
    interval = metrics.get("intervals", {}).get(key)
    return metrics[key], tuple(interval) if interval else None


def load_ids(path: Path) -> set[str]:
    """Statement ids from a JSON list, a JSON object with an "ids" list, or a text file of one id per line."""
    text = Path(path).read_text(encoding="utf-8")
    if Path(path).suffix == ".json":
        data = json.loads(text)
        ids = data["ids"] if isinstance(data, dict) else data
        if not isinstance(ids, list):
            raise ValueError(f"{path}: expected a JSON list of ids or an object with an 'ids' list")
        return {str(i) for i in ids}
    return {line.strip() for line in text.splitlines() if line.strip()}


def select_rows(rows_a: list[dict] | None, rows_b: list[dict] | None, shared: bool,
                exclude: set[str]) -> tuple[list[dict], list[dict]]:
    """The rows of a subset comparison: the ids both runs scored (with shared), minus the excluded ids."""
    if not rows_a or not rows_b:
        raise ValueError("a subset comparison needs the predictions file in both reports")
    ids_b = {row["id"] for row in rows_b}
    keep = {row["id"] for row in rows_a if not shared or row["id"] in ids_b} - exclude
    rows_a = [row for row in rows_a if row["id"] in keep]
    rows_b = [row for row in rows_b if row["id"] in keep]
    if not rows_are_paired(rows_a, rows_b):
        raise ValueError("the two runs do not hold the same statements with the same gold labels "
                         "(pass --shared to compare only the statements both scored)")
    return rows_a, rows_b


def compare_reports(dir_a: Path, dir_b: Path, rounds: int = 1000, seed: int = 13, predictions: str = PREDICTIONS,
                    shared: bool = False, exclude: set[str] | None = None) -> dict:
    """Every shared figure of two reports, with b − a and whether that difference stands out.

    With another predictions file, shared or exclude, the comparison is of that subset of rows: always
    paired, every figure and interval computed from the rows (metrics.json describes the whole file)."""
    metrics_a, rows_a = load_report(dir_a, predictions)
    metrics_b, rows_b = load_report(dir_b, predictions)
    labels = metrics_a["labels"]
    if metrics_b["labels"] != labels:
        raise ValueError(f"the reports use different labels: {labels} vs {metrics_b['labels']}")
    keys = [*HEADLINE_KEYS[:2], *(f"f1/{label}" for label in labels), "ece"]
    subset = predictions != PREDICTIONS or shared or bool(exclude)
    if subset:
        rows_a, rows_b = select_rows(rows_a, rows_b, shared, exclude or set())
        order = [row["id"] for row in rows_a]
        metrics_a = {**metrics_a, **metrics_from_rows(rows_a, order, labels, rounds, seed)}
        metrics_b = {**metrics_b, **metrics_from_rows(rows_b, order, labels, rounds, seed)}
    if rows_are_paired(rows_a, rows_b):
        order = [row["id"] for row in rows_a]
        paired = paired_bootstrap(scorer_from_rows(rows_a, order, labels), scorer_from_rows(rows_b, order, labels),
                                  len(order), rounds, seed)
        method = (f"paired bootstrap over the {len(order)} statements both runs share ({rounds} resamples): "
                  "a difference is flagged when the 95% interval of b − a leaves out 0")
    else:
        paired = None
        method = ("the runs do not share the same statements, so no paired test: a difference is flagged when "
                  "b's point estimate lies outside a's 95% interval or a's lies outside b's")
    rows = []
    for key in keys:
        a, interval_a = point_and_interval(metrics_a, key)
        b, interval_b = point_and_interval(metrics_b, key)
        row = {"metric": key, "a": a, "a_interval": interval_a, "b": b, "b_interval": interval_b,
               "difference": b - a, "lower_is_better": key in LOWER_IS_BETTER}
        if paired is not None:
            # predictions.jsonl is the source of the paired test, so its figures are the ones shown.
            row.update(a=paired[key]["a"], b=paired[key]["b"], difference=paired[key]["difference"])
            row["difference_interval"] = paired[key]["interval"]
            row["flagged"] = paired[key]["flagged"]
        else:
            row["difference_interval"] = None
            row["flagged"] = bool((interval_a and not interval_a[0] <= b <= interval_a[1])
                                  or (interval_b and not interval_b[0] <= a <= interval_b[1]))
        rows.append(row)
    if subset:
        method = f"{predictions}, {len(rows_a)} statements{' both runs scored' if shared else ''}" + \
            (f", {len(exclude)} ids excluded" if exclude else "") + "; " + method
    return {"a": describe_run(dir_a, metrics_a), "b": describe_run(dir_b, metrics_b), "paired": paired is not None,
            "method": method, "predictions": predictions, "rows": rows}


def metrics_from_rows(rows: list[dict], order: list, labels: list[str], rounds: int, seed: int) -> dict:
    """A metrics.json-like dict (figures, intervals, per-class F1) computed from prediction rows."""
    score = scorer_from_rows(rows, order, labels)
    point = score(np.arange(len(order)))
    intervals = bootstrap_scores(score, len(order), rounds, seed)
    return {"labels": labels, "n": len(order), "accuracy": point["accuracy"], "macro_f1": point["macro_f1"],
            "ece": point["ece"], "intervals": {key: intervals[key] for key in HEADLINE_KEYS},
            "per_class": {label: {"f1": point[f"f1/{label}"], "f1_interval": intervals[f"f1/{label}"]}
                          for label in labels}}


def describe_run(report_dir: Path, metrics: dict) -> dict:
    """Where a report is and what it measured."""
    return {"report": str(report_dir), "model": metrics.get("model"), "data": metrics.get("data"), "n": metrics.get("n"),
            "data_sha256": metrics.get("data_sha256")}


def format_interval(interval) -> str:
    """[low, high] with three decimals, or a dash."""
    return f"[{interval[0]:.3f}, {interval[1]:.3f}]" if interval else "–"


def format_comparison(comparison: dict) -> str:
    """The comparison as a Markdown table with a line on the method and a verdict per row."""
    a, b = comparison["a"], comparison["b"]
    lines = [f"a: {a['report']}  (model {a['model']}, data {a['data']}, n={a['n']})",
             f"b: {b['report']}  (model {b['model']}, data {b['data']}, n={b['n']})"]
    # The hashes are of the --data files, so they say nothing about gold_predictions.jsonl.
    same_rows = comparison.get("predictions", PREDICTIONS) == PREDICTIONS
    if same_rows and a.get("data_sha256") and b.get("data_sha256") and a["data_sha256"] != b["data_sha256"]:
        lines.append("warning: the two runs scored different data files (SHA-256 differs); compare with care")
    lines += [f"method: {comparison['method']}", "",
             "| metric | a | b | b − a | 95% interval of b − a | verdict |",
             "|---|---|---|---|---|---|"]
    for row in comparison["rows"]:
        lines.append(f"| {row['metric']} | {row['a']:.3f} {format_interval(row['a_interval'])} "
                     f"| {row['b']:.3f} {format_interval(row['b_interval'])} | {row['difference']:+.3f} "
                     f"| {format_interval(row['difference_interval'])} | {describe_difference(row)} |")
    return "\n".join(lines)


def describe_difference(row: dict) -> str:
    """Plain words for one row: which run is better, or that the gap is within the noise."""
    if row["difference"] == 0 and tuple(row["difference_interval"] or (0.0, 0.0)) == (0.0, 0.0):
        return "identical"
    if not row["flagged"]:
        return "within noise"
    b_better = row["difference"] < 0 if row["lower_is_better"] else row["difference"] > 0
    return "**b better**" if b_better else "**a better**"


def main(argv: list[str] | None = None) -> int:
    """`python -m eval compare A B`: print two reports side by side; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m eval compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report_a", help="a report directory written by python -m eval")
    parser.add_argument("report_b", help="another report directory")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the paired test")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", help="also write the comparison as JSON to this file")
    parser.add_argument("--predictions", default=PREDICTIONS,
                        help="which rows to compare: predictions.jsonl (default) or gold_predictions.jsonl")
    parser.add_argument("--shared", action="store_true", help="only the statements both runs scored")
    parser.add_argument("--exclude", type=Path, help="ids to leave out: a JSON list, {\"ids\": [...]}, or one id per line")
    args = parser.parse_args(argv)
    try:
        exclude = load_ids(args.exclude) if args.exclude else None
        comparison = compare_reports(Path(args.report_a), Path(args.report_b), args.bootstrap, args.seed,
                                     args.predictions, args.shared, exclude)
    except (FileNotFoundError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(format_comparison(comparison))
    if args.json:
        Path(args.json).write_text(json.dumps(comparison, indent=2) + "\n", encoding="utf-8")
    return 0
