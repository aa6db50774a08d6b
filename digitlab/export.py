"""A saved model as a self-contained ONNX file: raw 8x8 counts in, ten probabilities out.

The graph is written node by node with onnx.helper rather than torch.onnx.export: torch 2.13's
default (dynamo) exporter needs onnxscript, and its legacy TorchScript exporter is deprecated;
an MLP is five kinds of node, and writing them ourselves keeps the one runtime dependency to `onnx`.

What the graph does, in order (the same as digitlab.model.MLP + predict_proba):
  counts float32 [N, 64], 0-16 per cell
  -> x * input_inv_scale + input_shift          (the input scaling fitted on the training split)
  -> Gemm, activation, ... per hidden layer      (dropout is off at inference, so it is left out)
  -> Gemm                                        (the calibration temperature is already folded in)
  -> Softmax                                     -> probabilities float32 [N, 10]
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from torch import nn

from digitlab.data import N_CLASSES, N_FEATURES
from digitlab.model import MLP

INPUT_NAME = "counts"
OUTPUT_NAME = "probabilities"
# Opset 17 / IR 8: old enough for any onnxruntime of the last few years (Gelu is spelled with Erf,
# which opset 17 has, instead of the Gelu op that arrived in opset 20).
OPSET = 17
IR_VERSION = 8


class ExportError(ValueError):
    """The model cannot be exported, or the onnx package is missing; the message says which."""


def _onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ExportError("ONNX export needs the 'onnx' package: pip install -r requirements.txt") from exc
    return onnx


def onnx_bytes(model: MLP, name: str = "digitlab") -> bytes:
    """The serialized ONNX model for `model` (an MLP in any mode; its weights are read, not changed)."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    nodes, weights = [], []

    def const(label: str, array: np.ndarray) -> str:
        weights.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), label))
        return label

    def node(op: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    x = node("Mul", [INPUT_NAME, const("input_inv_scale", model.input_inv_scale.detach().numpy())], "scaled")
    x = node("Add", [x, const("input_shift", model.input_shift.detach().numpy())], "shifted")
    linear = 0
    for module in model.net:
        if isinstance(module, nn.Linear):
            w = const(f"W{linear}", module.weight.detach().numpy())
            b = const(f"b{linear}", module.bias.detach().numpy())
            x = node("Gemm", [x, w, b], f"linear{linear}", transB=1)
            linear += 1
        elif isinstance(module, nn.Dropout):
            continue
        else:
            x = _activation(module, x, f"act{linear - 1}", node, const)
    node("Softmax", [x], OUTPUT_NAME, axis=1)

    graph = helper.make_graph(
        nodes, f"{name}_mlp",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", N_FEATURES])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", N_CLASSES])],
        initializer=weights)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="digitlab", ir_version=IR_VERSION,
                              doc_string="Handwritten digit (8x8, 0-16 per cell) -> probabilities of digits 0-9")
    helper.set_model_props(proto, {"digitlab.model": name, "labels": ",".join(map(str, range(N_CLASSES)))})
    onnx.checker.check_model(proto, full_check=True)
    return proto.SerializeToString()


def _activation(module: nn.Module, x: str, out: str, node, const) -> str:
    if isinstance(module, nn.ReLU):
        return node("Relu", [x], out)
    if isinstance(module, nn.Tanh):
        return node("Tanh", [x], out)
    if isinstance(module, nn.Sigmoid):
        return node("Sigmoid", [x], out)
    if isinstance(module, nn.GELU) and module.approximate == "none":
        # torch's exact GELU: 0.5 * x * (1 + erf(x / sqrt(2)))
        erf = node("Erf", [node("Mul", [x, const(f"{out}_rsqrt2", np.array(1 / math.sqrt(2)))], f"{out}_s")], f"{out}_erf")
        one_plus = node("Add", [erf, const(f"{out}_one", np.array(1.0))], f"{out}_1p")
        half_x = node("Mul", [x, const(f"{out}_half", np.array(0.5))], f"{out}_hx")
        return node("Mul", [half_x, one_plus], out)
    raise ExportError(f"cannot export activation {type(module).__name__} to ONNX")


def export_model(name_or_path: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Load a saved model (validated as everywhere else) and write it to `out` as ONNX."""
    from digitlab.store import load_model

    loaded = load_model(name_or_path)
    data = onnx_bytes(loaded.model, loaded.name)
    out = Path(out)
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name such as {out / (loaded.name + '.onnx')}")
    if not out.parent.is_dir():
        raise ExportError(f"folder {out.parent} does not exist")
    out.write_bytes(data)
    return out
