"""Training a model from the console, as Amazon ML's wizard did: type, target, budget, and a 70/30 split.

With the split, the chosen datasource is copied into two datasources over the same data (a random
70 % and its 30 % complement, same seed, so they never overlap), the model trains on the first and an
evaluation on the second is created right away; it runs once the model is trained.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from openaml.console.pages import BASE, Console, FormError, Visit
from openaml.errors import OpenAMLError

MODEL_TYPES = ("BINARY", "MULTICLASS", "REGRESSION")
#: The model type a target attribute type calls for.
MODEL_TYPE_OF_TARGET = {"BINARY": "BINARY", "CATEGORICAL": "MULTICLASS", "NUMERIC": "REGRESSION"}
TRAINING_SHARE = 70
DEFAULT_BUDGET_SECONDS = 60


@dataclass(frozen=True)
class TrainingChoice:
    """A datasource the model can be trained on, with the model type its target suggests."""

    data_source_id: str
    label: str
    target: str | None
    suggested_type: str


@dataclass
class TrainingDraft:
    """The values of the training form."""

    ml_model_id: str
    name: str = ""
    data_source_id: str = ""
    model_type: str = ""
    mode: str = "automl"
    budget_seconds: str = str(DEFAULT_BUDGET_SECONDS)
    split: bool = True

    @classmethod
    def from_form(cls, visit: Visit) -> TrainingDraft:
        draft = cls(
            ml_model_id=visit.field("ml_model_id"),
            name=visit.field("name"),
            data_source_id=visit.field("data_source_id"),
            model_type=visit.field("model_type"),
            mode=visit.field("mode", "automl"),
            budget_seconds=visit.field("budget_seconds"),
            split=visit.checked("split"),
        )
        if draft.model_type not in MODEL_TYPES:
            raise FormError(f"Choose the model type: {', '.join(MODEL_TYPES)}.")
        if not draft.data_source_id:
            raise FormError("Choose the datasource to train on.")
        return draft

    def parameters(self) -> dict[str, str]:
        if self.mode == "sgd":
            return {"openaml.algorithms": "sgd"}
        try:
            budget = float(self.budget_seconds)
        except ValueError:
            raise FormError(
                f"The time budget must be a number of seconds, not {self.budget_seconds!r}."
            ) from None
        if budget <= 0:
            raise FormError("The time budget must be more than 0 seconds.")
        return {"openaml.timeBudgetSeconds": self.budget_seconds}


def split_rearrangement(seed: str, *, training: bool) -> str:
    """The training share of the data, or (``training=False``) exactly the records it leaves out."""
    splitting = {
        "percentBegin": 0,
        "percentEnd": TRAINING_SHARE,
        "strategy": "random",
        "randomSeed": seed,
        "complement": not training,
    }
    return json.dumps({"splitting": splitting})


def evaluation_request(
    evaluation_id: str, model_id: str, model_label: str, data_source_id: str
) -> dict[str, Any]:
    """The ``CreateEvaluation`` request of the held-out share."""
    return {
        "EvaluationId": evaluation_id,
        "EvaluationName": f"{model_label}: held-out {100 - TRAINING_SHARE} %",
        "MLModelId": model_id,
        "EvaluationDataSourceId": data_source_id,
    }


def routes(console: Console) -> list[Route]:
    gateway = console.gateway

    async def choices(visit: Visit) -> list[TrainingChoice]:
        results = await gateway.describe_all(
            "DescribeDataSources", {"FilterVariable": "Status", "EQ": "COMPLETED"}, visit.caller
        )
        found = []
        for result in sorted(results, key=lambda r: r.get("CreatedAt", 0), reverse=True):
            data_source_id = result["DataSourceId"]
            verbose = await gateway.call(
                "GetDataSource", {"DataSourceId": data_source_id, "Verbose": True}, visit.caller
            )
            schema = json.loads(verbose.get("DataSourceSchema") or "{}")
            target = schema.get("targetAttributeName")
            target_type = next(
                (a["attributeType"] for a in schema.get("attributes", []) if a["attributeName"] == target), ""
            )
            label = f"{result.get('Name') or data_source_id} ({data_source_id})"
            found.append(
                TrainingChoice(data_source_id, label, target, MODEL_TYPE_OF_TARGET.get(target_type, ""))
            )
        return found

    async def render_form(
        request: Request, visit: Visit, draft: TrainingDraft, *, message: str | None = None, status: int = 200
    ) -> Response:
        options = await choices(visit)
        if not draft.model_type:
            chosen = next((c for c in options if c.data_source_id == draft.data_source_id), None)
            draft.model_type = chosen.suggested_type if chosen else ""
        return console.render(
            request,
            "ml_model_new.html",
            {
                "page_title": "Train a model",
                "draft": draft,
                "choices": options,
                "model_types": MODEL_TYPES,
                "training_share": TRAINING_SHARE,
                "message": message,
            },
            session=visit.session,
            status=status,
        )

    async def new(request: Request, visit: Visit) -> Response:
        draft = TrainingDraft(
            ml_model_id=f"ml-{secrets.token_hex(4)}",
            data_source_id=request.query_params.get("datasource", ""),
        )
        return await render_form(request, visit, draft)

    async def split_copies(visit: Visit, draft: TrainingDraft) -> tuple[str, str]:
        """Create the 70 % training and 30 % evaluation datasources; their IDs."""
        source = await gateway.call(
            "GetDataSource", {"DataSourceId": draft.data_source_id, "Verbose": True}, visit.caller
        )
        label = draft.name or draft.ml_model_id
        ids = []
        for suffix, training, share in (
            ("train", True, TRAINING_SHARE),
            ("eval", False, 100 - TRAINING_SHARE),
        ):
            copy_id = f"{draft.ml_model_id}-{suffix}"
            spec = {
                "DataLocationS3": source["DataLocationS3"],
                "DataSchema": source["DataSourceSchema"],
                "DataRearrangement": split_rearrangement(draft.ml_model_id, training=training),
            }
            await gateway.call(
                "CreateDataSourceFromS3",
                {
                    "DataSourceId": copy_id,
                    "DataSourceName": f"{label}: {'training' if training else 'evaluation'} {share} %",
                    "DataSpec": spec,
                    "ComputeStatistics": True,
                },
                visit.caller,
            )
            ids.append(copy_id)
        return ids[0], ids[1]

    async def create(request: Request, visit: Visit) -> Response:
        draft = TrainingDraft(visit.field("ml_model_id"), data_source_id=visit.field("data_source_id"))
        try:
            draft = TrainingDraft.from_form(visit)
            parameters = draft.parameters()
            training_id, evaluation_source = draft.data_source_id, None
            if draft.split:
                training_id, evaluation_source = await split_copies(visit, draft)
            params: dict[str, Any] = {
                "MLModelId": draft.ml_model_id,
                "MLModelType": draft.model_type,
                "TrainingDataSourceId": training_id,
                "Parameters": parameters,
            }
            if draft.name:
                params["MLModelName"] = draft.name
            await gateway.call("CreateMLModel", params, visit.caller)
        except FormError as error:
            return await render_form(request, visit, draft, message=str(error), status=400)
        except OpenAMLError as error:
            return await render_form(request, visit, draft, message=error.message, status=error.status)
        flash = f"Model {draft.ml_model_id} is training."
        if evaluation_source is not None:
            flash += " " + await evaluate_held_out(visit, draft, evaluation_source)
        return console.redirect(request, f"{BASE}/mlmodels/{draft.ml_model_id}", flash=flash)

    async def evaluate_held_out(visit: Visit, draft: TrainingDraft, data_source_id: str) -> str:
        """Create the evaluation on the held-out share; what to tell the person about it."""
        evaluation_id = f"{draft.ml_model_id}-evaluation"
        request = evaluation_request(
            evaluation_id, draft.ml_model_id, draft.name or draft.ml_model_id, data_source_id
        )
        try:
            await gateway.call("CreateEvaluation", request, visit.caller)
        except OpenAMLError as error:
            return f"Its evaluation could not be created ({error.message}); evaluate it once it is trained."
        return (
            f"Evaluation {evaluation_id} on the held-out {100 - TRAINING_SHARE} % follows when training ends."
        )

    return [
        Route(BASE + "/mlmodels/new", console.page(new), methods=["GET"]),
        Route(BASE + "/mlmodels/new", console.page(create), methods=["POST"]),
    ]
