"""Fixtures for the browser tests: a whole Printyard (tests/harness.py) and a headless
Chromium driven by selenium.

browser      a fresh Chromium per test (1280x900); on failure its screenshot goes to
             tests/browser/screenshots/<test>.png
server, base_url, make_user, owner_token, api   as in the API tests
"""
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import (  # noqa: E402,F401  (fixtures and hooks are found by name)
    api, base_url, make_user, owner_token, pytest_sessionfinish, server)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
WINDOW = (1280, 900)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="printyard-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--no-first-run",
                "--window-size=%d,%d" % WINDOW, "--user-data-dir=" + profile):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.set_window_size(*WINDOW)
        driver.implicitly_wait(0)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed or rep.when not in ("setup", "call"):
        return
    driver = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
    if driver is None:
        return
    SCREENSHOTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1]) + ".png"
    try:
        driver.save_screenshot(str(SCREENSHOTS / name))
        rep.sections.append(("screenshot", str(SCREENSHOTS / name)))
    except Exception as e:  # a dead browser must not hide the test's own failure
        rep.sections.append(("screenshot", "failed: %r" % e))
