"""Customers: validated records, searchable lists, audited changes, GDPR export and anonymisation."""
import json
import re
import uuid

import pytest

from util import csrf_of


@pytest.fixture
def owner(api, owner_token):
    return api.with_token(owner_token)


@pytest.fixture
def staff(api, make_user):
    return api.with_token(make_user("staff")[2])


@pytest.fixture
def accountant(api, make_user):
    return api.with_token(make_user("accountant")[2])


def unique(word):
    return "%s-%s" % (word, uuid.uuid4().hex[:8])


def create(session, **fields):
    fields.setdefault("name", unique("Customer"))
    r = session.post("/api/v1/customers", json=fields)
    assert r.status_code == 201, r.text
    return r.json()


def audit_rows(server, cid):
    return server.psql("SELECT action, actor, before, after FROM audit_log "
                       "WHERE entity = 'customer' AND entity_id = %s ORDER BY id", (str(cid),))


def count_customers(server):
    return server.psql("SELECT count(*) FROM customers")[0][0]


FULL = {
    "email": "ada@example.com", "phone": "+49 30 1234567",
    "billing_street": "Hauptstraße 1", "billing_postal_code": "10115",
    "billing_city": "Berlin", "billing_country": "de",
    "shipping_street": "Rue de Rivoli 2", "shipping_postal_code": "75001",
    "shipping_city": "Paris", "shipping_country": "FR",
    "vat_id": "DE 123 456 789", "notes": "prefers PETG",
}


# ---- create and validate ----

def test_staff_create_a_customer_with_addresses_and_it_is_audited(staff, server):
    c = create(staff, name="Ada Lovelace", **FULL)
    assert c["id"] > 0 and c["name"] == "Ada Lovelace"
    assert c["billing_country"] == "DE" and c["shipping_country"] == "FR"
    assert c["vat_id"] == "DE123456789"
    assert c["source"] == "manual" and c["external_id"] is None
    assert c["anonymised_at"] is None
    assert c["created_at"].endswith("Z") and c["updated_at"].endswith("Z")
    rows = audit_rows(server, c["id"])
    assert [(a, after["email"]) for a, _, _, after in rows] == [("create", "ada@example.com")]
    assert staff.get(f"/api/v1/customers/{c['id']}").json() == c


def test_a_customer_needs_only_a_name(owner):
    c = create(owner, name="  Walk-in  ")
    assert c["name"] == "Walk-in"
    assert all(c[k] is None for k in ("email", "phone", "billing_country", "vat_id"))


@pytest.mark.parametrize("change, field", [
    ({"email": "not-an-address"}, "email"),
    ({"email": "a b@example.com"}, "email"),
    ({"email": "someone@localhost"}, "email"),
    ({"phone": "call me"}, "phone"),
    ({"billing_country": "XX"}, "billing_country"),
    ({"shipping_country": "Germany"}, "shipping_country"),
    ({"vat_id": "DE12345678"}, "vat_id"),
    ({"vat_id": "GR123456789"}, "vat_id"),
    ({"vat_id": "US12-3456789"}, "vat_id"),
    ({"source": "ebay"}, "source"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"notes": "x" * 4001}, "notes"),
    ({"shoe_size": 42}, "shoe_size"),
])
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(owner, server, change, field):
    before = count_customers(server)
    r = owner.post("/api/v1/customers", json=dict({"name": "Bad Input"}, **change))
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"]
    assert count_customers(server) == before


def test_a_missing_name_is_refused(owner):
    r = owner.post("/api/v1/customers", json={"email": "x@example.com"})
    assert r.status_code == 422
    assert "name" in r.json()["error"]["fields"]


def test_vat_id_errors_show_the_format_of_the_country(owner):
    r = owner.post("/api/v1/customers", json={"name": "Dutch Co", "vat_id": "NL123456789"})
    assert r.status_code == 422
    assert "NL123456789B01" in r.json()["error"]["fields"]["vat_id"]


@pytest.mark.parametrize("vat_id, stored", [
    ("ATU12345678", "ATU12345678"), ("el 123456789", "EL123456789"),
    ("FR 12 345678901", "FR12345678901"), ("NL123456789B01", "NL123456789B01"),
    ("es-x1234567x", "ESX1234567X"), ("IE1234567T", "IE1234567T"),
])
def test_eu_vat_ids_of_several_countries_are_accepted(owner, vat_id, stored):
    assert create(owner, vat_id=vat_id)["vat_id"] == stored


def test_an_external_id_is_unique_per_source(owner):
    ext = unique("etsy-buyer")
    create(owner, source="etsy", external_id=ext)
    r = owner.post("/api/v1/customers", json={"name": "Twin", "source": "etsy", "external_id": ext})
    assert r.status_code == 409
    assert "external_id" in r.json()["error"]["fields"]
    assert ext in r.json()["error"]["message"]
    assert create(owner, source="quote", external_id=ext)["source"] == "quote"


