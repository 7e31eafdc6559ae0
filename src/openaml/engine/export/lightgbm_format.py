"""The ``lightgbm`` export format, for models whose every member is a LightGBM booster.

A zip archive of ``booster-<i>.txt`` (each member in LightGBM's own text format, loadable with
``lightgbm.Booster(model_file=...)``) and ``pipeline.json``, which says how to build the boosters'
input matrix from a record and how to blend their outputs::

    {"format": "openaml-lightgbm", "version": 1, "modelType": "BINARY", "classes": ["0", "1"],
     "scoreThreshold": 0.5, "schema": {...},
     "members": [{"file": "booster-0.txt", "weight": 0.6}, ...],
     "blend": "weighted sum; BINARY clipped to [0, 1], MULTICLASS rows divided by their sum",
     "columns": [{"kind": "number", "attribute": "age"},
                 {"kind": "categoryCode", "attribute": "city", "codes": {"Paris": 0}, "otherCode": 1},
                 {"kind": "categoryFrequency", "attribute": "city", "frequencies": {...}},
                 {"kind": "categoryOrder", "attribute": "city", "points": [...]},
                 {"kind": "textCharacters" | "textWords", "attribute": "note"},
                 {"kind": "tfidf", "attribute": "note", "vocabulary": {...}, "idf": [...], ...}]}

Numbers are float64 with NaN for missing (infinities too); a category code is NaN for a missing
value, ``otherCode`` for one not in ``codes``; a frequency is 0 for an unseen value and NaN for a
missing one; a ``tfidf`` entry is scikit-learn's ``TfidfVectorizer`` with the options given (its
columns in vocabulary order), whose block fills as many columns as the vocabulary has terms.
Unlike ONNX, this format keeps every feature the tree encoding has (dates are refused). A bagged
member is written as its fold boosters, each weighted ``weight / k``; a stacked ensemble is refused.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from openaml.engine.automl.bagging import weighted_parts
from openaml.engine.automl.ensemble import EnsembleModel
from openaml.engine.automl.families.lightgbm import LightGBMLearner
from openaml.engine.automl.features import _HIGH_CARDINALITY, Encoding, FeatureEncoder
from openaml.engine.data.schema import DataSchema
from openaml.engine.models import TrainedModel

PIPELINE_FILE = "pipeline.json"


def lightgbm_refusals(model: TrainedModel) -> list[str]:
    """Why ``model`` cannot be exported in the ``lightgbm`` format (empty when it can)."""
    if not isinstance(model, EnsembleModel):
        return [f"the lightgbm format holds LightGBM models; this model is {model.algorithm}"]
    if getattr(model, "stacker", None) is not None:  # models saved before stacking have none
        return [
            "the lightgbm format holds weighted sums; this ensemble's members are combined by stacking "
            "(a model trained with openaml.stacking set to false is a weighted sum)"
        ]
    others = sorted(
        {
            member.family
            for member in model.members
            for _, learner in weighted_parts(member.weight, member.learner)
            if not isinstance(learner, LightGBMLearner)
        }
    )
    if others:
        return [f"the lightgbm format holds LightGBM-only models; this ensemble also has {', '.join(others)}"]
    encoder = model.encoders[Encoding.TREE]
    return [f"categorical attribute {name!r} holds dates" for name in encoder._dates]


def export_lightgbm(model: TrainedModel, schema: DataSchema, *, score_threshold: float | None) -> bytes:
    """The zip archive described in the module docstring."""
    assert isinstance(model, EnsembleModel) and not lightgbm_refusals(model)
    members = []
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as files:
        parts = [
            (member.family, weight, learner)
            for member in model.members
            for weight, learner in weighted_parts(member.weight, member.learner)
        ]
        for index, (family, weight, learner) in enumerate(parts):
            assert isinstance(learner, LightGBMLearner)
            name = f"booster-{index}.txt"
            files.writestr(name, learner.booster.model_to_string())
            members.append({"file": name, "weight": weight, "family": family})
        pipeline = {
            "format": "openaml-lightgbm",
            "version": 1,
            "modelType": model.model_type.value,
            "classes": list(model.classes) if model.classes is not None else None,
            "scoreThreshold": score_threshold,
            "schema": json.loads(schema.to_json()),
            "members": members,
            "blend": "weighted sum; BINARY clipped to [0, 1], MULTICLASS rows divided by their sum",
            "columns": pipeline_columns(model.encoders[Encoding.TREE]),
        }
        files.writestr(PIPELINE_FILE, json.dumps(pipeline, indent=1, default=_plain))
    return archive.getvalue()


def pipeline_columns(encoder: FeatureEncoder) -> list[dict[str, Any]]:
    """The TREE encoding's columns, in matrix order (see ``FeatureEncoder._transform_tree``)."""
    columns: list[dict[str, Any]] = [{"kind": "number", "attribute": name} for name in encoder._numeric]
    for name in encoder._categorical:
        codes = encoder._categories[name]
        columns.append(
            {"kind": "categoryCode", "attribute": name, "codes": codes.codes, "otherCode": codes.other_code}
        )
    for name in encoder._categorical:
        codes = encoder._categories[name]
        if codes.distinct > _HIGH_CARDINALITY:
            columns.append({"kind": "categoryFrequency", "attribute": name, "frequencies": codes.frequencies})
            columns.append({"kind": "categoryOrder", "attribute": name, "points": list(codes.order_points)})
    for name in encoder._text:
        columns += [{"kind": "textCharacters", "attribute": name}, {"kind": "textWords", "attribute": name}]
    for name in encoder._text:
        for vectorizer in encoder._texts[name]._vectorizers:
            columns.append(
                {
                    "kind": "tfidf",
                    "attribute": name,
                    "options": {
                        "analyzer": vectorizer.analyzer,
                        "ngram_range": list(vectorizer.ngram_range),
                        "lowercase": vectorizer.lowercase,
                        "token_pattern": vectorizer.token_pattern,
                        "sublinear_tf": vectorizer.sublinear_tf,
                        "norm": vectorizer.norm,
                    },
                    "vocabulary": {term: int(index) for term, index in vectorizer.vocabulary_.items()},
                    "idf": vectorizer.idf_,
                }
            )
    return columns


def _plain(value: object) -> object:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
