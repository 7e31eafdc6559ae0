"""A small multi-layer perceptron (scikit-learn) over the scaled encoding.

Trained epoch by epoch, stopping before an epoch that would end past its deadline; during the
search the validation fold picks the best epoch (early stopping with patience), and the refit
trains that many epochs.
Regression targets are standardised for training and mapped back at prediction.
Predictions run the network's forward pass from its fitted weights, as scikit-learn computes it,
without the input validation that costs a hundred times the arithmetic for one record.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import optuna
from scipy.special import expit
from sklearn.neural_network import MLPClassifier, MLPRegressor

from openaml.engine.automl.budget import FitLimits
from openaml.engine.automl.families.base import (
    Config,
    Family,
    FittedLearner,
    FloatArray,
    Labels,
    Task,
    expand_probabilities,
    softmax,
)
from openaml.engine.automl.families.derived_portfolios import PORTFOLIOS
from openaml.engine.automl.features import Encoding, Matrix
from openaml.engine.metrics import metric_for

_MAX_EPOCHS = 200
_PATIENCE = 10
# Mini-batches of 32 to 256 rows, aiming at 8 or more Adam steps per epoch on small data.
_MIN_BATCH_SIZE = 32
_MAX_BATCH_SIZE = 256
_STEPS_PER_EPOCH = 8


class NeuralNetworkLearner:
    """A fitted network; ``target_mean``/``target_scale`` undo the regression target scaling."""

    def __init__(
        self,
        model: MLPClassifier | MLPRegressor,
        task: Task,
        epochs: int,
        target_mean: float = 0.0,
        target_scale: float = 1.0,
    ) -> None:
        self.model = model
        self.task = task
        self.target_mean = target_mean
        self.target_scale = target_scale
        self.refit_config: Config = {"epochs": epochs}
        self.complete = True

    def predict(self, features: Matrix) -> FloatArray:
        outputs = self._forward(features)
        if isinstance(self.model, MLPClassifier):
            if outputs.shape[1] == 1:  # two classes: one logistic output, for the second one
                outputs = np.column_stack([1.0 - outputs[:, 0], outputs[:, 0]])
            return expand_probabilities(outputs, self.model.classes_, self.task)
        values: FloatArray = outputs[:, 0] * self.target_scale + self.target_mean
        return values

    def _forward(self, features: Matrix) -> FloatArray:
        """The network's output layer: ReLU hidden layers (the family's choice), then the model's
        output activation (logistic, softmax or identity)."""
        layers = list(zip(self.model.coefs_, self.model.intercepts_, strict=True))
        activation: FloatArray = np.asarray(features @ layers[0][0]) + layers[0][1]
        for weights, intercepts in layers[1:]:
            activation = np.maximum(activation, 0.0) @ weights + intercepts
        if self.model.out_activation_ == "logistic":
            return np.asarray(expit(activation), dtype=np.float64)
        if self.model.out_activation_ == "softmax":
            return softmax(activation)
        return activation


class NeuralNetworkFamily(Family):
    """One or two ReLU layers trained with Adam."""

    name = "mlp"
    encoding = Encoding.SCALED
    max_training_rows = 1_000_000
    serving_cost = 2.0

    def portfolio(self, task: Task) -> list[Config]:
        """The derived portfolio (``benchmarks/derive_portfolio.py``), or the hand-written one."""
        derived = PORTFOLIOS.get(self.name)
        if derived:
            return [dict(config) for config in derived]
        return [
            {"hidden_units": 128, "layers": 1, "alpha": 1e-4, "learning_rate": 1e-3},
            {"hidden_units": 256, "layers": 2, "alpha": 1e-2, "learning_rate": 1e-3},
        ]

    def suggest(self, trial: optuna.Trial, task: Task) -> Config:
        return {
            "hidden_units": trial.suggest_int("hidden_units", 16, 512, log=True),
            "layers": trial.suggest_int("layers", 1, 2),
            "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
            "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True),
        }

    def fit(
        self,
        features: Matrix,
        y: Labels,
        config: Config,
        task: Task,
        limits: FitLimits,
        validation: tuple[Matrix, Labels] | None = None,
    ) -> FittedLearner:
        settings = {
            "hidden_layer_sizes": (int(config["hidden_units"]),) * int(config["layers"]),
            "alpha": float(config["alpha"]),
            "learning_rate_init": float(config["learning_rate"]),
            "batch_size": min(max(features.shape[0] // _STEPS_PER_EPOCH, _MIN_BATCH_SIZE), _MAX_BATCH_SIZE),
            "random_state": task.seed,
        }
        mean, scale = 0.0, 1.0
        model: MLPClassifier | MLPRegressor
        if task.is_classification:
            model = MLPClassifier(**settings)
            target: Labels = y
        else:
            model = MLPRegressor(**settings)
            mean, scale = float(np.mean(y)), float(np.std(y)) or 1.0
            target = (y - mean) / scale
        learner = NeuralNetworkLearner(model, task, 0, mean, scale)
        loss = metric_for("log_loss" if task.is_classification else "rmse", task.model_type)
        best_loss, best_epoch, best_model = np.inf, 0, model
        epoch_seconds = 0.0
        for epoch in range(1, int(config.get("epochs", _MAX_EPOCHS)) + 1):
            if epoch > 1 and limits.seconds_left() < epoch_seconds:
                learner.complete = False
                break
            started = time.monotonic()
            if isinstance(model, MLPClassifier):
                model.partial_fit(features, target, classes=np.arange(task.n_classes))
            else:
                model.partial_fit(features, target)
            if validation is not None:
                value = loss.loss(validation[1], learner.predict(validation[0]))
                if value < best_loss:
                    best_loss, best_epoch, best_model = value, epoch, copy.deepcopy(model)
                elif epoch - best_epoch >= _PATIENCE:
                    break
            else:
                best_epoch, best_model = epoch, model
            epoch_seconds = time.monotonic() - started
            if limits.should_end():
                learner.complete = False
                break
        learner.model = best_model
        learner.refit_config = {"epochs": max(best_epoch, 1)}
        return learner