def test_accountants_read_customers_but_do_not_write(accountant, owner):
    c = create(owner)
    assert accountant.get(f"/api/v1/customers/{c['id']}").status_code == 200
    assert accountant.get("/api/v1/customers").status_code == 200
    assert accountant.post("/api/v1/customers", json={"name": "No"}).status_code == 403
    assert accountant.patch(f"/api/v1/customers/{c['id']}", json={"name": "No"}).status_code == 403
    assert accountant.delete(f"/api/v1/customers/{c['id']}").status_code == 403
    assert accountant.get(f"/api/v1/customers/{c['id']}/export").status_code == 403


def test_unknown_customers_are_404(owner):
    for method, path in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/export"),
                         ("POST", "/anonymise")):
        r = owner.request(method, "/api/v1/customers/987654321" + path, json={})
        assert r.status_code == 404, (method, path)


# ---- lists ----

def test_search_finds_name_or_email_in_any_case(owner):
    tag = uuid.uuid4().hex[:8]
    a = create(owner, name=f"Grace {tag} Hopper")
    b = create(owner, name="Someone Else", email=f"grace.{tag}@example.org")
    create(owner, name="Unrelated Person")
    r = owner.get("/api/v1/customers", params={"q": tag.upper()})
    assert r.status_code == 200
    body = r.json()
    assert {c["id"] for c in body["items"]} == {a["id"], b["id"]}
    assert body["total"] == 2


def test_lists_filter_by_source_and_country(owner):
    tag = unique("filter")
    e = create(owner, name=f"{tag} etsy", source="etsy", billing_country="AT")
    create(owner, name=f"{tag} manual", billing_country="AT")
    create(owner, name=f"{tag} quote", source="quote", billing_country="CH")
    items = owner.get("/api/v1/customers", params={"q": tag, "source": "etsy"}).json()["items"]
    assert [c["id"] for c in items] == [e["id"]]
    items = owner.get("/api/v1/customers", params={"q": tag, "country": "at"}).json()["items"]
    assert sorted(c["name"] for c in items) == [f"{tag} etsy", f"{tag} manual"]


def test_lists_sort_by_whitelisted_fields_and_page_with_a_total(owner):
    tag = unique("sort")
    names = [f"{tag} {x}" for x in ("b", "D", "a", "c", "e")]
    made = [create(owner, name=n) for n in names]
    by_name = owner.get("/api/v1/customers", params={"q": tag, "sort": "name"}).json()
    assert [c["name"] for c in by_name["items"]] == sorted(names, key=str.lower)
    desc = owner.get("/api/v1/customers", params={"q": tag, "sort": "-name"}).json()
    assert [c["name"] for c in desc["items"]] == sorted(names, key=str.lower, reverse=True)
    newest = owner.get("/api/v1/customers", params={"q": tag, "sort": "-created_at,-id"}).json()
    assert [c["id"] for c in newest["items"]] == [c["id"] for c in reversed(made)]
    page = owner.get("/api/v1/customers",
                     params={"q": tag, "sort": "name", "limit": 2, "offset": 2}).json()
    assert page["total"] == 5
    assert [c["name"] for c in page["items"]] == sorted(names, key=str.lower)[2:4]


@pytest.mark.parametrize("params", [
    {"sort": "password"}, {"sort": "name;drop table customers"}, {"sort": "name,id,email,source"},
    {"limit": 501}, {"source": "fax"},
])
def test_bad_list_parameters_are_400_naming_them(owner, params):
    r = owner.get("/api/v1/customers", params=params)
    assert r.status_code == 400
    assert list(params)[0] in r.json()["error"]["message"]


# ---- change ----

def test_patch_changes_only_what_is_sent_and_audits_the_difference(staff, server):
    c = create(staff, name="Patchable", **FULL)
    r = staff.patch(f"/api/v1/customers/{c['id']}",
                    json={"phone": "+43 1 234567", "notes": None, "shipping_street": ""})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["phone"] == "+43 1 234567"
    assert d["notes"] is None and d["shipping_street"] is None
    assert d["email"] == FULL["email"] and d["billing_city"] == "Berlin"
    action, actor, before, after = audit_rows(server, c["id"])[-1]
    assert action == "update" and actor.startswith("staff")
    assert set(after) == {"phone", "notes", "shipping_street"}
    assert before["notes"] == "prefers PETG" and after["notes"] is None


def test_patch_validates_the_whole_customer(owner):
    c = create(owner, name="Whole")
    r = owner.patch(f"/api/v1/customers/{c['id']}", json={"name": None})
    assert r.status_code == 422 and "name" in r.json()["error"]["fields"]
    r = owner.patch(f"/api/v1/customers/{c['id']}", json={"email": "nope"})
    assert r.status_code == 422 and "email" in r.json()["error"]["fields"]
    assert owner.get(f"/api/v1/customers/{c['id']}").json()["name"] == "Whole"


