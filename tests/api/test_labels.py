"""Labels: PDF labels for spools and items, and A4 sheets of spool labels.

The PDFs are checked with the tools a person would trust: pdfinfo (page size and
count), pdftotext (what is printed) and pdftoppm + zbarimg (what a phone reads from
the QR code).
"""
import re
import secrets
import subprocess

import pytest

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def new_spool(api, h, material="PETG", color="Teal", hex_="#008080"):
    tag = secrets.token_hex(3)
    v = api.post("/api/v1/vendors", json={"name": "Acme " + tag}, headers=h)
    assert v.status_code == 201, v.text
    f = api.post("/api/v1/filaments", json={
        "vendor_id": v.json()["id"], "name": "Label " + tag, "material": material,
        "color_name": color, "color_hex": hex_, "density": 1.27}, headers=h)
    assert f.status_code == 201, f.text
    s = api.post("/api/v1/spools", json={"filament_id": f.json()["id"]}, headers=h)
    assert s.status_code == 201, s.text
    return s.json()


def save(tmp_path, r, name="label.pdf"):
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/pdf")
    assert r.content.startswith(b"%PDF-")
    path = tmp_path / name
    path.write_bytes(r.content)
    return path


def info(path):
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", out)
    pages = int(re.search(r"Pages:\s+(\d+)", out).group(1))
    return float(m.group(1)), float(m.group(2)), pages


def text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def qr_codes(path, tmp_path, dpi=600, page=1):
    prefix = tmp_path / ("page%d" % page)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page),
                    "-singlefile", str(path), str(prefix)], check=True)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(prefix) + ".png"],
                         capture_output=True, text=True)
    return out.stdout.split()


def assert_size(path, w_mm, h_mm):
    w, hgt, _ = info(path)
    assert abs(w - w_mm * MM) <= 1 and abs(hgt - h_mm * MM) <= 1, (w, hgt)


@pytest.mark.parametrize("size,w_mm,h_mm", [("40x30", 40, 30), ("62x29", 62, 29)])
def test_spool_label_has_the_label_size_and_prints_material_vendor_and_code(
        api, h, tmp_path, size, w_mm, h_mm):
    s = new_spool(api, h)
    r = api.get(f"/api/v1/spools/{s['id']}/label.pdf", params={"size": size}, headers=h)
    path = save(tmp_path, r)
    assert_size(path, w_mm, h_mm)
    assert info(path)[2] == 1
    words = text(path)
    assert "PETG" in words and s["vendor"] in words and "Teal" in words
    assert s["code"] in words
    assert "inline" in r.headers["Content-Disposition"]
    assert f"spool-{s['code']}-{size}.pdf" in r.headers["Content-Disposition"]


@pytest.mark.parametrize("size", ["40x30", "62x29"])
def test_spool_label_qr_code_opens_the_spool_page(api, h, tmp_path, base_url, size):
    s = new_spool(api, h)
    r = api.get(f"/api/v1/spools/{s['id']}/label.pdf", params={"size": size}, headers=h)
    path = save(tmp_path, r)
    assert qr_codes(path, tmp_path) == [f"{base_url}/inventory/spools/{s['id']}"]


def test_label_size_defaults_to_40x30(api, h, tmp_path):
    s = new_spool(api, h)
    path = save(tmp_path, api.get(f"/api/v1/spools/{s['id']}/label.pdf", headers=h))
    assert_size(path, 40, 30)


def test_long_and_accented_names_stay_inside_the_label(api, h, tmp_path):
    s = new_spool(api, h, material="PLA", color="Grün Dunkel Metallic Glitzer Extra Lang")
    path = save(tmp_path, api.get(f"/api/v1/spools/{s['id']}/label.pdf", headers=h))
    words = text(path)
    assert "Grün" in words and s["code"] in words
    assert "Extra Lang" not in words  # cut short with an ellipsis, not overflowing


def test_item_label_prints_name_sku_and_opens_the_parts_page(api, h, tmp_path, base_url):
    name = "M3 insert " + secrets.token_hex(2)
    it = api.post("/api/v1/items", json={"name": name, "sku": "INS-M3"}, headers=h)
    assert it.status_code == 201, it.text
    item = it.json()
    r = api.get(f"/api/v1/items/{item['id']}/label.pdf", params={"size": "62x29"},
                headers=h)
    path = save(tmp_path, r)
    assert_size(path, 62, 29)
    words = text(path)
    assert name in words and "INS-M3" in words and f"#{item['id']}" in words
    assert qr_codes(path, tmp_path) == [f"{base_url}/inventory/items/{item['id']}"]


