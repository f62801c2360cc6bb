"""Instant quotes: a customer uploads meshes without logging in, gets a
price whose lines add up to the total, changes options without uploading
again and accepts; the quote becomes a confirmed sales order with one-off
products, production orders and print jobs.  The token is the only key.

Meshes are made here: binary and ASCII STL boxes, an open box, 3MF files
with two objects, a transform and inch units."""
import io
import math
import re
import secrets
import struct
import zipfile

import pytest

from quoting import Listener, adds_up, box_triangles, customer, model3mf, quote, stl_ascii, stl_binary, upload
from util import csrf_of, page_session

T = secrets.token_hex(3)


@pytest.fixture(scope="module")
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


@pytest.fixture(scope="module")
def shop(server):
    """Labour has a rate, so every line of the breakdown is there; quotes
    keep their instant estimate (test_quote_slicing.py has the slicer), so
    that a price read twice is the same price; the shop's own settings come
    back afterwards, for the tests that read the defaults."""
    before = server.psql("SELECT labour_rate_cents, overhead_bp, target_margin_bp "
                         "FROM business_settings")[0]
    server.psql("UPDATE business_settings SET labour_rate_cents = 3000, overhead_bp = 1000, "
                "target_margin_bp = 3000")
    server.psql("UPDATE quote_settings SET slice_parts = false")
    yield server
    server.psql("UPDATE quote_settings SET slice_parts = true")
    server.psql("UPDATE business_settings SET labour_rate_cents = %s, overhead_bp = %s, "
                "target_margin_bp = %s", before)


# ---- tests ----

def test_an_upload_is_measured_priced_and_its_lines_add_up(api, shop):
    q = quote(api, [(f"cube-{T}.stl", stl_binary(box_triangles(20, 20, 20)))],
              material="PLA", quality="standard", infill_pct=20, quantity=3)
    assert re.fullmatch(r"Q-\d{4}-\d{5}", q["number"]), q["number"]
    assert len(q["token"]) >= 40 and q["status"] == "draft"
    part, = q["parts"]
    assert part["file_kind"] == "stl" and part["name"] == f"cube-{T}.stl"
    assert part["mesh"]["triangles"] == 12 and part["mesh"]["watertight"] is True
    assert abs(part["mesh"]["volume_mm3"] - 8000) < 1e-3
    assert abs(part["mesh"]["area_mm2"] - 2400) < 1e-3
    assert part["warnings"] == [] and q["review_required"] is False
    # a 20 mm cube of PLA weighs at most its solid 9.92 g and not nothing
    assert 1.0 < part["grams"] <= 8000 * 1.24 / 1000 + 1e-6
    assert part["minutes"] > 0 and part["method"] == "estimate"
    assert part["quantity"] == 3 and part["infill_pct"] == 20
    adds_up(q)
    # no paths or hashes go out to the public
    assert "file_path" not in part and "file_sha256" not in part
    assert q["links"]["page"] == f"/q/{q['token']}"
    # the public GET answers the same quote
    r = api.get(f"/api/v1/public/quotes/{q['token']}")
    assert r.status_code == 200 and r.json()["breakdown"] == q["breakdown"]


def test_ascii_stl_and_binary_stl_of_one_mesh_price_alike(api, shop):
    tris = box_triangles(30, 10, 5)
    a = quote(api, [("a.stl", stl_ascii(tris))])
    b = quote(api, [("b.stl", stl_binary(tris))])
    assert a["parts"][0]["mesh"]["volume_mm3"] == pytest.approx(1500)
    assert a["parts"][0]["grams"] == b["parts"][0]["grams"]
    assert a["breakdown"]["gross_cents"] == b["breakdown"]["gross_cents"]
    # numbers are handed out without gaps
    na, nb = int(a["number"][-5:]), int(b["number"][-5:])
    assert nb == na + 1


def test_a_3mf_with_two_objects_a_transform_and_inches_gives_two_parts(api, shop):
    cube = box_triangles(1, 1, 1)
    data = model3mf({1: ("Small", cube), 2: ("Big", cube)},
                    [(1, None), (2, "2 0 0 0 2 0 0 0 2 10 0 0")], unit="inch")
    q = quote(api, [(f"pair-{T}.3mf", data)])
    small, big = q["parts"]
    assert (small["name"], big["name"]) == ("Small", "Big")
    inch3 = 25.4 ** 3
    assert small["mesh"]["volume_mm3"] == pytest.approx(inch3, rel=1e-6)
    assert big["mesh"]["volume_mm3"] == pytest.approx(8 * inch3, rel=1e-6)
    assert big["grams"] > small["grams"] and small["file_kind"] == "3mf"
    adds_up(q)


