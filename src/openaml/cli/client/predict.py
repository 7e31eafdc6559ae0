"""``openaml predict``: one record through the real-time ``Predict`` API, or many through the extension.

Records come from ``NAME=VALUE`` arguments or a file: CSV with a header, a JSON object, a JSON list
of objects, or JSON Lines. One record goes to ``Predict`` at the model's ``EndpointUrl`` exactly as an
application would call it; several go to ``POST /openaml/v1/mlmodels/{id}/predictions`` in batches.
Empty values are left out of the record, which the model treats as missing.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click
from rich.console import Group
from rich.progress import Progress

from openaml.cli.client.command import ClientContext, client_command
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.output import fields_table, rows_table

RECORDS_PER_CALL = 1000

Record = dict[str, str]


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _as_record(item: Any, where: str) -> Record:
    if not isinstance(item, dict):
        raise CliError(f"{where} is not a JSON object of attribute values", ExitCode.USAGE)
    return {str(key): _cell(value) for key, value in item.items() if value is not None and value != ""}


def read_records(path: Path) -> list[Record]:
    """The records of a CSV (with header), JSON (object or list) or JSON Lines file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}", ExitCode.USAGE) from error
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        lines = [line for line in text.splitlines() if line.strip()]
        return [
            _as_record(_load_json(line, f"{path} line {n}"), f"{path} line {n}")
            for n, line in enumerate(lines, 1)
        ]
    if suffix == ".json":
        content = _load_json(text, str(path))
        items = content if isinstance(content, list) else [content]
        return [_as_record(item, f"{path} item {n}") for n, item in enumerate(items, 1)]
    return [
        {key: value for key, value in row.items() if key and value}
        for row in csv.DictReader(io.StringIO(text))
    ]


def _load_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise CliError(f"{where} is not valid JSON: {error}", ExitCode.USAGE) from error


def parse_pairs(pairs: tuple[str, ...]) -> Record:
    """``("age=31", "sex=female")`` → ``{"age": "31", "sex": "female"}``."""
    record: Record = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise CliError(f"record values are NAME=VALUE, not {pair!r}", ExitCode.USAGE)
        record[name] = value
    return record


def prediction_summary(prediction: dict[str, Any]) -> tuple[Any, float | None]:
    """The predicted label (or value) and the score the model gives it.

    For BINARY models ``predictedScores`` holds P(class "1") under the predicted label, as in Amazon ML.
    """
    if "predictedLabel" in prediction:
        label = prediction["predictedLabel"]
        score = (prediction.get("predictedScores") or {}).get(label)
        return label, None if score is None else float(score)
    return prediction.get("predictedValue"), None


def ready_endpoint_url(context: ClientContext, model_id: str) -> str:
    """The model's endpoint URL; a clear error with the command to run when it is not READY."""
    model = context.client.call("get_ml_model", MLModelId=model_id)
    info = model.get("EndpointInfo") or {}
    if model.get("Status") in ("PENDING", "INPROGRESS"):
        raise CliError(
            f"MLModel {model_id} is still training ({model['Status']}); wait for it with "
            f"`openaml model wait {model_id}`, then create its endpoint with "
            f"`openaml endpoint create {model_id}`.",
            ExitCode.REFUSED,
        )
    if info.get("EndpointStatus") != "READY" or not info.get("EndpointUrl"):
        raise CliError(
            f"MLModel {model_id} has no READY real-time endpoint "
            f"(it is {info.get('EndpointStatus', 'NONE')}); "
            f"create one with `openaml endpoint create {model_id}`.",
            ExitCode.REFUSED,
        )
    return str(info["EndpointUrl"])


def predict_one(context: ClientContext, model_id: str, record: Record) -> dict[str, Any]:
    """One prediction through ``Predict``, as an application makes it."""
    url = ready_endpoint_url(context, model_id)
    prediction: dict[str, Any] = context.client.call(
        "predict", MLModelId=model_id, Record=record, PredictEndpoint=url
    )["Prediction"]
    return prediction


def predict_many(context: ClientContext, model_id: str, records: list[Record]) -> list[dict[str, Any]]:
    """Predictions of many records, in calls of :data:`RECORDS_PER_CALL`, with a progress bar."""
    ready_endpoint_url(context, model_id)
    predictions: list[dict[str, Any]] = []
    with Progress(console=context.printer.messages, transient=True) as progress:
        task = progress.add_task(f"Predicting {len(records):,} records", total=len(records))
        for start in range(0, len(records), RECORDS_PER_CALL):
            batch = records[start : start + RECORDS_PER_CALL]
            answer = context.client.post_json(f"/mlmodels/{model_id}/predictions", {"Records": batch})
            predictions.extend(answer["Predictions"])
            progress.advance(task, len(batch))
    return predictions


def one_prediction_view(prediction: dict[str, Any]) -> Any:
    label, score = prediction_summary(prediction)
    details = prediction.get("details") or {}
    parts: list[Any] = [
        fields_table(
            [
                ("predicted", label),
                ("score", score),
                ("model type", details.get("PredictiveModelType")),
                ("algorithm", details.get("openaml.algorithm") or details.get("Algorithm")),
                ("missing attributes", details.get("openaml.missingAttributes")),
            ]
        )
    ]
    scores = prediction.get("predictedScores") or {}
    if len(scores) > 1:
        ordered = sorted(scores.items(), key=lambda item: -float(item[1]))
        parts.append(rows_table(["class", "score"], ([name, float(value)] for name, value in ordered)))
    return Group(*parts)


@click.command("predict")
@client_command
@click.argument("model_id", metavar="MODEL_ID")
@click.argument("pairs", nargs=-1, metavar="[NAME=VALUE]...")
@click.option(
    "--file",
    "records_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Records to predict: CSV with a header, JSON (object or list) or JSON Lines.",
)
def predict(context: ClientContext, model_id: str, pairs: tuple[str, ...], records_file: Path | None) -> None:
    """Predict with a model's real-time endpoint: one record (NAME=VALUE pairs) or a file's records."""
    if bool(pairs) == bool(records_file):
        raise CliError(
            "Give the record as NAME=VALUE arguments or --file FILE (one of the two).", ExitCode.USAGE
        )
    records = read_records(records_file) if records_file else [parse_pairs(pairs)]
    if not records:
        raise CliError(f"{records_file} holds no records", ExitCode.USAGE)
    if len(records) == 1:
        prediction = predict_one(context, model_id, records[0])
        context.printer.emit({"Prediction": prediction}, one_prediction_view(prediction))
        return
    predictions = predict_many(context, model_id, records)
    rows = [[index, *prediction_summary(prediction)] for index, prediction in enumerate(predictions, 1)]
    context.printer.emit({"Predictions": predictions}, rows_table(["record", "predicted", "score"], rows))
