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
}
