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
    GIL hand-over, the training path warmed in the background, and the objects made so far frozen
    out of the garbage collector's walk. (plotly.js is served by live_chart.preload_plotly, which
    app.py calls first.)"""
    global _started
    if not runtime.exists():
        return False
    with _lock:
        if _started:
            return False
        _started = True
    import torch

    from digitlab import service
    from digitlab.jobs import Job, cpu_share_of, note_cpu_share

    torch.set_num_threads(1)  # a net this small is fastest on one; the other core serves other sessions
    # Every session's reruns, the training jobs and the server's event loop share one GIL; a 1 ms
    # hand-over (Python's default is 5 ms) keeps a finished prediction from waiting behind them.
    sys.setswitchinterval(0.001)
    # In a job, so it takes a training slot: a person who clicks Train this early waits for it
    # (a second or so) instead of sharing the CPU and the global torch seed with it.
    # Its budget lets the queue promise a wait even behind it (one epoch: seconds even on a slow machine).
    # The CPU share it gets tells the Train page how often the first run can afford to be polled.
    Job(lambda job: note_cpu_share(cpu_share_of(service.warm_up)[1]), kind="warm-up",
        label="warming up the training path", seconds=60).start()
    gc.freeze()  # module objects live for the whole process: no need to walk them at every collection
    return True
