"""The Train page through Streamlit's AppTest: validation next to the controls, presets, a short
run to the evaluation, saving under a checked name, comparing runs."""
import pytest
from streamlit.testing.v1 import AppTest

from digitlab import training_workers
from digitlab.train import PRESETS
from digitlab.ui.keys import TRAIN_JOB_KEY, TRAIN_RUNS_KEY
from tests.support.apptest import until_evaluated


# Upper bounds only (joins and script runs return as soon as they are done), generous enough for a
# machine several times slower per core or one core shared with a CPU hog.
JOB_WAIT_S = 600


def train_page():
    from digitlab.ui import train

    train.page()


@pytest.fixture
def at(models_tmp):
    return AppTest.from_function(train_page, default_timeout=JOB_WAIT_S).run()


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def train_button(at):
    return at.button(key="train_start")


def run_to_end(at, hidden="16", epochs=3) -> AppTest:
    at.text_input(key="train_hidden").set_value(hidden)
    at.number_input(key="train_epochs").set_value(epochs)
    at.run()
    train_button(at).click().run()
    job = at.session_state[TRAIN_JOB_KEY]
    assert job.join(JOB_WAIT_S), "the job finishes"
    return until_evaluated(at)


def test_the_page_opens_on_the_seed_preset_with_no_problems(at):
    assert not at.exception and not errors(at)
    assert at.text_input(key="train_hidden").value == "128,64"
    assert at.select_slider(key="train_lr").value == PRESETS["seed"].lr
    assert not train_button(at).disabled


@pytest.mark.parametrize("key, value, message", [
    ("train_hidden", "abc", "use whole numbers separated by commas"),
    ("train_hidden", "128,,0", "each layer size must be 1..4096"),
    ("train_hidden", ",", "give at least one layer size"),
    ("train_hidden", "8,8,8,8,8,8,8,8,8", "give 1 to 8 layer sizes"),
    ("train_epochs", 0, "epochs must be 1..2000"),
    ("train_epochs", 5000, "epochs must be 1..2000"),
    ("train_batch_size", 0, "batch_size must be 1..4096"),
    ("train_weight_decay", 3.0, "weight_decay must be 0..1"),
])
def test_a_bad_value_gets_a_message_and_blocks_training(at, key, value, message):
    widget = at.text_input(key=key) if key == "train_hidden" else at.number_input(key=key)
    widget.set_value(value).run()
    assert not at.exception
    assert any(message in e for e in errors(at)), errors(at)
    assert train_button(at).disabled
    widget.set_value(PRESETS["seed"].to_dict()[key.removeprefix("train_")] if key != "train_hidden" else "64").run()
    assert not errors(at) and not train_button(at).disabled


def test_each_problem_sits_right_under_its_own_control(at):
    at.text_input(key="train_hidden").set_value("x")
    at.number_input(key="train_epochs").set_value(0)
    at.run()
    assert len(errors(at)) == 2
    for key, word in (("train_hidden", "hidden"), ("train_epochs", "epochs")):
        column = next(c for c in at.columns if any(getattr(w, "key", None) == key for w in c))
        children = list(column)
        index = next(i for i, w in enumerate(children) if getattr(w, "key", None) == key)
        after = children[index + 1]
        assert type(after).__name__ == "Error" and after.value.startswith(word)


def test_presets_set_every_control(at):
    at.selectbox(key="train_preset").set_value("default").run()
    d = PRESETS["default"]
    assert at.text_input(key="train_hidden").value == ",".join(map(str, d.hidden))
    assert at.number_input(key="train_epochs").value == d.epochs
    assert at.selectbox(key="train_optimizer").value == d.optimizer
    assert at.slider(key="train_val_fraction").value == d.val_fraction
    at.selectbox(key="train_preset").set_value("diverge").run()
    assert at.select_slider(key="train_lr").value == 1.0 and not errors(at)


def test_train_uses_a_value_changed_in_the_same_interaction(at):
    at.number_input(key="train_epochs").set_value(4)
    train_button(at).click().run()  # one rerun carries both the new value and the click
    job = at.session_state[TRAIN_JOB_KEY]
    assert job.config.epochs == 4
    job.stop()  # its config is what this test is about; don't hold the slot for the next test
    assert job.join(JOB_WAIT_S)


