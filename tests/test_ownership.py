"""Whose is what (issue 18, item 4): the owner rules (own, someone else's, shared, teacher, no key
set), the teacher key compared in constant time, drawings' owners through the database (a
database from before owners migrates), models that only their owner replaces or deletes, and the
pages (AppTest) offering controls only for what a person may change."""
import hmac
import json
import shutil
import sqlite3
import uuid
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitlab import database, drawings, ownership
from digitlab.ownership import OPERATOR, Actor
from digitlab.store import (ModelError, acting_as, delete_model, install_model, list_models, load_model, owner_of_file,
                            save_model)
from digitlab.train import TrainConfig, fit, prepare, run_info
from digitlab.ui import identity

ROOT = Path(__file__).resolve().parent.parent
KEY = "correct horse battery staple"
ID_A, ID_B = "A" * 22, "B" * 22  # browser ids (22 base64url characters, as the browser makes them)
GRID = np.pad(np.full((4, 1), 9), ((2, 2), (3, 4)))


@pytest.fixture
def class_key(monkeypatch):
    monkeypatch.setenv(ownership.TEACHER_KEY_ENV, KEY)


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv(ownership.TEACHER_KEY_ENV, raising=False)


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(database.ENV_URL, raising=False)
    return tmp_path / "data" / "drawings.sqlite"


def students():
    return ownership.actor_for(ID_A, "Ann"), ownership.actor_for(ID_B, "Ben")


# --- the rules ------------------------------------------------------------------------------------

def test_an_owner_is_a_hash_of_a_valid_browser_id_never_the_id_itself():
    a = ownership.owner_of(ID_A)
    assert ownership.OWNER_RE.match(a) and ID_A not in a and a != ownership.owner_of(ID_B)
    assert a == ownership.owner_of(ID_A), "the same browser is the same owner every time"
    for bad in (None, "", "short", "A" * 65, "A" * 21 + "!", "../" * 10, 12345):
        assert ownership.owner_of(bad) is None, bad


@pytest.mark.parametrize("who, owner, shared, sees, changes", [
    ("ann", "ann", False, True, True),      # her own private drawing
    ("ann", "ann", True, True, True),       # her own, shared
    ("ben", "ann", False, False, False),    # someone else's private drawing: not even seen
    ("ben", "ann", True, True, False),      # someone else's, shared: seen, not changed
    ("ben", None, True, True, False),       # nobody's (kept before owners): class pool, teacher's to change
    ("ben", None, False, True, False),      # nobody's is in the pool whatever its flag
    ("teacher", "ann", False, True, True),  # the teacher sees and changes everything
    ("teacher", None, True, True, True),
    ("unknown", "ann", False, False, False),  # a browser not yet identified owns nothing
    ("unknown", None, True, True, False),
])
def test_the_drawing_rules_with_a_key_set(class_key, who, owner, shared, sees, changes):
    ann, ben = students()
    actors = {"ann": ann, "ben": ben, "teacher": ownership.actor_for(ID_B, teacher=True),
              "unknown": ownership.actor_for(None)}
    owners = {"ann": ann.owner, None: None}
    actor = actors[who]
    assert ownership.may_see_drawing(actor, owners[owner], shared) is sees
    assert ownership.may_change_drawing(actor, owners[owner]) is changes
    assert ownership.may_replace_model(actor, owners[owner]) is changes  # models follow the same owner rule


def test_with_no_key_set_everyone_manages_everything(no_key):
    assert not ownership.rules_apply()
    ann, ben = students()
    assert ann.manages_all and ben.manages_all
    assert ownership.may_see_drawing(ben, ann.owner, False) and ownership.may_change_drawing(ben, ann.owner)
    assert ownership.may_replace_model(ben, ann.owner) and ownership.may_replace_model(ben, None)
    assert not ownership.is_teacher_key(""), "no key: nobody becomes the teacher, not even with an empty one"
    assert not ownership.is_teacher_key(KEY)


