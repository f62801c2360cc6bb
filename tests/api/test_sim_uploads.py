"""printyard sim: simulated printers take uploaded print files as the real
devices do -- Bambu over implicit FTPS (STOR), PrusaLink by PUT with the raw
bytes, OctoPrint and Moonraker by multipart forms -- list them with their real
size, hand back the same bytes, start them when asked and refuse what the
real device refuses, storing nothing then.

Only the simulator runs (no database, no nginx).  Every test talks to it as a
printer client would (requests, ftplib with implicit TLS checked against the
farm's CA and the serial, the mosquitto clients, curl), and every expected
value -- sizes, SHA-256 -- is computed here from bytes made here.
"""
import ftplib
import hashlib
import io
import json
import random
import shutil
import socket
import subprocess
import time
from urllib.parse import quote

import pytest
import requests
from requests.auth import HTTPDigestAuth

from harness import _die_with_parent, default_bin
from simfarm import Watch, ftps_session, sim_auth, sim_base, sim_bytes, sim_listing

KINDS = ("bambu", "prusalink", "octoprint", "moonraker")
TINY = 100000   # upload_max of the "Tiny" printers


# ---- the farm ----

@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    """One simulator for the module: per kind a printer for uploads, one
    whose jobs the tests start ("Start") and one that takes at most TINY
    bytes per file ("Tiny"); all idle until told otherwise."""
    d = tmp_path_factory.mktemp("sim_uploads")
    printers = []
    for kind in KINDS:
        for role in ("Main", "Start", "Tiny"):
            if kind == "bambu" and role == "Start":
                continue    # the main one starts its upload over MQTT
            p = {"kind": kind, "name": "%s %s" % (role, kind), "scenario": "idle"}
            if kind == "bambu":
                p["serial"] = "00M00UPLOAD%04d" % (len(printers) + 1)
            if role == "Tiny":
                p["upload_max"] = TINY
            printers.append(p)
    (d / "sim.json").write_text(json.dumps({"printers": printers}))
    log = open(d / "sim.log", "w")
    proc = subprocess.Popen(
        [str(default_bin()), "sim", "--config", str(d / "sim.json"),
         "--run-dir", str(d / "run")], stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, cwd=str(d), preexec_fn=_die_with_parent)
    farm_file = d / "run" / "farm.json"
    deadline = time.time() + 60
    while not farm_file.exists():
        assert proc.poll() is None, (d / "sim.log").read_text()
        assert time.time() < deadline, "sim not ready within 60 s"
        time.sleep(0.05)
    listed = json.loads(farm_file.read_text())["printers"]
    by_name = {p["name"]: dict(p, index=i + 1) for i, p in enumerate(listed)}
    yield {"by_name": by_name, "dir": d}
    proc.terminate()
    rc = proc.wait(timeout=30)
    log.close()
    assert rc == 0, (d / "sim.log").read_text()


def printer(farm, kind, role="Main"):
    return farm["by_name"]["%s %s" % (role, kind)]


def gcode(size, seed):
    """size bytes of G-code text with random moves (exactly size bytes)."""
    rnd = random.Random(seed)
    out = ["; made by test_sim_uploads seed %d\nG28\n" % seed]
    n = len(out[0])
    while n < size:
        line = "G1 X%.3f Y%.3f E%.5f F%d\n" % (
            rnd.uniform(0, 250), rnd.uniform(0, 210), rnd.uniform(0, 2),
            rnd.choice((1200, 1800, 3000, 6000)))
        out.append(line)
        n += len(line)
    return "".join(out).encode()[:size]


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ---- talking to the printers ----

def stor(fp, name, data, **kw):
    """STOR over FTPS; the final reply, or the refusal's text."""
    ftp = ftps_session(fp, **kw)
    try:
        return ftp.storbinary("STOR " + name, io.BytesIO(data))
    except ftplib.error_perm as e:
        return str(e)
    finally:
        ftp.close()


