"""The Train page: choose hyperparameters, press Train, watch the curves, then judge the result.

Training runs in a training process, watched by a background job (digitlab.jobs.TrainingJob) that
never calls st.*; this page only reads the job's snapshot. While the job runs, one fragment polls it
every LIVE_POLL_SECONDS (BUSY_POLL_SECONDS on a busy machine) and, when the job ends and its curves
are all shown, reruns the whole page once so polling switches off and the evaluation appears. The
curves show every epoch arrive: when epochs come faster than the page polls (a short run can finish
between two polls), they are replayed (digitlab.poll_pacing), so a class sees the curves grow
instead of a finished chart appearing. The evaluation, saving and comparing live in
train_results.py.
"""
from __future__ import annotations

import math
import time
from dataclasses import fields

import streamlit as st

from digitlab import plots, share
from digitlab.jobs import DONE, FAILED, RUNNING, STOPPED, WAITING, Snapshot, TrainingJob, cpu_contended
from digitlab.poll_pacing import BUSY_POLL_SECONDS, LIVE_POLL_SECONDS, POLL_SECONDS, epochs_to_show
from digitlab.train import PRESETS, ConfigError, TrainConfig
from digitlab.ui import fair_use, identity, presentation, share_link, train_results, watch_digit
from digitlab.ui import mistakes as mistakes_ui
from digitlab.ui.keys import TRAIN_FORM_KEY, TRAIN_JOB_KEY, TRAIN_RUNS_KEY
from digitlab.ui.live_chart import live_chart
from digitlab.ui.resources import catalogue, session_alive

FIRST_EPOCH_WAIT = 0.3  # seconds (the seed preset's first epoch: under 0.1 s even on the slow setting)
SHOWN_KEY = "_train_epochs_shown"  # (job id, epochs drawn so far, when, curve states drawn)
LR_CHOICES = list(share.LR_CHOICES)  # a log scale, 1e-5 .. 10 (a link is checked against the same steps)
PRESET_KEY = "train_preset"
PRESET_TEXT = {
    "seed": "The project's starting point: a 128-64 ReLU network, Adam, 10 epochs. Trains in about a second.",
    # Written from the preset itself, so it cannot drift from how models/default is really made.
    "default": "How the shipped model was made: {hidden}, dropout {dropout}, {optimizer} with {schedule} decay, "
               "augmentation {augment}, {epochs} epochs, no validation split, on the dataset (x{dataset_repeat}) "
               "plus {font_renders} renderings of 81 handwriting fonts' digits and {stroke_renders} of each "
               "pen-stroke hand, then calibrated. About 15-20 minutes on two cores: the handwriting is "
               "rendered first.".format(
                   **{**PRESETS["default"].to_dict(), "hidden": "-".join(map(str, PRESETS["default"].hidden))}),
    "diverge": "A learning rate of 1.0, far too large: watch the loss jump around and the accuracy stay "
               "near chance (10%).",
}
FIELDS = {f.name: f for f in fields(TrainConfig)}


def page() -> None:
    title, switch = st.columns([4, 1], vertical_alignment="bottom")
    title.markdown("### Train a network")
    with switch:
        presentation.switch()
    if not presentation.active():
        st.caption("Pick a starting point, change a knob, press **Train** and watch the network learn. "
                   "Training runs in the background: the Draw page stays usable meanwhile.")
    job: TrainingJob | None = st.session_state.get(TRAIN_JOB_KEY)
    running = job is not None and not job.snapshot().finished
    config = controls()
    watch_digit.chooser()  # the drawing a run will watch being learned
    # A callback, so the rerun it causes already sees the job running (and disables the button).
    st.button("Train", type="primary", disabled=config is None or running, key="train_start", on_click=start_job,
              help="Fix the settings marked in red first." if config is None else None)
    if not presentation.active():
        fair_use.caption()
    job = st.session_state.get(TRAIN_JOB_KEY)
    settled = job is not None and job.snapshot().finished and _all_shown(job)
    every = None  # no polling: no run yet, or its curves are all shown
    if job is not None and not settled:
        # A run that ends within a poll is waited for here (a short run: often in the click's own
        # rerun), and a finished run no longer competes for the CPU: its curves replay at the quick pace
        live_every = BUSY_POLL_SECONDS if cpu_contended() else LIVE_POLL_SECONDS
        every = POLL_SECONDS if _settle(job, live_every).finished else live_every
    # The same fragment in every state (its id is its function and place, not run_every), so the
    # curves are one chart for the page's life: a run starting or ending redraws it in place
    # instead of the browser building a new one (half a second on a slow machine).
    st.fragment(job_area, run_every=every)(job, every, config.epochs if config else None)
    if settled:
        train_results.results(job)
    train_results.compare(st.session_state.get(TRAIN_RUNS_KEY, []))


