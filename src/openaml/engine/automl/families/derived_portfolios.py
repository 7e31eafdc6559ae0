"""Zero-shot portfolios derived by ``benchmarks/derive_portfolio.py`` (generated; do not edit).

Each family's configurations in the order greedy selection chose them; the comments give the
mean normalised error over the derivation's datasets once each one is added (0 = the best
candidate on every dataset).
"""

from typing import Any

PORTFOLIOS: dict[str, list[dict[str, Any]]] = {
    "catboost": [
        # mean best error 0.203 over 14 datasets (1000 rows, 1 s per fold)
        {
            "border_count": 254,
            "class_weight": "none",
            "depth": 4,
            "l2_leaf_reg": 10.0,
            "learning_rate": 0.1,
            "one_hot_max_size": 2,
            "random_strength": 1.0,
        },
        # mean best error 0.096 over 14 datasets (1000 rows, 1 s per fold)
        {
            "border_count": 254,
            "class_weight": "none",
            "depth": 7,
            "l2_leaf_reg": 3.3078827655538574,
            "learning_rate": 0.27895744302956854,
            "one_hot_max_size": 10,
            "random_strength": 3.902645881432277,
        },
        # mean best error 0.042 over 14 datasets (1000 rows, 1 s per fold)
        {
            "border_count": 64,
            "class_weight": "none",
            "depth": 5,
            "l2_leaf_reg": 28.60541022781699,
            "learning_rate": 0.06954241509602922,
            "one_hot_max_size": 2,
            "random_strength": 0.5102240537401403,
        },
        # mean best error 0.011 over 14 datasets (1000 rows, 1 s per fold)
        {
            "border_count": 254,
            "class_weight": "balanced",
            "depth": 6,
            "l2_leaf_reg": 5.11727964878419,
            "learning_rate": 0.1477317633429356,
            "one_hot_max_size": 10,
            "random_strength": 4.627983191463305,
        },
    ],
    "extra_trees": [
        # mean best error 0.116 over 20 datasets (500 rows, 0.5 s per fold)
        # left-out-dataset error 0.010 (previous portfolio 0.299)
        {"class_weight": "balanced", "criterion": "entropy", "max_features": 0.6, "min_samples_leaf": 1},
        # mean best error 0.031 over 20 datasets (500 rows, 0.5 s per fold)
        {"class_weight": "none", "criterion": "gini", "max_features": 0.3, "min_samples_leaf": 1},
        # mean best error 0.000 over 20 datasets (500 rows, 0.5 s per fold)
        {"class_weight": "none", "criterion": "entropy", "max_features": "log2", "min_samples_leaf": 7},
        # mean best error 0.000 over 20 datasets (500 rows, 0.5 s per fold)
        {"class_weight": "none", "criterion": "gini", "max_features": "sqrt", "min_samples_leaf": 1},
    ],
    "knn": [
        # mean best error 0.060 over 20 datasets (2000 rows, 2 s per fold)
        # left-out-dataset error 0.005 (previous portfolio 0.026)
        {"n_neighbors": 15, "weights": "distance"},
        # mean best error 0.031 over 20 datasets (2000 rows, 2 s per fold)
        {"n_neighbors": 9, "weights": "distance"},
        # mean best error 0.006 over 20 datasets (2000 rows, 2 s per fold)
        {"n_neighbors": 43, "weights": "distance"},
        # mean best error 0.002 over 20 datasets (2000 rows, 2 s per fold)
        {"n_neighbors": 2, "weights": "distance"},
    ],
    "lightgbm": [
        # mean best error 0.136 over 20 datasets (500 rows, 0.5 s per fold)
        # left-out-dataset error 0.033 (previous portfolio 0.049)
        {
            "bagging_fraction": 1.0,
            "class_weight": "none",
            "extra_trees": True,
            "feature_fraction": 0.9,
            "lambda_l1": 1e-08,
            "lambda_l2": 1e-08,
            "learning_rate": 0.05,
            "max_bin": 255,
            "min_data_in_leaf": 20,
            "num_leaves": 31,
        },
        # mean best error 0.047 over 20 datasets (500 rows, 0.5 s per fold)
        {
            "bagging_fraction": 0.916309922773969,
            "class_weight": "balanced",
            "extra_trees": False,
            "feature_fraction": 0.314152878208228,
            "lambda_l1": 0.10078844818976519,
            "lambda_l2": 0.6762532016190338,
            "learning_rate": 0.2329262676497442,
            "max_bin": 255,
            "min_data_in_leaf": 2,
            "num_leaves": 5,
        },
        # mean best error 0.023 over 20 datasets (500 rows, 0.5 s per fold)
        {
            "bagging_fraction": 0.8,
            "class_weight": "none",
            "extra_trees": False,
            "feature_fraction": 0.5,
            "lambda_l1": 1e-08,
            "lambda_l2": 1.0,
            "learning_rate": 0.05,
            "max_bin": 255,
            "min_data_in_leaf": 10,
            "num_leaves": 8,
        },
        # mean best error 0.011 over 20 datasets (500 rows, 0.5 s per fold)
        {
            "bagging_fraction": 0.7118273996694524,
            "class_weight": "balanced",
            "extra_trees": True,
            "feature_fraction": 0.6814182280978278,
            "lambda_l1": 0.006502000785097662,
            "lambda_l2": 8.675307976899775e-05,
            "learning_rate": 0.0646642271741456,
            "max_bin": 255,
            "min_data_in_leaf": 19,
            "num_leaves": 75,
        },
    ],
    "linear": [
        # mean best error 0.098 over 14 datasets (2000 rows, 2 s per fold)
        # left-out-dataset error 0.025 (previous portfolio 0.027)
        {"C": 0.04831596208381853, "class_weight": "none"},
        # mean best error 0.033 over 14 datasets (2000 rows, 2 s per fold)
        {"C": 0.9469170308457562, "class_weight": "none"},
        # mean best error 0.018 over 14 datasets (2000 rows, 2 s per fold)
        {"C": 0.000672854220813525, "class_weight": "none"},
        # mean best error 0.010 over 14 datasets (2000 rows, 2 s per fold)
        {"C": 0.11564063794438938, "class_weight": "balanced"},
    ],
    "linear.regression": [
        # mean best error 0.000 over 6 datasets (2000 rows, 2 s per fold)
        # left-out-dataset error 0.000 (previous portfolio 0.000)
        {"alpha": 1.156406379443895},
        # mean best error 0.000 over 6 datasets (2000 rows, 2 s per fold)
        {"alpha": 10.0},
        # mean best error 0.000 over 6 datasets (2000 rows, 2 s per fold)
        {"alpha": 16.57080598434684},
        # mean best error 0.000 over 6 datasets (2000 rows, 2 s per fold)
        {"alpha": 0.4831596208381854},
    ],
    "mlp": [
        # mean best error 0.045 over 20 datasets (500 rows, 0.5 s per fold)
        # left-out-dataset error 0.004 (previous portfolio 0.184)
        {
            "alpha": 0.00015414734761917085,
            "hidden_units": 68,
            "layers": 2,
            "learning_rate": 0.006074996073425695,
        },
        # mean best error 0.006 over 20 datasets (500 rows, 0.5 s per fold)
        {
            "alpha": 0.0077764924510783885,
            "hidden_units": 17,
            "layers": 2,
            "learning_rate": 0.005495716186411619,
        },
        # mean best error 0.002 over 20 datasets (500 rows, 0.5 s per fold)
        {
            "alpha": 0.00020295362430434728,
            "hidden_units": 476,
            "layers": 2,
            "learning_rate": 0.0036396393567863887,
        },
        # mean best error 0.001 over 20 datasets (500 rows, 0.5 s per fold)
        {"alpha": 0.0001, "hidden_units": 128, "layers": 1, "learning_rate": 0.001},
    ],
    "random_forest": [
        # mean best error 0.280 over 20 datasets (500 rows, 0.5 s per fold)
        # left-out-dataset error 0.016 (previous portfolio 0.249)
        {"class_weight": "balanced", "criterion": "entropy", "max_features": 0.6, "min_samples_leaf": 1},
        # mean best error 0.054 over 20 datasets (500 rows, 0.5 s per fold)
        {"class_weight": "none", "criterion": "gini", "max_features": "sqrt", "min_samples_leaf": 1},
        # mean best error 0.009 over 20 datasets (500 rows, 0.5 s per fold)
        {"class_weight": "none", "criterion": "entropy", "max_features": "sqrt", "min_samples_leaf": 7},
        # mean best error 0.001 over 20 datasets (500 rows, 0.5 s per fold)
        {"class_weight": "balanced", "criterion": "gini", "max_features": 0.3, "min_samples_leaf": 8},
    ],
}