def test_options_change_the_price_without_uploading_again(api, shop):
    q = quote(api, [("bracket.stl", stl_binary(box_triangles(80, 60, 40)))], infill_pct=15)
    part = q["parts"][0]
    r = api.put(f"/api/v1/public/quotes/{q['token']}/options", json={"infill_pct": 100})
    assert r.status_code == 200, r.text
    q2 = r.json()
    p2 = q2["parts"][0]
    assert p2["id"] == part["id"] and p2["infill_pct"] == 100
    assert p2["grams"] > part["grams"]
    assert q2["breakdown"]["gross_cents"] > q["breakdown"]["gross_cents"]
    adds_up(q2)
    # ten pieces reach the first quantity tier: a discount appears
    r = api.put(f"/api/v1/public/quotes/{q['token']}/options",
                json={"parts": [{"id": part["id"], "quantity": 10}]})
    assert r.status_code == 200, r.text
    q3 = r.json()
    assert q3["parts"][0]["quantity"] == 10 and q3["breakdown"]["discount_cents"] > 0
    adds_up(q3)
    # bad options are refused by field and change nothing
    r = api.put(f"/api/v1/public/quotes/{q['token']}/options",
                json={"material": "UNOBTAINIUM", "quantity": 0})
    assert r.status_code == 422, r.text
    fields = r.json()["error"]["fields"]
    assert "material" in fields and "quantity" in fields
    after = api.get(f"/api/v1/public/quotes/{q['token']}").json()
    assert after["breakdown"] == q3["breakdown"]


def test_acceptance_twice_makes_one_confirmed_order_with_production(api, shop, h):
    q = quote(api, [(f"hook-{T}.stl", stl_binary(box_triangles(25, 15, 8)))], quantity=2)
    body = customer(T)
    r1 = api.post(f"/api/v1/public/quotes/{q['token']}/accept", json=body)
    assert r1.status_code == 200, r1.text
    r2 = api.post(f"/api/v1/public/quotes/{q['token']}/accept", json=body)
    assert r2.status_code == 200, r2.text
    a1, a2 = r1.json(), r2.json()
    assert a1["status"] == "converted" and a1["order"]["number"] == a2["order"]["number"]
    orders = shop.psql("SELECT id, status::text, gross_cents, customer_id FROM sales_orders "
                       "WHERE source = 'quote' AND external_id = %s", (q["number"],))
    assert len(orders) == 1, orders
    oid, status, gross, cid = orders[0]
    assert status == "confirmed" and gross == q["breakdown"]["gross_cents"]
    assert shop.psql("SELECT source::text, email FROM customers WHERE id = %s", (cid,)) == \
        [("quote", body["email"])]
    # one line per part (2 pieces), its one-off product's plate is the upload
    lines = shop.psql("SELECT l.quantity, p.sku, pl.file_name, pl.time_source FROM "
                      "sales_order_lines l JOIN products p ON p.id = l.product_id JOIN "
                      "product_plates pl ON pl.product_id = p.id WHERE l.order_id = %s", (oid,))
    assert lines == [(2, f"{q['number']}-1", f"hook-{T}.stl", "estimate")]
    jobs = shop.psql("SELECT count(*) FROM print_jobs j JOIN production_orders po ON "
                     "po.id = j.production_order_id WHERE po.sales_order_id = %s", (oid,))
    assert jobs[0][0] >= 1
    # the staff see it converted, with the contact; a changed option is refused
    r = api.get(f"/api/v1/quotes?status=converted", headers=h)
    assert q["number"] in [x["number"] for x in r.json()["items"]]
    r = api.put(f"/api/v1/public/quotes/{q['token']}/options", json={"quantity": 5})
    assert r.status_code == 409, r.text
    # the same e-mail address later reuses the customer
    q2 = quote(api, [("again.stl", stl_binary(box_triangles(20, 20, 20)))])
    r = api.post(f"/api/v1/public/quotes/{q2['token']}/accept", json=body)
    assert r.status_code == 200, r.text
    assert shop.psql("SELECT count(*) FROM customers WHERE email = %s", (body["email"],)) == [(1,)]


