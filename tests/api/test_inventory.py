"""Inventory: locations, vendors, filaments, the catalogue, items, stock views and pages."""
import re
import secrets

import pytest

from util import csrf_of, page_session as browser


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def uniq(prefix):
    return "%s %s" % (prefix, secrets.token_hex(3))


def filament(api, h, **extra):
    body = dict({"name": uniq("Fil"), "material": "PETG", "color_name": "Blue",
                 "density": 1.27, "spool_weight_g": 250, "price_per_kg_cents": 2500}, **extra)
    r = api.post("/api/v1/filaments", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def test_locations_are_created_listed_renamed_and_unique(api, h, server):
    name = uniq("Shelf")
    r = api.post("/api/v1/locations", json={"name": name, "kind": "shelf"}, headers=h)
    assert r.status_code == 201
    loc = r.json()
    again = api.post("/api/v1/locations", json={"name": name}, headers=h)
    assert again.status_code == 409 and name in again.json()["error"]["message"]
    bad = api.post("/api/v1/locations", json={"name": "x", "kind": "cupboard"}, headers=h)
    assert bad.status_code == 422 and "kind" in bad.json()["error"]["fields"]
    listed = api.get("/api/v1/locations", params={"q": name.split()[1]}, headers=h).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == loc["id"]
    r = api.patch(f"/api/v1/locations/{loc['id']}", json={"name": name + " top"}, headers=h)
    assert r.status_code == 200 and r.json()["name"] == name + " top" and r.json()["kind"] == "shelf"
    audit = server.psql("SELECT action FROM audit_log WHERE entity = 'location' AND entity_id = %s "
                        "ORDER BY id", (str(loc["id"]),))
    assert [a[0] for a in audit] == ["create", "update"]


def test_lists_sort_by_whitelisted_fields_only(api, h):
    tag = secrets.token_hex(3)
    for n in ("b", "a", "c"):
        api.post("/api/v1/vendors", json={"name": f"{n} vendor {tag}"}, headers=h)
    asc = api.get("/api/v1/vendors", params={"q": tag, "sort": "name"}, headers=h).json()
    desc = api.get("/api/v1/vendors", params={"q": tag, "sort": "-name"}, headers=h).json()
    assert [v["name"][0] for v in asc["items"]] == ["a", "b", "c"]
    assert [v["name"][0] for v in desc["items"]] == ["c", "b", "a"]
    r = api.get("/api/v1/vendors", params={"sort": "name;drop table vendors"}, headers=h)
    assert r.status_code == 400 and "sort" in r.json()["error"]["message"]
    page = api.get("/api/v1/vendors", params={"q": tag, "sort": "name", "limit": 2, "offset": 2},
                   headers=h).json()
    assert page["total"] == 3 and [v["name"][0] for v in page["items"]] == ["c"]


def test_filament_needs_a_positive_density_and_a_known_vendor(api, h, server):
    before = server.psql("SELECT count(*) FROM filaments")[0][0]
    for body, field in (({"name": "x", "material": "PLA", "density": 0}, "density"),
                        ({"name": "x", "material": "PLA"}, "density"),
                        ({"name": "x", "material": "PLA", "density": 1.2, "color_hex": "red"}, "color_hex"),
                        ({"name": "x", "material": "PLA", "density": 1.2, "vendor_id": 99999999}, "vendor_id")):
        r = api.post("/api/v1/filaments", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["error"]["fields"], (body, r.text)
    assert server.psql("SELECT count(*) FROM filaments")[0][0] == before


def test_filament_patch_changes_only_what_is_sent_and_null_clears(api, h):
    f = filament(api, h, color_hex="#00ff00", extruder_temp=240)
    assert f["color_hex"] == "#00FF00" and f["diameter_mm"] == 1.75 and f["net_weight_g"] == 1000
    r = api.patch(f"/api/v1/filaments/{f['id']}", json={"extruder_temp": None, "density": 1.3}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["extruder_temp"] is None and r.json()["density"] == 1.3
    assert r.json()["color_hex"] == "#00FF00" and r.json()["name"] == f["name"]


def test_a_filament_with_spools_cannot_be_deleted(api, h):
    f = filament(api, h)
    api.post("/api/v1/spools", json={"filament_id": f["id"]}, headers=h)
    r = api.delete(f"/api/v1/filaments/{f['id']}", headers=h)
    assert r.status_code == 409 and "spools" in r.json()["error"]["message"]
    lone = filament(api, h)
    assert api.delete(f"/api/v1/filaments/{lone['id']}", headers=h).status_code == 204
    assert api.get(f"/api/v1/filaments/{lone['id']}", headers=h).status_code == 404


def test_catalogue_search_finds_a_product_by_words(api, h):
    r = api.get("/api/v1/filament-catalog", params={"q": "bambu pla jade white"}, headers=h)
    assert r.status_code == 200
    hits = r.json()["items"]
    jade = [x for x in hits if x["name"] == "Jade White" and x["material"] == "PLA"]
    assert jade, hits
    assert jade[0]["vendor"] == "Bambu Lab" and jade[0]["net_weight_g"] == 1000
    assert jade[0]["color_hex"] == "#FFFFFF" and jade[0]["density"] > 0
    assert "SpoolmanDB" in r.json()["source"]
    none = api.get("/api/v1/filament-catalog", params={"q": "no-such-thing-xyz"}, headers=h).json()
    assert none["total"] == 0 and none["items"] == []


def test_picking_a_catalogue_product_creates_vendor_and_filament_once(api, h, server):
    body = {"vendor": "Bambu Lab", "name": "PLA", "color": "Jade White", "weight_g": 1000}
    r = api.post("/api/v1/filaments/from-catalog", json=body, headers=h)
    assert r.status_code in (200, 201), r.text
    f = r.json()
    assert (f["vendor"], f["material"], f["color_name"]) == ("Bambu Lab", "PLA", "Jade White")
    assert f["net_weight_g"] == 1000 and f["spool_weight_g"] == 250 and f["density"] == 1.24
    again = api.post("/api/v1/filaments/from-catalog", json={"id": f["catalog_id"]}, headers=h)
    assert again.status_code == 200 and again.json()["id"] == f["id"]
    assert server.psql("SELECT count(*) FROM vendors WHERE name = 'Bambu Lab'")[0][0] == 1
    vague = api.post("/api/v1/filaments/from-catalog", json={"vendor": "Bambu Lab"}, headers=h)
    assert vague.status_code == 409 and "fit" in vague.json()["error"]["message"]
    missing = api.post("/api/v1/filaments/from-catalog", json={"id": "nothing-like-this"}, headers=h)
    assert missing.status_code == 404


def test_items_receive_at_moving_average_cost_and_move_between_locations(api, h, server):
    a = api.post("/api/v1/locations", json={"name": uniq("Bin")}, headers=h).json()
    b = api.post("/api/v1/locations", json={"name": uniq("Bin")}, headers=h).json()
    item = api.post("/api/v1/items", json={"name": uniq("Magnet 6x2")}, headers=h).json()
    url = f"/api/v1/items/{item['id']}"
    r = api.post(url + "/receive", json={"qty": 100, "location_id": a["id"], "unit_cost_cents": 2},
                 headers=h)
    assert r.status_code == 200, r.text
    r = api.post(url + "/receive", json={"qty": 100, "location_id": a["id"], "unit_cost_cents": 4},
                 headers=h)
    assert r.json()["item"]["unit_cost_cents"] == 3 and r.json()["item"]["on_hand"] == 200
    r = api.post(url + "/transfer", json={"qty": 30, "from_location_id": a["id"],
                                          "to_location_id": b["id"]}, headers=h)
    assert r.status_code == 200 and len(r.json()["moves"]) == 2, r.text
    stock = {s["location_id"]: s["on_hand"] for s in r.json()["item"]["stock"]}
    assert stock == {a["id"]: 170, b["id"]: 30}
    r = api.post(url + "/consume", json={"qty": 31, "location_id": b["id"]}, headers=h)
    assert r.status_code == 409 and "30" in r.json()["error"]["message"]
    r = api.post(url + "/consume", json={"qty": 10, "location_id": b["id"], "ref_kind": "order",
                                         "ref_id": 7}, headers=h)
    assert r.status_code == 200 and r.json()["item"]["on_hand"] == 190
    assert r.json()["item"]["value_cents"] == 570
    sums = server.psql("SELECT sum(qty) FROM stock_moves WHERE item_id = %s", (item["id"],))[0][0]
    assert float(sums) == 190
    assert api.delete(url, headers=h).status_code == 409


def test_item_reservations_never_exceed_what_is_available(api, h):
    item = api.post("/api/v1/items", json={"name": uniq("Insert M3")}, headers=h).json()
    url = f"/api/v1/items/{item['id']}"
    api.post(url + "/receive", json={"qty": 10}, headers=h)
    r = api.post(url + "/reserve", json={"qty": 8, "reason": "order 12"}, headers=h)
    assert r.status_code == 200 and r.json()["item"]["available"] == 2
    assert api.post(url + "/reserve", json={"qty": 3}, headers=h).status_code == 409
    assert api.post(url + "/release", json={"qty": 9}, headers=h).status_code == 409
    r = api.post(url + "/release", json={"qty": 8}, headers=h)
    assert r.json()["item"]["reserved"] == 0 and r.json()["item"]["available"] == 10
    adj = api.post(url + "/adjust", json={"qty": -11, "reason": "count"}, headers=h)
    assert adj.status_code == 409
    kinds = [m["kind"] for m in api.get(url + "/ledger", headers=h).json()["items"]]
    assert kinds == ["release", "reservation", "receipt"]


def test_stock_views_group_on_hand_and_value_at_cost(api, h):
    colour = uniq("Teal")
    f = filament(api, h, material="ASA", color_name=colour, price_per_kg_cents=3000)
    loc = api.post("/api/v1/locations", json={"name": uniq("Rack")}, headers=h).json()
    api.post("/api/v1/spools", json={"filament_id": f["id"], "price_cents": 2000,
                                     "location_id": loc["id"]}, headers=h)
    s2 = api.post("/api/v1/spools", json={"filament_id": f["id"], "initial_weight_g": 500},
                  headers=h).json()
    api.post(f"/api/v1/spools/{s2['id']}/use", json={"grams": 100}, headers=h)
    by_f = api.get("/api/v1/stock", params={"by": "filament"}, headers=h).json()
    row = [x for x in by_f["items"] if x["filament_id"] == f["id"]][0]
    # 1000 g at 2000 cents for the spool + 400 g at 30 €/kg
    assert row["on_hand_g"] == 1400 and row["spools"] == 2 and row["value_cents"] == 2000 + 1200
    by_mc = api.get("/api/v1/stock", params={"by": "material_color"}, headers=h).json()
    mc = [x for x in by_mc["items"] if x["material"] == "ASA" and x["color_name"] == colour][0]
    assert mc["available_g"] == 1400
    by_loc = api.get("/api/v1/stock", params={"by": "location"}, headers=h).json()
    lr = [x for x in by_loc["items"] if x["location_id"] == loc["id"]][0]
    assert lr["filament_g"] == 1000 and lr["filament_value_cents"] == 2000
    assert api.get("/api/v1/stock", params={"by": "colour"}, headers=h).status_code == 400


def test_low_stock_lists_filaments_below_threshold_with_days_left(api, h):
    colour = uniq("Ochre")
    f = filament(api, h, material="PLA", color_name=colour, low_stock_g=500)
    s = api.post("/api/v1/spools", json={"filament_id": f["id"], "initial_weight_g": 600},
                 headers=h).json()
    api.post(f"/api/v1/spools/{s['id']}/use", json={"grams": 300}, headers=h)
    r = api.post("/api/v1/stock/thresholds", json={"material": "PLA", "color_name": colour,
                                                   "min_g": 1000}, headers=h)
    assert r.status_code == 200 and r.json()["min_g"] == 1000
    low = api.get("/api/v1/stock/low", headers=h).json()["items"]
    mine = [x for x in low if x["filament_id"] == f["id"]][0]
    assert mine["available"] == 300 and mine["threshold"] == 500
    assert mine["used_30d"] == 300 and mine["days_left"] == 30
    mc = [x for x in low if x["scope"] == "material_color" and x["color_name"] == colour][0]
    assert mc["available"] == 300 and mc["threshold"] == 1000
    api.post("/api/v1/stock/thresholds", json={"material": "PLA", "color_name": colour,
                                               "min_g": None}, headers=h)
    low = api.get("/api/v1/stock/low", headers=h).json()["items"]
    assert not [x for x in low if x["scope"] == "material_color" and x["color_name"] == colour]


def test_inventory_page_shows_spool_cards_with_swatch_bar_and_low_stock(api, h, make_user):
    f = filament(api, h, color_name=uniq("Plum"), color_hex="#8E4585", low_stock_g=5000)
    s = api.post("/api/v1/spools", json={"filament_id": f["id"]}, headers=h).json()
    web = browser(api, make_user)
    html = web.get("/inventory").text
    card = re.search(r'<article[^>]*data-code="%s".*?</article>' % s["code"], html, re.S).group(0)
    assert 'fill="#8E4585"' in card and "<progress" in card
    assert "style=" not in html and "<script>" not in html
    assert 'data-testid="low-stock"' in html and f["name"] in html
    token = csrf_of(html)
    r = web.post(f"/inventory/spools/{s['id']}", data={"_csrf": token, "action": "use", "grams": "15",
                                                     "back": "1"}, allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/inventory"
    assert api.get(f"/api/v1/spools/{s['id']}", headers=h).json()["remaining_g"] == 985


def test_spool_page_weighs_and_shows_errors_in_the_form(api, h, make_user):
    s = api.post("/api/v1/spools", json={"filament_id": filament(api, h)["id"]}, headers=h).json()
    web = browser(api, make_user)
    page = web.get(f"/inventory/spools/{s['id']}")
    assert page.status_code == 200 and s["code"] in page.text
    assert 'data-testid="ledger-row"' in page.text
    token = csrf_of(page.text)
    ok = web.post(f"/inventory/spools/{s['id']}", data={"_csrf": token, "action": "weigh",
                                                      "gross_weight_g": "900,5"})
    assert ok.status_code == 200
    assert api.get(f"/api/v1/spools/{s['id']}", headers=h).json()["remaining_g"] == 650.5
    bad = web.post(f"/inventory/spools/{s['id']}", data={"_csrf": token, "action": "use",
                                                       "grams": "5000"})
    assert bad.status_code == 409 and 'data-kind="error"' in bad.text
    assert "650.500 g remain" in bad.text


def test_filament_and_spool_are_added_through_the_forms(api, h, make_user):
    web = browser(api, make_user)
    page = web.get("/inventory/filaments/new", params={"q": "bambu pla jade white"})
    assert page.status_code == 200
    cid = re.search(r'name="catalog_id" value="([^"]+)"', page.text).group(1)
    r = web.post("/inventory/filaments/new", data={"_csrf": csrf_of(page.text), "catalog_id": cid},
                 allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/inventory/spools/new"
    fid = [x for x in api.get("/api/v1/filaments", params={"q": "jade white"}, headers=h).json()["items"]
           if x["catalog_id"] == cid][0]["id"]
    form = web.get("/inventory/spools/new").text
    r = web.post("/inventory/spools/new", data={"_csrf": csrf_of(form), "filament_id": str(fid),
                                                "lot": "form-lot", "initial_weight_g": ""},
                 allow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    sid = int(r.headers["Location"].rsplit("/", 1)[1])
    spool = api.get(f"/api/v1/spools/{sid}", headers=h).json()
    assert spool["lot"] == "form-lot" and spool["remaining_g"] == 1000
    bad = web.post("/inventory/filaments/new", data={"_csrf": csrf_of(form), "name": "Hand made",
                                                     "material": "PLA", "density": "0"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text


def test_dashboard_lists_what_is_low_on_stock(api, h, make_user):
    colour = uniq("Teal")
    f = filament(api, h, material="PETG", color_name=colour, low_stock_g=500)
    s = api.post("/api/v1/spools", json={"filament_id": f["id"], "initial_weight_g": 1000},
                 headers=h).json()
    _, _, staff = make_user("staff")
    page = api.get("/", headers={"Authorization": f"Bearer {staff}"}).text
    assert colour not in page  # 1000 g is not low
    api.post(f"/api/v1/spools/{s['id']}/use", json={"grams": 700}, headers=h)
    page = api.get("/", headers={"Authorization": f"Bearer {staff}"}).text
    rows = re.findall(r'<li data-testid="low-stock-row">(.*?)</li>', page, re.S)
    mine = [row for row in rows if colour in row or f["name"] in row]
    assert mine, rows
    assert "300 g" in mine[0] and "500 g" in mine[0]