def upload(fp, name, data, fields=None, headers=None, **kw):
    """Uploads as the kind's own clients do; the requests response."""
    kw = dict(sim_auth(fp), **kw)
    h = dict(kw.pop("headers", {}), **(headers or {}))
    if fp["kind"] == "prusalink":
        h.setdefault("Content-Type", "application/octet-stream")
        return requests.put(sim_base(fp) + "/api/v1/files/usb/" + quote(name),
                            data=data, headers=h, timeout=30, **kw)
    path = "/api/files/local" if fp["kind"] == "octoprint" else "/server/files/upload"
    return requests.post(sim_base(fp) + path, headers=h, timeout=30,
                         files={"file": (name, data, "application/octet-stream")},
                         data=fields or {}, **kw)


def put(fp, name, data, **kw):
    """An upload of any kind that must succeed."""
    if fp["kind"] == "bambu":
        reply = stor(fp, name, data)
        assert reply.startswith("226"), reply
        return reply
    r = upload(fp, name, data, **kw)
    assert r.status_code == 201, (r.status_code, r.text)
    return r


def refused(fp, name, data, **kw):
    """The status (HTTP) or reply code (FTPS) of an upload that must fail."""
    if fp["kind"] == "bambu":
        reply = stor(fp, name, data, **kw)
        assert not reply.startswith("226"), reply
        return int(reply[:3])
    r = upload(fp, name, data, **kw)
    assert r.status_code != 201, r.text
    return r.status_code


# ---- uploads land and come back ----

@pytest.mark.parametrize("kind", KINDS)
def test_an_upload_is_listed_with_its_size_and_downloads_as_the_same_bytes(farm, kind):
    fp = printer(farm, kind)
    name = "upload %s.%s" % (kind, "gcode.3mf" if kind == "bambu" else "gcode")
    data = gcode(300000 + KINDS.index(kind), seed=KINDS.index(kind))
    before = sim_listing(fp)
    assert name not in before
    r = put(fp, name, data)
    if kind == "octoprint":
        body = r.json()
        assert body["done"] is True and body["effectivePrint"] is False
        local = body["files"]["local"]
        assert (local["name"], local["path"], local["origin"]) == (name, name, "local")
        assert r.headers["Location"] == local["refs"]["resource"]
        # the advertised download link works as it stands (the name escaped)
        got = requests.get(local["refs"]["download"], timeout=10, **sim_auth(fp))
        assert got.status_code == 200 and sha(got.content) == sha(data)
    elif kind == "moonraker":
        res = r.json()["result"]
        assert res["item"]["path"] == name and res["item"]["root"] == "gcodes"
        assert res["item"]["size"] == len(data) and res["item"]["permissions"] == "rw"
        assert res["item"]["modified"] > time.time() - 600
        assert (res["print_started"], res["print_queued"], res["action"]) == \
            (False, False, "create_file")
        assert r.headers["Location"] == "/server/files/gcodes/" + quote(name)
    after = sim_listing(fp)
    assert after[name] == len(data)
    assert {k: v for k, v in after.items() if k != name} == before
    assert sha(sim_bytes(fp, name)) == sha(data)
    # where every process of the simulator finds it
    stored = farm["dir"] / "run" / "uploads" / str(fp["index"]) / name
    assert sha(stored.read_bytes()) == sha(data)


@pytest.mark.parametrize("kind", KINDS)
def test_an_upload_replaces_a_built_in_file_of_the_same_name(farm, kind):
    fp = printer(farm, kind)
    name = "calibration_cube.gcode"
    old = sim_bytes(fp, name)
    data = gcode(70000, seed=40 + KINDS.index(kind))
    assert sha(data) != sha(old)
    put(fp, name, data, **({"headers": {"Overwrite": "?1"}} if kind == "prusalink" else {}))
    files = sim_listing(fp)
    assert files[name] == len(data)
    assert sha(sim_bytes(fp, name)) == sha(data)


def test_prusalink_refuses_an_existing_name_without_overwrite(farm):
    fp = printer(farm, "prusalink")
    first, second = gcode(5000, seed=50), gcode(6000, seed=51)
    put(fp, "kept.gcode", first)
    r = upload(fp, "kept.gcode", second)
    assert r.status_code == 409, r.text
    assert r.json()["title"] == "Conflict"
    assert sha(sim_bytes(fp, "kept.gcode")) == sha(first)
    put(fp, "kept.gcode", second, headers={"Overwrite": "?1"})
    assert sim_listing(fp)["kept.gcode"] == len(second)
    assert sha(sim_bytes(fp, "kept.gcode")) == sha(second)


