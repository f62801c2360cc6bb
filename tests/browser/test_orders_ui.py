"""A shop owner on a phone takes an order: a new customer, a draft order with
a product line, confirmed into production, and the first print job started
and completed with the buttons on the order page."""
import re
import secrets

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_ui import log_in, open_menu_if_collapsed, wait


def make(api, token, url, body):
    r = api.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text
    return r.json()


def click(browser, testid):
    button = wait(browser).until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, f"[data-testid={testid}]")))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()


def no_sideways_scroll(browser):
    return browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def test_owner_on_a_phone_takes_an_order_and_prints_its_first_job(
        browser, base_url, make_user, api, owner_token, server):
    t = secrets.token_hex(3)
    colour = f"Coral-{t}"
    # the catalogue and the stock come from the API: a lamp printed two per
    # plate from 30 g of a colour that is on a spool
    fil = make(api, owner_token, "/api/v1/filaments", {
        "name": f"PETG {t}", "material": "PETG", "color_name": colour,
        "density": 1.27, "price_per_kg_cents": 2800})
    make(api, owner_token, "/api/v1/spools", {"filament_id": fil["id"],
                                             "initial_weight_g": 1000})
    lamp = make(api, owner_token, "/api/v1/products", {
        "sku": f"LAMP-{t}", "name": f"Lamp {t}", "price_gross_cents": 4900})
    make(api, owner_token, f"/api/v1/products/{lamp['id']}/plates", {
        "name": "lamp shade", "print_minutes": 120, "units": 2,
        "slots": [{"material": "PETG", "color_name": colour, "grams": 30}]})

    name, password, _ = make_user("owner")
    browser.set_window_size(375, 800)
    try:
        log_in(browser, base_url, name, password)

        # a new customer, through the customer form
        browser.get(base_url + "/customers/new")
        form = wait(browser).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "[data-testid=customer-form]")))
        customer = f"Ines {t}"
        form.find_element(By.NAME, "name").send_keys(customer)
        form.find_element(By.NAME, "shipping_street").send_keys("Am Markt 7")
        form.find_element(By.NAME, "shipping_postal_code").send_keys("01067")
        form.find_element(By.NAME, "shipping_city").send_keys("Dresden")
        form.find_element(By.NAME, "shipping_country").send_keys("DE")
        click(browser, "customer-save")
        wait(browser).until(lambda b: re.search(r"/customers/\d+$", b.current_url))

        # the orders page from the menu, then a new order for her
        open_menu_if_collapsed(browser)
        browser.find_element(By.ID, "nav-orders").click()
        wait(browser).until(lambda b: b.find_element(By.ID, "nav-orders")
                            .get_attribute("aria-current") == "page")
        click(browser, "orders-new")
        form = wait(browser).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "[data-testid=order-form]")))
        assert no_sideways_scroll(browser)
        Select(form.find_element(By.NAME, "customer_id")).select_by_visible_text(
            f"{customer} (Dresden)")
        click(browser, "order-save")
        heading = wait(browser).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "[data-testid=order-heading]")))
        number = heading.text.strip()
        assert number.startswith("SO-")
        order_id = int(re.search(r"/orders/(\d+)$", browser.current_url).group(1))
        assert "Dresden" in browser.find_element(By.CSS_SELECTOR,
                                                 "[data-testid=order-ship-to]").text

        # three lamps, on the draft's own page
        click(browser, "line-add-toggle")
        form = browser.find_element(By.CSS_SELECTOR, "[data-testid=line-form]")
        select = Select(form.find_element(By.NAME, "product_id"))
        select.select_by_visible_text(
            next(o.text for o in select.options if o.text.startswith(lamp["sku"])))
        quantity = form.find_element(By.NAME, "quantity")
        quantity.clear()
        quantity.send_keys("3")
        click(browser, "line-add")
        wait(browser).until(lambda b: len(b.find_elements(
            By.CSS_SELECTOR, "[data-testid=order-line]")) == 1)
        assert "€147.00" in browser.find_element(By.CSS_SELECTOR,
                                                 "[data-testid=order-gross]").text

        # confirmed: one production order, two print jobs (2 + 1 lamps)
        click(browser, "order-action-confirmed")
        wait(browser).until(lambda b: b.find_element(
            By.CSS_SELECTOR, "[data-testid=order-status]").get_attribute("data-status")
            == "confirmed")
        po = browser.find_element(By.CSS_SELECTOR, "[data-testid=production-order]")
        jobs = po.find_elements(By.CSS_SELECTOR, "[data-testid=print-job]")
        assert len(jobs) == 2
        assert "0 / 2" in po.find_element(By.CSS_SELECTOR, "[data-testid=po-progress]").text
        job_id = int(jobs[0].get_attribute("data-job-id"))
        assert not browser.find_elements(By.CSS_SELECTOR, "tr.orders-short")
        assert no_sideways_scroll(browser)

        # the first job is printed
        click(browser, f"job-start-{job_id}")
        wait(browser).until(lambda b: b.find_element(
            By.ID, f"job-{job_id}").get_attribute("data-status") == "started")
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=order-status]") \
            .get_attribute("data-status") == "in_production"
        click(browser, f"job-complete-{job_id}")
        wait(browser).until(lambda b: b.find_element(
            By.ID, f"job-{job_id}").get_attribute("data-status") == "completed")
        assert "1 / 2" in browser.find_element(By.CSS_SELECTOR,
                                               "[data-testid=po-progress]").text

        status, grams = server.psql(
            "SELECT status::text, actual_grams::float8 FROM print_jobs WHERE id = %s",
            (job_id,))[0]
        assert (status, grams) == ("completed", 30)
        assert server.psql("SELECT status::text FROM sales_orders WHERE id = %s",
                           (order_id,))[0][0] == "in_production"
        assert no_sideways_scroll(browser)
    finally:
        browser.set_window_size(1280, 900)
