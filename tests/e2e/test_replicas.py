"""Two app servers behind nginx, one PostgreSQL (deploy/serve.py, as an operator runs it): what is
kept through one replica is seen through the other, a model saved by one is in the other's
pickers, and drawing goes on while a replica is killed and restarted.

Each browser context carries its own digitlab_replica cookie, chosen so that nginx's sticky hash
sends it to a known replica (every response names its replica in X-DigitLab-Replica). In CI
(DIGITLAB_REQUIRE_SERVERS=1) a missing nginx or PostgreSQL fails these tests; elsewhere they skip."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import (METRIC, ONE, ROOT, ZERO, draw, draw_on_new_page, free_port, keep_drawing_as, ready_to_draw,
                                   reset_canvas, wait_idle)
from tests.support.postgres import postgres_server, unavailable

COOKIE = "digitlab_replica"
REPLICA_HEADER = "x-digitlab-replica"


def answered(header: str) -> str:
    """The replica that answered: X-DigitLab-Replica is nginx's $upstream_addr, every replica tried
    in order ("127.0.0.1:8501, 127.0.0.1:8502" when the first refused), the last one answered."""
    return header.split(",")[-1].strip()


def _two_free_ports() -> int:
    """A port p with p+1 also free (serve.py puts replica i on FIRST+i)."""
    for _ in range(50):
        p = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p + 1))
                return p
            except OSError:
                continue
    raise RuntimeError("no two consecutive free ports")


def _get(url: str, cookie: str | None = None, timeout: float = 5.0):
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    return urllib.request.urlopen(request, timeout=timeout)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


class Serving:
    def __init__(self, url: str, run_dir: Path, ports: list[int], proc: subprocess.Popen, models: Path):
        self.url, self.run_dir, self.ports, self.proc, self.models = url, run_dir, ports, proc, models
        self.cookies = self._pin_cookies()

    def replica_of(self, cookie: str | None) -> str:
        with _get(self.url + "/_stcore/health", cookie) as r:
            return answered(r.headers[REPLICA_HEADER])

    def _pin_cookies(self) -> dict[int, str]:
        """A cookie value per replica port that nginx's hash sends to that replica."""
        found: dict[int, str] = {}
        for k in range(200):
            port = int(self.replica_of(f"key{k}").rsplit(":", 1)[1])
            found.setdefault(port, f"key{k}")
            if len(found) == len(self.ports):
                return found
        raise AssertionError(f"nginx sent 200 keys to {sorted(found)} only, not to every replica {self.ports}")

    def pid(self, index: int) -> int:
        return int((self.run_dir / f"replica-{index}.pid").read_text())

    def healthy(self, index: int) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[index]}/_stcore/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False


@pytest.fixture(scope="module")
def serving(models_folder, tmp_path_factory):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        unavailable("nginx is not installed (apt-get install -y nginx)")
    models = tmp_path_factory.mktemp("shared-models")  # the replicas' shared DIGITLAB_MODELS_DIR
    for f in models_folder.iterdir():
        shutil.copy(f, models / f.name)
    run_dir = tmp_path_factory.mktemp("serve")
    try:
        pg = postgres_server()
        url = pg.__enter__()
    except RuntimeError as exc:
        unavailable(f"cannot start PostgreSQL: {exc}")
    first, listen = _two_free_ports(), free_port()
    env = {**os.environ, "DIGITLAB_DATABASE_URL": url, "DIGITLAB_MODELS_DIR": str(models),
           "DIGITLAB_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    out = open(run_dir / "serve.out", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve.py"), "--replicas", "2", "--first-port",
                             str(first), "--listen", f"127.0.0.1:{listen}", "--run-dir", str(run_dir)],
                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{listen}"

    def up() -> bool:
        assert proc.poll() is None, f"serve.py exited: {(run_dir / 'serve.out').read_text()[-2000:]}"
        try:
            with _get(base + "/_stcore/health") as r:
                return r.status == 200
        except OSError:
            return False

    try:
        _wait(up, 240, "nginx and both replicas")
        yield Serving(base, run_dir, [first, first + 1], proc, models)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()
        pg.__exit__(None, None, None)


