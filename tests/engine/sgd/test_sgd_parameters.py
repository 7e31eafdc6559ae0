"""Validation, defaults and the effective echo of the ``sgd.*`` training parameters."""

from __future__ import annotations

import pytest

from openaml.engine.sgd import SGDParameters, parse_sgd_parameters
from openaml.errors import InvalidInputException


def test_defaults_follow_the_api_model_and_are_echoed_with_the_algorithm() -> None:
    parameters = parse_sgd_parameters({})

    assert parameters == SGDParameters()
    assert parameters.effective() == {
        "algorithm": "sgd",
        "sgd.l1RegularizationAmount": "0.0",
        "sgd.l2RegularizationAmount": "1e-06",
        "sgd.maxMLModelSizeInBytes": "33554432",
        "sgd.maxPasses": "10",
        "sgd.shuffleType": "none",
    }


def test_every_parameter_is_honoured_and_echoed() -> None:
    parameters = parse_sgd_parameters(
        {
            "sgd.maxPasses": "100",
            "sgd.shuffleType": "AUTO",
            "sgd.l2RegularizationAmount": "1E-4",
            "sgd.maxMLModelSizeInBytes": "104857600",
        }
    )

    assert parameters == SGDParameters(
        max_passes=100,
        shuffle_type="auto",
        l2_regularization_amount=1e-4,
        max_model_size_in_bytes=104_857_600,
    )
    assert parameters.effective()["sgd.shuffleType"] == "auto"
    assert parameters.effective()["sgd.l2RegularizationAmount"] == "0.0001"


def test_l1_replaces_the_default_l2() -> None:
    parameters = parse_sgd_parameters({"sgd.l1RegularizationAmount": "1e-8"})

    assert (parameters.l1_regularization_amount, parameters.l2_regularization_amount) == (1e-8, 0.0)


def test_a_zero_amount_does_not_count_as_using_both_regularizations() -> None:
    parameters = parse_sgd_parameters(
        {"sgd.l1RegularizationAmount": "0", "sgd.l2RegularizationAmount": "0.01"}
    )

    assert (parameters.l1_regularization_amount, parameters.l2_regularization_amount) == (0.0, 0.01)


def test_range_ends_are_accepted() -> None:
    lowest = parse_sgd_parameters({"sgd.maxPasses": "1", "sgd.maxMLModelSizeInBytes": "100000"})
    highest = parse_sgd_parameters({"sgd.maxPasses": "10000", "sgd.maxMLModelSizeInBytes": "2147483648"})

    assert (lowest.max_passes, lowest.max_model_size_in_bytes) == (1, 100_000)
    assert (highest.max_passes, highest.max_model_size_in_bytes) == (10_000, 2_147_483_648)


def test_extension_keys_are_left_to_the_automl_engine() -> None:
    assert (
        parse_sgd_parameters({"openaml.timeBudgetSeconds": "60", "openaml.anything": "x"}) == SGDParameters()
    )


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (
            {"sgd.l1RegularizationAmount": "1e-6", "sgd.l2RegularizationAmount": "1e-6"},
            "sgd.l1RegularizationAmount and sgd.l2RegularizationAmount cannot be used together; "
            "choose one kind of regularization.",
        ),
        ({"sgd.maxPasses": "0"}, "sgd.maxPasses must be a whole number from 1 to 10,000; got '0'."),
        ({"sgd.maxPasses": "10001"}, "sgd.maxPasses must be a whole number from 1 to 10,000; got '10001'."),
        ({"sgd.maxPasses": "2.5"}, "sgd.maxPasses must be a whole number from 1 to 10,000; got '2.5'."),
        ({"sgd.maxPasses": "-3"}, "sgd.maxPasses must be a whole number from 1 to 10,000; got '-3'."),
        (
            {"sgd.maxMLModelSizeInBytes": "99999"},
            "sgd.maxMLModelSizeInBytes must be a whole number from 100,000 to 2,147,483,648; got '99999'.",
        ),
        (
            {"sgd.maxMLModelSizeInBytes": "2147483649"},
            "sgd.maxMLModelSizeInBytes must be a whole number from 100,000 to 2,147,483,648; got "
            "'2147483649'.",
        ),
        ({"sgd.shuffleType": "always"}, "sgd.shuffleType must be auto or none; got 'always'."),
        (
            {"sgd.l1RegularizationAmount": "-1e-6"},
            "sgd.l1RegularizationAmount must be a number of 0 or more, such as 1E-6; got '-1e-6'.",
        ),
        (
            {"sgd.l2RegularizationAmount": "lots"},
            "sgd.l2RegularizationAmount must be a number of 0 or more, such as 1E-6; got 'lots'.",
        ),
        (
            {"sgd.l2RegularizationAmount": "inf"},
            "sgd.l2RegularizationAmount must be a number of 0 or more, such as 1E-6; got 'inf'.",
        ),
        (
            {"sgd.maxPass": "5"},
            "Unknown training parameter 'sgd.maxPass' (did you mean sgd.maxPasses?). The SGD parameters are "
            "sgd.l1RegularizationAmount, sgd.l2RegularizationAmount, sgd.maxMLModelSizeInBytes, "
            "sgd.maxPasses, "
            "sgd.shuffleType; OpenAML's own settings start with 'openaml.'.",
        ),
        (
            {"learningRate": "0.1"},
            "Unknown training parameter 'learningRate'. The SGD parameters are sgd.l1RegularizationAmount, "
            "sgd.l2RegularizationAmount, sgd.maxMLModelSizeInBytes, sgd.maxPasses, sgd.shuffleType; "
            "OpenAML's own settings start with 'openaml.'.",
        ),
    ],
)
def test_bad_keys_and_values_are_rejected(parameters: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInputException) as caught:
        parse_sgd_parameters(parameters)

    assert caught.value.message == message