# --- controls -----------------------------------------------------------------------------------

def _key(name: str) -> str:
    return f"train_{name}"


def _control_values(config: TrainConfig) -> dict:
    """A config as the controls show it (hidden sizes as text)."""
    return share.train_controls(config)


def apply_preset() -> None:
    for name, value in _control_values(PRESETS[st.session_state[PRESET_KEY]]).items():
        st.session_state[_key(name)] = value


def _restore_state() -> None:
    """Widget values vanish when the user visits another page; keep our own copy and put it back.
    A link just opened (?lr=0.01&...) replaces both with its setup."""
    linked = share_link.restore("train", lambda query: share.train_from_query(query, {r["name"] for r in catalogue()[0]}))
    if linked is not None:
        st.session_state[PRESET_KEY] = linked.values[share.PRESET]
        st.session_state[TRAIN_FORM_KEY] = {name: linked.values[name] for name in FIELDS}
        for name in FIELDS:
            st.session_state[_key(name)] = linked.values[name]
    saved = st.session_state.setdefault(TRAIN_FORM_KEY, _control_values(PRESETS["seed"]))
    for name, value in saved.items():
        st.session_state.setdefault(_key(name), value)
    st.session_state.setdefault(PRESET_KEY, "seed")


def controls() -> TrainConfig | None:
    """Every TrainConfig field as a control, each with its problem (if any) right under it.
    Returns the config, or None while any value is unusable."""
    _restore_state()
    preset_col, text_col = st.columns([1, 2], vertical_alignment="bottom", gap="large")
    preset_col.selectbox("Start from a preset", list(PRESETS), key=PRESET_KEY, on_change=apply_preset,
                         help="Sets every control below; then change what you like.")
    share_link.show_notes("train")
    values, problems = _read_values()
    presenting = presentation.active()
    if presenting:  # the setup in one line, big; the controls folded away (opened when one needs fixing)
        text_col.markdown(f"#### {summary(values)}")
    else:
        text_col.caption(PRESET_TEXT.get(st.session_state[PRESET_KEY], ""))
    with st.expander("All settings", expanded=bool(problems)) if presenting else st.container():
        shape, optim, data = st.columns(3, gap="large")
        with shape:
            st.markdown("**Network**")
            _text("hidden", "Hidden layers", "Layer sizes, comma-separated: 128,64 is two layers.", problems)
            _select("activation", "Activation", problems)
            _slider("dropout", "Dropout", 0.0, 0.9, 0.05, problems)
            _init_from(problems)
            _number("drawings_weight", "My drawings, each repeated ×", problems, step=1)
        with optim:
            st.markdown("**Optimisation**")
            _select("optimizer", "Optimizer", problems)
            st.select_slider("Learning rate (log scale)", LR_CHOICES, key=_key("lr"), format_func=lambda v: f"{v:g}",
                             help=FIELDS["lr"].metadata["help"])
            _problem("lr", problems)
            _select("schedule", "Learning-rate schedule", problems)
            _number("weight_decay", "Weight decay", problems, step=1e-4, format="%g")
        with data:
            st.markdown("**Data and schedule**")
            _number("epochs", "Epochs", problems, step=1)
            _number("batch_size", "Batch size", problems, step=8)
            _slider("augment", "Augmentation strength", 0.0, 1.0, 0.1, problems)
            _slider("val_fraction", "Validation share", 0.0, 0.5, 0.05, problems)
            _number("seed", "Random seed", problems, step=1)
        # While presenting the block is folded already, and Streamlit does not nest expanders.
        with st.container(border=True) if presenting else st.expander("Advanced: training data"):
            st.caption("Synthetic handwriting (fonts and pen-stroke hands, digitlab/synth.py) mixed into the training "
                       "split, and the confidence fitted afterwards: how the shipped model is made.")
            repeat, fonts, strokes, calibrate = st.columns(4, gap="large")
            with repeat:
                _number("dataset_repeat", "Dataset digits, each repeated ×", problems, step=1)
            with fonts:
                _number("font_renders", "Font renderings per training font", problems, step=1)
            with strokes:
                _number("stroke_renders", "Pen drawings per synthetic hand", problems, step=1)
            with calibrate:
                st.checkbox("Calibrate the confidence", key=_key("calibrate"), help=FIELDS["calibrate"].metadata["help"])
    st.session_state[TRAIN_FORM_KEY] = {name: st.session_state[_key(name)] for name in FIELDS}
    query = share.train_to_query({**st.session_state[TRAIN_FORM_KEY], share.PRESET: st.session_state[PRESET_KEY]})
    share_link.mirror("train", query)
    share_link.copy_link("train", query, "exactly these settings: press Train and the same seed trains the same run")
    if problems:
        return None
    return TrainConfig(**values)


