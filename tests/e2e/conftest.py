import os
import shutil
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, ROOT, launch, streamlit_app


def _browser_required() -> bool:
    return bool(os.environ.get("DIGITLAB_REQUIRE_BROWSER") or os.environ.get("CI"))


@pytest.fixture(scope="session")
def playwright_instance():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: apt-get install -y chromium"
        if _browser_required():
            pytest.fail(message + " (browser tests must run in CI)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    b = launch(playwright_instance)
    yield b
    b.close()


@pytest.fixture(scope="session")
def models_folder(tmp_path_factory):
    """The shipped default plus a deliberately weak second model, so switching visibly matters."""
    folder = tmp_path_factory.mktemp("models")
    for suffix in (".safetensors", ".json"):
        shutil.copy(ROOT / "models" / f"default{suffix}", folder / f"default{suffix}")
    from digitlab.store import save_model
    from digitlab.train import TrainConfig, fit, prepare, run_info

    config = TrainConfig(hidden=(8,), epochs=2, lr=1e-3)
    model, splits = prepare(config)
    history = list(fit(model, splits, config))
    save_model(model, "weak", run_info(config, history, 0.0), directory=folder)
    return folder


@pytest.fixture(scope="module")
def app_url(models_folder):
    with streamlit_app(ROOT / "app.py", env={"DIGITLAB_MODELS_DIR": str(models_folder)}) as url:
        yield url


@pytest.fixture
def page(browser, app_url):
    p = browser.new_page(viewport={"width": 1440, "height": 900})
    yield p
    p.close()
