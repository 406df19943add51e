"""Train the thermal candidate classifier on rendered scenes and write its weights.

    .venv/bin/python scripts/train_thermal_classifier.py [--scenes 200] [--out PATH]

Renders seeded scenes (``borderwatch.sim.lwir``; seeds disjoint from the benchmark's), runs
the detector's own candidate extraction on every frame, labels each candidate from the
truth (person, animal, vehicle, clutter), and fits a one-hidden-layer perceptron with Adam
(Kingma & Ba, ICLR 2015) on class-balanced cross-entropy with a little weight decay. Pure
NumPy: same seed, same weights. Writes
``src/borderwatch/adapters/sources/thermal/thermal_classifier.json`` by default.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from borderwatch.adapters.sources.thermal.candidates import FEATURE_NAMES
from borderwatch.adapters.sources.thermal.classifier import CLASSES, WEIGHTS_FILE, Classifier
from borderwatch.sim.lwir.training import labelled_candidates, training_specs

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "borderwatch" / "adapters" / "sources" / "thermal" / WEIGHTS_FILE


def _untrained() -> Classifier:
    """Candidate extraction does not use the classifier; any weights will do to measure."""
    n = len(FEATURE_NAMES)
    return Classifier(
        mean=np.zeros(n),
        scale=np.ones(n),
        hidden_w=np.zeros((n, 1)),
        hidden_b=np.zeros(1),
        out_w=np.zeros((1, len(CLASSES))),
        out_b=np.zeros(len(CLASSES)),
        meta={},
    )


def fit(x: np.ndarray, y: np.ndarray, *, hidden: int, steps: int, seed: int) -> Classifier:
    rng = np.random.default_rng(seed)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    k = len(CLASSES)
    onehot = np.eye(k)[y]
    counts = np.bincount(y, minlength=k).astype(float)
    weight = (len(y) / (k * np.maximum(counts, 1.0)))[y]
    params = [
        rng.normal(0, 1 / np.sqrt(z.shape[1]), (z.shape[1], hidden)),
        np.zeros(hidden),
        rng.normal(0, 1 / np.sqrt(hidden), (hidden, k)),
        np.zeros(k),
    ]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    lr, b1, b2, decay = 0.01, 0.9, 0.999, 1e-4
    for step in range(1, steps + 1):
        w1, c1, w2, c2 = params
        h = np.tanh(z @ w1 + c1)
        logits = h @ w2 + c2
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        d_logits = (p - onehot) * weight[:, None] / weight.sum()
        g_w2 = h.T @ d_logits + decay * w2
        g_c2 = d_logits.sum(axis=0)
        d_h = d_logits @ w2.T * (1 - h**2)
        g_w1 = z.T @ d_h + decay * w1
        g_c1 = d_h.sum(axis=0)
        for i, g in enumerate((g_w1, g_c1, g_w2, g_c2)):
            moments[i] = b1 * moments[i] + (1 - b1) * g
            squares[i] = b2 * squares[i] + (1 - b2) * g * g
            m_hat = moments[i] / (1 - b1**step)
            v_hat = squares[i] / (1 - b2**step)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return Classifier(
        mean=mean,
        scale=scale,
        hidden_w=params[0],
        hidden_b=params[1],
        out_w=params[2],
        out_b=params[3],
        meta={},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=24)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    started = time.perf_counter()
    measurer = _untrained()
    rows, labels = [], []
    for n, spec in enumerate(training_specs(args.scenes), start=1):
        for feats, label in labelled_candidates(spec, measurer):
            rows.append(feats)
            labels.append(CLASSES.index(label))
        if n % 50 == 0:
            print(f"{n} scenes, {len(rows)} candidates", flush=True)
    x, y = np.array(rows), np.array(labels)
    print(
        "candidates per class:",
        dict(zip(CLASSES, np.bincount(y, minlength=4).tolist(), strict=True)),
    )
    order = np.random.default_rng(1).permutation(len(y))
    held = order[: len(y) // 5]
    train = order[len(y) // 5 :]
    model = fit(x[train], y[train], hidden=args.hidden, steps=args.steps, seed=0)
    predicted = model.probabilities(x[held]).argmax(axis=1)
    accuracy = float((predicted == y[held]).mean())
    confusion = np.zeros((4, 4), int)
    np.add.at(confusion, (y[held], predicted), 1)
    print(
        f"held-out accuracy {accuracy:.3f}; confusion (rows true, columns predicted "
        f"{', '.join(CLASSES)}):\n{confusion}"
    )
    final = fit(x, y, hidden=args.hidden, steps=args.steps, seed=0)
    meta = {
        "trained_on": f"{args.scenes} rendered scenes (simulated), {len(y)} candidates",
        "held_out_accuracy": round(accuracy, 4),
        "script": "scripts/train_thermal_classifier.py",
        "simulated": True,
    }
    final = Classifier(**{**final.__dict__, "meta": meta})
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(final.to_json(), indent=1) + "\n")
    tmp.replace(args.out)
    print(f"wrote {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
