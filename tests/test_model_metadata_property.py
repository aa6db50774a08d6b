"""Property (issue 19): for any JSON put into a genuine model file's metadata, either the upload is
refused with a message, or the Draw, Train and Models pages render it and `models` prints it."""
import contextlib
import io
import itertools
import os
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from digitlab.cli import main
from digitlab.store import ModelError, install_model
from tests.support.model_files import genuine_model_bytes, with_metadata
from tests.support.apptest import canvas_value

scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=12)
           | st.sampled_from([0, 1, 0.5, -1, 300, "", "relu", "adam"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                           max_size=3), max_leaves=8)
# Where to put the value: a whole section, or one field a page reads (near-valid files find more).
PLACES = [("metrics",), ("train",), ("history",), ("split",), ("versions",), ("created",), ("name",),
          ("metrics", "test_accuracy"), ("metrics", "epochs_run"), ("metrics", "stopped_early"), ("metrics", "new"),
          ("train", "epochs"), ("train", "lr"), ("train", "hidden"), ("train", "augment"), ("train", "optimizer"),
          ("train", "new"), ("history", 0, "train_loss"), ("history", 0, "epoch"), ("history", 0, "val_acc"),
          ("history", 0, "new"), ("history", 0), ("model", "activation")]
# Half of the values have a type some field takes, so many files pass the schema and reach the pages.
likely = st.floats(0, 1) | st.integers(0, 400) | st.text(max_size=12) | st.booleans() | st.none()
names = (f"fuzz{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {"DIGITLAB_MODELS_DIR": tmp}):
        yield Path(tmp)


@pytest.fixture(scope="module")
def genuine():
    return genuine_model_bytes()


def put(place, value):
    def edit(meta):
        target = meta
        for step in place[:-1]:
            target = target[step]
        target[place[-1]] = value
    return edit


def draw_page():
    from digitlab.ui import draw

    draw.page()


def train_page():
    from digitlab.ui import train

    train.page()


def models_page():
    from digitlab.ui import models

    models.page()


def render_pages(name: str) -> None:
    drawing = canvas_value([[(140, 40), (140, 240)]])
    for script, state in ((draw_page, {"active_model": name, "draw_canvas": drawing}),
                          (train_page, {"train_compare": [f"saved: {name}"], "train_init_from": name}),
                          (models_page, {})):
        at = AppTest.from_function(script, default_timeout=60)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        assert not at.exception, f"{script.__name__}: {at.exception[0].message}"
        assert not [w.value for w in at.warning if "Skipped" in w.value], "listed as broken after being accepted"


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(place=st.sampled_from(PLACES), value=likely | values)
def test_any_json_in_the_metadata_is_refused_or_shown_everywhere(folder, genuine, place, value):
    name = next(names)
    try:
        install_model(with_metadata(genuine, put(place, value)), name)
    except ModelError as exc:
        assert "metadata" in str(exc) or "config" in str(exc), str(exc)
        event("refused")
        return
    event("accepted")
    try:
        render_pages(name)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["models"]) == 0
        assert f"  {name} " in out.getvalue() and "BROKEN" not in out.getvalue()
    finally:
        for suffix in (".safetensors", ".json"):
            (folder / f"{name}{suffix}").unlink()
