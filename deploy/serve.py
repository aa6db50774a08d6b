"""Serve DigitLab from N Streamlit replicas behind nginx on one machine.

    DIGITLAB_DATABASE_URL=postgresql://digitlab:PASSWORD@dbhost/digitlab \\
        python deploy/serve.py --replicas 3 --listen 0.0.0.0:8080

One Streamlit process runs Python on one core at a time, so a class outgrows one (README, "Serving a
class"). This starts N replicas of `streamlit run app.py` on loopback ports, waits until each answers
/_stcore/health, writes nginx's configuration from deploy/nginx.conf.template into a run folder
(sticky sessions, WebSocket upgrade) and runs nginx in front of them. Then it watches: a replica that
exits, or stops answering its health check three times running, is restarted on its port. Ctrl-C
(or SIGTERM) stops everything.

What the replicas share, they share through the environment:
- DIGITLAB_DATABASE_URL: the run history, My drawings and sweeps (one PostgreSQL server). Unset, the
  replicas share the SQLite files in the data folder, which works on one machine.
- DIGITLAB_MODELS_DIR: the models folder (default models/): a model saved through one replica is in
  every replica's pickers at their next rerun (the listing is keyed on the folder's contents).
- The XSRF cookie secret: one random secret for all replicas, so a browser whose replica restarted
  can still upload.
Training slots (DIGITLAB_MAX_JOBS, default 1) are per replica: N replicas train N runs at once.

Each replica's log, nginx's logs and pid files go to the run folder (--run-dir, default a new
temporary folder), never into the source tree.
"""
from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
HEALTH_EVERY_S = 2.0
HEALTH_FAILURES = 3  # consecutive failed health checks before a running replica is restarted
START_TIMEOUT_S = 120.0


def log(message: str) -> None:
    print(f"[serve] {message}", flush=True)


def healthy(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def write_pid_file(path: Path, pid: int) -> None:
    """Write a pid file whole or not at all: a watcher reading it while a restarted replica's pid goes
    in (Path.write_text truncates first) would otherwise read an empty file."""
    part = path.with_name(path.name + ".part")
    part.write_text(f"{pid}\n")
    os.replace(part, path)


class Replica:
    def __init__(self, index: int, port: int, run_dir: Path, env: dict):
        self.index, self.port, self.run_dir, self.env = index, port, run_dir, env
        self.proc: subprocess.Popen | None = None
        self.failures = 0
        self.restarts = 0

    def start(self) -> None:
        out = open(self.run_dir / f"replica-{self.index}.log", "a")
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        write_pid_file(self.run_dir / f"replica-{self.index}.pid", self.proc.pid)
        self.failures = 0
        log(f"replica {self.index}: pid {self.proc.pid} on 127.0.0.1:{self.port}")

    def wait_healthy(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not healthy(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica {self.index} exited with code {self.proc.returncode}; "
                                   f"see {self.run_dir / f'replica-{self.index}.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"replica {self.index} did not answer /_stcore/health within {timeout:.0f} s")
            time.sleep(0.25)
        log(f"replica {self.index}: healthy")

    def check(self) -> None:
        """Restart the replica if it has exited or failed its health check HEALTH_FAILURES times running."""
        if self.proc.poll() is not None:
            log(f"replica {self.index}: exited with code {self.proc.returncode}; restarting")
        elif healthy(self.port):
            self.failures = 0
            return
        else:
            self.failures += 1
            if self.failures < HEALTH_FAILURES:
                return
            log(f"replica {self.index}: no answer to {HEALTH_FAILURES} health checks; restarting")
            self.stop()
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def nginx_config(run_dir: Path, listen: str, ports: list[int]) -> str:
    servers = "\n        ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    text = TEMPLATE.read_text()
    for name, value in (("RUN", str(run_dir)), ("USER", user), ("LISTEN", listen), ("SERVERS", servers)):
        text = text.replace(f"@@{name}@@", value)
    return text


def prepare_run_dir(run_dir: Path) -> None:
    """nginx's temp folders; when nginx starts as root its workers run as nobody and must reach them."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chmod(run_dir, 0o711)
        os.chown(tmp, nobody.pw_uid, nobody.pw_gid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2, help="Streamlit processes (about one per core; default 2)")
    parser.add_argument("--listen", default="127.0.0.1:8080",
                        help="nginx's address (default 127.0.0.1:8080; 0.0.0.0:8080 serves your network)")
    parser.add_argument("--first-port", type=int, default=8501, help="replica i listens on 127.0.0.1:FIRST+i")
    parser.add_argument("--run-dir", type=Path, default=None, help="logs, pid files, nginx.conf (default: a temp folder)")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx", help="the nginx program")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    if not Path(args.nginx).exists():
        print(f"error: nginx not found at {args.nginx} (apt-get install -y nginx)", file=sys.stderr)
        return 1
    run_dir = (args.run_dir or Path(tempfile.mkdtemp(prefix="digitlab-serve-"))).resolve()
    prepare_run_dir(run_dir)
    log(f"run folder {run_dir}")
    if not os.environ.get("DIGITLAB_DATABASE_URL"):
        log("DIGITLAB_DATABASE_URL is not set: the replicas share the SQLite files in the data folder "
            "(fine on one machine; use PostgreSQL to serve from several)")
    env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
           or secrets.token_hex(32)}
    replicas = [Replica(i, args.first_port + i, run_dir, env) for i in range(args.replicas)]
    nginx = None
    stopping = []

    def stop(*_):
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for r in replicas:
            r.start()
        for r in replicas:
            r.wait_healthy()
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_config(run_dir, args.listen, [r.port for r in replicas]))
        test = subprocess.run([args.nginx, "-t", "-q", "-p", str(run_dir), "-e", str(run_dir / "error.log"),
                               "-c", str(conf)], capture_output=True, text=True)
        if test.returncode:
            raise RuntimeError(f"nginx refused {conf}: {test.stderr.strip()}")
        nginx = subprocess.Popen([args.nginx, "-p", str(run_dir), "-e", str(run_dir / "error.log"), "-c", str(conf),
                                  "-g", "daemon off;"])
        write_pid_file(run_dir / "nginx.pid.serve", nginx.pid)
        log(f"serving http://{args.listen} -> {len(replicas)} replica(s)")
        while not stopping:
            time.sleep(HEALTH_EVERY_S)
            if stopping:  # a Ctrl-C in a terminal reaches nginx and the replicas too: not a failure
                break
            if nginx.poll() is not None:
                raise RuntimeError(f"nginx exited with code {nginx.returncode}; see {run_dir / 'error.log'}")
            for r in replicas:
                if not stopping:
                    r.check()
        log("stopping")
        return 0
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        if nginx is not None and nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)  # graceful: finish open requests
            try:
                nginx.wait(10)
            except subprocess.TimeoutExpired:
                nginx.kill()
        for r in replicas:
            r.stop()


if __name__ == "__main__":
    sys.exit(main())
