"""Pure metric functions over lists of labels and probability rows; nothing here trains or reads files.

    from eval.metrics import compute_metrics
    compute_metrics(["refusal", "dialogue"], ["refusal", "neutral"], labels)
"""

import numpy as np


def compute_per_class(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support for each label (0.0 where undefined, as scikit-learn's zero_division=0)."""
    per_class = {}
    for label in labels:
        tp = sum(1 for t, p in zip(y_true, y_pred) if t == label and p == label)
        predicted = sum(1 for p in y_pred if p == label)
        support = sum(1 for t in y_true if t == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    return per_class


def compute_metrics(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict[str, float]:
    """Accuracy, macro-F1 and per-class F1 (keys f1/<label>)."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    if not y_true:
        raise ValueError("no labels to score")
    per_class = compute_per_class(y_true, y_pred, labels)
    metrics = {
        "accuracy": sum(t == p for t, p in zip(y_true, y_pred)) / len(y_true),
        "macro_f1": float(np.mean([per_class[label]["f1"] for label in labels])),
    }
    metrics.update({f"f1/{label}": per_class[label]["f1"] for label in labels})
    return metrics


def compute_confusion(y_true: list[str], y_pred: list[str], labels: list[str]) -> list[list[int]]:
    """Confusion counts: row = gold label, column = predicted label, in ``labels`` order."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred):
        matrix[index[t]][index[p]] += 1
    return matrix


def compute_ece(probabilities: np.ndarray, y_true_index: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the top label's probability, over equal-width bins."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(y_true_index)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high) if low > 0 else (confidence >= low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def compute_reliability(probabilities: np.ndarray, y_true_index: np.ndarray, bins: int = 10) -> list[dict]:
    """Per confidence bin: its range, count, mean confidence and accuracy (for a reliability diagram)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(y_true_index)
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high) if low > 0 else (confidence >= low) & (confidence <= high)
        count = int(in_bin.sum())
        rows.append({
            "low": float(low), "high": float(high), "count": count,
            "confidence": float(confidence[in_bin].mean()) if count else None,
            "accuracy": float(correct[in_bin].mean()) if count else None,
        })
    return rows


def compute_nll(probabilities: np.ndarray, y_true_index: np.ndarray) -> float:
    """Mean negative log-likelihood of the gold labels."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    picked = probabilities[np.arange(len(probabilities)), np.asarray(y_true_index)]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def bootstrap_intervals(y_true: list[str], y_pred: list[str], labels: list[str], rounds: int = 1000,
                        seed: int = 13, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals for every key of compute_metrics, resampling statements."""
    rng = np.random.default_rng(seed)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        pick = rng.integers(0, len(y_true), len(y_true))
        for key, value in compute_metrics(list(y_true[pick]), list(y_pred[pick]), labels).items():
            samples.setdefault(key, []).append(value)
    tail = (1 - level) / 2 * 100
    return {key: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))) for key, v in samples.items()}
