"""Printer commands: the API queues them, the telemetry worker carries them out.

One simulated farm (a printer of each HTTP kind and a Bambu X1 printing a
long job, a Bambu printer without Developer Mode, an OctoPrint printer that
refuses its key) and one `printyard telemetry --farm` worker run for the
whole module.  Commands must reach the simulators (checked through the
simulators' own endpoints or MQTT), not only the database.  Printers made
through the API point at the same simulators with wrong names or codes for
the connection tests; a second simulator, restarted on the same port with a
new certificate, shows trust on first use.
"""
import hashlib
import json
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests

from harness import default_bin
from simfarm import Proc, registered, start_sim, start_worker, state, stop_farm, wait_for
from util import csrf_of, page_session

PREFIX = "Cmd "
LONG = 20000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def farm(server, owner_token, tmp_path_factory):
    d = tmp_path_factory.mktemp("commands")
    common = {"time_factor": 10, "prepare_seconds": 10, "idle_seconds": 2,
              "layers": 40, "print_seconds": LONG}
    config = {"printers": [
        dict(common, kind="prusalink", name=PREFIX + "MK4"),
        dict(common, kind="octoprint", name=PREFIX + "Ender"),
        dict(common, kind="moonraker", name=PREFIX + "Voron"),
        dict(common, kind="bambu", name=PREFIX + "X1C", report="full",
             serial="01S00CMD0000001"),
        dict(common, kind="bambu", name=PREFIX + "A1 NoDev", developer_mode=False,
             serial="01S00CMD0000002"),
        dict(common, kind="octoprint", name=PREFIX + "Locked", scenario="badauth"),
    ]}
    sim, farm_file = start_sim(server, d, config)
    worker = start_worker(server, farm_file, d / "telemetry.log")
    ids = registered(server, PREFIX, len(config["printers"]))
    assert ids, worker.text()
    spec = json.loads(farm_file.read_text())
    yield {"ids": ids, "worker": worker, "sim": sim, "dir": d,
           "printers": {p["name"]: p for p in spec["printers"]},
           "ca": spec["ca_file"]}
    worker.proc.send_signal(signal.SIGCONT)
    rc = stop_farm(server, worker, sim, PREFIX)
    assert rc == 0, worker.text()


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def printing(api, h, farm, name):
    """Waits until the worker sees the printer printing, starting a new
    print when an earlier test stopped it; returns its id."""
    pid = farm["ids"][PREFIX + name]

    def check():
        s = state(api, h, pid)
        if s["status"] == "printing":
            return s
        if s["online"] and s["status"] in ("failed", "finished", "error"):
            command(api, h, pid, "start", file="again.gcode")
        elif s["status"] == "paused":
            command(api, h, pid, "resume")
        return None

    assert wait_for(check, 60, step=1), farm["worker"].text()[-3000:]
    return pid


def command(api, h, pid, cmd, **extra):
    return api.post(f"/api/v1/printers/{pid}/commands", json=dict(command=cmd, **extra),
                    headers=h)


def done(r, result):
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["status"] == "done", c
    assert c["result"].startswith(result), c
    assert c["code"] == "ok" and c["done_at"] and c["sent_at"]
    return c


# ---- what each simulator says about itself ----

def sim_url(p, path):
    return f"http://{p['host']}:{p['port']}{path}"


def prusa_state(p):
    r = requests.get(sim_url(p, "/api/v1/status"), headers={"X-Api-Key": p["password"]},
                     timeout=5)
    return r.json()["printer"]["state"]


def octo_state(p):
    r = requests.get(sim_url(p, "/api/job"), headers={"X-Api-Key": p["api_key"]}, timeout=5)
    return r.json()["state"]


def moon_state(p):
    h = {"X-Api-Key": p["api_key"]} if p.get("api_key") else {}
    r = requests.get(sim_url(p, "/printer/objects/query?print_stats"), headers=h, timeout=5)
    return r.json()["result"]["status"]["print_stats"]["state"]


