#!/usr/bin/python3
"""Checks ONNX models written by Unified with Debian's onnx (python3-onnx): the full checker (shape inference
included), an operator set of at least 17, and a dynamic batch axis on every graph input and output.

usage: /usr/bin/python3 scripts/check_onnx.py MODEL.onnx|FOLDER ...   (exit 0 when every model passes)
"""
import pathlib
import sys

import onnx


def check(path):
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset < 17:
        raise ValueError(f"opset {opset} < 17")
    initializers = {i.name for i in model.graph.initializer}
    for value in list(model.graph.input) + list(model.graph.output):
        if value.name in initializers:
            continue
        first = value.type.tensor_type.shape.dim[0]
        if not first.dim_param:
            raise ValueError(f"{value.name}: dimension 0 is {first.dim_value}, not a dynamic batch axis")
    return opset


def main(arguments):
    paths = []
    for argument in arguments:
        p = pathlib.Path(argument)
        paths.extend(sorted(p.glob("*.onnx")) if p.is_dir() else [p])
    if not paths:
        print("error: no .onnx files given", file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        try:
            opset = check(path)
            print(f"ok {path.name} opset {opset}")
        except Exception as e:  # report every model, then fail
            failed += 1
            print(f"FAILED {path.name}: {type(e).__name__}: {e}")
    print(f"{len(paths) - failed} of {len(paths)} models pass onnx {onnx.__version__}'s checker")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
