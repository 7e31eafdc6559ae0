"""Derive a family's zero-shot portfolio: configurations that together do well across many datasets.

The AutoML search tries each family's portfolio before Optuna tunes it, so the portfolio decides
what a short budget gets. This script derives it from data instead of by hand:

1. Candidates: the family's current portfolio plus ``--random`` configurations drawn from its own
   search space (Optuna's seeded random sampler), so every one is a point of the space the search
   tunes afterwards.
2. Datasets: the *training part* of every dev dataset (the split of ``benchmarks/automl.py``; the
   test parts stay unseen), subsampled to ``--rows`` rows, plus generated problems
   (``make_classification`` / ``make_regression`` with high-cardinality categories, imbalance,
   several classes and noise columns).
3. Each candidate is scored on each dataset as the search would score it: the AutoML's own feature
   encoding, 3-fold cross-validation with early stopping on the validation fold, and a time limit of
   ``--fit-seconds`` per fold (boosting stops there and keeps its rounds, as in a budgeted run, so a
   slow configuration is scored as what it trains in that time). A failed fit scores worst.
4. Per dataset, losses become normalised errors: 0 for the best candidate, 1 for the worst.
5. Greedy forward selection: the first configuration is the one with the lowest mean error; each
   next one is the one that most lowers the mean over datasets of the best error among those chosen
   so far. The order is the portfolio's order.
6. Leave-one-dataset-out check: for every dataset, the greedy portfolio is chosen on the *other*
   datasets and its best error on the held-out one is recorded; the mean of those held-out errors
   (printed and written as a comment, next to the same number for the family's previous portfolio)
   says how well the selection carries over to a dataset it did not see, which is what the dev set
   alone cannot say.

The linear family's search space differs by task (``C`` for classification, ``alpha`` for
regression), so it gets two portfolios: ``linear`` from the classification problems and
``linear.regression`` from the regression ones. Every other family derives one portfolio from all
problems (class weights and split criteria are dropped for regression).

The result is written to ``src/openaml/engine/automl/families/derived_portfolios.py`` (format it
with ruff afterwards), which the families read, with the derivation's mean errors as comments.

Usage (the full derivation; the shipped portfolios were derived with the short settings of
docs/models.md on a shared 2-core machine)::

    .venv/bin/python benchmarks/derive_portfolio.py --family catboost --rows 1000 --random 7 --size 4
    .venv/bin/python benchmarks/derive_portfolio.py --family all --rows 2000 --random 16 --size 5 \\
        --fit-seconds 2
"""

from __future__ import annotations

import argparse
import pprint
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from sklearn.datasets import make_classification, make_friedman1, make_regression

from openaml.engine.automl.budget import Budget
from openaml.engine.automl.families import FAMILIES, Family, Task
from openaml.engine.automl.features import FeatureEncoder
from openaml.engine.automl.validation import plan_validation
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.metrics import metric_for
from openaml.engine.models import ModelType

sys.path.insert(0, str(Path(__file__).resolve().parent))
from automl import DATASETS, DEFAULT_DATASETS_DIR, load, split

OUTPUT = Path(__file__).resolve().parents[1] / "src/openaml/engine/automl/families/derived_portfolios.py"
SEED = 0
FOLDS = 3


@dataclass(frozen=True)
class Problem:
    """One dataset of the derivation: a typed frame, its schema and model type."""

    name: str
    frame: pd.DataFrame
    schema: DataSchema
    model_type: ModelType


def dev_problems(rows: int) -> list[Problem]:
    """The training part of every dev dataset, at most ``rows`` rows of it."""
    problems = []
    for dataset in DATASETS:
        frame, schema = load(dataset, DEFAULT_DATASETS_DIR)
        train, _ = split(frame, dataset)
        if len(train) > rows:
            train = train.sample(n=rows, random_state=SEED).reset_index(drop=True)
        problems.append(Problem(dataset.name, train, schema, dataset.model_type))
    return problems


