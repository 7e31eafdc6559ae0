"""Benchmark: OpenAML's AutoML against simple baselines, FLAML and our SGD mode, at one time budget.

For every dataset of ``../shared/datasets`` (fixed stratified 75/25 train/test split, seed 0) each
method trains on the train part and is scored on the test part with Amazon ML's metric for the
model type: AUC (BINARY), macro-F1 (MULTICLASS), RMSE (REGRESSION). With ``--splits N`` every
dataset is split N times (seeds 0 to N-1) and every method runs on each split: the table then has a
row per split and a second table the means over the splits (scores, and our AutoML's ratios to each
method averaged over the splits, each with a 90 % paired-bootstrap interval over the test records)
— a small test part (penguins: 86 records, one record = 0.01 macro-F1) makes a single split's ratio
say more about that split than about the method. Methods:

* ``automl``   OpenAML's AutoML mode with ``openaml.timeBudgetSeconds`` = ``--budget``.
* ``lightgbm`` LightGBM with default parameters (string columns as pandas categories; one thread,
               as two threads were up to 20x slower on a busy 2-core machine).
* ``linear``   L2 logistic / ridge regression over one-hot categories, scaled numbers and
               word 1-2-gram TF-IDF text (scikit-learn defaults otherwise).
* ``flaml``    FLAML 2 ``AutoML`` with ``time_budget`` = ``--budget`` (needs ``pip install flaml``
               plus ``xgboost-cpu<3``; shown as unavailable otherwise), in a child process stopped
               at 1.5 times the budget plus 20 s (shown as stopped then).
* ``sgd``      OpenAML's Amazon ML-compatible SGD mode with the suggested recipe (when importable).
* ``automl-nocatboost`` (only when named in ``--methods``) our AutoML without the CatBoost family.
* ``automl-nobagging`` (only when named) our AutoML without bagged members and without stacking.
* ``automl-previous`` (only when named) our AutoML as it was before bagging, stacking and the derived
               portfolios of the families other than CatBoost: the hand-written portfolios, members
               refit, a weighted average.
* ``autogluon-medium`` / ``autogluon-best`` (only when named in ``--methods``) AutoGluon's
               ``TabularPredictor`` with preset ``medium_quality`` / ``best_quality``, ``time_limit`` =
               ``--budget`` and ``num_cpus`` = 2, run by ``benchmarks/autogluon_fit.py`` in AutoGluon's
               own virtual environment (``--autogluon-python``; it pins older pandas/pyarrow). Its time
               column is AutoGluon's fit time; the whole subprocess (start-up, Parquet) is printed too.

Data are read and typed by OpenAML's own data engine (schema inference plus per-dataset fixes).
The table shows each metric, the fit wall time against the budget for the budgeted methods, and
our AutoML's ratio to each other method (ours / theirs, or theirs / ours for RMSE: at least 1.0
means AutoML is as good or better).

Usage::

    .venv/bin/python benchmarks/automl.py --budget 60
    .venv/bin/python benchmarks/automl.py --budget 20 --datasets titanic,sentiment,penguins
    .venv/bin/python benchmarks/automl.py --budget 120 --datasets har,penguins --splits 3 \
        --methods automl,autogluon-best,linear --autogluon-python ../autogluon-venv/bin/python
    .venv/bin/python benchmarks/automl.py --budget 120 \
        --methods automl,autogluon-medium,autogluon-best,flaml,lightgbm,linear,sgd \
        --autogluon-python ../autogluon-venv/bin/python
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import train_test_split

from openaml.engine.automl import FAMILY_NAMES, AutoMLParameters, train_automl
from openaml.engine.automl.families.derived_portfolios import PORTFOLIOS
from openaml.engine.data.files import DataFile
from openaml.engine.data.inference import infer_schema
from openaml.engine.data.ingest import read_frame
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema
from openaml.engine.models import ModelType, TrainedModel

DEFAULT_DATASETS_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"
METHODS = ("automl", "lightgbm", "linear", "flaml", "sgd")
#: Methods run only when ``--methods`` names them (ablations of our own AutoML).
EXTRA_METHODS = (
    "automl-nocatboost",
    "automl-nobagging",
    "automl-previous",
    "autogluon-medium",
    "autogluon-best",
)
BUDGETED = ("automl", "flaml", *EXTRA_METHODS)
#: AutoGluon's interpreter (its own virtual environment); ``--autogluon-python`` overrides it.
AUTOGLUON_PYTHON = Path(
    os.environ.get(
        "OPENAML_AUTOGLUON_PYTHON", Path(__file__).resolve().parents[2] / "autogluon-venv/bin/python"
    )
)
TEST_FRACTION = 0.25
SEED = 0


@dataclass(frozen=True)
class Dataset:
    """One benchmark dataset: file, target, model type and the fixes its inferred schema needs."""

    name: str
    file: str
    target: str
    model_type: ModelType
    types: dict[str, AttributeType] = dataclasses.field(default_factory=dict)
    #: Maps raw target labels to 0/1 when the file spells a binary target in words of its own.
    positive_label: str | None = None


DATASETS = (
    Dataset("titanic", "titanic.csv", "survived", ModelType.BINARY),
    Dataset("caravan", "caravan.csv", "Purchase", ModelType.BINARY),
    Dataset("sentiment", "sentiment_sentences.csv", "sentiment", ModelType.BINARY),
    Dataset("skin", "skin_segmentation.csv", "skin", ModelType.BINARY, positive_label="skin"),
    Dataset("har", "har_train_sample.csv", "activity", ModelType.MULTICLASS),
    Dataset("digits", "digits.csv", "digit", ModelType.MULTICLASS, {"digit": AttributeType.CATEGORICAL}),
    Dataset("penguins", "penguins.csv", "species", ModelType.MULTICLASS),
    Dataset("wine", "wine_quality.csv", "quality", ModelType.REGRESSION),
    Dataset("bike", "bike_sharing_hourly.csv", "cnt", ModelType.REGRESSION),
    Dataset("diamonds", "diamonds.csv", "price", ModelType.REGRESSION),
)
METRIC_NAMES = {ModelType.BINARY: "AUC", ModelType.MULTICLASS: "macro-F1", ModelType.REGRESSION: "RMSE"}


@dataclass
class Outcome:
    """One method's result on one dataset: the test metric (or why there is none) and fit time."""

    score: float | None = None
    seconds: float | None = None
    problem: str | None = None
    #: The test part's predictions, for the paired bootstrap of the ratios (:func:`ratio_interval`).
    predicted: np.ndarray | None = None


