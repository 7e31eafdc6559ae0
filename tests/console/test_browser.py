"""The console in a real browser: from a dev dataset to an evaluated model and a prediction.

Headless Chromium (Debian's ``chromium`` package) driven by Playwright with its executable path; the
test skips with the reason when either is missing. Screenshots of every page are written to
``test-artifacts/console/`` at 1280 px and at phone width.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("OPENAML_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
JOB_TIMEOUT_MS = 180_000
#: True once every chart has followed a change of the window's width (plotly redraws on resize).
FITS_SCREEN = """() => [...document.querySelectorAll('.js-plotly-plot .main-svg')]
    .every(svg => svg.getBoundingClientRect().right <= window.innerWidth)"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; never `playwright install`)")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab that records every script error and console error of the pages."""
    context = browser.new_context(viewport=DESKTOP)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.errors = errors
    yield tab
    context.close()


def snap(page: Any, name: str, *, phone: bool = True) -> None:
    """Screenshots of the current page at desktop width and, optionally, at phone width."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if phone:
        page.set_viewport_size(PHONE)
        page.wait_for_function(FITS_SCREEN)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        assert overflow <= 1, f"{name} scrolls sideways by {overflow} px at phone width"


def wait_until_status(page: Any, status: str, selector: str = "main > p .status") -> None:
    """Wait for the page (which reloads itself when its job ends) to show ``status``."""
    page.locator(f"{selector}.s-{status}").first.wait_for(timeout=JOB_TIMEOUT_MS)


def test_from_a_dev_dataset_to_an_evaluated_model_and_a_prediction(
    page: Any, server: LiveServer, datasets_dir: Path, ml: Any, new_id: Callable[[str], str]
) -> None:
    # Sign in: every page sends a visitor there first.
    page.goto(server.url + "/console/")
    assert page.url.startswith(server.url + "/console/sign-in")
    page.get_by_label("Access key ID").fill(ACCESS_KEY_ID)
    page.get_by_label("Secret access key").fill(SECRET_ACCESS_KEY)
    snap(page, "01-sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    snap(page, "02-dashboard")

    # Create a datasource from titanic.csv; the page follows the ingest job live.
    data_source_id = new_id("ds")
    page.get_by_role("link", name="Create datasource").click()
    page.get_by_label("Location").fill(str(datasets_dir / "titanic.csv"))
    page.get_by_label("Target attribute (what to predict)").fill("survived")
    page.get_by_label("Datasource ID").fill(data_source_id)
    snap(page, "03-create-datasource")
    page.get_by_role("button", name="Create datasource").click()
    wait_until_status(page, "COMPLETED")
    page.locator("#attribute-chart .main-svg").first.wait_for()
    page.get_by_label("Distribution of attribute").select_option("age")
    snap(page, "04-datasource")

    # Train an SGD model on a 70 % split; the evaluation on the other 30 % is created with it.
    model_id = new_id("ml")
    page.get_by_role("link", name="Train a model on it").click()
    assert page.get_by_label("Model type").input_value() == "BINARY", "suggested from the target"
    page.get_by_label("Model ID").fill(model_id)
    page.get_by_label("Amazon ML's SGD model (fast, linear)").check()
    snap(page, "05-train-model", phone=False)
    page.get_by_role("button", name="Train").click()
    page.get_by_text(f"Model {model_id} is training.").wait_for()
    wait_until_status(page, "COMPLETED")
    snap(page, "06-model")

    # The evaluation: move the cut-off, watch the metrics follow, save it as the model's threshold.
    page.get_by_role("link", name=f"{model_id}: held-out 30 %").click()
    wait_until_status(page, "COMPLETED")
    page.locator('[data-figure="confusion"] .main-svg').first.wait_for()
    accuracy = page.locator('[data-cutoff-metric="accuracy"]')
    before = accuracy.inner_text()
    page.get_by_label("Cut-off", exact=True).fill("0.2")
    assert page.get_by_label("Cut-off value").input_value() == "0.20"
    assert accuracy.inner_text() != before, "the metrics follow the cut-off"
    snap(page, "07-evaluation")
    page.get_by_role("button", name="Save as the model's score threshold").click()
    page.get_by_text("set to 0.2").wait_for()
    assert ml.get_ml_model(MLModelId=model_id)["ScoreThreshold"] == pytest.approx(0.2)

    # Back on the model: enable real-time predictions and try one.
    page.get_by_role("link", name=model_id).first.click()
    page.get_by_role("button", name="Enable real-time predictions").click()
    page.locator("#endpoint .status.s-READY").wait_for(timeout=JOB_TIMEOUT_MS)
    page.get_by_role("textbox", name="pclass numeric").fill("1")
    page.get_by_role("combobox", name="sex categorical").fill("female")
    page.get_by_role("textbox", name="age numeric").fill("30")
    page.get_by_role("button", name="Predict", exact=True).click()
    label = page.locator("#predicted-label")
    assert label.inner_text() in ("0", "1")
    snap(page, "08-prediction")

    # The dashboard lists what the flow made, with links between them.
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_label("Search").fill(model_id)
    page.get_by_role("button", name="Apply").click()
    assert page.get_by_role("link", name=f"{model_id}: held-out 30 %").count() == 1
    assert page.get_by_role("link", name=f"{model_id}: training 70 %").count() == 1
    snap(page, "09-dashboard-search")

    assert page.errors == [], page.errors
