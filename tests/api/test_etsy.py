"""Etsy end to end against the fake Etsy server (tests/fakes/etsy.py): the owner
connects the shop with the whole OAuth dance, the jobs worker syncs 250 receipts
over 3 pages into sales orders, a sync again writes nothing twice, changes made
on Etsy reach the orders, lines find their products by SKU or by a mapping made
in the inbox (and the orders confirm), personalisation reaches production, a
shipment goes back to Etsy, and the client rides out 429, 500, slow answers, a
malformed page, an expired token, a revoked one and a worker killed mid-sync.

The module runs its own Printyard pointed at the fake; the tests build on each
other in file order (connected, then synced, then changed ...)."""
import re
import secrets
import signal
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from fakes.etsy import SHOP_ID, FakeEtsy
from harness import ApiSession, Printyard
from util import csrf_of, post, wait_for

KEY, SECRET = "pyappkey", "pyappsecret"
T = secrets.token_hex(2)
# the fake's catalogue: listing -> SKU of the product made for it here
SKU_LISTINGS = {1400000001: "PY-DRAGON-30", 1400000006: "PY-PHONE-STAND"}
KEYCHAIN, CLIPS = 1400000004, 1400000003


@pytest.fixture(scope="module")
def fake():
    f = FakeEtsy(receipts=250, seed=11, keystring=KEY, shared_secret=SECRET)
    f.start()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def shop(fake):
    p = Printyard(extra={"etsy_api_url": fake.url, "etsy_auth_url": fake.url,
                         "etsy_timeout_s": 2, "jobs_poll_ms": 100})
    try:
        p.start()
        p.add_user("etsyowner", "owner", "etsy-owner-password")
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def h(shop):
    return {"Authorization": "Bearer " + shop.login("etsyowner", "etsy-owner-password")}


@pytest.fixture(scope="module")
def api(shop):
    return ApiSession(shop.base_url)


@pytest.fixture(scope="module")
def browser(shop):
    """The owner's cookie session, as the browser that goes through OAuth."""
    s = ApiSession(shop.base_url).session()
    r = s.post("/login", data={"username": "etsyowner", "password": "etsy-owner-password",
                               "_csrf": csrf_of(s.get("/login").text)}, allow_redirects=False)
    assert r.status_code == 303
    return s


@pytest.fixture(scope="module")
def products(api, h):
    """Products for the listings with a SKU, and for the keychain (by SKU) and
    the clips (mapped in the inbox later), each printable."""
    out = {}
    skus = dict(SKU_LISTINGS)
    skus.update({"key-red": "PY-KEYCHAIN-RED", "key-blue": "PY-KEYCHAIN-BLUE",
                 "key-black": "PY-KEYCHAIN-BLACK", "clips": f"CLIPS-{T}"})
    for k, sku in skus.items():
        p = post(api, h, "/api/v1/products", {"sku": sku, "name": f"Etsy {sku}",
                                               "price_gross_cents": 1500})
        post(api, h, f"/api/v1/products/{p['id']}/plates", {
            "name": f"plate {sku}", "print_minutes": 20, "units": 1,
            "slots": [{"material": "PLA", "color_name": "Black", "grams": 12}]})
        out[k] = p
    return out


def sync_now(api, h, shop, timeout=120):
    """POST /api/v1/etsy/sync, then the sync's answer once it ended."""
    r = api.post("/api/v1/etsy/sync", headers=h)
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    assert r.headers["Location"] == f"/api/v1/etsy/sync/{sid}"

    def ended():
        s = api.get(f"/api/v1/etsy/sync/{sid}", headers=h).json()
        return s if s["status"] in ("done", "failed") else None
    s = wait_for(ended, timeout=timeout)
    assert s, f"sync {sid} did not end"
    return s


def etsy_orders(shop):
    return shop.psql("SELECT external_id, count(*) FROM sales_orders WHERE source = 'etsy' "
                     "GROUP BY external_id")


