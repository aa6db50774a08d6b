"""The Explore page: sweep hyperparameters with Optuna and see what mattered.

Choose what varies and over which ranges, a budget, a sampler and a pruner, press Start. The sweep
runs in a child process (digitlab.sweep.child, which starts the worker processes), watched by a
background Job (digitlab.jobs: it waits for a training slot like any Train-page run, and stops when
this browser session has gone); the page never waits for it. One fragment polls the study's storage every POLL_SECONDS while the sweep runs (trial
table, best-so-far line, learning curves, parallel coordinates) and reruns the page once when it
ends, so polling switches off and the slower plots (importances, slice, contour) appear.
"""
from __future__ import annotations

import optuna
import streamlit as st

from digitlab import share
from digitlab.budgets import usable_cores
from digitlab.plots import explore as figs
from digitlab.sweep import (PRUNERS, SAMPLERS, Progress, SearchSpace, SweepConfig, SweepError, best_config,
                            create_study, new_study_name, open_storage, redact, storage_spec, sweep_job,
                            train_best_job, trial_rows)
from digitlab.sweep.space import apply
from digitlab.jobs import WAITING, Job
from digitlab.train import OPTIMIZERS, TrainConfig
from digitlab.ui import explore_link, fair_use, identity, presentation
from digitlab.ui.live_chart import live_chart
from digitlab.ui.resources import session_alive

JOB_KEY, STUDY_KEY = "explore_job", "explore_study"
POLL_SECONDS = 1.0  # each poll re-sends the live charts; a trial takes about a second anyway
# The controls' steps live in digitlab.share, which checks a link's values against the same ones.
LR_STEPS, WD_STEPS, WIDTHS, BATCHES = (list(v) for v in (share.LR_STEPS, share.WD_STEPS, share.WIDTHS, share.BATCHES))


def page() -> None:
    title, switch = st.columns([4, 1], vertical_alignment="bottom")
    title.markdown("### Explore hyperparameters")
    with switch:
        presentation.switch()
    st.caption("Let Optuna try many training setups and learn which knobs matter. Each trial trains a network "
               "and is scored by its validation accuracy; poor trials are stopped early (pruned).")
    job: Job | None = st.session_state.get(JOB_KEY)
    running = job is not None and not job.done
    config = sweep_form(running)
    if config is not None and running:
        st.warning("A sweep is already running: stop it first.")
    elif config is not None:
        try:
            create_study(config)  # now, so the study picker below already lists it
        except SweepError as exc:  # the storage is down or refuses the login: say so, start nothing
            st.error(f"Cannot start this sweep: {exc}")
        else:
            st.session_state[JOB_KEY] = sweep_job(config, owner_alive=session_alive(),
                                                  seconds=fair_use.current().seconds).start()
            st.session_state[STUDY_KEY] = config.study
            running = True
    study = pick_study()
    if study is None:
        st.info("Start a sweep above: a live trial table, the best-so-far line and the plots will appear here.")
        return
    st.fragment(live, run_every=POLL_SECONDS if running else None)(study.study_name, running)
    if not running:
        slow_plots(study)
        best_panel(study)


# --- the form -------------------------------------------------------------------------------------

def _vary(label: str, key: str) -> bool:
    return st.checkbox(f"vary {label}", key=f"explore_vary_{key}")  # value: explore_link.prepare()


def largest_network(config: SweepConfig) -> tuple[int, ...]:
    """The hidden layers of the biggest network the search can try (its top width and depth)."""
    top = {name: getattr(config.space, name)[1] for name in ("width", "depth") if getattr(config.space, name)}
    return apply(config.base, top).hidden


