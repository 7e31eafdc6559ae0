"""Amazon ML's evaluation alerts: reasons not to trust an evaluation's numbers as they stand.

:func:`evaluation_alerts` compares what is known about the training and the evaluation datasource
and returns ``{"code", "message"}`` entries, in this order:

``EvaluatedOnTrainingData``
    Same datasource ID; or the same data location with DataRearrangements that select common
    records. With the same strategy (and seed, for ``random``) the overlap is exact in percent space;
    with different ones the selections are independent, so the overlap is the training share.
``TooFewEvaluationRecords``
    Fewer valid evaluation records than 10 % of the valid training records.
``SchemaMismatch``
    The evaluation schema lacks input attributes of the training schema, or types differ (the model
    reads each attribute with its training type); also a missing target attribute.
``EvaluationRecordsRejected``
    The evaluation datasource rejected invalid records (e.g. without a target).
``TargetDistributionMismatch``
    The target distributions differ by the test of :mod:`.distribution`.
``DataDrift``
    Input attributes of the evaluation datasource drifted from the training datasource, by the
    defaults of a drift report (:mod:`openaml.engine.drift.report`: PSI ≥ 0.25 for numbers,
    Jensen–Shannon ≥ 0.1 for categories, on the two datasources' record samples).

Facts that are unknown (``None``) silence the alerts that need them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openaml.engine.data.rearrangement import Rearrangement, parse_data_rearrangement
from openaml.engine.data.schema import AttributeType, DataSchema, parse_data_schema
from openaml.engine.evaluation.distribution import (
    ClassDistribution,
    TargetDistribution,
    compare_target_distributions,
)
from openaml.engine.evaluation.result import notice
from openaml.errors import InvalidInputException

#: Below this share of the training records, an evaluation set is too small to be trusted.
MIN_EVALUATION_SHARE = 0.10
_OVERLAP_TOLERANCE = 1e-9


@dataclass(frozen=True)
class DatasourceFacts:
    """What the alerts need to know about one datasource.

    ``location`` is where the data lives (``DataLocationS3``, a file URI or a SQL query) and
    ``rearrangement`` its ``DataRearrangement`` JSON text. ``schema`` is a :class:`DataSchema` or
    its JSON (text or parsed); ``target`` its target distribution (see :mod:`.distribution`).
    """

    datasource_id: str
    location: str | None = None
    rearrangement: str | None = None
    valid_records: int | None = None
    invalid_records: int = 0
    schema: DataSchema | str | Mapping[str, Any] | None = None
    target: TargetDistribution | None = None


@dataclass(frozen=True)
class SchemaDifferences:
    """How an evaluation schema departs from the schema a model was trained with."""

    missing_attributes: tuple[str, ...]
    type_changes: tuple[tuple[str, AttributeType, AttributeType], ...]
    missing_target: str | None

    @property
    def any(self) -> bool:
        """Whether there is any difference."""
        return bool(self.missing_attributes or self.type_changes or self.missing_target)


def schema_differences(training: DataSchema, evaluation: DataSchema) -> SchemaDifferences:
    """The model's input attributes (and target) the evaluation schema lacks or types differently."""
    needed = list(training.input_attributes)
    target = training.target_attribute_name
    if target is not None:
        needed.append(training.attribute(target))
    missing = tuple(a.name for a in needed if a.name != target and not evaluation.has_attribute(a.name))
    changes = tuple(
        (a.name, a.type, evaluation.attribute(a.name).type)
        for a in needed
        if evaluation.has_attribute(a.name) and evaluation.attribute(a.name).type is not a.type
    )
    lacks_target = target is not None and not evaluation.has_attribute(target)
    return SchemaDifferences(missing, changes, target if lacks_target else None)


