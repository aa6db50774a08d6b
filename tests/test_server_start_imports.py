"""A fresh app server's first page waits for every module the pages import: the heavy ones that
the server itself never uses (scikit-learn, torch's compiler) must not come with them."""
import ast
import json
import subprocess
import sys

import pytest

from digitlab.model import MLP, ModelConfig, state_shapes
from tests.support.browser import ROOT

NOT_AT_START = ("sklearn", "torch._dynamo")


def imports_of_the_pages() -> list[str]:
    """Every import of a digitlab module outside digitlab.ui that app.py or a page module makes,
    as its source line."""
    lines = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "digitlab" / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("digitlab")
                    and not node.module.startswith("digitlab.ui")):
                lines.add(ast.unparse(node))
    return sorted(lines)


def test_the_pages_imports_and_a_model_load_bring_no_heavy_module_the_server_does_not_use():
    imports = imports_of_the_pages()
    assert any("digitlab.jobs" in line for line in imports) and any("digitlab.store" in line for line in imports)
    script = "\n".join([*imports, "import json, sys", "from digitlab.model import predict_proba",
                        "from digitlab.store import load_model",
                        "predict_proba(load_model('default').model, [0.0] * 64)",
                        f"print(json.dumps([m for m in {NOT_AT_START!r} if m in sys.modules]))"])
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "DIGITLAB_MODELS_DIR": str(ROOT / "models")})
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("hidden", [(7,), (128, 64), (3, 5, 9)])
def test_the_shapes_a_file_is_checked_against_are_the_models_own(hidden):
    config = ModelConfig(hidden=hidden, input_mean=(0.0,) * 64, input_scale=1.0)
    assert state_shapes(config) == {k: tuple(v.shape) for k, v in MLP(config).state_dict().items()}
