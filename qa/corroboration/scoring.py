"""Calibrated decisions: a logistic model over named signals, and how it is fitted.

Corroboration decides three things from signals it already computes: whether two articles
report one event (``qa.corroboration.stories``), whether two passages of a story state one
fact (``qa.corroboration.align``), and whether a difference found between them is one of
substance (``qa.corroboration.differences``). Each decision is a ``LogisticDecision``: a
weight per named signal, a bias and a probability threshold, fitted on the development set
of real multi-outlet news (``tests/data/news/``) by ``bench/calibrate_corroboration.py``,
which evaluates it leave-one-story-out and prints the weights kept in the settings.

No signal vetoes: time evidence, for instance, is a signal with a (negative) weight, so a
report that mentions a background year can still join its story when the rest agrees.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LogisticDecision:
    """``p = sigmoid(bias + sum(weight * signal))``; accepted when ``p >= threshold``.

    A signal the weights do not name is ignored; a named signal missing from the
    features counts as 0.
    """

    weights: tuple[tuple[str, float], ...]
    bias: float
    threshold: float = 0.5

    def logit(self, features: Mapping[str, float]) -> float:
        return self.bias + sum(weight * float(features.get(name, 0.0)) for name, weight in self.weights)

    def probability(self, features: Mapping[str, float]) -> float:
        return _sigmoid(self.logit(features))

    def accepts(self, features: Mapping[str, float]) -> bool:
        return self.probability(features) >= self.threshold

    def to_dict(self) -> dict[str, object]:
        return {"weights": {name: weight for name, weight in self.weights}, "bias": self.bias, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LogisticDecision:
        weights = data["weights"]
        assert isinstance(weights, Mapping)
        return cls(tuple((str(k), float(v)) for k, v in weights.items()), float(data["bias"]), float(data.get("threshold", 0.5)))  # type: ignore[arg-type]


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


def fit_logistic(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    names: Sequence[str],
    l2: float = 1.0,
    balanced: bool = True,
    threshold: float = 0.5,
    iterations: int = 50,
) -> LogisticDecision:
    """Fit a ``LogisticDecision`` over the signals ``names`` by Newton's method (L2-penalised).

    ``balanced`` weighs each class by the inverse of its size, so that the many easy
    negatives of a corpus (pairs of unrelated articles) do not drown the positives; the
    bias is not penalised, and the signals are standardised for the fit (the penalty then
    treats a signal in [0, 1] as it treats one in standard deviations). With one class
    only, the weights stay 0.
    """
    x = np.array([[float(row.get(name, 0.0)) for name in names] for row in rows], dtype=np.float64).reshape(len(rows), len(names))
    y = np.asarray(labels, dtype=np.float64)
    positives = float(y.sum())
    negatives = float(len(y) - positives)
    if not len(y) or positives == 0 or negatives == 0:
        bias = 10.0 if positives else -10.0
        return LogisticDecision(tuple((name, 0.0) for name in names), bias, threshold)
    if balanced:
        sample = np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * negatives))
    else:
        sample = np.ones_like(y)
    # Fitted on standardised signals, so that the penalty weighs every signal alike
    # whatever its scale; the weights are then given back in the signals' own units.
    centre = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.hstack([(x - centre) / scale, np.ones((len(y), 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        gradient = design.T @ (sample * (p - y)) + penalty * beta
        hessian = (design * (sample * p * (1 - p))[:, None]).T @ design + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    weights = beta[:-1] / scale
    bias = beta[-1] - float(weights @ centre)
    return LogisticDecision(tuple((name, round(float(w), 4)) for name, w in zip(names, weights)), round(float(bias), 4), threshold)
