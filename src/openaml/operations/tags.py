"""``AddTags``, ``DescribeTags`` and ``DeleteTags``."""

from __future__ import annotations

from typing import Any

from openaml.domain import resources as domain
from openaml.domain.context import ServiceContext
from openaml.entities import Caller, ResourceKind, Tag
from openaml.errors import InvalidTagException


def add_tags(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    kind = ResourceKind(params["ResourceType"])
    tags = []
    for index, tag in enumerate(params["Tags"]):
        if "Key" not in tag:
            raise InvalidTagException(f"Tags[{index}] has no Key.")
        tags.append(Tag(tag["Key"], tag.get("Value")))
    domain.add_tags(ctx, kind, params["ResourceId"], tags)
    return {"ResourceId": params["ResourceId"], "ResourceType": kind.value}


def describe_tags(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    kind = ResourceKind(params["ResourceType"])
    tags = domain.describe_tags(ctx, kind, params["ResourceId"])
    return {
        "ResourceId": params["ResourceId"],
        "ResourceType": kind.value,
        "Tags": [{"Key": t.key, **({"Value": t.value} if t.value is not None else {})} for t in tags],
    }


def delete_tags(ctx: ServiceContext, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
    kind = ResourceKind(params["ResourceType"])
    domain.delete_tags(ctx, kind, params["ResourceId"], params["TagKeys"])
    return {"ResourceId": params["ResourceId"], "ResourceType": kind.value}


OPERATIONS = {"AddTags": add_tags, "DescribeTags": describe_tags, "DeleteTags": delete_tags}
