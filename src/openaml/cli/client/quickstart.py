"""``openaml quickstart``: the whole Amazon ML journey on a real activity-recognition sample, in minutes.

Datasources with statistics (a 70/30 random split of the sample shipped in
``openaml/quickstart_data``), a MULTICLASS model trained with a small time budget, its evaluation
(macro-F1 and confusion matrix), a real-time endpoint, and one prediction of a WALKING record the
model has never seen: "You are currently walking."

It uses the configured server (``--endpoint-url``, ``$OPENAML_ENDPOINT_URL`` or the profile) or,
when none is configured (or with ``--embedded``), starts a private one that reads the sample where
the package installed it and is removed afterwards.
"""

from __future__ import annotations

import csv
import json
import secrets
import shutil
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import click

from openaml.cli.client.charts import confusion_matrix_table, statistics_table, target_table
from openaml.cli.client.command import ClientContext, client_command
from openaml.cli.client.datasources import data_rearrangement
from openaml.cli.client.embedded import EmbeddedServer
from openaml.cli.client.endpoints import create_endpoint
from openaml.cli.client.errors import CliError, ExitCode
from openaml.cli.client.evaluations import fetch_report, headline_metric
from openaml.cli.client.models import fetch_leaderboard, leaderboard_table
from openaml.cli.client.predict import predict_one
from openaml.cli.client.resources import DATA_SOURCE, EVALUATION, ML_MODEL, wait_for
from openaml.cli.client.session import resolve_endpoint

SAMPLE_FILE = "har_sample.csv.gz"
HOLDOUT_FILE = "har_holdout.csv"
TARGET = "activity"
PREDICTED_ACTIVITY = "WALKING"
SPLIT_PERCENT = 70
SPLIT_SEED = "openaml-quickstart"
DEFAULT_BUDGET_SECONDS = 30.0
STATISTICS_ROWS = 8
#: Where a configured server came from, as the hint for an unreachable one says it.
SOURCE_NAMES = {"flag": "--endpoint-url", "environment": "OPENAML_ENDPOINT_URL", "profile": "saved profile"}
#: How each class reads in "You are currently ...".
ACTIVITY_PHRASES = {"LAYING": "lying down", "WALKING_UPSTAIRS": "walking upstairs"}


def sample_folder() -> Path:
    """The installed folder of the sample (a real directory, so a server can read it)."""
    folder = Path(str(files("openaml") / "quickstart_data"))
    if not (folder / SAMPLE_FILE).is_file():
        raise CliError(f"The quickstart sample is missing from {folder}; reinstall openaml.", ExitCode.USAGE)
    return folder