def evaluation_alerts(
    training: DatasourceFacts, evaluation: DatasourceFacts, drift: Mapping[str, Any] | None = None
) -> list[dict[str, str]]:
    """The alerts for evaluating a model trained on ``training`` with ``evaluation``.

    ``drift`` is the attribute part of a drift report of the evaluation data against the training
    data (``compare_frames``), when both samples are known.
    """
    alerts = [
        _training_data_alert(training, evaluation),
        _size_alert(training, evaluation),
        _schema_alert(training, evaluation),
        _rejected_alert(evaluation),
        _distribution_alert(training, evaluation),
        _drift_alert(drift),
    ]
    return [alert for alert in alerts if alert is not None]


def _training_data_alert(training: DatasourceFacts, evaluation: DatasourceFacts) -> dict[str, str] | None:
    advice = (
        "Metrics on records the model has seen look better than they will on new data. Evaluate on a "
        "separate datasource, e.g. the complement of the training split (same percentBegin, percentEnd, "
        'strategy and seed, with "complement": true).'
    )
    if training.datasource_id == evaluation.datasource_id:
        return notice(
            "EvaluatedOnTrainingData",
            f"The model is evaluated on its own training datasource {training.datasource_id!r}. {advice}",
        )
    if training.location is None or training.location.strip() != (evaluation.location or "").strip():
        return None
    share = _shared_share(training.rearrangement, evaluation.rearrangement)
    if share <= _OVERLAP_TOLERANCE:
        return None
    return notice(
        "EvaluatedOnTrainingData",
        f"About {share:.0%} of the evaluation records are also in the training datasource "
        f"{training.datasource_id!r}: both read {training.location.strip()!r} and their DataRearrangements "
        f"select common records. {advice}",
    )


def _shared_share(training_text: str | None, evaluation_text: str | None) -> float:
    """The expected share of evaluation records that the training datasource also holds."""
    try:
        training, evaluation = (
            parse_data_rearrangement(training_text),
            parse_data_rearrangement(evaluation_text),
        )
    except InvalidInputException:
        return 1.0 if _canonical_json(training_text) == _canonical_json(evaluation_text) else 0.0
    evaluation_size = _size(_intervals(evaluation))
    if evaluation_size == 0.0:
        return 0.0
    same_positions = (
        training.is_whole_input
        or evaluation.is_whole_input
        or (training.strategy == evaluation.strategy == "sequential")
        or (training.strategy == evaluation.strategy and training.random_seed == evaluation.random_seed)
    )
    if not same_positions:
        # Different hashes place each record independently in the two percent spaces.
        return _size(_intervals(training)) / 100.0
    overlap = sum(
        max(0.0, min(high, other_high) - max(low, other_low))
        for low, high in _intervals(training)
        for other_low, other_high in _intervals(evaluation)
    )
    return overlap / evaluation_size


def _intervals(rearrangement: Rearrangement) -> list[tuple[float, float]]:
    """The selected part of the percent space [0, 100) as disjoint intervals."""
    if rearrangement.is_whole_input:
        return [(0.0, 100.0)]
    begin, end = max(rearrangement.percent_begin, 0.0), min(rearrangement.percent_end, 100.0)
    if rearrangement.complement:
        return [(0.0, begin), (end, 100.0)]
    return [(begin, end)]


def _size(intervals: list[tuple[float, float]]) -> float:
    return sum(max(0.0, high - low) for low, high in intervals)


def _canonical_json(text: str | None) -> str:
    try:
        return json.dumps(json.loads(text or "null"), sort_keys=True)
    except json.JSONDecodeError:
        return (text or "").strip()


def _size_alert(training: DatasourceFacts, evaluation: DatasourceFacts) -> dict[str, str] | None:
    if training.valid_records is None or evaluation.valid_records is None or training.valid_records <= 0:
        return None
    if evaluation.valid_records >= MIN_EVALUATION_SHARE * training.valid_records:
        return None
    share = evaluation.valid_records / training.valid_records
    return notice(
        "TooFewEvaluationRecords",
        f"The evaluation datasource has {evaluation.valid_records} valid records, {share:.1%} of the "
        f"{training.valid_records} the model was trained on (less than {MIN_EVALUATION_SHARE:.0%}), so "
        "the metrics can change a lot with another sample. Evaluate on more records, e.g. a 70/30 split.",
    )


