"""What a track is: person, vehicle or animal, from the labels its detections carry.

An animal is not a migrant, and a deer that crosses the line must not page anyone. Each
sensor label is evidence about the object's true class through a confusion model
(the probability that a sensor says "person" when it sees a deer, and so on); the
evidence of the detections a track has absorbed is combined by Bayes' rule, assuming
labels are independent given the class (naive Bayes), with older labels fading so that
about the last ten count (tracking.tracker.EVIDENCE_MEMORY). A track is called a class when that
class reaches :data:`DECISION_PROBABILITY`; otherwise it stays ``unknown``.

The default confusion model is deliberately pessimistic about sensors (a night camera or a
thermal classifier mislabels 3-5% of people as animals); a deployment can calibrate its own
from reviewed footage. ``unknown`` labels carry almost no evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from borderwatch.domain import Kind
from borderwatch.tracking.base import FloatArray, IntArray

CLASSES = (Kind.PERSON, Kind.VEHICLE, Kind.ANIMAL)
"""Order of the columns in the evidence arrays."""

DECISION_PROBABILITY = 0.6

# P(label | true class): rows are labels, columns are CLASSES (person, vehicle, animal).
_LABEL_GIVEN_CLASS = {
    Kind.PERSON: (0.85, 0.02, 0.05),
    Kind.VEHICLE: (0.01, 0.88, 0.01),
    Kind.ANIMAL: (0.03, 0.00, 0.80),
    Kind.UNKNOWN: (0.11, 0.10, 0.14),
}
_FLOOR = 1e-3  # no label is ever impossible: sensors make every mistake sometimes
_LOG_LIKELIHOOD = {
    label: np.log(np.maximum(np.asarray(row, float), _FLOOR))
    for label, row in _LABEL_GIVEN_CLASS.items()
}
PRIOR_LOG = np.log(np.array([0.4, 0.2, 0.4]))
"""Prior before any label: people and animals alike, vehicles less often off-road."""


LABEL_CODES = {Kind.PERSON: 0, Kind.VEHICLE: 1, Kind.ANIMAL: 2, Kind.UNKNOWN: 3}
"""Row of each sensor label in :data:`LOG_LIKELIHOOD_TABLE`."""
LOG_LIKELIHOOD_TABLE = np.vstack([_LOG_LIKELIHOOD[label] for label in LABEL_CODES])
LIKELIHOOD_TABLE = np.exp(LOG_LIKELIHOOD_TABLE)


def label_codes(labels: Sequence[Kind]) -> IntArray:
    return np.fromiter((LABEL_CODES[label] for label in labels), np.intp, len(labels))


def label_evidence(labels: Sequence[Kind]) -> FloatArray:
    """Log-likelihood rows (n, 3) for a sequence of sensor labels."""
    return np.asarray(LOG_LIKELIHOOD_TABLE[label_codes(labels)], float)


def label_penalty(track_log_evidence: FloatArray, codes: IntArray) -> FloatArray:
    """Evidence against giving each detection to each track, from labels alone.

    -2 ln( P(label | the track's class mixture) / max over classes of P(label | class) ):
    0 when the label fits the track as well as it fits anything, about 6.6 for an "animal"
    label on a track that is surely people. Used as an extra association cost, so a deer
    walking past a group's track does not take it over.
    """
    likelihood = LIKELIHOOD_TABLE[codes]  # (n, 3); codes from label_codes
    mixture = np.sum(posterior(track_log_evidence) * likelihood, axis=1)
    return np.asarray(-2.0 * np.log(mixture / likelihood.max(axis=1)), float)


def posterior(log_evidence: FloatArray) -> FloatArray:
    """Class probabilities (n, 3) from accumulated log evidence (prior included)."""
    shifted = log_evidence - log_evidence.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    return np.asarray(weights / weights.sum(axis=1, keepdims=True), float)


def decide(log_evidence: FloatArray) -> tuple[IntArray, FloatArray]:
    """Index into ``CLASSES`` (or 3 for unknown) and the winning probability.

    >>> from borderwatch.domain import Kind
    >>> ev = PRIOR_LOG + label_evidence([Kind.ANIMAL, Kind.ANIMAL, Kind.UNKNOWN]).sum(axis=0)
    >>> kind, p = decide(ev[None, :]); CLASSES[kind[0]], round(float(p[0]), 3)
    (<Kind.ANIMAL: 'animal'>, 0.999)
    """
    probs = posterior(log_evidence)
    best = np.argmax(probs, axis=1)
    best_p = probs[np.arange(len(probs)), best]
    return np.where(best_p >= DECISION_PROBABILITY, best, 3), best_p


def kind_of(code: int) -> Kind:
    return CLASSES[code] if code < 3 else Kind.UNKNOWN
