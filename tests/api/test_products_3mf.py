"""Plates from sliced 3MF files (Bambu Studio / OrcaSlicer): print time and grams
read from Metadata/plate_<N>.gcode and Metadata/slice_info.config, ?plate= to pick
a plate, and what happens with archives that are not sliced or not archives."""
import hashlib
import io
import secrets
import zipfile
from pathlib import Path

import pytest


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def product(api, h):
    t = secrets.token_hex(3)
    r = api.post("/api/v1/products", json={"sku": "3MF-" + t, "name": "Box " + t,
                                           "price_gross_cents": 990}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def bambu_gcode(total, grams, types, nozzle="0.4"):
    """A plate's G-code with the header and config comments Bambu Studio writes."""
    lengths = ",".join("100.00" for _ in grams.split(","))
    return (f"""; HEADER_BLOCK_START
; BambuStudio 01.09.07.52
; model printing time: 1h 0m 0s; total estimated time: {total}
; total layer number: 120
; total filament length [mm] : {lengths}
; total filament weight [g] : {grams}
; HEADER_BLOCK_END
G28
G1 X10 Y10 E1
; CONFIG_BLOCK_START
; filament_type = {types}
; nozzle_diameter = {nozzle}
; CONFIG_BLOCK_END
""").encode()


def slice_info(*plates):
    """slice_info.config: plates as (index, seconds, weight, [(id, type, grams)])."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<config>", "  <header>",
           '    <header_item key="X-BBL-Client-Version" value="01.09.07.52"/>',
           "  </header>"]
    for index, seconds, weight, filaments in plates:
        out += ["  <plate>", f'    <metadata key="index" value="{index}"/>',
                f'    <metadata key="prediction" value="{seconds}"/>',
                f'    <metadata key="weight" value="{weight}"/>']
        out += [f'    <filament id="{i}" type="{t}" color="#FF8800" used_m="1.0" '
                f'used_g="{g}"/>' for i, t, g in filaments]
        out.append("  </plate>")
    out.append("</config>")
    return "\n".join(out).encode()


def threemf(files):
    """A 3MF (ZIP) archive with the usual model part and the given extra files."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("3D/3dmodel.model", '<?xml version="1.0"?><model unit="millimeter"/>')
        for name, data in files.items():
            z.writestr(name, data)
    return b.getvalue()


def upload(api, h, pid, data, name, **params):
    return api.post(f"/api/v1/products/{pid}/plates", params=dict(name=name, **params),
                    data=data, headers=dict(h, **{"Content-Type": "application/octet-stream"}))


def count_plates(api, h, pid):
    return api.get(f"/api/v1/products/{pid}/plates", headers=h).json()["total"]


def test_sliced_3mf_plate_gives_time_grams_materials_and_is_stored(api, h, server):
    p = product(api, h)
    body = threemf({
        "Metadata/plate_1.gcode": bambu_gcode("1h 30m 15s", "12.50,3.25", "PLA;PETG", "0.6"),
        "Metadata/slice_info.config": slice_info((1, 9999, 99, [(1, "ABS", 50)])),
    })
    r = upload(api, h, p["id"], body, "box.gcode.3mf", units=6)
    assert r.status_code == 201, r.text
    plate = r.json()
    # the G-code comments win over slice_info.config
    assert plate["print_seconds"] == 5415 and plate["time_source"] == "gcode"
    assert plate["slicer"] == "Bambu Studio" and plate["nozzle_mm"] == 0.6
    assert plate["units"] == 6 and plate["name"] == "box.gcode.3mf"
    assert [(s["slot"], s["material"], s["grams"], s["grams_source"])
            for s in plate["slots"]] == [(1, "PLA", 12.5, "gcode"), (2, "PETG", 3.25, "gcode")]
    sha = hashlib.sha256(body).hexdigest()
    assert plate["file_sha256"] == sha and plate["file_size"] == len(body)
    assert plate["file_name"] == "box.gcode.3mf"
    stored = Path(server.files_dir) / "products" / str(p["id"]) / f"{sha}.3mf"
    assert stored.read_bytes() == body
    audit = server.psql("SELECT action FROM audit_log WHERE entity = 'product' AND "
                        "entity_id = %s", (str(p["id"]),))
    assert ("plate_add",) in [tuple(a) for a in audit]


def test_time_and_grams_missing_from_gcode_come_from_slice_info(api, h):
    p = product(api, h)
    gcode = b"; HEADER_BLOCK_START\n; BambuStudio 01.09.07.52\n; total layer number: 3\n" \
            b"; HEADER_BLOCK_END\nG28\n; filament_type = PLA\n"
    body = threemf({
        "Metadata/plate_1.gcode": gcode,
        "Metadata/slice_info.config": slice_info(
            (1, 2468, 21.5, [(1, "PETG", 20.0), (3, "TPU", 1.5)])),
    })
    r = upload(api, h, p["id"], body, "case.3mf")
    assert r.status_code == 201, r.text
    plate = r.json()
    assert plate["print_seconds"] == 2468 and plate["time_source"] == "gcode"
    # slot 1's type comes from the G-code, slot 3 only from slice_info.config
    assert [(s["slot"], s["material"], s["grams"]) for s in plate["slots"]] == [
        (1, "PLA", 20.0), (3, "TPU", 1.5)]


def test_plate_parameter_picks_a_plate_of_a_two_plate_file(api, h):
    p = product(api, h)
    body = threemf({
        "Metadata/plate_1.gcode": bambu_gcode("20m 0s", "5.00", "PLA"),
        "Metadata/plate_2.gcode": bambu_gcode("2h 0m 30s", "40.00,0.00,7.50",
                                              "PETG;PLA;ASA"),
        "Metadata/slice_info.config": slice_info((1, 1200, 5, []), (2, 7230, 47.5, [])),
    })
    first = upload(api, h, p["id"], body, "set.3mf")
    assert first.status_code == 201, first.text
    assert first.json()["print_seconds"] == 1200
    assert first.json()["name"] == "set.3mf (plate 1)"
    assert [(s["material"], s["grams"]) for s in first.json()["slots"]] == [("PLA", 5.0)]
    second = upload(api, h, p["id"], body, "set.3mf", plate=2)
    assert second.status_code == 201, second.text
    plate = second.json()
    assert plate["print_seconds"] == 7230 and plate["name"] == "set.3mf (plate 2)"
    assert [(s["slot"], s["material"], s["grams"]) for s in plate["slots"]] == [
        (1, "PETG", 40.0), (3, "ASA", 7.5)]
    assert plate["enclosure_needed"] is True
    assert count_plates(api, h, p["id"]) == 2


def test_a_plate_the_file_does_not_hold_is_refused_listing_the_plates(api, h):
    p = product(api, h)
    body = threemf({"Metadata/plate_1.gcode": bambu_gcode("10m", "1.00", "PLA"),
                    "Metadata/plate_3.gcode": bambu_gcode("30m", "3.00", "PLA")})
    r = upload(api, h, p["id"], body, "two.3mf", plate=2)
    assert r.status_code == 422, r.text
    fields = r.json()["error"]["fields"]
    assert "plate" in fields and "1, 3" in fields["plate"]
    assert count_plates(api, h, p["id"]) == 0
    assert upload(api, h, p["id"], body, "two.3mf", plate=65).status_code == 400
    r = upload(api, h, p["id"], bambu_gcode("10m", "1.00", "PLA"), "x.gcode", plate=1)
    assert r.status_code == 422 and "plate" in r.json()["error"]["fields"]
    assert count_plates(api, h, p["id"]) == 0


def test_a_3mf_that_is_not_a_zip_archive_is_refused_and_not_stored(api, h, server):
    p = product(api, h)
    body = b"solid cube\nfacet normal 0 0 1\nendsolid cube\n"
    r = upload(api, h, p["id"], body, "cube.3mf")
    assert r.status_code == 422, r.text
    assert "body" in r.json()["error"]["fields"]
    assert count_plates(api, h, p["id"]) == 0
    folder = Path(server.files_dir) / "products" / str(p["id"])
    assert not folder.exists() or not any(folder.iterdir())
    # a ZIP cut short is no better
    whole = threemf({"Metadata/plate_1.gcode": bambu_gcode("10m", "1.00", "PLA")})
    r = upload(api, h, p["id"], whole[: len(whole) // 2], "cut.3mf")
    assert r.status_code == 422 and "body" in r.json()["error"]["fields"]
    assert count_plates(api, h, p["id"]) == 0


def test_an_unsliced_3mf_project_is_stored_with_manual_values(api, h, server):
    p = product(api, h)
    body = threemf({"Metadata/model_settings.config": "<config/>",
                    "Metadata/plate_1.png": b"\x89PNG\r\n"})
    r = upload(api, h, p["id"], body, "project.3mf", units=2)
    assert r.status_code == 201, r.text
    plate = r.json()
    assert plate["time_source"] == "manual" and plate["print_seconds"] == 0
    assert plate["slots"] == [] and plate["units"] == 2
    sha = hashlib.sha256(body).hexdigest()
    assert plate["file_sha256"] == sha
    assert (Path(server.files_dir) / "products" / str(p["id"]) / f"{sha}.3mf").read_bytes() == body
    r = api.patch(f"/api/v1/products/{p['id']}/plates/{plate['id']}",
                  json={"print_minutes": 90, "slots": [{"material": "PLA", "grams": 33}]},
                  headers=h)
    assert r.status_code == 200
    assert r.json()["print_seconds"] == 5400 and r.json()["slots"][0]["grams"] == 33


def test_a_zip_bomb_plate_is_refused(api, h):
    p = product(api, h)
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("Metadata/plate_1.gcode", b"; total estimated time: 1h\n" + b"\0" * (8 << 20))
    body = b.getvalue()
    # about a thousand times smaller packed than unpacked
    assert len(body) < 16 << 10
    r = upload(api, h, p["id"], body, "bomb.3mf")
    assert r.status_code == 422, r.text
    assert "times its packed size" in r.json()["error"]["fields"]["body"]
    assert count_plates(api, h, p["id"]) == 0