def order_of(shop, receipt_id):
    rows = shop.psql("SELECT id, status::text, gross_cents, ship_city, fees_cents, "
                     "fees_estimated FROM sales_orders WHERE source = 'etsy' AND "
                     "external_id = %s", (str(receipt_id),))
    return rows[0] if rows else None


def paid(r):
    return r["is_paid"] and r["status"] not in ("canceled", "fully refunded")


# ---- connecting ----

def test_connect_needs_the_apps_keys_and_checks_them(api, h, shop):
    r = api.post("/api/v1/etsy/connect", headers=h)
    assert r.status_code == 409 and "keystring" in r.json()["error"]["message"]
    r = api.put("/api/v1/etsy", json={"keystring": "has space", "shared_secret": "",
                                      "sync_minutes": 0}, headers=h)
    assert r.status_code == 422
    fields = set(r.json()["error"]["fields"])
    assert {"keystring", "shared_secret", "sync_minutes"} <= fields
    assert api.get("/api/v1/etsy", headers=h).json()["keystring"] is None
    r = api.put("/api/v1/etsy", json={"keystring": KEY, "shared_secret": SECRET}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["has_secret"] is True and "shared_secret" not in body
    assert body["status"] == "disconnected"
    stored = shop.psql("SELECT shared_secret FROM etsy_account")[0][0]
    assert SECRET not in stored and stored.startswith("v1.")
    audit = shop.psql("SELECT after FROM audit_log WHERE entity = 'etsy' AND action = 'update' "
                      "ORDER BY id DESC LIMIT 1")[0][0]
    assert audit["shared_secret"] == "(changed)"


def test_staff_cannot_change_the_connection(api, shop):
    shop.add_user("etsystaff", "staff", "etsy-staff-password")
    sh = {"Authorization": "Bearer " + shop.login("etsystaff", "etsy-staff-password")}
    assert api.put("/api/v1/etsy", json={"sync_minutes": 5}, headers=sh).status_code == 403
    assert api.post("/api/v1/etsy/connect", headers=sh).status_code == 403
    assert api.get("/api/v1/etsy", headers=sh).status_code == 200


def test_the_owner_connects_through_etsys_oauth_with_pkce(browser, api, h, fake, shop,
                                                          products):
    page = browser.get("/settings/etsy").text
    assert 'data-testid="etsy-connect"' in page
    r = browser.post("/settings/etsy/connect", data={"_csrf": csrf_of(page)},
                     allow_redirects=False)
    assert r.status_code == 303
    auth = r.headers["Location"]
    assert auth.startswith(fake.url + "/oauth/connect?")
    q = {k: v[0] for k, v in parse_qs(urlparse(auth).query).items()}
    assert q["client_id"] == KEY and q["code_challenge_method"] == "S256"
    assert len(q["code_challenge"]) == 43 and len(q["state"]) >= 32
    assert set(q["scope"].split()) == {"transactions_r", "transactions_w", "shops_r",
                                       "listings_r"}
    assert q["redirect_uri"] == shop.base_url + "/settings/etsy/callback"
    # Etsy approves and sends the browser back with the code and the state
    back = requests.get(auth, allow_redirects=False, timeout=10).headers["Location"]
    assert back.startswith(shop.base_url + "/settings/etsy/callback?")
    # a forged state is refused and does not use up the real one
    forged = re.sub(r"state=[^&]+", "state=forged", back)
    r = browser.get(forged.replace(shop.base_url, ""), allow_redirects=False)
    assert r.status_code == 303 and "error=" in r.headers["Location"]
    assert api.get("/api/v1/etsy", headers=h).json()["status"] == "disconnected"
    r = browser.get(back.replace(shop.base_url, ""), allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/settings/etsy"
    st = api.get("/api/v1/etsy", headers=h).json()
    assert st["status"] == "connected" and st["shop_id"] == SHOP_ID
    assert fake.token_grants["authorization_code"] == 1
    # the tokens are stored sealed, and a state is good once
    row = shop.psql("SELECT access_token, refresh_token, oauth_state FROM etsy_account")[0]
    assert row[0].startswith("v1.") and row[1].startswith("v1.") and row[2] is None
    r = browser.get(back.replace(shop.base_url, ""), allow_redirects=False)
    assert "error=" in r.headers["Location"]
    assert fake.token_grants["authorization_code"] == 1
    page = browser.get("/settings/etsy").text
    assert 'data-state="connected"' in page


# ---- syncing ----

def first_sync(api, h, shop):
    """The sync connecting queued, once it ended."""
    def ended():
        recent = api.get("/api/v1/etsy", headers=h).json()["recent_syncs"]
        return recent and recent[-1]["status"] in ("done", "failed") and recent[-1]
    s = wait_for(ended, timeout=120)
    assert s, "the first sync did not end"
    return s


def test_the_first_sync_reads_250_receipts_in_3_pages_into_orders(api, h, shop, fake,
                                                                  products):
    # connecting queued the first sync: no scheduled one gets in the way later
    s = first_sync(api, h, shop)
    shop.psql("UPDATE etsy_account SET sync_minutes = 1440")
    before = 0
    assert s["status"] == "done", s
    assert s["total_receipts"] == 250 and s["pages"] == 3
    pages = [c for c in fake.calls[before:] if c[1].endswith(f"/shops/{SHOP_ID}/receipts")]
    assert sorted(int(c[2]["offset"]) for c in pages) == [0, 100, 200]
    assert all(c[2]["limit"] == "100" for c in pages)
    receipts = [fake.receipt(i) for i in fake.receipt_ids()]
    want = {str(r["receipt_id"]) for r in receipts if paid(r)}
    orders = dict(etsy_orders(shop))
    assert set(orders) == want and set(orders.values()) == {1}
    assert s["new_orders"] == len(want) and s["skipped_receipts"] == 0
    # the order is the receipt: lines, shipping, currency, customer, fees
    r = next(r for r in receipts if paid(r) and r["total_shipping_cost"]["amount"] > 0
             and r["discount_amt"]["amount"] == 0 and r["grandtotal"]["currency_code"] == "EUR")
    oid, status, gross, city, fees, estimated = order_of(shop, r["receipt_id"])
    items = r["total_price"]["amount"] + r["total_shipping_cost"]["amount"]
    assert gross == items
    assert city == r["city"] and estimated is True and fees > 0
    lines = shop.psql("SELECT description, quantity, unit_price_cents FROM sales_order_lines "
                      "WHERE order_id = %s ORDER BY position", (oid,))
    assert len(lines) == len(r["transactions"]) + 1
    assert lines[-1][2] == r["total_shipping_cost"]["amount"]
    for line, t in zip(lines, r["transactions"]):
        assert (line[1], line[2]) == (t["quantity"], t["price"]["amount"])
    cust = shop.psql("SELECT c.source::text, c.external_id, c.name FROM customers c JOIN "
                     "sales_orders o ON o.customer_id = c.id WHERE o.id = %s", (oid,))[0]
    assert cust == ("etsy", str(r["buyer_user_id"]), r["name"])
    # a coupon is spread over the item lines: the order is Etsy's within a cent a line
    d = next(r for r in receipts if paid(r) and r["discount_amt"]["amount"] > 0)
    _, _, gross, *_ = order_of(shop, d["receipt_id"])
    want = d["subtotal"]["amount"] + d["total_shipping_cost"]["amount"]
    assert abs(gross - want) <= len(d["transactions"])
    # unpaid and cancelled receipts are kept, but are no orders
    unpaid = next(r for r in receipts if not r["is_paid"])
    assert order_of(shop, unpaid["receipt_id"]) is None
    assert shop.psql("SELECT count(*) FROM etsy_receipts")[0][0] == 250


def test_a_sync_again_writes_nothing_twice(api, h, shop):
    orders = dict(etsy_orders(shop))
    lines = shop.psql("SELECT count(*) FROM sales_order_lines l JOIN sales_orders o ON "
                      "o.id = l.order_id WHERE o.source = 'etsy'")[0][0]
    # the watermark goes back, as if the last sync had ended long ago
    shop.psql("UPDATE etsy_account SET synced_until = synced_until - 40 * 86400")
    s = sync_now(api, h, shop)
    assert s["status"] == "done" and s["total_receipts"] == 250
    assert s["new_orders"] == 0 and s["updated_orders"] == 0
    assert dict(etsy_orders(shop)) == orders
    assert shop.psql("SELECT count(*) FROM sales_order_lines l JOIN sales_orders o ON "
                     "o.id = l.order_id WHERE o.source = 'etsy'")[0][0] == lines


def test_sku_lines_confirm_their_orders_and_personalisation_reaches_production(api, h, browser,
                                                                             shop):
    # orders whose lines all have a product by SKU are confirmed, with production
    rows = shop.psql(
        "SELECT o.status::text, bool_and(l.product_id IS NOT NULL) FROM sales_orders o "
        "JOIN etsy_receipts r ON r.order_id = o.id JOIN etsy_lines l ON l.receipt_id = "
        "r.receipt_id WHERE o.status <> 'cancelled' GROUP BY o.id, o.status")
    assert rows
    for status, mapped in rows:
        assert status == ("confirmed" if mapped else "draft"), (status, mapped)
    assert any(m for _, m in rows) and any(not m for _, m in rows)
    # a keychain's personalisation is on its order line and its production order
    p = shop.psql("SELECT l.personalisation, sl.personalisation, po.id FROM etsy_lines l "
                  "JOIN sales_order_lines sl ON sl.id = l.order_line_id LEFT JOIN "
                  "production_orders po ON po.line_id = sl.id WHERE l.listing_id = %s",
                  (KEYCHAIN,))
    assert p and all(a and a == b for a, b, _ in p)
    text, _, po = next(x for x in p if x[2] is not None)
    assert api.get(f"/api/v1/production-orders/{po}", headers=h).json()["personalisation"] == text
    job = shop.psql("SELECT id FROM print_jobs WHERE production_order_id = %s LIMIT 1", (po,))
    assert api.get(f"/api/v1/print-jobs/{job[0][0]}", headers=h).json()["personalisation"] == text
    # the order page shows the Etsy receipt, the estimated fees and the text
    oid, rid = shop.psql("SELECT sales_order_id, (SELECT external_id FROM sales_orders WHERE "
                         "id = sales_order_id) FROM production_orders WHERE id = %s", (po,))[0]
    page = browser.get(f"/orders/{oid}").text
    assert 'data-testid="order-etsy-badge"' in page and rid in page
    assert 'data-testid="order-etsy-fees"' in page
    assert 'href="%s/your/orders/sold"' % shop.extra["etsy_auth_url"] in page
    assert 'data-testid="line-personalisation"' in page


def test_mapping_a_listing_in_the_inbox_confirms_the_waiting_orders(api, h, browser, shop,
                                                                    products):
    waiting = api.get("/api/v1/etsy/lines", headers=h).json()["waiting"]
    clips = [w for w in waiting if w["listing_id"] == CLIPS]
    assert clips and clips[0]["lines"] > 0
    assert 'data-testid="dashboard-etsy-waiting"' in browser.get("/").text
    page = browser.get("/etsy/inbox").text
    assert f'data-listing="{CLIPS}"' in page
    r = browser.post("/etsy/inbox", data={
        "_csrf": csrf_of(page), "listing_id": CLIPS, "variation_key": clips[0]["variation_key"],
        "product_id": products["clips"]["id"], "apply_to_all": "1"}, allow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    left = shop.psql("SELECT count(*) FROM etsy_lines WHERE listing_id = %s AND product_id "
                     "IS NULL", (CLIPS,))[0][0]
    assert left == 0
    rule = shop.psql("SELECT product_id FROM etsy_mappings WHERE listing_id = %s", (CLIPS,))
    assert rule == [(products["clips"]["id"],)]
    # an order whose every line now has a product is confirmed
    page = browser.get("/etsy/inbox").text
    assert f'data-testid="etsy-rule" data-rule="{rule_id(api, h, CLIPS)}"' in page
    done = shop.psql(
        "SELECT o.status::text FROM sales_orders o JOIN etsy_receipts r ON r.order_id = o.id "
        "WHERE o.status <> 'cancelled' AND EXISTS (SELECT 1 FROM etsy_lines l WHERE "
        "l.receipt_id = r.receipt_id AND l.listing_id = %s) AND NOT EXISTS (SELECT 1 FROM "
        "etsy_lines l WHERE l.receipt_id = r.receipt_id AND l.product_id IS NULL)", (CLIPS,))
    assert done and {s for s, in done} == {"confirmed"}


def rule_id(api, h, listing):
    rules = api.get("/api/v1/etsy/mappings", headers=h).json()["mappings"]
    return next(m["id"] for m in rules if m["listing_id"] == listing)


def test_a_mapping_rule_maps_later_lines_until_it_is_deleted(api, h, shop, fake, products):
    phone = 1400000006
    # a rule for the whole listing (no variation key) maps what arrives later
    r = api.post("/api/v1/etsy/mappings", json={"listing_id": phone, "product_id":
                                                products["clips"]["id"]}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["rule"]["variation_key"] == ""
    assert api.post("/api/v1/etsy/mappings", json={"listing_id": phone, "product_id": 0},
                    headers=h).status_code == 422
    rid = rule_id(api, h, phone)
    r = api.delete(f"/api/v1/etsy/mappings/{rid}", headers=h)
    assert r.status_code == 200
    assert api.delete(f"/api/v1/etsy/mappings/{rid}", headers=h).status_code == 404
    assert all(m["listing_id"] != phone for m in
               api.get("/api/v1/etsy/mappings", headers=h).json()["mappings"])
    audit = shop.psql("SELECT before FROM audit_log WHERE entity = 'etsy_mapping' AND "
                      "action = 'delete' ORDER BY id DESC LIMIT 1")[0][0]
    assert audit["listing_id"] == phone


def test_changes_on_etsy_reach_the_orders(api, h, shop, fake):
    receipts = [fake.receipt(i) for i in fake.receipt_ids()]
    open_orders = [r for r in receipts if paid(r) and not r["is_shipped"]
                   and order_of(shop, r["receipt_id"])[1] in ("draft", "confirmed")]
    cancelled, moved, shipped = open_orders[:3]
    fake.cancel(cancelled["receipt_id"])
    fake.set_address(moved["receipt_id"], city="Neustadt an der Weinstraße", zip="67433")
    fake.ship(shipped["receipt_id"], carrier="dhl", tracking="JJD0001")
    s = sync_now(api, h, shop)
    assert s["status"] == "done" and s["new_orders"] == 0
    assert s["updated_orders"] >= 3
    assert order_of(shop, cancelled["receipt_id"])[1] == "cancelled"
    # its reservations went with it
    held = shop.psql("SELECT count(*) FROM production_orders po JOIN sales_orders o ON "
                     "o.id = po.sales_order_id WHERE o.external_id = %s AND po.status <> "
                     "'cancelled'", (str(cancelled["receipt_id"]),))[0][0]
    assert held == 0
    assert order_of(shop, moved["receipt_id"])[3] == "Neustadt an der Weinstraße"
    row = shop.psql("SELECT is_shipped, etsy_carrier, etsy_tracking FROM etsy_receipts WHERE "
                    "receipt_id = %s", (shipped["receipt_id"],))[0]
    assert row == (True, "dhl", "JJD0001")


def test_an_order_shipped_here_is_pushed_to_etsy_once(api, h, browser, shop, fake):
    oid, rid = shop.psql(
        "SELECT o.id, r.receipt_id FROM sales_orders o JOIN etsy_receipts r ON r.order_id = "
        "o.id WHERE o.status = 'confirmed' AND NOT r.is_shipped LIMIT 1")[0]
    # production is done: the order is ready, then shipped with its tracking number
    shop.psql("UPDATE print_jobs SET status = 'cancelled' WHERE production_order_id IN "
              "(SELECT id FROM production_orders WHERE sales_order_id = %s)", (oid,))
    shop.psql("UPDATE production_orders SET status = 'done' WHERE sales_order_id = %s", (oid,))
    for to in ("in_production", "ready"):
        shop.psql("UPDATE sales_orders SET status = %s WHERE id = %s", (to, oid))
    r = api.post(f"/api/v1/orders/{oid}/status", json={
        "status": "shipped", "carrier": "DHL", "tracking_number": f"00340434{T}"}, headers=h)
    assert r.status_code == 200, r.text
    assert wait_for(lambda: fake.shipments and any(
        s["receipt_id"] == rid for s in fake.shipments), timeout=30)
    sent = [s for s in fake.shipments if s["receipt_id"] == rid]
    assert len(sent) == 1
    assert sent[0]["tracking_code"] == f"00340434{T}" and sent[0]["carrier_name"] == "DHL"
    assert wait_for(lambda: shop.psql("SELECT push_state FROM etsy_receipts WHERE receipt_id "
                                      "= %s", (rid,))[0][0] == "pushed")
    page = browser.get(f"/orders/{oid}").text
    assert 'data-testid="order-etsy-push" data-state="pushed"' in page
    # the next sync sees it shipped and nothing is pushed again
    s = sync_now(api, h, shop)
    assert s["status"] == "done"
    assert len([s for s in fake.shipments if s["receipt_id"] == rid]) == 1


# ---- faults ----

def test_429_500_slow_answers_and_timeouts_are_waited_out(api, h, shop, fake):
    fake.add_receipts(3)
    shop.psql("UPDATE etsy_account SET synced_until = synced_until - 3600")
    fake.fault("/receipts", "429", count=1, retry_after=1)
    fake.fault("/receipts", "429", count=1, retry_after=None)
    fake.fault("/receipts", "500", count=2)
    # longer than etsy_timeout_s: the request is given up and asked again
    fake.fault("/receipts", "slow", count=1, delay=4)
    fake.fault("/receipts", "slow", count=1, delay=1)
    s = sync_now(api, h, shop)
    assert s["status"] == "done", s
    assert s["new_orders"] == 3
    # six tries of the one page, each fault met once
    assert s["requests"] >= 6 and fake.state()["faults_pending"] == 0


def test_the_daily_limit_ends_a_sync_until_etsy_allows_more(api, h, shop, fake):
    fake.add_receipts(2)
    shop.psql("UPDATE etsy_account SET synced_until = synced_until - 40 * 86400")
    # the first page's answer says no request is left today
    fake.set_limits(per_day=fake.state()["requests_today"] + 1)
    try:
        s = sync_now(api, h, shop)
    finally:
        fake.set_limits(per_day=10000)
    assert s["status"] == "failed" and s["pages"] == 1
    assert any("today" in e["error"] for e in s["errors"])
    st = api.get("/api/v1/etsy", headers=h).json()
    assert st["remaining_today"] == 0 and "today" in st["last_error"]
    # the watermark stayed: the next sync reads what was missed
    s = sync_now(api, h, shop)
    assert s["status"] == "done" and s["total_receipts"] > 100


def test_a_malformed_receipt_is_skipped_with_its_id_and_the_rest_arrive(api, h, shop, fake):
    new = fake.add_receipts(5)
    shop.psql("UPDATE etsy_account SET synced_until = synced_until - 3600")
    fake.fault("/receipts", "truncated", count=1)
    s = sync_now(api, h, shop)
    assert s["status"] == "done"
    assert s["skipped_receipts"] == 1
    assert any("skipped" in e["error"] for e in s["errors"])
    arrived = [i for i in new if order_of(shop, i)]
    assert len(arrived) >= 4


def test_a_page_that_is_not_json_is_skipped_and_read_again_next_time(api, h, shop, fake):
    new = fake.add_receipts(2)
    shop.psql("UPDATE etsy_account SET synced_until = synced_until - 3600")
    until = shop.psql("SELECT synced_until FROM etsy_account")[0][0]
    fake.fault("/receipts", "malformed", count=1)
    s = sync_now(api, h, shop)
    assert s["status"] == "failed"
    assert any("could not be read" in e["error"] for e in s["errors"])
    assert shop.psql("SELECT synced_until FROM etsy_account")[0][0] == until
    assert not any(order_of(shop, i) for i in new)
    s = sync_now(api, h, shop)
    assert s["status"] == "done"
    assert all(order_of(shop, i) for i in new)


def test_an_expired_access_token_is_refreshed_and_the_new_refresh_token_kept(api, h, shop,
                                                                            fake):
    before = shop.psql("SELECT refresh_token FROM etsy_account")[0][0]
    grants = fake.token_grants["refresh_token"]
    fake.expire_access_tokens()
    s = sync_now(api, h, shop)
    assert s["status"] == "done", s
    assert fake.token_grants["refresh_token"] == grants + 1
    after = shop.psql("SELECT refresh_token FROM etsy_account")[0][0]
    assert after != before
    # the rotated one works again next time
    shop.psql("UPDATE etsy_account SET access_expires_at = now() - interval '1 minute'")
    assert sync_now(api, h, shop)["status"] == "done"
    assert fake.token_grants["refresh_token"] == grants + 2


def test_a_worker_killed_mid_sync_loses_and_doubles_nothing(api, h, shop, fake):
    new = fake.add_receipts(150)
    orders = len(etsy_orders(shop))
    shop.psql("UPDATE etsy_account SET synced_until = synced_until - 3600")
    fake.fault("/receipts", "slow", count=3, delay=4)
    r = api.post("/api/v1/etsy/sync", headers=h)
    sid = r.json()["id"]
    # once the first page is stored, the worker dies
    assert wait_for(lambda: api.get(f"/api/v1/etsy/sync/{sid}", headers=h).json()["pages"] >= 1,
                    timeout=60)
    shop.jobs.proc.send_signal(signal.SIGKILL)
    shop.jobs.proc.wait(10)
    stored = shop.psql("SELECT count(*) FROM etsy_receipts WHERE receipt_id = ANY(%s)",
                       (new,))[0][0]
    assert 0 < stored < 150
    # a new worker takes the job over once it counts as abandoned
    shop.psql("UPDATE jobs SET locked_at = now() - interval '11 minutes' WHERE id = %s",
              (sid,))
    shop.restart_jobs()
    s = wait_for(lambda: api.get(f"/api/v1/etsy/sync/{sid}", headers=h).json()["status"]
                 == "done", timeout=120)
    assert s
    assert all(order_of(shop, i) for i in new if paid(fake.receipt(i)))
    assert len(etsy_orders(shop)) == orders + len([i for i in new if paid(fake.receipt(i))])
    assert all(n == 1 for _, n in etsy_orders(shop))


def test_a_revoked_token_says_reconnect_and_disconnect_forgets_the_tokens(api, h, browser,
                                                                         shop, fake):
    fake.revoke_tokens()
    shop.psql("UPDATE etsy_account SET access_expires_at = now() - interval '1 minute'")
    s = sync_now(api, h, shop)
    assert s["status"] == "failed"
    st = api.get("/api/v1/etsy", headers=h).json()
    assert st["status"] == "revoked" and st["reconnect"] is True
    assert "reconnect" in st["last_error"]
    assert 'data-testid="etsy-reconnect"' in browser.get("/settings/etsy").text
    assert 'data-testid="dashboard-etsy-reconnect"' in browser.get("/").text
    r = api.post("/api/v1/etsy/sync", headers=h)
    assert r.status_code == 409
    r = api.delete("/api/v1/etsy/connection", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "disconnected"
    assert shop.psql("SELECT access_token, refresh_token FROM etsy_account")[0] == (None, None)
