"""Real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium
against pytest-django's ``live_server``. Nothing is downloaded: the driver and the browser are
given by path, so Selenium Manager has nothing to fetch. Without Chromium the tests skip."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = (1280, 900)
PHONE = (390, 844)


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements-dev.txt)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            return f"{path} not found: apt-get install chromium chromium-driver (CI installs them)"
    return None


@pytest.fixture
def browser():
    """A fresh headless Chromium with its own throwaway profile."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never reach out
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        "--disable-extensions",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(flag)
    # The console, to see Content-Security-Policy violations (they are logged as errors).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
        # Every test also checks that no page it visited broke the policy: a blocked script or
        # style would silently take a chart, a menu or the API docs away.
        assert csp_violations(driver) == []
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def csp_violations(driver) -> list[str]:
    """The Content-Security-Policy violations Chromium reported since the last call."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def screenshot(driver, name: str, *, size: tuple[int, int] = DESKTOP) -> Path:
    """Save the whole page (not just the window) at ``size`` as var/screenshots/<name>.png,
    through Chromium's DevTools (no window tricks)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(*size)
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    content = metrics["cssContentSize"]
    clip = {
        "x": 0,
        "y": 0,
        "width": content["width"],
        "height": min(content["height"], 8000),
        "scale": 1,
    }
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path = SCREENSHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.stat().st_size > 1000
    return path