def holdout_record(folder: Path, activity: str = PREDICTED_ACTIVITY) -> dict[str, str]:
    """The held-out record of ``activity``, without its label, as ``Predict`` takes it."""
    with (folder / HOLDOUT_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row[TARGET] == activity:
                return {name: value for name, value in row.items() if name != TARGET}
    raise CliError(f"{folder / HOLDOUT_FILE} has no {activity} record; reinstall openaml.", ExitCode.USAGE)


def activity_sentence(label: str) -> str:
    """``"WALKING"`` → ``"You are currently walking."``."""
    phrase = ACTIVITY_PHRASES.get(label, label.lower().replace("_", " "))
    return f"You are currently {phrase}."


@dataclass
class Journey:
    """The quickstart's steps against one server; :meth:`run` returns the summary (``--output json``)."""

    context: ClientContext
    sample: Path
    budget: float
    algorithms: str | None
    embedded: bool
    suffix: str = field(default_factory=lambda: secrets.token_hex(3))
    summary: dict[str, Any] = field(default_factory=dict)

    def _id(self, role: str) -> str:
        return f"quickstart-{role}-{self.suffix}"

    def _step(self, text: str) -> None:
        self.context.printer.say("")
        self.context.printer.say(text, style="bold cyan")

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        endpoint_url = self.context.client.connection.endpoint_url
        self.summary = {"endpointUrl": endpoint_url, "embedded": self.embedded}
        self.context.printer.say(
            f"Server: {endpoint_url}" + (" (embedded)" if self.embedded else ""), style="dim"
        )
        self._data_sources()
        self._train()
        self._evaluate()
        self._predict()
        self.summary["seconds"] = round(time.monotonic() - started, 1)
        self.context.printer.say("")
        self.context.printer.say(f"Done in {self.summary['seconds']:.0f} s.", style="bold")
        return self.summary

    def _data_sources(self) -> None:
        self._step(
            f"1. Datasources: {SPLIT_PERCENT}% of the sample to train on, "
            f"the other {100 - SPLIT_PERCENT}% to evaluate"
        )
        location = str(self.sample / SAMPLE_FILE)
        training, evaluation = self._id("train"), self._id("test")
        for data_source_id, complement in ((training, False), (evaluation, True)):
            try:
                self.context.client.call(
                    "create_data_source_from_s3",
                    DataSourceId=data_source_id,
                    DataSourceName=f"HAR sample, {'evaluation' if complement else 'training'} part",
                    ComputeStatistics=True,
                    DataSpec={
                        "DataLocationS3": location,
                        "DataSchema": json.dumps({"targetAttributeName": TARGET}),
                        "DataRearrangement": data_rearrangement(f"0:{SPLIT_PERCENT}", complement, SPLIT_SEED),
                    },
                )
            except CliError as error:
                if self.embedded or error.service_code != "InvalidInputException":
                    raise
                raise CliError(
                    f"{error.message}\nThe server must be able to read {location}: pass --sample-dir DIR "
                    "with a folder inside its data directory or OPENAML_DATA_ROOTS, or use --embedded.",
                    error.code,
                    error.service_code,
                ) from error
        for data_source_id in (training, evaluation):
            wait_for(self.context, DATA_SOURCE, data_source_id, None)
        self.summary["dataSources"] = {"training": training, "evaluation": evaluation}
        statistics = self.context.client.get_json(f"/datasources/{training}/statistics")
        target = target_table(statistics)
        if target is not None:
            self.context.printer.say(target)
        self.context.printer.say(statistics_table(statistics, STATISTICS_ROWS))

    def _train(self) -> None:
        self._step(f"2. Training a MULTICLASS model (AutoML, {self.budget:g} s budget)")
        model_id = self._id("model")
        parameters = {"openaml.timeBudgetSeconds": f"{self.budget:g}"}
        if self.algorithms:
            parameters["openaml.algorithms"] = self.algorithms
        self.context.client.call(
            "create_ml_model",
            MLModelId=model_id,
            MLModelName="Human activity from smartphone sensors",
            MLModelType="MULTICLASS",
            TrainingDataSourceId=self.summary["dataSources"]["training"],
            Parameters=parameters,
        )
        model = wait_for(self.context, ML_MODEL, model_id, None)
        self.summary["mlModelId"] = model_id
        self.summary["algorithm"] = (model.get("TrainingParameters") or {}).get(
            "openaml.algorithm", model.get("Algorithm")
        )
        leaderboard = fetch_leaderboard(self.context, model)
        if leaderboard is not None:
            self.context.printer.say(leaderboard_table(leaderboard))

    def _evaluate(self) -> None:
        self._step(f"3. Evaluating it on the {100 - SPLIT_PERCENT}% it has not seen")
        evaluation_id = self._id("evaluation")
        try:
            self.context.client.call(
                "create_evaluation",
                EvaluationId=evaluation_id,
                MLModelId=self.summary["mlModelId"],
                EvaluationDataSourceId=self.summary["dataSources"]["evaluation"],
            )
        except CliError as error:
            if error.service_code != "NotImplementedException":
                raise
            self.summary["evaluation"] = None
            self.context.printer.note(
                f"Skipped: this server cannot evaluate models yet ({error.message}).", style="yellow"
            )
            return
        evaluation = wait_for(self.context, EVALUATION, evaluation_id, None)
        headline = headline_metric(evaluation)
        report = fetch_report(self.context, evaluation_id)
        self.summary["evaluation"] = {
            "EvaluationId": evaluation_id,
            "MulticlassAvgFScore": headline[1] if headline else None,
            "confusionMatrix": (report or {}).get("confusionMatrix"),
        }
        if headline is not None:
            self.context.printer.say(f"macro-F1 (MulticlassAvgFScore): {headline[1]:.3f}", style="bold")
        if report and report.get("confusionMatrix"):
            self.context.printer.say(confusion_matrix_table(report["confusionMatrix"]))

    def _predict(self) -> None:
        model_id = self.summary["mlModelId"]
        self._step("4. Enabling real-time predictions")
        info = create_endpoint(self.context, model_id, wait=True, timeout=None)
        self.summary["predictEndpoint"] = info.get("EndpointUrl")
        self._step(f"5. Predicting a {PREDICTED_ACTIVITY} record the model has never seen")
        prediction = predict_one(self.context, model_id, holdout_record(self.sample))
        label = str(prediction.get("predictedLabel"))
        self.summary["prediction"] = prediction
        self.summary["sentence"] = activity_sentence(label)
        self.context.printer.say(self.summary["sentence"], style="bold green")


@click.command("quickstart")
@client_command
@click.option("--embedded", is_flag=True, help="Start a private server even when one is configured.")
@click.option(
    "--sample-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Copy the sample into DIR first: a folder the configured server can read.",
)
@click.option(
    "--budget",
    type=click.FloatRange(min=1),
    default=DEFAULT_BUDGET_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="Training time budget.",
)
@click.option(
    "--algorithms", metavar="LIST", help="Model families to try (default: all; 'sgd': Amazon ML's SGD)."
)
def quickstart(
    context: ClientContext, embedded: bool, sample_dir: Path | None, budget: float, algorithms: str | None
) -> None:
    """Run the whole journey on a human-activity sample: data, model, evaluation, real-time prediction."""
    sample = sample_folder()
    if sample_dir is not None:
        sample_dir.mkdir(parents=True, exist_ok=True)
        for name in (SAMPLE_FILE, HOLDOUT_FILE):
            shutil.copyfile(sample / name, sample_dir / name)
        sample = sample_dir.resolve()
    endpoint_url, source = resolve_endpoint(context.flags)
    context.printer.say(
        "OpenAML quickstart: recognising human activity from smartphone sensors", style="bold"
    )
    context.printer.say(f"Sample: {sample / SAMPLE_FILE} (UCI HAR, CC BY 4.0)", style="dim")
    if embedded or source == "default":
        context.printer.note("Starting an embedded OpenAML server; it stops, and its data goes, at the end.")
        with EmbeddedServer([sample]) as connection:
            summary = Journey(
                ClientContext(context.flags, context.printer, connection), sample, budget, algorithms, True
            ).run()
        context.printer.note(
            "To keep what the quickstart creates, start `openaml serve` and run `openaml quickstart "
            "--endpoint-url http://127.0.0.1:8080 --sample-dir ./openaml-data/uploads/quickstart` with its "
            "key pair."
        )
    else:
        try:
            summary = Journey(context, sample, budget, algorithms, embedded=False).run()
        except CliError as error:
            if error.exit_code != ExitCode.CONNECTION:
                raise
            raise CliError(
                f"{error.message}\n{endpoint_url} is the server of your {SOURCE_NAMES.get(source, source)}; "
                "run `openaml quickstart --embedded` to use a private server instead.",
                ExitCode.CONNECTION,
                error.service_code,
            ) from error
        context.printer.note(f"Explore: openaml model show {summary['mlModelId']}")
    if context.printer.json_mode:
        context.printer.emit(summary)