def summary(values: dict) -> str:
    """A setup in words, for a projector: '128-64 relu · adam, learning rate 0.001 · 10 epochs · seed 0'."""
    hidden = "-".join(map(str, values["hidden"])) if isinstance(values["hidden"], tuple) else values["hidden"]
    return (f"{hidden} {values['activation']} · {values['optimizer']}, learning rate {values['lr']:g} · "
            f"{values['epochs']} epochs · batch {values['batch_size']} · seed {values['seed']}")


def _read_values() -> tuple[dict, dict[str, str]]:
    """The controls' current values as TrainConfig arguments, and {field: problem} for bad ones.
    TrainConfig itself is the one judge of what is valid (its problems() say which field)."""
    values = {name: st.session_state[_key(name)] for name in FIELDS}
    problems = {}
    try:
        values["hidden"] = parse_hidden(values["hidden"])
    except ValueError as exc:
        problems["hidden"] = str(exc)
        values["hidden"] = PRESETS["seed"].hidden
    try:
        TrainConfig(**values)
    except ConfigError as exc:
        for name, problem in exc.problems.items():
            problems.setdefault(name, problem)
    too_big = None if "hidden" in problems else fair_use.current().size_problem(values["hidden"])
    if too_big:
        problems["hidden"] = too_big
    return values, problems


parse_hidden = share.parse_hidden  # one reading of "128,64" for the control and for links


def _init_from(problems: dict) -> None:
    """Fine-tuning starts from a saved model's weights, so its layers come with it."""
    rows = {row["name"]: row for row in catalogue()[0]}
    key = _key("init_from")
    if st.session_state.get(key) not in rows:
        st.session_state[key] = ""

    def take_layers():
        row = rows.get(st.session_state[key])
        if row:
            st.session_state[_key("hidden")] = ",".join(map(str, row["hidden"]))
            st.session_state[_key("activation")] = row["activation"]

    st.selectbox("Start from the weights of", ["", *rows], key=key, on_change=take_layers,
                 format_func=lambda name: name or "(fresh random weights)", help=FIELDS["init_from"].metadata["help"])
    _problem("init_from", problems)


def _problem(name: str, problems: dict) -> None:
    if name in problems:
        st.error(problems[name], icon="⚠️")


def _text(name, label, help_text, problems):
    st.text_input(label, key=_key(name), help=help_text)
    _problem(name, problems)


def _select(name, label, problems):
    st.selectbox(label, FIELDS[name].metadata["choices"], key=_key(name), help=FIELDS[name].metadata["help"])
    _problem(name, problems)


def _slider(name, label, low, high, step, problems):
    st.slider(label, low, high, step=step, key=_key(name), help=FIELDS[name].metadata["help"])
    _problem(name, problems)


def _number(name, label, problems, step, format=None):
    st.number_input(label, step=step, format=format, key=_key(name), help=FIELDS[name].metadata["help"])
    _problem(name, problems)


# --- the job --------------------------------------------------------------------------------------

def start_job() -> None:
    """The Train button's callback. It reads the controls' values now, not as they were when the
    button was drawn: a value typed just before the click may not have been drawn yet."""
    current = st.session_state.get(TRAIN_JOB_KEY)
    values, problems = _read_values()
    if problems or (current is not None and not current.snapshot().finished):
        return  # the page shows the problems; one job per session at a time
    config = TrainConfig(**values)
    runs = st.session_state.setdefault(TRAIN_RUNS_KEY, [])
    job = TrainingJob(config, owner_alive=session_alive(), label=f"run {len(runs) + 1}",
                      probe=watch_digit.probe(), seconds=fair_use.current().seconds, actor=identity.actor()).start()
    st.session_state[TRAIN_JOB_KEY] = job
    runs.append(job)
    mistakes_ui.forget_click(train_results.CONFUSION_KEY)  # a cell picked in the last run's matrix


def _all_shown(job: TrainingJob) -> bool:
    job_id, shown, _, _ = st.session_state.get(SHOWN_KEY, (None, 0, 0.0, 0))
    return job_id == job.id and shown >= len(job.snapshot().history)


def _settle(job: TrainingJob, every: float) -> Snapshot:
    """The job as it stands, once it has ended if it ends before the next poll (`every` seconds):
    "Finished" and the evaluation then come as soon as it does, not up to a poll later (a second
    on a busy machine). A run not yet through its first epoch is given FIRST_EPOCH_WAIT to show its
    pace: enough for a short run's, little for the rest of the page to wait."""
    snap = job.snapshot()
    if snap.state == RUNNING and not snap.history:
        job.wait_for_first_epoch(min(every, FIRST_EPOCH_WAIT))
        snap = job.snapshot()
    if not snap.finished and snap.eta is not None and snap.eta < every:
        job.join(min(every, 2 * snap.eta + 0.1))
        snap = job.snapshot()
    return snap