def sweep_form(running: bool) -> SweepConfig | None:
    """The search space and budget; returns a valid SweepConfig when Start was pressed."""
    if st.session_state.pop("explore_renew_name", False) or not st.session_state.get("explore_name"):
        st.session_state["explore_name"] = new_study_name()  # a fresh study for every new sweep
    explore_link.prepare()  # every keyed control's value: from a link, this session, or the defaults
    budget = fair_use.current()
    with st.form("explore_form", border=True):
        st.markdown("**Search space**: ticked knobs vary over their range; the others keep the base value")
        a, b, c, d = st.columns(4, gap="medium")
        with a:
            lr = st.select_slider("Learning rate (log)", LR_STEPS, value=explore_link.range_value("lr"),
                                  format_func=lambda v: f"{v:g}", key=explore_link.range_key("lr"))
            vary_lr = _vary("learning rate", "lr")
            wd = st.select_slider("Weight decay (log)", WD_STEPS, value=explore_link.range_value("weight_decay"),
                                  format_func=lambda v: f"{v:g}", key=explore_link.range_key("weight_decay"))
            vary_wd = _vary("weight decay", "wd")
        with b:
            width = st.select_slider("Width of the first layer", WIDTHS, value=explore_link.range_value("width"),
                                     key=explore_link.range_key("width"))
            vary_width = _vary("width", "width")
            depth = st.slider("Hidden layers", 1, 4, explore_link.range_value("depth"), key=explore_link.range_key("depth"))
            vary_depth = _vary("depth", "depth")
        with c:
            dropout = st.slider("Dropout", 0.0, 0.8, explore_link.range_value("dropout"), step=0.05,
                                key=explore_link.range_key("dropout"))
            vary_dropout = _vary("dropout", "dropout")
            augment = st.slider("Augmentation strength", 0.0, 1.0, explore_link.range_value("augment"), step=0.05,
                                key=explore_link.range_key("augment"))
            vary_augment = _vary("augmentation", "augment")
        with d:
            batches = st.multiselect("Batch sizes", BATCHES, key="explore_batches")
            optimizers = st.multiselect("Optimizers", list(OPTIMIZERS), key="explore_optimizers")
        # Folded away while presenting: the class watches the search space and the results.
        with st.expander("Budget and method") if presentation.active() else st.container():
            st.markdown("**Budget and method**")
            e, f, g, h, i, j = st.columns(6, gap="small")
            trials = e.number_input("Trials", 1, 1000, key="explore_trials")
            timeout = f.number_input("Time budget (s, 0 = none)", 0, 24 * 3600, step=30, key="explore_timeout")
            epochs = g.number_input("Epochs per trial", 1, 500, key="explore_epochs")
            sampler = h.selectbox("Sampler", SAMPLERS, key="explore_sampler",
                                  help="tpe learns from earlier trials; random and grid do not")
            pruner = i.selectbox("Pruner", PRUNERS, key="explore_pruner",
                                 help="median: stop a trial worse than the median at the same epoch")
            workers = budget.workers
            if st.session_state.get("explore_jobs", 0) > workers:  # e.g. set while the teacher key was typed
                st.session_state["explore_jobs"] = workers
            jobs = j.number_input("Worker processes", 1, workers, min(2, workers), key="explore_jobs",
                                  help=f"one torch thread each; this server may use {usable_cores()} cores, and this "
                                       f"server allows up to {workers} per sweep")
        name = st.text_input("Study name (an existing name continues that study)", key="explore_name")
        start_col, link_col = st.columns([1, 5], vertical_alignment="center")
        submitted = start_col.form_submit_button("Start sweep", type="primary", disabled=running)
        # Inside a form, changed values reach the server only on a submit: this one starts nothing.
        link_col.form_submit_button("Update link", help="Put the settings above into the page's address and the "
                                    "'Copy link to this setup' link, without starting a sweep")
    explore_link.publish()
    if not presentation.active():
        fair_use.caption()
    if not submitted:
        return None
    try:
        space = SearchSpace(lr=lr if vary_lr else None, weight_decay=wd if vary_wd else None,
                            width=width if vary_width else None, depth=depth if vary_depth else None,
                            dropout=dropout if vary_dropout else None, augment=augment if vary_augment else None,
                            batch_size=tuple(batches), optimizer=tuple(optimizers))
        config = SweepConfig(space=space, base=TrainConfig(epochs=int(epochs)), trials=int(trials),
                           timeout=float(timeout) or None, sampler=sampler, pruner=pruner, jobs=int(jobs),
                           study=name.strip(), storage=None)  # the server's storage: never a browser's choice
        too_big = budget.size_problem(largest_network(config))
        if too_big:
            raise SweepError(f"the widest network this search can try is too big: {too_big}")
        st.session_state["explore_renew_name"] = True
        return config
    except ValueError as exc:
        st.error("Cannot start this sweep:\n\n" + "\n".join(f"- {p}" for p in str(exc).split("; ")))
        return None


# --- which study --------------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def _storage(spec: str):
    return open_storage(spec)  # one engine per storage for the whole server, not one per poll


def _load(name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=_storage(storage_spec(None)))


def pick_study() -> optuna.Study | None:
    # Where studies live is the operator's setting ($DIGITLAB_DATABASE_URL), shown, never typed in here.
    st.caption(f"Studies are stored in `{redact(storage_spec(None))}` (set by the server's operator).")
    try:
        names = sorted(optuna.get_all_study_names(_storage(storage_spec(None))),
                       reverse=True)
    except SweepError as exc:
        st.error(str(exc))
        return None
    if not names:
        return None
    if st.session_state.get(STUDY_KEY) not in names:
        st.session_state[STUDY_KEY] = names[0]
    name = st.selectbox("Study", names, key=STUDY_KEY, help="The sweep you started, or any earlier one")
    return _load(name)


# --- live part ----------------------------------------------------------------------------------

