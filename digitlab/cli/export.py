"""python -m digitlab export NAME --onnx PATH: a saved model as an ONNX file (digitlab.export)."""
from __future__ import annotations


def add_commands(sub) -> None:
    export = sub.add_parser(
        "export", help="write a saved model as an ONNX file",
        description="Write a saved model as ONNX: raw 8x8 counts (float32 [N, 64], 0-16) in, the ten "
                    "digit probabilities out, input scaling and softmax included. Runs anywhere "
                    "onnxruntime does, without DigitLab.")
    export.add_argument("model", metavar="NAME", help="model name in models/ or a .safetensors path")
    export.add_argument("--onnx", metavar="PATH", required=True, help="the .onnx file to write")
    export.set_defaults(run=cmd_export)


def cmd_export(args) -> int:
    from digitlab.export import export_model

    out = export_model(args.model, args.onnx)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB): input 'counts' float32 [N, 64], "
          f"output 'probabilities' float32 [N, 10]")
    return 0
