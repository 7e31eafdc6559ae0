"""Fixtures of the batch prediction tests: tiny SGD models trained on the shared datasets."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.engine.batch.support import Trained, train_on

from openaml.engine.models import ModelType


@pytest.fixture(scope="session")
def titanic_binary(datasets_dir: Path) -> Trained:
    return train_on(datasets_dir / "titanic.csv", "survived", ModelType.BINARY)


@pytest.fixture(scope="session")
def penguins_multiclass(datasets_dir: Path) -> Trained:
    return train_on(datasets_dir / "penguins.csv", "species", ModelType.MULTICLASS)


@pytest.fixture(scope="session")
def penguins_regression(datasets_dir: Path) -> Trained:
    return train_on(datasets_dir / "penguins.csv", "body_mass_g", ModelType.REGRESSION)
