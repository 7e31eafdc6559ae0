"""``openaml model create|list|show|wait|delete|log`` and the model-group commands (:mod:`.model_groups`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Group, RenderableType
from rich.text import Text

from openaml.cli.client.command import ClientContext, client_command, wait_options
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.exports import export_command
from openaml.cli.client.model_groups import add_group_commands
from openaml.cli.client.output import rows_table, status_text
from openaml.cli.client.resources import ML_MODEL, add_common_commands, show_table, wait_for
from openaml.cli.client.retraining import add_retrain_command

MODEL_TYPES = ("BINARY", "MULTICLASS", "REGRESSION")
#: The ``TrainingParameters`` entry that says what a trained model really is (docs/models.md).
TRUE_ALGORITHM_KEY = "openaml.algorithm"
LEADERBOARD_ROWS = 10
IMPORTANCE_ROWS = 10
_BAR_WIDTH = 30


def training_parameters(
    budget: float | None,
    algorithms: str | None,
    metric: str | None,
    seed: int | None,
    params: tuple[str, ...],
) -> dict[str, str]:
    """The ``Parameters`` map: the AutoML flags as ``openaml.*`` keys plus each ``--param KEY=VALUE``."""
    parameters: dict[str, str] = {}
    for entry in params:
        key, separator, value = entry.partition("=")
        if not separator or not key:
            raise CliError(f"--param takes KEY=VALUE, not {entry!r}", ExitCode.USAGE)
        parameters[key] = value
    flags = {
        "openaml.timeBudgetSeconds": None if budget is None else f"{budget:g}",
        "openaml.algorithms": algorithms,
        "openaml.metric": metric,
        "openaml.seed": None if seed is None else str(seed),
    }
    parameters |= {key: value for key, value in flags.items() if value is not None}
    return parameters


def _is_member(entry: dict[str, Any]) -> bool:
    return bool(entry.get("ensembleWeight"))


def leaderboard_table(leaderboard: dict[str, Any]) -> Any:
    """The best candidates of an AutoML search, with their validation scores and ensemble weights.

    The top :data:`LEADERBOARD_ROWS`, and every ensemble member however it ranked; ``bagged`` is the
    number of fold models a bagged member serves (empty for a refit one). The title says how the
    members are combined (a weighted average or a stacking layer) when the leaderboard records it.
    """
    candidates = [entry for entry in leaderboard.get("candidates", []) if entry.get("rank") is not None]
    shown = [entry for index, entry in enumerate(candidates) if index < LEADERBOARD_ROWS or _is_member(entry)]
    members = sum(1 for entry in candidates if _is_member(entry))
    title = (
        f"Leaderboard: {leaderboard.get('metric')} by {leaderboard.get('validation')}"
        f" (top {min(len(candidates), LEADERBOARD_ROWS)} of {len(leaderboard.get('candidates', []))}"
        f" candidates, and every one of the {members} ensemble members)"
    )
    if leaderboard.get("ensemble"):
        title += f"; ensemble: {leaderboard['ensemble']}"
    if leaderboard.get("updateMode"):
        title += f"; trained from {leaderboard.get('parentMLModelId')} by {leaderboard['updateMode']}"
    return rows_table(
        ["rank", "family", leaderboard.get("metric") or "score", "fit s", "weight", "bagged"],
        (
            [
                entry.get("rank"),
                entry.get("family"),
                entry.get("validationScore"),
                entry.get("fitSeconds"),
                entry.get("ensembleWeight"),
                entry.get("baggedFolds") or None,
            ]
            for entry in shown
        ),
        title=title,
    )


def leaderboard_warnings(leaderboard: dict[str, Any]) -> list[RenderableType]:
    """The leaderboard's warnings (e.g. a random split that overstates the model), one line each."""
    return [Text(f"Warning: {warning}", style="yellow") for warning in leaderboard.get("warnings") or []]


