"""The model families of the AutoML portfolio, in the order their first configurations are tried.

The linear model comes first: on wide sensor data and on text it is the strongest simple baseline,
and it is cheap, so the ensemble always starts from it. LightGBM follows as the usual winner on
tabular data, then CatBoost (native categoricals, strong defaults), the bagged forests, k-NN and
the neural network.
"""

from openaml.engine.automl.families.base import Config, Family, FittedLearner, Task
from openaml.engine.automl.families.catboost import CatBoostFamily
from openaml.engine.automl.families.forest import ForestFamily
from openaml.engine.automl.families.knn import NeighboursFamily
from openaml.engine.automl.families.lightgbm import LightGBMFamily
from openaml.engine.automl.families.linear import LinearFamily
from openaml.engine.automl.families.mlp import NeuralNetworkFamily

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        LinearFamily(),
        LightGBMFamily(),
        CatBoostFamily(),
        ForestFamily("extra_trees", extremely_randomized=True),
        ForestFamily("random_forest", extremely_randomized=False),
        NeighboursFamily(),
        NeuralNetworkFamily(),
    )
}

__all__ = ["FAMILIES", "Config", "Family", "FittedLearner", "Task"]
