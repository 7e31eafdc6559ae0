"""Model pages: type, progress, parameters, recipe, leaderboard, feature importance, evaluations,
endpoint and predictions.

The "try a prediction" form is generated from the model's schema: one labelled field per input
attribute (a yes/no choice for BINARY, suggestions from the training statistics for CATEGORICAL,
a text area for TEXT); empty fields are sent as missing values, as ``Predict`` treats them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console import charts
from openaml.console.data_sources import STATISTICS
from openaml.console.kinds import is_running
from openaml.console.pages import (
    BASE,
    Console,
    FormError,
    Visit,
    local_target,
    optional,
    security_headers,
)
from openaml.console.pasted_row import PastedRowError, field_values
from openaml.errors import InternalServerException, OpenAMLError
from openaml.operations.extensions import RawContent

LEADERBOARD = ("GET", "/mlmodels/{MLModelId}/leaderboard")
#: The extension route of a model's pictures (the feature-importance bar chart).
MODEL_CHART = ("GET", "/mlmodels/{MLModelId}/charts/{chart}")
IMPORTANCE_CHART = "feature-importance.svg"
#: Suggested values offered for a CATEGORICAL field.
SUGGESTIONS = 30


@dataclass(frozen=True)
class PredictionField:
    """One field of the prediction form."""

    index: int
    name: str
    type: str
    suggestions: tuple[str, ...] = ()

    @property
    def input_name(self) -> str:
        return f"value_{self.index}"


def prediction_fields(schema: dict[str, Any], statistics: dict[str, Any] | None) -> list[PredictionField]:
    """The model's input attributes (not the target, row ID or excluded ones) as form fields."""
    skipped = {schema.get("targetAttributeName"), schema.get("rowId"), schema.get("rowWeight")}
    skipped |= set(schema.get("excludedAttributeNames") or [])
    suggestions = {
        a["name"]: tuple(str(entry["value"]) for entry in (a.get("topValues") or [])[:SUGGESTIONS])
        for a in (statistics or {}).get("attributes", [])
    }
    inputs = [a for a in schema.get("attributes", []) if a["attributeName"] not in skipped]
    return [
        PredictionField(
            index, a["attributeName"], a["attributeType"], suggestions.get(a["attributeName"], ())
        )
        for index, a in enumerate(inputs)
    ]


@dataclass(frozen=True)
class EnsembleMember:
    """One model of an AutoML ensemble, from the leaderboard."""

    family: str
    weight: float
    rank: int | None
    score: float | None


@dataclass(frozen=True)
class Algorithm:
    """What a model really is and the training parameters that applied to it.

    Read from ``GetMLModel`` (an SGD model has a recipe, or was asked for with
    ``openaml.algorithms=sgd``) and the AutoML leaderboard (its members are the candidates with an
    ensemble weight). ``TrainingParameters`` of an AutoML model also echo Amazon ML's ``sgd.*``
    defaults and ``algorithm: sgd``, which did not apply to it; ``parameters`` leaves them out.
    """

    automl: bool
    description: str
    members: tuple[EnsembleMember, ...]
    parameters: dict[str, str]
    hidden_sgd_parameters: bool


def algorithm_of(model: dict[str, Any], leaderboard: dict[str, Any] | None) -> Algorithm:
    parameters = {str(k): str(v) for k, v in (model.get("TrainingParameters") or {}).items()}
    asked = parameters.get("openaml.algorithms", "").strip().lower()
    if model.get("Recipe") or asked == "sgd":
        return Algorithm(False, "Amazon ML's SGD model (linear)", (), parameters, False)
    shown = {k: v for k, v in parameters.items() if not (k == "algorithm" or k.startswith("sgd."))}
    hidden = len(shown) < len(parameters)
    if leaderboard is None:
        running = is_running(model.get("Status", ""))
        description = "AutoML (the models are chosen when training ends)" if running else "AutoML"
        return Algorithm(True, description, (), shown, hidden)
    members = tuple(
        sorted(
            (
                EnsembleMember(
                    str(entry.get("family", "?")),
                    float(entry["ensembleWeight"]),
                    entry.get("rank"),
                    entry.get("validationScore"),
                )
                for entry in leaderboard.get("candidates", [])
                if entry.get("ensembleWeight")
            ),
            key=lambda member: -member.weight,
        )
    )
    if len(members) == 1:
        description = f"AutoML: one {members[0].family} model"
    elif members:
        weighted = ", ".join(f"{m.family} {m.weight:.2f}" for m in members)
        description = f"AutoML: weighted ensemble of {len(members)} models ({weighted})"
    else:
        description = "AutoML"
    return Algorithm(True, description, members, shown, hidden)


