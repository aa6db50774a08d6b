import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from digitlab.data import load_splits
from digitlab.model import predict_proba
from digitlab.store import ModelError, list_models, load_model, resolve, save_model, tensors_sha256
from tests.support.model_files import tiny_model


@pytest.fixture(scope="module")
def trained():
    return tiny_model()


def test_round_trip_gives_identical_probabilities(models_tmp, trained):
    model, info = trained
    path = save_model(model, "round", info)
    assert path == models_tmp / "round.safetensors" and (models_tmp / "round.json").exists()
    loaded = load_model("round")
    x = load_splits().x_test
    assert np.array_equal(predict_proba(model, x), predict_proba(loaded.model, x))
    assert loaded.info["train"]["hidden"] == [32, 16] and loaded.warnings == []
    assert not loaded.model.training


def test_no_silent_overwrite_and_default_is_protected(models_tmp, trained):
    model, info = trained
    save_model(model, "once", info)
    with pytest.raises(ModelError, match="already exists"):
        save_model(model, "once", info)
    save_model(model, "once", info, overwrite=True)
    with pytest.raises(ModelError, match="shipped"):
        save_model(model, "default", info)


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "", "a" * 65, "a/b", "..", ".hidden", "ünï"])
def test_bad_names_are_refused(models_tmp, trained, name):
    with pytest.raises(ModelError, match="invalid model name"):
        save_model(trained[0], name, trained[1])


def test_a_pickle_posing_as_a_model_is_refused_and_never_run(models_tmp, tmp_path):
    class Boom:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    (models_tmp / "evil.safetensors").write_bytes(pickle.dumps(Boom()))
    torch.save({"w": torch.zeros(2)}, models_tmp / "zipped.safetensors")  # torch's zip+pickle format
    for name in ("evil", "zipped"):
        with pytest.raises(ModelError, match="not a valid safetensors"):
            load_model(name)
    assert not (tmp_path / "pwned").exists()


def test_tensors_must_match_the_config(models_tmp, trained):
    """Crafted files whose checksum is right for their tensors: the other checks still catch them."""
    model, info = trained
    path = save_model(model, "shapes", info)
    sidecar = json.loads((models_tmp / "shapes.json").read_text())

    def save_crafted(tensors):
        save_file(tensors, path, metadata={"digitlab": json.dumps({**sidecar, "tensors_sha256": tensors_sha256(tensors)})})

    tensors = {k: v.clone() for k, v in model.state_dict().items()}
    tensors["net.0.weight"] = torch.zeros(5, 64)
    save_crafted(tensors)
    with pytest.raises(ModelError, match="wrong shapes"):
        load_model("shapes")
    tensors = {k: v.clone() for k, v in model.state_dict().items()}
    tensors["extra"] = torch.zeros(1)
    del tensors["net.3.bias"]
    save_crafted(tensors)
    with pytest.raises(ModelError, match=r"missing \['net.3.bias'\].*unexpected \['extra'\]"):
        load_model("shapes")
    tensors = {k: v.clone() for k, v in model.state_dict().items()}
    tensors["net.0.weight"][0, 0] = float("nan")
    save_crafted(tensors)
    with pytest.raises(ModelError, match="NaN"):
        load_model("shapes")


def test_plain_safetensors_without_our_metadata_is_refused(models_tmp):
    save_file({"w": torch.zeros(2)}, models_tmp / "foreign.safetensors")
    with pytest.raises(ModelError, match="not a DigitLab model"):
        load_model("foreign")


def test_missing_or_stale_sidecar_falls_back_to_embedded_metadata(models_tmp, trained):
    model, info = trained
    save_model(model, "side", info)
    (models_tmp / "side.json").write_text("{ not json")
    loaded = load_model("side")
    assert loaded.info["train"]["hidden"] == [32, 16] and "not valid JSON" in loaded.warnings[0]
    (models_tmp / "side.json").unlink()
    assert "missing" in load_model("side").warnings[0]


def test_listing_skips_and_reports_broken_files(models_tmp, trained):
    save_model(trained[0], "good", trained[1])
    (models_tmp / "bad.safetensors").write_bytes(b"\x00" * 10)
    good, broken = list_models()
    assert [m.name for m in good] == ["good"]
    assert [p.name for p, _ in broken] == ["bad.safetensors"]


def test_resolve_reports_missing_models(models_tmp):
    with pytest.raises(ModelError, match="no model"):
        resolve("nothing-here")
    with pytest.raises(ModelError, match="no model"):
        resolve(str(models_tmp / "nope.safetensors"))


def test_install_validates_uploads_before_they_can_be_picked(models_tmp, trained, tmp_path):
    from digitlab.store import install_model

    model, info = trained
    good = save_model(model, "source", info, directory=tmp_path / "elsewhere").read_bytes()
    loaded = install_model(good, "uploaded")
    assert loaded.name == "uploaded" and loaded.warnings == [] and (models_tmp / "uploaded.json").exists()
    with pytest.raises(ModelError, match="already exists"):
        install_model(good, "uploaded")
    with pytest.raises(ModelError, match="not a valid safetensors"):
        install_model(pickle.dumps({"w": 1}), "evil")
    with pytest.raises(ModelError, match="limit"):
        install_model(good, "big", max_bytes=1000)
    with pytest.raises(ModelError, match="invalid model name"):
        install_model(good, "../escape")
    assert sorted(p.name for p in models_tmp.iterdir() if p.is_file()) == ["uploaded.json", "uploaded.safetensors"]
