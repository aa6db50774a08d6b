"""Free-form browser inputs not covered elsewhere (the README's "Serving a class" table lists every
input and the test for each): whatever a person types into the Explore page's study name, a model
name, the Train page's hidden layers, the sidebar's name, or whatever a page's identity component
reports, the server either refuses it with a sentence or uses it as what it is: never a path, a host,
an exception, or more than the budget allows."""
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitlab import ownership
from digitlab.budgets import Budget
from digitlab.share import parse_hidden
from digitlab.store import ModelError, check_save_name
from digitlab.sweep import SweepConfig, SweepError, create_study
from digitlab.train import ConfigError, TrainConfig

HOSTILE = st.sampled_from(["../../etc/passwd", "/tmp/x/deep/x.log", "journal:/tmp/x.log", "sqlite:////tmp/e.db",
                           "postgresql://10.0.0.1:5432/x", "a\x00b", "'; DROP TABLE studies; --", "<script>", "  ",
                           "x" * 129, "名前", "C:\\Windows\\win.ini", "~/.ssh/id_rsa", "%2e%2e%2f"])
TEXT = HOSTILE | st.text(max_size=200)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT)
def test_a_study_name_is_a_name_in_the_servers_storage_never_a_place(tmp_path, name):
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    storage = f"sqlite:///{tmp_path / 'sweeps.sqlite'}"
    before = set(os.listdir(tmp_path)), set(os.listdir(outside))
    try:
        config = SweepConfig(trials=1, study=name.strip(), storage=storage)
    except SweepError as exc:
        assert "study" in str(exc)
        return
    cwd = os.getcwd()
    os.chdir(outside)  # a relative path in the name would land here
    try:
        study = create_study(config)
    finally:
        os.chdir(cwd)
    assert study.study_name == name.strip()
    assert set(os.listdir(outside)) == before[1]
    assert set(os.listdir(tmp_path)) <= before[0] | {"sweeps.sqlite", "sweeps.sqlite-wal", "sweeps.sqlite-shm",
                                                      "sweeps.sqlite-journal"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT)
def test_a_model_name_is_a_plain_file_name_or_a_sentence(models_tmp, name):
    try:
        check_save_name(name)
    except ModelError as exc:
        assert str(exc)
        return
    assert Path(name).name == name and name not in (".", "..") and "/" not in name and "\\" not in name
    assert (models_tmp / f"{name}.safetensors").parent == models_tmp


@settings(max_examples=300, deadline=None)
@given(text=TEXT | st.lists(st.integers(0, 10_000), max_size=12).map(lambda h: ",".join(map(str, h))))
def test_hidden_layers_text_gives_a_network_within_the_budget_or_says_why(text):
    try:
        hidden = parse_hidden(text)
        TrainConfig(hidden=hidden)
    except (ValueError, ConfigError) as exc:
        assert "hidden" in str(exc)
        return
    problem = Budget().size_problem(hidden)
    assert problem is None or "at most 1,000,000 parameters" in problem


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                       max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(browser_id=JSONISH, name=JSONISH)
def test_whatever_a_page_reports_as_its_browser_is_an_owner_hash_a_clean_name_or_nothing(browser_id, name):
    owner = ownership.owner_of(browser_id)
    assert owner is None or (ownership.OWNER_RE.match(owner) and str(browser_id) not in owner)
    clean = ownership.clean_name(name)
    assert clean is None or (0 < len(clean) <= ownership.MAX_NAME and clean == " ".join(clean.split())
                             and clean.isprintable())


@pytest.mark.parametrize("typed", ["", "wrong", "x" * 10_000, "\x00", None])
def test_a_wrong_teacher_key_is_never_the_teacher(monkeypatch, typed):
    monkeypatch.setenv("DIGITLAB_TEACHER_KEY", "the-real-key-3f9a")
    assert ownership.is_teacher_key(typed) is False
    assert ownership.is_teacher_key("the-real-key-3f9a") is True
    monkeypatch.delenv("DIGITLAB_TEACHER_KEY")
    assert ownership.is_teacher_key("the-real-key-3f9a") is False  # no key set: nobody is the teacher
