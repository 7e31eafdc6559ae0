"""The suggested recipe: what CreateMLModel uses when the caller gives none.

It has the shape of the recipes Amazon ML suggested::

    {"groups": {"NUMERIC_VARS_QB_50": "group('age','fare')", "NUMERIC_VARS_QB_10": "group('sibsp')"},
     "assignments": {},
     "outputs": ["ALL_CATEGORICAL", "ALL_BINARY", "ngram(lowercase(no_punct(ALL_TEXT)),2)",
                 "quantile_bin(NUMERIC_VARS_QB_50,50)", "quantile_bin(NUMERIC_VARS_QB_10,10)"]}

* CATEGORICAL attributes are passed through (``ALL_CATEGORICAL`` is always listed, as the service did,
  even when the group is empty), BINARY ones too (``ALL_BINARY``, when there are any).
* NUMERIC attributes are quantile-binned, so that a linear model can learn a non-linear effect. The
  number of bins per attribute comes from the statistics (see :func:`quantile_bin_count`); attributes
  with the same count share a group named ``NUMERIC_VARS_QB_<bins>``.
* TEXT attributes are lower-cased, stripped of punctuation at the edges of words, and turned into
  unigrams and bigrams (``ngram(..., 2)``): bigrams keep short phrases such as ``not good`` whose
  meaning their words lose. Amazon ML's own text treatment is not documented.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from openaml.engine.data.schema import AttributeType, DataSchema
from openaml.engine.recipes.expressions import quote_name

#: The bin counts a suggestion chooses from (the ones Amazon ML's generated recipes used).
BIN_COUNTS = (5, 10, 20, 50, 100, 200, 500)
#: A bin must hold at least this many training records on average for its weight to be learnable.
MIN_RECORDS_PER_BIN = 10
#: Bins per NUMERIC attribute when there are no statistics to choose from.
DEFAULT_BIN_COUNT = 10

TEXT_OUTPUT = "ngram(lowercase(no_punct(ALL_TEXT)),2)"


def suggest_recipe(schema: DataSchema, statistics: Mapping[str, Any] | None) -> str:
    """The suggested recipe (JSON text) for data of ``schema`` described by ``statistics`` (may be None)."""
    per_attribute = {entry.get("name"): entry for entry in (statistics or {}).get("attributes", [])}
    inputs = schema.input_attributes
    members_by_bins: dict[int, list[str]] = {}
    for attribute in inputs:
        if attribute.type is AttributeType.NUMERIC:
            bins = quantile_bin_count(per_attribute.get(attribute.name)) if statistics else DEFAULT_BIN_COUNT
            members_by_bins.setdefault(bins, []).append(attribute.name)
    present_types = {attribute.type for attribute in inputs}

    groups: dict[str, str] = {}
    outputs = ["ALL_CATEGORICAL"]
    if AttributeType.BINARY in present_types:
        outputs.append("ALL_BINARY")
    if AttributeType.TEXT in present_types:
        outputs.append(TEXT_OUTPUT)
    for bins in sorted(members_by_bins, reverse=True):
        group_name = f"NUMERIC_VARS_QB_{bins}"
        groups[group_name] = f"group({','.join(quote_name(n, always=True) for n in members_by_bins[bins])})"
        outputs.append(f"quantile_bin({group_name},{bins})")
    return json.dumps({"groups": groups, "assignments": {}, "outputs": outputs}, indent=2, ensure_ascii=False)


def quantile_bin_count(attribute_statistics: Mapping[str, Any] | None) -> int:
    """How many quantile bins a NUMERIC attribute gets, from its statistics entry (CONTRACTS §3).

    The most bins of :data:`BIN_COUNTS` that still leave :data:`MIN_RECORDS_PER_BIN` present values per
    bin (at least the smallest count), but no more than the first count that gives each distinct value
    a bin of its own: 714 ages with 88 distinct values get 50 bins, a class number with 3 values gets 5.
    ``count`` is the number of present (non-missing, valid) values. Without it the default of
    :data:`DEFAULT_BIN_COUNT` bins is used.
    """
    if not attribute_statistics or "count" not in attribute_statistics:
        return DEFAULT_BIN_COUNT
    present = int(attribute_statistics["count"])
    by_records = max(
        (bins for bins in BIN_COUNTS if bins * MIN_RECORDS_PER_BIN <= present), default=BIN_COUNTS[0]
    )
    distinct = attribute_statistics.get("distinct")
    if distinct is None:
        return by_records
    by_distinct = min((bins for bins in BIN_COUNTS if bins >= int(distinct)), default=BIN_COUNTS[-1])
    return min(by_records, by_distinct)
