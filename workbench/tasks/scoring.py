"""Turn embeddings into calibrated label probabilities: zero-shot from label texts, few-shot from examples."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

# Cosine similarities of MiniLM sit in a narrow band; this temperature spreads them into probabilities.
# Chosen by the calibration measurement in benchmarks/classify_bench.py (docs/benchmarks.md).
ZERO_SHOT_TEMPERATURE = 30.0
FEW_SHOT_C = 20.0


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class ZeroShotScorer:
    """Similarity of each text to each label's name and description."""

    def __init__(self, label_vectors: np.ndarray, temperature: float = ZERO_SHOT_TEMPERATURE):
        self.label_vectors = label_vectors
        self.temperature = temperature

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return softmax(vectors @ self.label_vectors.T * self.temperature)


class FewShotScorer:
    """Logistic regression on example embeddings, temperature-scaled on cross-validated predictions."""

    def __init__(self, vectors: np.ndarray, label_ids: np.ndarray, n_labels: int):
        self.n_labels = n_labels
        self.model = LogisticRegression(C=FEW_SHOT_C, max_iter=3000)
        # One BLAS thread: on small matrices, thread start-up and contention cost 10-25x the work itself.
        with threadpool_limits(limits=1):
            self.model.fit(vectors, label_ids)
            self.temperature = _fit_temperature(vectors, label_ids, self.model)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = decision_logits(self.model, vectors) * self.temperature
        full = np.full((len(vectors), self.n_labels), -np.inf)
        full[:, self.model.classes_] = logits
        return softmax(full)


def decision_logits(model: LogisticRegression, vectors: np.ndarray) -> np.ndarray:
    """One logit per class, also for two classes where scikit-learn returns a single margin."""
    margins = model.decision_function(vectors)
    return margins if margins.ndim == 2 else np.column_stack([-margins / 2, margins / 2])


def _fit_temperature(vectors: np.ndarray, label_ids: np.ndarray, model: LogisticRegression) -> float:
    """The scale that makes held-out confidences honest; 1.0 when there are too few examples to tell."""
    folds = min(5, int(np.bincount(label_ids)[np.unique(label_ids)].min()))
    if folds < 2:
        return 1.0
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    held_out = cross_val_predict(model, vectors, label_ids, cv=splitter, method="decision_function")
    held_out = held_out if held_out.ndim == 2 else np.column_stack([-held_out / 2, held_out / 2])
    positions = np.searchsorted(np.unique(label_ids), label_ids)

    def negative_log_likelihood(log_t: float) -> float:
        probs = softmax(held_out * np.exp(log_t))
        return -np.log(probs[np.arange(len(positions)), positions] + 1e-12).mean()

    return float(np.exp(minimize_scalar(negative_log_likelihood, bounds=(-4, 4), method="bounded").x))
