"""Messages for a name that is not a column: the closest column, and a list cut with "and N more"."""

from __future__ import annotations

import pytest

from openaml.engine.data.errors import DataError
from openaml.engine.data.inference import infer_schema
from openaml.engine.data.names import closest_column, unknown_column_message

from .conftest import memory_file


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Activity", "activity"), (" activity ", "activity"), ("specis", "species"), ("zzz", None)],
)
def test_the_closest_column_prefers_a_case_insensitive_match(name: str, expected: str | None) -> None:
    assert closest_column(name, ["species", "island", "activity", "Activities"]) == expected


def test_a_wide_file_lists_20_columns_and_says_how_many_more() -> None:
    columns = [f"feature_{index}" for index in range(561)] + ["activity"]
    message = unknown_column_message("target", "Activity", columns, "a column of data.csv")
    assert message.startswith("The target 'Activity' is not a column of data.csv. Did you mean 'activity'?")
    assert "Its 562 columns are 'feature_0'" in message and "'feature_19' and 542 more." in message
    assert "'feature_20'" not in message


def test_inference_names_the_closest_column() -> None:
    file = memory_file("Species,island\nAdelie,Biscoe\n")
    with pytest.raises(DataError, match=r"The target 'species' .* Did you mean 'Species'\? Its 2 columns"):
        infer_schema([file], target_attribute_name="species")
