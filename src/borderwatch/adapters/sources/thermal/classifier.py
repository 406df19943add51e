"""The candidate classifier: a small multilayer perceptron, weights in a JSON file.

One hidden layer (tanh) and a softmax over four classes. It is trained by
``scripts/train_thermal_classifier.py`` on candidates found by this package's own detector in
frames from the synthetic renderer (``borderwatch.sim.lwir``), so it learns the detector's
view of things, artefacts included. The weights are a few kilobytes of JSON in the package
(``thermal_classifier.json``): nothing is downloaded at run time, and a diff shows a retrain.
Inference is two matrix products in NumPy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from borderwatch.adapters.sources.thermal.candidates import FEATURE_NAMES
from borderwatch.domain import InputError

F64 = NDArray[np.float64]
CLASSES = ("person", "animal", "vehicle", "clutter")
"""Output order. ``clutter`` (warm rocks, trees, noise) is never reported."""
WEIGHTS_FILE = "thermal_classifier.json"


@dataclass(frozen=True, eq=False)
class Classifier:
    """Standardise, one tanh hidden layer, softmax."""

    mean: F64
    scale: F64
    hidden_w: F64
    hidden_b: F64
    out_w: F64
    out_b: F64
    meta: dict[str, Any]

    def probabilities(self, features: F64) -> F64:
        """Rows of features (n, len(FEATURE_NAMES)) -> rows of class probabilities (n, 4)."""
        x = (np.atleast_2d(features) - self.mean) / self.scale
        hidden = np.tanh(x @ self.hidden_w + self.hidden_b)
        logits = hidden @ self.out_w + self.out_b
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=float)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "borderwatch-thermal-mlp-1",
            "features": list(FEATURE_NAMES),
            "classes": list(CLASSES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "hidden_w": np.round(self.hidden_w, 6).tolist(),
            "hidden_b": np.round(self.hidden_b, 6).tolist(),
            "out_w": np.round(self.out_w, 6).tolist(),
            "out_b": np.round(self.out_b, 6).tolist(),
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any], source: str = "") -> Classifier:
        if raw.get("format") != "borderwatch-thermal-mlp-1":
            raise InputError("format", "not a Borderwatch thermal classifier file", source=source)
        if list(raw.get("features", [])) != list(FEATURE_NAMES):
            raise InputError(
                "features",
                "trained on other features than this version computes; retrain "
                "with scripts/train_thermal_classifier.py",
                source=source,
            )
        if list(raw.get("classes", [])) != list(CLASSES):
            raise InputError("classes", f"must be {list(CLASSES)}", source=source)
        arrays = {
            k: np.asarray(raw[k], dtype=float)
            for k in ("mean", "scale", "hidden_w", "hidden_b", "out_w", "out_b")
        }
        return cls(meta=dict(raw.get("meta", {})), **arrays)


def load_classifier(path: str | Path | None = None) -> Classifier:
    """The bundled weights, or a file written by the training script."""
    if path is None:
        package = resources.files("borderwatch.adapters.sources.thermal")
        text = package.joinpath(WEIGHTS_FILE).read_text()
        return Classifier.from_json(json.loads(text), WEIGHTS_FILE)
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise InputError(None, f"cannot read classifier weights: {err}", source=str(path)) from None
    return Classifier.from_json(raw, str(path))