# ---- printing what was uploaded ----

def job_of(fp):
    """(file name, printing?) from the kind's own state endpoint."""
    if fp["kind"] == "prusalink":
        r = requests.get(sim_base(fp) + "/api/v1/job", timeout=10, **sim_auth(fp))
        if r.status_code == 204:
            return None, False
        j = r.json()
        return j["file"]["display_name"], j["state"] == "PRINTING"
    if fp["kind"] == "octoprint":
        j = requests.get(sim_base(fp) + "/api/job", timeout=10, **sim_auth(fp)).json()
        flags = requests.get(sim_base(fp) + "/api/printer", timeout=10,
                             **sim_auth(fp)).json()["state"]["flags"]
        return j["job"]["file"]["name"], j["state"] == "Printing" and flags["printing"]
    st = requests.get(sim_base(fp) + "/printer/objects/query?print_stats", timeout=10,
                      **sim_auth(fp)).json()["result"]["status"]["print_stats"]
    return st["filename"], st["state"] == "printing"


@pytest.mark.parametrize("kind", ("prusalink", "octoprint", "moonraker"))
def test_print_after_upload_starts_the_job_and_a_busy_printer_refuses_another(farm, kind):
    fp = printer(farm, kind, "Start")
    assert job_of(fp)[1] is False
    data = gcode(120000, seed=60 + KINDS.index(kind))
    if kind == "prusalink":
        put(fp, "first.gcode", data, headers={"Print-After-Upload": "?1"})
    else:
        r = put(fp, "first.gcode", data, fields={"print": "true"})
        if kind == "octoprint":
            assert r.json()["effectivePrint"] is True
        else:
            assert r.json()["result"]["print_started"] is True
    assert job_of(fp) == ("first.gcode", True)
    assert sha(sim_bytes(fp, "first.gcode")) == sha(data)

    other = gcode(3000, seed=61)
    if kind == "prusalink":
        r = upload(fp, "second.gcode", other, headers={"Print-After-Upload": "?1"})
        assert r.status_code == 409, r.text
        assert "second.gcode" not in sim_listing(fp)
    elif kind == "octoprint":
        r = upload(fp, "second.gcode", other, fields={"print": "true"})
        assert r.status_code == 409, r.text
        assert "second.gcode" not in sim_listing(fp)
    else:
        # Moonraker keeps the file and says it did not start it
        r = put(fp, "second.gcode", other, fields={"print": "true"})
        assert r.json()["result"]["print_started"] is False
        assert sim_listing(fp)["second.gcode"] == len(other)
    assert job_of(fp) == ("first.gcode", True)
    # storing without printing is fine while a job runs
    put(fp, "third.gcode", other)
    assert sim_listing(fp)["third.gcode"] == len(other)


def test_octoprint_select_without_print_makes_the_file_the_job(farm):
    fp = printer(farm, "octoprint", "Tiny")
    r = put(fp, "selected.gcode", gcode(2000, seed=62), fields={"select": "true"})
    assert (r.json()["effectiveSelect"], r.json()["effectivePrint"]) == (True, False)
    assert job_of(fp) == ("selected.gcode", False)


def test_bambu_prints_an_uploaded_file_started_over_mqtt(farm):
    fp = printer(farm, "bambu")
    name = "plate job.gcode.3mf"
    data = gcode(90000, seed=70)
    put(fp, name, data)
    w = Watch(fp)
    try:
        w.next(lambda m: "print" in m)
        subprocess.run(
            ["mosquitto_pub", "-h", fp["host"], "-p", str(fp["port"]),
             "--cafile", fp["ca_file"], "--insecure", "-u", "bblp",
             "-P", fp["access_code"], "-t", "device/%s/request" % fp["serial"],
             "-m", json.dumps({"print": {
                 "sequence_id": "9", "command": "project_file",
                 "param": "Metadata/plate_1.gcode", "url": "ftp:///" + name,
                 "subtask_name": name, "use_ams": False, "bed_leveling": True}})],
            check=True, capture_output=True, timeout=20)
        reply = w.next(lambda m: m.get("print", {}).get("command") == "project_file")
        assert reply["print"]["result"] == "success"
        started = w.next(lambda m: m.get("print", {}).get("subtask_name") == name)
        assert started["print"]["gcode_state"] in ("PREPARE", "RUNNING")
    finally:
        w.close()
    assert sha(sim_bytes(fp, name)) == sha(data)


