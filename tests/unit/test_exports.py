"""Every stage exports what it says it does, and every module says what it is for."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import borderwatch

STAGES = [
    "domain", "geo", "sources", "tracking", "watch", "alerts", "cases", "screening", "stats",
    "sim", "adapters.sources", "respond",
]


@pytest.mark.parametrize("stage", STAGES)
def test_all_names_exist_and_are_sorted(stage: str) -> None:
    module = importlib.import_module(f"borderwatch.{stage}")
    exported = list(getattr(module, "__all__", []))
    assert exported, f"borderwatch.{stage} has no __all__"
    for name in exported:
        assert hasattr(module, name), f"{stage}.{name} is exported but missing"


def test_every_module_has_a_docstring() -> None:
    missing = []
    for info in pkgutil.walk_packages(borderwatch.__path__, "borderwatch."):
        module = importlib.import_module(info.name)
        if not (module.__doc__ or "").strip():
            missing.append(info.name)
    assert missing == []


def test_each_stage_has_a_contract_with_a_fake_or_default_beside_it() -> None:
    from borderwatch.alerts import RecordingSink
    from borderwatch.alerts.base import AlertSink
    from borderwatch.cases import CaseStore, InMemoryCaseStore
    from borderwatch.sources import ReplaySource
    from borderwatch.sources.base import DetectionSource
    from borderwatch.tracking import (
        ConstantVelocity,
        Deleter,
        Gate,
        GlobalNearestNeighbour,
        HitCounterInitiator,
        Initiator,
        LifecycleDeleter,
        MahalanobisGate,
        MotionFilter,
    )
    from borderwatch.tracking.base import Associator

    def conforms(obj: object, protocol: type) -> bool:
        return all(hasattr(obj, name) for name in protocol.__dict__ if not name.startswith("_"))

    assert conforms(RecordingSink(), AlertSink)
    assert conforms(InMemoryCaseStore(), CaseStore)
    assert conforms(ReplaySource([]), DetectionSource)
    assert conforms(ConstantVelocity(), MotionFilter)
    assert conforms(MahalanobisGate(), Gate)
    assert conforms(GlobalNearestNeighbour(), Associator)
    assert conforms(HitCounterInitiator(), Initiator)
    assert conforms(LifecycleDeleter(), Deleter)