def generated_problems(rows: int) -> list[Problem]:
    """Synthetic problems of shapes the dev datasets cover thinly: narrow and wide, clean and noisy
    (flipped labels), imbalanced, many classes, linear and non-linear regression."""
    problems = []
    shapes: list[tuple[str, ModelType, dict[str, Any]]] = [
        ("gen-binary-categories", ModelType.BINARY, {"n_classes": 2}),
        ("gen-imbalanced", ModelType.BINARY, {"n_classes": 2, "weights": [0.92]}),
        ("gen-multiclass", ModelType.MULTICLASS, {"n_classes": 5, "n_clusters_per_class": 1}),
        ("gen-noisy-binary", ModelType.BINARY, {"n_classes": 2, "flip_y": 0.25, "class_sep": 0.6}),
        ("gen-narrow", ModelType.BINARY, {"n_features": 6, "n_informative": 4, "n_redundant": 0}),
        ("gen-wide", ModelType.MULTICLASS, {"n_classes": 3, "n_features": 150, "n_informative": 15}),
        ("gen-many-classes", ModelType.MULTICLASS, {"n_classes": 12, "n_informative": 12, "flip_y": 0.05}),
    ]
    for number, (name, model_type, options) in enumerate(shapes):
        settings = {"n_features": 20, "n_informative": 8} | options
        x, y = make_classification(n_samples=rows, random_state=SEED + number, **settings)
        problems.append(_problem(name, x, y.astype(np.float64), model_type, number))
    x, y = make_regression(n_samples=rows, n_features=15, n_informative=6, noise=20.0, random_state=SEED)
    problems.append(_problem("gen-regression", x, y, ModelType.REGRESSION, 9))
    x, y = make_friedman1(n_samples=rows, n_features=12, noise=1.0, random_state=SEED)
    problems.append(_problem("gen-friedman", x, y, ModelType.REGRESSION, 10))
    x, y = make_regression(n_samples=rows, n_features=60, n_informative=30, noise=60.0, random_state=SEED + 1)
    problems.append(_problem("gen-wide-noisy-regression", x, y, ModelType.REGRESSION, 11))
    return problems


def _problem(name: str, x: np.ndarray, y: np.ndarray, model_type: ModelType, seed: int) -> Problem:
    """Numbers, plus the first informative column also as a 40-level category (its values binned and
    shuffled, so their order means nothing)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": x[:, i] for i in range(1, x.shape[1])})
    bins = np.digitize(x[:, 0], np.quantile(x[:, 0], np.linspace(0, 1, 41)[1:-1]))
    labels = rng.permutation(40)
    frame["code"] = pd.Series([f"c{labels[b]}" for b in bins], dtype=object)
    target_type = AttributeType.NUMERIC
    if model_type is ModelType.BINARY:
        target_type = AttributeType.BINARY
    elif model_type is ModelType.MULTICLASS:
        target_type = AttributeType.CATEGORICAL
        y = np.array([f"k{int(v)}" for v in y], dtype=object)
    frame["y"] = y
    attributes = tuple(
        Attribute(column, AttributeType.CATEGORICAL if column == "code" else AttributeType.NUMERIC)
        for column in frame.columns[:-1]
    )
    schema = DataSchema(attributes=(*attributes, Attribute("y", target_type)), target_attribute_name="y")
    return Problem(name, frame, schema, model_type)


def candidates(family: Family, task: Task, count: int) -> list[dict[str, Any]]:
    """The family's current portfolio, then ``count`` random points of its search space."""
    configs = [dict(config) for config in family.portfolio(task)]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=SEED))
    for _ in range(count):
        trial = study.ask()
        configs.append(family.suggest(trial, task))
        study.tell(trial, 0.0)
    return configs


@dataclass(frozen=True)
class Prepared:
    """A problem encoded for one family: its matrix, labels, task and validation folds."""

    name: str
    features: Any
    y: np.ndarray
    task: Task
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    model_type: ModelType


def prepare(family: Family, problem: Problem) -> Prepared:
    """Encode ``problem`` as the AutoML would for ``family`` and plan 3-fold cross-validation."""
    target = problem.schema.target_attribute_name
    assert target is not None
    y = _labels(problem.frame[target], problem.model_type)
    attributes = problem.schema.input_attributes
    encoder = FeatureEncoder(attributes, family.encoding).fit(problem.frame)
    n_classes = 0 if problem.model_type is ModelType.REGRESSION else int(y.max()) + 1
    task = Task.describe(
        problem.model_type, y, n_classes, len(attributes), SEED, tuple(encoder.categorical_indices)
    )
    plan = plan_validation(y, problem.model_type, FOLDS, SEED)
    return Prepared(problem.name, encoder.transform(problem.frame), y, task, plan.folds, problem.model_type)


