"""The package's shape, checked over every module in digitlab/ (walked, not listed): no import
cycles, and nothing outside digitlab/ui/ reaches streamlit. Imports inside functions count too:
a cycle hidden in a function is still a cycle a reader has to untangle."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "digitlab"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> set[str]:
    """Every module (of `known`, plus third-party top-level names) that the file imports, anywhere in it."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..y import z
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # `from pkg import mod` imports the module pkg.mod
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: {m for m in imports(path, set(mods)) if m in mods and m != name} for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v), on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_the_walk_sees_the_whole_package():
    mods = modules()
    assert len(mods) > 40 and {"digitlab.train", "digitlab.service", "digitlab.ui.train"} <= set(mods)
    edges = graph()
    assert "digitlab.train" in edges["digitlab.service"] and "digitlab.service" in edges["digitlab.jobs"]
    assert "digitlab.plots" in edges["digitlab.ui.train"]  # `from digitlab import plots`


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_inside_digitlab():
    found = cycles(graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_only_ui_imports_streamlit():
    mods = modules()
    offenders = []
    for name, path in mods.items():
        if name.startswith("digitlab.ui"):
            continue
        for imported in imports(path, set(mods)):
            if imported.split(".")[0] == "streamlit" or imported.startswith("digitlab.ui"):
                offenders.append(f"{name} imports {imported}")
    assert not offenders, offenders


def test_every_core_module_imports_without_streamlit_in_a_fresh_interpreter():
    """The same, as Python sees it: third-party imports included."""
    core = [n for n in modules() if not n.startswith("digitlab.ui") and not n.endswith("__main__")]
    assert len(core) > 25
    code = (f"import importlib, sys\nfor name in {core!r}:\n    importlib.import_module(name)\n"
            "assert 'streamlit' not in sys.modules, [m for m in sys.modules if m.startswith('streamlit')]")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=300)


def _imported_modules(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)  # and `from tests import test_x` imports the module tests.test_x:
            found.update(f"{node.module}.{a.name}" for a in node.names if a.name.startswith("test_"))
    return found


def one_way_violations(files: dict[str, str]) -> list[str]:
    """Imports against the one direction, for {relative path: source}: tests and benchmarks may
    import tests.support, but nothing imports a test module, support imports neither tests nor
    benchmarks, and no test imports a benchmark."""
    out = []
    for rel, source in sorted(files.items()):
        for mod in sorted(_imported_modules(source)):
            if mod.startswith("tests.") and mod.rpartition(".")[2].startswith("test_"):
                out.append(f"{rel} imports test module {mod}")
            elif rel.startswith("tests/support/") and mod.startswith(("tests.", "benchmarks")) \
                    and not mod.startswith("tests.support"):
                out.append(f"{rel} (support) imports {mod}")
            elif rel.startswith("tests/") and mod.startswith("benchmarks"):
                out.append(f"{rel} (a test) imports benchmark {mod}")
    return out


def test_tests_and_benchmarks_import_shared_helpers_one_way_only():
    files = sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "benchmarks").rglob("*.py"))
    assert len(files) > 40
    assert one_way_violations({p.relative_to(ROOT).as_posix(): p.read_text() for p in files}) == []


def test_the_one_way_check_catches_each_wrong_direction():
    assert one_way_violations({
        "tests/test_a.py": "from tests.test_cli import run\nimport benchmarks.load\n",
        "tests/support/x.py": "from tests.e2e.conftest import browser\n",
        "benchmarks/b.py": "from tests.support.cli import run\nfrom tests import test_store\n",
    }) == ["benchmarks/b.py imports test module tests.test_store",
           "tests/support/x.py (support) imports tests.e2e.conftest",
           "tests/test_a.py (a test) imports benchmark benchmarks.load",
           "tests/test_a.py imports test module tests.test_cli"]
