"""What a model trained from a parent reads of it: the members of its ensemble and its schema.

Every AutoML model's artifact keeps, in its manifest, one :class:`MemberSpec` per ensemble member
(family, encoding, search configuration, learned refit settings such as boosting rounds, weight and
the leaderboard trial it came from): enough to fit the same pipeline again on new data
(:mod:`.refit`), to start a new search from it (``train_automl(start_from=...)``) or to find the
members that may continue boosting (:mod:`.warmstart`). Models saved before the manifest held
members are read from their leaderboard (:func:`members_from_leaderboard`), whose ``parameters`` are
the same configuration and refit settings merged.

:func:`check_compatible_schema` is the request-time check that the new training data has what the
parent's features read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openaml.engine.automl.families import FAMILIES, Config
from openaml.engine.automl.features import Encoding
from openaml.engine.data.schema import DataSchema
from openaml.errors import InternalServerException, InvalidInputException


@dataclass(frozen=True)
class MemberSpec:
    """One member of an AutoML ensemble as configuration, without its fitted state."""

    family: str
    weight: float
    #: The search configuration (a point of the family's search space).
    config: Config
    #: What the final fit reused besides ``config``: boosting rounds, epochs.
    refit_config: Config = field(default_factory=dict)
    #: The leaderboard trial the member was refit from.
    candidate: int = -1
    #: For a bagged member (:mod:`.bagging`), the number of fold models it serves; 0: one model.
    #: A ``refit`` child fits such a member again as one model on all its rows (there are no
    #: validation folds in a refit), and ``warmstart`` refuses it (its fold boosters are not one model).
    bagged_folds: int = 0

    @property
    def encoding(self) -> Encoding:
        return FAMILIES[self.family].encoding

    @property
    def fit_config(self) -> Config:
        """The configuration a refit uses: the search configuration and the learned settings."""
        return self.config | self.refit_config

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (camelCase keys, for the model manifest)."""
        return {
            "family": self.family,
            "encoding": self.encoding.value,
            "weight": self.weight,
            "config": dict(self.config),
            "refitConfig": dict(self.refit_config),
            "candidate": self.candidate,
            "baggedFolds": self.bagged_folds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MemberSpec:
        family = str(data["family"])
        if family not in FAMILIES:
            raise InternalServerException(f"a stored ensemble member has an unknown family {family!r}")
        return cls(
            family=family,
            weight=float(data["weight"]),
            config=dict(data.get("config") or {}),
            refit_config=dict(data.get("refitConfig") or {}),
            candidate=int(data.get("candidate", -1)),
            bagged_folds=int(data.get("baggedFolds") or 0),
        )


#: The learned settings a learner's ``refit_config`` holds (boosting rounds, epochs), which a
#: leaderboard's ``parameters`` merge into the configuration.
_REFIT_KEYS = ("rounds", "epochs")


def members_from_leaderboard(candidates: Sequence[Mapping[str, Any]]) -> tuple[MemberSpec, ...]:
    """The members of a leaderboard (its entries with a weight), best ranked first: the order of the
    members of the ensemble saved with it. ``candidate`` is the position in that order."""
    entries = [entry for entry in candidates if entry.get("ensembleWeight")]
    entries.sort(key=lambda entry: (entry.get("rank") is None, entry.get("rank") or 0))
    members = []
    for index, entry in enumerate(entries):
        parameters = dict(entry.get("parameters") or {})
        members.append(
            MemberSpec(
                family=str(entry["family"]),
                weight=float(entry["ensembleWeight"]),
                config={k: v for k, v in parameters.items() if k not in _REFIT_KEYS},
                refit_config={k: v for k, v in parameters.items() if k in _REFIT_KEYS},
                candidate=index,
                bagged_folds=int(entry.get("baggedFolds") or 0),
            )
        )
    return tuple(members)


@dataclass(frozen=True)
class ParentEnsemble:
    """An AutoML parent as a retrain needs it: its ID (for messages), schema and members, best first."""

    ml_model_id: str
    schema: DataSchema
    members: tuple[MemberSpec, ...]

    def families(self) -> list[str]:
        return list(dict.fromkeys(member.family for member in self.members))


def check_compatible_schema(
    parent_schema: DataSchema, schema: DataSchema, parent_id: str, data_source_id: str
) -> None:
    """Raise ``InvalidInputException`` unless ``schema`` has the parent's target and every input
    attribute the parent's features read, each of the same type; the message lists all that differs."""
    problems = []
    target = parent_schema.target_attribute_name
    if target is not None and schema.target_attribute_name != target:
        problems.append(
            f"the target must be {target!r} (the DataSource's is {schema.target_attribute_name!r})"
        )
    present = {attribute.name: attribute for attribute in schema.attributes}
    missing = [a.name for a in parent_schema.input_attributes if a.name not in present]
    if missing:
        problems.append(f"missing attributes: {', '.join(missing)}")
    changed = [
        f"{a.name} ({a.type.value} in the parent, {present[a.name].type.value} here)"
        for a in parent_schema.input_attributes
        if a.name in present and present[a.name].type is not a.type
    ]
    if changed:
        problems.append(f"attributes of another type: {', '.join(changed)}")
    if problems:
        raise InvalidInputException(
            f"DataSource {data_source_id} does not fit the parent MLModel {parent_id}: "
            + "; ".join(problems)
            + ". A model is updated on data with the parent's target and the attributes its features read."
        )
