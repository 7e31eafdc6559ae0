"""Benchmark: what explanations cost real-time ``Predict`` (p50/p99 with and without, same run).

Starts ``openaml serve --port 0`` (one serving process, one job worker) on a temporary data directory,
trains through boto3 an SGD model (Amazon ML's mode) and an AutoML model on titanic (binary) and on
the HAR sample (561 features, 6 classes), and creates their real-time endpoints. The AutoML models use
the families whose predictions are explained (``--algorithms``, default ``lightgbm,linear``): an
ensemble with a forest, k-NN or MLP member answers only why it is not explained. Then, per model:

* ``bare`` — the saved model loaded here, ``RecordPredictor.predict`` of one record without and with
  ``explain_top=5``, the two alternating record by record;
* ``service`` — SigV4-signed ``Predict`` requests over one keep-alive connection, one at a time,
  without and with the ``X-OpenAML-Explain: top=5`` header (signed), alternating; the latency is
  from sending a request to its whole answer (signing is done before the clock starts).

p50 and p99 in ms, and each ``with / without`` ratio, measured in the same run on the same records.
The machine may be shared: compare the ratios, not the absolute numbers across runs.

Usage::

    .venv/bin/python benchmarks/explain.py
    .venv/bin/python benchmarks/explain.py --budget 20 --records 100 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from service import (  # the folder of this script is on sys.path
    DATASETS,
    DEFAULT_DATASETS_DIR,
    TARGET,
    client,
    running_server,
    sample_records,
    sign,
    train_models,
)
from threadpoolctl import threadpool_limits

from openaml.engine.data.schema import parse_data_schema
from openaml.engine.explain.details import ExplanationDetails
from openaml.engine.models import load_model
from openaml.engine.predictors import RecordPredictor

TOP = 5
MODELS = ("titanic-sgd", "titanic-automl", "har-sgd", "har-automl")


def percentiles(times: Sequence[float]) -> tuple[float, float]:
    """p50 and p99 of ``times`` (seconds) in ms."""
    ordered = sorted(times)
    return statistics.median(ordered) * 1e3, ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1e3


def bare(model_dir: Path, records: Sequence[dict[str, str]], rounds: int) -> dict[str, Any]:
    """In-process ``RecordPredictor.predict`` without and with explanations, alternating."""
    model, metadata = load_model(model_dir)
    threadpool_limits(limits=1)
    predictor = RecordPredictor(model, parse_data_schema(json.dumps(metadata["schema"])))
    predictor.explain = ExplanationDetails(model, [a.name for a in predictor.schema.input_attributes])
    sample = predictor.predict([records[0]], TOP)[0]["details"]
    for record in records[:20]:
        predictor.predict([record])
        predictor.predict([record], TOP)
    plain: list[float] = []
    explained: list[float] = []
    for _ in range(rounds):
        for record in records:
            for top, times in ((None, plain), (TOP, explained)):
                started = time.perf_counter()
                predictor.predict([record], top)
                times.append(time.perf_counter() - started)
    trees = [
        member.learner.booster.num_trees()
        for member in getattr(model, "members", ())
        if hasattr(getattr(member, "learner", None), "booster")
    ]
    return {
        "algorithm": model.algorithm,
        "lightgbm_trees": trees,
        "explained": "openaml.explanation" in sample,
        "why_not": sample.get("openaml.explanation.unavailable"),
        "plain": percentiles(plain),
        "explained_ms": percentiles(explained),
    }


def signed(url: str, model_id: str, record: dict[str, str], explain: bool) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a ``Predict`` request, SigV4-signed as boto3 signs it."""
    body = json.dumps({"MLModelId": model_id, "Record": record, "PredictEndpoint": url}).encode()
    headers = {"X-Amz-Target": TARGET, "Content-Type": "application/x-amz-json-1.1"}
    if explain:
        headers["X-OpenAML-Explain"] = f"top={TOP}"
    return body, sign("POST", url + "/", body, headers)


def service(url: str, model_id: str, records: Sequence[dict[str, str]], rounds: int) -> dict[str, Any]:
    """Serial signed ``Predict`` requests without and with the explain header, alternating."""
    plain: list[float] = []
    explained: list[float] = []
    with httpx.Client(timeout=30) as client:
        for _ in range(rounds):
            for record in records:
                for explain, times in ((False, plain), (True, explained)):
                    body, headers = signed(url, model_id, record, explain)
                    started = time.perf_counter()
                    response = client.post(url + "/", content=body, headers=headers)
                    times.append(time.perf_counter() - started)
                    if response.status_code != 200:
                        raise RuntimeError(f"Predict answered {response.status_code}: {response.text}")
    return {"plain": percentiles(plain), "explained_ms": percentiles(explained)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--datasets-dir", type=Path, default=DEFAULT_DATASETS_DIR)
    parser.add_argument("--budget", default="30", help="AutoML time budget in seconds")
    parser.add_argument("--algorithms", default="lightgbm,linear", help="AutoML families")
    parser.add_argument("--records", type=int, default=200, help="distinct records")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the records")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openaml-explain-bench-") as scratch:
        data_dir, roots = Path(scratch, "data"), Path(scratch, "roots")
        roots.mkdir()
        with running_server(data_dir, roots, http_workers=1) as url:
            automl = {"openaml.timeBudgetSeconds": args.budget, "openaml.algorithms": args.algorithms}
            train_models(client(url), MODELS, args.datasets_dir, roots, automl)
            rows = []
            for name in MODELS:
                dataset = DATASETS[name.split("-")[0]]
                records = sample_records(args.datasets_dir, dataset, args.records)
                in_process = bare(data_dir / "mlmodels" / name / "model", records, args.rounds)
                served = service(url, name, records, args.rounds)
                rows.append((name, in_process, served))
                print(json.dumps({"model": name, "bare": in_process, "service": served}), flush=True)
    print()
    header = (
        "model",
        "algorithm",
        "explained",
        "bare p50 ms (without → with)",
        "service p50 ms",
        "service p99 ms",
    )
    print("| " + " | ".join(header) + " |")
    print("|---|---|---|---|---|---|")
    for name, in_process, served in rows:
        cells = []
        for result, index in ((in_process, 0), (served, 0), (served, 1)):
            without, with_ = result["plain"][index], result["explained_ms"][index]
            cells.append(f"{without:.2f} → {with_:.2f} ({with_ / without:.2f}×)")
        explained = "yes" if in_process["explained"] else f"no: {in_process['why_not']}"
        trees = in_process["lightgbm_trees"]
        algorithm = in_process["algorithm"] + (
            f" (LightGBM trees: {'+'.join(map(str, trees))})" if trees else ""
        )
        print(f"| {name} | {algorithm} | {explained} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
