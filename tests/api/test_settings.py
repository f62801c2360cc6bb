"""Business settings: everyone reads them, owners change them, every change is audited."""
import re

import pytest

from util import csrf_of

DEFAULTS = {
    "currency": "EUR",
    "vat_rates": [{"name": "standard", "rate_bp": 1900}, {"name": "reduced", "rate_bp": 700}],
    "labour_rate_cents": 0, "overhead_bp": 0, "target_margin_bp": 0,
    "business_name": None, "business_street": None, "business_postal_code": None,
    "business_city": None, "business_country": None, "business_vat_id": None,
    "timezone": "Europe/Berlin",
}


@pytest.fixture
def owner(api, owner_token):
    """Owner's session; puts the settings back to the defaults afterwards."""
    s = api.with_token(owner_token)
    yield s
    r = s.patch("/api/v1/settings", json=DEFAULTS)
    assert r.status_code == 200, r.text


def settings_audit(server):
    return server.psql("SELECT actor, before, after FROM audit_log "
                       "WHERE entity = 'settings' ORDER BY id")


def test_everyone_reads_the_defaults(api, make_user, owner):
    _, _, token = make_user("accountant")
    r = api.get("/api/v1/settings", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    body = r.json()
    for key, value in DEFAULTS.items():
        assert body[key] == value, key
    assert body["updated_at"].endswith("Z")


def test_owner_changes_settings_and_the_change_is_audited(owner, server):
    before = len(settings_audit(server))
    r = owner.patch("/api/v1/settings", json={
        "labour_rate_cents": 4500, "overhead_bp": 1500, "target_margin_bp": 3000,
        "business_name": "  Printyard GmbH ", "business_country": "de",
        "vat_rates": [{"name": "standard", "rate_bp": 1900}, {"name": "reduced", "rate_bp": 700},
                      {"name": "zero", "rate_bp": 0}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["labour_rate_cents"] == 4500 and body["overhead_bp"] == 1500
    assert body["business_name"] == "Printyard GmbH"
    assert body["business_country"] == "DE"
    assert [v["name"] for v in body["vat_rates"]] == ["standard", "reduced", "zero"]
    assert owner.get("/api/v1/settings").json() == body
    rows = settings_audit(server)
    assert len(rows) == before + 1
    actor, old, new = rows[-1]
    assert actor == "owner"
    # only what changed, with its value before and after
    assert set(new) == {"labour_rate_cents", "overhead_bp", "target_margin_bp",
                        "business_name", "business_country", "vat_rates"}
    assert old["labour_rate_cents"] == 0 and new["labour_rate_cents"] == 4500
    assert old["business_name"] is None and new["business_name"] == "Printyard GmbH"


def test_a_patch_that_changes_nothing_leaves_no_audit_row(owner, server):
    before = len(settings_audit(server))
    r = owner.patch("/api/v1/settings", json={"currency": "EUR", "timezone": "Europe/Berlin"})
    assert r.status_code == 200
    assert len(settings_audit(server)) == before


def test_only_owners_change_settings(api, make_user, owner):
    for role in ("staff", "accountant"):
        _, _, token = make_user(role)
        r = api.patch("/api/v1/settings", json={"labour_rate_cents": 1},
                      headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403
    assert owner.get("/api/v1/settings").json()["labour_rate_cents"] == 0


@pytest.mark.parametrize("change, field", [
    ({"currency": "XYZ"}, "currency"),
    ({"currency": "eu"}, "currency"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": None}, "timezone"),
    ({"business_country": "XX"}, "business_country"),
    ({"business_vat_id": "DE12345"}, "business_vat_id"),
    ({"business_vat_id": "US123456789"}, "business_vat_id"),
    ({"vat_rates": [{"name": "reduced", "rate_bp": 700}]}, "vat_rates"),
    ({"vat_rates": [{"name": "standard", "rate_bp": 10001}]}, "vat_rates"),
    ({"vat_rates": [{"name": "standard", "rate_bp": 1900}, {"name": "standard", "rate_bp": 700}]}, "vat_rates"),
    ({"vat_rates": [{"name": "Standard Rate", "rate_bp": 1900}]}, "vat_rates"),
    ({"vat_rates": [{"name": "standard", "rate_bp": 19.5}]}, "vat_rates"),
    ({"vat_rates": []}, "vat_rates"),
    ({"labour_rate_cents": -1}, "labour_rate_cents"),
    ({"target_margin_bp": 10000}, "target_margin_bp"),
    ({"colour": "green"}, "colour"),
])
def test_bad_values_are_refused_by_field_and_change_nothing(owner, server, change, field):
    before = owner.get("/api/v1/settings").json()
    audits = len(settings_audit(server))
    r = owner.patch("/api/v1/settings", json=dict(change, overhead_bp=1234))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert field in err["fields"], err
    assert owner.get("/api/v1/settings").json() == before
    assert len(settings_audit(server)) == audits


def test_vat_ids_are_stored_in_one_spelling_and_cleared_with_null(owner):
    r = owner.patch("/api/v1/settings", json={"business_vat_id": "de 123.456-789"})
    assert r.status_code == 200, r.text
    assert r.json()["business_vat_id"] == "DE123456789"
    r = owner.patch("/api/v1/settings", json={"business_vat_id": None})
    assert r.status_code == 200
    assert r.json()["business_vat_id"] is None


def test_a_wrong_vat_id_is_answered_with_an_example_of_its_country(owner):
    r = owner.patch("/api/v1/settings", json={"business_vat_id": "NL12345678901"})
    assert r.status_code == 422
    assert "NL123456789B01" in r.json()["error"]["fields"]["business_vat_id"]


# ---- the page ----

def login_page_session(api, make_user, role):
    name, password, _ = make_user(role)
    s = api.session()
    page = s.get("/login").text
    r = s.post("/login", data={"username": name, "password": password, "_csrf": csrf_of(page)},
               allow_redirects=False)
    assert r.status_code == 303
    return s


def form_of(html):
    """The business form's fields as the page filled them in."""
    fields = dict(re.findall(r'<input id="(?:biz|vat)-[^"]*" name="([^"]+)" value="([^"]*)"', html))
    fields["_csrf"] = csrf_of(html)
    return fields


def test_owner_saves_the_business_form_in_percent_and_currency_units(api, make_user, owner):
    s = login_page_session(api, make_user, "owner")
    page = s.get("/settings/business")
    assert page.status_code == 200
    assert "Settings" in re.search(r"<title>(.*?)</title>", page.text, re.S).group(1)
    form = form_of(page.text)
    assert form["vat_name_1"] == "standard" and form["vat_rate_1"] == "19"
    assert form["vat_name_2"] == "reduced" and form["vat_rate_2"] == "7"
    form.update({"labour_rate": "45,50", "overhead_pct": "12.5", "target_margin_pct": "30",
                 "vat_name_3": "zero", "vat_rate_3": "0", "business_name": "Printyard"})
    r = s.post("/settings/business", data=form, allow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    assert r.headers["Location"] == "/settings/business"
    body = owner.get("/api/v1/settings").json()
    assert body["labour_rate_cents"] == 4550
    assert body["overhead_bp"] == 1250 and body["target_margin_bp"] == 3000
    assert body["vat_rates"][2] == {"name": "zero", "rate_bp": 0}
    again = s.get("/settings/business").text
    assert 'value="45.50"' in again and 'value="12.5"' in again
    assert 'data-kind="ok"' in again


def test_a_bad_business_form_comes_back_with_its_errors_and_values(api, make_user, owner):
    s = login_page_session(api, make_user, "owner")
    form = form_of(s.get("/settings/business").text)
    form.update({"labour_rate": "lots", "business_name": "Kept Name GmbH"})
    r = s.post("/settings/business", data=form)
    assert r.status_code == 422
    assert 'data-testid="error-labour_rate"' in r.text
    assert 'value="Kept Name GmbH"' in r.text and 'value="lots"' in r.text
    form.update({"labour_rate": "10", "timezone": "Nowhere/Land"})
    r = s.post("/settings/business", data=form)
    assert r.status_code == 422
    assert 'data-testid="error-timezone"' in r.text
    assert owner.get("/api/v1/settings").json()["business_name"] is None


def test_staff_see_the_business_settings_but_cannot_save_them(api, make_user, owner):
    s = login_page_session(api, make_user, "staff")
    page = s.get("/settings/business")
    assert page.status_code == 200
    assert 'data-testid="biz-read-only"' in page.text
    assert 'data-testid="business-save"' not in page.text
    form = form_of(page.text)
    r = s.post("/settings/business", data=dict(form, business_name="Not allowed"),
               allow_redirects=False)
    assert r.status_code == 403
    assert owner.get("/api/v1/settings").json()["business_name"] is None


def test_the_settings_page_links_to_the_business_settings(api, make_user):
    s = login_page_session(api, make_user, "accountant")
    assert 'href="/settings/business"' in s.get("/settings").text


def test_settings_api_answers_json_with_the_documented_fields(owner, api):
    spec = api.get("/api/v1/openapi.json").json()
    documented = set(spec["components"]["schemas"]["BusinessSettings"]["properties"])
    assert set(owner.get("/api/v1/settings").json()) == documented
