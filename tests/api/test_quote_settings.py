"""Quote settings: staff, owners and accountants read what instant quotes
charge; owners change it through the API or the page.  Bad values are
refused by field and change nothing; every change is audited; a new
material is offered to customers, a deactivated one is not, and a new
machine rate prices the next quote.

The server is shared by the whole session: the module's fixture gives the
settings and the materials back as they were."""
import html
import json
import re
import secrets

import pytest

from harness import ApiSession
from quoting import box_triangles, stl_binary
from util import csrf_of, page_session

T = secrets.token_hex(2).upper()
SETTINGS = ("machine_rate_cents", "setup_fee_cents", "handling_minutes",
            "minimum_order_cents", "rounding_cents", "validity_days", "quantity_tiers",
            "qualities", "default_quality", "default_infill_pct", "build_x_mm",
            "build_y_mm", "build_z_mm", "terms", "slice_parts")
MATERIAL = ("label", "cost_per_kg_cents", "density", "markup_bp", "position", "active")


@pytest.fixture(scope="module")
def owner(owner_token, server):
    """The owner's API session; the settings and materials come back afterwards."""
    s = ApiSession(server.base_url).with_token(owner_token)
    before = s.get("/api/v1/quote-settings").json()
    yield s
    r = s.put("/api/v1/quote-settings", json={k: before[k] for k in SETTINGS})
    assert r.status_code == 200, r.text
    old = {m["material"]: m for m in before["materials"]}
    for m in before["materials"]:
        r = s.put(f"/api/v1/quote-settings/materials/{m['material']}",
                  json={k: m[k] for k in MATERIAL})
        assert r.status_code == 200, r.text
    # materials the tests added stay (quote parts name them), inactive
    server.psql("UPDATE quote_materials SET active = false WHERE NOT (material = ANY(%s))",
                (list(old),))


def as_role(api, make_user, role):
    _, _, token = make_user(role)
    return {"Authorization": f"Bearer {token}"}


def audit(server, entity):
    return server.psql("SELECT action, entity_id, actor, before, after FROM audit_log "
                       "WHERE entity = %s ORDER BY id", (entity,))


def settings_of(body):
    return {k: body[k] for k in SETTINGS}


def cube(size):
    """A binary STL of a size*size*size box."""
    return stl_binary(box_triangles(size, size, size))


def quote(api, **options):
    parts = [("file", ("cube.stl", cube(20), "application/octet-stream"))]
    parts += [(k, (None, str(v))) for k, v in options.items()]
    return api.post("/api/v1/quotes", files=parts)


def offered(api):
    """The material codes the public quote page offers."""
    page = api.get("/quote").text
    data = re.search(r'data-materials="([^"]*)"', page).group(1)
    return [m["material"] for m in json.loads(html.unescape(data))]


# ---- the API ----

def test_staff_and_accountants_read_the_settings_with_every_material(api, make_user, owner):
    for role in ("staff", "accountant"):
        r = api.get("/api/v1/quote-settings", headers=as_role(api, make_user, role))
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(SETTINGS) <= set(body) and body["updated_at"].endswith("Z")
        assert any(q["name"] == body["default_quality"] for q in body["qualities"])
        pla = next(m for m in body["materials"] if m["material"] == "PLA")
        assert pla["cost_per_kg_cents"] == 2200 and pla["density"] == pytest.approx(1.24)
        assert pla["active"] is True and "quoted_parts" in pla
    assert api.get("/api/v1/quote-settings").status_code == 401


def test_the_answer_has_the_documented_fields(api, owner):
    spec = api.get("/api/v1/openapi.json").json()["components"]["schemas"]
    body = owner.get("/api/v1/quote-settings").json()
    assert set(body) == set(spec["QuoteSettings"]["properties"])
    assert set(body["materials"][0]) == set(spec["QuoteMaterial"]["properties"])


