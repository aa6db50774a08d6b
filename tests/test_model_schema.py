"""One schema for model metadata (digitlab/metadata.py), checked wherever a model comes in:
save, load, upload (install_model) and `python -m digitlab models`."""
import json

import pytest
import torch

from digitlab import metadata
from digitlab.cli import main
from digitlab.store import ModelError, check_name, install_model, list_models, load_model, resolve, save_model
from tests.support.model_files import genuine_model_bytes, with_metadata


@pytest.fixture(scope="module")
def genuine() -> bytes:
    return genuine_model_bytes()


def test_a_genuine_file_passes(genuine, models_tmp):
    loaded = install_model(genuine, "fine")
    assert metadata.problem(loaded.info) is None
    assert loaded.info["metrics"]["test_accuracy"] == 0.5


# The exact uploads from issue 19, each with where the problem is.
@pytest.mark.parametrize("field, value, where", [
    ("metrics", ["a"], "metrics"),
    ("metrics", {"test_accuracy": "99%"}, "metrics/test_accuracy"),
    ("train", "oops", "train"),
    ("history", [{"epoch": "one"}], "history/0"),
    ("metrics", {"test_accuracy": float("nan")}, "metrics/test_accuracy"),
])
def test_wrong_types_in_an_upload_are_refused_with_the_place(genuine, models_tmp, field, value, where):
    bad = with_metadata(genuine, lambda m: m.__setitem__(field, value))
    with pytest.raises(ModelError, match=f"metadata is invalid: {where}"):
        install_model(bad, "bad")
    assert not list(models_tmp.iterdir()), "nothing written"


def test_a_broken_file_in_the_folder_is_listed_with_its_reason(genuine, models_tmp, capsys):
    (models_tmp / "good.safetensors").write_bytes(genuine)
    (models_tmp / "bad.safetensors").write_bytes(with_metadata(genuine, lambda m: m.__setitem__("metrics", ["a"])))
    good, broken = list_models()
    assert [m.name for m in good] == ["good"]
    assert [(p.name, "metrics: ['a'] is not of type 'object'" in r) for p, r in broken] == [("bad.safetensors", True)]
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "good" in out and "BROKEN bad.safetensors" in out and "metrics" in out


def test_a_hand_edited_sidecar_that_fails_falls_back_to_the_embedded_copy(genuine, models_tmp):
    loaded = install_model(genuine, "m")
    sidecar = json.loads((models_tmp / "m.json").read_text())
    sidecar["train"] = "oops"  # keeps its weights_sha256, so it still claims these weights
    (models_tmp / "m.json").write_text(json.dumps(sidecar))
    again = load_model("m")
    assert again.info["train"] == loaded.info["train"]
    assert "m.json is invalid (train:" in again.warnings[0]


def test_save_checks_the_schema_too(genuine, models_tmp):
    model = load_model(_installed(genuine, "src")).model
    with pytest.raises(ModelError, match="metrics: 'x' is not of type 'object'"):
        save_model(model, "nope", {"metrics": "x"})
    assert not (models_tmp / "nope.safetensors").exists()


def test_save_refuses_non_finite_weights(genuine, models_tmp):
    model = load_model(_installed(genuine, "src")).model
    with torch.no_grad():
        next(model.parameters())[0, 0] = float("nan")
    with pytest.raises(ModelError, match="NaN or infinite"):
        save_model(model, "boom", {})
    assert not (models_tmp / "boom.safetensors").exists()


def test_a_config_naming_huge_layers_is_refused_without_allocating_them(genuine, models_tmp):
    def huge(m):
        m["model"]["hidden"] = [1_000_000, 1_000_000]
    with pytest.raises(ModelError, match="tensors do not match its config"):
        install_model(with_metadata(genuine, huge), "huge")


def test_deeply_nested_metadata_is_refused(genuine, models_tmp):
    def deep(m):
        return json.dumps(m)[:-1] + ', "extra": ' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(ModelError, match="not a DigitLab model"):
        install_model(with_metadata(genuine, deep), "deep")


@pytest.mark.parametrize("name", ["v1.json", "v1.safetensors", "V1.JSON"])
def test_names_that_would_read_as_files_are_refused(name):
    with pytest.raises(ModelError, match="can't end in .safetensors or .json"):
        check_name(name)


def test_a_bare_name_with_a_suffix_means_the_model_of_that_name(genuine, models_tmp, tmp_path, monkeypatch):
    _installed(genuine, "mine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no ./mine.safetensors here
    assert resolve("mine.json") == models_tmp / "mine.safetensors"
    assert resolve("mine.safetensors") == models_tmp / "mine.safetensors"


def _installed(data, name):
    install_model(data, name)
    return name