# ---- delete ----

def test_deleting_a_customer_removes_it_and_its_personal_data_from_the_audit(owner, server):
    c = create(owner, name="Erase Me Entirely", **FULL)
    r = owner.delete(f"/api/v1/customers/{c['id']}")
    assert r.status_code == 204
    assert owner.get(f"/api/v1/customers/{c['id']}").status_code == 404
    rows = audit_rows(server, c["id"])
    assert [a for a, _, _, _ in rows] == ["create", "delete"]
    text = json.dumps([r[2:] for r in rows])
    for value in ("Erase Me Entirely", "ada@example.com", "Hauptstraße 1", "DE123456789"):
        assert value not in text


def test_a_customer_with_orders_cannot_be_deleted(owner):
    c = create(owner, name="Has Orders")
    r = owner.post("/api/v1/orders", json={"customer_id": c["id"], "lines": [
        {"description": "Engraving", "quantity": 1, "unit_price_cents": 900}]})
    assert r.status_code == 201, r.text
    r = owner.delete(f"/api/v1/customers/{c['id']}")
    assert r.status_code == 409
    assert "documents" in r.json()["error"]["message"]
    assert "anonymise" in r.json()["error"]["hint"]
    assert owner.get(f"/api/v1/customers/{c['id']}").status_code == 200


# ---- GDPR ----

def test_export_holds_the_customer_and_every_audit_row_about_them(staff):
    c = create(staff, name="Export Me", **FULL)
    staff.patch(f"/api/v1/customers/{c['id']}", json={"phone": "+49 40 999999"})
    r = staff.get(f"/api/v1/customers/{c['id']}/export")
    assert r.status_code == 200
    assert "attachment" in r.headers["Content-Disposition"]
    body = r.json()
    assert body["customer"]["name"] == "Export Me"
    assert body["customer"]["phone"] == "+49 40 999999"
    assert [a["action"] for a in body["audit"]] == ["create", "update"]
    assert body["audit"][1]["after"] == {"phone": "+49 40 999999"}


def test_anonymising_keeps_the_row_and_removes_personal_data_everywhere(owner, server):
    c = create(owner, name="Private Person", source="etsy", external_id=unique("buyer"), **FULL)
    owner.patch(f"/api/v1/customers/{c['id']}", json={"notes": "lives next to the park"})
    r = owner.post(f"/api/v1/customers/{c['id']}/anonymise")
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["id"] == c["id"]
    assert a["name"] == "anonymised customer %d" % c["id"]
    for k in ("email", "phone", "billing_street", "billing_postal_code", "billing_city",
              "shipping_street", "shipping_postal_code", "shipping_city", "vat_id",
              "external_id", "notes"):
        assert a[k] is None, k
    assert a["billing_country"] == "DE" and a["shipping_country"] == "FR"
    assert a["source"] == "etsy" and a["anonymised_at"]
    rows = audit_rows(server, c["id"])
    action, actor, before, after = rows[-1]
    assert action == "anonymise" and actor == "owner"
    assert "name" in before["fields"] and "email" in before["fields"]
    assert after == {"anonymised_at": a["anonymised_at"]}
    text = json.dumps([r[2:] for r in rows])
    for value in ("Private Person", "ada@example.com", "+49 30 1234567", "Hauptstraße",
                  "10115", "DE123456789", "prefers PETG", "lives next to the park",
                  c["external_id"]):
        assert value not in text, value
    export = owner.get(f"/api/v1/customers/{c['id']}/export").json()
    assert "Private Person" not in json.dumps(export)


def test_anonymising_twice_changes_nothing_more(owner, server):
    c = create(owner, name="Twice", email="twice@example.com")
    first = owner.post(f"/api/v1/customers/{c['id']}/anonymise").json()
    n = len(audit_rows(server, c["id"]))
    again = owner.post(f"/api/v1/customers/{c['id']}/anonymise")
    assert again.status_code == 200
    assert again.json() == first
    assert len(audit_rows(server, c["id"])) == n


def test_an_anonymised_customer_gets_no_personal_data_again(owner):
    c = create(owner, name="Gone")
    owner.post(f"/api/v1/customers/{c['id']}/anonymise")
    r = owner.patch(f"/api/v1/customers/{c['id']}", json={"email": "back@example.com"})
    assert r.status_code == 409
    assert "anonymised" in r.json()["error"]["message"]
    r = owner.patch(f"/api/v1/customers/{c['id']}", json={"billing_country": "PL"})
    assert r.status_code == 200 and r.json()["billing_country"] == "PL"