def routes(console: Console) -> list[Route]:
    gateway = console.gateway

    async def render_model(
        request: Request,
        visit: Visit,
        *,
        values: dict[str, str] | None = None,
        pasted_row: str = "",
        prediction: dict[str, Any] | None = None,
        prediction_error: str | None = None,
    ) -> Response:
        model_id = request.path_params["id"]
        model = await gateway.call("GetMLModel", {"MLModelId": model_id, "Verbose": True}, visit.caller)
        leaderboard, leaderboard_message = None, None
        if model["Status"] == "COMPLETED":
            leaderboard, leaderboard_message = await optional(
                gateway.extension_json(*LEADERBOARD, visit.caller, path={"MLModelId": model_id})
            )
        statistics = None
        if model.get("TrainingDataSourceId") and model.get("Schema"):
            statistics, _ = await optional(
                gateway.extension_json(
                    *STATISTICS, visit.caller, path={"DataSourceId": model["TrainingDataSourceId"]}
                )
            )
        schema = json.loads(model["Schema"]) if model.get("Schema") else None
        related = {"FilterVariable": "MLModelId", "EQ": model_id}
        evaluations = await gateway.describe_all("DescribeEvaluations", related, visit.caller)
        batch_predictions = await gateway.describe_all("DescribeBatchPredictions", related, visit.caller)
        scores = (prediction or {}).get("predictedScores") or {}
        return console.render(
            request,
            "ml_model.html",
            {
                "page_title": f"Model {model.get('Name') or model_id}",
                "model": model,
                "endpoint": model.get("EndpointInfo") or {"EndpointStatus": "NONE"},
                "schema": schema,
                "algorithm": algorithm_of(model, leaderboard),
                "pasted_row": pasted_row,
                "fields": prediction_fields(schema, statistics) if schema else [],
                "values": values or {},
                "prediction": prediction,
                "prediction_error": prediction_error,
                "scores_figure": charts.scores_figure(scores),
                "leaderboard": leaderboard,
                "leaderboard_message": leaderboard_message,
                "evaluations": evaluations,
                "batch_predictions": batch_predictions,
                "live": is_running(model["Status"])
                or model.get("EndpointInfo", {}).get("EndpointStatus") == "UPDATING",
            },
            session=visit.session,
            status=400 if prediction_error else 200,
        )

    async def show(request: Request, visit: Visit) -> Response:
        return await render_model(request, visit)

    async def predict(request: Request, visit: Visit) -> Response:
        model_id = request.path_params["id"]
        values = {name: value for name, value in visit.form.items() if name.startswith("value_")}
        model = await gateway.call("GetMLModel", {"MLModelId": model_id, "Verbose": True}, visit.caller)
        schema = json.loads(model.get("Schema") or "{}")
        fields = prediction_fields(schema, None)
        if is_running(model["Status"]):
            message = (
                f"Model {model_id} is still training, so it cannot predict yet: wait until it is COMPLETED "
                "(this page reloads itself then), enable real-time predictions and try again."
            )
            return await render_model(request, visit, values=values, prediction_error=message)
        pasted_row = visit.form.get("csv_row", "")
        if pasted_row.strip():
            names = [a["attributeName"] for a in schema.get("attributes", [])]
            try:
                values = field_values(pasted_row, names, fields)
            except PastedRowError as error:
                return await render_model(
                    request, visit, values=values, pasted_row=pasted_row, prediction_error=str(error)
                )
        record = {
            field.name: values[field.input_name]
            for field in fields
            if values.get(field.input_name, "").strip()
        }
        endpoint_url = (model.get("EndpointInfo") or {}).get("EndpointUrl") or str(
            gateway.ctx.settings.public_url
        )
        try:
            answer = await gateway.call(
                "Predict",
                {"MLModelId": model_id, "Record": record, "PredictEndpoint": endpoint_url},
                visit.caller,
            )
        except OpenAMLError as error:
            return await render_model(
                request, visit, values=values, pasted_row=pasted_row, prediction_error=error.message
            )
        return await render_model(
            request, visit, values=values, pasted_row=pasted_row, prediction=answer["Prediction"]
        )

    async def endpoint(request: Request, visit: Visit) -> Response:
        model_id = request.path_params["id"]
        enable = visit.field("action") == "enable"
        operation = "CreateRealtimeEndpoint" if enable else "DeleteRealtimeEndpoint"
        target = f"{BASE}/mlmodels/{model_id}#endpoint"
        try:
            await gateway.call(operation, {"MLModelId": model_id}, visit.caller)
        except OpenAMLError as error:
            return console.redirect(request, target, flash=error.message, error=True)
        done = "enabled: the model now answers real-time predictions" if enable else "disabled"
        return console.redirect(request, target, flash=f"The real-time endpoint is {done}.")

    async def threshold(request: Request, visit: Visit) -> Response:
        model_id = request.path_params["id"]
        target = local_target(visit.field("return_to") or f"{BASE}/mlmodels/{model_id}")
        try:
            value = float(visit.field("threshold"))
        except ValueError:
            raise FormError(
                f"The cut-off must be a number between 0 and 1, not {visit.field('threshold')!r}."
            ) from None
        try:
            await gateway.call(
                "UpdateMLModel", {"MLModelId": model_id, "ScoreThreshold": value}, visit.caller
            )
        except OpenAMLError as error:
            return console.redirect(request, target, flash=error.message, error=True)
        return console.redirect(
            request,
            target,
            flash=f"Score threshold of {model_id} set to {value:g}: every prediction from now on uses it.",
        )

    async def chart(request: Request, visit: Visit) -> Response:
        """The feature-importance bar chart as the server draws it (computed on its first request)."""
        content = await gateway.extension(
            *MODEL_CHART,
            visit.caller,
            path={"MLModelId": request.path_params["id"], "chart": IMPORTANCE_CHART},
        )
        if not isinstance(content, RawContent):
            raise InternalServerException("The server did not answer the chart as a file.")
        return security_headers(Response(content.body, media_type=content.media_type))

    return [
        Route(BASE + "/mlmodels/{id}", console.page(show), methods=["GET"]),
        Route(BASE + "/mlmodels/{id}/" + IMPORTANCE_CHART, console.page(chart), methods=["GET"]),
        Route(BASE + "/mlmodels/{id}/predict", console.page(predict), methods=["POST"]),
        Route(BASE + "/mlmodels/{id}/endpoint", console.page(endpoint), methods=["POST"]),
        Route(BASE + "/mlmodels/{id}/threshold", console.page(threshold), methods=["POST"]),
    ]
