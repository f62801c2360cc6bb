"""Sales orders from first line to ready: the whole chain through production
orders, reservations, print jobs and the stock ledger."""
import math
import secrets

import pytest

from util import post


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def tag():
    return secrets.token_hex(3)



def spool_grams(api, h, sid):
    return api.get(f"/api/v1/spools/{sid}", headers=h).json()


def test_order_to_ready_end_to_end(api, h, server):
    t = tag()
    colour = f"Jade-{t}"
    fil = post(api, h, "/api/v1/filaments", {
        "name": f"PLA Basic {t}", "material": "PLA", "color_name": colour,
        "density": 1.24, "price_per_kg_cents": 2000})
    # an opened spool with 300 g and a fresh one with 1000 g
    s1 = post(api, h, "/api/v1/spools", {"filament_id": fil["id"], "initial_weight_g": 300,
                                          "price_cents": 600})
    s2 = post(api, h, "/api/v1/spools", {"filament_id": fil["id"], "initial_weight_g": 1000,
                                          "price_cents": 2000})
    magnet = post(api, h, "/api/v1/items", {"name": f"Magnet {t}", "unit": "pcs"})
    post(api, h, f"/api/v1/items/{magnet['id']}/receive", {"qty": 100, "unit_cost_cents": 5},
         status=200)

    # a box printed on one plate (2 per plate, 40 g, 1 h) holding 2 magnets
    box = post(api, h, "/api/v1/products", {"sku": f"BOX-{t}", "name": f"Box {t}",
                                            "price_gross_cents": 2380, "labour_minutes": 6})
    post(api, h, f"/api/v1/products/{box['id']}/plates", {
        "name": "box body", "print_minutes": 60, "units": 2,
        "slots": [{"material": "PLA", "color_name": colour, "grams": 40}]})
    post(api, h, f"/api/v1/products/{box['id']}/bom", {"item_id": magnet["id"], "qty": 2})
    # a lid: 4 per plate, 10 g, 20 min
    lid = post(api, h, "/api/v1/products", {"sku": f"LID-{t}", "name": f"Lid {t}",
                                            "price_gross_cents": 595, "vat_rate": "reduced"})
    post(api, h, f"/api/v1/products/{lid['id']}/plates", {
        "name": "lids", "print_minutes": 20, "units": 4,
        "slots": [{"material": "PLA", "color_name": colour, "grams": 10}]})

    cust = post(api, h, "/api/v1/customers", {
        "name": f"Ada {t}", "email": f"ada{t}@example.org", "shipping_street": "Hauptstr. 1",
        "shipping_postal_code": "10115", "shipping_city": "Berlin", "shipping_country": "DE"})
    key = "order-" + t
    body = {"customer_id": cust["id"], "due_date": "2099-01-31",
            "lines": [{"product_id": box["id"], "quantity": 3},
                      {"product_id": lid["id"], "quantity": 5, "discount_bp": 1000}]}
    r = api.post("/api/v1/orders", json=body, headers=dict(h, **{"Idempotency-Key": key}))
    assert r.status_code == 201, r.text
    order = r.json()
    again = api.post("/api/v1/orders", json=body, headers=dict(h, **{"Idempotency-Key": key}))
    assert again.status_code == 201 and again.json()["id"] == order["id"]
    assert order["number"].startswith("SO-") and order["status"] == "draft"
    assert order["ship_city"] == "Berlin" and order["ship_name"] == f"Ada {t}"
    assert order["next"] == ["confirmed", "cancelled"]
    # 3 x 23.80 = 71.40 (19 %); 5 x 5.95 = 29.75 less 10 % (2.975, rounded
    # to 2.98) = 26.77 (7 %)
    assert [l["amount_cents"] for l in order["lines"]] == [7140, 2677]
    assert order["gross_cents"] == 7140 + 2677
    by_rate = {v["vat_rate"]: v for v in order["vat_breakdown"]}
    assert by_rate["standard"]["net_cents"] == 6000 and by_rate["standard"]["vat_cents"] == 1140
    assert by_rate["reduced"]["net_cents"] == 2502 and by_rate["reduced"]["vat_cents"] == 175
    assert order["net_cents"] == 8502 and order["vat_cents"] == 1315

    r = api.post(f"/api/v1/orders/{order['id']}/status", json={"status": "confirmed"}, headers=h)
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["status"] == "confirmed" and order["next"] == [
        "in_production", "ready", "cancelled"]
    pos = order["production_orders"]
    assert len(pos) == 2 and all(p["number"].startswith("PO-") for p in pos)
    box_po = next(p for p in pos if p["product_id"] == box["id"])
    lid_po = next(p for p in pos if p["product_id"] == lid["id"])
    # 3 boxes at 2 per plate: 2 jobs; 5 lids at 4 per plate: 2 jobs
    assert len(box_po["print_jobs"]) == math.ceil(3 / 2)
    assert [j["units"] for j in box_po["print_jobs"]] == [2, 1]
    assert [j["units"] for j in lid_po["print_jobs"]] == [4, 1]
    assert all(j["status"] == "queued" and j["est_seconds"] > 0
               for p in pos for j in p["print_jobs"])
    reqs = {(r["production_order"], r["kind"]): r for r in order["requirements"]}
    assert reqs[(box_po["number"], "filament")]["required"] == 80
    assert reqs[(box_po["number"], "item")]["required"] == 6
    assert reqs[(lid_po["number"], "filament")]["required"] == 20
    assert all(r["reserved"] == r["required"] and r["short"] == 0
               for r in order["requirements"])
    # the opened... both fresh: the smallest spool is reserved first
    assert spool_grams(api, h, s1["id"])["reserved_g"] == 100
    assert spool_grams(api, h, s2["id"])["reserved_g"] == 0
    assert api.get(f"/api/v1/items/{magnet['id']}", headers=h).json()["reserved"] == 6

    # lines are fixed now
    r = api.post(f"/api/v1/orders/{order['id']}/lines",
                 json={"product_id": lid["id"], "quantity": 1}, headers=h)
    assert r.status_code == 409 and "lines" in r.json()["error"]["fields"]
    r = api.post(f"/api/v1/orders/{order['id']}/status", json={"status": "shipped"}, headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["allowed"] == ["in_production", "ready", "cancelled"]

    jobs = [j for p in (box_po, lid_po) for j in p["print_jobs"]]
    first = jobs[0]
    r = api.post(f"/api/v1/print-jobs/{first['id']}/status",
                 json={"status": "started", "spools": {"1": s1["id"]}}, headers=h)
    assert r.status_code == 200, r.text
    o = api.get(f"/api/v1/orders/{order['id']}", headers=h).json()
    assert o["status"] == "in_production"
    assert next(p for p in o["production_orders"] if p["id"] == box_po["id"])["status"] == \
        "in_progress"
    # the first box plate really used 42.5 g and took 65 minutes
    r = api.post(f"/api/v1/print-jobs/{first['id']}/status",
                 json={"status": "completed", "grams": {"1": 42.5}, "minutes": 65}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["actual_grams"] == 42.5 and r.json()["actual_seconds"] == 3900
    for j in jobs[1:]:
        r = api.post(f"/api/v1/print-jobs/{j['id']}/status", json={"status": "started"},
                     headers=h)
        assert r.status_code == 200, r.text
        r = api.post(f"/api/v1/print-jobs/{j['id']}/status", json={"status": "completed"},
                     headers=h)
        assert r.status_code == 200, r.text

    used = 42.5 + 40 + 10 + 10
    left1, left2 = spool_grams(api, h, s1["id"]), spool_grams(api, h, s2["id"])
    assert left1["remaining_g"] + left2["remaining_g"] == pytest.approx(1300 - used)
    assert left1["reserved_g"] == 0 and left2["reserved_g"] == 0
    moves = server.psql(
        "SELECT ref_id, -qty FROM stock_moves WHERE kind = 'consumption' AND "
        "ref_kind = 'print_job' AND spool_id IN (%s, %s) ORDER BY id", (s1["id"], s2["id"]))
    assert sorted(m[0] for m in moves) == sorted(j["id"] for j in jobs)
    assert float(sum(m[1] for m in moves)) == pytest.approx(used)
    item = api.get(f"/api/v1/items/{magnet['id']}", headers=h).json()
    assert item["reserved"] == 0 and item["on_hand"] == 94

    o = api.get(f"/api/v1/orders/{order['id']}", headers=h).json()
    assert o["status"] == "ready"
    assert all(p["status"] == "done" for p in o["production_orders"])
    costs = o["costs"]
    assert costs["estimated"] is False
    # material at each spool's price: 2 cents a gram on both spools
    assert costs["parts"]["material"] == round(used * 2)
    assert costs["parts"]["items"] == 30
    assert costs["parts"]["machine"] > 0 and costs["cost_cents"] > costs["direct_cents"] - 1
    assert costs["margin_cents"] == o["net_cents"] - costs["cost_cents"]

    r = api.post(f"/api/v1/orders/{order['id']}/status", json={
        "status": "shipped", "carrier": "DHL", "tracking_number": "00340434161234567890"},
        headers=h)
    assert r.status_code == 200 and r.json()["tracking_number"] == "00340434161234567890"
    r = api.post(f"/api/v1/orders/{order['id']}/status", json={"status": "completed"}, headers=h)
    assert r.status_code == 200 and r.json()["next"] == []
    audit = server.psql("SELECT action FROM audit_log WHERE entity = 'order' AND entity_id = %s "
                        "ORDER BY id", (str(order["id"]),))
    assert [a[0] for a in audit] == ["create", "status_confirmed", "status_in_production",
                                     "status_ready", "status_shipped", "status_completed"]


def test_cancelling_an_order_releases_its_reservations_and_cancels_jobs(api, h):
    t = tag()
    colour = f"Red-{t}"
    fil = post(api, h, "/api/v1/filaments", {"name": f"PETG {t}", "material": "PETG",
                                             "color_name": colour, "density": 1.27})
    sp = post(api, h, "/api/v1/spools", {"filament_id": fil["id"], "initial_weight_g": 50})
    prod = post(api, h, "/api/v1/products", {"sku": f"HOOK-{t}", "name": "Hook",
                                             "price_gross_cents": 500})
    post(api, h, f"/api/v1/products/{prod['id']}/plates", {
        "name": "hooks", "print_minutes": 30, "units": 1,
        "slots": [{"material": "PETG", "color_name": colour, "grams": 30}]})
    cust = post(api, h, "/api/v1/customers", {"name": f"Bo {t}"})
    order = post(api, h, "/api/v1/orders", {"customer_id": cust["id"], "lines": [
        {"product_id": prod["id"], "quantity": 2}]})
    o = post(api, h, f"/api/v1/orders/{order['id']}/status", {"status": "confirmed"}, 200)
    req = o["requirements"][0]
    # 60 g needed, 50 g on the only spool: 10 g short
    assert req["required"] == 60 and req["reserved"] == 50 and req["short"] == 10
    assert spool_grams(api, h, sp["id"])["reserved_g"] == 50
    o = post(api, h, f"/api/v1/orders/{order['id']}/status", {"status": "cancelled"}, 200)
    assert o["status"] == "cancelled" and o["next"] == []
    assert all(p["status"] == "cancelled" for p in o["production_orders"])
    assert all(j["status"] == "cancelled" for p in o["production_orders"]
               for j in p["print_jobs"])
    assert spool_grams(api, h, sp["id"])["reserved_g"] == 0
    assert spool_grams(api, h, sp["id"])["remaining_g"] == 50


def test_a_customers_export_holds_their_orders(api, h):
    t = tag()
    cust = post(api, h, "/api/v1/customers", {"name": f"Cy {t}", "shipping_street": "Weg 2",
                                               "shipping_city": "Köln", "shipping_country": "DE"})
    order = post(api, h, "/api/v1/orders", {"customer_id": cust["id"], "notes": "gift wrap",
                                            "lines": [{"description": "Setup fee",
                                                       "quantity": 1,
                                                       "unit_price_cents": 1500}]})
    r = api.get(f"/api/v1/customers/{cust['id']}/export", headers=h)
    assert r.status_code == 200
    orders = r.json()["orders"]
    assert [o["number"] for o in orders] == [order["number"]]
    assert orders[0]["ship_city"] == "Köln" and orders[0]["notes"] == "gift wrap"
    assert orders[0]["lines"] == [{"description": "Setup fee", "quantity": 1,
                                   "amount_cents": 1500}]


def test_a_confirmation_that_fails_half_way_leaves_nothing_behind(api, h, server):
    t = tag()
    colour = f"Blue-{t}"
    fil = post(api, h, "/api/v1/filaments", {"name": f"ABS {t}", "material": "ABS",
                                             "color_name": colour, "density": 1.04})
    sp = post(api, h, "/api/v1/spools", {"filament_id": fil["id"], "initial_weight_g": 500})
    good = post(api, h, "/api/v1/products", {"sku": f"OK-{t}", "name": "fine"})
    post(api, h, f"/api/v1/products/{good['id']}/plates", {
        "name": "fine plate", "print_minutes": 10, "units": 1,
        "slots": [{"material": "ABS", "color_name": colour, "grams": 5}]})
    bad = post(api, h, "/api/v1/products", {"sku": f"BOOM-{t}", "name": "boom"})
    post(api, h, f"/api/v1/products/{bad['id']}/plates", {
        "name": f"boom-{t}", "print_minutes": 10, "units": 1,
        "slots": [{"material": "ABS", "color_name": colour, "grams": 5}]})
    cust = post(api, h, "/api/v1/customers", {"name": f"Di {t}"})
    order = post(api, h, "/api/v1/orders", {"customer_id": cust["id"], "lines": [
        {"product_id": good["id"], "quantity": 2}, {"product_id": bad["id"], "quantity": 1}]})
    counter = "SELECT coalesce(max(last_value), 0) FROM document_counters WHERE kind = 'PO'"
    before = server.psql(counter)[0][0]
    # the second line's jobs cannot be stored: the first line's production
    # order, reservation and jobs are already written when it fails
    server.psql(f"""CREATE FUNCTION boom_{t}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'printer farm on fire'; END $$""")
    server.psql(f"""CREATE TRIGGER boom_{t} BEFORE INSERT ON print_jobs FOR EACH ROW
        WHEN (NEW.plate_name = 'boom-{t}') EXECUTE FUNCTION boom_{t}()""")
    try:
        r = api.post(f"/api/v1/orders/{order['id']}/status", json={"status": "confirmed"},
                     headers=h)
    finally:
        server.psql(f"DROP TRIGGER boom_{t} ON print_jobs")
        server.psql(f"DROP FUNCTION boom_{t}()")
    assert r.status_code == 409 and "on fire" in r.json()["error"]["message"]
    o = api.get(f"/api/v1/orders/{order['id']}", headers=h).json()
    assert o["status"] == "draft" and o["production_orders"] == [] and o["requirements"] == []
    assert server.psql("SELECT count(*) FROM production_orders WHERE sales_order_id = %s",
                       (order["id"],))[0][0] == 0
    assert spool_grams(api, h, sp["id"])["reserved_g"] == 0
    assert server.psql(counter)[0][0] == before
    # and it works once the cause is gone
    r = api.post(f"/api/v1/orders/{order['id']}/status", json={"status": "confirmed"}, headers=h)
    assert r.status_code == 200 and len(r.json()["production_orders"]) == 2
    assert spool_grams(api, h, sp["id"])["reserved_g"] == 15


def test_both_ways_of_listing_orders_answer_the_same(api, h):
    t = tag()
    cust = post(api, h, "/api/v1/customers", {"name": f"Eve {t}"})
    for n in range(3):
        post(api, h, "/api/v1/orders", {"customer_id": cust["id"], "lines": [
            {"description": f"Service {n}", "quantity": n + 1, "unit_price_cents": 999}]})
    # newest first is answered as JSON made by the database, a sort through rows
    fast = api.get("/api/v1/orders", params={"customer_id": cust["id"]}, headers=h).json()
    rows = api.get("/api/v1/orders", params={"customer_id": cust["id"], "sort": "-created_at"},
                   headers=h).json()
    assert fast["total"] == rows["total"] == 3
    assert fast["items"] == rows["items"]
    assert [o["gross_cents"] for o in fast["items"]] == [2997, 1998, 999]
    assert fast["items"][0]["created_at"].endswith("Z")
    one = api.get(f"/api/v1/orders/{fast['items'][0]['id']}", headers=h).json()
    assert one["created_at"] == fast["items"][0]["created_at"]


def test_planning_a_job_on_a_printer_that_does_not_exist_names_the_field(api, h):
    t = tag()
    prod = post(api, h, "/api/v1/products", {"sku": f"PEG-{t}", "name": "Peg"})
    post(api, h, f"/api/v1/products/{prod['id']}/plates", {
        "name": "pegs", "print_minutes": 5, "units": 1,
        "slots": [{"material": "PLA", "color_name": f"X-{t}", "grams": 1}]})
    cust = post(api, h, "/api/v1/customers", {"name": f"Flo {t}"})
    order = post(api, h, "/api/v1/orders", {"customer_id": cust["id"], "lines": [
        {"product_id": prod["id"], "quantity": 1}]})
    o = post(api, h, f"/api/v1/orders/{order['id']}/status", {"status": "confirmed"}, 200)
    job = o["production_orders"][0]["print_jobs"][0]
    r = api.patch(f"/api/v1/print-jobs/{job['id']}", json={"printer_id": 987654}, headers=h)
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["printer_id"]
    r = api.patch(f"/api/v1/print-jobs/{job['id']}", json={"scheduled_start": "soon"},
                  headers=h)
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["scheduled_start"]
