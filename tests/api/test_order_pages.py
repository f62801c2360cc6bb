"""The order pages: the list, the new-order form, the order page with its
status buttons, lines, production, materials and costs, and the print-job
buttons, as a person logged in with a cookie uses them."""
import json
import re
import secrets
from pathlib import Path

import pytest

from util import csrf_of, page_session, post

CATALOGS = Path(__file__).resolve().parents[2] / "templates" / "i18n"


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}



def shop(api, h, stock_g=1000):
    """A customer and a product printed two per plate from 25 g of a colour
    of its own; stock_g grams of that colour on a spool (0: none)."""
    t = secrets.token_hex(3)
    colour = f"Teal-{t}"
    if stock_g:
        fil = post(api, h, "/api/v1/filaments", {
            "name": f"PLA {t}", "material": "PLA", "color_name": colour,
            "density": 1.24, "price_per_kg_cents": 2500})
        post(api, h, "/api/v1/spools", {"filament_id": fil["id"],
                                        "initial_weight_g": stock_g, "price_cents": 2500})
    prod = post(api, h, "/api/v1/products", {"sku": f"VASE-{t}", "name": f"Vase {t}",
                                             "price_gross_cents": 1190})
    post(api, h, f"/api/v1/products/{prod['id']}/plates", {
        "name": "vase body", "print_minutes": 90, "units": 2,
        "slots": [{"material": "PLA", "color_name": colour, "grams": 25}]})
    cust = post(api, h, "/api/v1/customers", {
        "name": f"Grete {t}", "shipping_street": "Lindenweg 3",
        "shipping_postal_code": "04109", "shipping_city": "Leipzig",
        "shipping_country": "DE"})
    return cust, prod


def draft(api, h, cust, prod, qty=3):
    return post(api, h, "/api/v1/orders", {
        "customer_id": cust["id"], "due_date": "2099-05-01",
        "lines": [{"product_id": prod["id"], "quantity": qty}]})


def order_of(api, h, oid):
    return api.get(f"/api/v1/orders/{oid}", headers=h).json()


def form(s, page_url, action, data):
    """Posts a form of the page at page_url with that page's CSRF token."""
    token = csrf_of(s.get(page_url).text)
    return s.post(action, data=dict(data, _csrf=token), allow_redirects=False)


def test_order_list_shows_orders_newest_first_and_filters_by_status(api, h, make_user):
    cust, prod = shop(api, h, stock_g=0)
    older = draft(api, h, cust, prod)
    newer = draft(api, h, cust, prod, qty=1)
    post(api, h, f"/api/v1/orders/{older['id']}/status", {"status": "cancelled"}, 200)
    s = page_session(api, make_user, "staff")

    html = s.get("/orders", params={"q": cust["name"]}).text
    assert html.index(newer["number"]) < html.index(older["number"])
    assert f'href="/orders/{newer["id"]}"' in html
    assert "€11.90" in html  # one vase, gross
    assert 'data-status="cancelled"' in html and ">Cancelled<" in html

    drafts = s.get("/orders", params={"q": cust["name"], "status": "draft"}).text
    assert newer["number"] in drafts and older["number"] not in drafts

    first = s.get("/orders", params={"q": cust["name"], "limit": 1}).text
    assert newer["number"] in first and older["number"] not in first
    nxt = re.search(r'href="([^"]+)"[^>]*data-testid="orders-next"', first).group(1)
    second = s.get(nxt.replace("&amp;", "&")).text
    assert older["number"] in second and newer["number"] not in second


def test_new_order_form_makes_a_draft_with_its_first_line(api, h, make_user):
    cust, prod = shop(api, h, stock_g=0)
    s = page_session(api, make_user, "staff")
    page = s.get("/orders/new").text
    assert cust["name"] in page and prod["sku"] in page

    r = form(s, "/orders/new", "/orders/new", {
        "customer_id": cust["id"], "due_date": "2099-06-30", "notes": "gift wrap",
        "product_id": prod["id"], "quantity": "2", "discount": "10"})
    assert r.status_code == 303, r.text
    oid = int(re.search(r"/orders/(\d+)$", r.headers["Location"]).group(1))
    order = order_of(api, h, oid)
    assert order["status"] == "draft" and order["customer_id"] == cust["id"]
    assert order["due_date"] == "2099-06-30" and order["notes"] == "gift wrap"
    assert order["ship_city"] == "Leipzig"
    # 2 x 11.90 less 10 % = 21.42
    assert [(l["quantity"], l["discount_bp"], l["amount_cents"]) for l in order["lines"]] == \
        [(2, 1000, 2142)]

    show = s.get(r.headers["Location"]).text
    assert order["number"] in show and "€21.42" in show and "Leipzig" in show
    assert 'data-kind="ok"' in show
    assert 'action="/orders/%d/status"' % oid in show
    assert 'data-testid="order-action-confirmed"' in show