def test_the_teacher_key_is_checked_with_hmac_compare_digest(class_key, monkeypatch):
    assert ownership.is_teacher_key(KEY)
    for wrong in ("", KEY[:-1], KEY + " ", KEY.upper(), None, 42):
        assert not ownership.is_teacher_key(wrong), wrong
    calls = []

    def spy(a, b):
        calls.append((a, b))
        return False  # if the check used anything but compare_digest, the right key would still pass

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert not ownership.is_teacher_key(KEY)
    assert calls == [(KEY.encode(), KEY.encode())], "one constant-time comparison, on bytes"


def test_names_are_labels_cleaned_and_short():
    assert ownership.clean_name("  Sam \n\t Smith\x00 ") == "Sam Smith"
    assert ownership.clean_name("x" * 100) == "x" * ownership.MAX_NAME
    assert ownership.clean_name("\u202e\u200b") is None and ownership.clean_name(None) is None
    ann, ben = students()
    assert ownership.owner_label(ben, ann.owner, "Ann") == "Ann"
    assert ownership.owner_label(ann, ann.owner, "Ann") == "you"
    assert ownership.owner_label(ben, ann.owner, None) == "a classmate"
    assert ann.owner not in ownership.owner_label(ben, ann.owner, None)


# --- drawings in the database ---------------------------------------------------------------------

def test_drawings_a_student_sees_deletes_and_shares_only_their_own(class_key, db):
    ann, ben = students()
    teacher = ownership.actor_for(ID_B, teacher=True)
    a = drawings.add(1, GRID, actor=ann)
    b = drawings.add(7, GRID, actor=ben)
    assert [d.id for d in drawings.list_drawings(actor=ann)] == [a]
    assert [d.id for d in drawings.list_drawings(actor=ben)] == [b]
    assert drawings.list_drawings(actor=ben, only="pool") == []
    assert drawings.delete([a], actor=ben) == 0 and drawings.set_shared([a], True, actor=ben) == 0
    assert [d.id for d in drawings.list_drawings(actor=ann)] == [a], "Ben's delete of Ann's id did nothing"
    assert drawings.set_shared([a], True, actor=ann) == 1
    seen = drawings.list_drawings(actor=ben)
    assert [d.id for d in seen] == [b, a] and [d.id for d in drawings.list_drawings(actor=ben, only="pool")] == [a]
    assert seen[1].owner_name == "Ann" and seen[1].shared
    assert [d.id for d in drawings.list_drawings(actor=ben, only="mine")] == [b]
    assert drawings.delete([a, b], actor=ben) == 1, "only his own went"
    assert [d.id for d in drawings.list_drawings(actor=OPERATOR)] == [a]
    assert drawings.set_shared([a], False, actor=ann) == 1 and drawings.list_drawings(actor=ben) == []
    assert drawings.delete([a], actor=teacher) == 1 and drawings.list_drawings(actor=OPERATOR) == []


def test_training_on_kept_drawings_uses_ones_own_and_the_class_pool_never_anothers_private(class_key, db):
    from digitlab.jobs import Slots, TrainingJob

    ann, ben = students()
    drawings.add(1, GRID, actor=ann)  # private
    shared = drawings.add(7, GRID, actor=ann)
    drawings.set_shared([shared], True, actor=ann)
    mine = drawings.add(4, GRID, actor=ben)
    config = TrainConfig(drawings_weight=3, epochs=1)
    base = len(prepare(TrainConfig(epochs=1))[1].y_train)
    _, as_ben = prepare(config, actor=ben)
    assert sorted(as_ben.y_train[base:].tolist()) == [4, 4, 4, 7, 7, 7], "his own and the pool, not Ann's private 1"
    _, as_operator = prepare(config)  # the command line: every drawing
    assert sorted(as_operator.y_train[base:].tolist()) == [1, 1, 1, 4, 4, 4, 7, 7, 7]
    job = TrainingJob(config, slots=Slots(1), actor=ben).start()  # the Train page's way in
    assert job.join(120) and job.trained is not None
    assert sorted(job.trained.splits.y_train[base:].tolist()) == [4, 4, 4, 7, 7, 7]
    drawings.delete([mine, shared], actor=OPERATOR)
    drawings.set_shared([shared], False, actor=ann)
    with pytest.raises(ValueError, match="no drawings you can see"):
        prepare(config, actor=ben)


