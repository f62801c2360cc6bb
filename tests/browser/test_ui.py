"""What a person does in the web UI, in a real headless Chromium."""
import json
from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

GERMAN = json.loads((Path(__file__).resolve().parents[2] / "templates/i18n/de.json").read_text())
NAV = ["dashboard", "orders", "customers", "production", "printers", "inventory", "products",
       "quotes", "reports", "settings"]


def wait(browser, timeout=10):
    # htmx swaps the page under the driver: a found element may go stale
    return WebDriverWait(browser, timeout,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def log_in(browser, base_url, username, password):
    browser.get(base_url + "/login")
    form = wait(browser).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "[data-testid=login-form]")))
    form.find_element(By.NAME, "username").send_keys(username)
    form.find_element(By.NAME, "password").send_keys(password)
    form.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "nav-dashboard")))


def open_menu_if_collapsed(browser):
    toggles = browser.find_elements(By.CSS_SELECTOR, "[data-testid=nav-toggle]")
    if toggles and toggles[0].is_displayed():
        details = browser.find_elements(By.CSS_SELECTOR, "details[open]")
        if not details:
            toggles[0].click()


def test_wrong_password_shows_an_error_and_keeps_the_name(browser, base_url, make_user):
    name, _, _ = make_user("staff")
    browser.get(base_url + "/login")
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=login-form]")
    form.find_element(By.NAME, "username").send_keys(name)
    form.find_element(By.NAME, "password").send_keys("definitely-wrong")
    form.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    wait(browser).until(lambda b: "wrong" in b.page_source.lower() or "falsch" in b.page_source.lower())
    assert browser.find_element(By.NAME, "username").get_attribute("value") == name


def test_log_in_visit_every_menu_entry_and_log_out(browser, base_url, make_user):
    name, password, _ = make_user("owner")
    log_in(browser, base_url, name, password)
    assert name in browser.page_source
    for key in NAV:
        open_menu_if_collapsed(browser)
        link = browser.find_element(By.ID, f"nav-{key}")
        link.click()
        wait(browser).until(lambda b: b.find_element(By.ID, f"nav-{key}")
                            .get_attribute("aria-current") == "page")
        assert "nav_" not in browser.title and "page_" not in browser.title
        assert browser.find_element(By.TAG_NAME, "main").text.strip()
    open_menu_if_collapsed(browser)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=logout-button]").click()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=login-form]")))
    browser.get(base_url + "/orders")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=login-form]")))


def test_switching_language_to_german_and_back(browser, base_url, make_user):
    name, password, _ = make_user("staff")
    log_in(browser, base_url, name, password)
    browser.get(base_url + "/settings")
    select = wait(browser).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "[data-testid=language-select]")))
    select.find_element(By.CSS_SELECTOR, "option[value=de]").click()
    select.find_element(By.XPATH, "./ancestor::form").submit()
    wait(browser).until(lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de")
    open_menu_if_collapsed(browser)
    assert browser.find_element(By.ID, "nav-orders").text.strip() == GERMAN["nav_orders"]
    select = browser.find_element(By.CSS_SELECTOR, "[data-testid=language-select]")
    select.find_element(By.CSS_SELECTOR, "option[value=en]").click()
    select.find_element(By.XPATH, "./ancestor::form").submit()
    wait(browser).until(lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")


def test_dashboard_shows_the_live_connection(browser, base_url, make_user):
    name, password, _ = make_user("staff")
    log_in(browser, base_url, name, password)
    status = browser.find_element(By.ID, "live-status")
    wait(browser, 15).until(lambda b: "live-on" in status.get_attribute("class"))


def test_api_key_is_created_shown_once_and_revoked(browser, base_url, make_user, server):
    import re
    name, password, _ = make_user("staff")
    log_in(browser, base_url, name, password)
    browser.get(base_url + "/settings/apikeys")
    form = browser.find_element(By.CSS_SELECTOR, "form[action='/settings/apikeys']")
    form.find_element(By.NAME, "name").send_keys("browser key")
    assert form.find_element(By.NAME, "scope_read").is_selected()  # read is the default
    form.submit()
    wait(browser).until(lambda b: re.search(r"pyk_[A-Za-z0-9_-]{20,}", b.page_source))
    key = re.search(r"pyk_[A-Za-z0-9_-]{20,}", browser.page_source).group(0)
    browser.get(base_url + "/settings/apikeys")
    assert "browser key" in browser.page_source
    assert key not in browser.page_source
    kid = server.psql("SELECT k.id FROM api_keys k JOIN users u ON u.id = k.user_id"
                      " WHERE u.username = %s AND k.name = 'browser key'", (name,))[0][0]
    button = browser.find_element(
        By.CSS_SELECTOR, f"form[action='/settings/apikeys/{kid}/revoke'] button")
    button.click()
    alerts = WebDriverWait(browser, 3).until(EC.alert_is_present())
    alerts.accept()
    wait(browser).until(lambda b: server.psql(
        "SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = %s", (kid,))[0][0])


def test_pages_fit_a_375px_phone(browser, base_url, make_user):
    name, password, _ = make_user("owner")
    browser.set_window_size(375, 800)
    try:
        log_in(browser, base_url, name, password)
        for path in ("/", "/orders", "/settings", "/settings/users", "/settings/apikeys"):
            browser.get(base_url + path)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, overflow)
    finally:
        browser.set_window_size(1280, 900)


def test_invalid_form_comes_back_with_the_errors_and_the_values(browser, base_url, make_user):
    name, password, _ = make_user("staff")
    log_in(browser, base_url, name, password)
    browser.get(base_url + "/settings/apikeys")
    form = browser.find_element(By.CSS_SELECTOR, "form[action='/settings/apikeys']")
    form.find_element(By.NAME, "name").send_keys("no scopes")
    form.find_element(By.NAME, "scope_read").click()  # now nothing is chosen
    form.submit()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-testid=flash]")))
    assert "scope" in browser.find_element(By.CSS_SELECTOR, "[data-testid=flash]").text.lower()
    form = browser.find_element(By.CSS_SELECTOR, "form[action='/settings/apikeys']")
    assert form.find_element(By.NAME, "name").get_attribute("value") == "no scopes"
