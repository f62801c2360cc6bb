"""The order API endpoint by endpoint: sales orders and their lines, the three
state machines (sales order, production order, print job), what bad input is
refused with, who may do what, and the audit trail every write leaves.

Every test makes its own filaments, spools, products and customers with a random
tag in their names and colours, so no two tests share a spool."""
import secrets

import pytest

from util import post


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def tag():
    return secrets.token_hex(4)



def patch(api, h, url, body, status=200):
    r = api.patch(url, json=body, headers=h)
    assert r.status_code == status, r.text
    return r.json()


def get(api, h, url):
    r = api.get(url, headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def error(r, status):
    assert r.status_code == status, r.text
    return r.json()["error"]


def customer(api, h, t, **extra):
    body = {"name": f"Cust {t}"}
    body.update(extra)
    return post(api, h, "/api/v1/customers", body)


def product(api, h, t, price=1190, vat="standard", plate=None, sku=None):
    """A product; plate=(material, colour, grams, units per plate, minutes)."""
    p = post(api, h, "/api/v1/products", {
        "sku": sku or f"P-{t}-{secrets.token_hex(2)}", "name": f"Thing {t}",
        "price_gross_cents": price, "vat_rate": vat})
    if plate is not None:
        material, colour, grams, units, minutes = plate
        post(api, h, f"/api/v1/products/{p['id']}/plates", {
            "name": f"plate {p['sku']}", "print_minutes": minutes, "units": units,
            "slots": [{"material": material, "color_name": colour, "grams": grams}]})
    return p


def spool(api, h, t, colour, grams, material="PLA"):
    fil = post(api, h, "/api/v1/filaments", {
        "name": f"{material} {colour} {secrets.token_hex(2)}", "material": material,
        "color_name": colour, "density": 1.24, "price_per_kg_cents": 2000})
    return post(api, h, "/api/v1/spools", {"filament_id": fil["id"], "initial_weight_g": grams,
                                           "price_cents": grams * 2})


def order(api, h, cust, lines, **extra):
    body = {"customer_id": cust["id"], "lines": lines}
    body.update(extra)
    return post(api, h, "/api/v1/orders", body)


def status(api, h, oid, to, **extra):
    return api.post(f"/api/v1/orders/{oid}/status", json=dict(status=to, **extra), headers=h)


def job_status(api, h, jid, to, **extra):
    return api.post(f"/api/v1/print-jobs/{jid}/status", json=dict(status=to, **extra),
                    headers=h)


def printable(api, h, grams=20, units=1, spool_g=1000, lines_qty=2):
    """A confirmed order of one printed product with enough filament on one spool."""
    t = tag()
    colour = f"Col-{t}"
    sp = spool(api, h, t, colour, spool_g)
    p = product(api, h, t, plate=("PLA", colour, grams, units, 30))
    c = customer(api, h, t)
    o = order(api, h, c, [{"product_id": p["id"], "quantity": lines_qty}])
    r = status(api, h, o["id"], "confirmed")
    assert r.status_code == 200, r.text
    return {"t": t, "colour": colour, "spool": sp, "product": p, "customer": c,
            "order": r.json()}


def counts(server):
    return server.psql("SELECT (SELECT count(*) FROM sales_orders), "
                       "(SELECT count(*) FROM sales_order_lines), "
                       "(SELECT count(*) FROM audit_log WHERE entity = 'order')")[0]


def audit(server, entity, eid):
    return [a[0] for a in server.psql(
        "SELECT action FROM audit_log WHERE entity = %s AND entity_id = %s ORDER BY id",
        (entity, str(eid)))]


# ---- create ----

def test_new_order_ships_to_the_customer_and_takes_product_prices(api, h, server):
    t = tag()
    std = product(api, h, t, price=2380)
    red = product(api, h, t, price=595, vat="reduced")
    # shipping address wins over billing
    both = customer(api, h, t, billing_street="Billing 1", billing_postal_code="80331",
                    billing_city="Munich", billing_country="DE", shipping_street="Ship 2",
                    shipping_postal_code="10115", shipping_city="Berlin",
                    shipping_country="DE")
    o = order(api, h, both, [{"product_id": std["id"], "quantity": 3},
                             {"product_id": red["id"], "quantity": 2, "discount_bp": 2500}])
    assert o["status"] == "draft" and o["source"] == "manual" and o["currency"] == "EUR"
    assert o["prices_include_vat"] is True
    assert (o["ship_name"], o["ship_street"], o["ship_postal_code"], o["ship_city"],
            o["ship_country"]) == (f"Cust {t}", "Ship 2", "10115", "Berlin", "DE")
    l1, l2 = o["lines"]
    assert (l1["position"], l1["sku"], l1["description"], l1["unit_price_cents"],
            l1["vat_rate"], l1["vat_bp"], l1["amount_cents"]) == (
        1, std["sku"], std["name"], 2380, "standard", 1900, 7140)
    # 2 x 5.95 = 11.90 less 25 % (2.975 -> 2.98) = 8.92
    assert (l2["unit_price_cents"], l2["vat_rate"], l2["vat_bp"], l2["amount_cents"]) == (
        595, "reduced", 700, 892)
    rates = {v["vat_rate"]: v for v in o["vat_breakdown"]}
    # 71.40 / 1.19 = 60.00; 8.92 / 1.07 = 8.3364 -> 8.34
    assert rates["standard"] == {"vat_rate": "standard", "vat_bp": 1900, "net_cents": 6000,
                                 "vat_cents": 1140, "gross_cents": 7140}
    assert rates["reduced"] == {"vat_rate": "reduced", "vat_bp": 700, "net_cents": 834,
                                "vat_cents": 58, "gross_cents": 892}
    assert (o["net_cents"], o["vat_cents"], o["gross_cents"], o["line_count"]) == (
        6834, 1198, 8032, 2)
    stored = server.psql("SELECT gross_cents, line_count FROM sales_orders WHERE id = %s",
                         (o["id"],))
    assert stored == [(8032, 2)]

    # only a billing address: that one
    bill = customer(api, h, t + "b", billing_street="Billing 1",
                    billing_postal_code="80331", billing_city="Munich", billing_country="AT")
    o = order(api, h, bill, [])
    assert (o["ship_street"], o["ship_city"], o["ship_country"]) == (
        "Billing 1", "Munich", "AT")
    assert o["line_count"] == 0 and o["gross_cents"] == 0
    # an address given is kept as given, nothing is mixed in
    o = order(api, h, both, [], ship_name="Someone Else", ship_city="Hamburg")
    assert (o["ship_name"], o["ship_city"], o["ship_street"]) == (
        "Someone Else", "Hamburg", None)


def test_prices_excluding_vat_take_the_net_product_price_and_add_vat(api, h):
    t = tag()
    std = product(api, h, t, price=2380)
    red = product(api, h, t, price=595, vat="reduced")
    c = customer(api, h, t)
    o = order(api, h, c, [{"product_id": std["id"], "quantity": 3},
                          {"product_id": red["id"], "quantity": 1},
                          {"description": "Shipping", "quantity": 1,
                           "unit_price_cents": 490}], prices_include_vat=False)
    # 23.80 / 1.19 = 20.00; 5.95 / 1.07 = 5.5607 -> 5.56
    assert [l["unit_price_cents"] for l in o["lines"]] == [2000, 556, 490]
    # a line without a product is at the standard rate
    assert o["lines"][2]["vat_rate"] == "standard" and o["lines"][2]["sku"] is None
    rates = {v["vat_rate"]: v for v in o["vat_breakdown"]}
    # standard: 60.00 + 4.90 = 64.90 net, 19 % = 12.331 -> 12.33
    assert (rates["standard"]["net_cents"], rates["standard"]["vat_cents"],
            rates["standard"]["gross_cents"]) == (6490, 1233, 7723)
    # reduced: 5.56 net, 7 % = 0.3892 -> 0.39
    assert (rates["reduced"]["net_cents"], rates["reduced"]["vat_cents"]) == (556, 39)
    assert (o["net_cents"], o["vat_cents"], o["gross_cents"]) == (7046, 1272, 8318)
    # a price given is taken as it is
    o = order(api, h, c, [{"product_id": std["id"], "quantity": 1, "unit_price_cents": 1000,
                           "vat_rate": "reduced"}], prices_include_vat=False)
    assert (o["lines"][0]["unit_price_cents"], o["vat_cents"], o["gross_cents"]) == (
        1000, 70, 1070)


def test_idempotency_key_replays_the_order_and_refuses_another_body(api, h, server):
    t = tag()
    c = customer(api, h, t)
    key = {"Idempotency-Key": "ord-" + t}
    body = {"customer_id": c["id"], "lines": [{"description": "Service", "quantity": 1,
                                               "unit_price_cents": 1000}]}
    r1 = api.post("/api/v1/orders", json=body, headers=dict(h, **key))
    assert r1.status_code == 201, r1.text
    before = counts(server)
    r2 = api.post("/api/v1/orders", json=body, headers=dict(h, **key))
    assert r2.status_code == 201 and r2.json()["id"] == r1.json()["id"]
    assert r2.json()["number"] == r1.json()["number"]
    assert counts(server) == before
    body["lines"][0]["quantity"] = 2
    e = error(api.post("/api/v1/orders", json=body, headers=dict(h, **key)), 422)
    assert "Idempotency-Key" in e["message"]
    assert counts(server) == before
    # another key makes another order
    r3 = api.post("/api/v1/orders", json=body, headers=dict(h, **{"Idempotency-Key": "x" + t}))
    assert r3.status_code == 201 and r3.json()["id"] != r1.json()["id"]


def test_external_id_is_unique_per_source(api, h, server):
    t = tag()
    c = customer(api, h, t)
    ext = f"R-{t}"
    first = order(api, h, c, [], source="etsy", external_id=ext)
    before = counts(server)
    e = error(api.post("/api/v1/orders", json={"customer_id": c["id"], "source": "etsy",
                                               "external_id": ext}, headers=h), 409)
    assert "external_id" in e["fields"] and ext in e["message"]
    assert counts(server) == before
    # the same receipt number from another source is another order
    other = order(api, h, c, [], source="quote", external_id=ext)
    assert other["id"] != first["id"] and other["external_id"] == ext
    # changing an order's external id onto a taken one is refused too
    mine = order(api, h, c, [], source="etsy", external_id=ext + "-2")
    e = error(api.patch(f"/api/v1/orders/{mine['id']}", json={"external_id": ext},
                        headers=h), 409)
    assert "external_id" in e["fields"]
    assert get(api, h, f"/api/v1/orders/{mine['id']}")["external_id"] == ext + "-2"


# ---- list ----

def test_list_filters_searches_sorts_and_pages(api, h):
    t = tag()
    a = customer(api, h, t + "a")
    b = customer(api, h, t + "b")
    line = {"description": "x", "quantity": 1}
    made = [order(api, h, a, [dict(line, unit_price_cents=300)], source="etsy",
                  external_id=f"E{t}1"),
            order(api, h, a, [dict(line, unit_price_cents=100)]),
            order(api, h, b, [dict(line, unit_price_cents=200)], source="etsy",
                  external_id=f"E{t}2")]
    assert status(api, h, made[1]["id"], "cancelled").status_code == 200
    ids = {o["id"] for o in made}

    by_a = get(api, h, f"/api/v1/orders?customer_id={a['id']}")
    assert by_a["total"] == 2 and {o["id"] for o in by_a["items"]} == {
        made[0]["id"], made[1]["id"]}
    # newest first by default
    assert [o["id"] for o in by_a["items"]] == [made[1]["id"], made[0]["id"]]
    assert by_a["items"][0]["customer_name"] == f"Cust {t}a"

    etsy = get(api, h, f"/api/v1/orders?source=etsy&q={t}")
    assert {o["id"] for o in etsy["items"]} == {made[0]["id"], made[2]["id"]}
    cancelled = get(api, h, f"/api/v1/orders?status=cancelled&customer_id={a['id']}")
    assert [o["id"] for o in cancelled["items"]] == [made[1]["id"]]
    # search by number, by customer name and by external id
    assert [o["id"] for o in get(api, h, "/api/v1/orders?q=" + made[2]["number"])["items"]] \
        == [made[2]["id"]]
    assert get(api, h, f"/api/v1/orders?q=cust%20{t}B")["total"] == 1
    assert [o["id"] for o in get(api, h, f"/api/v1/orders?q=e{t}1")["items"]] == [
        made[0]["id"]]

    mine = f"/api/v1/orders?q={t}&sort="
    asc = [o["id"] for o in get(api, h, mine + "gross_cents")["items"] if o["id"] in ids]
    assert asc == [made[1]["id"], made[2]["id"], made[0]["id"]]
    desc = [o["id"] for o in get(api, h, mine + "-gross_cents")["items"] if o["id"] in ids]
    assert desc == list(reversed(asc))
    two = [o["id"] for o in get(api, h, mine + "customer_name,-id")["items"]]
    assert two == [made[1]["id"], made[0]["id"], made[2]["id"]]
    assert [o["id"] for o in get(api, h, mine + "number")["items"]] == sorted(ids)

    page1 = get(api, h, f"/api/v1/orders?q={t}&sort=id&limit=2")
    page2 = get(api, h, f"/api/v1/orders?q={t}&sort=id&limit=2&offset=2")
    assert page1["total"] == page2["total"] == 3
    assert [o["id"] for o in page1["items"] + page2["items"]] == sorted(ids)

    e = error(api.get(mine + "ship_street", headers=h), 400)
    assert "sort" in e["message"]
    assert api.get("/api/v1/orders?status=lost", headers=h).status_code in (400, 422)
    assert api.get("/api/v1/orders?limit=501", headers=h).status_code in (400, 422)


# ---- header and lines ----

def test_patch_changes_header_fields_of_a_draft(api, h, server):
    t = tag()
    c = customer(api, h, t)
    c2 = customer(api, h, t + "2")
    o = order(api, h, c, [{"description": "Work", "quantity": 2, "unit_price_cents": 1190}])
    o2 = patch(api, h, f"/api/v1/orders/{o['id']}", {
        "notes": "gift wrap", "due_date": "2099-12-24", "ship_city": "Bremen",
        "customer_id": c2["id"], "order_date": "2099-01-02", "carrier": "DHL"})
    assert (o2["notes"], o2["due_date"], o2["ship_city"], o2["customer_id"],
            o2["order_date"], o2["carrier"]) == (
        "gift wrap", "2099-12-24", "Bremen", c2["id"], "2099-01-02", "DHL")
    # fields not named stay
    assert o2["gross_cents"] == 2380 and o2["number"] == o["number"]
    # prices_include_vat recomputes the stored lines' totals
    o3 = patch(api, h, f"/api/v1/orders/{o['id']}", {"prices_include_vat": False})
    assert (o3["net_cents"], o3["vat_cents"], o3["gross_cents"]) == (2380, 452, 2832)
    # null clears an optional field
    o4 = patch(api, h, f"/api/v1/orders/{o['id']}", {"notes": None})
    assert o4["notes"] is None and o4["carrier"] == "DHL"
    # "lines" replaces every line
    o5 = patch(api, h, f"/api/v1/orders/{o['id']}", {"lines": [
        {"description": "A", "quantity": 1, "unit_price_cents": 100},
        {"description": "B", "quantity": 3, "unit_price_cents": 100}]})
    assert [l["description"] for l in o5["lines"]] == ["A", "B"]
    assert o5["net_cents"] == 400 and o5["line_count"] == 2
    assert server.psql("SELECT count(*) FROM sales_order_lines WHERE order_id = %s",
                       (o["id"],)) == [(2,)]
    assert audit(server, "order", o["id"]) == ["create"] + ["update"] * 4


def test_lines_of_a_draft_can_be_added_changed_and_removed(api, h, server):
    t = tag()
    p = product(api, h, t, price=1190)
    c = customer(api, h, t)
    o = order(api, h, c, [{"product_id": p["id"], "quantity": 1}])
    assert o["gross_cents"] == 1190

    o = post(api, h, f"/api/v1/orders/{o['id']}/lines",
             {"description": "Engraving", "quantity": 2, "unit_price_cents": 500,
              "vat_rate": "reduced"})
    assert o["line_count"] == 2 and o["gross_cents"] == 1190 + 1000
    assert [l["position"] for l in o["lines"]] == [1, 2]
    eng = o["lines"][1]

    o = patch(api, h, f"/api/v1/orders/{o['id']}/lines/{eng['id']}",
              {"quantity": 3, "discount_bp": 1000})
    # 3 x 5.00 less 10 % = 13.50; the rest of the line stays
    line = o["lines"][1]
    assert (line["quantity"], line["amount_cents"], line["description"],
            line["vat_rate"]) == (3, 1350, "Engraving", "reduced")
    assert o["gross_cents"] == 1190 + 1350
    # a new product on a line brings its own name and price
    p2 = product(api, h, t, price=300)
    o = patch(api, h, f"/api/v1/orders/{o['id']}/lines/{eng['id']}",
              {"product_id": p2["id"], "description": None, "unit_price_cents": None,
               "vat_rate": None})
    line = o["lines"][1]
    assert (line["product_id"], line["sku"], line["unit_price_cents"], line["vat_rate"]) == (
        p2["id"], p2["sku"], 300, "standard")
    assert o["gross_cents"] == 1190 + 810

    r = api.delete(f"/api/v1/orders/{o['id']}/lines/{o['lines'][0]['id']}", headers=h)
    assert r.status_code == 200, r.text
    o = r.json()
    assert o["line_count"] == 1 and o["gross_cents"] == 810
    assert [v["gross_cents"] for v in o["vat_breakdown"]] == [810]
    # a line of another order or none at all is 404
    assert api.delete(f"/api/v1/orders/{o['id']}/lines/999999999",
                      headers=h).status_code == 404
    assert api.patch(f"/api/v1/orders/{o['id']}/lines/999999999", json={"quantity": 1},
                     headers=h).status_code == 404
    assert audit(server, "order", o["id"]) == [
        "create", "line_add", "line_update", "line_update", "line_delete"]


def test_after_confirmation_lines_and_terms_are_fixed(api, h, server):
    t = tag()
    c = customer(api, h, t)
    c2 = customer(api, h, t + "2")
    o = order(api, h, c, [{"description": "Consulting", "quantity": 1,
                           "unit_price_cents": 5000}], notes="first")
    assert status(api, h, o["id"], "confirmed").status_code == 200
    line = o["lines"][0]
    before = server.psql("SELECT row_to_json(o)::text FROM sales_orders o WHERE id = %s",
                         (o["id"],))
    lines_before = server.psql(
        "SELECT row_to_json(l)::text FROM sales_order_lines l WHERE order_id = %s",
        (o["id"],))
    base = f"/api/v1/orders/{o['id']}"
    for r, field in [
            (api.post(base + "/lines", json={"description": "x", "quantity": 1}, headers=h),
             "lines"),
            (api.patch(f"{base}/lines/{line['id']}", json={"quantity": 2}, headers=h),
             "lines"),
            (api.delete(f"{base}/lines/{line['id']}", headers=h), "lines"),
            (api.patch(base, json={"lines": []}, headers=h), "lines"),
            (api.patch(base, json={"customer_id": c2["id"]}, headers=h), "customer_id"),
            (api.patch(base, json={"currency": "USD"}, headers=h), "currency"),
            (api.patch(base, json={"order_date": "2001-01-01"}, headers=h), "order_date"),
            (api.patch(base, json={"prices_include_vat": False}, headers=h),
             "prices_include_vat"),
            (api.patch(base, json={"source": "etsy", "notes": "changed"}, headers=h),
             "source")]:
        e = error(r, 409)
        assert field in e["fields"], (field, e)
        assert field in e["message"]
    after = server.psql("SELECT row_to_json(o)::text FROM sales_orders o WHERE id = %s",
                        (o["id"],))
    assert after == before
    assert server.psql("SELECT row_to_json(l)::text FROM sales_order_lines l WHERE "
                       "order_id = %s", (o["id"],)) == lines_before
    # header fields that are not terms still change, and a draft-only field sent with
    # its current value is no change
    o2 = patch(api, h, base, {"notes": "second", "customer_id": c["id"],
                              "ship_city": "Kiel"})
    assert (o2["notes"], o2["ship_city"], o2["customer_id"]) == ("second", "Kiel", c["id"])
    # the trigger keeps other writers out too
    with pytest.raises(Exception) as exc:
        server.psql("UPDATE sales_order_lines SET quantity = 9 WHERE order_id = %s",
                    (o["id"],))
    assert "cannot change" in str(exc.value)
    # completed and cancelled orders do not change at all
    assert status(api, h, o["id"], "cancelled").status_code == 200
    e = error(api.patch(base, json={"notes": "third"}, headers=h), 409)
    assert "status" in e["fields"]
    assert get(api, h, base)["notes"] == "second"


# ---- sales order statuses ----

def test_every_sales_order_transition(api, h, server):
    t = tag()
    c = customer(api, h, t)
    svc = [{"description": "Service", "quantity": 1, "unit_price_cents": 100}]

    def new():
        return order(api, h, c, svc)["id"]

    def go(oid, *path):
        for to in path:
            r = status(api, h, oid, to)
            assert r.status_code == 200, (to, r.text)
            assert r.json()["status"] == to
        return r.json()

    # draft -> cancelled
    assert go(new(), "cancelled")["next"] == []
    # draft -> confirmed -> cancelled
    assert go(new(), "confirmed", "cancelled")["cancelled_at"] is not None
    # confirmed -> in_production -> cancelled
    go(new(), "confirmed", "in_production", "cancelled")
    # ready -> cancelled
    go(new(), "confirmed", "ready", "cancelled")
    # the whole way, by hand (nothing to print): every step stamps its time
    oid = new()
    o = go(oid, "confirmed", "in_production", "ready")
    assert o["next"] == ["shipped", "cancelled"]
    o = status(api, h, oid, "shipped", carrier="UPS", tracking_number="1Z999").json()
    assert (o["status"], o["carrier"], o["tracking_number"]) == ("shipped", "UPS", "1Z999")
    assert o["next"] == ["completed"]
    o = go(oid, "completed")
    assert all(o[k] is not None for k in ("confirmed_at", "in_production_at", "ready_at",
                                          "shipped_at", "completed_at"))
    assert o["cancelled_at"] is None
    assert audit(server, "order", oid) == [
        "create", "status_confirmed", "status_in_production", "status_ready",
        "status_shipped", "status_completed"]


@pytest.mark.parametrize("path,to,allowed", [
    ([], "shipped", ["confirmed", "cancelled"]),
    ([], "ready", ["confirmed", "cancelled"]),
    (["confirmed"], "draft", ["in_production", "ready", "cancelled"]),
    (["confirmed"], "completed", ["in_production", "ready", "cancelled"]),
    (["confirmed", "ready"], "in_production", ["shipped", "cancelled"]),
    (["confirmed", "ready", "shipped"], "cancelled", ["completed"]),
    (["confirmed", "ready", "shipped", "completed"], "cancelled", []),
    (["cancelled"], "confirmed", []),
])
def test_refused_sales_order_transitions_list_the_allowed_ones(api, h, server, path, to,
                                                               allowed):
    c = customer(api, h, tag())
    o = order(api, h, c, [{"description": "x", "quantity": 1, "unit_price_cents": 1}])
    for step in path:
        assert status(api, h, o["id"], step).status_code == 200
    before = get(api, h, f"/api/v1/orders/{o['id']}")
    e = error(status(api, h, o["id"], to), 409)
    assert e["allowed"] == allowed
    assert o["number"] in e["message"]
    after = get(api, h, f"/api/v1/orders/{o['id']}")
    assert after["status"] == before["status"] and after["updated_at"] == before["updated_at"]
    assert audit(server, "order", o["id"])[-1] != f"status_{to}"


def test_unknown_status_is_invalid(api, h):
    c = customer(api, h, tag())
    o = order(api, h, c, [])
    e = error(status(api, h, o["id"], "lost"), 422)
    assert "status" in e["fields"]
    assert error(status(api, h, 999999999, "cancelled"), 404)


def test_confirming_without_lines_is_refused(api, h, server):
    c = customer(api, h, tag())
    o = order(api, h, c, [])
    e = error(status(api, h, o["id"], "confirmed"), 409)
    assert "no lines" in e["message"]
    assert get(api, h, f"/api/v1/orders/{o['id']}")["status"] == "draft"
    assert audit(server, "order", o["id"]) == ["create"]


def test_ready_is_refused_while_production_is_open(api, h):
    env = printable(api, h)
    o = env["order"]
    assert len(o["production_orders"]) == 1
    e = error(status(api, h, o["id"], "ready"), 409)
    assert "still open" in e["message"]
    assert e["allowed"] == ["in_production", "ready", "cancelled"]
    assert get(api, h, f"/api/v1/orders/{o['id']}")["status"] == "confirmed"


# ---- production orders ----

def test_production_order_list_and_show(api, h):
    env = printable(api, h, grams=20, units=1, lines_qty=2)
    o = env["order"]
    po = o["production_orders"][0]
    lst = get(api, h, f"/api/v1/production-orders?order_id={o['id']}")
    assert lst["total"] == 1 and lst["items"][0]["id"] == po["id"]
    item = lst["items"][0]
    assert (item["sales_order_number"], item["sku"], item["quantity"], item["status"],
            item["jobs"], item["jobs_completed"]) == (
        o["number"], env["product"]["sku"], 2, "planned", 2, 0)
    assert get(api, h, f"/api/v1/production-orders?q={po['number']}")["total"] == 1
    assert get(api, h, f"/api/v1/production-orders?q={env['product']['sku']}&"
                       "status=done")["total"] == 0
    full = get(api, h, f"/api/v1/production-orders/{po['id']}")
    req = full["requirements"][0]
    assert (req["kind"], req["material"], req["color_name"], req["required"],
            req["reserved"]) == ("filament", "PLA", env["colour"], 40, 40)
    assert req["held"] == [{"spool_id": env["spool"]["id"], "item_id": None, "qty": 40}]
    assert [j["seq"] for j in full["print_jobs"]] == [1, 2]
    assert api.get("/api/v1/production-orders/999999999", headers=h).status_code == 404


def test_cancelling_a_production_order_cancels_jobs_and_releases_reservations(
        api, h, server):
    env = printable(api, h, grams=25, units=1, lines_qty=2)
    po = env["order"]["production_orders"][0]
    sid = env["spool"]["id"]
    assert get(api, h, f"/api/v1/spools/{sid}")["reserved_g"] == 50
    jobs = po["print_jobs"]
    assert job_status(api, h, jobs[0]["id"], "started").status_code == 200
    full = post(api, h, f"/api/v1/production-orders/{po['id']}/status",
                {"status": "cancelled"}, 200)
    assert full["status"] == "cancelled" and full["cancelled_at"] is not None
    assert {j["status"] for j in full["print_jobs"]} == {"cancelled"}
    assert all(r["reserved"] == 0 and r["held"] == [] for r in full["requirements"])
    assert get(api, h, f"/api/v1/spools/{sid}")["reserved_g"] == 0
    assert get(api, h, f"/api/v1/spools/{sid}")["remaining_g"] == 1000
    assert audit(server, "production_order", po["id"])[-1] == "status_cancelled"
    assert all(audit(server, "print_job", j["id"])[-1] == "status_cancelled" for j in jobs)
    # cancelled is final; reserving for it is refused
    e = error(api.post(f"/api/v1/production-orders/{po['id']}/status",
                       json={"status": "done"}, headers=h), 409)
    assert e["allowed"] == []
    e = error(api.post(f"/api/v1/production-orders/{po['id']}/reserve", headers=h), 409)
    assert "cancelled" in e["message"]
    # its sales order can no longer wait for it: ready is allowed
    assert status(api, h, env["order"]["id"], "ready").status_code == 200


def test_production_order_done_by_hand_only_when_no_job_is_open(api, h):
    t = tag()
    colour = f"Col-{t}"
    spool(api, h, t, colour, 500)
    magnet = post(api, h, "/api/v1/items", {"name": f"Magnet {t}", "unit": "pcs"})
    post(api, h, f"/api/v1/items/{magnet['id']}/receive", {"qty": 10, "unit_cost_cents": 5},
         status=200)
    p = product(api, h, t, plate=("PLA", colour, 10, 1, 20))
    post(api, h, f"/api/v1/products/{p['id']}/bom", {"item_id": magnet["id"], "qty": 3})
    c = customer(api, h, t)
    o = order(api, h, c, [{"product_id": p["id"], "quantity": 2}])
    o = post(api, h, f"/api/v1/orders/{o['id']}/status", {"status": "confirmed"}, 200)
    po = o["production_orders"][0]
    url = f"/api/v1/production-orders/{po['id']}/status"
    e = error(api.post(url, json={"status": "done"}, headers=h), 409)
    assert "open print jobs" in e["message"]
    for to in ("planned", "in_progress"):
        e = error(api.post(url, json={"status": to}, headers=h), 409)
        assert e["allowed"] == ["done", "cancelled"]
    assert get(api, h, f"/api/v1/production-orders/{po['id']}")["status"] == "planned"
    # one job printed, the other cancelled (printed elsewhere): then done by hand
    j1, j2 = po["print_jobs"]
    assert job_status(api, h, j1["id"], "started").status_code == 200
    assert job_status(api, h, j1["id"], "completed").status_code == 200
    assert job_status(api, h, j2["id"], "cancelled").status_code == 200
    # no open job and one completed: the production order was done by itself
    full = get(api, h, f"/api/v1/production-orders/{po['id']}")
    assert full["status"] == "done"
    assert get(api, h, f"/api/v1/items/{magnet['id']}")["on_hand"] == 4
    assert get(api, h, f"/api/v1/items/{magnet['id']}")["reserved"] == 0
    assert get(api, h, f"/api/v1/orders/{o['id']}")["status"] == "ready"
    e = error(api.post(url, json={"status": "cancelled"}, headers=h), 409)
    assert e["allowed"] == []


def test_production_order_without_any_printed_job_can_be_done_by_hand(api, h):
    env = printable(api, h, grams=10, units=1, lines_qty=1)
    o = env["order"]
    po = o["production_orders"][0]
    assert job_status(api, h, po["print_jobs"][0]["id"], "cancelled").status_code == 200
    full = post(api, h, f"/api/v1/production-orders/{po['id']}/status", {"status": "done"},
                200)
    assert full["status"] == "done" and full["done_at"] is not None
    assert all(r["reserved"] == 0 for r in full["requirements"])
    assert get(api, h, f"/api/v1/spools/{env['spool']['id']}")["reserved_g"] == 0
    # the sales order follows: every production order is done
    assert get(api, h, f"/api/v1/orders/{o['id']}")["status"] == "ready"


def test_reserve_picks_up_stock_that_arrived_later(api, h, server):
    t = tag()
    colour = f"Col-{t}"
    small = spool(api, h, t, colour, 50)
    p = product(api, h, t, plate=("PLA", colour, 30, 1, 30))
    c = customer(api, h, t)
    o = order(api, h, c, [{"product_id": p["id"], "quantity": 2}])
    o = post(api, h, f"/api/v1/orders/{o['id']}/status", {"status": "confirmed"}, 200)
    req = o["requirements"][0]
    assert (req["required"], req["reserved"], req["short"]) == (60, 50, 10)
    po = o["production_orders"][0]
    # nothing new: nothing more reserved
    again = post(api, h, f"/api/v1/production-orders/{po['id']}/reserve", None, 200)
    assert again["reserved_now"] == 0 and again["requirements"][0]["reserved"] == 50
    big = spool(api, h, t, colour, 100)
    after = post(api, h, f"/api/v1/production-orders/{po['id']}/reserve", None, 200)
    assert after["reserved_now"] == 10
    assert after["requirements"][0]["reserved"] == 60
    assert get(api, h, f"/api/v1/spools/{small['id']}")["reserved_g"] == 50
    assert get(api, h, f"/api/v1/spools/{big['id']}")["reserved_g"] == 10
    o = get(api, h, f"/api/v1/orders/{o['id']}")
    assert o["requirements"][0]["short"] == 0
    assert audit(server, "production_order", po["id"]) == ["reserve", "reserve"]
    assert api.post("/api/v1/production-orders/999999999/reserve",
                    headers=h).status_code == 404


# ---- print jobs ----

def a_printer(server):
    """A printer row for jobs to name (print_jobs.printer_id references printers)."""
    return server.psql("INSERT INTO printers (kind, name, host, active) VALUES "
                       "('moonraker', %s, 'jobs.lan', false) RETURNING id",
                       ("jobs " + tag(),))[0][0]


def test_print_job_list_filters_and_queue_order(api, h, server):
    pid = a_printer(server)
    env = printable(api, h, grams=5, units=1, lines_qty=3)
    o = env["order"]
    jobs = o["production_orders"][0]["print_jobs"]
    patch(api, h, f"/api/v1/print-jobs/{jobs[2]['id']}", {"priority": 50})
    lst = get(api, h, f"/api/v1/print-jobs?order_id={o['id']}&sort=queue")
    assert lst["total"] == 3
    assert [j["id"] for j in lst["items"]] == [jobs[2]["id"], jobs[0]["id"], jobs[1]["id"]]
    newest = get(api, h, f"/api/v1/print-jobs?order_id={o['id']}")
    assert [j["id"] for j in newest["items"]] == sorted((j["id"] for j in jobs),
                                                         reverse=True)
    po_id = o["production_orders"][0]["id"]
    assert get(api, h, f"/api/v1/print-jobs?production_order_id={po_id}&status=queued"
               )["total"] == 3
    assert job_status(api, h, jobs[0]["id"], "started", printer_id=pid).status_code == 200
    started = get(api, h, f"/api/v1/print-jobs?order_id={o['id']}&status=started")
    assert [j["id"] for j in started["items"]] == [jobs[0]["id"]]
    assert get(api, h, f"/api/v1/print-jobs?printer_id={pid}&order_id={o['id']}")["total"] == 1
    page = get(api, h, f"/api/v1/print-jobs?order_id={o['id']}&limit=1&offset=1")
    assert page["total"] == 3 and len(page["items"]) == 1
    one = get(api, h, f"/api/v1/print-jobs/{jobs[0]['id']}")
    assert (one["sales_order_number"], one["printer_id"], one["status"]) == (
        o["number"], pid, "started")
    assert one["slots"][0]["material"] == "PLA" and one["slots"][0]["est_grams"] == 5
    assert api.get("/api/v1/print-jobs/999999999", headers=h).status_code == 404


def test_print_job_patch_plans_open_jobs_only(api, h, server):
    pid = a_printer(server)
    env = printable(api, h, grams=5, units=1, lines_qty=2)
    j1, j2 = env["order"]["production_orders"][0]["print_jobs"]
    url = f"/api/v1/print-jobs/{j1['id']}"
    j = patch(api, h, url, {"priority": -20, "scheduled_start": "2099-03-01T08:00:00Z",
                            "printer_id": pid})
    assert (j["priority"], j["printer_id"]) == (-20, pid)
    assert j["scheduled_start"].startswith("2099-03-01")
    before = get(api, h, url)
    for body, field in [({"scheduled_start": "tomorrow morning"}, "scheduled_start"),
                        ({"scheduled_start": "2099-02-30T08:00:00Z"}, "scheduled_start"),
                        ({"priority": 101}, "priority"), ({"priority": "high"}, "priority"),
                        ({"printer_id": 0}, "printer_id"),
                        ({"colour": "red"}, "colour")]:
        e = error(api.patch(url, json=body, headers=h), 422)
        assert field in e["fields"], (body, e)
    assert get(api, h, url) == before
    # null clears the time and the printer; the priority stays
    j = patch(api, h, url, {"scheduled_start": None, "printer_id": None})
    assert (j["scheduled_start"], j["printer_id"], j["priority"]) == (None, None, -20)
    assert audit(server, "print_job", j1["id"]) == ["update", "update"]
    # a started job can still be planned; a closed one cannot
    assert job_status(api, h, j2["id"], "started").status_code == 200
    patch(api, h, f"/api/v1/print-jobs/{j2['id']}", {"priority": 5})
    assert job_status(api, h, j2["id"], "cancelled").status_code == 200
    e = error(api.patch(f"/api/v1/print-jobs/{j2['id']}", json={"priority": 9}, headers=h),
              409)
    assert "cancelled" in e["message"]
    assert get(api, h, f"/api/v1/print-jobs/{j2['id']}")["priority"] == 5


def test_every_print_job_transition_and_refusals(api, h):
    env = printable(api, h, grams=5, units=1, lines_qty=4)
    jobs = env["order"]["production_orders"][0]["print_jobs"]
    a, b, c, d = (j["id"] for j in jobs)
    # queued -> cancelled
    r = job_status(api, h, a, "cancelled")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["ended_at"] is not None
    # queued -> started -> cancelled
    assert job_status(api, h, b, "started").json()["started_at"] is not None
    assert job_status(api, h, b, "cancelled").json()["status"] == "cancelled"
    # queued -> started -> completed
    assert job_status(api, h, c, "started").status_code == 200
    r = job_status(api, h, c, "completed", minutes=12)
    assert r.status_code == 200 and r.json()["actual_seconds"] == 720
    assert r.json()["actual_grams"] == 5
    assert {"entity": "print_job", "id": c, "from": "started", "to": "completed"} in \
        r.json()["changes"]
    # queued -> started -> failed (see the failure tests for what it does)
    assert job_status(api, h, d, "started").status_code == 200
    r = job_status(api, h, d, "failed", reason="warped", replace=False)
    assert r.status_code == 200 and r.json()["failure_reason"] == "warped"

    refused = [(a, "started", []), (c, "failed", []), (d, "completed", [])]
    env2 = printable(api, h, grams=5, units=1, lines_qty=1)
    q = env2["order"]["production_orders"][0]["print_jobs"][0]["id"]
    refused += [(q, "completed", ["started", "cancelled"]),
                (q, "failed", ["started", "cancelled"]),
                (q, "queued", ["started", "cancelled"])]
    for jid, to, allowed in refused:
        before = get(api, h, f"/api/v1/print-jobs/{jid}")
        e = error(job_status(api, h, jid, to, reason="r"), 409)
        assert e["allowed"] == allowed, (jid, to, e)
        assert get(api, h, f"/api/v1/print-jobs/{jid}") == before
    assert error(job_status(api, h, q, "printing"), 422)
    assert error(job_status(api, h, 999999999, "started"), 404)
    e = error(job_status(api, h, q, "started", spools={"17": 1}), 422)
    assert "spools.17" in e["fields"]
    e = error(job_status(api, h, q, "started", grams={"1": -3}), 422)
    assert "grams.1" in e["fields"]


def test_failed_job_records_the_waste_and_queues_a_replacement(api, h, server):
    env = printable(api, h, grams=30, units=2, lines_qty=2)
    sid = env["spool"]["id"]
    po = env["order"]["production_orders"][0]
    (job,) = po["print_jobs"]
    assert get(api, h, f"/api/v1/spools/{sid}")["reserved_g"] == 30
    assert job_status(api, h, job["id"], "started", spools={"1": sid}).status_code == 200
    r = job_status(api, h, job["id"], "failed", reason="spaghetti at layer 40",
                   grams={"1": 12.5})
    assert r.status_code == 200, r.text
    failed = r.json()
    assert (failed["status"], failed["wasted_grams"], failed["failure_reason"]) == (
        "failed", 12.5, "spaghetti at layer 40")
    new_id = failed["replaced_by_job_id"]
    assert new_id is not None
    assert {"entity": "print_job", "id": new_id, "from": "", "to": "queued"} in \
        failed["changes"]
    new = get(api, h, f"/api/v1/print-jobs/{new_id}")
    assert (new["replaces_job_id"], new["status"], new["units"], new["plate_name"],
            new["seq"]) == (job["id"], "queued", 2, job["plate_name"], 2)
    assert [s["est_grams"] for s in new["slots"]] == [30]
    # the waste is a consumption in the ledger, and the spool is lighter
    moves = server.psql("SELECT -qty, reason FROM stock_moves WHERE kind = 'consumption' "
                        "AND ref_kind = 'print_job' AND ref_id = %s AND spool_id = %s",
                        (job["id"], sid))
    assert [(float(m[0]), m[1]) for m in moves] == [(12.5, "failed print")]
    sp = get(api, h, f"/api/v1/spools/{sid}")
    assert sp["remaining_g"] == 1000 - 12.5
    # the reservation shrank by what was used; the rest still waits for the reprint
    assert sp["reserved_g"] == 30 - 12.5
    # the production order stays in progress with the replacement open
    assert get(api, h, f"/api/v1/production-orders/{po['id']}")["status"] == "in_progress"
    assert audit(server, "print_job", job["id"]) == ["status_started", "status_failed"]
    assert audit(server, "print_job", new_id) == ["status_queued"]


def test_failed_job_without_replacement_or_reason(api, h, server):
    env = printable(api, h, grams=20, units=1, lines_qty=1)
    (job,) = env["order"]["production_orders"][0]["print_jobs"]
    assert job_status(api, h, job["id"], "started").status_code == 200
    for body in ({}, {"reason": ""}):
        e = error(job_status(api, h, job["id"], "failed", **body), 422)
        assert "reason" in e["fields"]
    assert get(api, h, f"/api/v1/print-jobs/{job['id']}")["status"] == "started"
    r = job_status(api, h, job["id"], "failed", reason="nozzle clog", replace=False)
    assert r.status_code == 200, r.text
    assert r.json()["replaced_by_job_id"] is None and r.json()["wasted_grams"] == 0
    assert server.psql("SELECT count(*) FROM print_jobs WHERE replaces_job_id = %s",
                       (job["id"],)) == [(0,)]
    # no grams given: nothing taken from the spool
    assert get(api, h, f"/api/v1/spools/{env['spool']['id']}")["remaining_g"] == 1000
    # its production order has no open job and none completed: it waits
    po = get(api, h, f"/api/v1/production-orders/{r.json()['production_order_id']}")
    assert po["status"] == "in_progress"


def test_completing_a_job_whose_filament_no_spool_holds_names_the_slot(api, h, server):
    t = tag()
    colour = f"Nowhere-{t}"
    p = product(api, h, t, plate=("PETG", colour, 15, 1, 10))
    c = customer(api, h, t)
    o = order(api, h, c, [{"product_id": p["id"], "quantity": 1}])
    o = post(api, h, f"/api/v1/orders/{o['id']}/status", {"status": "confirmed"}, 200)
    assert o["requirements"][0]["short"] == 15
    (job,) = o["production_orders"][0]["print_jobs"]
    assert job_status(api, h, job["id"], "started").status_code == 200
    e = error(job_status(api, h, job["id"], "completed"), 409)
    assert "spools.1" in e["fields"] and colour in e["message"]
    assert get(api, h, f"/api/v1/print-jobs/{job['id']}")["status"] == "started"
    assert server.psql("SELECT count(*) FROM stock_moves WHERE ref_kind = 'print_job' AND "
                       "ref_id = %s", (job["id"],)) == [(0,)]
    # naming a spool of that filament completes it
    sp = spool(api, h, t, colour, 100, material="PETG")
    r = job_status(api, h, job["id"], "completed", spools={"1": sp["id"]})
    assert r.status_code == 200, r.text
    assert get(api, h, f"/api/v1/spools/{sp['id']}")["remaining_g"] == 85


# ---- bad input ----

@pytest.mark.parametrize("line,field", [
    ({"description": "x", "quantity": 0}, "lines[0].quantity"),
    ({"description": "x", "quantity": -1}, "lines[0].quantity"),
    ({"description": "x", "quantity": 100001}, "lines[0].quantity"),
    ({"description": "x", "quantity": 1.5}, "lines[0].quantity"),
    ({"description": "x"}, "lines[0].quantity"),
    ({"product_id": 999999999, "quantity": 1}, "lines[0].product_id"),
    ({"quantity": 1}, "lines[0].description"),
    ({"description": "x", "quantity": 1, "colour": "red"}, "lines[0].colour"),
    ({"description": "x", "quantity": 1, "vat_rate": "luxury"}, "lines[0].vat_rate"),
    ({"description": "x", "quantity": 1, "discount_bp": 10001}, "lines[0].discount_bp"),
    ({"description": "x", "quantity": 1, "discount_bp": -1}, "lines[0].discount_bp"),
    ({"description": "x", "quantity": 1, "unit_price_cents": -5},
     "lines[0].unit_price_cents"),
    ({"description": "", "quantity": 1}, "lines[0].description"),
])
def test_bad_lines_are_refused_naming_the_field_and_nothing_is_written(api, h, server,
                                                                        line, field):
    c = customer(api, h, tag())
    before = counts(server)
    good = {"description": "fine", "quantity": 1, "unit_price_cents": 100}
    e = error(api.post("/api/v1/orders", json={"customer_id": c["id"],
                                               "lines": [line, good]}, headers=h), 422)
    assert field in e["fields"], e
    assert counts(server) == before
    # the same line added to a draft (named as the first line added): the draft
    # stays as it was
    o = order(api, h, c, [good])
    before = counts(server)
    e = error(api.post(f"/api/v1/orders/{o['id']}/lines", json=line, headers=h), 422)
    # an unknown field of the body is named by the route's own check
    assert ("colour" if "colour" in line else field) in e["fields"], e
    assert counts(server) == before
    assert get(api, h, f"/api/v1/orders/{o['id']}")["gross_cents"] == 100


def test_second_bad_line_is_named_by_its_index(api, h, server):
    c = customer(api, h, tag())
    before = counts(server)
    e = error(api.post("/api/v1/orders", json={"customer_id": c["id"], "lines": [
        {"description": "ok", "quantity": 1}, {"description": "bad", "quantity": 0},
        {"description": "bad too", "quantity": 1, "vat_rate": "none"}]}, headers=h), 422)
    assert {"lines[1].quantity", "lines[2].vat_rate"} <= set(e["fields"])
    assert "lines[0].quantity" not in e["fields"]
    assert counts(server) == before


@pytest.mark.parametrize("body,field", [
    ({"customer_id": 999999999}, "customer_id"),
    ({}, "customer_id"),
    ({"customer_id": "abc"}, "customer_id"),
    ({"order_date": "2024-13-01"}, "order_date"),
    ({"order_date": "2024-02-30"}, "order_date"),
    ({"order_date": "yesterday"}, "order_date"),
    ({"due_date": "31.01.2099"}, "due_date"),
    ({"order_date": "2099-02-01", "due_date": "2099-01-31"}, "due_date"),
    ({"source": "ebay"}, "source"),
    ({"currency": "euro"}, "currency"),
    ({"currency": "XYZ"}, "currency"),
    ({"ship_country": "XX"}, "ship_country"),
    ({"external_id": "x" * 101}, "external_id"),
    ({"notes": 5}, "notes"),
    ({"lines": "two boxes"}, "lines"),
    ({"lines": ["box"]}, "lines[0]"),
])
def test_bad_order_fields_are_refused_naming_the_field(api, h, server, body, field):
    c = customer(api, h, tag())
    full = {"customer_id": c["id"]}
    full.update(body)
    if body == {}:
        full = {}
    before = counts(server)
    e = error(api.post("/api/v1/orders", json=full, headers=h), 422)
    assert field in e["fields"], e
    assert counts(server) == before


def test_leap_days_are_dates(api, h):
    c = customer(api, h, tag())
    o = order(api, h, c, [], order_date="2024-02-29", due_date="2024-03-01")
    assert o["order_date"] == "2024-02-29"
    e = error(api.post("/api/v1/orders", json={"customer_id": c["id"],
                                               "order_date": "2100-02-29"}, headers=h), 422)
    assert "order_date" in e["fields"]


def test_patch_due_date_before_order_date_changes_nothing(api, h, server):
    c = customer(api, h, tag())
    o = order(api, h, c, [], order_date="2099-05-01", due_date="2099-06-01")
    e = error(api.patch(f"/api/v1/orders/{o['id']}", json={"due_date": "2099-04-01"},
                        headers=h), 422)
    assert "due_date" in e["fields"]
    e = error(api.patch(f"/api/v1/orders/{o['id']}", json={"unknown": 1}, headers=h), 422)
    assert "unknown" in e["fields"]
    assert get(api, h, f"/api/v1/orders/{o['id']}")["due_date"] == "2099-06-01"
    assert audit(server, "order", o["id"]) == ["create"]


# ---- BOM explosion ----

def test_confirming_explodes_sub_products_into_jobs_and_requirements(api, h):
    t = tag()
    red, blue = f"Red-{t}", f"Blue-{t}"
    spool(api, h, t, red, 1000)
    spool(api, h, t, blue, 1000)
    screw = post(api, h, "/api/v1/items", {"name": f"Screw {t}", "unit": "pcs"})
    post(api, h, f"/api/v1/items/{screw['id']}/receive", {"qty": 100, "unit_cost_cents": 2},
         status=200)
    # a kit (no plate of its own) = 2 arms + 4 screws; an arm = 1 plate (1 per plate,
    # 15 g red) + 2 clips; a clip = 4 per plate, 5 g blue
    clip = product(api, h, t + "c", plate=("PLA", blue, 5, 4, 10))
    arm = product(api, h, t + "a", plate=("PLA", red, 15, 1, 45))
    kit = product(api, h, t + "k")
    post(api, h, f"/api/v1/products/{arm['id']}/bom", {"product_id": clip["id"], "qty": 2})
    post(api, h, f"/api/v1/products/{kit['id']}/bom", {"product_id": arm["id"], "qty": 2})
    post(api, h, f"/api/v1/products/{kit['id']}/bom", {"item_id": screw["id"], "qty": 4})
    c = customer(api, h, t)
    o = order(api, h, c, [{"product_id": kit["id"], "quantity": 3}])
    o = post(api, h, f"/api/v1/orders/{o['id']}/status", {"status": "confirmed"}, 200)
    (po,) = o["production_orders"]
    assert po["product_id"] == kit["id"] and po["quantity"] == 3
    full = get(api, h, f"/api/v1/production-orders/{po['id']}")
    jobs = get(api, h, f"/api/v1/print-jobs?production_order_id={po['id']}&limit=100")
    by_product = {}
    for j in jobs["items"]:
        by_product.setdefault(j["product_id"], []).append(j)
    # 3 kits -> 6 arms (6 runs of 1), 12 clips (3 runs of 4)
    assert len(by_product[arm["id"]]) == 6
    assert sorted(j["units"] for j in by_product[clip["id"]]) == [4, 4, 4]
    assert kit["id"] not in by_product
    assert sorted(j["seq"] for j in jobs["items"]) == list(range(1, 10))
    reqs = {(r["kind"], r["color_name"]): r for r in full["requirements"]}
    # grams = plate grams x runs: 15 x 6 = 90 red, 5 x 3 = 15 blue; screws 4 x 3 = 12
    assert reqs[("filament", red)]["required"] == 90
    assert reqs[("filament", blue)]["required"] == 15
    assert reqs[("item", None)]["required"] == 12 and reqs[("item", None)]["item_id"] == \
        screw["id"]
    assert all(r["reserved"] == r["required"] for r in full["requirements"])
    assert get(api, h, f"/api/v1/items/{screw['id']}")["reserved"] == 12


def test_lines_without_anything_to_print_make_no_production_order(api, h):
    t = tag()
    plain = product(api, h, t)
    c = customer(api, h, t)
    o = order(api, h, c, [{"product_id": plain["id"], "quantity": 2},
                          {"description": "Shipping", "quantity": 1, "unit_price_cents": 5}])
    o = post(api, h, f"/api/v1/orders/{o['id']}/status", {"status": "confirmed"}, 200)
    assert o["production_orders"] == [] and o["requirements"] == []
    assert status(api, h, o["id"], "ready").status_code == 200


# ---- roles ----

def test_accountant_reads_everything_but_writes_nothing(api, h, make_user, server):
    env = printable(api, h, grams=5, units=1, lines_qty=1)
    o = env["order"]
    po = o["production_orders"][0]
    job = po["print_jobs"][0]
    _, _, tok = make_user("accountant")
    acc = {"Authorization": f"Bearer {tok}"}
    for url in ("/api/v1/orders", f"/api/v1/orders/{o['id']}",
                f"/api/v1/orders/{o['id']}/costs", "/api/v1/production-orders",
                f"/api/v1/production-orders/{po['id']}", "/api/v1/print-jobs",
                f"/api/v1/print-jobs/{job['id']}"):
        assert api.get(url, headers=acc).status_code == 200, url
    before = server.psql("SELECT count(*) FROM audit_log")
    line_id = o["lines"][0]["id"]
    for method, url, body in [
            ("POST", "/api/v1/orders", {"customer_id": env["customer"]["id"]}),
            ("PATCH", f"/api/v1/orders/{o['id']}", {"notes": "n"}),
            ("POST", f"/api/v1/orders/{o['id']}/lines", {"description": "x", "quantity": 1}),
            ("PATCH", f"/api/v1/orders/{o['id']}/lines/{line_id}", {"quantity": 2}),
            ("DELETE", f"/api/v1/orders/{o['id']}/lines/{line_id}", None),
            ("POST", f"/api/v1/orders/{o['id']}/status", {"status": "cancelled"}),
            ("POST", f"/api/v1/production-orders/{po['id']}/status", {"status": "cancelled"}),
            ("POST", f"/api/v1/production-orders/{po['id']}/reserve", None),
            ("PATCH", f"/api/v1/print-jobs/{job['id']}", {"priority": 1}),
            ("POST", f"/api/v1/print-jobs/{job['id']}/status", {"status": "started"})]:
        r = api.request(method, url, json=body, headers=acc)
        assert r.status_code == 403, (method, url, r.text)
    assert server.psql("SELECT count(*) FROM audit_log") == before
    assert get(api, h, f"/api/v1/orders/{o['id']}")["status"] == "confirmed"
    assert api.get("/api/v1/orders").status_code == 401


def test_staff_runs_orders_end_to_end_but_cannot_anonymise(api, h, make_user, server):
    name, _, tok = make_user("staff")
    st = {"Authorization": f"Bearer {tok}"}
    t = tag()
    colour = f"Col-{t}"
    sp = spool(api, h, t, colour, 200)
    p = product(api, h, t, plate=("PLA", colour, 10, 1, 5))
    c = customer(api, st, t)
    o = order(api, st, c, [{"description": "x", "quantity": 1}])
    line = o["lines"][0]
    patch(api, st, f"/api/v1/orders/{o['id']}/lines/{line['id']}",
          {"product_id": p["id"], "description": None})
    post(api, st, f"/api/v1/orders/{o['id']}/lines", {"description": "y", "quantity": 1})
    o = patch(api, st, f"/api/v1/orders/{o['id']}", {"notes": "by staff"})
    r = api.delete(f"/api/v1/orders/{o['id']}/lines/{o['lines'][1]['id']}", headers=st)
    assert r.status_code == 200
    o = post(api, st, f"/api/v1/orders/{o['id']}/status", {"status": "confirmed"}, 200)
    po = o["production_orders"][0]
    (job,) = po["print_jobs"]
    patch(api, st, f"/api/v1/print-jobs/{job['id']}", {"priority": 3})
    post(api, st, f"/api/v1/production-orders/{po['id']}/reserve", None, 200)
    assert job_status(api, st, job["id"], "started").status_code == 200
    assert job_status(api, st, job["id"], "completed").status_code == 200
    o = get(api, st, f"/api/v1/orders/{o['id']}")
    assert o["status"] == "ready"
    assert get(api, st, f"/api/v1/spools/{sp['id']}")["remaining_g"] == 190
    post(api, st, f"/api/v1/orders/{o['id']}/status", {"status": "shipped"}, 200)
    actors = server.psql("SELECT DISTINCT actor FROM audit_log WHERE entity = 'order' AND "
                         "entity_id = %s", (str(o["id"]),))
    assert actors == [(name,)]
    # anonymising is for the owner
    assert api.post(f"/api/v1/customers/{c['id']}/anonymise", headers=st).status_code == 403


# ---- customers with orders ----

def test_customer_with_orders_is_kept_and_anonymising_clears_the_shipping(api, h, server):
    t = tag()
    c = customer(api, h, t, shipping_street="Gartenweg 5", shipping_postal_code="20095",
                 shipping_city="Hamburg", shipping_country="DE")
    o = order(api, h, c, [{"description": "Vase", "quantity": 2, "unit_price_cents": 2500}],
              notes="call before delivery")
    assert status(api, h, o["id"], "confirmed").status_code == 200
    assert status(api, h, o["id"], "ready").status_code == 200
    assert status(api, h, o["id"], "shipped", tracking_number="TRK1").status_code == 200
    e = error(api.delete(f"/api/v1/customers/{c['id']}", headers=h), 409)
    assert "documents" in e["message"]
    assert get(api, h, f"/api/v1/orders/{o['id']}")["ship_street"] == "Gartenweg 5"

    r = api.post(f"/api/v1/customers/{c['id']}/anonymise", headers=h)
    assert r.status_code == 200, r.text
    after = get(api, h, f"/api/v1/orders/{o['id']}")
    assert all(after[k] is None for k in ("ship_name", "ship_street", "ship_postal_code",
                                          "ship_city", "notes", "tracking_number"))
    assert (after["number"], after["gross_cents"], after["net_cents"], after["status"],
            after["order_date"], after["line_count"]) == (
        o["number"], 5000, o["net_cents"], "shipped", o["order_date"], 1)
    assert after["ship_country"] == "DE"
    # the order's audit trail no longer holds the address either
    leaks = server.psql(
        "SELECT count(*) FROM audit_log WHERE entity = 'order' AND entity_id = %s AND "
        "(coalesce(before::text, '') || coalesce(after::text, '')) ~ "
        "'Gartenweg|call before|TRK1'", (str(o["id"]),))
    assert leaks == [(0,)]
    assert api.delete(f"/api/v1/customers/{c['id']}", headers=h).status_code == 409


# ---- audit ----

def test_every_write_leaves_an_audit_row(api, h, server):
    env = printable(api, h, grams=5, units=1, lines_qty=2)
    o = env["order"]
    po = o["production_orders"][0]
    j1, j2 = po["print_jobs"]
    patch(api, h, f"/api/v1/print-jobs/{j1['id']}", {"priority": 4})
    assert job_status(api, h, j1["id"], "started").status_code == 200
    assert job_status(api, h, j1["id"], "completed").status_code == 200
    post(api, h, f"/api/v1/production-orders/{po['id']}/reserve", None, 200)
    post(api, h, f"/api/v1/production-orders/{po['id']}/status", {"status": "cancelled"}, 200)
    assert audit(server, "order", o["id"]) == [
        "create", "status_confirmed", "status_in_production"]
    assert audit(server, "print_job", j1["id"]) == [
        "update", "status_started", "status_completed"]
    assert audit(server, "print_job", j2["id"]) == ["status_cancelled"]
    assert audit(server, "production_order", po["id"]) == [
        "status_in_progress", "reserve", "status_cancelled"]
    rows = server.psql("SELECT actor, request_id IS NOT NULL, after->>'to' FROM audit_log "
                       "WHERE entity = 'production_order' AND entity_id = %s AND "
                       "action = 'status_cancelled'", (str(po["id"]),))
    assert rows == [("owner", True, "cancelled")]
    upd = server.psql("SELECT before->>'priority', after->>'priority' FROM audit_log WHERE "
                      "entity = 'print_job' AND entity_id = %s AND action = 'update'",
                      (str(j1["id"]),))
    assert upd == [("0", "4")]
