"""Temperature scaling (Guo et al., 2017): one scalar T, fitted on dev, divides the logits so that
the probabilities predict.py reports match how often the model is right.

    from train.calibration import fit_temperature
    temperature = fit_temperature(dev_logits, dev_label_ids)
"""

import numpy as np

from eval.metrics import compute_nll
from model.classifier import softmax


def fit_temperature(logits: np.ndarray, y_true_index: np.ndarray, low: float = 0.05, high: float = 20.0) -> float:
    """The temperature that minimises dev negative log-likelihood (golden-section search on log T)."""
    def loss(log_t: float) -> float:
        return compute_nll(softmax(logits / np.exp(log_t)), y_true_index)

    ratio = (np.sqrt(5) - 1) / 2
    a, b = np.log(low), np.log(high)
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    for _ in range(60):
        if loss(c) < loss(d):
            b, d = d, c
            c = b - ratio * (b - a)
        else:
            a, c = c, d
            d = a + ratio * (b - a)
    return float(np.exp((a + b) / 2))