def fetch_leaderboard(context: ClientContext, model: dict[str, Any]) -> dict[str, Any] | None:
    """The leaderboard of a COMPLETED AutoML model; ``None`` for SGD models and unfinished ones."""
    if model.get("Status") != "COMPLETED":
        return None
    try:
        leaderboard: dict[str, Any] = context.client.get_json(f"/mlmodels/{model['MLModelId']}/leaderboard")
    except CliError as error:
        if error.exit_code == ExitCode.NOT_FOUND:
            return None
        raise
    return leaderboard


def ensemble_members(leaderboard: dict[str, Any] | None) -> str | None:
    """``lightgbm 0.62 + mlp 0.38``: the ensemble's members with their weights, heaviest first."""
    if leaderboard is None:
        return None
    members = sorted(
        (entry for entry in leaderboard.get("candidates", []) if _is_member(entry)),
        key=lambda entry: -float(entry["ensembleWeight"]),
    )
    return (
        " + ".join(f"{entry.get('family')} {float(entry['ensembleWeight']):.2f}" for entry in members) or None
    )


def as_shown(model: dict[str, Any], leaderboard: dict[str, Any] | None) -> dict[str, Any]:
    """The ``Get/DescribeMLModels`` response as a person should read it.

    ``Algorithm`` (the API's enum, always ``sgd``) becomes what the model is (``TrainingParameters``'
    ``openaml.algorithm``, with the ensemble's weights), and an AutoML model's parameters lose the
    ``sgd.*`` defaults, which did not apply to it. ``--output json`` prints the API's response as is.
    """
    parameters = dict(model.get("TrainingParameters") or {})
    algorithm = parameters.pop(TRUE_ALGORITHM_KEY, None)
    if algorithm is None:
        return model
    if algorithm != "sgd":
        parameters = {
            key: value
            for key, value in parameters.items()
            if key != "algorithm" and not key.startswith("sgd.")
        }
        members = ensemble_members(leaderboard)
        algorithm = f"{algorithm} ({members})" if members else algorithm
    return {**model, "Algorithm": algorithm, "TrainingParameters": parameters or None}


def fetch_importance(context: ClientContext, model: dict[str, Any]) -> dict[str, Any] | None:
    """The feature importance of a COMPLETED model (the server computes it on first request);
    ``None`` when the server cannot tell it."""
    if model.get("Status") != "COMPLETED":
        return None
    try:
        importance: dict[str, Any] = context.client.get_json(
            f"/mlmodels/{model['MLModelId']}/feature-importance"
        )
    except CliError:  # best effort: an older server, or training data since deleted
        return None
    return importance


def importance_table(importance: dict[str, Any]) -> Any:
    """The most important attributes with their importance and a bar of it."""
    attributes = importance.get("attributes") or []
    shown = attributes[:IMPORTANCE_ROWS]
    largest = max((abs(float(entry.get("importance") or 0.0)) for entry in shown), default=0.0) or 1.0
    if importance.get("method") == "permutation":
        how = f"permutation: increase of {importance.get('metric')} when shuffled"
    else:
        how = f"mean |contribution| in {importance.get('space')}"
    return rows_table(
        ["attribute", "importance", ""],
        (
            [
                entry.get("name"),
                entry.get("importance"),
                "█" * round(_BAR_WIDTH * max(float(entry.get("importance") or 0.0), 0.0) / largest),
            ]
            for entry in shown
        ),
        title=(
            f"Feature importance ({how}; {importance.get('sampleRows')} training records; "
            f"top {len(shown)} of {len(attributes)})"
        ),
    )


