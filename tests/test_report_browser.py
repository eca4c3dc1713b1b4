"""The report in a real browser: headless Chromium opens it from disk, sorts a table, shows every image."""

import os
import shutil
from pathlib import Path

import pytest
from tiny import run_tiny

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install .[test])")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium and ChromeDriver are missing (apt-get install chromium chromium-driver)",
)
ARTIFACTS = Path(os.environ.get("NORMBENCH_TEST_ARTIFACTS", "test-artifacts"))


@pytest.fixture
def browser(tmp_path, monkeypatch):
    monkeypatch.setenv("SE_OFFLINE", "true")  # never let Selenium Manager look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def test_report_opens_from_disk_sorts_and_shows_every_image(tmp_path, browser):
    from selenium.webdriver.common.by import By

    assert run_tiny(tmp_path, "--norms", "in,bn,none", baselines=None) == 0
    browser.get((tmp_path / "runs" / "r" / "report.html").as_uri())
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    images = browser.find_elements(By.TAG_NAME, "img")
    assert images and all(browser.execute_script("return arguments[0].naturalWidth", img) > 0 for img in images)
    headers = browser.find_elements(By.CSS_SELECTOR, "#detail th")
    index = [h.text for h in headers].index("lpips")
    header = headers[index]

    def column():
        return [
            float(row.find_elements(By.TAG_NAME, "td")[index].get_attribute("data-value"))
            for row in browser.find_elements(By.CSS_SELECTOR, "#detail tbody tr")
        ]

    header.click()
    assert column() == sorted(column()) and len(set(column())) > 2
    header.click()
    assert column() == sorted(column(), reverse=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "report.png"))


def test_the_first_screen_at_1400_by_900_holds_the_answer_and_the_chart(tmp_path, browser):
    from selenium.webdriver.common.by import By

    assert run_tiny(tmp_path, "--norms", "in,bn", metrics="distances", baselines=None) == 0
    browser.set_window_size(1400, 900)
    browser.get((tmp_path / "runs" / "r" / "report.html").as_uri())
    height = browser.execute_script("return window.innerHeight")
    answer = browser.find_element(By.CSS_SELECTOR, "#answer .answer-sentence")
    charts = browser.find_elements(By.CSS_SELECTOR, "#headline svg")
    assert answer.text and len(charts) == 2
    for element in (answer, *charts):
        box = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", element)
        assert box["top"] >= 0 and box["top"] + box["height"] / 2 < height, box  # at least half on screen
    caveats = browser.find_element(By.ID, "caveats")
    assert caveats.tag_name == "details" and "Caveats" in caveats.text
    # NOTE: random features change any quality answer, so the panel opens itself
    assert caveats.get_attribute("open") is not None
    for link in browser.find_elements(By.CSS_SELECTOR, "nav.toc a"):
        assert browser.find_elements(By.ID, link.get_attribute("href").split("#")[1]), link.text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "first_screen.png"))
