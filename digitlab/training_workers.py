"""The server's side of its training processes (training_process.py): start one, keep it warm,
hand it a run, forward a stop, read the epochs and the trained model back.

A process costs seconds to start (torch, scikit-learn, a first epoch), so finished ones wait in
POOL for the next run instead of exiting; the server warms one at start-up (ui/startup.py). One
that dies takes only its run with it: the run fails with a message and the next run gets a new one.
"""
from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from digitlab.pipe_frames import FrameError, read_frame, write_frame
from digitlab.training_process import ENV_PREFIXES, decode_run

PACKAGE_PARENT = Path(__file__).resolve().parents[1]  # where `-m digitlab.training_process` is found
STOP_CHECK_SECONDS = 0.05  # how soon a stop reaches the process (it then ends within a batch)


class WorkerDied(RuntimeError):
    """The training process ended (or garbled its output) in the middle of a run."""


class RunFailed(Exception):
    """Training raised in the process: `kind` is the exception's type name, str() its message."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class TrainingWorker:
    """One training process; runs one run at a time (train() is called by one job thread)."""

    def __init__(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_PARENT), env.get("PYTHONPATH")]))
        self._proc = subprocess.Popen([sys.executable, "-m", "digitlab.training_process"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, env=env, start_new_session=True)
        self._write_lock = threading.Lock()
        self.share: float | None = None  # CPU share its warm-up got; set once ready

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        return self._proc.poll() is None

    def ready(self) -> float:
        """Wait until it is warm; the CPU share its warm-up epoch got."""
        if self.share is None:
            header, _ = self._next()
            if "ready" not in header:
                raise WorkerDied(f"the training process said {sorted(header)} before it was ready")
            self.share = float(header["ready"])
        return self.share

    def train(self, config, *, stop: threading.Event, on_epoch: Callable, probe=None, actor=None):
        """service.train(config) in the process: on_epoch(metrics, probe_probabilities) per epoch,
        as it arrives. Returns (service.Trained, the CPU share training got). Raises RunFailed for
        an exception inside training (synth.Interrupted for a stop before the first epoch), and
        WorkerDied if the process did not see the run through."""
        from digitlab.train import EpochMetrics  # here: the server imports this module before torch

        self.ready()
        env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}
        self._send({"train": config.to_dict(), "env": env, "actor": asdict(actor) if actor else None,
                    "probe": None if probe is None else [float(v) for v in probe]})
        finished = threading.Event()
        threading.Thread(target=self._forward_stop, args=(stop, finished), daemon=True).start()
        history = []
        try:
            while True:
                header, payload = self._next()
                if "epoch" in header:
                    epoch = header["epoch"]
                    history.append(EpochMetrics(**{**epoch, "batch_losses": tuple(epoch["batch_losses"])}))
                    on_epoch(history[-1], header.get("probe"))
                elif "done" in header:
                    return decode_run(header["done"], payload, config, history), float(header["done"]["share"])
                elif header.get("type") == "Interrupted":  # stopped before there was a model to keep
                    from digitlab.synth import Interrupted

                    raise Interrupted(header["failed"])
                elif "failed" in header:
                    raise RunFailed(header.get("type", "Exception"), header["failed"])
        finally:
            finished.set()

    def close(self) -> None:
        """End the process: a closed stdin ends it; a kill if it does not go within seconds."""
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def kill(self) -> None:
        self._proc.kill()
        self._proc.wait()

    def _send(self, header: dict) -> None:
        try:
            with self._write_lock:
                write_frame(self._proc.stdin, header)
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise WorkerDied(self._died_message()) from exc

    def _next(self) -> tuple[dict, bytes]:
        try:
            frame = read_frame(self._proc.stdout)
        except (FrameError, OSError) as exc:
            self.kill()
            raise WorkerDied(f"the training process sent something unreadable ({exc})") from exc
        if frame is None:
            raise WorkerDied(self._died_message())
        return frame

    def _died_message(self) -> str:
        try:
            code = self._proc.wait(2)
        except subprocess.TimeoutExpired:
            code = None
        return (f"the training process ended unexpectedly (exit code {code}); the server's log says why, "
                "and the next run starts a new one")

    def _forward_stop(self, stop: threading.Event, finished: threading.Event) -> None:
        while not finished.is_set():
            if stop.wait(STOP_CHECK_SECONDS):
                if not finished.is_set():
                    try:
                        self._send({"stop": True})
                    except WorkerDied:
                        pass  # the reader finds out and says so
                return


class WorkerPool:
    """Warm processes waiting for runs; a run takes one (a new one if none waits) and gives it back."""

    def __init__(self):
        self._lock = threading.Lock()
        self._idle: list[TrainingWorker] = []

    def take(self) -> TrainingWorker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
        return TrainingWorker()

    def give_back(self, worker: TrainingWorker, keep: int) -> None:
        """Keep it warm for the next run, unless `keep` already wait or it has died."""
        with self._lock:
            if worker.alive() and len(self._idle) < keep:
                self._idle.append(worker)
                return
        worker.close()

    def start_one(self) -> None:
        """Start a process now, without waiting for it (it warms up on its own meanwhile)."""
        worker = TrainingWorker()
        with self._lock:
            self._idle.append(worker)

    def warm(self, keep: int = 1) -> float:
        """Have a warm process waiting (started now if none is); the CPU share its warm-up got."""
        worker = self.take()
        try:
            return worker.ready()
        finally:
            self.give_back(worker, keep)

    def close_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()

    def train(self, config, *, keep: int, **options):
        """TrainingWorker.train in a process from the pool; a process that failed a run is not reused."""
        from digitlab.synth import Interrupted

        worker = self.take()
        try:
            result = worker.train(config, **options)
        except (RunFailed, Interrupted):  # the run ended cleanly in the process: it can take the next one
            self.give_back(worker, keep)
            raise
        except BaseException:  # mid-run, dead or garbled: never hand it another run
            worker.kill()
            raise
        self.give_back(worker, keep)
        return result


POOL = WorkerPool()  # one per server process, shared by every session's runs
atexit.register(POOL.close_all)
