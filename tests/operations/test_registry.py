"""The operation table against botocore's Amazon ML service model (no server needed)."""

from __future__ import annotations

from openaml.entities import KIND_DESCRIPTORS
from openaml.operations.registry import OPERATIONS
from openaml.operations.validation import load_service_model


def test_the_table_holds_every_operation_of_the_service_model_and_nothing_else() -> None:
    names = set(load_service_model().operation_names)
    assert len(names) == 28
    assert set(OPERATIONS) == names


def test_each_kind_has_its_own_get_update_delete_and_describe_handlers() -> None:
    handlers = [
        OPERATIONS[operation]
        for descriptor in KIND_DESCRIPTORS
        for operation in (
            descriptor.get_operation,
            descriptor.update_operation,
            descriptor.delete_operation,
            descriptor.describe_operation,
        )
    ]
    assert len(handlers) == 16
    assert len(set(handlers)) == 16
