"""A pasted CSV row turned into the prediction form's values: schema order, inputs only, or a header."""

from __future__ import annotations

import pytest

from openaml.console.ml_models import PredictionField
from openaml.console.pasted_row import PastedRowError, field_values

SCHEMA = ["id", "age", "sex", "survived"]
FIELDS = [PredictionField(0, "age", "NUMERIC"), PredictionField(1, "sex", "CATEGORICAL")]


def test_a_row_in_schema_order_fills_the_inputs_and_leaves_out_the_target_and_row_id() -> None:
    assert field_values("7, 30 ,female,1", SCHEMA, FIELDS) == {"value_0": "30", "value_1": "female"}


def test_a_row_of_only_the_inputs_works_too() -> None:
    assert field_values("30,male\n", SCHEMA, FIELDS) == {"value_0": "30", "value_1": "male"}


def test_a_header_line_matches_columns_by_name_in_any_order() -> None:
    pasted = 'sex,survived,extra,age\n"female",0,x,\n'
    assert field_values(pasted, SCHEMA, FIELDS) == {"value_1": "female", "value_0": ""}


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("", "Paste one CSV row"),
        ("1,2,3,4\n5,6,7,8\n9,10,11,12", "not 3 lines"),
        ("1,2,3", "The row has 3 values, but the model's schema has 4 attributes (2 of them inputs)"),
        ("a,b\n1,2", "None of the header line's columns is an input of this model; its inputs are age, sex"),
        ("age,sex\n1", "The header line has 2 columns but the row under it has 1 values"),
        ('1,"2', "not valid CSV"),
    ],
)
def test_text_that_is_not_one_fitting_row_says_how_to_fix_it(pasted: str, message: str) -> None:
    with pytest.raises(PastedRowError, match=message.replace("(", r"\(").replace(")", r"\)")):
        field_values(pasted, SCHEMA, FIELDS)