# ---- refusals store nothing ----

@pytest.mark.parametrize("kind", KINDS)
def test_wrong_credentials_are_refused_and_nothing_is_stored(farm, kind):
    fp = printer(farm, kind)
    name = "intruder.gcode"
    data = gcode(4000, seed=80)
    if kind == "bambu":
        with pytest.raises(ftplib.error_perm, match="^530"):
            ftps_session(fp, password="00000000")
        # without a login STOR is refused before any data connection
        ftp = ftps_session(fp, login=False)
        try:
            with pytest.raises(ftplib.error_perm, match="^530"):
                ftp.sendcmd("STOR " + name)
        finally:
            ftp.close()
    elif kind == "prusalink":
        r = upload(fp, name, data, auth=HTTPDigestAuth("maker", "wrong"))
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Digest ")
        r = upload(fp, name, data, auth=None, headers={"X-Api-Key": "wrong"})
        assert r.status_code == 403, r.text
    elif kind == "octoprint":
        assert upload(fp, name, data, headers={"X-Api-Key": "wrong"}).status_code == 403
        r = requests.post(sim_base(fp) + "/api/files/local", timeout=10,
                          files={"file": (name, data)})
        assert r.status_code == 403
    else:
        r = upload(fp, name, data, headers={"X-Api-Key": "wrong"})
        assert r.status_code == 401 and r.json()["error"]["code"] == 401
    assert name not in sim_listing(fp)


def test_moonraker_refuses_a_checksum_mismatch(farm):
    fp = printer(farm, "moonraker")
    data = gcode(20000, seed=90)
    r = upload(fp, "checked.gcode", data, fields={"checksum": sha(b"other bytes")})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == 422 and sha(data) in err["message"]
    assert "checked.gcode" not in sim_listing(fp)
    # the right checksum, in any case, is taken
    r = put(fp, "checked.gcode", data, fields={"checksum": sha(data).upper()})
    assert r.json()["result"]["item"]["size"] == len(data)
    assert sha(sim_bytes(fp, "checked.gcode")) == sha(data)


BAD_NAMES = [
    ("notes.txt", "type"),          # not a print file
    (".hidden.gcode", "name"),      # hidden files are not print files
    ("x" * 130 + ".gcode", "name"),  # longer than 127 bytes
    ("bad\x01name.gcode", "name"),  # a control character
]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_names_are_refused_and_not_stored(farm, kind):
    fp = printer(farm, kind)
    before = sim_listing(fp)
    data = gcode(1000, seed=100)
    for name, why in BAD_NAMES:
        if kind in ("octoprint", "moonraker") and "\x01" in name:
            continue    # a form's filename cannot carry it unescaped
        code = refused(fp, name, data)
        if kind == "bambu":
            assert code == 553, name
        elif kind == "moonraker":
            assert code == 400, name
        else:
            assert code == (415 if why == "type" else 400), (name, code)
    if kind == "bambu":
        assert refused(fp, "folder/part.gcode", data) == 553
    elif kind == "prusalink":
        r = upload(fp, "folder/part.gcode", data)   # a path below usb/
        assert r.status_code == 400, r.text
    else:
        r = upload(fp, "part.gcode", data, fields={"path": "folder"})
        assert r.status_code == 400, r.text
    assert sim_listing(fp) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_over_the_printers_bound_is_refused(farm, kind):
    fp = printer(farm, kind, "Tiny")
    fits, over = gcode(TINY, seed=110), gcode(TINY + 1, seed=111)
    put(fp, "fits.gcode", fits)
    code = refused(fp, "over.gcode", over)
    assert code == (552 if kind == "bambu" else 413)
    files = sim_listing(fp)
    assert files["fits.gcode"] == TINY and "over.gcode" not in files
    # the connection's refusal leaves the printer answering
    assert sha(sim_bytes(fp, "fits.gcode")) == sha(fits)