def _schema_alert(training: DatasourceFacts, evaluation: DatasourceFacts) -> dict[str, str] | None:
    if training.schema is None or evaluation.schema is None:
        return None
    differences = schema_differences(_as_schema(training.schema), _as_schema(evaluation.schema))
    if not differences.any:
        return None
    problems = []
    if differences.missing_target:
        problems.append(f"it has no target attribute {differences.missing_target!r}")
    if differences.missing_attributes:
        names = ", ".join(repr(name) for name in differences.missing_attributes)
        problems.append(f"it lacks the attribute(s) {names}, which the model treats as missing values")
    problems += [
        f"{name!r} is {evaluation_type.value} there but {training_type.value} in training (read as "
        f"{training_type.value})"
        for name, training_type, evaluation_type in differences.type_changes
    ]
    return notice(
        "SchemaMismatch",
        "The evaluation datasource's schema does not match the model's training schema: "
        f"{'; '.join(problems)}. "
        "Create the evaluation datasource with the training datasource's schema.",
    )


def _as_schema(schema: DataSchema | str | Mapping[str, Any]) -> DataSchema:
    if isinstance(schema, DataSchema):
        return schema
    return parse_data_schema(schema if isinstance(schema, str) else json.dumps(schema))


def _rejected_alert(evaluation: DatasourceFacts) -> dict[str, str] | None:
    if evaluation.invalid_records <= 0:
        return None
    read = (
        f" of {evaluation.invalid_records + evaluation.valid_records}"
        if evaluation.valid_records is not None
        else ""
    )
    return notice(
        "EvaluationRecordsRejected",
        f"{evaluation.invalid_records}{read} evaluation records were invalid (for example without a "
        "target value or with a value that does not fit the schema) and were left out of the evaluation. "
        "See the evaluation datasource's log for the reasons and fix those records.",
    )


def _distribution_alert(training: DatasourceFacts, evaluation: DatasourceFacts) -> dict[str, str] | None:
    if training.target is None or evaluation.target is None:
        return None
    if isinstance(training.target, ClassDistribution) is not isinstance(evaluation.target, ClassDistribution):
        return None  # one target is numeric and the other not: the schema alert reports it
    comparison = compare_target_distributions(training.target, evaluation.target)
    if not comparison.differs:
        return None
    bin_name, training_share, evaluation_share = comparison.largest_change()
    where = "class" if isinstance(training.target, ClassDistribution) else "range"
    return notice(
        "TargetDistributionMismatch",
        f"The target is distributed differently in the evaluation data than in the training data "
        f"(total-variation distance {comparison.distance:.2f}); the largest change is {where} "
        f"{bin_name!r}: {training_share:.1%} of training records, {evaluation_share:.1%} of evaluation "
        "records. The metrics may not reflect the data the model was trained for; evaluate on data "
        "drawn like the training data (e.g. a random split).",
    )


def _drift_alert(drift: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not drift or not drift.get("driftedAttributes"):
        return None
    drifted = [entry for entry in drift["attributes"] if entry["drifted"] and entry["role"] == "input"]
    drifted.sort(key=lambda entry: -(entry["score"] or 0.0))
    shown = ", ".join(f"{e['name']!r} ({e['method']} {e['score']:.2f})" for e in drifted[:5])
    more = f" and {len(drifted) - 5} more" if len(drifted) > 5 else ""
    return notice(
        "DataDrift",
        f"{drift['driftedAttributes']} of {drift['comparedAttributes']} input attributes of the evaluation "
        f"data are distributed differently than in the training data: {shown}{more}. The metrics describe "
        "the model on data unlike its training data; if that is today's data, consider retraining on it. "
        "A drift report (POST /openaml/v1/driftreports) shows each attribute's histograms.",
    )
