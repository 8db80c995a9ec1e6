"""Turn embeddings into calibrated label probabilities: zero-shot from label texts, few-shot from examples."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

# Cosine similarities of MiniLM sit in a narrow band; the temperature spreads them into probabilities. Centred on
# a job's mean they spread wider by themselves, so an adapted scorer needs a lower one. Each was chosen on BANKING77
# and TREC for the lowest calibration error, and checked on CLINC150, SST-2 and the sample emails
# (benchmarks/zero_shot_calibration.py, docs/benchmarks.md): at 30 for both, adapted jobs said 0.95 at 0.68 right.
ZERO_SHOT_TEMPERATURE = 20.0
ADAPTED_ZERO_SHOT_TEMPERATURE = 10.0
FEW_SHOT_C = 20.0
# Adapting to a job's own texts (benchmarks/classify_bench.py, docs/benchmarks.md): zero-shot label
# vectors move towards their nearest texts for a few rounds, anchored with this weight to the label
# text; few-shot refits with the most confident share of each predicted label.
KMEANS_ROUNDS = 10
ANCHOR_WEIGHT = 3.0
SELF_TRAINING_ROUNDS = 2
SELF_TRAINING_SHARE = 0.5


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


class ZeroShotScorer:
    """Similarity of each text to each label's name and description.

    Adapted to a job, both sides are centred on their means (what all texts share says nothing about
    the label) and each label's vector moves towards the texts nearest to it, anchored to the label
    text so it cannot drift to another topic (label-anchored spherical k-means).
    """

    def __init__(self, label_vectors: np.ndarray, temperature: float = ZERO_SHOT_TEMPERATURE,
                 adapted_temperature: float = ADAPTED_ZERO_SHOT_TEMPERATURE):
        self.label_vectors = label_vectors
        self.temperature, self.adapted_temperature = temperature, adapted_temperature
        self.job_mean: np.ndarray | None = None

    def adapt(self, sample: np.ndarray) -> None:
        self.job_mean = sample.mean(axis=0)
        texts = normalise(sample - self.job_mean)
        anchors = normalise(self.label_vectors - self.label_vectors.mean(axis=0))
        centroids = anchors
        for _ in range(KMEANS_ROUNDS):
            nearest = np.eye(len(anchors))[(texts @ centroids.T).argmax(axis=1)]
            centroids = normalise(nearest.T @ texts + ANCHOR_WEIGHT * anchors)
        self.label_vectors = centroids
        self.temperature = self.adapted_temperature  # centred similarities spread wider (see the constants)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        if self.job_mean is not None:
            vectors = normalise(vectors - self.job_mean)
        return softmax(vectors @ self.label_vectors.T * self.temperature)


class FewShotScorer:
    """Logistic regression on example embeddings, temperature-scaled on cross-validated predictions.

    Adapted to a job, vectors are centred on the job's mean and the model is refitted twice with the
    job rows it is surest of (the most confident half of each predicted label) as extra examples.
    """

    def __init__(self, vectors: np.ndarray, label_ids: np.ndarray, n_labels: int):
        self.vectors, self.label_ids, self.n_labels = vectors, label_ids, n_labels
        self.job_mean: np.ndarray | None = None
        self.model = self._fit(vectors, label_ids)
        with threadpool_limits(limits=1):
            self.temperature = _fit_temperature(vectors, label_ids, self.model)

    def adapt(self, sample: np.ndarray) -> None:
        self.job_mean = sample.mean(axis=0)
        examples, texts = self._centred(self.vectors), self._centred(sample)
        self.model = self._fit(examples, self.label_ids)
        for _ in range(SELF_TRAINING_ROUNDS):
            probabilities = self.model.predict_proba(texts)
            confident = _most_confident_per_label(probabilities, SELF_TRAINING_SHARE)
            pseudo_ids = self.model.classes_[probabilities[confident].argmax(axis=1)]
            self.model = self._fit(np.vstack([examples, texts[confident]]), np.concatenate([self.label_ids, pseudo_ids]))

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = decision_logits(self.model, self._centred(vectors)) * self.temperature
        full = np.full((len(vectors), self.n_labels), -np.inf)
        full[:, self.model.classes_] = logits
        return softmax(full)

    def _centred(self, vectors: np.ndarray) -> np.ndarray:
        return vectors if self.job_mean is None else normalise(vectors - self.job_mean)

    @staticmethod
    def _fit(vectors: np.ndarray, label_ids: np.ndarray) -> LogisticRegression:
        # One BLAS thread: on small matrices, thread start-up and contention cost 10-25x the work itself.
        with threadpool_limits(limits=1):
            return LogisticRegression(C=FEW_SHOT_C, max_iter=3000).fit(vectors, label_ids)


def _most_confident_per_label(probabilities: np.ndarray, share: float) -> np.ndarray:
    """Row indexes of the most confident `share` of each predicted label (keeps labels balanced)."""
    predicted, confidence = probabilities.argmax(axis=1), probabilities.max(axis=1)
    chosen = []
    for label in np.unique(predicted):
        rows = np.flatnonzero(predicted == label)
        chosen.extend(rows[np.argsort(-confidence[rows])[: int(np.ceil(share * len(rows)))]])
    return np.array(sorted(chosen), dtype=int)


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
