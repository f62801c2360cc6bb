"""A customer on a phone asks for a quote: drops an STL on /quote, sees its
preview and price, changes the quantity (the price changes without uploading
again), accepts with an address, and lands on the quote's own page with the
order in production.  Then the shop sees the quote on its staff pages."""
import re
import secrets
import struct
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from test_ui import log_in, wait


def box_stl(x, y, z):
    """A closed box as a binary STL (12 triangles, outward normals)."""
    v = [(0, 0, 0), (x, 0, 0), (x, y, 0), (0, y, 0), (0, 0, z), (x, 0, z), (x, y, z), (0, y, z)]
    faces = [(0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4),
             (1, 2, 6), (1, 6, 5), (2, 3, 7), (2, 7, 6), (3, 0, 4), (3, 4, 7)]
    out = bytearray(b"\0" * 80 + struct.pack("<I", len(faces)))
    for f in faces:
        out += struct.pack("<3f", 0, 0, 0)
        for i in f:
            out += struct.pack("<3f", *v[i])
        out += b"\0\0"
    return bytes(out)


def by_testid(browser, name):
    return wait(browser).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, f"[data-testid={name}]")))


def cents_of(browser):
    return int(by_testid(browser, "quote-gross").get_attribute("data-cents"))


def test_customer_on_a_phone_uploads_sees_price_accepts_and_follows_the_order(
        browser, base_url, make_user):
    t = secrets.token_hex(3)
    path = Path(tempfile.mkdtemp()) / f"stand-{t}.stl"
    path.write_bytes(box_stl(60, 40, 30))
    browser.set_window_size(390, 844)

    browser.get(base_url + "/quote")
    by_testid(browser, "quote-files").send_keys(str(path))
    # the preview is drawn (WebGL, or the flat drawing where there is none)
    canvas = by_testid(browser, "quote-preview")
    wait(browser).until(lambda b: canvas.get_attribute("data-rendered") in ("webgl", "2d"))
    assert browser.execute_script(
        "const c = arguments[0]; const d = document.createElement('canvas');"
        "d.width = c.width; d.height = c.height; const x = d.getContext('2d');"
        "x.drawImage(c, 0, 0); const p = x.getImageData(0, 0, d.width, d.height).data;"
        "const first = p.slice(0, 3).join(); for (let i = 0; i < p.length; i += 4)"
        "  if ([p[i], p[i+1], p[i+2]].join() !== first) return true; return false;", canvas), \
        "the preview is blank"
    # the price and the measured size
    number = by_testid(browser, "quote-number")
    wait(browser).until(lambda b: re.match(r"Q-\d{4}-\d{5}", number.text))
    quote_number = number.text
    assert "60 × 40 × 30 mm" in by_testid(browser, "quote-part-size").text
    assert "NaN" not in by_testid(browser, "quote-result").text
    assert cents_of(browser) > 0
    # the estimate is checked with the slicer, and the page hears of it
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=quote-part-slicing]") or \
        browser.find_elements(By.CSS_SELECTOR, "[data-testid=quote-part-sliced]")
    wait(browser, 120).until(lambda b: b.find_elements(
        By.CSS_SELECTOR, "[data-testid=quote-part-sliced]"))
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=quote-part-slicing]")
    one = cents_of(browser)
    assert one > 0

    # three pieces: the price changes at once, the part is not uploaded again
    qty = by_testid(browser, "quote-part-quantity")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", qty)
    qty.clear()
    qty.send_keys("3")
    browser.execute_script("arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", qty)
    wait(browser).until(lambda b: cents_of(b) > one)
    three = cents_of(browser)
    assert browser.execute_script("return document.documentElement.scrollWidth - "
                                  "document.documentElement.clientWidth") <= 0

    # accept
    form = by_testid(browser, "quote-accept")
    form.find_element(By.NAME, "name").send_keys(f"Mara {t}")
    form.find_element(By.NAME, "email").send_keys(f"mara-{t}@example.org")
    form.find_element(By.NAME, "billing_street").send_keys("Hafenstraße 3")
    form.find_element(By.NAME, "billing_postal_code").send_keys("20457")
    form.find_element(By.NAME, "billing_city").send_keys("Hamburg")
    terms = by_testid(browser, "quote-accept-terms")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", terms)
    terms.click()
    button = by_testid(browser, "quote-accept-button")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()

    # the quote's own page: converted into an order that is in the works
    wait(browser).until(EC.url_matches(r"/q/[A-Za-z0-9_-]{40,}$"))
    page = browser.current_url
    assert by_testid(browser, "quote-status").get_attribute("data-status") == "converted"
    assert by_testid(browser, "quote-order-status").get_attribute("data-status") == "confirmed"
    assert by_testid(browser, "quote-number").text.endswith(quote_number)
    gross = by_testid(browser, "quote-gross").text
    assert re.sub(r"\D", "", gross) == str(three), (gross, three)
    assert by_testid(browser, "quote-pdf").get_attribute("href").endswith("/pdf")

    # the shop sees it on its quote pages, with the customer's page and address
    name, password, _ = make_user("owner")
    log_in(browser, base_url, name, password)
    browser.get(base_url + "/quotes")
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=quote-row]")
    mine = [r for r in rows if quote_number in r.text]
    assert len(mine) == 1 and f"Mara {t}" in mine[0].text
    mine[0].find_element(By.CSS_SELECTOR, "[data-testid=quote-link]").click()
    assert by_testid(browser, "quote-customer-page").get_attribute("href") == page
    assert "Hafenstraße 3" in by_testid(browser, "quote-contact").text