def test_owner_writes_the_settings_and_reads_them_back_audited(owner, server):
    before = owner.get("/api/v1/quote-settings").json()
    audits = len(audit(server, "quote_settings"))
    change = {"machine_rate_cents": 333, "handling_minutes": 2.5, "validity_days": 14,
              "quantity_tiers": [{"min_qty": 5, "discount_bp": 250},
                                 {"min_qty": 20, "discount_bp": 750}],
              "qualities": before["qualities"] + [{"name": "ultra-fine", "layer_mm": 0.08}],
              "default_quality": "ultra-fine", "slice_parts": False,
              "terms": "Gedruckt in Berlin – Farben können abweichen."}
    r = owner.put("/api/v1/quote-settings", json=change)
    assert r.status_code == 200, r.text
    body = r.json()
    for k, v in change.items():
        assert body[k] == v, k
    assert body["setup_fee_cents"] == before["setup_fee_cents"]
    assert settings_of(owner.get("/api/v1/quote-settings").json()) == settings_of(body)
    rows = audit(server, "quote_settings")
    assert len(rows) == audits + 1
    action, eid, actor, old, new = rows[-1]
    assert (action, actor) == ("update", "owner")
    assert set(new) == set(change) and old["validity_days"] == before["validity_days"]
    # the same again changes nothing and leaves no row
    r = owner.put("/api/v1/quote-settings", json=change)
    assert r.status_code == 200
    assert len(audit(server, "quote_settings")) == audits + 1
    assert owner.put("/api/v1/quote-settings", json=settings_of(before)).status_code == 200


@pytest.mark.parametrize("change, field", [
    ({"machine_rate_cents": -1}, "machine_rate_cents"),
    ({"machine_rate_cents": 2.5}, "machine_rate_cents"),
    ({"setup_fee_cents": "300"}, "setup_fee_cents"),
    ({"minimum_order_cents": 100000001}, "minimum_order_cents"),
    ({"rounding_cents": 0}, "rounding_cents"),
    ({"handling_minutes": 1000.5}, "handling_minutes"),
    ({"handling_minutes": 1.234}, "handling_minutes"),
    ({"validity_days": 366}, "validity_days"),
    ({"default_infill_pct": 101}, "default_infill_pct"),
    ({"build_z_mm": 9}, "build_z_mm"),
    ({"terms": "x" * 4001}, "terms"),
    ({"terms": None}, "terms"),
    ({"slice_parts": "yes"}, "slice_parts"),
    ({"quantity_tiers": [{"min_qty": 10, "discount_bp": 500}, {"min_qty": 10, "discount_bp": 900}]},
     "quantity_tiers"),
    ({"quantity_tiers": [{"min_qty": 50, "discount_bp": 500}, {"min_qty": 10, "discount_bp": 900}]},
     "quantity_tiers"),
    ({"quantity_tiers": [{"min_qty": 10, "discount_bp": 10001}]}, "quantity_tiers"),
    ({"quantity_tiers": [{"min_qty": n + 2, "discount_bp": 10} for n in range(9)]}, "quantity_tiers"),
    ({"quantity_tiers": [{"min_qty": 10}]}, "quantity_tiers"),
    ({"qualities": []}, "qualities"),
    ({"qualities": [{"name": f"q{n}", "layer_mm": 0.2} for n in range(9)]}, "qualities"),
    ({"qualities": [{"name": "standard", "layer_mm": 0.2}, {"name": "standard", "layer_mm": 0.1}]},
     "qualities"),
    ({"qualities": [{"name": "standard", "layer_mm": 0.03}]}, "qualities"),
    ({"qualities": [{"name": "standard", "layer_mm": 1.01}]}, "qualities"),
    ({"qualities": [{"name": "Fine Detail", "layer_mm": 0.1}]}, "qualities"),
    ({"default_quality": "nonexistent"}, "default_quality"),
    ({"qualities": [{"name": "coarse", "layer_mm": 0.3}]}, "default_quality"),
    ({"colour": "green"}, "colour"),
])
def test_bad_settings_are_refused_by_field_and_change_nothing(owner, server, change, field):
    before = owner.get("/api/v1/quote-settings").json()
    audits = len(audit(server, "quote_settings"))
    r = owner.put("/api/v1/quote-settings", json=dict(change, validity_days=7)
                  if "validity_days" not in change else change)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert field in err["fields"], err
    assert owner.get("/api/v1/quote-settings").json() == before
    assert len(audit(server, "quote_settings")) == audits


def test_several_bad_fields_are_named_at_once(owner):
    r = owner.put("/api/v1/quote-settings", json={"validity_days": 0, "build_x_mm": 6000,
                                                  "rounding_cents": 0})
    assert r.status_code == 422
    assert {"validity_days", "build_x_mm", "rounding_cents"} <= set(r.json()["error"]["fields"])
    assert "1 to 365" in r.json()["error"]["fields"]["validity_days"]


