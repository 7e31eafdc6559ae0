"""``openaml evaluation create|show|list|delete|log``: metrics, confusion matrix and charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Group

from openaml.cli.client.charts import confusion_matrix_table
from openaml.cli.client.command import ClientContext, client_command, wait_options
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.output import rows_table
from openaml.cli.client.png import download_picture
from openaml.cli.client.resources import EVALUATION, add_common_commands, show_table, wait_for

#: Amazon ML's one number per model type, shown first.
HEADLINE_METRICS = ("BinaryAUC", "MulticlassAvgFScore", "RegressionRMSE")


def metric_rows(properties: dict[str, str]) -> list[list[Any]]:
    """``PerformanceMetrics.Properties`` as rows, the headline metric first, values as numbers."""

    def value(text: str) -> Any:
        try:
            return float(text)
        except ValueError:
            return text

    ordered = sorted(
        properties, key=lambda name: (name not in HEADLINE_METRICS, name.startswith("Baseline"), name)
    )
    return [[name, value(properties[name])] for name in ordered]


def headline_metric(evaluation: dict[str, Any]) -> tuple[str, float] | None:
    """The evaluation's Amazon ML metric and its value, when it has one."""
    properties = (evaluation.get("PerformanceMetrics") or {}).get("Properties") or {}
    for name in HEADLINE_METRICS:
        if name in properties:
            return name, float(properties[name])
    return None


def fetch_report(context: ClientContext, evaluation_id: str) -> dict[str, Any] | None:
    """The detailed report of a COMPLETED evaluation, or ``None`` where the server has none."""
    try:
        report: dict[str, Any] = context.client.get_json(f"/evaluations/{evaluation_id}/report")
    except CliError as error:
        if error.exit_code == ExitCode.NOT_FOUND:
            return None
        raise
    return report


def report_renderables(evaluation: dict[str, Any], report: dict[str, Any] | None) -> list[Any]:
    """The metrics table, then the confusion matrix and the report's warnings where present."""
    properties = (evaluation.get("PerformanceMetrics") or {}).get("Properties") or {}
    renderables: list[Any] = []
    if properties:
        renderables.append(rows_table(["metric", "value"], metric_rows(properties), title="Metrics"))
    if report is None:
        return renderables
    if report.get("confusionMatrix"):
        renderables.append(confusion_matrix_table(report["confusionMatrix"]))
    warnings = report.get("warnings") or []
    if warnings:
        renderables.append(
            rows_table(
                ["warning", "message"], ([w.get("code"), w.get("message")] for w in warnings), title="Alerts"
            )
        )
    return renderables


def _present(context: ClientContext, evaluation: dict[str, Any], png: Path | None) -> None:
    report = (
        fetch_report(context, evaluation["EvaluationId"]) if evaluation.get("Status") == "COMPLETED" else None
    )
    context.printer.emit(
        {**evaluation, **({"Report": report} if report is not None else {})},
        Group(show_table(EVALUATION, evaluation), *report_renderables(evaluation, report)),
    )
    if png is not None:
        if report is None:
            raise CliError(
                f"Evaluation {evaluation['EvaluationId']} has no report to draw "
                f"(it is {evaluation.get('Status')}).",
                ExitCode.NOT_FOUND,
            )
        download_picture(context, f"/evaluations/{evaluation['EvaluationId']}/charts/summary.png", png)
        context.printer.note(f"Charts written to {png}")


png_option = click.option(
    "--png", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the charts into FILE."
)


@click.group("evaluation")
def evaluation() -> None:
    """Evaluations: a model's quality on labelled data it was not trained on."""


@evaluation.command("create")
@client_command
@click.argument("evaluation_id", metavar="ID")
@click.option("--model", "model_id", required=True, metavar="ID", help="The model to evaluate.")
@click.option("--datasource", "datasource_id", required=True, metavar="ID", help="Labelled evaluation data.")
@click.option("--name", help="A display name.")
@png_option
@wait_options
def create(
    context: ClientContext,
    evaluation_id: str,
    model_id: str,
    datasource_id: str,
    name: str | None,
    png: Path | None,
    wait: bool,
    timeout: float | None,
) -> None:
    """Evaluate a model on a datasource; with --wait, print the metrics and confusion matrix."""
    response = context.client.call(
        "create_evaluation",
        EvaluationId=evaluation_id,
        MLModelId=model_id,
        EvaluationDataSourceId=datasource_id,
        **({"EvaluationName": name} if name else {}),
    )
    if not wait:
        context.printer.emit(response, f"Evaluation {evaluation_id} created.")
        return
    _present(context, wait_for(context, EVALUATION, evaluation_id, timeout), png)


@evaluation.command("show")
@client_command
@click.argument("evaluation_id", metavar="ID")
@png_option
def show(context: ClientContext, evaluation_id: str, png: Path | None) -> None:
    """Show an evaluation's metrics, confusion matrix and alerts (JSON adds the whole report)."""
    _present(context, EVALUATION.get(context, evaluation_id), png)


add_common_commands(evaluation, EVALUATION)
