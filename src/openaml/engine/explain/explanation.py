"""What an explanation is: each input attribute's contribution to one prediction, and how it is shown.

An :class:`Explanations` holds, for a few rows, a ``base`` (the model's reference output) and one
contribution per input attribute, all in one :class:`Space`; ``base`` plus the contributions is the
model's output for the row in that space (additivity). Real-time ``Predict`` shows the attributes with
the largest contributions as the compact JSON of :meth:`Explanations.to_json`:
``{"base":-1.2,"space":"logodds","top":[["sex",1.9],["age",-0.4]]}``.

``openaml.explain`` (a model setting) and the ``X-OpenAML-Explain`` header (one request) both ask for
the ``top`` attributes: :func:`parse_explain_setting` reads ``top:5`` or ``top=5`` (and ``off``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson

from openaml.errors import InvalidInputException

FloatArray = npt.NDArray[np.float64]

#: The most attributes an explanation may list.
MAX_TOP = 100
_SETTING = re.compile(r"\s*top\s*[:=]\s*(\d{1,4})\s*", re.IGNORECASE)
_OFF = frozenset({"off", "none", "false", "0", "top:0", "top=0"})


class Space(enum.StrEnum):
    """The scale an explanation's base and contributions are stated in."""

    #: The log-odds of class ``"1"`` (BINARY models that are one boosted-tree or linear model).
    LOGODDS = "logodds"
    #: A class probability (BINARY ensembles: of class ``"1"``; MULTICLASS: of the predicted class).
    PROBABILITY = "probability"
    #: The predicted value (REGRESSION).
    VALUE = "value"


@dataclass(frozen=True)
class Explanations:
    """Contributions of each input attribute (columns) to the output of each row, in ``space``.

    ``base`` has one entry per row (the same for every row but for MULTICLASS models, whose rows
    explain their own predicted class); ``contributions`` is (rows × attributes).
    """

    attributes: tuple[str, ...]
    space: Space
    base: FloatArray
    contributions: FloatArray

    @property
    def outputs(self) -> FloatArray:
        """``base`` plus the contributions: the model's output of each row in ``space``."""
        outputs: FloatArray = self.base + self.contributions.sum(axis=1)
        return outputs

    def top(self, row: int, count: int) -> list[tuple[str, float]]:
        """The ``count`` attributes of ``row`` with the largest contributions (by absolute value)."""
        values = self.contributions[row]
        count = min(count, len(values))
        order = np.argsort(-np.abs(values), kind="stable")[:count]
        return [(self.attributes[index], float(values[index])) for index in order]

    def to_json(self, row: int, count: int) -> str:
        """The compact JSON of ``row``'s explanation with its ``count`` largest contributions."""
        top = [[name, _rounded(value)] for name, value in self.top(row, count)]
        document = {"base": _rounded(float(self.base[row])), "space": self.space.value, "top": top}
        return orjson.dumps(document).decode("utf-8")


def _rounded(value: float) -> float:
    """Twelve significant digits: enough for any use, shorter than ``repr``."""
    return float(f"{value:.12g}")


def parse_explain_setting(text: str, *, source: str) -> int:
    """How many attributes ``text`` asks for (``top:5`` or ``top=5``; ``off`` is 0).

    ``source`` names where the text came from in the error message (a parameter or a header).
    """
    if text.strip().lower() in _OFF:
        return 0
    match = _SETTING.fullmatch(text)
    if match is None or not 1 <= int(match.group(1)) <= MAX_TOP:
        raise InvalidInputException(
            f"{source} must be top:N with N from 1 to {MAX_TOP} (e.g. top:5), or off; got {text!r}."
        )
    return int(match.group(1))