def _present(context: ClientContext, model: dict[str, Any], *, importance: bool = False) -> None:
    """Print a model with its endpoint and (for AutoML) its leaderboard; JSON adds ``Leaderboard``.

    With ``importance`` (``model show``) also the feature importance (JSON: ``FeatureImportance``).
    """
    endpoint = model.get("EndpointInfo") or {}
    leaderboard = fetch_leaderboard(context, model)
    importances = fetch_importance(context, model) if importance else None
    renderables: list[Any] = [
        show_table(
            ML_MODEL,
            as_shown(model, leaderboard),
            [
                ("endpoint", status_text(endpoint.get("EndpointStatus", "NONE"))),
                ("endpoint URL", endpoint.get("EndpointUrl")),
            ],
        )
    ]
    if leaderboard is not None:
        renderables.append(leaderboard_table(leaderboard))
        renderables.extend(leaderboard_warnings(leaderboard))
    if importances is not None:
        renderables.append(importance_table(importances))
    extra = {"Leaderboard": leaderboard} if leaderboard is not None else {}
    if importances is not None:
        extra["FeatureImportance"] = importances
    context.printer.emit({**model, **extra}, Group(*renderables))


@click.group("model")
def model() -> None:
    """MLModels: train (AutoML or Amazon ML's SGD), inspect, wait for, delete; versions and aliases."""


@model.command("create")
@client_command
@click.argument("model_id", metavar="ID")
@click.option("--datasource", "datasource_id", required=True, metavar="ID", help="The training datasource.")
@click.option("--type", "model_type", type=click.Choice(MODEL_TYPES, case_sensitive=False), required=True)
@click.option("--name", help="A display name.")
@click.option("--budget", type=click.FloatRange(min=1), metavar="SECONDS", help="AutoML time budget.")
@click.option("--algorithms", metavar="LIST", help="Comma-separated families, or 'sgd' for Amazon ML's SGD.")
@click.option("--metric", help="The metric the search optimises (e.g. auc, macro_f1, rmse).")
@click.option("--seed", type=click.IntRange(min=0), help="Seed for sampling, splits and learners.")
@click.option(
    "--param", "params", multiple=True, metavar="KEY=VALUE", help="Any training parameter (repeatable)."
)
@click.option(
    "--recipe", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="A recipe JSON file."
)
@wait_options
def create(
    context: ClientContext,
    model_id: str,
    datasource_id: str,
    model_type: str,
    name: str | None,
    budget: float | None,
    algorithms: str | None,
    metric: str | None,
    seed: int | None,
    params: tuple[str, ...],
    recipe: Path | None,
    wait: bool,
    timeout: float | None,
) -> None:
    """Train model ID on a datasource; the progress bar shows the best validation score so far."""
    parameters = training_parameters(budget, algorithms, metric, seed, params)
    response = context.client.call(
        "create_ml_model",
        MLModelId=model_id,
        MLModelType=model_type.upper(),
        TrainingDataSourceId=datasource_id,
        **({"MLModelName": name} if name else {}),
        **({"Parameters": parameters} if parameters else {}),
        **({"Recipe": recipe.read_text(encoding="utf-8")} if recipe else {}),
    )
    if not wait:
        context.printer.emit(
            response, f"MLModel {model_id} created; follow it with `openaml model wait {model_id}`."
        )
        return
    _present(context, wait_for(context, ML_MODEL, model_id, timeout))


@model.command("show")
@client_command
@click.argument("model_id", metavar="ID")
def show(context: ClientContext, model_id: str) -> None:
    """Show a model, its real-time endpoint, its AutoML leaderboard and its feature importance."""
    _present(context, ML_MODEL.get(context, model_id), importance=True)


@model.command("wait")
@client_command
@click.argument("model_id", metavar="ID")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS", help="Give up after."
)
def wait_command(context: ClientContext, model_id: str, timeout: float | None) -> None:
    """Wait until a model is trained (exit code 5 if it fails, 6 on --timeout)."""
    _present(context, wait_for(context, ML_MODEL, model_id, timeout))


add_common_commands(model, ML_MODEL)
model.add_command(export_command)
add_group_commands(model)
add_retrain_command(model)
