"""The kind descriptors against botocore's Amazon ML service model: one per kind, every fact right."""

from __future__ import annotations

import pytest
from botocore import xform_name

from openaml.entities import (
    KIND_DESCRIPTORS,
    KindDescriptor,
    ResourceKind,
    descriptor_for_collection,
    descriptor_of,
)
from openaml.operations.validation import load_service_model


def test_every_kind_has_exactly_one_descriptor() -> None:
    amazon_kinds = [kind for kind in ResourceKind if kind is not ResourceKind.DRIFT_REPORT]
    assert [d.kind for d in KIND_DESCRIPTORS] == amazon_kinds
    for kind in ResourceKind:
        assert descriptor_of(kind).kind is kind


def test_collections_are_unique_url_segments_that_lead_back_to_their_kind() -> None:
    collections = [d.collection for d in KIND_DESCRIPTORS]
    assert len(set(collections)) == len(collections)
    for descriptor in KIND_DESCRIPTORS:
        assert descriptor.collection.isalpha() and descriptor.collection.islower()
        assert descriptor_for_collection(descriptor.collection) is descriptor
    assert descriptor_for_collection("log") is None
    assert descriptor_for_collection("") is None


def test_cli_commands_and_labels_are_distinct() -> None:
    assert len({d.cli_command for d in KIND_DESCRIPTORS}) == len(KIND_DESCRIPTORS)
    assert len({d.label for d in KIND_DESCRIPTORS}) == len(KIND_DESCRIPTORS)


@pytest.mark.parametrize("descriptor", KIND_DESCRIPTORS, ids=lambda d: d.kind.value)
def test_operations_and_members_are_those_of_the_service_model(descriptor: KindDescriptor) -> None:
    model = load_service_model()
    operations = (
        descriptor.get_operation,
        descriptor.update_operation,
        descriptor.delete_operation,
        descriptor.describe_operation,
    )
    assert set(operations) <= set(model.operation_names)
    for name in (descriptor.get_operation, descriptor.update_operation, descriptor.delete_operation):
        operation = model.operation_model(name)
        assert operation.input_shape is not None
        assert descriptor.id_member in operation.input_shape.required_members
        assert operation.output_shape is not None
        assert descriptor.id_member in operation.output_shape.members
    update = model.operation_model(descriptor.update_operation).input_shape
    assert update is not None and descriptor.name_member in update.members
    describe = model.operation_model(descriptor.describe_operation).output_shape
    assert describe is not None
    result = describe.members["Results"].member  # type: ignore[attr-defined]
    assert descriptor.id_member in result.members
    assert xform_name(descriptor.get_operation) == f"get_{descriptor.snake_name}"