def test_only_owners_change_settings_and_materials(api, make_user, owner):
    before = owner.get("/api/v1/quote-settings").json()
    for role in ("staff", "accountant"):
        h = as_role(api, make_user, role)
        assert api.put("/api/v1/quote-settings", json={"validity_days": 3},
                       headers=h).status_code == 403
        assert api.post("/api/v1/quote-settings/materials", headers=h, json={
            "material": f"NO{T}", "label": "No", "cost_per_kg_cents": 1,
            "density": 1}).status_code == 403
        assert api.put("/api/v1/quote-settings/materials/PLA", json={"active": False},
                       headers=h).status_code == 403
    assert owner.get("/api/v1/quote-settings").json() == before


def test_a_new_material_is_offered_and_quoted_and_audited(api, owner, server):
    code = f"PETG-CF{T}"
    r = owner.post("/api/v1/quote-settings/materials", json={
        "material": code.lower(), "label": "PETG carbon fibre", "cost_per_kg_cents": 4500,
        "density": 1.3, "markup_bp": 6000})
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["material"] == code and m["active"] is True and m["quoted_parts"] == 0
    assert m["position"] > max(x["position"] for x in owner.get(
        "/api/v1/quote-settings").json()["materials"] if x["material"] != code)
    assert code in offered(api)
    q = quote(api, material=code)
    assert q.status_code == 201, q.text
    assert q.json()["parts"][0]["material"] == code
    assert code in [x["material"] for x in q.json()["options"]["materials"]]
    rows = [a for a in audit(server, "quote_material") if a[1] == code]
    assert rows[0][0] == "create" and rows[0][4]["cost_per_kg_cents"] == 4500
    # the same code again is a conflict on the field
    r = owner.post("/api/v1/quote-settings/materials", json={
        "material": code, "label": "Again", "cost_per_kg_cents": 1, "density": 1.3})
    assert r.status_code == 409 and "material" in r.json()["error"]["fields"]


@pytest.mark.parametrize("body, field", [
    ({"material": "pla mix"}, "material"),
    ({"material": "-PLA"}, "material"),
    ({"material": "A" * 21}, "material"),
    ({"label": ""}, "label"),
    ({"label": "x" * 81}, "label"),
    ({"cost_per_kg_cents": 22.5}, "cost_per_kg_cents"),
    ({"cost_per_kg_cents": 10000001}, "cost_per_kg_cents"),
    ({"density": 0.4}, "density"),
    ({"density": 3.5}, "density"),
    ({"density": 1.2345}, "density"),
    ({"markup_bp": -5}, "markup_bp"),
    ({"active": "yes"}, "active"),
    ({"colour": "red"}, "colour"),
])
def test_bad_materials_are_refused_by_field(owner, body, field):
    good = {"material": f"BAD{T}", "label": "Bad", "cost_per_kg_cents": 1000, "density": 1.2}
    r = owner.post("/api/v1/quote-settings/materials", json=dict(good, **body))
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"]
    codes = [m["material"] for m in owner.get("/api/v1/quote-settings").json()["materials"]]
    assert f"BAD{T}" not in codes


