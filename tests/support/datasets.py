"""Which folder of development datasets the tests read: the real ones or their generated stand-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATASETS = REPOSITORY.parent / "shared" / "datasets"
FIXTURE_DATASETS = REPOSITORY / "tests" / "fixtures" / "datasets"
DATASETS_SWITCH = "OPENAML_TEST_DATASETS"


def select_datasets(choice: str | None) -> Path:
    """The datasets folder the tests read, by the value of ``OPENAML_TEST_DATASETS``.

    Unset, empty or ``auto``: the real datasets beside the repository (``../shared/datasets``) when they
    are there, else the small generated stand-ins committed in ``tests/fixtures/datasets``
    (``tests/fixtures/make_datasets.py``). ``fixtures`` or ``shared`` choose one of them; any other value
    is the path of a folder holding files of the same names.
    """
    choice = (choice or "").strip() or "auto"
    if choice == "auto":
        return (SHARED_DATASETS if SHARED_DATASETS.is_dir() else FIXTURE_DATASETS).resolve()
    folder = {"fixtures": FIXTURE_DATASETS, "shared": SHARED_DATASETS}.get(choice, Path(choice))
    if not folder.is_dir():
        raise pytest.UsageError(
            f"{DATASETS_SWITCH}={choice}: there is no datasets folder at {folder} "
            "(use fixtures, shared or the path of a folder)"
        )
    return folder.resolve()


def is_shared(folder: Path) -> bool:
    """Whether ``folder`` is the real datasets folder (``../shared/datasets``)."""
    return SHARED_DATASETS.is_dir() and folder.resolve() == SHARED_DATASETS.resolve()
