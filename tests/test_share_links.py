"""A setup in a link (digitlab.share): every valid setup survives the round trip exactly, and any
query string whatsoever gives usable control values, with a note for what was dropped, never an
exception. The same link trains the same run."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digitlab import share
from digitlab.share import (EXPLORE, LR_CHOICES, SLIDERS, TRAIN_FIELDS, explore_from_query, explore_to_query,
                            train_controls, train_from_query, train_to_query)
from digitlab.train import PRESETS, TrainConfig

UNSAFE = set("<>`\n\r")  # with "](" below: nothing a note could use to inject HTML, code or a link


def grid(low, high, step):
    return st.integers(0, round((high - low) / step)).map(lambda k: round(low + k * step, 10))


VALID_TRAIN = st.fixed_dictionaries({
    "preset": st.sampled_from(sorted(PRESETS)),
    "hidden": st.lists(st.integers(1, 4096), min_size=1, max_size=8).map(lambda h: ",".join(map(str, h))),
    "activation": st.sampled_from(TRAIN_FIELDS["activation"].metadata["choices"]),
    "dropout": grid(*SLIDERS["dropout"]),
    "optimizer": st.sampled_from(TRAIN_FIELDS["optimizer"].metadata["choices"]),
    "lr": st.sampled_from(LR_CHOICES),
    "schedule": st.sampled_from(TRAIN_FIELDS["schedule"].metadata["choices"]),
    "batch_size": st.integers(1, 4096),
    "epochs": st.integers(1, 2000),
    "weight_decay": st.floats(0, 1),
    "augment": grid(*SLIDERS["augment"]),
    "val_fraction": grid(*SLIDERS["val_fraction"]),
    "seed": st.integers(0, share.MAX_SEED),
    "init_from": st.just(""),
    "drawings_weight": st.integers(0, 100),
    "dataset_repeat": st.integers(1, 100),
    "font_renders": st.integers(0, 100),
    "stroke_renders": st.integers(0, 100),
    "calibrate": st.booleans(),
})


def assert_usable_train(values: dict) -> None:
    """What the Train page's controls can show and TrainConfig accepts."""
    assert set(values) == set(share.TRAIN_KEYS)
    config = TrainConfig(**{**{k: values[k] for k in TRAIN_FIELDS}, "hidden": share.parse_hidden(values["hidden"])})
    assert config.lr in LR_CHOICES
    for name, (low, high, _step) in SLIDERS.items():
        assert low <= values[name] <= high
    for name, f in TRAIN_FIELDS.items():
        assert type(values[name]).__name__ == (str(f.type) if name != "hidden" else "str"), name


def assert_safe_notes(notes: list) -> None:
    assert len(notes) <= share.MAX_NOTES + 1
    for note in notes:
        assert isinstance(note, str) and len(note) < 2000 and not (set(note) & UNSAFE) and "](" not in note, note


@settings(max_examples=200, deadline=None)
@given(VALID_TRAIN)
def test_every_valid_train_setup_survives_the_round_trip(values):
    back = train_from_query(train_to_query(values))
    assert back.notes == [] and back.given
    assert back.values == values


# Keys: the real ones (so values get parsed), look-alikes and junk. Values: anything, including
# huge strings, numbers in odd spellings, NaN/inf, control characters and markup.
KEYS = st.sampled_from(share.TRAIN_KEYS) | st.sampled_from(list(EXPLORE)) | st.text(max_size=30)
VALUES = (st.text(max_size=40) | st.text(min_size=150, max_size=5000)
          | st.sampled_from(["nan", "inf", "-inf", "1e999", "-1", "0", "1e-3", "0.001", "10", "128,64", "1:2",
                             "", " 1", "1.0", "0x10", "१२", "true", "relu", "<script>", "`x`", "[a](b)"])
          | st.floats(allow_nan=True).map(repr) | st.integers().map(str))
QUERIES = st.dictionaries(KEYS, VALUES | st.lists(VALUES, max_size=3), max_size=25)


@settings(max_examples=500, deadline=None)
@given(QUERIES)
def test_any_query_gives_a_usable_train_setup_and_safe_notes(query):
    result = train_from_query(query)
    assert_usable_train(result.values)
    assert_safe_notes(result.notes)
    # Nothing is silently dropped: a known value that was not used (or an unknown key) has a note.
    used = train_to_query(result.values)
    changed = [k for k in share.TRAIN_KEYS if share._value(query, k) not in (None, used[k])
               and not _same_value(share._value(query, k), used[k])]
    unknown = [k for k in query if k not in share.TRAIN_KEYS and k not in share.GLOBAL_KEYS]
    if changed or unknown:
        assert result.notes


def _same_value(given: str, used: str) -> bool:
    """'1e-3' and '0.001', ' 5' and '5', '128 64' and '128,64': different spellings, same value."""
    try:
        # abs_tol: a slider value within 1e-6 of a step is that step (share._on_grid): '1E-10' is 0.0
        return math.isclose(float(given), float(used), rel_tol=1e-9, abs_tol=1e-6)
    except ValueError:
        return given.replace(" ", ",").strip(",") == used or given.lower() in ("true", "yes", "on") and used == "1" \
            or given.lower() in ("false", "no", "off") and used == "0"


