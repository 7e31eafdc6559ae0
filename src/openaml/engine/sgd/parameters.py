"""Amazon ML's SGD training parameters (``CreateMLModel.Parameters``): validation, defaults and echo.

==============================  ==========================  ====================================
key                             accepted values             default
==============================  ==========================  ====================================
``sgd.maxPasses``               whole number 1–10,000       10
``sgd.shuffleType``             ``auto`` or ``none``        ``none``
``sgd.l1RegularizationAmount``  number ≥ 0 (finite)         0.0 (not used)
``sgd.l2RegularizationAmount``  number ≥ 0 (finite)         1e-06, or 0.0 when L1 is used
``sgd.maxMLModelSizeInBytes``   whole number 100,000 –      33,554,432 (32 MiB)
                                2,147,483,648
==============================  ==========================  ====================================

Ranges and defaults follow the API model. The Developer Guide differs: it allows only 1–100 passes,
states a 100,000,000-byte default size, and documents ``auto`` shuffling as the console default (and
advises it for API callers). The API model leaves both regularizations unused by default; we apply
the console's L2 of 1e-06 unless L1 is chosen, which is what the service's echoed parameters show.
L1 and L2 are mutually exclusive: giving both with non-zero amounts is an error.

Keys in the ``openaml.`` namespace belong to the AutoML engine and are ignored here; any other key is
rejected.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from openaml.errors import InvalidInputException

MAX_PASSES_KEY = "sgd.maxPasses"
SHUFFLE_TYPE_KEY = "sgd.shuffleType"
L1_KEY = "sgd.l1RegularizationAmount"
L2_KEY = "sgd.l2RegularizationAmount"
MAX_SIZE_KEY = "sgd.maxMLModelSizeInBytes"
SGD_KEYS = (L1_KEY, L2_KEY, MAX_SIZE_KEY, MAX_PASSES_KEY, SHUFFLE_TYPE_KEY)
EXTENSION_PREFIX = "openaml."

MAX_PASSES_RANGE = (1, 10_000)
MAX_SIZE_RANGE = (100_000, 2_147_483_648)
DEFAULT_L2_AMOUNT = 1e-6

ShuffleType = Literal["auto", "none"]
_WHOLE_NUMBER = re.compile(r"\+?[0-9]+")


@dataclass(frozen=True)
class SGDParameters:
    """Validated SGD training parameters, every one with its effective value."""

    max_passes: int = 10
    shuffle_type: ShuffleType = "none"
    l1_regularization_amount: float = 0.0
    l2_regularization_amount: float = DEFAULT_L2_AMOUNT
    max_model_size_in_bytes: int = 33_554_432

    def effective(self) -> dict[str, str]:
        """Every effective value as the service echoed them in ``TrainingParameters``, plus ``algorithm``."""
        return {
            "algorithm": "sgd",
            L1_KEY: repr(self.l1_regularization_amount),
            L2_KEY: repr(self.l2_regularization_amount),
            MAX_SIZE_KEY: str(self.max_model_size_in_bytes),
            MAX_PASSES_KEY: str(self.max_passes),
            SHUFFLE_TYPE_KEY: self.shuffle_type,
        }


def parse_sgd_parameters(parameters: Mapping[str, str]) -> SGDParameters:
    """Validate ``parameters`` and fill in defaults; ``InvalidInputException`` names any bad key or value."""
    sgd_values = {key: value for key, value in parameters.items() if not key.startswith(EXTENSION_PREFIX)}
    for key in sgd_values:
        if key not in SGD_KEYS:
            raise InvalidInputException(_unknown_key_message(key))
    l1 = _amount(sgd_values, L1_KEY)
    l2 = _amount(sgd_values, L2_KEY)
    if l1 and l2:
        raise InvalidInputException(
            f"{L1_KEY} and {L2_KEY} cannot be used together; choose one kind of regularization."
        )
    if l2 is None:
        l2 = 0.0 if l1 else DEFAULT_L2_AMOUNT
    return SGDParameters(
        max_passes=_whole_number(sgd_values, MAX_PASSES_KEY, MAX_PASSES_RANGE, SGDParameters.max_passes),
        shuffle_type=_shuffle_type(sgd_values.get(SHUFFLE_TYPE_KEY)),
        l1_regularization_amount=l1 or 0.0,
        l2_regularization_amount=l2,
        max_model_size_in_bytes=_whole_number(
            sgd_values, MAX_SIZE_KEY, MAX_SIZE_RANGE, SGDParameters.max_model_size_in_bytes
        ),
    )


def _unknown_key_message(key: str) -> str:
    by_lower = {known.lower(): known for known in SGD_KEYS}
    matches = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = f" (did you mean {by_lower[matches[0]]}?)" if matches else ""
    return (
        f"Unknown training parameter {key!r}{hint}. The SGD parameters are {', '.join(SGD_KEYS)}; "
        f"OpenAML's own settings start with {EXTENSION_PREFIX!r}."
    )


def _whole_number(values: Mapping[str, str], key: str, allowed: tuple[int, int], default: int) -> int:
    raw = values.get(key)
    if raw is None:
        return default
    low, high = allowed
    text = raw.strip()
    if not _WHOLE_NUMBER.fullmatch(text) or not low <= int(text) <= high:
        raise InvalidInputException(f"{key} must be a whole number from {low:,} to {high:,}; got {raw!r}.")
    return int(text)


def _amount(values: Mapping[str, str], key: str) -> float | None:
    raw = values.get(key)
    if raw is None:
        return None
    try:
        amount = float(raw.strip())
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount) or amount < 0:
        raise InvalidInputException(f"{key} must be a number of 0 or more, such as 1E-6; got {raw!r}.")
    return amount


def _shuffle_type(raw: str | None) -> ShuffleType:
    if raw is None:
        return SGDParameters.shuffle_type
    text = raw.strip().lower()
    if text == "auto":
        return "auto"
    if text == "none":
        return "none"
    raise InvalidInputException(f"{SHUFFLE_TYPE_KEY} must be auto or none; got {raw!r}.")