def test_acceptance_needs_the_customers_details(api, shop):
    q = quote(api, [("x.stl", stl_binary(box_triangles(20, 20, 20)))])
    r = api.post(f"/api/v1/public/quotes/{q['token']}/accept",
                 json=dict(customer("bad" + T), accept_terms=False, vat_id="DE12"))
    assert r.status_code == 422, r.text
    assert "accept_terms" in r.json()["error"]["fields"]
    r = api.post(f"/api/v1/public/quotes/{q['token']}/accept",
                 json=dict(customer("vat" + T), vat_id="DE12"))
    assert r.status_code == 422, r.text
    assert "vat_id" in r.json()["error"]["fields"]
    assert api.get(f"/api/v1/public/quotes/{q['token']}").json()["status"] == "draft"
    # the price the customer saw must be the price that holds
    gross = q["breakdown"]["gross_cents"]
    r = api.post(f"/api/v1/public/quotes/{q['token']}/accept",
                 json=dict(customer("moved" + T), expected_gross_cents=gross + 1))
    assert r.status_code == 409 and q["number"] in r.json()["error"]["message"], r.text
    assert api.get(f"/api/v1/public/quotes/{q['token']}").json()["status"] == "draft"
    r = api.post(f"/api/v1/public/quotes/{q['token']}/accept",
                 json=dict(customer("held" + T), expected_gross_cents=gross))
    assert r.status_code == 200 and r.json()["status"] == "converted", r.text