def live(study_name: str, running: bool) -> None:
    job: Job | None = st.session_state.get(JOB_KEY)
    study = _load(study_name)
    mine = job is not None and job.kind == "sweep" and st.session_state.get(STUDY_KEY) == study_name
    if mine:
        progress_line(job)
        if running and job.done:
            st.rerun()  # the sweep ended: rerun the page once, which switches polling off
    rows = trial_rows(study)
    best = max((r for r in rows if r["state"] == "complete"), key=lambda r: r["val_acc"], default=None)
    left, right = st.columns([1.1, 1], gap="medium")
    with left:
        st.metric("Best validation accuracy so far", f"{best['val_acc']:.2%}" if best else "–",
                  help=f"trial {best['trial']}" if best else None)
        st.dataframe(rows[::-1], hide_index=True, height=300, width="stretch",
                     column_config={"val_acc": st.column_config.NumberColumn("val acc", format="%.4f"),
                                    "lr": st.column_config.NumberColumn(format="%.2e"),
                                    "weight_decay": st.column_config.NumberColumn(format="%.1e"),
                                    "seconds": st.column_config.NumberColumn(format="%.1f"),
                                    "dropout": st.column_config.NumberColumn(format="%.2f")})
    with right:
        live_chart(figs.optimization_history(study), key="explore_history")
    c1, c2 = st.columns(2, gap="medium")
    with c1:
        live_chart(figs.parallel_coordinates(study), key="explore_parallel")
    with c2:
        live_chart(figs.learning_curves(study), key="explore_curves")


def progress_line(job: Job) -> None:
    p: Progress | None = job.latest
    if job.error:
        st.error(f"The sweep failed: {job.error}")
        return
    if job.state == WAITING:
        st.info("A sweep takes a slot like a Train-page run. " + fair_use.waiting(job), icon=":material/hourglass_top:")
    elif p is None and job.done:
        st.info(f"Stopped ({job.stop_reason or 'early'}) before its first trial finished.")
    elif p is None:
        st.progress(0.0, text="starting worker processes …")
    else:
        share = p.finished / p.total if p.total else 0.0
        words = f"{p.finished}{f' of {p.total}' if p.total else ''} trials · {p.pruned} pruned · {p.seconds:.0f} s"
        stopped = f"stopped ({job.stop_reason}) · " if job.stop_reason else "stopped · "
        st.progress(min(share, 1.0), text=(stopped if p.stopped else "") + words)
    if not job.done:
        st.button("Stop", key="explore_stop", on_click=job.stop,
                  help="Running trials end within a batch (recorded as pruned); no new trial starts.")


# --- after the sweep ----------------------------------------------------------------------------

def slow_plots(study: optuna.Study) -> None:
    st.markdown("#### What mattered")
    a, b = st.columns(2, gap="medium")
    with a:
        live_chart(figs.importances(study), key="explore_importances")
    with b:
        live_chart(figs.contour(study), key="explore_contour")
    live_chart(figs.slices(study), key="explore_slice")


def best_panel(study: optuna.Study) -> None:
    st.markdown("#### Train the best and keep it")
    try:
        config, trial = best_config(study)
    except SweepError as exc:
        st.info(str(exc))
        return
    st.caption(f"Trial {trial.number} scored {trial.value:.2%}: {'-'.join(map(str, config.hidden))} "
               f"{config.activation}, {config.optimizer} lr {config.lr:.2g}, batch {config.batch_size}, "
               f"dropout {config.dropout:.2f}, {config.epochs} epochs. It is retrained on the whole training "
               "split (validation part included) and scored on the test split.")
    job: Job | None = st.session_state.get(JOB_KEY)
    col, go_col = st.columns([3, 1], vertical_alignment="bottom")
    name = col.text_input("Save as", value=f"{study.study_name}-best"[:64], key="explore_best_name")
    busy = job is not None and job.kind == "best" and not job.done
    budget = fair_use.current()
    too_big = budget.size_problem(config.hidden)
    if too_big:
        st.warning(f"Cannot train this one here: {too_big}.")
    if go_col.button("Train best & save", type="primary", disabled=busy or bool(too_big), key="explore_train_best"):
        st.session_state[JOB_KEY] = train_best_job(study, name.strip(), owner_alive=session_alive(),
                                                   seconds=budget.seconds, actor=identity.actor()).start()
        busy = True
    if st.session_state.get(JOB_KEY) is not None and st.session_state[JOB_KEY].kind == "best":
        st.fragment(best_status, run_every=0.5 if busy else None)(busy)


def best_status(was_busy: bool) -> None:
    job: Job = st.session_state[JOB_KEY]
    if not job.done and job.state == WAITING:
        st.info(fair_use.waiting(job), icon=":material/hourglass_top:")
        return
    if not job.done:
        m = job.latest
        st.progress(m.epoch / m.epochs if m else 0.0, text=f"training: epoch {m.epoch if m else 0}")
        return
    if was_busy:
        st.rerun()
    if job.error:
        st.error(f"Not saved: {job.error}")
        return
    from digitlab.ui.resources import model_catalogue

    model_catalogue.clear()  # the Draw page's model list picks it up at once
    r = job.result
    st.success(f"Saved **{r.path.stem}**: test accuracy {r.test_accuracy:.2%}. Pick it on the Draw page.")
    if job.stop_reason:
        st.warning(f"Its training stopped early ({job.stop_reason}): it was saved as it stood.")
    if r.warning:
        st.warning(r.warning)
