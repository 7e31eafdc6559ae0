"""``openaml model retrain``, and the retrain options ``openaml schedule create`` shares with it.

The options become the body of ``POST /openaml/v1/mlmodels/{group}/retrain`` (shape in
:mod:`openaml.operations.retrains`): only the options given are sent, so the server's defaults apply
to the others (the champion's own training location, a ``time`` holdout of 20 %, ``refit``, manual
promotion). ``--wait`` (the default) follows the retrain with a progress bar until its comparison is
recorded, then shows both scores on the shared holdout and whether ``champion`` moved.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Group
from rich.text import Text

from openaml.cli.client.command import ClientContext, client_command, wait_options
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.output import fields_table
from openaml.cli.client.png import download_picture
from openaml.cli.client.waiting import Observation, Watch

UPDATE_MODES = ("refit", "research", "warmstart")
HOLDOUT_RULES = ("time", "random")
PROMOTIONS = ("manual", "auto")

_RETRAIN_OPTIONS = (
    click.option(
        "--location",
        metavar="URI",
        help="The data: a file or a prefix whose new files are the new observations.",
    ),
    click.option(
        "--datasource", "datasource_id", metavar="ID", help="Or an existing datasource to retrain on."
    ),
    click.option(
        "--mode", type=click.Choice(UPDATE_MODES), help="How the challenger is trained (default refit)."
    ),
    click.option(
        "--holdout", type=click.Choice(HOLDOUT_RULES), help="Newest records (time) or a random share."
    ),
    click.option(
        "--holdout-percent",
        type=click.FloatRange(1, 90),
        metavar="PERCENT",
        help="Holdout size (default 20).",
    ),
    click.option(
        "--promotion", type=click.Choice(PROMOTIONS), help="auto: champion moves when the challenger wins."
    ),
    click.option("--promotion-metric", metavar="METRIC", help="e.g. BinaryAUC, RegressionRMSE."),
    click.option(
        "--min-improvement", type=float, metavar="DELTA", help="How much better the challenger must be."
    ),
    click.option(
        "--param", "params", multiple=True, metavar="KEY=VALUE", help="A challenger training parameter."
    ),
)


def retrain_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a retrain request (see :func:`retrain_body`)."""
    for option in reversed(_RETRAIN_OPTIONS):
        function = option(function)
    return function


def retrain_body(
    *,
    location: str | None = None,
    datasource_id: str | None = None,
    mode: str | None = None,
    holdout: str | None = None,
    holdout_percent: float | None = None,
    promotion: str | None = None,
    promotion_metric: str | None = None,
    min_improvement: float | None = None,
    params: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The retrain route's body from the options that were given."""
    if location and datasource_id:
        raise CliError("Give --location or --datasource, not both.", ExitCode.USAGE)
    parameters: dict[str, str] = {}
    for entry in params:
        key, separator, value = entry.partition("=")
        if not separator or not key:
            raise CliError(f"--param takes KEY=VALUE, not {entry!r}", ExitCode.USAGE)
        parameters[key] = value
    rule = {"rule": holdout, "percent": holdout_percent}
    body: dict[str, Any] = {
        "location": location,
        "dataSourceId": datasource_id,
        "updateMode": mode,
        "holdout": {key: value for key, value in rule.items() if value is not None} or None,
        "promotion": promotion,
        "promotionMetric": promotion_metric,
        "minImprovement": min_improvement,
        "parameters": parameters or None,
    }
    return {key: value for key, value in body.items() if value is not None}


def retrain_observation(retrain: dict[str, Any]) -> Observation:
    status = str(retrain.get("Status", "?"))
    message = str(retrain.get("Message") or "")
    failure = f"it is FAILED: {message}" if status == "FAILED" else None
    return Observation(status, message, finished=status == "COMPLETED", failure=failure)


def retrain_summary(retrain: dict[str, Any]) -> Any:
    """The retrain's versions, both scores on the shared holdout and what happened to ``champion``."""
    comparison = retrain.get("Comparison") or {}
    promoted = retrain.get("Promoted")
    outcome = {
        True: Text(f"promoted: champion is now {retrain.get('ChallengerVersion')}", style="bold green"),
        False: Text(f"not promoted: champion stays {retrain.get('ChampionVersion')}", style="yellow"),
        None: Text("manual promotion: `openaml model promote` moves champion", style="dim"),
    }[promoted if isinstance(promoted, bool) else None]
    rows = [
        ("retrain", retrain.get("RetrainId")),
        ("status", retrain.get("Status")),
        ("champion", retrain.get("ChampionVersion")),
        ("challenger", retrain.get("ChallengerVersion")),
        ("holdout", retrain.get("HoldoutDataSourceId")),
    ]
    if comparison:
        better = "higher" if comparison.get("HigherIsBetter") else "lower"
        rows += [
            ("metric", f"{comparison.get('Metric')} ({better} is better)"),
            ("champion score", comparison.get("ChampionScore")),
            ("challenger score", comparison.get("ChallengerScore")),
            ("improvement", comparison.get("Improvement")),
        ]
    return Group(fields_table(rows), outcome)


png_option = click.option(
    "--png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the champion-vs-challenger chart (the server's picture) as FILE.",
)


def _present(context: ClientContext, retrain: dict[str, Any], png: Path | None) -> None:
    context.printer.emit(retrain, retrain_summary(retrain))
    if png is not None and retrain.get("Comparison"):
        route = f"/mlmodels/{retrain['GroupId']}/retrains/{retrain['RetrainId']}/charts/comparison.png"
        download_picture(context, route, png)
        context.printer.note(f"Comparison chart written to {png}")


def add_retrain_command(model: click.Group) -> None:
    """Add ``retrain`` to the ``model`` command group."""

    @model.command("retrain")
    @client_command
    @click.argument("group", metavar="GROUP")
    @retrain_options
    @png_option
    @wait_options
    def retrain(
        context: ClientContext,
        group: str,
        wait: bool,
        timeout: float | None,
        png: Path | None,
        **options: Any,
    ) -> None:
        """Retrain GROUP: a challenger version and both models evaluated on one shared holdout."""
        started = context.client.post_json(f"/mlmodels/{group}/retrain", retrain_body(**options))
        retrain_id = str(started["RetrainId"])
        path = f"/mlmodels/{started.get('GroupId') or group}/retrains/{retrain_id}"
        follow = f"openaml model retrain-status {group} {retrain_id}"
        if not wait:
            context.printer.emit(started, f"Retrain {retrain_id} started; follow it with `{follow}`.")
            return
        finished: dict[str, Any] = {}

        def observe() -> Observation:
            finished.update(context.client.get_json(path))
            return retrain_observation(finished)

        Watch(
            context.printer,
            f"Retrain {retrain_id}",
            observe,
            timeout,
            resume_hint=f"follow it with `{follow}`",
        ).run()
        _present(context, finished, png)

    @model.command("retrain-status")
    @client_command
    @click.argument("group", metavar="GROUP")
    @click.argument("retrain_id", metavar="RETRAIN")
    @png_option
    def retrain_status(context: ClientContext, group: str, retrain_id: str, png: Path | None) -> None:
        """Show a retrain: its versions, the comparison on the shared holdout, and the promotion."""
        _present(context, context.client.get_json(f"/mlmodels/{group}/retrains/{retrain_id}"), png)