@pytest.mark.parametrize("query, field, words", [
    ({"lr": "abc"}, "lr", "not a number"),
    ({"lr": "0.0123"}, "lr", "not one of the control's steps"),
    ({"epochs": "1e9"}, "epochs", "not a whole number"),
    ({"epochs": "99999"}, "epochs", "epochs must be 1..2000"),
    ({"dropout": "0.95"}, "dropout", "outside 0..0.9"),
    ({"hidden": "9" * 100_000}, "hidden", "longer than 200 characters"),
    ({"hidden": "128,0"}, "hidden", "each layer size must be"),
    ({"activation": "<img src=x>"}, "activation", "not one of relu"),
    ({"seed": "-3"}, "seed", "must be 0 or more"),
    ({"init_from": "../../etc/passwd"}, "init_from", "no saved model"),
])
def test_a_bad_value_falls_back_to_the_preset_with_a_note(query, field, words):
    result = train_from_query(query)
    assert result.values[field] == train_controls(PRESETS["seed"])[field]
    assert len(result.notes) == 1 and words in result.notes[0] and result.notes[0].startswith(field)


def test_unknown_keys_and_a_model_that_is_not_there_are_noted():
    result = train_from_query({"lr": "0.01", "colour": "red", "present": "1", "init_from": "mine"}, known_models={"default"})
    assert result.values["lr"] == 0.01 and result.values["init_from"] == ""
    assert any("unknown setting(s): colour" in n for n in result.notes)
    assert any(n.startswith("init_from=mine") for n in result.notes)
    assert not any("present" in n for n in result.notes)


def test_a_preset_in_the_link_is_the_base_and_the_other_fields_override_it():
    result = train_from_query({"preset": "diverge", "epochs": "3"})
    assert result.values["lr"] == PRESETS["diverge"].lr and result.values["epochs"] == 3 and not result.notes
    assert not train_from_query({}).given


def test_the_same_link_trains_the_same_run():
    from digitlab.train import fit, prepare

    link = train_to_query({**train_controls(TrainConfig()), "preset": "seed", "hidden": "16", "epochs": 2,
                           "seed": 7, "dropout": 0.2, "augment": 0.3})
    histories = []
    for _ in range(2):
        values = train_from_query(link).values
        config = TrainConfig(**{**{k: values[k] for k in TRAIN_FIELDS}, "hidden": share.parse_hidden(values["hidden"])})
        model, splits = prepare(config)
        histories.append([(m.train_loss, m.val_loss, m.train_acc) for m in fit(model, splits, config)])
    assert histories[0] == histories[1] and len(histories[0]) == 2


# --- Explore --------------------------------------------------------------------------------------

def _range(steps):
    return st.tuples(st.sampled_from(steps), st.sampled_from(steps)).map(lambda p: tuple(sorted(p)))


def _subset(items):
    return st.sets(st.sampled_from(items), min_size=1).map(lambda s: tuple(i for i in items if i in s))


VALID_EXPLORE = st.fixed_dictionaries({
    "lr": _range(share.LR_STEPS), "weight_decay": _range(share.WD_STEPS), "width": _range(share.WIDTHS),
    "depth": _range((1, 2, 3, 4)), "dropout": _range([round(k * 0.05, 10) for k in range(17)]),
    "augment": _range([round(k * 0.05, 10) for k in range(21)]),
    "vary": st.sets(st.sampled_from(EXPLORE["vary"][1])).map(lambda s: tuple(i for i in EXPLORE["vary"][1] if i in s)),
    "batch_sizes": _subset(share.BATCHES), "optimizers": _subset(EXPLORE["optimizers"][1]),
    "trials": st.integers(1, 1000), "timeout": st.integers(0, 86400), "epochs": st.integers(1, 500),
    "sampler": st.sampled_from(EXPLORE["sampler"][1]), "pruner": st.sampled_from(EXPLORE["pruner"][1]),
}).filter(lambda v: not share.search_space_problems(v))


@settings(max_examples=200, deadline=None)
@given(VALID_EXPLORE)
def test_every_valid_explore_setup_survives_the_round_trip(values):
    back = explore_from_query(explore_to_query(values))
    assert back.notes == [] and back.values == values


@settings(max_examples=500, deadline=None)
@given(QUERIES)
def test_any_query_gives_a_usable_search_space(query):
    result = explore_from_query(query)
    assert_safe_notes(result.notes)
    assert share.search_space_problems(result.values) == []
    for name, (kind, allowed, _default) in EXPLORE.items():
        value = result.values[name]
        if kind == "steps":
            assert value[0] in allowed and value[1] in allowed and value[0] <= value[1]
        elif kind == "subset":
            assert set(value) <= set(allowed)
        elif kind == "int":
            assert allowed[0] <= value <= allowed[1]
        elif kind == "choice":
            assert value in allowed


@pytest.mark.parametrize("query, words", [
    ({"lr": "0.1:0.001"}, "backwards"), ({"width": "33:512"}, "steps"), ({"depth": "0:9"}, "outside"),
    ({"batch_sizes": "32,7"}, "each must be one of"), ({"optimizers": ""}, "pick at least one"),
    ({"trials": "5000"}, "outside 1..1000"), ({"sampler": "cmaes"}, "not one of tpe"),
])
def test_a_bad_explore_value_falls_back_with_a_note(query, words):
    result = explore_from_query(query)
    key = next(iter(query))
    assert result.values[key] == share.EXPLORE_DEFAULTS[key]
    assert any(words in n for n in result.notes), result.notes


def test_flag():
    assert share.flag({"present": "1"}, "present") is True and share.flag({"present": "off"}, "present") is False
    assert share.flag({"present": "x" * 10_000}, "present") is None and share.flag({}, "present") is None