def open_on(browser, serving: Serving, index: int, path: str = ""):
    """A browser (its own context, like another student) whose cookie pins it to replica `index`."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": COOKIE, "value": serving.cookies[serving.ports[index]], "url": serving.url}])
    page = context.new_page()
    response = page.goto(serving.url + path)
    assert response.headers[REPLICA_HEADER] == f"127.0.0.1:{serving.ports[index]}"  # straight there, no failover
    return page


def predicts(page, strokes, digit: str) -> None:
    reset_canvas(page)
    expect(page.locator(METRIC).first).to_have_text("—", timeout=30_000)
    draw(page, strokes)
    expect(page.locator(METRIC).first).to_have_text(digit, timeout=60_000)


def test_a_drawing_kept_through_one_replica_is_in_my_drawings_through_the_other(browser, serving):
    a = open_on(browser, serving, 0)
    ready_to_draw(a)
    draw_on_new_page(a, ONE)
    expect(a.locator(METRIC).first).to_have_text("1", timeout=60_000)
    keep_drawing_as(a, 4, timeout=30_000)

    b = open_on(browser, serving, 1, "/my-drawings")
    expect(b.get_by_text("Your drawings", exact=True)).to_be_visible(timeout=60_000)
    expect(b.get_by_test_id("stCheckbox").get_by_text("4 (read 1)")).to_be_visible()
    expect(b.locator("[data-testid=stException]")).to_have_count(0)
    a.context.close()
    b.context.close()


def test_a_model_saved_through_one_replica_is_in_the_others_picker(browser, serving, tmp_path):
    b = open_on(browser, serving, 1)  # replica 1 lists the models first (and caches the listing)
    ready_to_draw(b)
    b.get_by_test_id("stSelectbox").first.click(timeout=30_000)
    expect(b.get_by_role("option", name="weak")).to_be_visible()
    expect(b.get_by_role("option", name="from-replica-0")).to_have_count(0)
    b.keyboard.press("Escape")

    a = open_on(browser, serving, 0, "/models")
    expect(a.get_by_text("Add a model")).to_be_visible(timeout=60_000)
    wait_idle(a)
    upload = tmp_path / "from-replica-0.safetensors"
    upload.write_bytes((serving.models / "weak.safetensors").read_bytes())
    a.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
    a.get_by_role("button", name="Check and add").click()
    expect(a.get_by_text("Added from-replica-0")).to_be_visible(timeout=30_000)
    assert (serving.models / "from-replica-0.safetensors").exists()

    b.goto(serving.url)  # the same replica, no restart: its picker lists the new model
    ready_to_draw(b)
    b.get_by_test_id("stSelectbox").first.click(timeout=30_000)
    expect(b.get_by_role("option", name="from-replica-0")).to_be_visible()
    a.context.close()
    b.context.close()


def test_both_keep_predicting_while_a_replica_is_killed_and_restarted(browser, serving):
    a, b = open_on(browser, serving, 0), open_on(browser, serving, 1)
    for page in (a, b):
        ready_to_draw(page)
        predicts(page, ONE, "1")
    b.evaluate("() => { window.__same_page = true }")  # gone if b's page were reloaded

    victim = serving.pid(0)
    # serve.py would restart the replica within seconds; hold it (SIGSTOP) so the outage lasts until
    # the checks below are done, then let it go (SIGCONT) and watch it restart the replica.
    os.kill(serving.proc.pid, signal.SIGSTOP)
    try:
        os.kill(victim, signal.SIGKILL)
        _wait(lambda: not serving.healthy(0), 30, "replica 0 to go down")
        outage(browser, serving, b)
    finally:
        os.kill(serving.proc.pid, signal.SIGCONT)
    # deploy/serve.py restarts the replica on its port; its students are back on it.
    _wait(lambda: serving.pid(0) != victim and serving.healthy(0), 180, "serve.py to restart replica 0")
    _wait(lambda: serving.replica_of(serving.cookies[serving.ports[0]]) == f"127.0.0.1:{serving.ports[0]}", 30,
          "nginx to send replica 0's students back to it")
    back = open_on(browser, serving, 0)
    ready_to_draw(back)
    predicts(back, ONE, "1")
    predicts(b, ZERO, "0")
    assert b.evaluate("() => window.__same_page === true")
    assert serving.proc.poll() is None
    for page in (a, b, back):
        page.context.close()


def outage(browser, serving: Serving, survivor) -> None:
    """While replica 0 is down: the survivor's session goes on as if nothing happened (the same
    page, still predicting), and a student pinned to the dead replica is served by the survivor."""
    predicts(survivor, ZERO, "0")
    predicts(survivor, ONE, "1")
    assert survivor.evaluate("() => window.__same_page === true")
    assert serving.replica_of(serving.cookies[serving.ports[0]]) == f"127.0.0.1:{serving.ports[1]}"
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": COOKIE, "value": serving.cookies[serving.ports[0]], "url": serving.url}])
    stranded = context.new_page()
    response = stranded.goto(serving.url)
    assert answered(response.headers[REPLICA_HEADER]) == f"127.0.0.1:{serving.ports[1]}"
    ready_to_draw(stranded)
    predicts(stranded, ZERO, "0")
    assert not serving.healthy(0), "replica 0 came back during the outage"
    context.close()