def test_a_model_with_holes_waits_for_review_before_it_becomes_an_order(api, shop, h):
    q = quote(api, [("open.stl", stl_binary(box_triangles(20, 20, 20, open_top=True)))])
    part = q["parts"][0]
    assert [w["code"] for w in part["warnings"]] == ["not_watertight"]
    assert "watertight" in part["warnings"][0]["text"]
    assert q["review_required"] is True
    r = api.post(f"/api/v1/public/quotes/{q['token']}/accept", json=customer("rv" + T))
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["order"] is None
    qid, = shop.psql("SELECT id FROM quotes WHERE token = %s", (q["token"],))[0]
    r = api.patch(f"/api/v1/quotes/{qid}", json={"review_required": False,
                                                  "parts": [{"id": part["id"],
                                                             "override_unit_cents": 1990}]},
                  headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["review_required"] is False and r.json()["parts"][0]["unit_cents"] == 1990
    r = api.post(f"/api/v1/quotes/{qid}/convert", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "converted"
    line = shop.psql("SELECT l.unit_price_cents FROM sales_order_lines l JOIN quotes q ON "
                     "q.sales_order_id = l.order_id WHERE q.id = %s AND l.product_id IS NOT NULL",
                     (qid,))
    assert line == [(1990,)]


def test_warnings_say_what_is_odd_in_plain_words(api, shop):
    q = quote(api, [("tiny.stl", stl_binary(box_triangles(2, 3, 1))),
                    ("huge.stl", stl_binary(box_triangles(400, 100, 50))),
                    ("thin.stl", stl_binary(box_triangles(60, 40, 0.4)))])
    tiny, huge, thin = q["parts"]
    assert [w["code"] for w in tiny["warnings"]] == ["units"]
    assert "76.2 mm" in tiny["warnings"][0]["text"]        # 3 mm in inches
    assert [w["code"] for w in huge["warnings"]] == ["too_big"]
    assert "144.0 mm" in huge["warnings"][0]["text"]       # 400 - 256
    assert [w["code"] for w in thin["warnings"]] == ["thin"]
    assert q["review_required"] is True
    de = api.get(f"/api/v1/public/quotes/{q['token']}", headers={"Accept-Language": "de"}).json()
    assert "Bauraum" in de["parts"][1]["warnings"][0]["text"]


def test_an_expired_quote_is_not_accepted(api, shop):
    q = quote(api, [("old.stl", stl_binary(box_triangles(20, 20, 20)))])
    shop.psql("UPDATE quotes SET valid_until = current_date - 1 WHERE token = %s", (q["token"],))
    assert api.get(f"/api/v1/public/quotes/{q['token']}").json()["status"] == "expired"
    r = api.post(f"/api/v1/public/quotes/{q['token']}/accept", json=customer("old" + T))
    assert r.status_code == 409 and "expired" in r.text


def test_a_token_opens_one_quote_and_staff_routes_need_a_login(api, shop):
    q = quote(api, [("mine.stl", stl_binary(box_triangles(20, 20, 20)))])
    for token in (secrets.token_urlsafe(32), q["token"][:-1] + ("A" if q["token"][-1] != "A" else "B")):
        r = api.get(f"/api/v1/public/quotes/{token}")
        assert r.status_code == 404, r.text
        r = api.post(f"/api/v1/public/quotes/{token}/accept", json=customer("tk" + T))
        assert r.status_code == 404, r.text
    qid, = shop.psql("SELECT id FROM quotes WHERE token = %s", (q["token"],))[0]
    assert api.get(f"/api/v1/quotes/{qid}").status_code == 401
    assert api.get("/api/v1/quotes").status_code == 401
    assert api.post(f"/api/v1/quotes/{qid}/convert").status_code == 401


def test_bad_uploads_get_clear_errors_and_store_nothing(api, shop):
    before = shop.psql("SELECT count(*) FROM quotes")[0][0]
    r = upload(api, [("notes.stl", b"these are not triangles\n" * 10)])
    assert r.status_code == 422 and "not an STL, 3MF or OBJ" in r.text, r.text
    bad = bytearray(stl_binary(box_triangles(10, 10, 10)))
    struct.pack_into("<f", bad, 84 + 12, math.nan)
    r = upload(api, [("nan.stl", bytes(bad))])
    assert r.status_code == 422, r.text
    r = upload(api, [("cut.stl", stl_binary(box_triangles(10, 10, 10))[:-7])])
    assert r.status_code == 422, r.text
    r = upload(api, [("zero.stl", b"\0" * 80 + struct.pack("<I", 0))])
    assert r.status_code == 422, r.text
    r = upload(api, [])
    assert r.status_code == 422 and "file" in r.json()["error"]["fields"], r.text
    cube = stl_binary(box_triangles(10, 10, 10))
    r = upload(api, [(f"c{i}.stl", cube) for i in range(11)])
    assert r.status_code == 413 and "at most 10 files" in r.text, r.text
    r = upload(api, [("c.stl", cube)], material="WOOD")
    assert r.status_code == 422 and "material" in r.json()["error"]["fields"]
    r = api.post("/api/v1/quotes", data=b"--x\r\n", headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 400, r.text
    # a ZIP bomb by ratio: well-formed XML whose blank text packs far beyond 100:1,
    # so it is the inflating, not the XML parser, that stops it
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("3D/3dmodel.model", b'<?xml version="1.0"?><model unit="millimeter" '
                   b'xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
                   + b" " * (20 << 20) + b"</model>")
    r = upload(api, [("bomb.3mf", b.getvalue())])
    assert r.status_code == 413 and "100 times its packed size" in r.text, r.text
    assert shop.psql("SELECT count(*) FROM quotes")[0][0] == before


def test_public_pages_show_the_quote_and_hide_the_shops_costs(api, shop):
    page = api.get("/quote")
    assert page.status_code == 200 and 'id="quote-app"' in page.text
    assert "cost_per_kg" not in page.text and "markup" not in page.text
    q = quote(api, [(f"lid-{T}.stl", stl_binary(box_triangles(50, 50, 12)))])
    assert all(set(m) == {"material", "label", "colors"} for m in q["options"]["materials"])
    r = api.get(q["links"]["page"])
    assert r.status_code == 200 and q["number"] in r.text
    assert 'data-testid="quote-gross"' in r.text
    # a made-up token finds nothing: 404, as for any unknown quote
    assert api.get("/q/" + "A" * 43).status_code == 404


def test_staff_pages_review_price_send_and_convert_a_quote(api, shop, make_user):
    q = quote(api, [(f"gear-{T}.stl", stl_binary(box_triangles(30, 30, 10)))])
    qid = shop.psql("SELECT id FROM quotes WHERE number = %s", (q["number"],))[0][0]
    part = q["parts"][0]
    assert api.get("/quotes", allow_redirects=False).status_code in (302, 303)
    s = page_session(api, make_user, "staff")
    listing = s.get("/quotes")
    assert listing.status_code == 200 and q["number"] in listing.text

    def act(**data):
        token = csrf_of(s.get(f"/quotes/{qid}").text)
        r = s.post(f"/quotes/{qid}/action", data=dict(data, _csrf=token), allow_redirects=False)
        assert r.status_code == 303, r.text
        return shop.psql("SELECT status::text, review_required, gross_cents FROM quotes "
                         "WHERE id = %s", (qid,))[0]

    assert act(action="review")[1] is True
    status, review, gross = act(action="price", part_id=str(part["id"]), unit_price="40,00")
    # one piece at 40.00 net, 19 % VAT on top
    assert gross == 4760, gross
    row = shop.psql("SELECT override_unit_cents, unit_cents FROM quote_parts WHERE id = %s",
                    (part["id"],))[0]
    assert row == (4000, 4000)
    assert act(action="send")[0] == "sent"
    # a price that is not an amount is refused at its field and changes nothing
    token = csrf_of(s.get(f"/quotes/{qid}").text)
    r = s.post(f"/quotes/{qid}/action", data={"action": "price", "part_id": str(part["id"]),
                                               "unit_price": "lots", "_csrf": token})
    assert r.status_code == 422 and "unit_price" in r.text
    assert shop.psql("SELECT override_unit_cents FROM quote_parts WHERE id = %s",
                     (part["id"],))[0][0] == 4000
    # the customer accepts; held for review, it waits for the shop to release and convert
    r = api.post(f"/api/v1/public/quotes/{q['token']}/accept", json=customer(T + "s"))
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    act(action="release")
    assert act(action="convert")[0] == "converted"
    assert shop.psql("SELECT count(*) FROM sales_orders WHERE source = 'quote' AND "
                     "external_id = %s", (q["number"],))[0][0] == 1
    # accountants read but do not act
    a = page_session(api, make_user, "accountant")
    assert a.get(f"/quotes/{qid}").status_code == 200
    r = a.post(f"/quotes/{qid}/action", data={"action": "send",
                                               "_csrf": csrf_of(a.get(f"/quotes/{qid}").text)})
    assert r.status_code == 403


def test_the_customers_page_hears_when_its_order_moves(api, shop, h):
    q = quote(api, [(f"clip-{T}.stl", stl_binary(box_triangles(30, 20, 10)))])
    r = api.post(f"/api/v1/public/quotes/{q['token']}/accept", json=customer(T + "live"))
    assert r.status_code == 200 and r.json()["status"] == "converted", r.text
    page = api.get(q["links"]["page"]).text
    live = re.search(r'data-live="(/live/sub/quote_[0-9a-f]{32})"', page).group(1)
    assert q["token"] not in live
    heard = Listener(api, live)
    oid = shop.psql("SELECT sales_order_id FROM quotes WHERE token = %s", (q["token"],))[0][0]
    r = api.post(f"/api/v1/orders/{oid}/status", json={"status": "cancelled"}, headers=h)
    assert r.status_code == 200, r.text
    assert heard.wait({"type": "quote", "event": "order"}), heard.events
    assert heard.events == [{"type": "quote", "event": "order"}], heard.events
    assert 'data-status="cancelled"' in api.get(q["links"]["page"]).text


def test_the_quote_pdf_has_the_parts_prices_and_pictures(api, shop, tmp_path):
    import subprocess
    q = quote(api, [(f"knob-{T}.stl", stl_binary(box_triangles(35, 35, 20))),
                    (f"pair-{T}.3mf", model3mf({1: ("Left", box_triangles(20, 10, 10)),
                                                2: ("Right", box_triangles(10, 10, 30))},
                                               [(1, None), (2, None)]))])
    r = api.get(q["links"]["pdf"])
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf", r.text[:200]
    assert r.content.startswith(b"%PDF") and r.content.rstrip().endswith(b"%%EOF")
    (tmp_path / "q.pdf").write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "q.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert q["number"] in text
    for part in q["parts"]:
        assert part["name"] in text, (part["name"], text)
    gross = q["breakdown"]["gross_cents"]
    assert f"{gross // 100:,}.{gross % 100:02d}" in text, text
    # the STL part's silhouette is drawn: the page holds at least one picture
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "q.pdf")],
                            capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) >= 3, images
    # in German for a German customer
    r = api.get(q["links"]["pdf"], cookies={"py_lang": "de"})
    (tmp_path / "de.pdf").write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "de.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Angebot" in text and "MwSt." in text
    assert api.get("/api/v1/public/quotes/" + "B" * 43 + "/pdf").status_code == 404
