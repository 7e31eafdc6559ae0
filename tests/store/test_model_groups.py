"""The model group tables on SQLite and PostgreSQL: versions written with their model, aliases, history."""

from __future__ import annotations

import time
from typing import Any

import pytest

from openaml.entities import EntityStatus, Resource, ResourceKind
from openaml.errors import InternalServerException
from openaml.store.model_groups import ModelVersion, RetrainRecord


def _model(model_id: str) -> Resource:
    now = time.time()
    return Resource(ResourceKind.ML_MODEL, model_id, EntityStatus.PENDING, now, now, "arn:test")


def test_a_version_is_written_with_its_model_or_not_at_all(service_context: Any) -> None:
    groups = service_context.model_groups
    service_context.resources.create(_model("g"), None)
    rows = [ModelVersion("g", 1, "g"), ModelVersion("g", 2, "g.v2", "g", "refit", 1.0, "AKID")]
    _, created = service_context.resources.create(_model("g.v2"), "train", also=groups.version_inserter(rows))
    assert created
    assert [v.ml_model_id for v in groups.versions("g")] == ["g", "g.v2"]
    assert groups.version_of_model("g.v2") == rows[1] and groups.highest_version("g") == 2
    # Version 2 is taken: the other model is not created either.
    taken = [ModelVersion("g", 2, "other")]
    with pytest.raises(InternalServerException):
        service_context.resources.create(_model("other"), "train", also=groups.version_inserter(taken))
    assert service_context.resources.get(ResourceKind.ML_MODEL, "other") is None
    assert service_context.jobs.jobs_for(ResourceKind.ML_MODEL, "other") == []


def test_alias_changes_are_recorded_and_guarded(service_context: Any) -> None:
    groups = service_context.model_groups
    first = groups.set_alias("g", "champion", 2, changed_by="AK1", reason="better", implicit_version=1)
    assert first is not None and (first.from_version, first.to_version) == (1, 2)
    assert groups.set_alias("g", "champion", 2, changed_by="AK1", reason=None, implicit_version=1) is None
    moved = groups.set_alias(
        "g", "champion", 3, changed_by="AK2", reason=None, expected_version=1, check_expected=True
    )
    assert moved is None and groups.alias("g", "champion").version == 2  # someone moved it meanwhile
    comparison = {"Metric": "BinaryAUC", "ChampionScore": 0.8, "ChallengerScore": 0.9}
    groups.set_alias("g", "challenger", 3, changed_by="AK2", reason="retrain", comparison=comparison)
    groups.set_alias("g", "challenger", None, changed_by="AK2", reason="deleted")
    assert groups.aliases_named("champion") == {"g": 2}
    history = groups.history("g")
    assert [(c.alias, c.from_version, c.to_version) for c in history] == [
        ("challenger", 3, None),
        ("challenger", None, 3),
        ("champion", 1, 2),
    ]
    assert history[1].comparison == comparison and history[2].changed_by == "AK1"


def test_retrain_records(service_context: Any) -> None:
    groups = service_context.model_groups
    record = RetrainRecord("g.v2", "g", "PENDING", 1.0, 1.0, "AK", {"promotion": "auto"}, None, {"a": 1})
    assert groups.add_retrain(record) == record
    assert groups.add_retrain(RetrainRecord("g.v2", "g", "X", 2.0, 2.0, "AK", {}, None, None)) == record
    updated = groups.update_retrain("g.v2", status="COMPLETED", message="done", result={"promoted": True})
    assert updated is not None and updated.status == "COMPLETED"
    assert updated.result == {"a": 1, "promoted": True}
    assert [r.id for r in groups.retrains("g")] == ["g.v2"]
