"""The AutoML extension parameters of ``CreateMLModel`` (keys in the ``openaml.`` namespace).

Amazon ML's ``Parameters`` map only knew ``sgd.*`` keys; OpenAML adds these, all optional, all
string-valued like every other entry of the map:

``openaml.timeBudgetSeconds``
    Wall-clock seconds for the whole training job (search, ensembling and the final refit), a number
    from 1 to 604800 (7 days, Amazon ML's longest job). The job ends within 1.1 times this budget.
    Default: 60 s plus 1 s per 10,000 data cells (rows × input columns), at most 3600 s.
``openaml.algorithms``
    Comma-separated model families to consider, from ``linear``, ``lightgbm``, ``catboost``, ``extra_trees``,
    ``random_forest``, ``knn`` and ``mlp`` (or ``all``). Default: all of them.
``openaml.metric``
    The validation metric the search optimises. BINARY: ``auc`` (default, Amazon ML's
    ``BinaryAUC``), ``log_loss``, ``accuracy``, ``f1``; MULTICLASS: ``macro_f1`` (default,
    ``MulticlassAvgFScore``), ``accuracy``, ``log_loss``; REGRESSION: ``rmse`` (default,
    ``RegressionRMSE``), ``mae``, ``r2``. Amazon ML's property names are accepted as aliases.
``openaml.seed``
    Integer seed (0 to 2147483647, default 0) for sampling, splits, search and every learner.
``openaml.maxTrials``
    Stop the search after this many candidates even if time is left (default: no limit). Within a
    time budget the number of candidates depends on machine speed; with ``maxTrials`` set low enough
    for the budget, a run is fully reproducible for its seed.
``openaml.validationFolds``
    Internal validation: ``0`` for a stratified 20% holdout, 2 to 10 for stratified k-fold
    cross-validation. Default: 5 folds up to 2,500 rows (3 for wide data), 3 folds up to 10,000
    rows, a holdout above. With ``openaml.groupAttribute`` the folds or the holdout keep groups
    whole instead of being stratified; with ``openaml.timeAttribute`` it does not apply.
``openaml.searchRowLimit``
    Rows the search works on (1,000 to 10,000,000, default 100,000): larger data is subsampled
    (stratified) for the search, and the chosen ensemble is refit on all rows.
``openaml.maxEnsembleSize``
    Most distinct models in the final ensemble (1 to 20, default 5); fewer keep predictions cheap.
``openaml.maxServingCost``
    Most real-time cost of the final ensemble (1 to 1000, default 10), the sum of its members'
    costs relative to a linear model: linear 1, LightGBM 1, MLP 2, CatBoost 6, random forest, extra
    trees and k-NN 8 each (about 30 µs per unit for one record on wide data). The best single model
    is always allowed; the limit only stops the ensemble from adding costly members (with the
    default, an ensemble holds at most one forest or k-NN model). A bagged member costs its family's
    cost once per fold model it serves (see :mod:`.bagging`). The default keeps a real-time
    ``Predict`` within about 0.3 ms of model time; 50 lets every member of small data serve its
    fold models (more accurate at times, about five times the model time); 1000 lifts the limit.
``openaml.stacking``
    ``true`` (default) or ``false``. With ``true``, when every chosen member is bagged (small
    data), a stacking layer (a model over the members' scores) replaces
    their weighted average if it validates clearly better. A stacked model cannot be explained per
    prediction or exported to ONNX or LightGBM's format; ``false`` always gives a weighted average
    that can.
``openaml.groupAttribute``
    The attribute that says which group a record belongs to (a subject, a patient, a store), when
    records of one group resemble each other. Validation then keeps every group whole, on the
    training or the validation side (group k-fold with at most one fold per group, or a 20% group
    holdout), so that its score predicts the score on new groups. The attribute is not a model input.
``openaml.timeAttribute``
    The attribute that orders records in time (a number, or text that sorts in time order such as
    ISO 8601 dates). Validation is then a holdout of the newest 20% (``openaml.validationFolds`` does
    not apply). The attribute stays a model input. Not together with ``openaml.groupAttribute``.

With either of them, the best model of the search is also fitted once on a random split of the
same rows; when its error there is at most three quarters of its error on the honest split, the
leaderboard warns that a random split would have looked too good (see :mod:`.honesty`).

Keys outside the ``openaml.`` namespace (``sgd.*``) and the model-update keys
``openaml.parentMLModelId`` and ``openaml.updateMode`` (:mod:`openaml.engine.models.updates`) belong
to other parts of the service and are ignored here; unknown ``openaml.*`` keys and bad values raise
``InvalidInputException``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType
from openaml.engine.models.updates import UPDATE_KEYS
from openaml.errors import InvalidInputException

NAMESPACE = "openaml."
#: ``openaml.*`` keys of ``CreateMLModel`` that configure serving, not AutoML (checked where they are used).
SERVING_KEYS = frozenset({"captureRate", "explain"})
FAMILY_NAMES = ("linear", "lightgbm", "catboost", "extra_trees", "random_forest", "knn", "mlp")
MAX_BUDGET_SECONDS = 604_800.0
_MIN_BUDGET_SECONDS = 1.0
_DEFAULT_BUDGET_BASE_SECONDS = 60.0
_DEFAULT_BUDGET_CELLS_PER_SECOND = 10_000
_DEFAULT_BUDGET_CAP_SECONDS = 3600.0
_MAX_SEED = 2**31 - 1
_MAX_ATTRIBUTE_NAME = 1024


@dataclass(frozen=True)
class AutoMLParameters:
    """Validated AutoML settings; ``None`` means "choose from the data" (see the module docstring)."""

    time_budget_seconds: float | None = None
    algorithms: tuple[str, ...] = FAMILY_NAMES
    metric: str | None = None
    seed: int = 0
    max_trials: int | None = None
    validation_folds: int | None = None
    search_row_limit: int = 100_000
    max_ensemble_size: int = 5
    max_serving_cost: float = 10.0
    group_attribute: str | None = None
    time_attribute: str | None = None
    #: The stacking layer where it applies (see :mod:`.stacking`).
    stacking: bool = True
    #: Engine switch (no request key): k-fold bagged members where they apply (see :mod:`.bagging`);
    #: off only for ablations and tests.
    bagging: bool = True

    def budget_for(self, n_rows: int, n_columns: int) -> float:
        """The time budget for data of this shape: the explicit one, or the size-scaled default."""
        if self.time_budget_seconds is not None:
            return self.time_budget_seconds
        return default_time_budget_seconds(n_rows, n_columns)


def default_time_budget_seconds(n_rows: int, n_columns: int) -> float:
    """60 s plus 1 s per 10,000 cells, in whole seconds, capped at an hour."""
    cells = max(n_rows, 0) * max(n_columns, 1)
    budget = _DEFAULT_BUDGET_BASE_SECONDS + cells / _DEFAULT_BUDGET_CELLS_PER_SECOND
    return float(round(min(_DEFAULT_BUDGET_CAP_SECONDS, budget)))


def parse_automl_parameters(
    parameters: Mapping[str, str], model_type: ModelType | None = None
) -> AutoMLParameters:
    """Read the ``openaml.*`` entries of a ``CreateMLModel`` ``Parameters`` map.

    With ``model_type`` given, ``openaml.metric`` is also checked against it, so that a request can
    be rejected before any training starts.
    """
    values = {
        key[len(NAMESPACE) :]: value
        for key, value in parameters.items()
        if key.startswith(NAMESPACE) and key not in UPDATE_KEYS and key[len(NAMESPACE) :] not in SERVING_KEYS
    }
    unknown = sorted(set(values) - set(_PARSERS))
    if unknown:
        known = ", ".join(NAMESPACE + key for key in _PARSERS)
        raise InvalidInputException(
            f"Unknown parameter {NAMESPACE}{unknown[0]}; the AutoML parameters are {known} "
            f"(and {' and '.join(UPDATE_KEYS)} to train from a parent model)."
        )
    settings: dict[str, Any] = {
        _PARSERS[key][0]: _PARSERS[key][1](NAMESPACE + key, value) for key, value in values.items()
    }
    result = AutoMLParameters(**settings)
    if result.group_attribute is not None and result.time_attribute is not None:
        raise InvalidInputException(
            f"Give {NAMESPACE}groupAttribute or {NAMESPACE}timeAttribute, not both: validation keeps "
            "either groups apart or the newest records apart."
        )
    if model_type is not None and result.metric is not None:
        metric_for(result.metric, model_type)
    return result


def _parse_budget(key: str, text: str) -> float:
    value = _parse_number(key, text)
    if not _MIN_BUDGET_SECONDS <= value <= MAX_BUDGET_SECONDS:
        raise InvalidInputException(
            f"{key} must be between {_MIN_BUDGET_SECONDS:g} and {MAX_BUDGET_SECONDS:g} seconds; got {text!r}."
        )
    return value


def _parse_algorithms(key: str, text: str) -> tuple[str, ...]:
    requested = [name.strip().lower() for name in text.split(",") if name.strip()]
    if not requested:
        raise InvalidInputException(f"{key} must name at least one model family: {', '.join(FAMILY_NAMES)}.")
    if "all" in requested:
        return FAMILY_NAMES
    unknown = [name for name in requested if name not in FAMILY_NAMES]
    if unknown:
        raise InvalidInputException(
            f"{key} names an unknown model family {unknown[0]!r}; the families are {', '.join(FAMILY_NAMES)}."
        )
    return tuple(name for name in FAMILY_NAMES if name in requested)


def _parse_metric(key: str, text: str) -> str:
    name = text.strip()
    for model_type in ModelType:
        try:
            return metric_for(name, model_type).name
        except InvalidInputException:
            continue
    raise InvalidInputException(
        f"{key} {text!r} is not a metric OpenAML knows; use auc, log_loss, accuracy or f1 (BINARY), "
        "macro_f1, accuracy or log_loss (MULTICLASS), rmse, mae or r2 (REGRESSION)."
    )


def _parse_attribute_name(key: str, text: str) -> str:
    name = text.strip()
    if not name or len(name) > _MAX_ATTRIBUTE_NAME:
        raise InvalidInputException(
            f"{key} must name an attribute of the datasource (1 to {_MAX_ATTRIBUTE_NAME} characters); "
            f"got {text[:_MAX_ATTRIBUTE_NAME]!r}."
        )
    return name


def _parse_switch(key: str, text: str) -> bool:
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise InvalidInputException(f"{key} must be true or false; got {text[:20]!r}.")
    return value == "true"


def _integer_parser(low: int, high: int, *, allowed: tuple[int, ...] = ()) -> Callable[[str, str], int]:
    def parse(key: str, text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise InvalidInputException(f"{key} must be an integer; got {text!r}.") from None
        if not (low <= value <= high or value in allowed):
            extra = f" (or {', '.join(map(str, allowed))})" if allowed else ""
            raise InvalidInputException(f"{key} must be between {low} and {high}{extra}; got {text!r}.")
        return value

    return parse


def _parse_number(key: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise InvalidInputException(f"{key} must be a number; got {text!r}.") from None
    if not math.isfinite(value):
        raise InvalidInputException(f"{key} must be a finite number; got {text!r}.")
    return value


def _number_parser(low: float, high: float) -> Callable[[str, str], float]:
    def parse(key: str, text: str) -> float:
        value = _parse_number(key, text)
        if not low <= value <= high:
            raise InvalidInputException(f"{key} must be between {low:g} and {high:g}; got {text!r}.")
        return value

    return parse


# Each extension key (without the namespace) → (AutoMLParameters field, parser of "key, text").
_PARSERS: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "timeBudgetSeconds": ("time_budget_seconds", _parse_budget),
    "algorithms": ("algorithms", _parse_algorithms),
    "metric": ("metric", _parse_metric),
    "seed": ("seed", _integer_parser(0, _MAX_SEED)),
    "maxTrials": ("max_trials", _integer_parser(1, 1_000_000)),
    "validationFolds": ("validation_folds", _integer_parser(2, 10, allowed=(0,))),
    "searchRowLimit": ("search_row_limit", _integer_parser(1_000, 10_000_000)),
    "maxEnsembleSize": ("max_ensemble_size", _integer_parser(1, 20)),
    "maxServingCost": ("max_serving_cost", _number_parser(1.0, 1000.0)),
    "stacking": ("stacking", _parse_switch),
    "groupAttribute": ("group_attribute", _parse_attribute_name),
    "timeAttribute": ("time_attribute", _parse_attribute_name),
}