@pytest.mark.parametrize("kind", ("octoprint", "moonraker"))
def test_a_malformed_upload_form_is_refused(farm, kind):
    fp = printer(farm, kind)
    before = sim_listing(fp)
    url = sim_base(fp) + ("/api/files/local" if kind == "octoprint" else "/server/files/upload")
    h = sim_auth(fp)["headers"]
    part = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; '
            b'filename="form.gcode"\r\n\r\nG28\r\n')
    bodies = [
        ("multipart/form-data", part + b"--XyZ--\r\n"),             # no boundary
        ("multipart/form-data; boundary=XyZ", part),                  # never closed
        ("multipart/form-data; boundary=XyZ", part.replace(b'name="file"', b'name="doc"')
         + b"--XyZ--\r\n"),                                           # no file field
        ("multipart/form-data; boundary=XyZ", part.replace(b'; filename="form.gcode"', b"")
         + b"--XyZ--\r\n"),                                           # no file name
        ("multipart/form-data; boundary=XyZ", b"--XyZ\r\n\r\nG28\r\n--XyZ--\r\n"),
        ("application/octet-stream", b"G28\n"),
    ]
    for ctype, body in bodies:
        r = requests.post(url, data=body, headers=dict(h, **{"Content-Type": ctype}),
                          timeout=10)
        assert r.status_code == 400, (ctype, body, r.text)
    assert sim_listing(fp) == before
    # the same form, whole, is taken
    r = requests.post(url, data=part + b"--XyZ--\r\n", timeout=10,
                      headers=dict(h, **{"Content-Type": "multipart/form-data; boundary=XyZ"}))
    assert r.status_code == 201, r.text
    assert sim_bytes(fp, "form.gcode") == b"G28"


def test_prusalink_wants_content_length_and_raw_bytes(farm):
    fp = printer(farm, "prusalink")
    key = {"X-Api-Key": fp["password"]}
    with socket.create_connection((fp["host"], fp["port"]), timeout=10) as c:
        c.sendall(b"PUT /api/v1/files/usb/nolength.gcode HTTP/1.1\r\nX-Api-Key: "
                  + fp["password"].encode() + b"\r\n\r\n")
        assert c.recv(4096).startswith(b"HTTP/1.1 411")
    r = requests.put(sim_base(fp) + "/api/v1/files/usb/typed.gcode", data=b"G28\n",
                     headers=dict(key, **{"Content-Type": "text/plain"}), timeout=10)
    assert r.status_code == 415, r.text
    r = requests.put(sim_base(fp) + "/api/v1/files/usb/flag.gcode", data=b"G28\n",
                     headers=dict(key, **{"Overwrite": "yes"}), timeout=10)
    assert r.status_code == 400, r.text
    files = sim_listing(fp)
    assert not {"nolength.gcode", "typed.gcode", "flag.gcode"} & set(files)


# ---- the HTTP server's side of large bodies ----