def test_a_material_changes_and_a_deactivated_one_is_no_longer_offered(api, owner, server):
    code = f"ASA{T}"
    assert owner.post("/api/v1/quote-settings/materials", json={
        "material": code, "label": "ASA (UV resistant)", "cost_per_kg_cents": 2900,
        "density": 1.07}).status_code == 201
    r = owner.put(f"/api/v1/quote-settings/materials/{code}",
                  json={"cost_per_kg_cents": 3100, "label": "ASA outdoor"})
    assert r.status_code == 200, r.text
    assert r.json()["cost_per_kg_cents"] == 3100 and r.json()["density"] == pytest.approx(1.07)
    action, _, _, old, new = [a for a in audit(server, "quote_material") if a[1] == code][-1]
    assert action == "update" and new == {"cost_per_kg_cents": 3100, "label": "ASA outdoor"}
    assert old == {"cost_per_kg_cents": 2900, "label": "ASA (UV resistant)"}
    assert code in offered(api)
    r = owner.put(f"/api/v1/quote-settings/materials/{code}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert code not in offered(api)
    r = quote(api, material=code)
    assert r.status_code == 422 and "material" in r.json()["error"]["fields"]
    # still listed for the shop, with no way to delete it
    assert code in [m["material"] for m in owner.get("/api/v1/quote-settings").json()["materials"]]
    assert owner.delete(f"/api/v1/quote-settings/materials/{code}").status_code in (404, 405)
    # the code does not change; an unknown code is not found
    r = owner.put(f"/api/v1/quote-settings/materials/{code}", json={"material": "OTHER"})
    assert r.status_code == 422 and "material" in r.json()["error"]["fields"]
    assert owner.put("/api/v1/quote-settings/materials/NOPE" + T,
                     json={"active": True}).status_code == 404


def test_the_last_active_material_stays_active(owner, server):
    active = [r[0] for r in server.psql("SELECT material FROM quote_materials WHERE active")]
    keep = "PLA"
    try:
        server.psql("UPDATE quote_materials SET active = (material = %s)", (keep,))
        r = owner.put(f"/api/v1/quote-settings/materials/{keep}", json={"active": False})
        assert r.status_code == 422 and "active" in r.json()["error"]["fields"]
        assert server.psql("SELECT active FROM quote_materials WHERE material = %s",
                           (keep,)) == [(True,)]
    finally:
        server.psql("UPDATE quote_materials SET active = (material = ANY(%s))", (active,))


def test_a_new_machine_rate_prices_the_next_quote(api, owner):
    rate = owner.get("/api/v1/quote-settings").json()["machine_rate_cents"]
    first = quote(api, material="PLA", quality="standard")
    assert first.status_code == 201, first.text
    assert owner.put("/api/v1/quote-settings",
                     json={"machine_rate_cents": rate + 5000}).status_code == 200
    try:
        second = quote(api, material="PLA", quality="standard")
        assert second.status_code == 201, second.text
        a, b = first.json()["breakdown"], second.json()["breakdown"]
        assert b["machine_cents"] > a["machine_cents"]
        assert b["net_cents"] > a["net_cents"]
        # the quote made before keeps its price
        again = api.get(f"/api/v1/public/quotes/{first.json()['token']}").json()
        assert again["breakdown"] == a
    finally:
        assert owner.put("/api/v1/quote-settings",
                         json={"machine_rate_cents": rate}).status_code == 200


# ---- the pages ----

def form_of(page):
    fields = dict(re.findall(r'<input id="[^"]*" name="([^"]+)" value="([^"]*)"', page))
    fields["terms"] = html.unescape(re.search(r'name="terms"[^>]*>(.*?)</textarea>',
                                              page, re.S).group(1))
    fields["default_quality"] = re.search(r'<option value="([^"]+)" selected>', page).group(1)
    if re.search(r'name="slice_parts"[^>]* checked', page):
        fields["slice_parts"] = "1"
    fields["_csrf"] = csrf_of(page)
    return fields


def test_the_settings_page_links_to_the_quote_settings(api, make_user):
    s = page_session(api, make_user, "accountant")
    assert 'href="/settings/quotes"' in s.get("/settings").text


def test_owner_saves_the_quote_settings_form_in_currency_units(api, make_user, owner):
    before = owner.get("/api/v1/quote-settings").json()
    s = page_session(api, make_user, "owner")
    page = s.get("/settings/quotes")
    assert page.status_code == 200
    assert "Settings" in re.search(r"<title>(.*?)</title>", page.text, re.S).group(1)
    assert 'data-testid="qset-materials-table"' in page.text and ">PLA</a>" in page.text
    form = form_of(page.text)
    assert form["machine_rate"] == "%d.%02d" % divmod(before["machine_rate_cents"], 100)
    assert form["tier_qty_1"] == str(before["quantity_tiers"][0]["min_qty"])
    form.update({"machine_rate": "3,75", "handling_minutes": "4.5", "tier_qty_3": "100",
                 "tier_pct_3": "12.5", "quality_name_4": "coarse", "quality_layer_4": "0,32",
                 "default_quality": "coarse"})
    r = s.post("/settings/quotes", data=form, allow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    assert r.headers["Location"] == "/settings/quotes"
    body = owner.get("/api/v1/quote-settings").json()
    assert body["machine_rate_cents"] == 375 and body["handling_minutes"] == 4.5
    assert body["quantity_tiers"][-1] == {"min_qty": 100, "discount_bp": 1250}
    assert body["qualities"][-1] == {"name": "coarse", "layer_mm": 0.32}
    assert body["default_quality"] == "coarse"
    assert body["terms"] == before["terms"] and body["setup_fee_cents"] == before["setup_fee_cents"]
    assert body["slice_parts"] == before["slice_parts"]
    again = s.get("/settings/quotes").text
    assert 'value="3.75"' in again and 'data-kind="ok"' in again
    # an unticked box turns the slicer off; ticking it again turns it on
    form = form_of(again)
    form.pop("slice_parts", None)
    assert s.post("/settings/quotes", data=form, allow_redirects=False).status_code == 303
    assert owner.get("/api/v1/quote-settings").json()["slice_parts"] is False
    assert 'name="slice_parts"' in s.get("/settings/quotes").text
    form["slice_parts"] = "1"
    assert s.post("/settings/quotes", data=form, allow_redirects=False).status_code == 303
    assert owner.get("/api/v1/quote-settings").json()["slice_parts"] is True
    assert owner.put("/api/v1/quote-settings", json=settings_of(before)).status_code == 200


def test_a_bad_quote_settings_form_comes_back_with_its_errors_and_values(api, make_user, owner):
    before = owner.get("/api/v1/quote-settings").json()
    s = page_session(api, make_user, "owner")
    form = form_of(s.get("/settings/quotes").text)
    form.update({"machine_rate": "a lot", "validity_days": "400", "tier_qty_2": "1",
                 "terms": "Kept terms"})
    r = s.post("/settings/quotes", data=form)
    assert r.status_code == 422
    assert 'data-testid="error-machine_rate"' in r.text
    assert 'value="a lot"' in r.text and "Kept terms" in r.text
    form.update({"machine_rate": "2.50"})
    r = s.post("/settings/quotes", data=form)
    assert r.status_code == 422
    assert 'data-testid="error-validity_days"' in r.text
    assert 'data-testid="error-quantity_tiers"' in r.text
    assert 'id="tier-qty-2" name="tier_qty_2" value="1"' in r.text
    assert owner.get("/api/v1/quote-settings").json() == before


def test_staff_see_the_quote_settings_but_cannot_save_them(api, make_user, owner):
    before = owner.get("/api/v1/quote-settings").json()
    s = page_session(api, make_user, "staff")
    page = s.get("/settings/quotes")
    assert page.status_code == 200 and 'data-testid="qset-read-only"' in page.text
    assert 'data-testid="qset-save"' not in page.text
    assert 'data-testid="qset-material-add"' not in page.text
    r = s.post("/settings/quotes", data=dict(form_of(page.text), machine_rate="99"),
               allow_redirects=False)
    assert r.status_code == 403
    assert s.get("/settings/quotes/materials/PLA").status_code == 200
    assert s.get("/settings/quotes/materials/new").status_code == 403
    assert owner.get("/api/v1/quote-settings").json() == before


def test_owner_adds_and_deactivates_a_material_by_form(api, make_user, owner):
    code = f"PC{T}"
    s = page_session(api, make_user, "owner")
    page = s.get("/settings/quotes/materials/new")
    assert page.status_code == 200
    bad = {"material": code, "label": "Polycarbonate", "cost_per_kg": "32,50",
           "density": "0.2", "markup_pct": "70", "active": "1", "_csrf": csrf_of(page.text)}
    r = s.post("/settings/quotes/materials/new", data=bad)
    assert r.status_code == 422 and 'data-testid="error-density"' in r.text
    assert 'value="Polycarbonate"' in r.text
    r = s.post("/settings/quotes/materials/new", data=dict(bad, density="1,2"),
               allow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    m = next(x for x in owner.get("/api/v1/quote-settings").json()["materials"]
             if x["material"] == code)
    assert (m["cost_per_kg_cents"], m["density"], m["markup_bp"], m["active"]) == \
        (3250, 1.2, 7000, True)
    assert code in offered(api)
    edit = s.get(f"/settings/quotes/materials/{code}")
    assert edit.status_code == 200 and 'value="32.50"' in edit.text
    fields = dict(re.findall(r'<input id="mat-[^"]*" name="([^"]+)" value="([^"]*)"', edit.text))
    assert "active" not in fields or fields["active"] == "1"
    fields.pop("active", None)
    fields["_csrf"] = csrf_of(edit.text)
    r = s.post(f"/settings/quotes/materials/{code}", data=fields, allow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    assert code not in offered(api)
    listing = s.get("/settings/quotes").text
    assert f'id="material-{code}"' in listing


def test_german_owners_get_the_page_in_german_with_decimal_commas(api, make_user, owner):
    s = page_session(api, make_user, "owner")
    page = s.get("/settings/quotes").text
    assert s.post("/settings/language", data={"lang": "de", "_csrf": csrf_of(page)},
                  allow_redirects=False).status_code in (200, 303)
    de = s.get("/settings/quotes").text
    assert '<html lang="de"' in de and "Sofortangebote" in de
    rate = owner.get("/api/v1/quote-settings").json()["machine_rate_cents"]
    assert 'value="%d,%02d"' % divmod(rate, 100) in de
