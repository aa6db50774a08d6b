"""deploy/serve.py's pid files are read by whoever watches the replicas (an operator's script, the
replica test) while serve.py restarts a replica and writes its new pid: a reader must see one pid or
the other, never an empty or half-written file."""
import importlib.util
import threading

from tests.support.browser import ROOT


def _serve_module():
    spec = importlib.util.spec_from_file_location("digitlab_serve", ROOT / "deploy" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_reader_never_sees_a_pid_file_half_written(tmp_path):
    serve = _serve_module()
    path = tmp_path / "replica-0.pid"
    serve.write_pid_file(path, 1111)
    seen: set[str] = set()
    done = threading.Event()

    def read_while_written():
        while not done.is_set():
            seen.add(path.read_text())

    reader = threading.Thread(target=read_while_written)
    reader.start()
    try:
        for i in range(3000):
            serve.write_pid_file(path, 22222 if i % 2 else 1111)
    finally:
        done.set()
        reader.join()
    whole = {"1111\n", "22222\n"}
    assert seen <= whole, f"a reader saw {sorted(seen - whole)!r}"
    assert path.read_text() == "22222\n" and not list(tmp_path.glob("*.part"))