def test_a_drawing_kept_by_nobody_is_the_classes_and_only_a_manager_deletes_it(class_key, db):
    ann, _ = students()
    nobody = drawings.add(3, GRID, actor=ownership.actor_for(None))
    (d,) = drawings.list_drawings(actor=ann)
    assert d.id == nobody and d.owner is None and d.in_class_pool
    assert drawings.delete([nobody], actor=ann) == 0
    assert drawings.set_shared([nobody], False, actor=OPERATOR) == 0, "nobody's stays in the pool"
    assert drawings.delete([nobody]) == 1, "the command line (OPERATOR) manages everything"


def test_export_and_import_keep_to_what_a_student_sees(class_key, db):
    ann, ben = students()
    drawings.add(1, GRID, actor=ann, created="2025-01-01T00:00:00+00:00")
    text = drawings.export_csv(actor=ann)
    assert ann.owner not in text and ID_A not in text and "owner" not in text.splitlines()[0]
    assert drawings.export_csv(actor=ben).strip() == ",".join(drawings.CSV_FIELDS), "Ben exports nothing of Ann's"
    # Ben imports Ann's export: not a duplicate for him (he cannot see hers), so it becomes his own copy.
    assert drawings.import_csv(text, actor=ben) == (1, 0, [])
    assert drawings.import_csv(text, actor=ann) == (0, 1, [])
    mine = drawings.list_drawings(actor=ben)
    assert len(mine) == 1 and mine[0].owner == ben.owner and not mine[0].shared


def test_with_no_key_set_the_page_actor_sees_and_deletes_everything(no_key, db):
    page_actor = ownership.actor_for(None)
    ids = [drawings.add(d, GRID, actor=page_actor) for d in (1, 2)]
    assert [d.id for d in drawings.list_drawings(actor=page_actor)] == ids[::-1]
    assert drawings.delete(ids, actor=page_actor) == 2


OLD_V1 = """CREATE TABLE digitlab_schema (store TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL);
INSERT INTO digitlab_schema VALUES ('drawings', 1);
CREATE TABLE drawings (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL,
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9), prediction INTEGER CHECK (prediction BETWEEN 0 AND 9),
    model TEXT, grid TEXT NOT NULL, strokes TEXT NOT NULL DEFAULT '{}');
CREATE INDEX drawings_label ON drawings (label);"""


def test_a_version_1_database_migrates_and_its_rows_join_the_class_pool(class_key, tmp_path):
    path = tmp_path / "drawings.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_V1)
        conn.executemany("INSERT INTO drawings (created, label, grid) VALUES ('2025-01-01', ?, ?)",
                         [(label, ",".join(["0"] * 63 + ["5"])) for label in (3, 4)])
    ann, ben = students()
    old = drawings.list_drawings(path=path, actor=ann)
    assert [(d.label, d.owner, d.shared) for d in old] == [(4, None, True), (3, None, True)]
    assert database.schema_version(drawings.STORE, path) == 2
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(drawings)")}
        assert {"owner", "owner_name", "shared"} <= columns
        assert ("drawings_owner",) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    new = drawings.add(5, GRID, path=path, actor=ann)
    assert [d.id for d in drawings.list_drawings(path=path, actor=ben)] == [2, 1], "Ann's new one is private"
    assert drawings.delete([1, 2], path=path, actor=ben) == 0
    database._ready.clear()  # a second process opening the migrated file: nothing to do, nothing lost
    assert len(drawings.list_drawings(path=path)) == 3 and new == 3