def load(dataset: Dataset, directory: Path) -> tuple[pd.DataFrame, DataSchema]:
    """The dataset as a typed frame through OpenAML's data engine, with the dataset's fixes."""
    files = [DataFile.from_path(directory / dataset.file)]
    schema = infer_schema(files, target_attribute_name=dataset.target)
    if dataset.types:
        attributes = tuple(Attribute(a.name, dataset.types.get(a.name, a.type)) for a in schema.attributes)
        schema = dataclasses.replace(schema, attributes=attributes)
    frame = read_frame(files, schema, require_target=True)
    if dataset.positive_label is not None:
        frame[dataset.target] = (frame[dataset.target] == dataset.positive_label).astype(np.float64)
        attributes = tuple(
            Attribute(a.name, AttributeType.BINARY if a.name == dataset.target else a.type)
            for a in schema.attributes
        )
        schema = dataclasses.replace(schema, attributes=attributes)
    return frame, schema


def split(frame: pd.DataFrame, dataset: Dataset, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The train/test split of ``seed`` (stratified by class for classification)."""
    stratify = frame[dataset.target] if dataset.model_type is not ModelType.REGRESSION else None
    train, test = train_test_split(frame, test_size=TEST_FRACTION, random_state=seed, stratify=stratify)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def score(dataset: Dataset, truth: pd.Series, predicted: np.ndarray) -> float:
    """Amazon ML's metric: AUC of P(1), macro-F1 of predicted labels, RMSE of predicted values."""
    if dataset.model_type is ModelType.BINARY:
        return float(roc_auc_score(truth.astype(int), predicted))
    if dataset.model_type is ModelType.MULTICLASS:
        return float(f1_score(truth.astype(str), predicted.astype(str), average="macro"))
    return float(np.sqrt(np.mean((truth.to_numpy(dtype=np.float64) - predicted) ** 2)))


# --- the methods: each fits on train and returns a predictor of P(1), labels or values ---

Predictor = Callable[[pd.DataFrame], np.ndarray]


#: How many of our AutoML's best candidates are logged (to stderr) beside the ensemble.
LEADERBOARD_ROWS = 8


def run_automl(dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float) -> Predictor:
    params = AutoMLParameters(time_budget_seconds=budget, seed=SEED)
    result = train_automl(train, schema, dataset.model_type, params)
    print(f"{dataset.name:10s} automl    ensemble: {result.ensemble}", file=sys.stderr)
    print(f"{dataset.name:10s} automl    timings: {json.dumps(result.timings.to_dict())}", file=sys.stderr)
    for row in result.leaderboard[:LEADERBOARD_ROWS]:
        print(f"{dataset.name:10s} automl    {json.dumps(row, default=str)}", file=sys.stderr)
    return _model_predictor(dataset, result.model)


def run_automl_without_catboost(
    dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float
) -> Predictor:
    algorithms = tuple(name for name in FAMILY_NAMES if name != "catboost")
    params = AutoMLParameters(time_budget_seconds=budget, seed=SEED, algorithms=algorithms)
    return _model_predictor(dataset, train_automl(train, schema, dataset.model_type, params).model)


def run_automl_without_bagging(
    dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float
) -> Predictor:
    params = AutoMLParameters(time_budget_seconds=budget, seed=SEED, bagging=False, stacking=False)
    return _model_predictor(dataset, train_automl(train, schema, dataset.model_type, params).model)


def run_automl_previous(
    dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float
) -> Predictor:
    """No bagging or stacking, and only CatBoost's derived portfolio (the others' hand-written ones)."""
    saved = dict(PORTFOLIOS)
    for name in list(PORTFOLIOS):
        if name != "catboost":
            del PORTFOLIOS[name]
    try:
        return run_automl_without_bagging(dataset, schema, train, budget)
    finally:
        PORTFOLIOS.update(saved)


def _model_predictor(dataset: Dataset, model: TrainedModel) -> Predictor:
    def predict(frame: pd.DataFrame) -> np.ndarray:
        scores = model.predict_scores(frame)
        if dataset.model_type is ModelType.MULTICLASS:
            assert model.classes is not None
            labels: np.ndarray = np.asarray(model.classes)[scores.argmax(axis=1)]
            return labels
        return scores

    return predict


def _plain_features(schema: DataSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Inputs as a naive user hands them to a library: numbers as floats, strings as categories.

    Columns are renamed ``f0``, ``f1``, ... because LightGBM rejects names with JSON characters
    (the HAR feature names are full of commas and parentheses).
    """
    columns = {}
    for index, attribute in enumerate(schema.input_attributes):
        values = frame[attribute.name]
        if attribute.type in (AttributeType.NUMERIC, AttributeType.BINARY):
            columns[f"f{index}"] = values.astype(np.float64)
        else:
            columns[f"f{index}"] = values.astype(object).astype("category")
    return pd.DataFrame(columns)


def _align_categories(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    test = test.copy()
    for name in train.columns:
        if isinstance(train[name].dtype, pd.CategoricalDtype):
            test[name] = pd.Categorical(test[name].astype(object), categories=train[name].cat.categories)
    return test


def _target(dataset: Dataset, frame: pd.DataFrame) -> pd.Series:
    values = frame[dataset.target]
    if dataset.model_type is ModelType.BINARY:
        return values.astype(int)
    if dataset.model_type is ModelType.MULTICLASS:
        return values.astype(str)
    return values.astype(np.float64)


def _library_predictor(dataset: Dataset, model: Any, prepare: Callable[[pd.DataFrame], Any]) -> Predictor:
    def predict(frame: pd.DataFrame) -> np.ndarray:
        if dataset.model_type is ModelType.BINARY:
            return np.asarray(model.predict_proba(prepare(frame)))[:, 1]
        return np.asarray(model.predict(prepare(frame)))

    return predict


def run_lightgbm(dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float) -> Predictor:
    import lightgbm as lgb

    features = _plain_features(schema, train)
    learner = lgb.LGBMRegressor if dataset.model_type is ModelType.REGRESSION else lgb.LGBMClassifier
    model = learner(n_jobs=1, random_state=SEED, verbose=-1).fit(features, _target(dataset, train))
    return _library_predictor(
        dataset, model, lambda frame: _align_categories(features, _plain_features(schema, frame))
    )


def run_linear(dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float) -> Predictor:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric = [
        a.name for a in schema.input_attributes if a.type in (AttributeType.NUMERIC, AttributeType.BINARY)
    ]
    categorical = [a.name for a in schema.input_attributes if a.type is AttributeType.CATEGORICAL]
    text = [a.name for a in schema.input_attributes if a.type is AttributeType.TEXT]
    as_strings = FunctionTransformer(lambda block: block.astype(object).fillna("").astype(str))
    parts: list[tuple[str, Any, Any]] = [
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("categorical", make_pipeline(as_strings, OneHotEncoder(handle_unknown="ignore")), categorical),
    ]
    parts += [
        (
            f"text_{name}",
            make_pipeline(
                as_strings,
                FunctionTransformer(np.ravel),
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            ),
            [name],
        )
        for name in text
    ]
    estimator = Ridge() if dataset.model_type is ModelType.REGRESSION else LogisticRegression(max_iter=1000)
    model = make_pipeline(ColumnTransformer(parts), estimator).fit(train, _target(dataset, train))
    return _library_predictor(dataset, model, lambda frame: frame)


#: A method run in a child process is stopped after this many times its budget (plus 20 s).
STOP_FACTOR = 1.5


class FlamlRunner:
    """FLAML fitted in a child process, stopped at :data:`STOP_FACTOR` × the budget plus 20 s.

    FLAML keeps its ``time_budget`` on most data, but on a loaded machine its CatBoost trials were
    seen running on for many minutes past it; the table then says it was stopped instead of
    waiting. The child fits and predicts the test rows; its fit time comes back with them.
    """

    def __init__(self) -> None:
        self.fit_seconds: float | None = None

    def __call__(self, dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float) -> Predictor:
        import multiprocessing

        def predict(test: pd.DataFrame) -> np.ndarray:
            context = multiprocessing.get_context("fork")
            results = context.Queue()
            # FLAML's CatBoost writes catboost_<time>/ into the working directory and removes it only
            # when its trial ends: the child works in a folder of its own, removed even when stopped
            with tempfile.TemporaryDirectory(prefix="flaml-") as workdir:
                child = context.Process(
                    target=_flaml_child, args=(dataset, schema, train, test, budget, results, workdir)
                )
                child.start()
                try:
                    seconds, predicted = results.get(timeout=STOP_FACTOR * budget + 20)
                except Exception:
                    raise TimeoutError(f"stopped at {STOP_FACTOR:g}x the budget") from None
                finally:
                    if child.is_alive():
                        child.join(5)
                    if child.is_alive():
                        child.kill()
                        child.join()
            if isinstance(predicted, BaseException):
                raise predicted
            self.fit_seconds = seconds
            result: np.ndarray = predicted
            return result

        return predict


def _flaml_child(
    dataset: Dataset,
    schema: DataSchema,
    train: pd.DataFrame,
    test: pd.DataFrame,
    budget: float,
    results: Any,
    workdir: str,
) -> None:
    try:
        os.chdir(workdir)
        warnings.simplefilter("ignore")
        started = time.monotonic()
        predictor = run_flaml(dataset, schema, train, budget)
        seconds = time.monotonic() - started
        results.put((seconds, predictor(test)))
    except ImportError as error:
        results.put((None, ImportError(str(error), name=error.name)))
    except BaseException as error:  # reported in the parent's table
        results.put((None, RuntimeError(f"{type(error).__name__}: {error}")))


def run_flaml(dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float) -> Predictor:
    from flaml.automl import AutoML

    task = "regression" if dataset.model_type is ModelType.REGRESSION else "classification"
    metric = {ModelType.BINARY: "roc_auc", ModelType.MULTICLASS: "macro_f1", ModelType.REGRESSION: "rmse"}
    features = _plain_features(schema, train)
    model = AutoML()
    model.fit(
        features,
        _target(dataset, train),
        task=task,
        time_budget=budget,
        metric=metric[dataset.model_type],
        seed=SEED,
        n_jobs=2,
        verbose=0,
    )
    print(
        f"{dataset.name:10s} flaml     best: {model.best_estimator} {model.best_config} "
        f"(validation loss {model.best_loss:.4f})",
        file=sys.stderr,
    )
    return _library_predictor(
        dataset, model, lambda frame: _align_categories(features, _plain_features(schema, frame))
    )


def run_sgd(dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float) -> Predictor:
    from openaml.engine.sgd import train_sgd_model

    model = train_sgd_model(
        train,
        schema,
        dataset.model_type,
        {"sgd.shuffleType": "auto"},
        recipe_text=None,
        statistics=None,
        seed=SEED,
    )
    return _model_predictor(dataset, model)


AUTOGLUON_PROBLEMS = {
    ModelType.BINARY: "binary",
    ModelType.MULTICLASS: "multiclass",
    ModelType.REGRESSION: "regression",
}
AUTOGLUON_METRICS = {
    ModelType.BINARY: "roc_auc",
    ModelType.MULTICLASS: "f1_macro",
    ModelType.REGRESSION: "rmse",
}


class AutoGluonRunner:
    """Fits AutoGluon in its own environment on the same split; predictions come back as Parquet."""

    def __init__(self, preset: str) -> None:
        self.preset = preset
        self.python = AUTOGLUON_PYTHON
        #: AutoGluon's own fit time of the last run (the subprocess also starts Python and reads files).
        self.fit_seconds: float | None = None

    def __call__(self, dataset: Dataset, schema: DataSchema, train: pd.DataFrame, budget: float) -> Predictor:
        if not self.python.exists():
            raise ImportError(f"no AutoGluon environment at {self.python}", name="autogluon")
        columns = [a.name for a in schema.input_attributes] + [dataset.target]

        def exported(frame: pd.DataFrame) -> pd.DataFrame:
            part = frame[columns].copy()
            part[dataset.target] = _target(dataset, frame)
            return part

        def predict(test: pd.DataFrame) -> np.ndarray:
            with tempfile.TemporaryDirectory() as folder:
                exported(train).to_parquet(Path(folder) / "train.parquet", index=False)
                exported(test).to_parquet(Path(folder) / "test.parquet", index=False)
                command = [str(self.python), str(Path(__file__).with_name("autogluon_fit.py")), folder]
                command += ["--label", dataset.target, "--problem", AUTOGLUON_PROBLEMS[dataset.model_type]]
                command += ["--metric", AUTOGLUON_METRICS[dataset.model_type], "--preset", self.preset]
                command += ["--time-limit", f"{budget:g}", "--cpus", "2"]
                started = time.monotonic()
                subprocess.run(command, check=True)
                fit = json.loads((Path(folder) / "fit.json").read_text())
                self.fit_seconds = float(fit["seconds"])
                print(
                    f"autogluon {self.preset}: fit {self.fit_seconds:.1f} s, subprocess "
                    f"{time.monotonic() - started:.1f} s, best {fit['best']}, models {fit.get('models')}",
                    file=sys.stderr,
                )
                values = pd.read_parquet(Path(folder) / "predictions.parquet")["prediction"]
                predicted: np.ndarray = values.to_numpy()
                return predicted

        return predict


RUNNERS: dict[str, Callable[[Dataset, DataSchema, pd.DataFrame, float], Predictor]] = {
    "automl": run_automl,
    "lightgbm": run_lightgbm,
    "linear": run_linear,
    "flaml": FlamlRunner(),
    "sgd": run_sgd,
    "automl-nocatboost": run_automl_without_catboost,
    "automl-nobagging": run_automl_without_bagging,
    "automl-previous": run_automl_previous,
    "autogluon-medium": AutoGluonRunner("medium_quality"),
    "autogluon-best": AutoGluonRunner("best_quality"),
}


def run(
    method: str, dataset: Dataset, schema: DataSchema, train: pd.DataFrame, test: pd.DataFrame, budget: float
) -> Outcome:
    """Fit (timed) and score one method; a missing library or a failure becomes a note in the table."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            started = time.monotonic()
            predictor = RUNNERS[method](dataset, schema, train, budget)
            seconds = time.monotonic() - started
            predicted = predictor(test)
            runner = RUNNERS[method]
            if isinstance(runner, AutoGluonRunner | FlamlRunner):  # it fits lazily, in its own process
                seconds = runner.fit_seconds or seconds
    except ImportError as error:
        return Outcome(problem=f"unavailable ({error.name})")
    except TimeoutError as error:
        return Outcome(problem=str(error))
    except Exception as error:  # a benchmark row must not stop the run
        traceback.print_exc(file=sys.stderr)
        return Outcome(problem=f"error: {type(error).__name__}")
    return Outcome(
        score=score(dataset, test[dataset.target], predicted),
        seconds=seconds,
        predicted=np.asarray(predicted),
    )


def ratio(dataset: Dataset, ours: Outcome, theirs: Outcome) -> str:
    if ours.score is None or theirs.score is None or theirs.score == 0 or ours.score == 0:
        return "–"
    return f"{_ratio(dataset, ours.score, theirs.score):.3f}"


def _ratio(dataset: Dataset, ours: float, theirs: float) -> float:
    """Ours / theirs, or theirs / ours for RMSE: at least 1.0 when our AutoML is as good or better."""
    return theirs / ours if dataset.model_type is ModelType.REGRESSION else ours / theirs


@dataclass(frozen=True)
class Row:
    """One row of the results: a dataset on one of its splits."""

    label: str
    dataset: Dataset
    outcomes: dict[str, Outcome]
    #: The test part's target values, in the order of the predictions.
    truth: pd.Series


def table(rows: list[Row], methods: list[str], budget: float) -> str:
    """The results as a Markdown table, one row per dataset and split."""
    others = [method for method in methods if method != "automl"]
    header = ["dataset", "metric", *methods]
    header += [f"{method} s / budget" for method in methods if method in BUDGETED]
    if "automl" in methods:
        header += [f"automl ÷ {method}" for method in others]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        outcomes = row.outcomes
        cells = [row.label, METRIC_NAMES[row.dataset.model_type]]
        cells += [_score_cell(outcomes[m]) for m in methods]
        for method in methods:
            if method in BUDGETED:
                seconds = outcomes[method].seconds
                cells.append(f"{seconds:.1f} / {budget:g} ({seconds / budget:.2f}×)" if seconds else "–")
        if "automl" in methods:
            cells += [ratio(row.dataset, outcomes["automl"], outcomes[method]) for method in others]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


#: Resamples of the test records behind each interval of :func:`ratio_interval`.
BOOTSTRAP_DRAWS = 1_000
#: The interval's coverage: 90 %, from the 5th to the 95th percentile of the resampled ratios.
INTERVAL_PERCENTILES = (5.0, 95.0)


def ratio_interval(
    dataset: Dataset, splits: list[tuple[pd.Series, np.ndarray, np.ndarray]], seed: int = SEED
) -> tuple[float, float]:
    """A 90 % paired-bootstrap interval of the mean over the splits of our AutoML's ratio to another
    method (as :func:`ratio`), from ``(truth, ours, theirs)`` on each split's test records.

    Each draw resamples every split's test records with replacement and scores both methods on the
    same records, so the interval shows how far the ratio could move with another test part of the
    same size: on penguins' 86 records one record moves macro-F1 by about 0.01, and a ratio whose
    interval holds 1.0 says the two methods are not told apart by this test data. It does not cover
    the run-to-run variation of a time-budgeted search, which can be as large.
    """
    rng = np.random.default_rng(seed)
    means = np.empty(BOOTSTRAP_DRAWS)
    for draw in range(BOOTSTRAP_DRAWS):
        ratios = []
        for truth, ours, theirs in splits:
            rows = rng.integers(0, len(truth), len(truth))
            sample = truth.iloc[rows]
            ratios.append(
                _ratio(dataset, score(dataset, sample, ours[rows]), score(dataset, sample, theirs[rows]))
            )
        means[draw] = np.mean(ratios)
    low, high = np.percentile(means, INTERVAL_PERCENTILES)
    return float(low), float(high)


def _mean_ratio_cell(dataset: Dataset, rows: list[Row], method: str) -> str:
    """Our AutoML's mean ratio to ``method`` over ``rows`` (one dataset's splits) with its 90 %
    bootstrap interval; ``–`` where either method failed on a split."""
    ratios = [ratio(dataset, row.outcomes["automl"], row.outcomes[method]) for row in rows]
    if "–" in ratios:
        return "–"
    cell = f"{np.mean([float(r) for r in ratios]):.3f}"
    splits = []
    for row in rows:  # a method with a score has its predictions
        ours, theirs = row.outcomes["automl"].predicted, row.outcomes[method].predicted
        assert ours is not None and theirs is not None
        splits.append((row.truth, ours, theirs))
    low, high = ratio_interval(dataset, splits)
    return f"{cell} ({low:.3f}–{high:.3f})"


def mean_table(rows: list[Row], methods: list[str]) -> str:
    """Per dataset, each method's mean score over the splits and our AutoML's mean ratio to it (the
    mean of the splits' ratios, with its 90 % paired-bootstrap interval over the test records: see
    :func:`ratio_interval`); a method that failed on any split shows ``–``."""
    others = [method for method in methods if method != "automl"]
    header = ["dataset", "metric", "splits", *methods]
    if "automl" in methods:
        header += [f"automl ÷ {method}" for method in others]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    datasets = {row.dataset.name: row.dataset for row in rows}
    for dataset in datasets.values():
        own = [row for row in rows if row.dataset is dataset]
        cells = [dataset.name, METRIC_NAMES[dataset.model_type], str(len(own))]
        for method in methods:
            scores = [row.outcomes[method].score for row in own]
            cells.append("–" if None in scores else f"{np.mean(np.asarray(scores, dtype=float)):.4f}")
        if "automl" in methods:
            cells += [_mean_ratio_cell(dataset, own, method) for method in others]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _score_cell(outcome: Outcome) -> str:
    return f"{outcome.score:.4f}" if outcome.score is not None else str(outcome.problem)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per budgeted method and dataset")
    parser.add_argument(
        "--datasets", default="all", help=f"comma list of {', '.join(d.name for d in DATASETS)}"
    )
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma list of {', '.join(METHODS)}")
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
    parser.add_argument("--splits", type=int, default=1, help="train/test splits per dataset (seeds 0..N-1)")
    parser.add_argument(
        "--autogluon-python", type=Path, default=AUTOGLUON_PYTHON, help="AutoGluon's own interpreter"
    )
    args = parser.parse_args(argv)
    if args.splits < 1:
        parser.error("--splits must be at least 1")
    for runner in RUNNERS.values():
        if isinstance(runner, AutoGluonRunner):
            runner.python = args.autogluon_python
    chosen = [d for d in DATASETS if args.datasets == "all" or d.name in args.datasets.split(",")]
    methods = [m for m in (*METHODS, *EXTRA_METHODS) if m in args.methods.split(",")]
    rows: list[Row] = []
    for dataset in chosen:
        frame, schema = load(dataset, args.datasets_dir)
        for seed in range(args.splits):
            train, test = split(frame, dataset, seed)
            label = dataset.name if args.splits == 1 else f"{dataset.name} (split {seed})"
            row = Row(label, dataset, {}, test[dataset.target].reset_index(drop=True))
            rows.append(row)
            for method in methods:
                outcome = run(method, dataset, schema, train, test, args.budget)
                row.outcomes[method] = outcome
                load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
                print(
                    f"{label:18s} {method:9s} {_score_cell(outcome)} ({outcome.seconds or math.nan:.1f} s; "
                    f"load average {load_average})",
                    file=sys.stderr,
                    flush=True,
                )
    split_text = f"{1 - TEST_FRACTION:.0%}/{TEST_FRACTION:.0%}"
    seeds = f"seed {SEED}" if args.splits == 1 else f"seeds 0 to {args.splits - 1}"
    print(f"Budget {args.budget:g} s per budgeted method; train/test {split_text}, {seeds}.")
    print(table(rows, methods, args.budget))
    if args.splits > 1:
        print(f"\nMeans over the {args.splits} splits:")
        print(mean_table(rows, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
