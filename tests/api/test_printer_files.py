"""Printer files: the telemetry worker lists what each simulated printer holds
(Bambu over implicit FTPS, PrusaLink, OctoPrint and Moonraker over HTTP),
downloads files into the file store with their SHA-256, and the API shows the
listing, the slicer estimates, the embedded thumbnail and the stored bytes.

The expected values never come from Printyard: every file is fetched here
straight from the simulator (ftplib with implicit TLS for Bambu, requests for
the HTTP kinds) and its checksum, thumbnail and comments are read in Python.
"""
import base64
import hashlib
import io
import json
import os
import re
import zipfile

import pytest

from harness import free_port
from simfarm import (ftps_session, registered, sim_bytes, sim_listing, start_sim, start_worker,
                     stop_farm, wait_for)
from util import csrf_of, page_session

PREFIX = "Files "
KINDS = ("bambu", "prusalink", "octoprint", "moonraker")


def gcode_text(data, name):
    if name.endswith(".3mf"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.read("Metadata/plate_1.gcode").decode()
    return data.decode()


def embedded_png(data, name):
    if name.endswith(".3mf"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.read("Metadata/plate_1.png")
    m = re.search(r"^; thumbnail begin \d+x\d+ \d+\n(.*?)^; thumbnail end",
                  data.decode(), re.S | re.M)
    assert m, "the simulator's G-code has a thumbnail block"
    return base64.b64decode("".join(l[2:] for l in m.group(1).splitlines()))


def slicer_estimates(text):
    """(seconds, grams) from the slicer comments."""
    h, m, s = map(int, re.search(
        r"estimated printing time \(normal mode\) = (\d+)h (\d+)m (\d+)s", text).groups())
    g = float(re.search(r"; filament used \[g\] = ([0-9.]+)", text).group(1))
    return h * 3600 + m * 60 + s, g


@pytest.fixture(scope="module")
def farm(server, tmp_path_factory):
    d = tmp_path_factory.mktemp("printer_files")
    common = {"time_factor": 1, "scenario": "idle", "print_seconds": 1500}
    config = {"printers": [
        dict(common, kind="bambu", name=PREFIX + "X1", serial="00M00FILES0001",
             report="full"),
        dict(common, kind="prusalink", name=PREFIX + "MK4"),
        dict(common, kind="octoprint", name=PREFIX + "Ender"),
        dict(common, kind="moonraker", name=PREFIX + "Voron"),
        dict(common, kind="bambu", name=PREFIX + "Locked", serial="00M00FILES0002",
             scenario="badauth"),
        dict(common, kind="octoprint", name=PREFIX + "Locked Ender", scenario="badauth"),
    ]}
    sim, farm_file = start_sim(server, d, config)
    worker = start_worker(server, farm_file, d / "telemetry.log")
    by_name = {p["name"]: p for p in json.loads(farm_file.read_text())["printers"]}
    ids = registered(server, PREFIX, len(config["printers"]))
    assert ids, worker.text()
    printers = {}
    for name, fp in by_name.items():
        printers[name] = dict(fp, id=ids[name])
    yield {"printers": printers, "worker": worker, "dir": d}
    rc = stop_farm(server, worker, sim, PREFIX)
    assert rc == 0, worker.text()


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def by_kind(farm, kind):
    return farm["printers"][PREFIX + {"bambu": "X1", "prusalink": "MK4",
                                      "octoprint": "Ender", "moonraker": "Voron"}[kind]]


def listing(api, h, pid):
    r = api.get(f"/api/v1/printers/{pid}/files", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def refreshed(api, h, pid):
    """Refreshes the listing and answers it (waiting out a 202)."""
    r = api.post(f"/api/v1/printers/{pid}/files/refresh", headers=h)
    assert r.status_code in (200, 202), r.text
    body = r.json()
    if r.status_code == 202:
        cid = body["command"]["id"]
        assert wait_for(lambda: listing(api, h, pid)["total"] > 0, 30)
        return {"command": {"id": cid}, **listing(api, h, pid)}
    return body


def download(api, h, server, pid, path):
    r = api.post(f"/api/v1/printers/{pid}/files/download", headers=h, json={"path": path})
    assert r.status_code in (200, 202), r.text
    body = r.json()
    if r.status_code == 202:
        cid = body["command"]["id"]
        assert wait_for(lambda: server.psql(
            "SELECT 1 FROM printer_commands WHERE id = %s AND status IN ('done', 'failed')",
            (cid,)), 60)
        st, res = server.psql("SELECT status::text, result FROM printer_commands "
                              "WHERE id = %s", (cid,))[0]
        body = {"command": {"status": st, "result": res},
                "file": next(f for f in listing(api, h, pid)["items"] if f["path"] == path)}
    return body


def test_printers_are_listed_by_themselves_when_they_come_online(api, h, server, farm):
    for kind in KINDS:
        fp = by_kind(farm, kind)
        want = sim_listing(fp)
        got = wait_for(lambda: {f["name"]: f["size"] for f in
                                listing(api, h, fp["id"])["items"]} == want, 30)
        assert got, (kind, listing(api, h, fp["id"]), farm["worker"].text()[-2000:])
        # nobody asked: no command was queued for it
        assert server.psql("SELECT count(*) FROM printer_commands WHERE printer_id = %s",
                           (fp["id"],))[0][0] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_the_listing_reaches_the_api_with_the_printers_names_and_sizes(api, h, farm, kind):
    fp = by_kind(farm, kind)
    want = sim_listing(fp)
    assert len(want) >= 2
    body = refreshed(api, h, fp["id"])
    if "status" in body["command"]:
        assert body["command"]["status"] == "done", body["command"]
        assert body["command"]["command"] == "files"
    got = {f["name"]: f["size"] for f in body["items"]}
    assert got == want
    for f in body["items"]:
        assert f["gone"] is False
        assert f["modified_at"] is not None
    # newest first
    mods = [f["modified_at"] for f in body["items"]]
    assert mods == sorted(mods, reverse=True)


def test_a_bambu_printers_folders_are_walked_but_not_its_videos(api, h, server, farm):
    fp = by_kind(farm, "bambu")
    items = refreshed(api, h, fp["id"])["items"]
    paths = {f["path"] for f in items}
    # the sim's cloud print lies in /cache, its timelapse video in /timelapse
    cached = [f for f in items if f["path"].startswith("/cache/")]
    assert [f["name"] for f in cached] == ["cloud_benchy.gcode.3mf"], paths
    assert not any(p.startswith("/timelapse") for p in paths), paths
    assert {p.count("/") for p in paths} == {1, 2}
    data = sim_bytes(fp, "cache/cloud_benchy.gcode.3mf")
    body = download(api, h, server, fp["id"], cached[0]["path"])
    assert body["command"]["status"] == "done", body["command"]
    assert body["file"]["sha256"] == hashlib.sha256(data).hexdigest()
    seconds, _ = slicer_estimates(gcode_text(data, "x.3mf"))
    assert body["file"]["est_seconds"] == seconds


@pytest.mark.parametrize("kind", KINDS)
def test_a_download_is_stored_with_the_checksum_of_the_printers_bytes(
        api, h, server, farm, kind):
    fp = by_kind(farm, kind)
    items = refreshed(api, h, fp["id"])["items"]
    f = items[0]
    data = sim_bytes(fp, f["name"])
    body = download(api, h, server, fp["id"], f["path"])
    assert body["command"]["status"] == "done", body["command"]
    assert hashlib.sha256(data).hexdigest() in body["command"]["result"]
    stored = body["file"]
    assert stored["downloaded"] is True
    assert stored["sha256"] == hashlib.sha256(data).hexdigest()
    assert stored["file_size"] == len(data)
    # the file store holds the same bytes, under the printer and the day
    rel, = server.psql("SELECT file_path FROM printer_files WHERE id = %s",
                       (stored["id"],))[0]
    assert re.fullmatch(r"printers/%d/\d{4}-\d{2}-\d{2}/%s\.\w+" % (
        fp["id"], stored["sha256"]), rel), rel
    assert (server.files_dir / rel).read_bytes() == data
    # and the API serves them
    r = api.get(f"/api/v1/printer-files/{stored['id']}/content", headers=h)
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["X-Content-SHA256"] == stored["sha256"]


@pytest.mark.parametrize("kind", KINDS)
def test_thumbnail_and_slicer_estimates_match_the_file(api, h, server, farm, kind):
    fp = by_kind(farm, kind)
    items = refreshed(api, h, fp["id"])["items"]
    for f in items:
        data = sim_bytes(fp, f["path"].lstrip("/") if kind == "bambu" else f["name"])
        body = download(api, h, server, fp["id"], f["path"])
        assert body["command"]["status"] == "done", body["command"]
        stored = body["file"]
        seconds, grams = slicer_estimates(gcode_text(data, f["name"]))
        assert stored["est_seconds"] == seconds
        assert stored["grams"] == [pytest.approx(grams)]
        assert stored["has_thumbnail"] is True
        r = api.get(f"/api/v1/printer-files/{stored['id']}/thumbnail", headers=h)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "image/png"
        assert "max-age" in r.headers["Cache-Control"]
        assert r.content == embedded_png(data, f["name"])


def test_a_wrong_access_code_fails_the_command_in_plain_words(api, h, server, farm):
    fp = farm["printers"][PREFIX + "Locked"]
    r = api.post(f"/api/v1/printers/{fp['id']}/files/refresh", headers=h)
    assert r.status_code in (200, 202), r.text
    cid = r.json()["command"]["id"]
    assert wait_for(lambda: server.psql(
        "SELECT 1 FROM printer_commands WHERE id = %s AND done_at IS NOT NULL", (cid,)), 30)
    st, res, code = server.psql("SELECT status::text, result, code FROM printer_commands "
                                "WHERE id = %s", (cid,))[0]
    assert st == "failed"
    assert "refused the access code" in res
    assert code == "access_code"
    assert listing(api, h, fp["id"])["total"] == 0


def test_a_refused_api_key_fails_the_command_in_plain_words(api, h, server, farm):
    fp = farm["printers"][PREFIX + "Locked Ender"]
    r = api.post(f"/api/v1/printers/{fp['id']}/files/refresh", headers=h)
    assert r.status_code in (200, 202), r.text
    cid = r.json()["command"]["id"]
    assert wait_for(lambda: server.psql(
        "SELECT 1 FROM printer_commands WHERE id = %s AND done_at IS NOT NULL", (cid,)), 30)
    st, res, code = server.psql("SELECT status::text, result, code FROM printer_commands "
                                "WHERE id = %s", (cid,))[0]
    assert (st, code) == ("failed", "api_key"), (res, fp)
    assert res == "the printer refused the API key"


def test_a_file_larger_than_upload_max_is_refused(api, h, server, farm):
    fp = by_kind(farm, "octoprint")
    items = refreshed(api, h, fp["id"])["items"]
    f = items[-1]
    # the listing says the file is 2 GB: more than upload_max allows
    server.psql("UPDATE printer_files SET size = 2000000000, file_sha256 = NULL, "
                "file_path = NULL, downloaded_at = NULL WHERE id = %s", (f["id"],))
    body = download(api, h, server, fp["id"], f["path"])
    assert body["command"]["status"] == "failed"
    assert "upload_max" in body["command"]["result"]
    assert server.psql("SELECT code FROM printer_commands WHERE command = 'download' "
                       "ORDER BY id DESC LIMIT 1")[0][0] == "too_large"
    assert body["file"]["downloaded"] is False
    r = api.get(f"/api/v1/printer-files/{f['id']}/content", headers=h)
    assert r.status_code == 404


def test_a_file_that_drops_out_of_the_listing_is_marked_gone(api, h, server, farm):
    fp = by_kind(farm, "moonraker")
    refreshed(api, h, fp["id"])
    pid = fp["id"]
    server.psql("INSERT INTO printer_files (printer_id, path, name, size) VALUES "
                "(%s, 'old/removed.gcode', 'removed.gcode', 10) "
                "ON CONFLICT (printer_id, path) DO UPDATE SET gone_at = NULL", (pid,))
    body = refreshed(api, h, pid)
    assert "old/removed.gcode" not in [f["path"] for f in body["items"]]
    r = api.get(f"/api/v1/printers/{pid}/files?gone=true", headers=h)
    gone = [f for f in r.json()["items"] if f["path"] == "old/removed.gcode"]
    assert len(gone) == 1 and gone[0]["gone"] is True


def test_bad_requests_are_refused_and_change_nothing(api, h, server, farm, make_user):
    fp = by_kind(farm, "octoprint")
    before = server.psql("SELECT count(*) FROM printer_commands")[0][0]
    r = api.get("/api/v1/printers/999999/files", headers=h)
    assert r.status_code == 404
    r = api.post("/api/v1/printers/999999/files/refresh", headers=h)
    assert r.status_code == 404
    r = api.post(f"/api/v1/printers/{fp['id']}/files/download", headers=h, json={})
    assert r.status_code == 422
    assert "path" in r.text
    r = api.post(f"/api/v1/printers/{fp['id']}/files/download", headers=h,
                 json={"path": 5})
    assert r.status_code == 422
    r = api.post(f"/api/v1/printers/{fp['id']}/files/download", headers=h,
                 json={"path": "no/such/file.gcode"})
    assert r.status_code == 404
    r = api.get("/api/v1/printer-files/999999/thumbnail", headers=h)
    assert r.status_code == 404
    r = api.get("/api/v1/printer-files/999999/content", headers=h)
    assert r.status_code == 404
    r = api.get(f"/api/v1/printers/{fp['id']}/files?limit=0", headers=h)
    assert r.status_code == 400
    # an accountant reads but does not queue
    _, _, tok = make_user("accountant")
    ah = {"Authorization": f"Bearer {tok}"}
    assert api.get(f"/api/v1/printers/{fp['id']}/files", headers=ah).status_code == 200
    assert api.post(f"/api/v1/printers/{fp['id']}/files/refresh",
                    headers=ah).status_code == 403
    assert server.psql("SELECT count(*) FROM printer_commands")[0][0] == before


def test_the_file_browser_page_shows_the_files_and_downloads_by_form(
        api, h, server, farm, make_user):
    fp = by_kind(farm, "prusalink")
    items = refreshed(api, h, fp["id"])["items"]
    s = page_session(api, make_user, "staff")
    page = s.get(f"/printers/{fp['id']}/files")
    assert page.status_code == 200
    for f in items:
        assert f["name"] in page.text
    assert 'data-testid="pfiles-refresh"' in page.text
    server.psql("UPDATE printer_files SET file_sha256 = NULL, file_path = NULL, "
                "downloaded_at = NULL WHERE printer_id = %s", (fp["id"],))
    page = s.get(f"/printers/{fp['id']}/files")
    assert page.text.count('data-testid="pfile-download"') == len(items)
    r = s.post(f"/printers/{fp['id']}/files/download",
               data={"path": items[0]["path"], "_csrf": csrf_of(page.text)},
               allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"].endswith(f"/printers/{fp['id']}/files")
    assert wait_for(lambda: server.psql(
        "SELECT 1 FROM printer_files WHERE id = %s AND file_sha256 IS NOT NULL",
        (items[0]["id"],)), 30)
    page = s.get(f"/printers/{fp['id']}/files")
    assert page.text.count('data-testid="pfile-downloaded"') == 1


def refresh_result(api, h, server, pid):
    r = api.post(f"/api/v1/printers/{pid}/files/refresh", headers=h)
    assert r.status_code in (200, 202), r.text
    cid = r.json()["command"]["id"]
    assert wait_for(lambda: server.psql(
        "SELECT 1 FROM printer_commands WHERE id = %s AND done_at IS NOT NULL", (cid,)), 60)
    return server.psql("SELECT status::text, result, code FROM printer_commands "
                       "WHERE id = %s", (cid,))[0]


def test_a_bambu_printers_files_port_is_the_one_its_files_are_fetched_from(
        api, h, server, farm):
    fp = by_kind(farm, "bambu")
    # the simulator bound its FTPS server at random; the farm import said where
    p = api.get(f"/api/v1/printers/{fp['id']}", headers=h).json()
    assert p["files_port"] == fp["ftp_port"]
    closed = free_port()
    r = api.patch(f"/api/v1/printers/{fp['id']}", json={"files_port": closed}, headers=h)
    assert r.status_code == 200, r.text
    # the worker takes up changed settings within a few seconds
    failed = wait_for(lambda: (lambda res: res if res[0] == "failed" else None)(
        refresh_result(api, h, server, fp["id"])), 30)
    assert failed, "the listing still came from the old port"
    st, res, code = failed
    assert code == "unreachable" and f":{closed} (FTPS)" in res, res
    r = api.patch(f"/api/v1/printers/{fp['id']}", json={"files_port": fp["ftp_port"]},
                  headers=h)
    assert r.status_code == 200, r.text
    done = wait_for(lambda: (lambda res: res if res[0] == "done" else None)(
        refresh_result(api, h, server, fp["id"])), 30)
    assert done, "the listing did not come back from the printer's port"
    assert {f["name"] for f in listing(api, h, fp["id"])["items"]} == set(sim_listing(fp))


def test_a_20_mib_file_is_served_back_whole_by_nginx(api, h, server, farm, base_url):
    fp = by_kind(farm, "bambu")
    name = "big-%s.gcode" % os.urandom(4).hex()
    data = b"".join(b"G1 X%d Y%d E0.0421 ; %08x\n" % (i % 250, i % 210, i)
                    for i in range(700000))
    assert len(data) > 20 * 1024 * 1024
    ftp = ftps_session(fp)
    try:
        ftp.storbinary("STOR " + name, io.BytesIO(data))
    finally:
        ftp.quit()
    refreshed(api, h, fp["id"])
    item = wait_for(lambda: next((f for f in listing(api, h, fp["id"])["items"]
                                  if f["name"] == name), None), 30)
    assert item and item["size"] == len(data), item
    body = download(api, h, server, fp["id"], item["path"])
    assert body["command"]["status"] == "done", body
    f = body["file"]
    want = hashlib.sha256(data).hexdigest()
    assert f["sha256"] == want
    with api.get(f"/api/v1/printer-files/{f['id']}/content", headers=h, stream=True) as r:
        assert r.status_code == 200, r.text[:300]
        got = hashlib.sha256()
        size = 0
        for chunk in r.iter_content(1 << 16):
            got.update(chunk)
            size += len(chunk)
        assert size == len(data) and got.hexdigest() == want
        assert r.headers["X-Content-SHA256"] == want
        assert r.headers["Content-Type"] == "application/octet-stream"
        assert r.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "X-Accel-Redirect" not in r.headers
    # the bytes are only handed out after the application said so
    assert api.get(f"/api/v1/printer-files/{f['id']}/content").status_code == 401
    stored = server.psql("SELECT file_path FROM printer_files WHERE id = %s", (f["id"],))[0][0]
    assert api.get("/_files/" + stored, headers=h).status_code == 404
