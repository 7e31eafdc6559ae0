"""Why a model predicts what it does: per-prediction explanations and global feature importance."""

from openaml.engine.explain.explainer import ModelExplainer
from openaml.engine.explain.explanation import MAX_TOP, Explanations, Space, parse_explain_setting

__all__ = ["MAX_TOP", "Explanations", "ModelExplainer", "Space", "parse_explain_setting"]