def test_new_order_form_comes_back_with_the_field_named_and_nothing_made(api, h, make_user,
                                                                            server):
    cust, prod = shop(api, h, stock_g=0)
    s = page_session(api, make_user, "owner")
    before = server.psql("SELECT count(*) FROM sales_orders WHERE customer_id = %s",
                         (cust["id"],))[0][0]

    r = form(s, "/orders/new", "/orders/new", {
        "customer_id": cust["id"], "product_id": prod["id"], "quantity": "0"})
    assert r.status_code == 422
    assert 'data-testid="error-quantity"' in r.text and 'data-kind="error"' in r.text
    # what was chosen is still chosen
    assert re.search(r'<option value="%d" selected>' % cust["id"], r.text)
    assert re.search(r'<option value="%d" selected>' % prod["id"], r.text)

    r = form(s, "/orders/new", "/orders/new", {"customer_id": "", "due_date": "someday"})
    assert r.status_code == 422
    assert 'data-testid="error-customer_id"' in r.text

    r = form(s, "/orders/new", "/orders/new", {
        "customer_id": cust["id"], "product_id": prod["id"], "discount": "150"})
    assert r.status_code == 422 and 'data-testid="error-discount"' in r.text

    after = server.psql("SELECT count(*) FROM sales_orders WHERE customer_id = %s",
                        (cust["id"],))[0][0]
    assert after == before


def test_lines_are_added_and_removed_on_a_draft_only(api, h, make_user):
    cust, prod = shop(api, h)
    order = draft(api, h, cust, prod, qty=1)
    oid = order["id"]
    s = page_session(api, make_user, "staff")
    url = f"/orders/{oid}"

    r = form(s, url, f"{url}/lines", {"product_id": prod["id"], "quantity": "4"})
    assert r.status_code == 303 and r.headers["Location"] == url
    o = order_of(api, h, oid)
    assert [l["quantity"] for l in o["lines"]] == [1, 4] and o["gross_cents"] == 5 * 1190

    r = form(s, url, f"{url}/lines", {"product_id": "", "quantity": "4"})
    assert r.status_code == 422 and 'data-testid="error-product_id"' in r.text

    first = o["lines"][0]["id"]
    r = form(s, url, f"{url}/lines/{first}/delete", {})
    assert r.status_code == 303
    o = order_of(api, h, oid)
    assert [l["quantity"] for l in o["lines"]] == [4]

    post(api, h, f"/api/v1/orders/{oid}/status", {"status": "confirmed"}, 200)
    page = s.get(url).text
    assert f"{url}/lines" not in page  # no add-line form, no remove buttons
    r = form(s, url, f"{url}/lines", {"product_id": prod["id"], "quantity": "1"})
    assert r.status_code == 409 and 'data-kind="error"' in r.text
    assert [l["quantity"] for l in order_of(api, h, oid)["lines"]] == [4]


def test_status_buttons_confirm_and_job_buttons_print_the_order(api, h, make_user):
    cust, prod = shop(api, h)
    order = draft(api, h, cust, prod, qty=3)
    oid = order["id"]
    s = page_session(api, make_user, "staff")
    url = f"/orders/{oid}"

    r = form(s, url, f"{url}/status", {"status": "confirmed"})
    assert r.status_code == 303 and r.headers["Location"] == url
    o = order_of(api, h, oid)
    assert o["status"] == "confirmed"
    jobs = o["production_orders"][0]["print_jobs"]
    assert len(jobs) == 2

    page = s.get(url).text
    po = o["production_orders"][0]
    assert po["number"] in page and "0 / 2" in page
    for j in jobs:
        assert f'data-testid="job-start-{j["id"]}"' in page
    # the material is there: 50 g required and reserved, nothing missing
    assert 'class="orders-short"' not in page
    assert re.search(r"50 g</td>\s*<td[^>]*>50 g</td>", page)

    first = jobs[0]["id"]
    r = form(s, url, f"/print-jobs/{first}/status", {"status": "started"})
    assert r.status_code == 303 and r.headers["Location"] == url
    o = order_of(api, h, oid)
    assert o["status"] == "in_production"
    page = s.get(url).text
    assert f'data-testid="job-complete-{first}"' in page
    assert f'data-testid="job-start-{first}"' not in page

    # failing needs a reason: the page comes back with it at that job
    r = form(s, url, f"/print-jobs/{first}/status", {"status": "failed", "reason": ""})
    assert r.status_code == 422
    assert 'data-testid="error-reason"' in r.text and o["number"] in r.text

    r = form(s, url, f"/print-jobs/{first}/status", {"status": "completed"})
    assert r.status_code == 303
    o = order_of(api, h, oid)
    done = next(j for j in o["production_orders"][0]["print_jobs"] if j["id"] == first)
    assert done["status"] == "completed" and done["actual_grams"] == 25
    assert "1 / 2" in s.get(url).text

    # a job that is done cannot be started again: 409, nothing changes
    r = form(s, url, f"/print-jobs/{first}/status", {"status": "started"})
    assert r.status_code == 409 and 'data-kind="error"' in r.text

    # the second plate fails with a reason: a replacement is queued
    second = jobs[1]["id"]
    assert form(s, url, f"/print-jobs/{second}/status", {"status": "started"}).status_code == 303
    r = form(s, url, f"/print-jobs/{second}/status", {"status": "failed",
                                                      "reason": "warped corner"})
    assert r.status_code == 303 and r.headers["Location"] == url
    jobs = order_of(api, h, oid)["production_orders"][0]["print_jobs"]
    assert [j["status"] for j in jobs] == ["completed", "failed", "queued"]
    assert jobs[2]["replaces_job_id"] == second
    page = s.get(url).text
    assert f'data-testid="job-start-{jobs[2]["id"]}"' in page and "1 / 3" in page


