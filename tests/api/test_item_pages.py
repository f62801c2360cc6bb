"""The parts pages: a list with a new-part form, and a part's page where stock
is received, used, moved and corrected through forms, with its history."""
import re
import secrets

import pytest

from util import csrf_of, page_session


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def test_a_part_is_added_and_received_used_and_moved_through_its_page(api, h, make_user):
    s = page_session(api, make_user, "staff")
    t = secrets.token_hex(3)
    shelf = api.post("/api/v1/locations", json={"name": f"Shelf {t}"}, headers=h).json()
    box = api.post("/api/v1/locations", json={"name": f"Box {t}"}, headers=h).json()
    page = s.get("/inventory/items")
    assert page.status_code == 200 and 'data-testid="item-new-form"' in page.text
    r = s.post("/inventory/items", data={"name": f"Magnet {t}", "unit": "pcs",
                                         "low_stock_qty": "10", "_csrf": csrf_of(page.text)},
               allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    url = r.headers["Location"]
    item_id = int(url.rsplit("/", 1)[1])
    page = s.get(url)
    assert page.status_code == 200 and f"Magnet {t}" in page.text
    csrf = csrf_of(page.text)
    # 40 at 0.15 each on the shelf
    r = s.post(url, data={"op": "receive", "qty": "40", "unit_cost": "0,15",
                          "location_id": str(shelf["id"]), "_csrf": csrf},
               allow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    r = s.post(url, data={"op": "consume", "qty": "5", "location_id": str(shelf["id"]),
                          "_csrf": csrf}, allow_redirects=False)
    assert r.status_code == 303
    r = s.post(url, data={"op": "transfer", "qty": "10", "location_id": str(shelf["id"]),
                          "to_location_id": str(box["id"]), "_csrf": csrf},
               allow_redirects=False)
    assert r.status_code == 303
    item = api.get(f"/api/v1/items/{item_id}", headers=h).json()
    assert item["on_hand"] == 35 and item["unit_cost_cents"] == 15
    assert {p["location"]: p["on_hand"] for p in item["stock"]} == {
        f"Shelf {t}": 25, f"Box {t}": 10}
    page = s.get(url)
    assert len(re.findall(r'data-testid="item-ledger-row"', page.text)) == 4
    assert "35 pcs" in page.text
    listing = s.get("/inventory/items", params={"q": t})
    assert f"Magnet {t}" in listing.text and "35 pcs" in listing.text


def test_bad_part_forms_come_back_with_the_field_named_and_change_nothing(api, h, make_user,
                                                                          server):
    s = page_session(api, make_user, "staff")
    t = secrets.token_hex(3)
    item = api.post("/api/v1/items", json={"name": f"Insert {t}"}, headers=h).json()
    url = f"/inventory/items/{item['id']}"
    csrf = csrf_of(s.get(url).text)
    r = s.post(url, data={"op": "adjust", "qty": "-3", "_csrf": csrf})
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text
    r = s.post(url, data={"op": "receive", "qty": "3", "unit_cost": "1.2.3", "_csrf": csrf})
    assert r.status_code == 422
    assert re.search(r'name="unit_cost"[^>]*aria-invalid="true"', r.text)
    r = s.post(url, data={"op": "consume", "qty": "1", "_csrf": csrf})
    assert r.status_code == 409
    assert server.psql("SELECT count(*) FROM stock_moves WHERE item_id = %s",
                       (item["id"],))[0][0] == 0
    r = s.post("/inventory/items", data={"name": f"Insert {t}", "_csrf": csrf})
    assert r.status_code == 409 and 'aria-invalid="true"' in r.text


def test_accountants_see_parts_without_forms(api, h, make_user):
    item = api.post("/api/v1/items", json={"name": f"Box {secrets.token_hex(3)}"},
                    headers=h).json()
    s = page_session(api, make_user, "accountant")
    page = s.get(f"/inventory/items/{item['id']}")
    assert page.status_code == 200 and "item-receive-form" not in page.text
    assert "item-new-form" not in s.get("/inventory/items").text
    r = s.post(f"/inventory/items/{item['id']}", data={"op": "receive", "qty": "1",
                                                       "_csrf": csrf_of(page.text)})
    assert r.status_code == 403


def test_places_and_vendors_are_listed_and_added_from_their_pages(api, h, make_user, server):
    s = page_session(api, make_user, "staff")
    t = secrets.token_hex(3)
    for page, data, testid in (
            ("/inventory/locations", {"name": f"Cabinet {t}", "kind": "dry_box"}, "location"),
            ("/inventory/vendors", {"name": f"Maker {t}", "website": "https://example.org"},
             "vendor")):
        html = s.get(page).text
        r = s.post(page, data=dict(data, _csrf=csrf_of(html)), allow_redirects=False)
        assert r.status_code == 303, r.text[:300]
        listed = s.get(page).text
        assert data["name"] in listed and f'data-testid="{testid}-row"' in listed
        again = s.post(page, data=dict(data, _csrf=csrf_of(html)))
        assert again.status_code == 409 and 'aria-invalid="true"' in again.text
    assert "Dry box" in s.get("/inventory/locations").text  # the kind in words
    assert server.psql("SELECT kind::text FROM locations WHERE name = %s",
                       (f"Cabinet {t}",))[0][0] == "dry_box"


def test_form_errors_come_back_in_the_pages_language(api, h, make_user):
    s = page_session(api, make_user, "staff")
    s.headers["Accept-Language"] = "de-DE,de;q=0.9"
    page = s.get("/inventory/items")
    r = s.post("/inventory/items", data={"name": "", "low_stock_qty": "viele",
                                         "_csrf": csrf_of(page.text)})
    assert r.status_code == 422
    assert "Bitte prüfen Sie die markierten Felder." in r.text
    assert "ist erforderlich" in r.text
    s.headers["Accept-Language"] = "en"
    r = s.post("/inventory/items", data={"name": "", "_csrf": csrf_of(page.text)})
    assert r.status_code == 422
    assert "invalid item: name" in r.text and "is required" in r.text
