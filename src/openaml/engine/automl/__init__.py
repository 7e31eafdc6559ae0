"""OpenAML's AutoML mode: a time-budgeted search over a portfolio of model families, ensembled.

Modules:

* :mod:`.parameters` — the ``openaml.*`` extension parameters (documented there) and defaults.
* :mod:`.metrics` — validation metrics; Amazon ML's per model type are the defaults.
* :mod:`.columns` — one column as numbers: category codes, sort positions, text, ISO date parts.
* :mod:`.features` — typed frame → model matrix (scaled/one-hot/TF-IDF, or tree codes/TF-IDF).
* :mod:`.families` — linear, LightGBM, extra trees, random forest, k-NN, MLP: portfolios, search
  spaces and fits.
* :mod:`.validation` — stratified, group or time-ordered plans, the search subsample, and the check
  of the group and time attributes.
* :mod:`.budget` — the clock, per-fit deadlines and cancellation.
* :mod:`.search` — portfolio first, then Optuna TPE tuning of the best families.
* :mod:`.ensemble` — greedy ensemble selection and :class:`EnsembleModel`.
* :mod:`.bagging` — k-fold bagged members (the fold models kept instead of a refit) and their rule.
* :mod:`.stacking` — one stacking layer over the members' validation scores.
* :mod:`.training` — :func:`train_automl`, the whole run.
* :mod:`.result` — :class:`AutoMLResult`, the leaderboard and the timings.
* :mod:`.lineage` — a model's members as configuration (kept in its artifact) for its children.
* :mod:`.refit` — the ``refit`` update mode: a parent's ensemble fitted again, without search.
* :mod:`.warmstart` — the ``warmstart`` update mode: a LightGBM parent's trees boosted further.
"""

from openaml.engine.automl.ensemble import EnsembleModel
from openaml.engine.automl.parameters import (
    FAMILY_NAMES,
    AutoMLParameters,
    default_time_budget_seconds,
    parse_automl_parameters,
)
from openaml.engine.automl.result import AutoMLResult, AutoMLTimings
from openaml.engine.automl.training import train_automl
from openaml.engine.models import TrainingCancelled, TrainingProgress

__all__ = [
    "FAMILY_NAMES",
    "AutoMLParameters",
    "AutoMLResult",
    "AutoMLTimings",
    "EnsembleModel",
    "TrainingCancelled",
    "TrainingProgress",
    "default_time_budget_seconds",
    "parse_automl_parameters",
    "train_automl",
]
