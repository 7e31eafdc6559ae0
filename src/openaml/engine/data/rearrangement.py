"""``DataRearrangement``: which slice of the input records a datasource uses.

The JSON is Amazon ML's::

    {"splitting": {"percentBegin": 0, "percentEnd": 70, "complement": false,
                   "strategy": "random", "strategyParams": {"randomSeed": "s3://bucket/data.csv"}}}

Records are numbered by their position in the input: the files in the order given, each file's data
records in file order (header excluded, malformed records included), from 0 to ``N - 1``. The slice
is half-open, ``[percentBegin, percentEnd)``; ``complement`` keeps the records outside it, so a slice and
its complement partition the input exactly. Input order is always preserved.

* ``sequential`` (the default): record ``i`` lies at ``100 * i / N`` percent. Knowing ``N`` needs a
  first pass over the input that only counts records (free for Parquet, a light parse for CSV); the
  pass is skipped when the slice is the whole input.
* ``random``: record ``i`` lies at a pseudo-random percentage in ``[0, 100)`` computed from a hash of the
  seed string and ``i``. Amazon ML hashed the record's byte offset; the position serves the same
  purpose and does not change when a file is recompressed. The same seed and data always give the same
  split, and a slice with its complement (same seed) gives disjoint sets whose counts add up.

Omitted ``percentBegin``/``percentEnd`` default to 0/100; ``randomSeed`` may also sit directly under
``splitting``; ``complement`` may be a boolean or the string ``"true"``/``"false"``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from openaml.errors import InvalidInputException

Strategy = Literal["sequential", "random"]
_SPLITTING_KEYS = ("percentBegin", "percentEnd", "complement", "strategy", "strategyParams", "randomSeed")

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


@dataclass(frozen=True)
class Rearrangement:
    """A validated data rearrangement; the default instance selects every record."""

    percent_begin: float = 0.0
    percent_end: float = 100.0
    complement: bool = False
    strategy: Strategy = "sequential"
    random_seed: str = ""

    @property
    def is_whole_input(self) -> bool:
        """Whether every record is selected (no counting pass, no filtering)."""
        if self.complement:
            return self.percent_begin >= self.percent_end
        return self.percent_begin <= 0.0 and self.percent_end >= 100.0

    @property
    def needs_record_count(self) -> bool:
        """Whether :meth:`select` needs the total number of records (sequential slices)."""
        return self.strategy == "sequential" and not self.is_whole_input

    def select(self, indices: npt.NDArray[np.int64], total: int | None = None) -> npt.NDArray[np.bool_]:
        """Whether each record position in ``indices`` is in the datasource; ``total`` for sequential."""
        if self.is_whole_input:
            return np.ones(len(indices), dtype=bool)
        if self.strategy == "random":
            percent = _random_percent(self.random_seed, indices)
            inside = (percent >= self.percent_begin) & (percent < self.percent_end)
        else:
            if total is None:
                raise ValueError("a sequential slice needs the total number of records")
            # 100 * i / N compared as 100 * i against percent * N: exact for integer percentages.
            scaled = indices.astype(np.float64) * 100.0
            inside = (scaled >= self.percent_begin * total) & (scaled < self.percent_end * total)
        return np.asarray(~inside if self.complement else inside, dtype=bool)

    def to_dict(self) -> dict[str, Any]:
        """The Amazon ML JSON form."""
        splitting: dict[str, Any] = {
            "percentBegin": self.percent_begin,
            "percentEnd": self.percent_end,
            "complement": self.complement,
            "strategy": self.strategy,
        }
        if self.strategy == "random":
            splitting["strategyParams"] = {"randomSeed": self.random_seed}
        return {"splitting": splitting}


def parse_data_rearrangement(text: str | None) -> Rearrangement:
    """Parse ``DataRearrangement`` JSON (None or blank: whole input); raises ``InvalidInputException``."""
    if text is None or not text.strip():
        return Rearrangement()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInputException(f"DataRearrangement is not valid JSON: {error}.") from None
    if not isinstance(document, dict) or set(document) - {"splitting"}:
        raise InvalidInputException('DataRearrangement must be a JSON object with one key, "splitting".')
    splitting = document.get("splitting", {})
    if not isinstance(splitting, dict):
        raise InvalidInputException('DataRearrangement "splitting" must be a JSON object.')
    unknown = sorted(set(splitting) - set(_SPLITTING_KEYS))
    if unknown:
        raise InvalidInputException(
            f"Unknown key {unknown[0]!r} in DataRearrangement splitting; accepted keys are "
            f"{', '.join(_SPLITTING_KEYS)}."
        )
    begin = _percent(splitting, "percentBegin", 0.0)
    end = _percent(splitting, "percentEnd", 100.0)
    if begin > end:
        raise InvalidInputException(
            f"percentBegin ({begin:g}) must not be greater than percentEnd ({end:g})."
        )
    return Rearrangement(
        percent_begin=begin,
        percent_end=end,
        complement=_complement(splitting.get("complement", False)),
        strategy=_strategy(splitting.get("strategy", "sequential")),
        random_seed=_random_seed(splitting),
    )


def _percent(splitting: dict[str, Any], key: str, default: float) -> float:
    value = splitting.get(key, default)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise InvalidInputException(f"{key} must be a number from 0 to 100; got {value!r}.") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise InvalidInputException(f"{key} must be a number from 0 to 100; got {value!r}.")
    return float(value)


def _complement(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidInputException(f'complement must be true or false (or "true"/"false"); got {value!r}.')


def _strategy(value: object) -> Strategy:
    if isinstance(value, str):
        name = value.strip().lower()
        if name == "sequential":
            return "sequential"
        if name == "random":
            return "random"
    raise InvalidInputException(f'strategy must be "sequential" or "random"; got {value!r}.')


def _random_seed(splitting: dict[str, Any]) -> str:
    params = splitting.get("strategyParams", {})
    if not isinstance(params, dict) or set(params) - {"randomSeed"}:
        raise InvalidInputException('strategyParams must be a JSON object with the one key "randomSeed".')
    seeds = {
        str(seed) for seed in (params.get("randomSeed"), splitting.get("randomSeed")) if seed is not None
    }
    if len(seeds) > 1:
        raise InvalidInputException("randomSeed is given twice with different values.")
    return seeds.pop() if seeds else ""


def _random_percent(seed: str, indices: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """A uniform pseudo-random percentage in [0, 100) per record position (SplitMix64 of seed and index)."""
    seed_value = np.uint64(int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "little"))
    state = indices.astype(np.uint64) * _GOLDEN_GAMMA + seed_value
    state = (state ^ (state >> np.uint64(30))) * _MIX_1
    state = (state ^ (state >> np.uint64(27))) * _MIX_2
    state = state ^ (state >> np.uint64(31))
    return (state >> np.uint64(11)).astype(np.float64) * (100.0 / float(1 << 53))
