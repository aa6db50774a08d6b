"""Run one sweep in a child process for the app: `python -m digitlab.sweep.child` reads a
SweepConfig as JSON on stdin, prints one Progress JSON line per finished trial, and stops cleanly on
SIGINT (running trials end within a batch, recorded as pruned).

Why a child process: the Streamlit server's __main__ is app.py, and multiprocessing would re-run it
in every sweep worker. Here __main__ is this module, so workers start clean (and a crash in a
sweep can never take the server down).
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from dataclasses import asdict
from typing import Iterator

from digitlab.jobs import Job
from digitlab.sweep.config import Progress, SweepConfig, SweepError


def main() -> int:
    import torch

    from digitlab.sweep.run import run_sweep

    torch.set_num_threads(1)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        config = SweepConfig.from_dict(json.load(sys.stdin))
        for progress in run_sweep(config, stop):
            print(json.dumps(asdict(progress)), flush=True)
    except ValueError as exc:  # SweepError and config problems: a message, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def run_in_child(config, stop: threading.Event) -> Iterator[Progress]:
    """Start the runner for `config`, yield its Progress lines; setting `stop` sends it SIGINT."""
    proc = subprocess.Popen([sys.executable, "-m", "digitlab.sweep.child"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(json.dumps(config.to_dict()))
    proc.stdin.close()
    ended = threading.Event()

    def forward_stop() -> None:
        while not ended.is_set():
            if stop.wait(0.2):
                # Again every second until it ends: a signal that lands while the child is still
                # importing (before its handler is set) can be lost, and then the sweep ran on.
                while proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
                    if ended.wait(1.0):
                        break
                return

    threading.Thread(target=forward_stop, daemon=True).start()
    try:
        for line in proc.stdout:
            yield Progress(**json.loads(line))
    finally:
        if proc.poll() is None and not stop.is_set():  # the reader went away: stop the sweep too
            proc.send_signal(signal.SIGINT)
        errors = proc.stderr.read()
        code = proc.wait()
        ended.set()
    if code != 0 and not stop.is_set():  # stopped before its signal handler was set: not a failure
        lines = [line for line in errors.strip().splitlines() if line.strip()]
        raise SweepError(lines[-1].removeprefix("error: ") if lines else f"the sweep process exited with code {code}")


def sweep_job(config, **job_options) -> Job:
    """The sweep as a background Job (it takes a slot, stops on stop() or when its owner has gone);
    job.latest is the newest Progress, job.result the last one."""
    def work(job: Job) -> Progress | None:
        last = None
        for last in run_in_child(config, job.stop_event):
            job.report(last)
        return last

    return Job(work, kind="sweep", label=f"sweep {config.study}", **job_options)


if __name__ == "__main__":
    sys.exit(main())