def test_a_version_1_database_migrates_on_postgresql(class_key, tmp_path, monkeypatch):
    from sqlalchemy import create_engine, text

    from tests.support.postgres import create_database, postgres_server, unavailable

    try:
        server = postgres_server()
        url = create_database(server.__enter__(), "own_" + uuid.uuid4().hex[:10])
    except RuntimeError as exc:
        unavailable(f"cannot start PostgreSQL: {exc}")
    try:
        eng = create_engine(url)
        with eng.begin() as conn:
            for statement in OLD_V1.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "SERIAL PRIMARY KEY").split(";"):
                if statement.strip():
                    conn.execute(text(statement))
            conn.execute(text("INSERT INTO drawings (created, label, grid) VALUES ('2025-01-01', 3, :g)"),
                         {"g": ",".join(["0"] * 63 + ["5"])})
        eng.dispose()
        monkeypatch.setenv(database.ENV_URL, url)
        ann, ben = students()
        assert [(d.label, d.owner, d.shared) for d in drawings.list_drawings(actor=ann)] == [(3, None, True)]
        mine = drawings.add(1, GRID, actor=ann)
        assert [d.label for d in drawings.list_drawings(actor=ben)] == [3]
        assert drawings.delete([mine], actor=ben) == 0 and drawings.delete([mine], actor=ann) == 1
        assert database.schema_version(drawings.STORE) == 2
    finally:
        for eng in list(database._engines.values()):
            eng.dispose()
        server.__exit__(None, None, None)


# --- models ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained():
    config = TrainConfig(hidden=(8,), epochs=1)
    model, splits = prepare(config)
    return model, run_info(config, list(fit(model, splits, config)), 0.5)


def test_a_saved_model_is_its_savers_and_only_they_replace_or_delete_it(class_key, models_tmp, trained):
    model, info = trained
    ann, ben = students()
    teacher = ownership.actor_for(ID_B, teacher=True)
    with acting_as(ann):
        path = save_model(model, "anns", info)
    assert owner_of_file(path) == (True, ann.owner)
    loaded = load_model("anns")
    assert loaded.owner == ann.owner and loaded.info["owner_name"] == "Ann" and ID_A not in path.read_bytes().decode("latin-1")
    assert json.loads(path.with_suffix(".json").read_text())["owner"] == ann.owner
    before = path.read_bytes()
    with acting_as(ben), pytest.raises(ModelError, match="belongs to someone else"):
        save_model(model, "anns", info, overwrite=True)
    with pytest.raises(ModelError, match="belongs to someone else"):
        delete_model("anns", actor=ben)
    assert path.read_bytes() == before, "refused: the file is untouched"
    with acting_as(ann):
        save_model(model, "anns", info, overwrite=True)
    with acting_as(teacher):  # the teacher replaces anyone's; the model is then the teacher's
        save_model(model, "anns", info, overwrite=True)
    assert load_model("anns").owner == teacher.owner
    with pytest.raises(ModelError, match="belongs to someone else"):
        delete_model("anns", actor=ann)
    delete_model("anns", actor=teacher)
    assert not path.exists() and not path.with_suffix(".json").exists()


def test_models_without_an_owner_keep_loading_and_only_a_manager_replaces_them(class_key, models_tmp, trained):
    for suffix in (".safetensors", ".json"):
        shutil.copy(ROOT / "models" / f"default{suffix}", models_tmp / f"default{suffix}")
    model, info = trained
    save_model(model, "from-cli", info)  # no actor: the command line, owner nobody
    good, broken = list_models()
    assert broken == [] and {m.name: m.owner for m in good} == {"default": None, "from-cli": None}
    ann, _ = students()
    teacher = ownership.actor_for(ID_B, teacher=True)
    with acting_as(ann), pytest.raises(ModelError, match="belongs to nobody"):
        save_model(model, "from-cli", info, overwrite=True)
    with pytest.raises(ModelError, match="belongs to nobody"):
        delete_model("from-cli", actor=ann)
    for who in (ann, teacher, OPERATOR):
        with pytest.raises(ModelError, match="shipped model"):
            delete_model("default", actor=who)
    assert load_model("default").owner is None
    delete_model("from-cli")  # the command line may