def bambu_state(p, ca):
    out = subprocess.run(
        ["mosquitto_sub", "-h", p["host"], "-p", str(p["port"]), "--cafile", ca,
         "--insecure", "-u", "bblp", "-P", p["access_code"],
         "-t", f"device/{p['serial']}/report", "-C", "3", "-W", "10"],
        capture_output=True, text=True, timeout=20).stdout
    states = [json.loads(line).get("print", {}).get("gcode_state")
              for line in out.splitlines() if line.strip()]
    return [s for s in states if s][-1]


# ---- control reaches the printers ----

@pytest.mark.parametrize("name,look,paused,running", [
    ("MK4", prusa_state, "PAUSED", "PRINTING"),
    ("Ender", octo_state, "Paused", "Printing"),
    ("Voron", moon_state, "paused", "printing"),
])
def test_pause_resume_and_stop_reach_an_http_printer(api, h, farm, name, look, paused,
                                                     running):
    pid = printing(api, h, farm, name)
    p = farm["printers"][PREFIX + name]
    done(command(api, h, pid, "pause"), "paused")
    assert look(p) == paused
    assert wait_for(lambda: state(api, h, pid)["status"] == "paused", 20)
    done(command(api, h, pid, "resume"), "resumed")
    assert look(p) == running
    done(command(api, h, pid, "stop"), "stopped")
    assert look(p) not in (running, paused)


def test_pause_resume_and_stop_reach_a_bambu_printer(api, h, farm):
    pid = printing(api, h, farm, "X1C")
    p = farm["printers"][PREFIX + "X1C"]
    done(command(api, h, pid, "pause"), "paused")
    assert wait_for(lambda: bambu_state(p, farm["ca"]) == "PAUSE", 20)
    done(command(api, h, pid, "resume"), "resumed")
    assert wait_for(lambda: bambu_state(p, farm["ca"]) == "RUNNING", 20)
    done(command(api, h, pid, "stop"), "stopped")
    assert wait_for(lambda: bambu_state(p, farm["ca"]) not in ("RUNNING", "PAUSE"), 20)


def test_a_refused_command_says_why(api, h, farm):
    pid = farm["ids"][PREFIX + "Voron"]
    wait_for(lambda: state(api, h, pid)["online"], 30)
    # nothing is paused (the print was stopped above, or never paused)
    r = command(api, h, pid, "resume")
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["status"] == "failed" and c["code"] == "refused", c
    assert c["result"].startswith("the printer refused: "), c


def test_start_prints_a_file_on_the_printer(api, h, farm):
    pid = farm["ids"][PREFIX + "Ender"]
    p = farm["printers"][PREFIX + "Ender"]
    wait_for(lambda: octo_state(p) not in ("Printing", "Paused"), 60)
    r = command(api, h, pid, "start", file="bracket.gcode")
    done(r, "started bracket.gcode")
    assert octo_state(p) == "Printing"
    assert r.json()["args"] == {"file": "bracket.gcode"}


def test_control_is_refused_without_developer_mode(api, h, farm):
    pid = farm["ids"][PREFIX + "A1 NoDev"]
    assert wait_for(lambda: state(api, h, pid)["control_ok"] is False, 30)
    r = command(api, h, pid, "pause")
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["status"] == "failed" and c["code"] == "no_control", c
    assert "Developer Mode" in c["result"]


