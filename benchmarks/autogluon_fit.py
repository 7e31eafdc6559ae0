"""AutoGluon's side of ``benchmarks/automl.py``: runs in AutoGluon's own virtual environment.

AutoGluon pins older pandas/pyarrow than OpenAML, so it cannot share OpenAML's environment. The
benchmark writes the train and test parts of a dataset as Parquet into a folder, runs this script with
AutoGluon's interpreter, and reads back ``predictions.parquet`` (P(1) for BINARY, labels for
MULTICLASS, values for REGRESSION) and ``fit.json`` (the fit's wall time). Only the standard library,
pandas and AutoGluon are imported, so the script runs in an environment made by::

    python3 -m venv ../autogluon-venv
    ../autogluon-venv/bin/pip install "autogluon.tabular[lightgbm,catboost,xgboost,fastai]" torch

(without the extras AutoGluon has no gradient-boosting or fastai models at all).

Usage (normally called by ``benchmarks/automl.py --methods autogluon-medium,autogluon-best``)::

    ../autogluon-venv/bin/python benchmarks/autogluon_fit.py FOLDER --label y --problem binary \
        --metric roc_auc --preset medium_quality --time-limit 120 --cpus 2
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="holds train.parquet and test.parquet")
    parser.add_argument("--label", required=True)
    parser.add_argument("--problem", required=True, choices=("binary", "multiclass", "regression"))
    parser.add_argument("--metric", required=True)
    parser.add_argument("--preset", default="medium_quality")
    parser.add_argument("--time-limit", type=float, required=True)
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args(argv)

    import pandas as pd
    from autogluon.tabular import TabularPredictor

    train = pd.read_parquet(args.folder / "train.parquet")
    test = pd.read_parquet(args.folder / "test.parquet")
    with tempfile.TemporaryDirectory() as models:
        started = time.monotonic()
        predictor = TabularPredictor(
            label=args.label, problem_type=args.problem, eval_metric=args.metric, path=models, verbosity=0
        ).fit(train, presets=args.preset, time_limit=args.time_limit, num_cpus=args.cpus, num_gpus=0)
        seconds = time.monotonic() - started
        features = test.drop(columns=[args.label])
        if args.problem == "binary":
            probabilities = predictor.predict_proba(features)
            positive = predictor.positive_class
            predicted = pd.DataFrame({"prediction": probabilities[positive].astype("float64")})
        elif args.problem == "multiclass":
            predicted = pd.DataFrame({"prediction": predictor.predict(features).astype(str)})
        else:
            predicted = pd.DataFrame({"prediction": predictor.predict(features).astype("float64")})
        best = str(predictor.model_best)
        trained = [str(name) for name in predictor.model_names()]
    predicted.to_parquet(args.folder / "predictions.parquet", index=False)
    (args.folder / "fit.json").write_text(json.dumps({"seconds": seconds, "best": best, "models": trained}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