def test_an_upload_becomes_the_uploaders_whoever_saved_the_file(class_key, models_tmp, trained, tmp_path):
    model, info = trained
    ann, ben = students()
    with acting_as(ann):
        data = save_model(model, "src", info, directory=tmp_path / "elsewhere").read_bytes()
    loaded = install_model(data, "bens-copy", actor=ben)
    assert loaded.owner == ben.owner and loaded.info["owner_name"] == "Ben" and loaded.unchecked is None
    assert owner_of_file(models_tmp / "bens-copy.safetensors") == (True, ben.owner)
    assert install_model(data, "as-is").owner == ann.owner, "the command line installs a file as it is"


def test_the_metadata_schema_refuses_a_malformed_owner(models_tmp, trained):
    model, info = trained
    with pytest.raises(ModelError, match="owner"):
        save_model(model, "bad", {**info, "owner": "not-a-hash"})


# --- the pages (AppTest) --------------------------------------------------------------------------

def my_drawings_page():
    from digitlab.ui import my_drawings

    my_drawings.page()


def models_page():
    from digitlab.ui import models

    models.page()


def as_browser(at: AppTest, browser_id: str | None, teacher: bool = False) -> AppTest:
    if browser_id:
        at.session_state[identity.ID_KEY] = browser_id
    at.session_state[identity.TEACHER_KEY] = teacher
    return at


def test_my_drawings_offers_controls_only_for_a_students_own(class_key, db, models_tmp):
    for suffix in (".safetensors", ".json"):
        shutil.copy(ROOT / "models" / f"default{suffix}", models_tmp / f"default{suffix}")
    ann, ben = students()
    a_private = drawings.add(1, GRID, actor=ann)
    a_shared = drawings.add(2, GRID, actor=ann, shared=True)
    b_own = drawings.add(3, GRID, actor=ben)
    at = as_browser(AppTest.from_function(my_drawings_page, default_timeout=60), ID_B).run()
    assert not at.exception
    assert {c.key for c in at.checkbox} == {f"mine_pick_{b_own}"}, "his own only"
    at.segmented_control(key="mine_scope").set_value("Class pool").run()
    assert {c.key for c in at.checkbox} == set(), "Ann's shared drawing is shown without a control"
    assert any("Ann · shared" in c.value for c in at.caption)
    assert not any(str(a_private) in c.key for c in at.checkbox)
    teacher = as_browser(AppTest.from_function(my_drawings_page, default_timeout=60), ID_B, teacher=True).run()
    teacher.segmented_control(key="mine_scope").set_value("Everyone's").run()
    assert {c.key for c in teacher.checkbox} == {f"mine_pick_{i}" for i in (a_private, a_shared, b_own)}


def test_my_drawings_waits_for_the_browser_to_say_who_it_is(class_key, db):
    ann, _ = students()
    drawings.add(1, GRID, actor=ann, shared=True)
    at = AppTest.from_function(my_drawings_page, default_timeout=60).run()
    assert not at.exception and not at.checkbox and any("Recognising this browser" in c.value for c in at.caption)


def test_my_drawings_with_no_key_set_is_as_before(no_key, db, models_tmp):
    for suffix in (".safetensors", ".json"):
        shutil.copy(ROOT / "models" / f"default{suffix}", models_tmp / f"default{suffix}")
    ids = [drawings.add(d, GRID) for d in (1, 2)]
    at = AppTest.from_function(my_drawings_page, default_timeout=60).run()
    assert {c.key for c in at.checkbox} == {f"mine_pick_{i}" for i in ids}
    assert not at.segmented_control and not any(b.key in ("mine_share", "mine_unshare") for b in at.button)


