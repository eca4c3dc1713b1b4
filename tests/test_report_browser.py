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
