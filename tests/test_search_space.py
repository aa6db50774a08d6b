"""The sweep's search space: bad ranges give messages a person can act on; suggestions stay inside."""
import optuna
import pytest

from digitlab.sweep.space import SearchSpace, apply, parse_choices, parse_range
from digitlab.sweep import SweepConfig
from digitlab.train import TrainConfig


@pytest.mark.parametrize("changes, words", [
    ({"lr": (1e-1, 1e-4)}, "lr: the range 0.1:0.0001 is backwards"),
    ({"lr": (0, 1e-2)}, "lr: a log range needs a low end above 0"),
    ({"lr": (1e-3, 50)}, "lr: the range must lie within > 0 and <= 10"),
    ({"width": (0, 64)}, "width: a log range needs a low end above 0"),
    ({"width": (16, 10_000)}, "width: the range must lie within 1..4096"),
    ({"width": (16.5, 64)}, "width: give whole numbers"),
    ({"depth": (1, 12)}, "depth: the range must lie within 1..8"),
    ({"dropout": (0.2, 1.5)}, "dropout: the range must lie within 0 to 0.95"),
    ({"weight_decay": (0, 1e-3)}, "weight_decay: a log range needs a low end above 0"),
    ({"augment": (-0.1, 0.5)}, "augment: the range must lie within 0..1"),
    ({"lr": (1e-3,)}, "lr: give a range as two numbers LOW:HIGH"),
    ({"lr": (float("nan"), 1e-2)}, "lr: give a range as two numbers"),
    ({"batch_size": ()}, "batch_size: choose at least one batch size"),
    ({"batch_size": (32, 0)}, "batch_size: each size must be a whole number 1..4096"),
    ({"optimizer": ()}, "optimizer: choose at least one optimizer"),
    ({"optimizer": ("adam", "adan")}, "optimizer: unknown 'adan' (choose from sgd, momentum, adam, adamw)"),
])
def test_bad_ranges_say_what_is_wrong(changes, words):
    with pytest.raises(ValueError) as err:
        SearchSpace(**changes)
    assert words in str(err.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValueError) as err:
        SearchSpace(lr=(1, 0.1), dropout=(0.5, 0.2), optimizer=("adan",))
    assert str(err.value).count(";") == 2


def test_a_space_that_varies_nothing_is_refused():
    fixed = dict(lr=(1e-3, 1e-3), width=(64, 64), depth=(2, 2), dropout=None, batch_size=(32,), optimizer=("adam",))
    with pytest.raises(ValueError, match="nothing varies"):
        SearchSpace(**fixed)
    assert SearchSpace(**{**fixed, "depth": (1, 2)}).varied() == ["depth"]


def test_parsing_cli_text():
    assert parse_range("1e-4:1e-1", "lr") == (1e-4, 1e-1)
    assert parse_range("0.3", "dropout") == (0.3, 0.3)
    assert parse_range("off", "augment") is None
    assert parse_choices("32, 64,128", "batch_size") == (32, 64, 128)
    assert parse_choices("adam,sgd", "optimizer") == ("adam", "sgd")
    with pytest.raises(ValueError, match="expected LOW:HIGH"):
        parse_range("fast", "lr")
    with pytest.raises(ValueError, match="one ':'"):
        parse_range("1:2:3", "lr")
    with pytest.raises(ValueError, match="whole numbers"):
        parse_choices("32,big", "batch_size")


def test_suggestions_stay_inside_the_space_and_fixed_values_are_kept():
    space = SearchSpace(lr=(1e-3, 1e-2), width=(32, 128), depth=(1, 3), dropout=(0.1, 0.1), batch_size=(64, 128),
                        optimizer=("adam",), weight_decay=(1e-5, 1e-3), augment=None)
    base = TrainConfig(epochs=7, augment=0.25, activation="tanh")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1), direction="maximize")
    for _ in range(40):
        trial = study.ask()
        c = space.suggest(trial, base)
        assert 1e-3 <= c.lr <= 1e-2 and 1e-5 <= c.weight_decay <= 1e-3 and c.batch_size in (64, 128)
        assert 32 <= c.hidden[0] <= 128 and 1 <= len(c.hidden) <= 3
        assert all(later == max(16, c.hidden[0] >> i) for i, later in enumerate(c.hidden))  # halving
        assert c.dropout == 0.1 and c.optimizer == "adam"  # fixed: set, not searched
        assert (c.epochs, c.augment, c.activation) == (7, 0.25, "tanh")  # not in the space: from base
        study.tell(trial, 0.5)
    assert set(study.trials[0].params) == {"lr", "width", "depth", "batch_size", "weight_decay"}


def test_grid_covers_every_varied_dimension():
    space = SearchSpace(lr=(1e-4, 1e-2), width=(32, 128), depth=(1, 1), dropout=None, batch_size=(32, 64),
                        optimizer=("adam", "sgd"))
    grid = space.grid(3)
    assert grid["lr"] == pytest.approx([1e-4, 1e-3, 1e-2])
    assert grid["width"] == [32, 64, 128] and grid["batch_size"] == [32, 64] and set(grid) == {"lr", "width", "batch_size", "optimizer"}
    config = SweepConfig(space=space, sampler="grid", trials=500, study="g")
    assert config.budget() == 3 * 3 * 2 * 2  # never past the end of the grid


def test_width_and_depth_become_hidden_sizes():
    base = TrainConfig(hidden=(128, 64))
    assert apply(base, {"width": 256, "depth": 3}).hidden == (256, 128, 64)
    assert apply(base, {"depth": 1}).hidden == (128,)
    assert apply(base, {"width": 20, "depth": 3}).hidden == (20, 16, 16)


@pytest.mark.parametrize("changes, words", [
    ({"trials": None, "timeout": None}, "give a trial budget, a time budget, or both"),
    ({"timeout": -5}, "timeout must be more than 0 seconds"),
    ({"jobs": 0}, "jobs must be 1..64"),
    ({"sampler": "cmaes"}, "sampler must be one of tpe, random, grid"),
    ({"pruner": "asha"}, "pruner must be one of median, hyperband, none"),
    ({"base": TrainConfig(val_fraction=0.0)}, "val_fraction must be above 0"),
])
def test_sweep_settings_are_validated(changes, words):
    with pytest.raises(ValueError, match=words):
        SweepConfig(**{"study": "x", **changes})


def test_space_round_trips_through_json():
    import json

    space = SearchSpace(weight_decay=(1e-5, 1e-2), augment=(0, 0.5))
    assert SearchSpace.from_dict(json.loads(json.dumps(space.to_dict()))) == space
