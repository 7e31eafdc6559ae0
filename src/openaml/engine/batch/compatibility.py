"""Whether a batch datasource can feed a model, and the schema its records are read with.

The batch datasource must have every input attribute of the model's training schema (by name; the
target may be absent, other columns are ignored). Types follow the Developer Guide's rule that
"the training type wins": each attribute the model uses is read with its training type, whatever
the batch schema declares, so a value that does not fit it (``abc`` for a NUMERIC attribute) makes
that one record unscorable — a blank line and a logged reason — rather than failing the job. The
attributes the model does not use are read as plain text, so they can never make a record invalid
(Amazon ML ignored the batch data's target value, for one).
"""

from __future__ import annotations

import dataclasses

from openaml.engine.data.errors import DataError
from openaml.engine.data.schema import Attribute, AttributeType, DataSchema

#: How many missing attributes an error message names.
NAMES_IN_MESSAGE = 20


def scoring_schema(batch_schema: DataSchema, model_schema: DataSchema) -> DataSchema:
    """The schema to read the batch datasource's files with, for a model trained on ``model_schema``.

    It has the batch schema's columns, header flag and rowId; model inputs take their training types
    and every other column is CATEGORICAL; it names no target, weight or excluded attributes.
    Raises :class:`DataError` when the batch schema lacks attributes the model needs, or when its
    rowId is one of them (a rowId passes through as raw text and cannot also be a typed input).
    """
    needed = {attribute.name: attribute.type for attribute in model_schema.input_attributes}
    missing = [name for name in needed if not batch_schema.has_attribute(name)]
    if missing:
        shown = ", ".join(f"{name!r} ({needed[name].value})" for name in missing[:NAMES_IN_MESSAGE])
        more = f" and {len(missing) - NAMES_IN_MESSAGE} more" if len(missing) > NAMES_IN_MESSAGE else ""
        raise DataError(
            f"The batch prediction datasource lacks {len(missing)} attribute(s) the model was trained "
            f"with: {shown}{more}. Its schema must have every input attribute of the model's training "
            "schema (the target may be absent)."
        )
    if batch_schema.row_id in needed:
        raise DataError(
            f"The batch prediction datasource uses {batch_schema.row_id!r} as its rowId, but the model "
            "uses it as an input attribute. Choose another rowId, or none."
        )
    attributes = tuple(
        Attribute(attribute.name, needed.get(attribute.name, AttributeType.CATEGORICAL))
        for attribute in batch_schema.attributes
    )
    return dataclasses.replace(
        batch_schema,
        attributes=attributes,
        target_attribute_name=None,
        row_weight=None,
        excluded_attribute_names=(),
    )
