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
from tests.console.conftest import LONG_ATTRIBUTE, LONG_CLASSES, LongClassModel
from tests.support.retrained_groups import retrained_group
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


#: For each chart under ``selector``: its SVG's box, its tick labels' and axis titles' boxes and texts.
LABEL_BOXES = """selector => [...document.querySelectorAll(selector + ' .main-svg')].slice(0, 1).map(svg => {
    const box = element => { const r = element.getBoundingClientRect();
        return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, text: element.textContent}; };
    const root = svg.closest('.js-plotly-plot');
    return {
        svg: box(svg),
        xticks: [...root.querySelectorAll('.xaxislayer-above .xtick text')].map(box),
        yticks: [...root.querySelectorAll('.yaxislayer-above .ytick text')].map(box),
        xtitle: [...root.querySelectorAll('.g-xtitle text')].map(box),
        ytitle: [...root.querySelectorAll('.g-ytitle text')].map(box),
    };
})[0]"""


#: True once a chart has been redrawn for a narrow screen, with its long class names cut shorter.
SHORT_LABELS = """selector => [...document.querySelectorAll(selector + ' .ytick text')]
    .every(text => text.textContent.length <= 12)"""


def _inside(inner: dict[str, Any], outer: dict[str, Any]) -> bool:
    return (
        inner["left"] >= outer["left"] - 0.5
        and inner["right"] <= outer["right"] + 0.5
        and inner["top"] >= outer["top"] - 0.5
        and inner["bottom"] <= outer["bottom"] + 0.5
    )


def _overlap(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return not (
        one["right"] <= other["left"]
        or other["right"] <= one["left"]
        or one["bottom"] <= other["top"]
        or other["bottom"] <= one["top"]
    )


def assert_labels_fit(page: Any, selector: str, axes: str) -> dict[str, Any]:
    """Every tick label of ``axes`` ("x", "y" or "xy") lies inside the chart and clear of the axis title."""
    chart = page.evaluate(LABEL_BOXES, selector)
    assert chart is not None, f"no chart drawn at {selector}"
    for axis in axes:
        ticks, titles = chart[f"{axis}ticks"], chart[f"{axis}title"]
        assert ticks, f"{selector}: no {axis} tick labels"
        for tick in ticks:
            assert _inside(tick, chart["svg"]), f"{selector}: {axis} tick {tick['text']!r} is cut: {tick}"
            for title in titles:
                assert not _overlap(tick, title), f"{selector}: {axis} title covers tick {tick['text']!r}"
    return chart


def test_long_class_and_attribute_names_fit_their_charts_and_the_server_url_opens_the_console(
    page: Any, server: LiveServer, long_class_model: LongClassModel
) -> None:
    # The server's own URL, as a person would open it, leads to the console (its sign-in first).
    page.goto(server.url + "/")
    assert page.url.startswith(server.url + "/console/sign-in")
    page.get_by_label("Access key ID").fill(ACCESS_KEY_ID)
    page.get_by_label("Secret access key").fill(SECRET_ACCESS_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()

    # Long IDs stay on one line, cut with an ellipsis, whole in the title.
    page.get_by_label("Search").fill(long_class_model.model_id)
    page.get_by_role("button", name="Apply").click()
    link = page.get_by_role("link", name=long_class_model.model_id, exact=True)
    assert link.evaluate("a => getComputedStyle(a).whiteSpace") == "nowrap"
    assert link.get_attribute("title") == long_class_model.model_id

    # The confusion matrix: the class names are whole (or cut at their end) and clear of the titles.
    page.goto(f"{server.url}/console/evaluations/{long_class_model.evaluation_id}")
    page.locator('[data-figure="confusion"] .main-svg').first.wait_for()
    confusion = assert_labels_fit(page, '[data-figure="confusion"]', "xy")
    names = [tick["text"] for tick in confusion["yticks"]]
    for long_name in LONG_CLASSES[:2]:
        prefix = long_name[: len(long_name) - len("_LONG_CLASS_NAME")]
        assert any(name.startswith(prefix) for name in names), f"{long_name} is not readable in {names}"
    snap(page, "10-long-class-names-evaluation")
    page.set_viewport_size(PHONE)
    page.wait_for_function(SHORT_LABELS, arg='[data-figure="confusion"]')
    assert_labels_fit(page, '[data-figure="confusion"]', "xy")
    page.screenshot(path=str(ARTIFACTS / "10-long-class-names-confusion-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    # The datasource: the target chart's class names and the ranking's attribute names fit too.
    page.goto(f"{server.url}/console/datasources/{long_class_model.data_source_id}")
    page.locator('[data-figure="target"] .main-svg').first.wait_for()
    assert_labels_fit(page, '[data-figure="target"]', "xy")
    assert_labels_fit(page, '[data-figure="correlation"]', "y")
    name_cell = page.locator("button.link", has_text=LONG_ATTRIBUTE)
    next_cell = name_cell.locator("xpath=ancestor::td/following-sibling::td[1]")
    assert name_cell.bounding_box()["x"] + name_cell.bounding_box()["width"] <= next_cell.bounding_box()["x"]
    snap(page, "11-long-class-names-datasource")

    # The model: its ensemble, and a long attribute name that stays inside its field.
    page.goto(f"{server.url}/console/mlmodels/{long_class_model.model_id}")
    assert page.locator("#algorithm").inner_text().startswith("AutoML")
    label = page.locator("label", has_text=LONG_ATTRIBUTE)
    field = label.locator("xpath=..")
    assert label.bounding_box()["width"] <= field.bounding_box()["width"] + 0.5
    page.get_by_label("Paste a CSV row").fill(f"{long_class_model.header}\n{long_class_model.row}")
    page.get_by_role("button", name="Predict from the row").click()
    assert page.locator("#predicted-label").inner_text() in LONG_CLASSES
    snap(page, "12-long-class-names-model")
    assert page.errors == [], page.errors


def test_the_model_group_page_promotes_with_a_click(page: Any, server: LiveServer) -> None:
    retrained = retrained_group(server)
    group = retrained["group"]
    page.goto(server.url + f"/console/mlmodels/{group}")
    page.get_by_label("Access key ID").fill(ACCESS_KEY_ID)
    page.get_by_label("Secret access key").fill(SECRET_ACCESS_KEY)
    page.get_by_role("button", name="Sign in").click()

    # The model page links to its group: versions, the comparison chart, the history.
    page.get_by_role("link", name=f"Versions of {group}").click()
    page.get_by_role("heading", name=group, exact=True).wait_for()
    chart = page.locator("#comparison-chart svg")
    assert chart.bounding_box()["width"] > 300
    assert page.locator('#versions tr[data-version="1"] .alias.champion').inner_text() == "champion"
    snap(page, "13-model-group")

    # Promote the challenger: the confirmation is accepted and the alias moves.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#versions tr[data-version="2"]').get_by_role("button", name="Promote to champion").click()
    page.get_by_text(f"champion now points at {group}.v2 (was v1).").wait_for()
    assert page.locator('#versions tr[data-version="2"] .alias.champion').inner_text() == "champion"
    assert page.locator("#champion-name").inner_text() == f"{group}.v2"
    ml = server.client()
    assert ml.get_ml_model(MLModelId=group)["MLModelId"] == f"{group}.v2"
    snap(page, "14-model-group-promoted")

    # Roll back: champion returns to v1.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Roll back to {group}.v1").click()
    page.get_by_text(f"champion now points at {group}.v1 (was v2).").wait_for()
    assert ml.get_ml_model(MLModelId=group)["MLModelId"] == group
    assert page.errors == [], page.errors