def test_a_status_the_order_cannot_take_comes_back_as_409(api, h, make_user):
    cust, prod = shop(api, h, stock_g=0)
    order = draft(api, h, cust, prod)
    s = page_session(api, make_user, "staff")
    url = f"/orders/{order['id']}"
    r = form(s, url, f"{url}/status", {"status": "shipped"})
    assert r.status_code == 409
    assert 'data-kind="error"' in r.text and order["number"] in r.text
    assert order_of(api, h, order["id"])["status"] == "draft"


def test_missing_material_is_shown_in_red(api, h, make_user):
    cust, prod = shop(api, h, stock_g=0)
    order = draft(api, h, cust, prod, qty=2)
    post(api, h, f"/api/v1/orders/{order['id']}/status", {"status": "confirmed"}, 200)
    s = page_session(api, make_user, "staff")
    page = s.get(f"/orders/{order['id']}").text
    row = re.search(r'<tr data-testid="requirement" class="orders-short">(.*?)</tr>', page, re.S)
    assert row, page
    # two vases fit on one plate of 25 g; none of that colour is in stock
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
    assert cells[-4:] == ["25 g", "0 g", "0 g", "25 g"]


def test_order_forms_need_the_csrf_token(api, h, make_user):
    cust, prod = shop(api, h)
    order = draft(api, h, cust, prod)
    s = page_session(api, make_user, "owner")
    s.get(f"/orders/{order['id']}")
    r = s.post(f"/orders/{order['id']}/status", data={"status": "confirmed"},
               allow_redirects=False)
    assert r.status_code == 403
    r = s.post(f"/orders/{order['id']}/status", data={"status": "confirmed", "_csrf": "forged"},
               allow_redirects=False)
    assert r.status_code == 403
    assert order_of(api, h, order["id"])["status"] == "draft"


def test_accountant_sees_the_order_but_no_buttons(api, h, make_user):
    cust, prod = shop(api, h)
    order = draft(api, h, cust, prod)
    oid = order["id"]
    post(api, h, f"/api/v1/orders/{oid}/status", {"status": "confirmed"}, 200)
    s = page_session(api, make_user, "accountant")
    page = s.get(f"/orders/{oid}").text
    assert order["number"] in page and "Confirmed" in page
    assert "/status" not in page and "/print-jobs/" not in page
    assert 'data-testid="order-costs"' in page
    listing = s.get("/orders").text
    assert order["number"] in listing and "/orders/new" not in listing
    assert s.get("/orders/new").status_code == 403
    r = s.post(f"/orders/{oid}/status", data={"status": "cancelled",
                                             "_csrf": csrf_of(page)}, allow_redirects=False)
    assert r.status_code == 403
    assert order_of(api, h, oid)["status"] == "confirmed"


def test_german_order_page_names_the_statuses_in_german(api, h, make_user):
    de = json.loads((CATALOGS / "de" / "orders.json").read_text())
    cust, prod = shop(api, h, stock_g=0)
    order = draft(api, h, cust, prod)
    s = page_session(api, make_user, "staff")
    page = s.get("/settings").text
    s.post("/settings/language", data={"lang": "de", "_csrf": csrf_of(page)},
           allow_redirects=False)
    html = s.get(f"/orders/{order['id']}").text
    assert de["orders_status_draft"] in html and de["orders_action_confirmed"] in html
    assert "35,70 €" in html  # 3 x 11,90 €
    assert "01.05.2099" in html