def test_sheet_is_a4_and_holds_every_requested_spool_with_its_qr_code(
        api, h, tmp_path, base_url):
    spools = [new_spool(api, h) for _ in range(3)]
    ids = ",".join(str(s["id"]) for s in spools)
    r = api.get("/api/v1/labels/sheet.pdf", params={"spools": ids, "size": "62x29"},
                headers=h)
    path = save(tmp_path, r)
    w, hgt, pages = info(path)
    assert abs(w - A4[0]) <= 1 and abs(hgt - A4[1]) <= 1 and pages == 1
    words = text(path)
    for s in spools:
        assert s["code"] in words
    assert sorted(qr_codes(path, tmp_path, dpi=300)) == sorted(
        f"{base_url}/inventory/spools/{s['id']}" for s in spools)


def test_sheet_continues_on_a_second_page_when_the_first_is_full(api, h, tmp_path):
    spools = [new_spool(api, h) for _ in range(5)]
    # 32 labels of 40x30 fit on one A4 page; 33 need two.
    ids = [s["id"] for s in spools] * 6 + [spools[0]["id"]] * 3
    assert len(ids) == 33
    r = api.get("/api/v1/labels/sheet.pdf",
                params={"spools": ",".join(map(str, ids)), "size": "40x30"}, headers=h)
    path = save(tmp_path, r)
    assert info(path)[2] == 2
    words = text(path)
    for s in spools:
        assert s["code"] in words
    counts = sum(words.count(s["code"]) for s in spools)
    assert counts == 33
    r = api.get("/api/v1/labels/sheet.pdf",
                params={"spools": ",".join(map(str, ids[:32]))}, headers=h)
    assert info(save(tmp_path, r, "one.pdf"))[2] == 1


def test_unknown_spool_or_item_is_404(api, h):
    r = api.get("/api/v1/spools/999999999/label.pdf", headers=h)
    assert r.status_code == 404 and "999999999" in r.json()["error"]["message"]
    r = api.get("/api/v1/items/999999999/label.pdf", headers=h)
    assert r.status_code == 404


def test_sheet_with_a_missing_spool_is_404_naming_it(api, h):
    s = new_spool(api, h)
    r = api.get("/api/v1/labels/sheet.pdf", params={"spools": f"{s['id']},987654321"},
                headers=h)
    assert r.status_code == 404
    assert "987654321" in r.json()["error"]["message"]


def test_bad_size_is_400(api, h):
    s = new_spool(api, h)
    r = api.get(f"/api/v1/spools/{s['id']}/label.pdf", params={"size": "100x50"},
                headers=h)
    assert r.status_code == 400 and "size" in r.json()["error"]["message"]
    r = api.get("/api/v1/labels/sheet.pdf", params={"spools": str(s["id"]), "size": "A4"},
                headers=h)
    assert r.status_code == 400


def test_sheet_of_more_than_200_spools_is_400(api, h):
    s = new_spool(api, h)
    r = api.get("/api/v1/labels/sheet.pdf", params={"spools": ",".join([str(s["id"])] * 201)},
                headers=h)
    assert r.status_code == 400 and "200" in r.json()["error"]["message"]
    r = api.get("/api/v1/labels/sheet.pdf", params={"spools": ",".join([str(s["id"])] * 200)},
                headers=h)
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")


@pytest.mark.parametrize("spools", ["", "1,,2", "1,x", "-3", "0", "1,"])
def test_sheet_with_bad_ids_is_400(api, h, spools):
    r = api.get("/api/v1/labels/sheet.pdf", params={"spools": spools}, headers=h)
    assert r.status_code == 400, r.text
    assert "spools" in r.json()["error"]["message"]


def test_labels_need_a_login_and_accountants_may_print_them(api, make_user, h):
    s = new_spool(api, h)
    assert api.get(f"/api/v1/spools/{s['id']}/label.pdf").status_code == 401
    _, _, token = make_user("accountant")
    r = api.get(f"/api/v1/spools/{s['id']}/label.pdf",
                headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")


def test_spool_page_links_to_its_labels(api, owner_token, make_user):
    import re
    h = {"Authorization": f"Bearer {owner_token}"}
    vendor = api.post("/api/v1/vendors", json={"name": "Link Test Vendor " + re.sub(r"\W", "", str(id(h)))},
                      headers=h).json()
    f = api.post("/api/v1/filaments", json={"vendor_id": vendor["id"], "name": "Link PLA",
                                            "material": "PLA", "density": 1.24}, headers=h).json()
    s = api.post("/api/v1/spools", json={"filament_id": f["id"], "initial_weight_g": 1000},
                 headers=h).json()
    page = api.get(f"/inventory/spools/{s['id']}", headers=h).text
    links = re.findall(r'href="(/api/v1/spools/%d/label\.pdf\?size=[0-9x]+)"' % s["id"], page)
    assert len(links) == 2
    for link in links:
        r = api.get(link, headers=h)
        assert r.status_code == 200 and r.content.startswith(b"%PDF-")
