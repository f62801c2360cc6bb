"""A dashboard printer card follows a simulated print live, without a reload.

One simulated PrusaLink printer prints at a high time factor; one
`printyard telemetry` worker watches it and publishes its state on the nchan
channel "printers", which the dashboard subscribes to.
"""
import secrets
import sys
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from simfarm import Proc, start_sim, wait_for  # noqa: E402
from test_ui import log_in, wait  # noqa: E402

NAME = "Live MK4 " + secrets.token_hex(3)


@pytest.fixture
def printing(server, tmp_path):
    sim, farm_file = start_sim(server, tmp_path, {"printers": [{
        "kind": "prusalink", "name": NAME, "scenario": "print", "time_factor": 20,
        "prepare_seconds": 20, "idle_seconds": 5, "print_seconds": 1200, "layers": 60}]})
    worker = Proc([str(server.bin), "--config", str(server.config), "telemetry",
                   "--farm", str(farm_file)], tmp_path / "telemetry.log", env=server.env)
    try:
        rows = wait_for(lambda: server.psql("SELECT id FROM printers WHERE name = %s",
                                            (NAME,)), 30)
        assert rows, worker.text()
        yield rows[0][0]
    finally:
        rc = worker.stop()
        sim.stop()
        server.psql("DELETE FROM heartbeats WHERE process = 'telemetry'")
        server.psql("UPDATE printers SET active = false WHERE name = %s", (NAME,))
        assert rc == 0, worker.text()


def test_a_dashboard_card_follows_a_print_without_reloading(browser, base_url, make_user,
                                                           printing):
    name, password, _ = make_user("staff")
    log_in(browser, base_url, name, password)
    browser.get(base_url + "/")
    card = f"#printer-{printing}"
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, card)))
    wait(browser, 30).until(lambda b: "live-on" in b.find_element(
        By.ID, "live-status").get_attribute("class"))
    # a mark that a reload or a new page would lose
    browser.execute_script("window.__liveMark = 'kept'")
    origin = browser.execute_script("return performance.timeOrigin")

    def progress(b):
        return b.find_element(By.CSS_SELECTOR, card + " [data-testid=printer-progress]").text

    first = progress(browser)
    changed = wait(browser, 120).until(
        lambda b: (progress(b) != first and progress(b)) or None)
    assert changed != first
    # then it keeps moving
    second = wait(browser, 120).until(
        lambda b: (progress(b) not in (first, changed) and progress(b)) or None)
    assert second not in (first, changed)
    status = browser.find_element(By.CSS_SELECTOR, card).get_attribute("data-status")
    assert status in ("printing", "preparing", "finished")
    assert browser.execute_script("return window.__liveMark") == "kept"
    assert browser.execute_script("return performance.timeOrigin") == origin
    assert browser.execute_script(
        "return performance.getEntriesByType('navigation').length") == 1

    # the printer page fits a phone: one card, nothing wider than the screen
    browser.set_window_size(375, 800)
    browser.get(f"{base_url}/printers/{printing}")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, card)))
    assert browser.execute_script(
        "return document.documentElement.scrollWidth - "
        "document.documentElement.clientWidth") <= 0
