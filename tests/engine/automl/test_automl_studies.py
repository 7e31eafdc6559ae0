"""The Optuna studies of a search on a cluster, kept in the metadata database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import optuna

from openaml.engine.automl.dispatch import close_storage, open_study, study_storage
from openaml.store.metadata import MetadataStore, head_revision


def test_studies_live_beside_the_metadata_tables(database_url: str) -> None:
    """Optuna's tables join OpenAML's; OpenAML's schema revision (alembic_version) stays its own."""
    store = MetadataStore(database_url)
    store.check_schema(initialize_empty=True)
    storage = study_storage(database_url)
    try:
        study = open_study(storage, "openaml-training-job-1/linear", optuna.samplers.TPESampler(seed=0))
        study.optimize(lambda trial: trial.suggest_float("C", 0.1, 1.0), n_trials=3)
        again = open_study(storage, "openaml-training-job-1/linear", optuna.samplers.TPESampler(seed=0))
        assert [trial.state for trial in again.get_trials()] == [optuna.trial.TrialState.COMPLETE] * 3
    finally:
        close_storage(storage)
    store.check_schema(initialize_empty=False)
    assert store.current_revision() == head_revision()
    store.dispose()


def test_a_restarted_job_reopens_its_studies_without_stale_trials(tmp_path: Path) -> None:
    """A job run again (its worker died) closes the trials its earlier run left running or waiting."""
    storage = study_storage(f"sqlite:///{tmp_path / 'studies.db'}")
    sampler = optuna.samplers.TPESampler(seed=0)
    first = open_study(storage, "openaml-training-job-9/linear", sampler)
    first.enqueue_trial({"C": 1.0})
    first.enqueue_trial({"C": 2.0})
    first.enqueue_trial({"C": 2.5})
    done = first.ask()
    done.suggest_float("C", 0.01, 10.0)
    first.tell(done, 0.5)
    first.ask()  # {"C": 2.0} left running by a job that died, {"C": 2.5} left waiting

    again = open_study(storage, "openaml-training-job-9/linear", sampler)
    states = [trial.state for trial in again.get_trials()]
    assert states == [
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.FAIL,
        optuna.trial.TrialState.FAIL,
    ]
    again.enqueue_trial({"C": 3.0})
    assert again.ask().suggest_float("C", 0.01, 10.0) == 3.0  # the new run's own first trial
    close_storage(storage)
