"""Seed 004's model test suite in the simulated world: a labelled held-out set scored before deployment.

The world knows of each prediction only whether it is right, so the suite
builds its test set from the same truth:

* **Inputs.** ``samples`` examples drawn from production's inputs as of the
  test (the newest labelled data), with the data drift in force then:
  every numeric and categorical feature, as the drift monitor's feature log
  draws them.
* **Labels and predictions.** Two classes; an example is positive with
  probability ``positive_share``. It is predicted right with the version's
  true accuracy for it (its segment's accuracy where the version has one,
  less the concept drift in force), and otherwise as the other class.
* **Performance tests.** Accuracy, and precision, recall and F1 of each
  class weighted by its share of the labels (scikit-learn's
  ``average='weighted'``; a class never predicted has precision 0). Weighted
  recall *is* accuracy (each class's recall ``TP_c / n_c`` weighted by
  ``n_c / N`` sums to ``sum TP_c / N``), so the seed's recall test is its
  accuracy test at a lower threshold. Errors fall on both classes alike, so
  weighted precision and F1 come out near accuracy on a balanced set and
  above it on an unbalanced one; the finite set makes every score a draw.
* **Bias tests** (one per protected attribute): accuracy within each
  category present in the set; the largest difference between two
  categories must be at most ``bias`` (the seed reports ``1 - difference``
  as its score; here the score is the difference itself).
* **Drift tests** (one per numeric feature): the test set's values against
  ``samples`` inputs from the data the version was trained on (the
  distribution at ``trained_at``), by the two-sample KS test
  (``scipy.stats.ks_2samp``); the p-value must be at least ``drift``. As in
  the seed, each feature is tested at that level on its own: with ``k``
  features and no drift at all, ``1 - (1 - drift)^k`` of suites fail
  (14 % with three features at 0.05); ``drift / k`` keeps it at ``drift``.
"""

from __future__ import annotations

import numpy as np

from simulator.commands import RunTestSuite
from simulator.observations import ModelTestResult, TestSuiteResult
from simulator.world.drift import DriftSchedule, ramp_fraction

__all__ = ["run_test_suite", "weighted_scores", "true_accuracy"]


def weighted_scores(labels: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """Accuracy and support-weighted precision, recall and F1 (fractions 0-1) of boolean labels and predictions.

    As scikit-learn's ``average='weighted'`` with ``zero_division=0``: each
    class's score weighted by its share of ``labels``.
    """
    total = len(labels)
    if total == 0:
        raise ValueError("expected at least one labelled example, got none")
    scores = {"accuracy": float(np.mean(labels == predictions)), "precision": 0.0, "recall": 0.0, "f1": 0.0}
    for value in (True, False):
        actual = labels == value
        predicted = predictions == value
        support = int(actual.sum())
        if support == 0:
            continue
        hits = int((actual & predicted).sum())
        precision = hits / int(predicted.sum()) if predicted.any() else 0.0
        recall = hits / support
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        weight = support / total
        scores["precision"] += weight * precision
        scores["recall"] += weight * recall
        scores["f1"] += weight * f1
    return scores


def true_accuracy(drift: DriftSchedule, version: int, now: float, categories: dict[str, np.ndarray],
                  size: int) -> np.ndarray:
    """The version's true accuracy (0-1) for each of ``size`` examples at ``now`` with the given ``categories``.

    As the world serves requests: a segment's accuracy replaces the base
    accuracy for examples in the segment; concept drift then subtracts the
    version's loss in force at ``now``.
    """
    accuracy = np.full(size, float(drift.base_accuracy[version]))
    for index, feature, value, segment_accuracy in drift.segments:
        if index == version:
            accuracy[categories[feature] == value] = segment_accuracy
    if drift.concept is not None and drift.loss[version] > 0:
        fraction = float(ramp_fraction(np.array([now]), drift.concept.start, drift.concept.ramp)[0])
        accuracy = np.clip(accuracy - drift.loss[version] * fraction, 0.0, 1.0)
    return accuracy


def _bias_test(attribute: str, categories: np.ndarray, correct: np.ndarray, threshold: float) -> ModelTestResult:
    accuracies = [float(correct[categories == value].mean()) for value in np.unique(categories)]
    difference = max(accuracies) - min(accuracies) if len(accuracies) > 1 else 0.0
    return ModelTestResult(name=f"bias_{attribute}", score=difference, threshold=threshold,
                           passed=difference <= threshold, limit="maximum")


def run_test_suite(request: RunTestSuite, *, drift: DriftSchedule, version: int, now: float, trained_at: float,
                   generator: np.random.Generator) -> TestSuiteResult:
    """Score version index ``version`` on a held-out set drawn at ``now`` (seconds), as the module describes.

    ``trained_at`` is when the data the version was trained on was
    current, seconds; ``generator`` the suite's own random stream.
    """
    size = request.samples
    moments = np.full(size, float(now))
    inputs = drift.sample_features(moments, generator)
    labels = generator.random(size) < request.positive_share
    categories = {name: inputs[name] for name in drift.features.categorical}
    correct = generator.random(size) < true_accuracy(drift, version, now, categories, size)
    predictions = np.where(correct, labels, ~labels)
    tests: list[ModelTestResult] = []
    scores = weighted_scores(labels, predictions)
    for name in ("accuracy", "precision", "recall", "f1"):
        threshold = getattr(request, name)
        if threshold is not None:
            tests.append(ModelTestResult(name=name, score=scores[name], threshold=threshold,
                                         passed=scores[name] >= threshold))
    if request.bias is not None:
        attributes = request.protected_attributes
        if attributes is None:
            attributes = tuple(drift.features.categorical)
        for attribute in attributes:
            if attribute not in categories:
                raise ValueError(f"got protected attribute '{attribute}'; expected a categorical feature "
                                 f"({', '.join(categories) or 'none declared'})")
            tests.append(_bias_test(attribute, categories[attribute], correct, request.bias))
    if request.drift is not None and drift.features.numeric:
        from scipy import stats  # here: a world whose suite checks no drift does not pay for scipy.stats

        training = drift.sample_features(np.full(size, float(trained_at)), generator)
        for name in drift.features.numeric:
            p_value = float(stats.ks_2samp(training[name], inputs[name]).pvalue)
            tests.append(ModelTestResult(name=f"drift_{name}", score=p_value, threshold=request.drift,
                                         passed=p_value >= request.drift))
    return TestSuiteResult(version=request.version, samples=size, tests=tuple(tests))