def test_a_command_to_an_offline_printer_fails_plainly(api, h, server, farm):
    port = free_port()
    r = api.post("/api/v1/printers", json={
        "kind": "octoprint", "name": PREFIX + "Gone", "host": "127.0.0.1", "port": port,
        "secret": "k"}, headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert wait_for(lambda: server.psql(
        "SELECT 1 FROM printer_state WHERE printer_id = %s AND NOT online", (pid,)), 30)
    r = command(api, h, pid, "pause")
    assert r.status_code == 200, r.text
    c = r.json()
    assert (c["status"], c["code"], c["result"]) == ("failed", "offline",
                                                    "the printer is offline")
    r = command(api, h, pid, "test")
    c = r.json()
    assert (c["status"], c["code"]) == ("failed", "unreachable"), c
    assert f"127.0.0.1 port {port}" in c["result"]


def test_a_slow_answer_gives_202_and_the_command_can_be_polled(api, h, farm):
    pid = printing(api, h, farm, "MK4")
    farm["worker"].proc.send_signal(signal.SIGSTOP)
    try:
        t0 = time.time()
        r = command(api, h, pid, "pause")
        assert r.status_code == 202, r.text
        assert 4.5 <= time.time() - t0 < 10
        body = r.json()
        assert body["status"] == "queued"
        loc = r.headers["Location"]
        assert loc == f"/api/v1/printers/{pid}/commands/{body['id']}"
    finally:
        farm["worker"].proc.send_signal(signal.SIGCONT)
    c = wait_for(lambda: (lambda c: c if c["status"] in ("done", "failed") else None)(
        api.get(loc, headers=h).json()), 20)
    assert c and c["status"] == "done" and c["result"] == "paused", c
    assert prusa_state(farm["printers"][PREFIX + "MK4"]) == "PAUSED"
    listed = api.get(f"/api/v1/printers/{pid}/commands?limit=2", headers=h).json()
    assert listed["items"][0]["id"] == body["id"] and listed["total"] >= 2
    assert len(listed["items"]) == 2 and listed["items"][1]["id"] < body["id"]
    done(command(api, h, pid, "resume"), "resumed")


def test_a_command_never_sent_expires(api, h, server, farm):
    pid = farm["ids"][PREFIX + "Ender"]
    cid, = server.psql(
        "INSERT INTO printer_commands (printer_id, command, created_by, created_at) "
        "VALUES (%s, 'pause', 'test', now() - interval '2 minutes') RETURNING id",
        (pid,))[0]
    c = wait_for(lambda: (lambda c: c if c["status"] == "failed" else None)(
        api.get(f"/api/v1/printers/{pid}/commands/{cid}", headers=h).json()), 10)
    assert c and c["code"] == "expired" and c["result"].startswith("expired"), c
    assert c["sent_at"] is None


def test_a_finished_command_cannot_be_rewritten(server, farm):
    pid = farm["ids"][PREFIX + "Ender"]
    cid, = server.psql(
        "SELECT id FROM printer_commands WHERE printer_id = %s AND status = 'done' "
        "LIMIT 1", (pid,))[0]
    with pytest.raises(Exception, match="already finished"):
        server.psql("UPDATE printer_commands SET status = 'failed' WHERE id = %s", (cid,))


# ---- validation and roles ----

def test_commands_are_validated(api, h, server, farm):
    pid = farm["ids"][PREFIX + "MK4"]
    before = server.psql("SELECT count(*) FROM printer_commands")[0][0]
    assert command(api, h, 999999, "pause").status_code == 404
    r = command(api, h, pid, "explode")
    assert r.status_code == 422 and "command" in r.text
    r = command(api, h, pid, "start")
    assert r.status_code == 422 and "file" in r.text
    r = command(api, h, pid, "pause", file="x.gcode")
    assert r.status_code == 422 and "file" in r.text
    # an unknown body field
    r = command(api, h, pid, "start", file_id=3)
    assert r.status_code == 422 and "file_id" in r.text
    locked = farm["ids"][PREFIX + "Locked"]
    assert wait_for(lambda: server.psql(
        "SELECT 1 FROM printers WHERE id = %s AND auth_failed_at IS NOT NULL", (locked,)), 30)
    r = command(api, h, locked, "pause")
    assert r.status_code == 409 and "refused its credentials" in r.json()["error"]["message"]
    assert server.psql("SELECT count(*) FROM printer_commands")[0][0] == before
    assert api.get(f"/api/v1/printers/{pid}/commands/999999", headers=h).status_code == 404


def test_an_inactive_printer_takes_no_commands(api, h, server):
    r = api.post("/api/v1/printers", json={
        "kind": "moonraker", "name": PREFIX + "Shelved", "host": "127.0.0.1",
        "port": free_port(), "active": False}, headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = command(api, h, pid, "pause")
    assert r.status_code == 409 and "inactive" in r.json()["error"]["message"]
    # the rule holds for every writer
    with pytest.raises(Exception, match="inactive"):
        server.psql("INSERT INTO printer_commands (printer_id, command, created_by) "
                    "VALUES (%s, 'pause', 'x')", (pid,))


def test_roles_and_the_audit_trail(api, server, make_user, farm):
    pid = printing(api, {"Authorization": f"Bearer {make_user('owner')[2]}"}, farm, "Voron")
    _, _, staff = make_user("staff")
    _, _, acct = make_user("accountant")
    hs = {"Authorization": f"Bearer {staff}"}
    ha = {"Authorization": f"Bearer {acct}"}
    assert command(api, ha, pid, "pause").status_code == 403
    assert command(api, hs, pid, "test").status_code == 403
    c = done(command(api, hs, pid, "pause"), "paused")
    assert api.get(f"/api/v1/printers/{pid}/commands", headers=ha).status_code == 200
    actor, after = server.psql(
        "SELECT actor, after FROM audit_log WHERE entity = 'printer_command' AND "
        "entity_id = %s", (str(c["id"]),))[0]
    assert actor == c["actor"] and after["command"] == "pause"
    done(command(api, hs, pid, "resume"), "resumed")


# ---- test connection ----

def make_bambu(api, h, farm, name, **over):
    x1 = farm["printers"][PREFIX + "X1C"]
    body = {"kind": "bambu", "name": PREFIX + name, "host": x1["host"], "port": x1["port"],
            "serial": x1["serial"], "secret": x1["access_code"]}
    body.update(over)
    r = api.post("/api/v1/printers", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_connection_test_reports_ok_for_each_kind(api, h, farm):
    for name, words in (("MK4", "firmware"), ("Ender", "OctoPrint"), ("Voron", "firmware"),
                        ("X1C", "access code accepted, firmware 01.")):
        pid = farm["ids"][PREFIX + name]
        r = command(api, h, pid, "test")
        assert r.status_code == 200, r.text
        c = r.json()
        assert (c["status"], c["code"]) == ("done", "ok"), c
        assert c["result"].startswith("OK") and words in c["result"], c


def test_connection_test_names_what_is_wrong(api, h, farm):
    cases = [
        (make_bambu(api, h, farm, "Wrong Code", secret="00000000"), "access_code",
         "wrong access code"),
        (make_bambu(api, h, farm, "Wrong Name", serial="01S00WRONG0001"), "tls_name",
         "TLS name mismatch"),
        (farm["ids"][PREFIX + "Locked"], "api_key", "API key refused"),
    ]
    for pid, code, words in cases:
        r = command(api, h, pid, "test")
        assert r.status_code == 200, r.text
        c = r.json()
        assert (c["status"], c["code"]) == ("failed", code), c
        assert words in c["result"], c


def test_the_settings_page_tests_the_connection(api, make_user, farm):
    s = page_session(api, make_user, "owner")
    pid = farm["ids"][PREFIX + "Ender"]
    page = s.get(f"/settings/printers/{pid}")
    assert 'data-testid="printer-test"' in page.text
    r = s.post(f"/settings/printers/{pid}/test", data={"_csrf": csrf_of(page.text)},
               allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == f"/settings/printers/{pid}"
    shown = s.get(r.headers["Location"]).text
    assert "Connection test: OK" in shown
    locked = farm["ids"][PREFIX + "Locked"]
    r = s.post(f"/settings/printers/{locked}/test", data={"_csrf": csrf_of(page.text)})
    assert "refused the API key" in r.text
    staff = page_session(api, make_user, "staff")
    page = staff.get(f"/settings/printers/{pid}")
    assert 'data-testid="printer-test"' not in page.text
    r = staff.post(f"/settings/printers/{pid}/test", data={"_csrf": csrf_of(page.text)},
                   allow_redirects=False)
    assert r.status_code == 403


# ---- trust on first use ----

def cert_sha256(path):
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(open(path).read())).hexdigest()


def bambu_sim(server, d, port):
    """One Bambu printer on a fixed port; a new run directory means a new CA
    and certificate."""
    (d / "sim.json").write_text(json.dumps({"printers": [{
        "kind": "bambu", "name": "tofu", "serial": "01S00TOFU000001", "port": port,
        "access_code": "24681357", "scenario": "print", "print_seconds": LONG,
        "time_factor": 10}]}))
    sim = Proc([str(default_bin()), "sim", "--config", str(d / "sim.json"),
                "--run-dir", str(d / "run")], d / "sim.log", cwd=str(d))
    assert wait_for(lambda: (d / "run" / "farm.json").exists(), 60), sim.text()
    return sim, str(d / "run" / "tls" / "01S00TOFU000001.crt")


def test_trust_on_first_use_pins_and_then_refuses_a_changed_certificate(
        api, h, server, farm, make_user):
    port = free_port()
    first = farm["dir"] / "tofu1"
    first.mkdir()
    sim, crt = bambu_sim(server, first, port)
    try:
        r = api.post("/api/v1/printers", json={
            "kind": "bambu", "name": PREFIX + "TOFU", "host": "127.0.0.1", "port": port,
            "serial": "01S00TOFU000001", "secret": "24681357", "tls_mode": "tofu"},
            headers=h)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        pin = cert_sha256(crt)
        assert wait_for(lambda: server.psql(
            "SELECT tls_fingerprint FROM printers WHERE id = %s", (pid,))[0][0], 30) == pin, \
            farm["worker"].text()[-2000:]
        updated = server.psql("SELECT updated_at FROM printers WHERE id = %s", (pid,))[0][0]
        assert wait_for(lambda: state(api, h, pid)["online"], 30)
        # pinning is not a settings change
        assert server.psql("SELECT updated_at FROM printers WHERE id = %s",
                           (pid,))[0][0] == updated
        c = command(api, h, pid, "test").json()
        assert (c["status"], c["code"]) == ("done", "ok") and "pinned" in c["result"], c
    finally:
        assert sim.stop() == 0
    second = farm["dir"] / "tofu2"
    second.mkdir()
    sim, crt2 = bambu_sim(server, second, port)
    try:
        now = cert_sha256(crt2)
        assert now != pin
        msg = f"certificate changed since it was trusted (was {pin}, now {now})"
        assert wait_for(lambda: server.psql(
            "SELECT last_error FROM printers WHERE id = %s", (pid,))[0][0] == msg, 40), \
            farm["worker"].text()[-2000:]
        # the event follows within a turn of the worker's loop (last_error
        # may already come from the failed connection itself)
        ev = wait_for(lambda: server.psql(
            "SELECT to_status::text, detail FROM printer_events WHERE "
            "printer_id = %s AND detail->>'reason' = 'certificate_changed'",
            (pid,)), 20)
        assert len(ev) == 1 and ev[0][1]["message"] == msg, farm["worker"].text()[-2000:]
        assert server.psql("SELECT tls_fingerprint FROM printers WHERE id = %s",
                           (pid,))[0][0] == pin
        c = command(api, h, pid, "test").json()
        assert (c["code"], c["result"]) == ("cert_changed", msg), c
        # the owner sees the pin and trusts the new certificate
        s = page_session(api, make_user, "owner")
        page = s.get(f"/settings/printers/{pid}").text
        assert pin in page and 'data-testid="printer-retrust"' in page
        r = s.post(f"/settings/printers/{pid}/retrust", data={"_csrf": csrf_of(page)})
        assert r.status_code == 200 and "forgotten" in r.text
        assert wait_for(lambda: server.psql(
            "SELECT tls_fingerprint FROM printers WHERE id = %s", (pid,))[0][0] == now, 30)
        assert wait_for(lambda: state(api, h, pid)["online"], 30)
        assert server.psql("SELECT last_error FROM printers WHERE id = %s",
                           (pid,))[0][0] is None
        # the API does the same
        r = api.delete(f"/api/v1/printers/{pid}/tls-fingerprint", headers=h)
        assert r.status_code == 200 and r.json()["tls_fingerprint"] is None
    finally:
        api.patch(f"/api/v1/printers/{pid}", json={"active": False}, headers=h)
        assert sim.stop() == 0
