"""TrainConfig.problems() names the field of every problem, and the Train page puts each message
under that field's control, the Advanced training-data controls included."""
from dataclasses import fields

import pytest
from streamlit.testing.v1 import AppTest

from digitlab.train import ConfigError, TrainConfig
from digitlab.ui.keys import TRAIN_JOB_KEY

BAD = {"hidden": (0,), "activation": "swish", "optimizer": "lbfgs", "lr": 0.0, "schedule": "step", "batch_size": 0,
       "epochs": 0, "weight_decay": 2.0, "dropout": 1.0, "augment": 1.5, "val_fraction": 1.0,
       "drawings_weight": -1, "dataset_repeat": 0, "font_renders": 101, "stroke_renders": -1,
       "init_from": "../x"}


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_bad_value_is_reported_under_its_own_field(name):
    with pytest.raises(ConfigError) as caught:
        TrainConfig(**{name: BAD[name]})
    assert list(caught.value.problems) == [name]
    assert name in caught.value.problems[name]  # the sentence says which setting it is about


def test_every_field_but_seed_and_calibrate_can_be_bad_and_problems_are_all_reported():
    assert set(BAD) == {f.name for f in fields(TrainConfig)} - {"seed", "calibrate"}
    with pytest.raises(ConfigError) as caught:
        TrainConfig(**BAD)
    assert set(caught.value.problems) == set(BAD)
    assert TrainConfig().problems() == {}


def train_page():
    from digitlab.ui import train

    train.page()


def test_the_advanced_training_data_controls_check_their_values_and_reach_the_job(models_tmp):
    at = AppTest.from_function(train_page, default_timeout=60).run()
    assert [e.label for e in at.expander] == ["Advanced: training data"]
    at.number_input(key="train_font_renders").set_value(500).run()
    assert [e.value for e in at.expander[0].error] == ["font_renders must be 0..100, got 500"]
    assert at.button(key="train_start").disabled
    at.number_input(key="train_font_renders").set_value(0)
    at.number_input(key="train_dataset_repeat").set_value(2)
    at.number_input(key="train_epochs").set_value(1)
    at.checkbox(key="train_calibrate").check()
    at.run()
    assert not at.error and not at.button(key="train_start").disabled
    at.button(key="train_start").click().run()
    job = at.session_state[TRAIN_JOB_KEY]
    assert job.config.dataset_repeat == 2 and job.config.calibrate and job.config.font_renders == 0
    job.stop()
    job.join(120)


def test_a_negative_seed_is_a_problem_of_the_seed_field_not_a_failed_run():
    from digitlab.train import ConfigError, TrainConfig

    assert TrainConfig(seed=0).problems() == {}
    with pytest.raises(ConfigError) as caught:
        TrainConfig(seed=-1)
    assert list(caught.value.problems) == ["seed"] and "0.." in caught.value.problems["seed"]
