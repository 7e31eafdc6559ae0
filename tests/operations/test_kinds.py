"""Each kind's ``Describe*`` filters against botocore's model: every FilterVariable has a column."""

from __future__ import annotations

import pytest

from openaml.entities import BATCH_PREDICTIONS, DATA_SOURCES, EVALUATIONS, ML_MODELS, KindDescriptor
from openaml.operations import batch_predictions, data_sources, evaluations, ml_models
from openaml.operations.describe import COMMON_FILTERS
from openaml.operations.kinds import KindHooks
from openaml.operations.validation import load_service_model

HOOKS = [
    (DATA_SOURCES, data_sources.KIND_HOOKS),
    (ML_MODELS, ml_models.KIND_HOOKS),
    (EVALUATIONS, evaluations.KIND_HOOKS),
    (BATCH_PREDICTIONS, batch_predictions.KIND_HOOKS),
]


@pytest.mark.parametrize(("descriptor", "hooks"), HOOKS, ids=lambda value: getattr(value, "collection", ""))
def test_the_filters_are_exactly_the_filter_variables_of_the_service_model(
    descriptor: KindDescriptor, hooks: KindHooks
) -> None:
    request = load_service_model().operation_model(descriptor.describe_operation).input_shape
    assert request is not None
    variables = set(request.members["FilterVariable"].enum)  # type: ignore[attr-defined]
    assert set(COMMON_FILTERS | dict(hooks.filters)) == variables