def job_area(job: TrainingJob | None, every: float | None, epochs: int | None) -> None:
    """Status, curves and the watched drawing: the page's one fragment, polling (every `every`
    seconds) while a run's curves are still coming."""
    if job is None:
        st.info("Training curves, a progress bar and then a full test-set evaluation will appear here.")
        # The empty axes now, so the chart (and plotly.js) is ready when the first epochs arrive.
        live_chart(plots.training_curves([("", [])], epochs=epochs, per_batch=True), key="train_curves")
        watch_digit.show(None, epochs=epochs)
    elif every is None:
        show_progress(job, job.snapshot())
    else:
        live_progress(job, every)


def live_progress(job: TrainingJob, every: float) -> None:
    """A run's status and curves as they come, polled every `every` seconds."""
    snap = _settle(job, every)
    now = time.monotonic()
    job_id, shown, then, states = st.session_state.get(SHOWN_KEY, (None, 0, now, 0))
    shown, then, states = (shown, then, states) if job_id == job.id else (0, now - every, 0)
    visible = epochs_to_show(shown, states, len(snap.history), snap.epochs, snap.finished, now - then)
    st.session_state[SHOWN_KEY] = (job.id, visible, now, states + (visible > shown))
    if snap.finished and visible >= len(snap.history):
        st.rerun()  # the whole page once, with every epoch: polling stops (no fragment) and the evaluation appears
    if snap.finished and every > POLL_SECONDS and visible < len(snap.history):
        st.rerun()  # the whole page once, which polls the replay of the rest at the quick pace
    show_progress(job, snap, visible)


def show_progress(job: TrainingJob, snap: Snapshot, visible: int | None = None) -> None:
    """The status line (as the job stands) and the curves of its first `visible` epochs (all)."""
    status, stop = st.columns([5, 1], vertical_alignment="center")
    with status:
        _status(job, snap)
    if not snap.finished and stop.button("Stop", key="train_stop", help="Ends training before the next batch "
                                         "and keeps the model as it stands."):
        job.stop()
        st.toast("Stopping…")
    diverged(job, snap)
    # One figure per job, as plain JSON, updated in place at each poll (plots.set_history_spec);
    # drawn before the first epoch too (empty axes), so the chart stays where it is.
    figures = st.session_state.setdefault("_train_figures", {})
    if job.id not in figures:
        figures.clear()
        empty = plots.training_curves([(job.label, [])], epochs=snap.epochs, per_batch=True)
        figures[job.id] = empty.to_plotly_json()
    live_chart(plots.set_history_spec(figures[job.id], snap.history[:visible]), key="train_curves")
    watch_digit.show(job, snap, visible)  # the watched drawing, epoch by epoch in step with the curves


def first_non_finite(history) -> tuple[int, float] | None:
    """(epoch, loss) of the first epoch whose loss (or one of its batches') is NaN or infinite."""
    for m in history:
        for loss in (m.train_loss, *m.batch_losses):
            if loss is not None and not math.isfinite(loss):
                return m.epoch, loss
    return None


def diverged(job: TrainingJob, snap: Snapshot) -> None:
    """Say so as soon as the loss stops being a number: nothing after that can learn, and the
    weights are likely NaN too (then Save refuses them)."""
    found = first_non_finite(snap.history)
    if found is None:
        return
    epoch, loss = found
    st.error(f"Training diverged: the loss became **{loss}** in epoch {epoch}, so the network cannot learn from "
             "here on. Try a smaller learning rate.", icon=":material/error:")
    if not snap.finished and st.button("Stop this run", key="train_stop_diverged", type="primary"):
        job.stop()
        st.toast("Stopping…")


def _status(job: TrainingJob, snap: Snapshot) -> None:
    if snap.state == WAITING:
        st.info(fair_use.waiting(job), icon=":material/hourglass_top:")
    elif snap.state == FAILED:
        st.error(snap.error)
    elif snap.state in (DONE, STOPPED):
        how = "Finished" if snap.state == DONE else f"Stopped ({job.stop_reason or 'early'})"
        st.success(f"{how}: {snap.epoch} of {snap.epochs} epochs in {snap.elapsed:.1f} s.")
    else:
        eta = f" · about {snap.eta:.0f} s left" if snap.eta is not None else ""
        st.progress(snap.epoch / snap.epochs, text=f"Epoch {snap.epoch}/{snap.epochs}{eta}")