def test_only_owners_anonymise(staff, owner):
    c = create(owner, name="Protected")
    assert staff.post(f"/api/v1/customers/{c['id']}/anonymise").status_code == 403
    assert owner.get(f"/api/v1/customers/{c['id']}").json()["anonymised_at"] is None


# ---- pages ----

def page_session(api, make_user, role):
    name, password, _ = make_user(role)
    s = api.session()
    page = s.get("/login").text
    r = s.post("/login", data={"username": name, "password": password, "_csrf": csrf_of(page)},
               allow_redirects=False)
    assert r.status_code == 303
    return s


def test_the_customers_page_lists_searches_and_scrolls_its_table(api, make_user, owner):
    tag = unique("page")
    c = create(owner, name=f"Listed {tag}", email=f"{tag}@example.com", billing_city="Köln")
    s = page_session(api, make_user, "accountant")
    html = s.get("/customers", params={"q": tag}).text
    assert 'id="nav-customers"' in html and 'aria-current="page"' in html
    assert 'class="table-scroll"' in html
    assert f'href="/customers/{c["id"]}"' in html and "Köln" in html
    assert 'data-testid="customers-new"' not in html  # accountants do not create
    empty = s.get("/customers", params={"q": unique("nothing")}).text
    assert 'data-testid="empty-state"' in empty and f'href="/customers/{c["id"]}"' not in empty


def test_the_new_customer_form_creates_and_redirects(api, make_user, owner):
    s = page_session(api, make_user, "staff")
    page = s.get("/customers/new")
    assert page.status_code == 200
    name = unique("Form Made")
    r = s.post("/customers/new", data={"name": name, "email": "form@example.com",
                                        "billing_country": "it", "vat_id": "",
                                        "_csrf": csrf_of(page.text)}, allow_redirects=False)
    assert r.status_code == 303
    cid = int(re.fullmatch(r"/customers/(\d+)", r.headers["Location"]).group(1))
    c = owner.get(f"/api/v1/customers/{cid}").json()
    assert c["name"] == name and c["billing_country"] == "IT" and c["vat_id"] is None
    shown = s.get(r.headers["Location"]).text
    assert name in shown and 'data-kind="ok"' in shown


def test_a_bad_customer_form_comes_back_with_messages_next_to_the_fields(api, make_user, server):
    s = page_session(api, make_user, "staff")
    page = s.get("/customers/new").text
    before = count_customers(server)
    r = s.post("/customers/new", data={"name": "Kept Name", "email": "broken", "billing_country": "ZZ",
                                        "_csrf": csrf_of(page)})
    assert r.status_code == 422
    assert 'data-testid="error-email"' in r.text
    assert 'data-testid="error-billing_country"' in r.text
    assert 'value="Kept Name"' in r.text and 'value="broken"' in r.text
    assert 'data-kind="error"' in r.text
    assert count_customers(server) == before


def test_the_customer_page_edits_and_offers_export_and_anonymise_to_owners(api, make_user, owner):
    c = create(owner, name="Editable", email="edit@example.com")
    s = page_session(api, make_user, "owner")
    page = s.get(f"/customers/{c['id']}")
    assert page.status_code == 200
    assert 'value="Editable"' in page.text
    assert f'href="/api/v1/customers/{c["id"]}/export"' in page.text
    assert 'data-testid="customer-anonymise"' in page.text and "data-confirm=" in page.text
    fields = dict(re.findall(r'<input id="c-[^"]*" name="([^"]+)"[^>]* value="([^"]*)"', page.text))
    fields.update({"name": "Edited", "phone": "+49 89 7654321", "_csrf": csrf_of(page.text)})
    r = s.post(f"/customers/{c['id']}", data=fields, allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    d = owner.get(f"/api/v1/customers/{c['id']}").json()
    assert d["name"] == "Edited" and d["phone"] == "+49 89 7654321"
    assert d["email"] == "edit@example.com"
    bad = s.post(f"/customers/{c['id']}", data=dict(fields, phone="??"))
    assert bad.status_code == 422 and 'value="??"' in bad.text
    export = s.get(f"/api/v1/customers/{c['id']}/export")
    assert export.status_code == 200 and export.json()["customer"]["name"] == "Edited"
    gone = s.post(f"/customers/{c['id']}/anonymise", data={"_csrf": csrf_of(page.text)},
                  allow_redirects=False)
    assert gone.status_code == 303
    assert owner.get(f"/api/v1/customers/{c['id']}").json()["email"] is None


def test_staff_do_not_see_the_anonymise_button(api, make_user, owner):
    c = create(owner, name="No Button")
    s = page_session(api, make_user, "staff")
    html = s.get(f"/customers/{c['id']}").text
    assert 'data-testid="customer-save"' in html
    assert 'data-testid="customer-anonymise"' not in html
