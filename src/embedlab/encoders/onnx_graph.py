"""What an ONNX graph computes in: op-type counts and where its integer weights go.

An "int8" ONNX file can mean two different things. With integer kernels (onnxruntime's
``quantize_dynamic``: ``DynamicQuantizeLinear`` on the activations, ``MatMulInteger`` on int8 weights;
or ``QLinear*`` / ``QGemm``) the matrix products run in int8. With weight-only int8 (int8 initializers
that reach the products only through ``Cast`` or ``DequantizeLinear`` with no quantized activations)
the file is small, but onnxruntime folds those weights back to fp32 constants when the session loads
and every product runs in fp32: the speed of the fp32 graph. ``graph_summary`` tells them apart from
the graph alone (no weights loaded, no session).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..errors import require_package

#: ops that compute on integer tensors (onnxruntime's int8 kernels)
INTEGER_OPS = ("MatMulInteger", "ConvInteger", "QGemm", "QAttention", "DynamicQuantizeMatMul", "MatMulIntegerToFloat",
               "QLinearMatMul", "QLinearConv")
#: ops that turn an integer tensor into a float one
DEQUANTIZING_OPS = ("Cast", "DequantizeLinear")
#: counted in every summary, zeros included, so summaries line up as table columns
KEY_OPS = ("MatMul", "Gemm", "MatMulInteger", "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear",
           "QLinear", "Cast")  # QLinear: every QLinear* op
_INTEGER_TYPES = ("INT8", "UINT8", "INT4", "UINT4")


def _is_integer_op(op: str) -> bool:
    return op in INTEGER_OPS or op.startswith("QLinear")


def graph_summary(model) -> dict:
    """For an ONNX ``model`` (a path or a loaded ``ModelProto``): ``op_counts`` (every op type),
    ``n_<op>`` for ``KEY_OPS``, the integer initializers (``integer_weights``, their elements and the
    float initializers' elements), how many of them feed an integer op (``integer_weights_in_integer_ops``)
    or only reach a float op through Cast / DequantizeLinear (``integer_weights_dequantized``),
    ``weights_dequantized_to_float`` (True: weight-only int8, fp32 compute) and ``compute`` in words."""
    onnx = require_package("onnx")
    if isinstance(model, (str, Path)):
        model = onnx.load(str(model), load_external_data=False)
    graph = model.graph
    nodes = list(graph.node)
    ops = Counter(n.op_type for n in nodes)
    consumers: dict[str, list[str]] = {}
    for n in nodes:
        for name in n.input:
            consumers.setdefault(name, []).append(n.op_type)
    integer, float_elements, integer_elements = [], 0, 0
    for init in graph.initializer:
        size = 1
        for d in init.dims:
            size *= int(d)
        if onnx.TensorProto.DataType.Name(init.data_type) in _INTEGER_TYPES:
            integer.append(init.name)
            integer_elements += size
        elif init.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16):
            float_elements += size
    in_integer_ops = [w for w in integer if any(_is_integer_op(op) for op in consumers.get(w, []))]
    dequantized = [w for w in integer if consumers.get(w) and all(op in DEQUANTIZING_OPS for op in consumers[w])]
    integer_nodes = sum(c for op, c in ops.items() if _is_integer_op(op))
    activation_quantizers = ops["DynamicQuantizeLinear"] + ops["QuantizeLinear"]
    weight_only = bool(dequantized) and not in_integer_ops and activation_quantizers == 0
    if integer_nodes:
        compute = "int8 kernels (" + ", ".join(f"{ops[o]} {o}" for o in sorted(ops) if _is_integer_op(o)) + ")"
    elif weight_only:
        compute = "fp32: int8 weights dequantized to fp32 (weight-only int8)"
    elif activation_quantizers and dequantized:
        compute = "QDQ: onnxruntime may fuse it to int8 kernels"
    else:
        compute = "fp32"
    summary = {"nodes": len(nodes), "op_counts": dict(sorted(ops.items(), key=lambda kv: (-kv[1], kv[0])))}
    for op in KEY_OPS:
        summary[f"n_{op}"] = (sum(c for o, c in ops.items() if o.startswith("QLinear")) if op == "QLinear" else ops[op])
    summary.update({
        "integer_weights": len(integer), "integer_weight_elements": integer_elements,
        "float_weight_elements": float_elements, "integer_weights_in_integer_ops": len(in_integer_ops),
        "integer_weights_dequantized": len(dequantized), "integer_compute_nodes": integer_nodes,
        "activation_quantizers": activation_quantizers, "weights_dequantized_to_float": weight_only,
        "compute": compute,
    })
    return summary
