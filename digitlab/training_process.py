"""A warm process that trains for the server: `python -m digitlab.training_process`, started by
training_workers.py (never by hand). It runs service.train, the one training service.

Why a process: in the Streamlit server, a run's training thread shares one GIL with every
session's script runs, the Train page's polls and the server's event loop, and a run took about
half as long again there as alone. Here it has an interpreter of its own (and, on a machine with
two cores, a core). A crash here fails one run, never the server.

It speaks in frames (pipe_frames.py) on stdin and stdout; what training prints goes to stderr.
  in:  {"train": TrainConfig dict, "env": {...}, "actor": {...} | null, "probe": [64] | null}
       {"stop": true}: end the run in progress before its next batch, keeping the model
  out: {"ready": cpu share} once warm (imports, the dataset, a thrown-away epoch)
       {"epoch": EpochMetrics dict, "probe": [10] | null} after every epoch
       {"done": {"share": cpu share, ...the run's scalars}} + its arrays (encode_run)
       | {"failed": message, "type": name}
A closed stdin (the server has gone) ends the run in progress and the process.
"""
from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
from dataclasses import asdict
from typing import Any, Callable

import numpy as np

from digitlab.pipe_frames import read_frame, write_frame

# Where a run reads and writes (models, drawings, the run history): the server's current settings,
# sent with every run, so a warm process never works in a folder the server has left.
ENV_PREFIXES = ("DIGITLAB_", "XDG_DATA_HOME")
EVALUATION_ARRAYS = ("precision", "recall", "f1", "support", "confusion", "wrong_index", "wrong_true",
                     "wrong_pred", "wrong_confidence")
SPLITS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


def main() -> int:
    out = os.fdopen(os.dup(1), "wb")  # the frames' own descriptor: a print (tqdm, a warning) goes to stderr
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the server's to handle; it closes our stdin
    import torch

    from digitlab import service

    torch.set_num_threads(1)  # as the CLI and the sweep workers: a net this small is fastest on one
    write_frame(out, {"ready": cpu_share_of(service.warm_up)[1]})
    runs: queue.Queue = queue.Queue()
    threading.Thread(target=_read_requests, args=(sys.stdin.buffer, runs), daemon=True).start()
    while (run := runs.get()) is not None:
        _train(out, *run)
    out.close()
    os._exit(0)  # skip tearing torch down object by object


def cpu_share_of(work: Callable[[], Any]) -> tuple[Any, float]:
    """Run work() in this thread: what it returned, and the CPU time it got per second of wall
    time (at most 1)."""
    cpu, wall = time.thread_time(), time.perf_counter()
    result = work()
    return result, min(1.0, (time.thread_time() - cpu) / max(1e-9, time.perf_counter() - wall))


def _read_requests(stream, runs: queue.Queue) -> None:
    """Queue each run with its own stop event; a stop request sets the newest one's."""
    stop = threading.Event()
    while True:
        frame = read_frame(stream)
        if frame is None:  # the server has gone: end what runs, then the process
            stop.set()
            runs.put(None)
            return
        header, _ = frame
        if "train" in header:
            stop = threading.Event()
            runs.put((header, stop))
        elif header.get("stop"):
            stop.set()


def _train(out, request: dict, stop: threading.Event) -> None:
    from digitlab import service
    from digitlab.model import predict_proba
    from digitlab.ownership import Actor
    from digitlab.synth import Interrupted
    from digitlab.train import TrainConfig

    _set_env(request.get("env") or {})
    probe = request.get("probe")
    probe = None if probe is None else np.asarray(probe, dtype=np.float32).reshape(1, -1)
    seen: list[list[float]] = []

    def look(model) -> None:  # between two epochs, the model standing still
        training = model.training
        seen.append(predict_proba(model, probe)[0].tolist())  # eval mode, no autograd
        model.train(training)

    def on_epoch(metrics) -> None:
        write_frame(out, {"epoch": asdict(metrics), "probe": seen.pop() if seen else None})

    try:
        config = TrainConfig.from_dict(request["train"])
        actor = Actor(**request["actor"]) if request.get("actor") else None
        trained, share = cpu_share_of(lambda: service.train(
            config, stop=stop, on_epoch=on_epoch, look=look if probe is not None else None, actor=actor))
    except Interrupted as exc:
        write_frame(out, {"failed": str(exc), "type": "Interrupted"})
        return
    except Exception as exc:  # the server turns it into the run's message
        write_frame(out, {"failed": str(exc), "type": type(exc).__name__})
        return
    scalars, arrays = encode_run(trained)
    write_frame(out, {"done": {"share": share, **scalars}}, arrays)


def _set_env(env: dict) -> None:
    for key in [k for k in os.environ if k.startswith(ENV_PREFIXES)]:
        if key not in env:
            del os.environ[key]
    os.environ.update({k: str(v) for k, v in env.items() if k.startswith(ENV_PREFIXES)})


def encode_run(trained) -> tuple[dict, bytes]:
    """A finished run: its scalars for a frame's JSON header (the model's config, the weights'
    checksum as a saved model has it, the evaluation's accuracy and report), and as safetensors the
    weights, the data it was trained and tested on and the evaluation's arrays."""
    from safetensors.numpy import save

    from digitlab.store import tensors_sha256

    weights = {k: v.detach().cpu().clone() for k, v in trained.model.state_dict().items()}
    ev = trained.evaluation
    arrays = {f"model.{k}": v.numpy() for k, v in weights.items()}
    arrays |= {f"splits.{name}": np.ascontiguousarray(getattr(trained.splits, name)) for name in SPLITS}
    arrays |= {f"evaluation.{name}": np.ascontiguousarray(getattr(ev, name)) for name in EVALUATION_ARRAYS}
    scalars = {"model": trained.model.config.to_dict(), "weights_sha256": tensors_sha256(weights),
               "accuracy": ev.accuracy, "report": ev.report}
    return scalars, save(arrays)


def decode_run(scalars: dict, data: bytes, config, history: list):
    """The server's side of encode_run: the service.Trained the process had. ValueError if
    anything is off."""
    import torch
    from safetensors import SafetensorError
    from safetensors.numpy import load

    from digitlab.data import Splits
    from digitlab.evaluate import Evaluation
    from digitlab.model import MLP, ModelConfig
    from digitlab.service import Trained
    from digitlab.store import tensors_sha256

    try:
        arrays = load(data)
        weights = {k.removeprefix("model."): torch.from_numpy(v) for k, v in arrays.items() if k.startswith("model.")}
        if tensors_sha256(weights) != scalars["weights_sha256"]:
            raise ValueError("its weights do not match their checksum")
        model = MLP(ModelConfig(**{**scalars["model"], "hidden": tuple(scalars["model"]["hidden"])}))
        model.load_state_dict(weights)  # strict: every name and shape the config implies
        model.eval()
        evaluation = Evaluation(accuracy=float(scalars["accuracy"]), report=str(scalars["report"]),
                                **{name: arrays[f"evaluation.{name}"] for name in EVALUATION_ARRAYS})
        splits = Splits(**{name: arrays[f"splits.{name}"] for name in SPLITS})
    except (SafetensorError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"the training process sent back a run that cannot be read ({exc})") from exc
    return Trained(config, model, splits, history, evaluation)


if __name__ == "__main__":
    sys.exit(main())
