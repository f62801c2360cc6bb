"""A shop owner on a phone: filament from the catalogue, a new spool, weighed."""
import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_ui import log_in, wait


def test_owner_adds_a_catalog_filament_and_a_spool_and_weighs_it(browser, base_url, make_user, server):
    name, password, _ = make_user("owner")
    browser.set_window_size(375, 800)
    try:
        log_in(browser, base_url, name, password)
        browser.get(base_url + "/inventory/filaments/new?q=bambu+pla+jade+white")
        add = wait(browser).until(EC.element_to_be_clickable(
            (By.CSS_SELECTOR, "[data-testid=catalog-add]")))
        add.click()
        form = wait(browser).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "[data-testid=spool-form]")))
        select = Select(form.find_element(By.NAME, "filament_id"))
        jade = [o for o in select.options if "Jade White" in o.text]
        assert jade, [o.text for o in select.options]
        select.select_by_visible_text(jade[0].text)
        form.find_element(By.CSS_SELECTOR, "[data-testid=spool-create]").click()
        weigh = wait(browser).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "[data-testid=weigh-form]")))
        spool_id = int(re.search(r"/inventory/spools/(\d+)", browser.current_url).group(1))
        empty = server.psql("SELECT spool_weight_g::float8 FROM spools WHERE id = %s",
                            (spool_id,))[0][0]
        weigh.find_element(By.NAME, "gross_weight_g").send_keys(str(int(empty) + 600))
        weigh.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait(browser).until(lambda b: server.psql(
            "SELECT remaining_g::float8 FROM spools WHERE id = %s", (spool_id,))[0][0] == 600)
        wait(browser).until(lambda b: "600" in b.find_element(By.TAG_NAME, "main").text)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
    finally:
        browser.set_window_size(1280, 900)