def score(family: Family, data: Prepared, config: dict[str, Any], fit_seconds: float) -> float:
    """Cross-validated loss of ``config`` (infinite when the fit fails)."""
    metric = metric_for(None, data.model_type)
    budget = Budget(3600.0)
    out_of_fold: np.ndarray | None = None
    features, y = data.features, data.y
    try:
        for train, valid in data.folds:
            limits = budget.limits(budget.now() + fit_seconds)
            learner = family.fit(
                features[train], y[train], config, data.task, limits, validation=(features[valid], y[valid])
            )
            scores = learner.predict(features[valid])
            if out_of_fold is None:
                out_of_fold = np.zeros((len(y), *scores.shape[1:]))
            out_of_fold[valid] = scores
    except Exception as error:  # a configuration that fails scores worst
        print(f"  {data.name}: {config} failed: {error}", file=sys.stderr)
        return float("inf")
    assert out_of_fold is not None
    return metric.loss(y, out_of_fold)


def _labels(values: pd.Series, model_type: ModelType) -> np.ndarray:
    if model_type is ModelType.REGRESSION:
        return values.to_numpy(dtype=np.float64)
    codes, _ = pd.factorize(values.astype(str), sort=True)
    return codes.astype(np.int64)


def normalised_errors(losses: np.ndarray) -> np.ndarray:
    """(datasets × candidates) losses → errors in [0, 1] per dataset (failures 1)."""
    errors = np.ones_like(losses)
    for row, values in enumerate(losses):
        finite = np.isfinite(values)
        if not finite.any():
            continue
        best, worst = values[finite].min(), values[finite].max()
        span = worst - best if worst > best else 1.0
        errors[row, finite] = (values[finite] - best) / span
    return errors


def greedy_portfolio(errors: np.ndarray, size: int) -> list[tuple[int, float]]:
    """Candidate indices in portfolio order, each with the mean best error once it is added."""
    chosen: list[tuple[int, float]] = []
    best_so_far = np.full(errors.shape[0], np.inf)
    for _ in range(min(size, errors.shape[1])):
        means = np.minimum(best_so_far[:, None], errors).mean(axis=0)
        means[[index for index, _ in chosen]] = np.inf
        index = int(np.argmin(means))
        chosen.append((index, float(means[index])))
        best_so_far = np.minimum(best_so_far, errors[:, index])
    return chosen


def held_out_errors(errors: np.ndarray, size: int) -> np.ndarray:
    """Per dataset: the best error on it of the greedy portfolio chosen on all *other* datasets."""
    held_out = np.zeros(errors.shape[0])
    for row in range(errors.shape[0]):
        others = np.delete(errors, row, axis=0)
        chosen = [index for index, _ in greedy_portfolio(others, size)]
        held_out[row] = errors[row, chosen].min()
    return held_out


def write_module(portfolios: dict[str, list[dict[str, Any]]], notes: dict[str, list[str]]) -> None:
    """Write the derived portfolios as a Python module (every family derived so far is kept)."""
    lines = [
        '"""Zero-shot portfolios derived by ``benchmarks/derive_portfolio.py`` (generated; do not edit).',
        "",
        "Each family's configurations in the order greedy selection chose them; the comments give the",
        "mean normalised error over the derivation's datasets once each one is added (0 = the best",
        "candidate on every dataset).",
        '"""',
        "",
        "from typing import Any",
        "",
        "PORTFOLIOS: dict[str, list[dict[str, Any]]] = {",
    ]
    for family in sorted(portfolios):
        lines.append(f"    {family!r}: [")
        for config, note in zip(portfolios[family], notes[family], strict=True):
            lines.extend(f"        # {part}" for part in note.split("; "))
            lines.append(f"        {pprint.pformat(config, width=200, sort_dicts=True)},")
        lines.append("    ],")
    lines.append("}")
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _existing() -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[str]]]:
    """The portfolios written so far, and their comment lines (read back from the module's text)."""
    try:
        from openaml.engine.automl.families.derived_portfolios import PORTFOLIOS
    except ImportError:
        return {}, {}
    notes: dict[str, list[str]] = {name: [] for name in PORTFOLIOS}
    key, pending = None, []
    for line in OUTPUT.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.endswith(": [") and stripped[:-3].strip("\"'") in PORTFOLIOS:
            key = stripped[:-3].strip("\"'")
        elif key is not None and stripped.startswith("# "):
            pending.append(stripped[2:])
        elif key is not None and stripped.startswith("{") and pending:
            notes[key].append("; ".join(pending))
            pending = []
    portfolios = {name: list(configs) for name, configs in PORTFOLIOS.items()}
    for name, configs in portfolios.items():
        if len(notes[name]) != len(configs):
            notes[name] = ["(derived earlier)"] * len(configs)
    return portfolios, notes


