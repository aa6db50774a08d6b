"""The Models page's "Download as ONNX": the file it gives runs in onnxruntime and agrees with the model."""
import numpy as np
import onnxruntime as ort
from playwright.sync_api import expect

from digitlab.data import load_splits
from digitlab.model import predict_proba
from digitlab.store import load_model
from tests.support.browser import wait_idle


def test_download_the_weak_model_as_onnx_and_run_it(page, app_url, models_folder, tmp_path):
    page.goto(app_url + "/models")
    expect(page.get_by_text("Download a model")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="weak").click()
    wait_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download weak as ONNX").click()
    assert download.value.suggested_filename == "weak.onnx"
    path = tmp_path / "weak.onnx"
    download.value.save_as(path)
    x = load_splits(val_fraction=0.0).x_test.astype(np.float32)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"counts": x})[0]
    expected = predict_proba(load_model(models_folder / "weak.safetensors").model, x)
    assert np.abs(got - expected).max() <= 1e-5