def test_a_short_run_ends_in_a_full_evaluation(at):
    run_to_end(at)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Epochs trained"] == "3 of 3"
    job = at.session_state[TRAIN_JOB_KEY]
    assert metrics["Test accuracy"] == f"{job.snapshot().evaluation.accuracy:.1%}"
    assert any("Finished: 3 of 3 epochs" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert list(table["digit"]) == list(range(10)) and table["test examples"].sum() == len(job.y_test)


def test_a_failing_run_shows_a_message_not_a_traceback(at, monkeypatch):
    def broken_run(*args, **kwargs):  # what the training process reports when training raises
        raise training_workers.RunFailed("ValueError", "weights became NaN")

    monkeypatch.setattr(training_workers.POOL, "train", broken_run)
    run_to_end(at)
    assert not at.exception
    assert any("weights became NaN" in e for e in errors(at))


def test_saving_checks_the_name_and_never_overwrites_silently(at, models_tmp):
    run_to_end(at)
    job = at.session_state[TRAIN_JOB_KEY]
    name_box, save = at.text_input(key=f"train_name_{job.id}"), at.button(key=f"train_save_{job.id}")
    for bad, message in (("default", "shipped model"), ("../evil", "invalid model name"), ("a/b", "invalid model name")):
        name_box.set_value(bad).run()
        assert any(message in e for e in errors(at)) and at.button(key=f"train_save_{job.id}").disabled
    name_box.set_value("mine").run()
    at.button(key=f"train_save_{job.id}").click().run()
    assert (models_tmp / "mine.safetensors").exists() and not errors(at)
    assert any("Saved as **mine**" in s.value for s in at.success)
    assert at.button(key="train_use").label.endswith("Use mine on the Draw page")

    before = (models_tmp / "mine.safetensors").stat().st_mtime_ns
    run_to_end(at, hidden="8")  # a second run, same name: refused until the box is ticked
    job2 = at.session_state[TRAIN_JOB_KEY]
    at.text_input(key=f"train_name_{job2.id}").set_value("mine").run()
    assert any("exists already" in w.value for w in at.warning)
    assert at.button(key=f"train_save_{job2.id}").disabled
    assert (models_tmp / "mine.safetensors").stat().st_mtime_ns == before
    at.checkbox(key=f"train_overwrite_{job2.id}").check().run()
    at.button(key=f"train_save_{job2.id}").click().run()
    from digitlab.store import load_model

    assert load_model("mine").info["model"]["hidden"] == [8]


def test_runs_of_the_session_and_saved_models_are_compared(at, models_tmp):
    run_to_end(at, hidden="16")
    job = at.session_state[TRAIN_JOB_KEY]
    at.text_input(key=f"train_name_{job.id}").set_value("sixteen").run()
    at.button(key=f"train_save_{job.id}").click().run()
    run_to_end(at, hidden="8", epochs=2)
    compare = at.multiselect(key="train_compare")
    assert compare.value == ["run 1", "run 2"]
    assert "saved: sixteen" in compare.options
    compare.select("saved: sixteen").run()
    table = at.dataframe[-1].value
    assert list(table["run"]) == ["run 1", "run 2", "saved: sixteen"]
    assert list(table["hidden"]) == ["16", "8", "16"] and list(table["epochs run"]) == [3, 2, 3]
    runs = at.session_state[TRAIN_RUNS_KEY]
    assert table["test acc"].iloc[1] == runs[1].snapshot().evaluation.accuracy
    assert table["test acc"].iloc[2] == table["test acc"].iloc[0], "the saved model is run 1"
    from digitlab.ui.train_results import COMPARE_FIGURE_KEY  # (the page's modules import inside a script run)

    spec = at.session_state[COMPARE_FIGURE_KEY][1]
    assert compared_runs(spec) == {"run 1", "run 2", "saved: sixteen"}
    at.run()  # the same runs chosen: the same figure, not built again
    assert at.session_state[COMPARE_FIGURE_KEY][1] is spec
    at.multiselect(key="train_compare").unselect("run 1").run()
    assert compared_runs(at.session_state[COMPARE_FIGURE_KEY][1]) == {"run 2", "saved: sixteen"}


def compared_runs(spec: dict) -> set[str]:
    """The runs a compare figure draws, from its traces' names ('run 1 · training')."""
    return {trace["name"].split(" · ")[0] for trace in spec["data"]}


def test_fine_tuning_a_saved_model_takes_its_layers_and_trains_from_its_weights(at, models_tmp):
    run_to_end(at, hidden="8", epochs=2)
    job = at.session_state[TRAIN_JOB_KEY]
    at.text_input(key=f"train_name_{job.id}").set_value("small").run()
    at.button(key=f"train_save_{job.id}").click().run()
    at.text_input(key="train_hidden").set_value("64,32").run()
    at.selectbox(key="train_init_from").set_value("small").run()
    assert at.text_input(key="train_hidden").value == "8" and not errors(at)
    run_to_end(at, hidden="8", epochs=1)
    tuned = at.session_state[TRAIN_JOB_KEY]
    assert tuned.config.init_from == "small" and tuned.snapshot().state == "done"
    assert not at.exception


def test_a_run_the_history_cannot_record_says_so_and_can_still_be_saved(at, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be: the run history cannot be opened")
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(blocker))
    monkeypatch.delenv("DIGITLAB_DATABASE_URL", raising=False)
    run_to_end(at)
    job = at.session_state[TRAIN_JOB_KEY]
    assert job.record_warning and job.run_id is None
    assert any("This run is not in the run history" in w.value for w in at.warning)
    assert any(m.label == "Test accuracy" for m in at.metric), "the run itself is all there"


def test_a_stale_address_from_the_browser_does_not_undo_a_change(at):
    """A rerun can carry the address the page had before this session last rewrote it (the browser
    sent it before the new one arrived; st.rerun() reuses the running request's). That is this
    session's own old setup, not a link just opened, so the value typed since must stay."""
    before = dict(at.query_params)
    at.number_input(key="train_epochs").set_value(20).run()
    assert at.query_params["epochs"] == "20"
    at.query_params = before  # the echo of the address as it was
    at.run()
    assert at.number_input(key="train_epochs").value == 20
    assert at.query_params["epochs"] == "20"


def test_a_link_opened_in_the_session_sets_the_controls(at):
    at.query_params = {**at.query_params, "epochs": "7"}
    at.run()
    assert at.number_input(key="train_epochs").value == 7


def test_a_cell_picked_in_one_runs_confusion_matrix_does_not_filter_the_next_runs_mistakes(at):
    run_to_end(at)
    at.session_state["train_confusion_picked"] = (3, 5)  # as a click on the matrix's cell leaves it
    at.run()
    assert at.session_state["train_confusion_picked"] == (3, 5)
    train_button(at).click().run()  # a new run: its matrix is another
    assert "train_confusion_picked" not in at.session_state