@dataclass(frozen=True)
class Derivation:
    """One derived portfolio: its configurations and one comment line each."""

    key: str
    configs: list[dict[str, Any]]
    notes: list[str]


def derive(
    family: Family, key: str, problems: list[Problem], probe: Task, args: argparse.Namespace
) -> Derivation:
    """Score the candidates on every problem and choose the portfolio greedily (see the docstring)."""
    configs = candidates(family, probe, args.random)
    previous = len(family.portfolio(probe))
    losses = np.full((len(problems), len(configs)), np.inf)
    started = time.monotonic()
    for row, problem in enumerate(problems):
        data = prepare(family, problem)
        for column, config in enumerate(configs):
            fitted = dict(config)
            if problem.model_type is ModelType.REGRESSION:
                fitted.pop("class_weight", None)
                fitted.pop("criterion", None)
            losses[row, column] = score(family, data, fitted, args.fit_seconds)
        elapsed = time.monotonic() - started
        print(f"{key} {problem.name}: best candidate {int(np.argmin(losses[row]))} ({elapsed:.0f} s)")
    errors = normalised_errors(losses)
    chosen = greedy_portfolio(errors, args.size)
    held_out = held_out_errors(errors, args.size)
    old = errors[:, :previous].min(axis=1)
    print(f"{key}: mean error per candidate:", np.round(errors.mean(axis=0), 3).tolist())
    print(
        f"{key}: leave-one-dataset-out best error {held_out.mean():.3f} "
        f"(previous portfolio on the same datasets: {old.mean():.3f})"
    )
    for index, mean in chosen:
        print(f"{mean:.3f}  {configs[index]}")
    notes = [
        f"mean best error {mean:.3f} over {len(problems)} datasets "
        f"({args.rows} rows, {args.fit_seconds:g} s per fold)"
        for _, mean in chosen
    ]
    notes[0] += f"; left-out-dataset error {held_out.mean():.3f} (previous portfolio {old.mean():.3f})"
    return Derivation(key, [configs[index] for index, _ in chosen], notes)


def _plans(name: str, problems: list[Problem], rows: int) -> list[tuple[str, list[Problem], Task]]:
    """(portfolio key, problems, probe task) for one family: linear gets one per task kind."""
    classification = Task(ModelType.BINARY, 2, rows, 20, SEED)
    if name != "linear":
        return [(name, problems, classification)]
    regression = [problem for problem in problems if problem.model_type is ModelType.REGRESSION]
    others = [problem for problem in problems if problem.model_type is not ModelType.REGRESSION]
    return [
        (name, others, classification),
        (f"{name}.regression", regression, Task(ModelType.REGRESSION, 0, rows, 20, SEED)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--family", default="catboost", help=f"a comma list of {', '.join(sorted(FAMILIES))}, or all"
    )
    parser.add_argument("--rows", type=int, default=1000, help="rows per dataset (default 1000)")
    parser.add_argument(
        "--random", type=int, default=7, help="random candidates besides the current portfolio"
    )
    parser.add_argument("--size", type=int, default=4, help="configurations in the derived portfolio")
    parser.add_argument("--fit-seconds", type=float, default=1.0, help="time limit per fold fit")
    parser.add_argument("--datasets", default="", help="comma list of problem names (default: all)")
    parser.add_argument("--dry-run", action="store_true", help="print the result, do not write the module")
    args = parser.parse_args(argv)
    names = sorted(FAMILIES) if args.family == "all" else args.family.split(",")
    unknown = [name for name in names if name not in FAMILIES]
    if unknown:
        parser.error(f"unknown family {', '.join(unknown)}; choose from {', '.join(sorted(FAMILIES))}")
    problems = dev_problems(args.rows) + generated_problems(args.rows)
    if args.datasets:
        wanted = set(args.datasets.split(","))
        problems = [problem for problem in problems if problem.name in wanted]
    portfolios, notes = _existing()
    for name in names:
        for key, chosen_problems, probe in _plans(name, problems, args.rows):
            derivation = derive(FAMILIES[name], key, chosen_problems, probe, args)
            portfolios[key], notes[key] = derivation.configs, derivation.notes
            if not args.dry_run:  # written after each family, so a long run keeps what it finished
                write_module(portfolios, notes)
                print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
