"""The server process's one start-up step, run by app.py on a real Streamlit server only.

Not a cached resource and not at import: AppTest runs app.py inside the pytest process, which must
keep its own interpreter settings, so everything here is skipped when no Streamlit runtime exists.
"""
from __future__ import annotations

import gc
import sys
import threading

from streamlit import runtime

_lock = threading.Lock()
_started = False


def start_server_process() -> bool:
    """Once per server process (True the first time it does the work): one torch thread, a short
    GIL hand-over, a training process started and warmed in the background, and the objects made
    so far frozen out of the garbage collector's walk. (plotly.js is served by
    live_chart.preload_plotly, which app.py calls first.)"""
    global _started
    if not runtime.exists():
        return False
    with _lock:
        if _started:
            return False
        _started = True
    from digitlab import training_workers

    training_workers.POOL.start_one()  # first: it imports torch and the rest while this process does too
    import torch

    from digitlab.jobs import SLOTS, Job, note_cpu_share

    torch.set_num_threads(1)  # a net this small is fastest on one; the other core serves other sessions
    # Every session's reruns and the server's event loop share one GIL; a 1 ms hand-over (Python's
    # default is 5 ms) keeps a finished prediction from waiting behind another session's work.
    sys.setswitchinterval(0.001)
    # Runs train in a training process (training_workers.py); the one started above is waited for
    # in a job, so it takes a training slot: a person who clicks Train this early waits for
    # it (seconds) instead of sharing the CPU with it; its budget lets the queue promise a wait even
    # behind it. The CPU share its warm-up got tells the Train page how often to poll the first run.
    Job(lambda job: note_cpu_share(training_workers.POOL.warm(keep=SLOTS.limit)), kind="warm-up",
        label="starting the training process", seconds=60).start()
    gc.freeze()  # module objects live for the whole process: no need to walk them at every collection
    return True