def test_the_models_page_lets_a_student_delete_only_their_own(class_key, models_tmp, trained):
    for suffix in (".safetensors", ".json"):
        shutil.copy(ROOT / "models" / f"default{suffix}", models_tmp / f"default{suffix}")
    model, info = trained
    ann, ben = students()
    with acting_as(ann):
        save_model(model, "anns", info)
    with acting_as(ben):
        save_model(model, "bens", info)
    at = as_browser(AppTest.from_function(models_page, default_timeout=60), ID_B).run()
    assert not at.exception
    assert at.selectbox(key="models_delete_pick").options == ["bens"]
    table = at.dataframe[0].value
    assert dict(zip(table["name"], table["owner"])) == {"default": "nobody (class)", "anns": "Ann", "bens": "you"}
    assert ann.owner not in table.to_string() and ben.owner not in table.to_string()
    at.checkbox(key="models_delete_sure").check().run()
    at.button(key="models_delete_go").click().run()
    assert not (models_tmp / "bens.safetensors").exists() and (models_tmp / "anns.safetensors").exists()
    teacher = as_browser(AppTest.from_function(models_page, default_timeout=60), ID_B, teacher=True).run()
    assert teacher.selectbox(key="models_delete_pick").options == ["anns"], "never the shipped default"


def save_panel_page():
    """The Train page's Keep-it panel over a finished run (a stand-in job whose save is the real
    save through the service's path: store.save_model, inside the page's acting_as)."""
    from digitlab.store import save_model
    from digitlab.train import TrainConfig, prepare, run_info
    from digitlab.ui import train_results

    class FinishedJob:
        id = 1

        def save(self, name, *, overwrite=False):
            config = TrainConfig(hidden=(8,), epochs=1)
            model, _ = prepare(config)
            return save_model(model, name, run_info(config, [], 0.0), overwrite=overwrite)

    train_results.save_panel(FinishedJob())


def test_the_train_page_offers_no_replace_tick_for_another_owners_model(class_key, models_tmp, trained):
    model, info = trained
    ann, ben = students()
    with acting_as(ann):
        save_model(model, "anns", info)
    before = (models_tmp / "anns.safetensors").read_bytes()
    at = as_browser(AppTest.from_function(save_panel_page, default_timeout=60), ID_B).run()
    at.text_input(key="train_name_1").set_value("anns").run()
    assert not at.checkbox, "no 'Replace the saved model' tick for Ann's model"
    assert any("not yours to replace" in w.value for w in at.warning)
    assert at.button(key="train_save_1").disabled
    assert (models_tmp / "anns.safetensors").read_bytes() == before
    mine = as_browser(AppTest.from_function(save_panel_page, default_timeout=60), ID_A).run()
    mine.text_input(key="train_name_1").set_value("anns").run()
    mine.checkbox(key="train_overwrite_1").check().run()
    mine.button(key="train_save_1").click().run()
    assert not mine.exception and not mine.error
    assert (models_tmp / "anns.safetensors").read_bytes() != before and load_model("anns").owner == ann.owner
    ben_saves = as_browser(AppTest.from_function(save_panel_page, default_timeout=60), ID_B).run()
    ben_saves.text_input(key="train_name_1").set_value("bens").run()
    ben_saves.button(key="train_save_1").click().run()
    assert load_model("bens").owner == ben.owner, "a model saved from the page is its saver's"


def test_a_model_from_explores_train_best_is_the_savers(class_key, models_tmp, tmp_path):
    from digitlab.jobs import DONE, Slots
    from digitlab.sweep import SweepConfig, load_study, run_sweep, train_best_job

    config = SweepConfig(trials=1, base=TrainConfig(epochs=1), study="owned", storage=f"sqlite:///{tmp_path / 's.db'}")
    list(run_sweep(config))
    ann, _ = students()
    job = train_best_job(load_study("owned", config.storage), "anns-best", actor=ann, slots=Slots(1)).start()
    assert job.join(120) and job.state == DONE, job.error
    assert owner_of_file(models_tmp / "anns-best.safetensors")[1] == ann.owner
