"""A small builder of ONNX graphs: unique tensor names, constants, nodes and embedded converter output.

The exporters (:mod:`.features`, :mod:`.learners`) add nodes one at a time through :class:`GraphBuilder`
and embed the graphs that skl2onnx, onnxmltools or CatBoost produce for a whole learner
(:meth:`GraphBuilder.embed`), so one graph holds the feature pipeline, every member and the blend.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: The opsets the exported graph declares: ONNX 20 (``StringConcat``), ONNX-ML 4 (tensor-valued
#: LabelEncoder), Microsoft's contrib domain for ``Tokenizer`` (onnxruntime implements it). The
#: converters' graphs (opset 15) use only operators whose meaning did not change up to 20.
OPSETS = {"": 20, "ai.onnx.ml": 4, "com.microsoft": 1}
#: What embedded converters are asked to target.
CONVERTER_OPSETS = {"": 15, "ai.onnx.ml": 3}


class GraphBuilder:
    """Nodes, initializers, inputs and outputs of one graph, with names that never collide."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self.opsets: dict[str, int] = dict(OPSETS)
        self._counter = itertools.count()

    def name(self, hint: str) -> str:
        """A fresh tensor name starting with ``hint``."""
        return f"{hint}_{next(self._counter)}"

    def constant(self, value: Any, hint: str = "const", dtype: Any = None) -> str:
        """An initializer holding ``value`` (a scalar or array; float64 unless ``dtype`` says otherwise)."""
        array = np.asarray(value, dtype=dtype if dtype is not None else _default_dtype(value))
        name = self.name(hint)
        if array.dtype == object:
            tensor = helper.make_tensor(name, TensorProto.STRING, array.shape, array.ravel().tolist())
        else:
            tensor = numpy_helper.from_array(array, name)
        self.initializers.append(tensor)
        return name

    def node(self, op: str, inputs: Sequence[str], hint: str | None = None, **attributes: Any) -> str:
        """Add one node with one output; return the output's name."""
        domain = attributes.pop("domain", "")
        output = self.name(hint or op.lower())
        self.nodes.append(helper.make_node(op, list(inputs), [output], domain=domain, **attributes))
        return output

    def node_outputs(
        self, op: str, inputs: Sequence[str], count: int, hint: str | None = None, **attributes: Any
    ) -> list[str]:
        """Add one node with ``count`` outputs; return their names."""
        domain = attributes.pop("domain", "")
        outputs = [self.name(hint or op.lower()) for _ in range(count)]
        self.nodes.append(helper.make_node(op, list(inputs), outputs, domain=domain, **attributes))
        return outputs

    def add_input(self, name: str, element_type: int) -> str:
        """A graph input of shape (rows, 1)."""
        self.inputs.append(helper.make_tensor_value_info(name, element_type, [None, 1]))
        return name

    def add_output(self, source: str, name: str, element_type: int, shape: Sequence[Any]) -> None:
        """Expose ``source`` as the graph output ``name``."""
        self.nodes.append(helper.make_node("Identity", [source], [name]))
        self.outputs.append(helper.make_tensor_value_info(name, element_type, list(shape)))

    def embed(self, model: onnx.ModelProto, inputs: Sequence[str], outputs: Sequence[str]) -> list[str]:
        """Copy ``model``'s graph in, feeding its inputs from ``inputs``; return the tensors holding the
        model's outputs named ``outputs`` (in that order)."""
        prefix = self.name("sub") + "_"
        graph = onnx.compose.add_prefix(model, prefix).graph
        for source, target in zip(inputs, graph.input, strict=True):
            self.nodes.append(helper.make_node("Identity", [source], [target.name]))
        self.nodes.extend(graph.node)
        self.initializers.extend(graph.initializer)
        for opset in model.opset_import:
            domain = opset.domain or ""
            if domain == "ai.onnx":
                domain = ""
            self.opsets[domain] = max(self.opsets.get(domain, 0), opset.version)
        return [prefix + name for name in outputs]

    def model(self, metadata: dict[str, str]) -> onnx.ModelProto:
        """The finished model, checked, with ``metadata`` as its ``metadata_props``."""
        graph = helper.make_graph(self.nodes, "openaml", self.inputs, self.outputs, self.initializers)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid(domain, version) for domain, version in self.opsets.items()],
            producer_name="openaml",
        )
        model.ir_version = min(model.ir_version, 10)
        onnx.helper.set_model_props(model, metadata)
        onnx.checker.check_model(model)
        return model


def _default_dtype(value: Any) -> Any:
    array = np.asarray(value)
    if array.dtype.kind in "OUS":
        return object
    if array.dtype.kind in "iub":
        return np.int64
    return np.float64
