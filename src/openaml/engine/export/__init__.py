"""Exporting trained models out of OpenAML: ONNX (one graph for the whole model) and LightGBM's format.

Modules:

* :mod:`.graph` — a small ONNX graph builder (names, constants, embedded converter output).
* :mod:`.features` — the AutoML feature encoders as ONNX nodes, and what they cannot express.
* :mod:`.learners` — every AutoML family's learner as ONNX nodes.
* :mod:`.sgd` — Amazon ML's SGD model (recipe variables and the linear score) as ONNX nodes.
* :mod:`.onnx_model` — :func:`export_onnx`: inputs, pipeline, members, blend, metadata.
* :mod:`.lightgbm_format` — :func:`export_lightgbm`: booster text files and the pipeline as JSON.
* :mod:`.parity` — :func:`check_parity`: the native model and the ONNX graph on the same rows.
"""

from openaml.engine.export.lightgbm_format import export_lightgbm, lightgbm_refusals
from openaml.engine.export.onnx_model import export_onnx, onnx_refusals
from openaml.engine.export.parity import ParityReport, check_parity, onnx_feeds

#: The export formats, each with its refusal check.
FORMATS = ("onnx", "lightgbm")

__all__ = [
    "FORMATS",
    "ParityReport",
    "check_parity",
    "export_lightgbm",
    "export_onnx",
    "lightgbm_refusals",
    "onnx_feeds",
    "onnx_refusals",
]