def test_expect_100_continue_is_answered_before_the_body(farm):
    fp = printer(farm, "prusalink")
    data = gcode(200000, seed=120)
    with socket.create_connection((fp["host"], fp["port"]), timeout=10) as c:
        c.sendall(b"PUT /api/v1/files/usb/expect.gcode HTTP/1.1\r\nHost: x\r\n"
                  b"X-Api-Key: " + fp["password"].encode() + b"\r\n"
                  b"Content-Type: application/octet-stream\r\n"
                  b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(data))
        # nothing of the body is sent before the interim answer
        assert c.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
        c.sendall(data)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = c.recv(4096)
            assert chunk, got
            got += chunk
        assert got.startswith(b"HTTP/1.1 201")
        assert b"Connection: keep-alive" in got
        # the connection serves the next request
        c.sendall(b"GET /usb/expect.gcode HTTP/1.1\r\nX-Api-Key: "
                  + fp["password"].encode() + b"\r\n\r\n")
        got = b""
        while not got.endswith(data):
            chunk = c.recv(65536)
            assert chunk, got[:200]
            got += chunk
        assert got.startswith(b"HTTP/1.1 200")


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")
def test_curl_uploads_as_the_telemetry_worker_would(farm, tmp_path):
    """libcurl's own ways: Digest answered 401 first, Expect: 100-continue
    for bodies over 1 MiB, an FTPS upload after EPSV and TYPE I whose data
    connection it closes itself."""
    data = gcode(1500000, seed=130)
    f = tmp_path / "curl.gcode"
    f.write_bytes(data)
    fp = printer(farm, "prusalink")
    out = subprocess.run(
        ["curl", "-sS", "--digest", "-u", "maker:" + fp["password"], "-T", str(f),
         "-H", "Content-Type: application/octet-stream", "-H", "Print-After-Upload: ?0",
         "-o", "/dev/null", "-w", "%{http_code}",
         sim_base(fp) + "/api/v1/files/usb/curl.gcode"],
        capture_output=True, text=True, timeout=60)
    assert out.stdout == "201", out.stderr
    assert sha(sim_bytes(fp, "curl.gcode")) == sha(data)
    fp = printer(farm, "bambu")
    port = fp["ftp_port"]
    out = subprocess.run(
        ["curl", "-sS", "--cacert", fp["ca_file"],
         "--connect-to", "%s:%d:%s:%d" % (fp["serial"], port, fp["host"], port),
         "-u", "bblp:" + fp["access_code"], "-T", str(f),
         "ftps://%s:%d/curl.gcode.3mf" % (fp["serial"], port)],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert sim_listing(fp)["curl.gcode.3mf"] == len(data)
    assert sha(sim_bytes(fp, "curl.gcode.3mf")) == sha(data)


# ---- deleting ----

@pytest.mark.parametrize("kind", KINDS)
def test_a_deleted_file_leaves_the_listing(farm, kind):
    fp = printer(farm, kind, "Tiny")
    put(fp, "doomed.gcode", gcode(3000, seed=140))
    for name in ("doomed.gcode", "calibration_cube.gcode"):     # uploaded, built-in
        if kind == "bambu":
            ftp = ftps_session(fp)
            assert ftp.delete(name).startswith("250")
            ftp.quit()
        else:
            path = {"prusalink": "/api/v1/files/usb/", "octoprint": "/api/files/local/",
                    "moonraker": "/server/files/gcodes/"}[kind]
            r = requests.delete(sim_base(fp) + path + name, timeout=10, **sim_auth(fp))
            if kind == "moonraker":
                assert r.status_code == 200 and r.json()["result"]["action"] == "delete_file"
                assert r.json()["result"]["item"]["path"] == name
            else:
                assert r.status_code == 204, r.text
        assert name not in sim_listing(fp)
    if kind == "bambu":
        ftp = ftps_session(fp)
        with pytest.raises(ftplib.error_perm, match="^550"):
            ftp.delete("doomed.gcode")
        ftp.quit()
    else:
        r = requests.delete(sim_base(fp) + path + "doomed.gcode", timeout=10, **sim_auth(fp))
        assert r.status_code == 404


def test_the_bambu_printers_folders_are_listed_entered_and_read(farm):
    fp = printer(farm, "bambu")
    ftp = ftps_session(fp)
    try:
        root = []
        ftp.retrlines("LIST", root.append)
        folders = sorted(l.split(None, 8)[8] for l in root if l.startswith("d"))
        assert folders == ["cache", "timelapse"]
        cache = []
        ftp.retrlines("LIST /cache/", cache.append)
        assert [l.split(None, 8)[8] for l in cache] == ["cloud_benchy.gcode.3mf"]
        whole = bytearray()
        ftp.retrbinary("RETR /cache/cloud_benchy.gcode.3mf", whole.extend)
        # in the folder, names are relative to it
        assert ftp.cwd("cache").startswith("250")
        assert ftp.pwd() == "/cache"
        assert ftp.nlst() == ["cloud_benchy.gcode.3mf"]
        again = bytearray()
        ftp.retrbinary("RETR cloud_benchy.gcode.3mf", again.extend)
        assert bytes(again) == bytes(whole) and whole[:2] == b"PK"
        assert ftp.size("cloud_benchy.gcode.3mf") == len(whole)
        # uploads go to the root only
        with pytest.raises(ftplib.error_perm, match="^553"):
            ftp.storbinary("STOR here.gcode", io.BytesIO(b"G28\n"))
        with pytest.raises(ftplib.error_perm, match="^550"):
            ftp.cwd("/nowhere")
        assert ftp.cwd("..").startswith("250") and ftp.pwd() == "/"
        assert "cloud_benchy.gcode.3mf" not in ftp.nlst()
    finally:
        ftp.close()
