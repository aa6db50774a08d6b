"""How often the Train page polls a training job, and how far each poll advances its curves.

Kept apart from the page (digitlab/ui/train.py) so the pacing is plain arithmetic that tests can
check without a Streamlit server.
"""
from __future__ import annotations

import math

# Every poll re-sends the curves (a few KB: the per-batch line is thinned) and costs the browser a
# redraw of the page (tens of ms of CPU even for a small change), and the browser's machine is the
# training's too: five polls a second slowed a run noticeably. So a running job is polled
# LIVE_POLL_SECONDS apart, and BUSY_POLL_SECONDS apart on a server whose last training had to share
# its core (jobs.cpu_contended); a finished run's backlog is replayed POLL_SECONDS apart.
POLL_SECONDS, LIVE_POLL_SECONDS, BUSY_POLL_SECONDS = 0.2, 0.5, 2.0
# A backlog of epochs is replayed, not skipped: the curves advance by at most the whole run per
# REPLAY_SECONDS, and a finished run not seen growing (fewer than SEEN_GROWING states so far and
# less than half of it shown) by at most 1/REPLAY_POLLS of it per poll: a short run is seen in 10
# steps at least, however slow. A run mostly seen growing (a long one polled every 2 s on a busy
# machine) is not held back: its results come at once.
REPLAY_SECONDS, REPLAY_POLLS, SEEN_GROWING = 2.0, 10, 5


def epochs_to_show(shown: int, states: int, done: int, epochs: int, finished: bool, since_last: float) -> int:
    """How many epochs a poll's curves show: `shown` were drawn so far, in `states` distinct
    states, `since_last` seconds ago; `done` of the run's `epochs` have been trained. The replay
    rule above, as arithmetic."""
    pace = since_last / REPLAY_SECONDS
    replaying = finished and states < SEEN_GROWING and 2 * shown < done
    step = max(1, math.floor(epochs * (min(pace, 1 / REPLAY_POLLS) if replaying else pace)))
    return min(done, shown + step)
