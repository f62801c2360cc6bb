"""printyard sim: simulated printers behave like the real devices on the wire.

Each test starts `printyard sim` with a small configuration (its own run
directory, free ports) and talks to it as a printer client would: HTTP with
Digest or API keys for PrusaLink, OctoPrint and Moonraker; MQTT over TLS with
the mosquitto command-line clients for Bambu.  No database is needed.
"""
import hashlib
import json
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
import requests
from requests.auth import HTTPDigestAuth

from harness import _die_with_parent, default_bin, free_port
from simfarm import Watch


class Sim:
    def __init__(self, tmp_path, config=None, args=None):
        self.dir = tmp_path
        self.run_dir = tmp_path / "run"
        if config is not None:
            path = tmp_path / "sim.json"
            path.write_text(json.dumps(config))
            args = ["--config", str(path), "--run-dir", str(self.run_dir)]
        self.farm_file = (self.run_dir / "farm.json") if "--demo" not in args \
            else tmp_path / args[args.index("--demo") + 1] / "farm.json"
        self.log = open(tmp_path / "sim.log", "w")
        self.proc = subprocess.Popen([str(default_bin()), "sim"] + args,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(tmp_path),
                                     preexec_fn=_die_with_parent)
        deadline = time.time() + 60
        while not self.farm_file.exists():
            if self.proc.poll() is not None:
                raise AssertionError("sim exited %s: %s" % (
                    self.proc.returncode, (tmp_path / "sim.log").read_text()))
            assert time.time() < deadline, "sim not ready within 60 s"
            time.sleep(0.05)
        self.farm = json.loads(self.farm_file.read_text())
        self.by_name = {p["name"]: p for p in self.farm["printers"]}

    def url(self, name, path):
        return "http://127.0.0.1:%d%s" % (self.by_name[name]["port"], path)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        rc = self.proc.wait(timeout=20)
        self.log.close()
        return rc


@pytest.fixture
def start_sim(tmp_path):
    sims = []

    def start(config=None, args=None, sub=""):
        d = tmp_path / (sub or "sim%d" % len(sims))
        d.mkdir()
        s = Sim(d, config, args)
        sims.append(s)
        return s

    yield start
    for s in sims:
        assert s.stop() == 0, (s.dir / "sim.log").read_text()
        # no broker outlives the simulator
        assert not processes_naming(str(s.dir))


def processes_naming(text):
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmd and "mosquitto_sub" not in cmd:
                found.append(cmd)
    return found


def steady(**kw):
    """A printer that starts printing at once and keeps at it for a day."""
    p = {"idle_seconds": 0, "prepare_seconds": 0, "print_seconds": 86400}
    p.update(kw)
    return p


# ---- MQTT through the mosquitto command-line clients ----

def publish(sim, name, payload, password=None):
    p = sim.by_name[name]
    return subprocess.run(
        ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(p["port"]),
         "--cafile", p["ca_file"], "--insecure", "-u", "bblp",
         "-P", password or p["access_code"],
         "-t", "device/%s/request" % p["serial"], "-m", json.dumps(payload)],
        capture_output=True, text=True, timeout=20)


def print_part(m):
    return m.get("print", {})


# ---- HTTP printers ----

def test_prusalink_answers_with_digest_or_api_key_and_refuses_bad_credentials(start_sim):
    port = free_port()
    sim = start_sim({"printers": [steady(kind="prusalink", name="mk4", port=port,
                                         password="maker-secret-1", model="MK4")]})
    assert sim.by_name["mk4"]["port"] == port
    assert sim.by_name["mk4"]["username"] == "maker"
    url = sim.url("mk4", "/api/v1/status")

    r = requests.get(url, timeout=5)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Digest ")
    assert 'realm="' in r.headers["WWW-Authenticate"]
    assert requests.get(url, auth=HTTPDigestAuth("maker", "wrong"), timeout=5).status_code == 401
    assert requests.get(url, auth=HTTPDigestAuth("admin", "maker-secret-1"),
                        timeout=5).status_code == 401
    assert requests.get(url, headers={"X-Api-Key": "wrong"}, timeout=5).status_code == 403

    auth = HTTPDigestAuth("maker", "maker-secret-1")
    status = requests.get(url, auth=auth, timeout=5)
    assert status.status_code == 200
    st = status.json()
    assert st["printer"]["state"] == "PRINTING"
    for k in ("temp_bed", "target_bed", "temp_nozzle", "target_nozzle"):
        assert isinstance(st["printer"][k], (int, float))
    assert 0 <= st["job"]["progress"] <= 100 and st["job"]["time_remaining"] > 0

    v = requests.get(sim.url("mk4", "/api/version"),
                     headers={"X-Api-Key": "maker-secret-1"}, timeout=5).json()
    assert v["text"] == "PrusaLink" and v["printer"] == "MK4"
    info = requests.get(sim.url("mk4", "/api/v1/info"), auth=auth, timeout=5).json()
    assert info["name"] == "mk4" and isinstance(info["mmu"], bool)
    job = requests.get(sim.url("mk4", "/api/v1/job"), auth=auth, timeout=5).json()
    assert job["state"] == "PRINTING" and job["id"] == st["job"]["id"]
    assert job["file"]["display_name"].endswith(".bgcode")


def test_prusalink_digest_nonce_expires_with_stale_true(start_sim):
    sim = start_sim({"printers": [steady(kind="prusalink", name="mk4", password="pw-3")]})
    uri = "/api/v1/status"
    challenge = requests.get(sim.url("mk4", uri), timeout=5).headers["WWW-Authenticate"]
    realm = challenge.split('realm="')[1].split('"')[0]
    nonce = challenge.split('nonce="')[1].split('"')[0]

    def md5(text):
        return hashlib.md5(text.encode()).hexdigest()

    def answer(password):
        resp = md5("%s:%s:%s" % (md5("maker:%s:%s" % (realm, password)), nonce,
                                 md5("GET:" + uri)))
        return ('Digest username="maker", realm="%s", nonce="%s", uri="%s", '
                'response="%s"' % (realm, nonce, uri, resp))

    ok = requests.get(sim.url("mk4", uri), headers={"Authorization": answer("pw-3")},
                      timeout=5)
    assert ok.status_code == 200 and ok.json()["printer"]["state"] == "PRINTING"
    wrong = requests.get(sim.url("mk4", uri), headers={"Authorization": answer("pw-4")},
                         timeout=5)
    assert wrong.status_code == 401 and "stale" not in wrong.headers["WWW-Authenticate"]
    time.sleep(6.5)
    old = requests.get(sim.url("mk4", uri), headers={"Authorization": answer("pw-3")},
                       timeout=5)
    assert old.status_code == 401 and "stale=true" in old.headers["WWW-Authenticate"]


def test_prusalink_pause_resume_and_stop_change_the_job_state(start_sim):
    sim = start_sim({"printers": [steady(kind="prusalink", name="mk4", password="pw-2")]})
    s = requests.Session()
    s.auth = HTTPDigestAuth("maker", "pw-2")
    job_id = s.get(sim.url("mk4", "/api/v1/job"), timeout=5).json()["id"]

    def state():
        return s.get(sim.url("mk4", "/api/v1/status"), timeout=5).json()["printer"]["state"]

    assert s.put(sim.url("mk4", "/api/v1/job/%d/pause" % (job_id + 1)), timeout=5).status_code == 404
    assert s.put(sim.url("mk4", "/api/v1/job/%d/resume" % job_id), timeout=5).status_code == 409
    assert s.put(sim.url("mk4", "/api/v1/job/%d/pause" % job_id), timeout=5).status_code == 204
    assert state() == "PAUSED"
    assert s.put(sim.url("mk4", "/api/v1/job/%d/pause" % job_id), timeout=5).status_code == 409
    assert s.put(sim.url("mk4", "/api/v1/job/%d/resume" % job_id), timeout=5).status_code == 204
    assert state() == "PRINTING"
    assert s.delete(sim.url("mk4", "/api/v1/job/%d" % job_id), timeout=5).status_code == 204
    assert state() == "STOPPED"
    assert s.get(sim.url("mk4", "/api/v1/job"), timeout=5).json()["state"] == "STOPPED"


def test_octoprint_wants_its_api_key_and_obeys_job_commands(start_sim):
    sim = start_sim({"printers": [steady(kind="octoprint", name="octo", api_key="OCTOKEY1")]})
    h = {"X-Api-Key": "OCTOKEY1"}
    for path in ("/api/version", "/api/printer", "/api/job", "/api/files/local"):
        assert requests.get(sim.url("octo", path), timeout=5).status_code == 403
        assert requests.get(sim.url("octo", path), headers={"X-Api-Key": "nope"},
                            timeout=5).status_code == 403
    assert requests.get(sim.url("octo", "/api/version"), timeout=5,
                        headers={"Authorization": "Bearer OCTOKEY1"}).json()["api"] == "0.1"

    pr = requests.get(sim.url("octo", "/api/printer"), headers=h, timeout=5).json()
    assert pr["state"]["flags"]["printing"] is True
    assert isinstance(pr["temperature"]["tool0"]["actual"], float)
    job = requests.get(sim.url("octo", "/api/job"), headers=h, timeout=5).json()
    assert job["state"] == "Printing"
    assert 0 <= job["progress"]["completion"] <= 100
    assert job["job"]["file"]["name"].endswith(".gcode")
    files = requests.get(sim.url("octo", "/api/files/local"), headers=h, timeout=5).json()
    assert files["files"][0]["type"] == "machinecode"

    def post(body):
        return requests.post(sim.url("octo", "/api/job"), headers=h, json=body, timeout=5)

    def flags():
        return requests.get(sim.url("octo", "/api/printer"), headers=h,
                            timeout=5).json()["state"]["flags"]

    assert post({"command": "pause", "action": "pause"}).status_code == 204
    assert flags()["paused"] is True
    assert post({"command": "pause", "action": "pause"}).status_code == 409
    assert post({"command": "pause", "action": "resume"}).status_code == 204
    assert flags()["printing"] is True
    assert post({"command": "cancel"}).status_code == 204
    assert flags()["ready"] is True
    assert post({"command": "pause", "action": "pause"}).status_code == 409
    assert post({"command": "dance"}).status_code == 400


def test_moonraker_queries_objects_and_controls_the_print(start_sim):
    sim = start_sim({"printers": [steady(kind="moonraker", name="voron", api_key="MOONKEY")]})
    h = {"X-Api-Key": "MOONKEY"}
    r = requests.get(sim.url("voron", "/server/info"), timeout=5)
    assert r.status_code == 401 and r.json()["error"]["code"] == 401
    assert requests.get(sim.url("voron", "/server/info"), headers={"X-Api-Key": "x"},
                        timeout=5).status_code == 401
    assert requests.get(sim.url("voron", "/server/info"), headers=h,
                        timeout=5).json()["result"]["klippy_state"] == "ready"

    q = requests.get(sim.url("voron", "/printer/objects/query?print_stats&virtual_sdcard"
                                      "&extruder=temperature,target&heater_bed&nonsense"),
                     headers=h, timeout=5).json()["result"]
    assert set(q["status"]) == {"print_stats", "virtual_sdcard", "extruder", "heater_bed"}
    assert set(q["status"]["extruder"]) == {"temperature", "target"}
    assert q["status"]["print_stats"]["state"] == "printing"
    assert 0 <= q["status"]["virtual_sdcard"]["progress"] <= 1
    assert isinstance(q["eventtime"], float)
    posted = requests.post(sim.url("voron", "/printer/objects/query"), headers=h, timeout=5,
                           json={"objects": {"webhooks": ["state"]}}).json()["result"]
    assert posted["status"] == {"webhooks": {"state": "ready"}}
    files = requests.get(sim.url("voron", "/server/files/list?root=gcodes"), headers=h,
                         timeout=5).json()["result"]
    assert files[0]["path"].endswith(".gcode") and files[0]["size"] > 0

    def state():
        return requests.get(sim.url("voron", "/printer/objects/query?print_stats"), headers=h,
                            timeout=5).json()["result"]["status"]["print_stats"]["state"]

    def post(what):
        return requests.post(sim.url("voron", "/printer/print/" + what), headers=h, timeout=5)

    assert post("pause").json() == {"result": "ok"}
    assert state() == "paused"
    assert post("pause").status_code == 400
    assert post("resume").json() == {"result": "ok"}
    assert state() == "printing"
    assert post("cancel").json() == {"result": "ok"}
    assert state() == "cancelled"
    assert requests.post(sim.url("voron", "/printer/print/start?filename=cube.gcode"),
                         headers=h, timeout=5).json() == {"result": "ok"}
    q = requests.get(sim.url("voron", "/printer/objects/query?print_stats"), headers=h,
                     timeout=5).json()["result"]["status"]["print_stats"]
    assert q["state"] == "printing" and q["filename"] == "cube.gcode"


def test_http_connections_stay_open_and_requests_are_bounded(start_sim):
    sim = start_sim({"printers": [steady(kind="octoprint", name="octo", api_key="K")]})
    port = sim.by_name["octo"]["port"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        req = b"GET /api/version HTTP/1.1\r\nHost: x\r\nX-Api-Key: K\r\n\r\n"
        c.sendall(req + req)
        data = b""
        while data.count(b"OctoPrint 1.") < 2:
            chunk = c.recv(65536)
            assert chunk, "connection closed after %r" % data
            data += chunk
        assert data.count(b"HTTP/1.1 200 OK") == 2
        assert b"Connection: keep-alive" in data
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(b"GET /api/version HTTP/1.1\r\nX-Pad: " + b"a" * 20000 + b"\r\n\r\n")
        assert c.recv(4096).startswith(b"HTTP/1.1 431")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(b"POST /api/job HTTP/1.1\r\nX-Api-Key: K\r\n"
                  b"Content-Length: 10000000\r\n\r\n")
        assert c.recv(4096).startswith(b"HTTP/1.1 413")


def test_scripted_prints_run_to_the_end_at_a_high_time_factor(start_sim):
    fast = {"idle_seconds": 0, "prepare_seconds": 30, "print_seconds": 600, "layers": 40}
    sim = start_sim({"time_factor": 150, "printers": [
        dict(fast, kind="prusalink", name="mk4", password="p"),
        dict(fast, kind="octoprint", name="octo", api_key="k"),
        dict(fast, kind="moonraker", name="voron", api_key="k")]})
    auth = HTTPDigestAuth("maker", "p")
    seen = {"mk4": [], "octo": [], "voron": []}
    deadline = time.time() + 30
    while time.time() < deadline:
        st = requests.get(sim.url("mk4", "/api/v1/status"), auth=auth, timeout=5).json()
        seen["mk4"].append((st["printer"]["state"], st.get("job", {}).get("progress")))
        j = requests.get(sim.url("octo", "/api/job"), headers={"X-Api-Key": "k"},
                         timeout=5).json()
        seen["octo"].append((j["state"], j["progress"]["completion"]))
        m = requests.get(sim.url("voron", "/printer/objects/query?print_stats&virtual_sdcard"),
                         headers={"X-Api-Key": "k"}, timeout=5).json()["result"]["status"]
        seen["voron"].append((m["print_stats"]["state"], m["virtual_sdcard"]["progress"],
                              m["print_stats"]["info"]["current_layer"]))
        if seen["mk4"][-1][0] == "FINISHED" and seen["voron"][-1][0] == "complete" \
                and seen["octo"][-1] == ("Operational", 100):
            break
        time.sleep(0.2)
    assert seen["mk4"][-1] == ("FINISHED", 100)
    assert seen["voron"][-1][:3] == ("complete", 1, 40)
    assert seen["octo"][-1] == ("Operational", 100)
    # it printed on the way, and progress never went back
    printing = [p for s, p in seen["mk4"] if s == "PRINTING"]
    assert any(0 < p < 100 for p in printing)
    assert printing == sorted(printing)
    layers = [layer for s, _, layer in seen["voron"] if s == "printing"]
    assert layers == sorted(layers) and len(set(layers)) > 1


def test_failing_scenario_reports_an_error_mid_print(start_sim):
    fail = {"scenario": "fail", "fail_at": 30, "idle_seconds": 0, "prepare_seconds": 0,
            "print_seconds": 300}
    sim = start_sim({"time_factor": 100, "printers": [
        dict(fail, kind="prusalink", name="mk4", password="p"),
        dict(fail, kind="octoprint", name="octo", api_key="k"),
        dict(fail, kind="moonraker", name="voron", api_key="k")]})
    deadline = time.time() + 20
    while time.time() < deadline:
        st = requests.get(sim.url("mk4", "/api/v1/status"), auth=HTTPDigestAuth("maker", "p"),
                          timeout=5).json()
        if st["printer"]["state"] == "ERROR":
            break
        time.sleep(0.1)
    assert st["printer"]["state"] == "ERROR"
    assert 30 <= st["job"]["progress"] < 50
    assert st["status_printer"]["ok"] is False
    octo = requests.get(sim.url("octo", "/api/job"), headers={"X-Api-Key": "k"}, timeout=5)
    assert octo.json()["state"] == "Error" and octo.json()["error"]
    assert requests.get(sim.url("octo", "/api/printer"), headers={"X-Api-Key": "k"},
                        timeout=5).status_code == 409
    ps = requests.get(sim.url("voron", "/printer/objects/query?print_stats"),
                      headers={"X-Api-Key": "k"}, timeout=5).json()["result"]["status"]
    assert ps["print_stats"]["state"] == "error" and ps["print_stats"]["message"]


def test_offline_scenario_stops_answering_and_comes_back(start_sim):
    sim = start_sim({"time_factor": 100, "printers": [
        {"kind": "prusalink", "name": "core", "password": "p", "scenario": "offline",
         "idle_seconds": 0, "prepare_seconds": 0, "print_seconds": 400,
         "offline_seconds": 150}]})
    url = sim.url("core", "/api/v1/status")
    auth = HTTPDigestAuth("maker", "p")
    timeline = []
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            st = requests.get(url, auth=auth, timeout=2).json()["printer"]["state"]
        except requests.ConnectionError:
            st = "unreachable"
        if not timeline or timeline[-1] != st:
            timeline.append(st)
        if st == "FINISHED":
            break
        time.sleep(0.05)
    assert timeline[0] == "PRINTING"
    assert "unreachable" in timeline
    assert timeline[timeline.index("unreachable") + 1] in ("PRINTING", "FINISHED")
    assert timeline[-1] == "FINISHED"


def test_hang_scenario_accepts_connections_but_answers_nothing_for_a_while(start_sim):
    sim = start_sim({"time_factor": 100, "printers": [
        {"kind": "octoprint", "name": "octo", "api_key": "k", "scenario": "hang",
         "idle_seconds": 0, "prepare_seconds": 0, "print_seconds": 400,
         "offline_seconds": 150}]})
    timeline = []
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            st = requests.get(sim.url("octo", "/api/job"), headers={"X-Api-Key": "k"},
                              timeout=0.5).json()["state"]
        except requests.exceptions.ReadTimeout:
            st = "silent"
        if not timeline or timeline[-1] != st:
            timeline.append(st)
        if st == "Operational":
            break
        time.sleep(0.05)
    assert timeline[0] == "Printing"
    assert "silent" in timeline
    assert timeline[-1] == "Operational"


def test_badauth_printer_refuses_the_credentials_it_advertises(start_sim):
    sim = start_sim({"printers": [
        {"kind": "octoprint", "name": "octo", "api_key": "ADVERTISED", "scenario": "badauth"},
        {"kind": "prusalink", "name": "mk4", "password": "advertised", "scenario": "badauth"}]})
    assert sim.by_name["octo"]["api_key"] == "ADVERTISED"
    assert requests.get(sim.url("octo", "/api/version"), headers={"X-Api-Key": "ADVERTISED"},
                        timeout=5).status_code == 403
    assert requests.get(sim.url("mk4", "/api/v1/status"),
                        auth=HTTPDigestAuth("maker", "advertised"), timeout=5).status_code == 401


# ---- Bambu over MQTT ----

def test_bambu_broker_has_the_serial_as_tls_name_and_checks_the_access_code(start_sim):
    sim = start_sim({"printers": [steady(kind="bambu", name="p1s", serial="01P00A123456789",
                                         access_code="24681357")]})
    p = sim.by_name["p1s"]
    assert p["tls_name"] == "01P00A123456789" and p["username"] == "bblp"
    ctx = ssl.create_default_context(cafile=p["ca_file"])
    with socket.create_connection(("127.0.0.1", p["port"]), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="01P00A123456789") as tls:
            subject = dict(x[0] for x in tls.getpeercert()["subject"])
            assert subject["commonName"] == "01P00A123456789"
    with socket.create_connection(("127.0.0.1", p["port"]), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    # a client that trusts only the public CAs refuses the simulator's certificate
    with socket.create_connection(("127.0.0.1", p["port"]), timeout=5) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.create_default_context().wrap_socket(raw, server_hostname="01P00A123456789")

    bad = subprocess.run(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(p["port"]), "--cafile", p["ca_file"],
         "--insecure", "-u", "bblp", "-P", "00000000", "-t", "#", "-C", "1", "-W", "5"],
        capture_output=True, text=True, timeout=20)
    assert bad.returncode != 0 and "not authorised" in bad.stderr

    w = Watch(sim.by_name["p1s"])
    try:
        m = w.next(lambda m: "print" in m)
        assert print_part(m)["command"] == "push_status"
    finally:
        w.close()


def test_bambu_sends_partial_reports_and_a_full_one_on_pushall(start_sim):
    sim = start_sim({"printers": [
        steady(kind="bambu", name="p1s", serial="01P00A000000011", access_code="11112222",
               layers=50000)]})
    w = Watch(sim.by_name["p1s"])
    try:
        first = print_part(w.next(lambda m: "print" in m))
        later = print_part(w.next(lambda m: "print" in m))
        assert "fun" not in later and "nozzle_target_temper" not in later
        assert later["msg"] == 1
        assert publish(sim, "p1s", {"pushing": {"sequence_id": "42", "command": "pushall",
                                                "version": 1, "push_target": 1}}).returncode == 0
        full = print_part(w.next(lambda m: print_part(m).get("sequence_id") == "42"))
    finally:
        w.close()
    assert first["command"] == "push_status"
    assert full["gcode_state"] == "RUNNING"
    assert full["nozzle_target_temper"] == 220 and full["bed_target_temper"] == 55
    assert full["subtask_name"] and full["total_layer_num"] == 50000
    assert 0 <= full["mc_percent"] <= 100 and full["mc_remaining_time"] > 0
    assert int(full["fun"], 16) & 0x20000000 == 0
    assert full["print_error"] == 0 and full["hms"] == []
    assert len(full["ams"]["ams"][0]["tray"]) == 4


def test_bambu_pause_resume_and_stop_over_mqtt(start_sim):
    sim = start_sim({"printers": [
        steady(kind="bambu", name="x1c", serial="00M09A000000022", access_code="33334444",
               report="full")]})
    w = Watch(sim.by_name["x1c"])
    try:
        assert print_part(w.next(lambda m: "print" in m))["gcode_state"] == "RUNNING"
        publish(sim, "x1c", {"print": {"sequence_id": "5", "command": "pause", "param": ""}})
        reply = print_part(w.next(lambda m: print_part(m).get("command") == "pause"))
        assert reply["result"] == "success" and reply["sequence_id"] == "5"
        assert print_part(w.next(lambda m: print_part(m).get("gcode_state") == "PAUSE"))
        publish(sim, "x1c", {"print": {"sequence_id": "6", "command": "resume", "param": ""}})
        assert print_part(w.next(lambda m: print_part(m).get("gcode_state") == "RUNNING"))
        publish(sim, "x1c", {"print": {"sequence_id": "7", "command": "stop", "param": ""}})
        stopped = print_part(w.next(lambda m: print_part(m).get("gcode_state") == "FAILED"))
        assert stopped["print_error"] == 50348044
        publish(sim, "x1c", {"print": {"sequence_id": "8", "command": "project_file",
                                       "param": "Metadata/plate_1.gcode",
                                       "url": "file:///sdcard/cube.3mf", "subtask_name": "cube",
                                       "use_ams": True, "ams_mapping": [0]}})
        started = print_part(w.next(lambda m: print_part(m).get("subtask_name") == "cube"))
        assert started["gcode_state"] in ("PREPARE", "RUNNING")
    finally:
        w.close()


def test_bambu_without_developer_mode_refuses_control(start_sim):
    sim = start_sim({"printers": [
        steady(kind="bambu", name="a1", serial="03000A000000033", access_code="55556666",
               developer_mode=False)]})
    w = Watch(sim.by_name["a1"])
    try:
        w.next(lambda m: "print" in m)
        publish(sim, "a1", {"print": {"sequence_id": "9", "command": "pause", "param": ""}})
        reply = print_part(w.next(lambda m: print_part(m).get("command") == "pause"))
        assert reply["result"] == "fail"
        publish(sim, "a1", {"pushing": {"sequence_id": "10", "command": "pushall"}})
        full = print_part(w.next(lambda m: print_part(m).get("sequence_id") == "10"))
    finally:
        w.close()
    assert full["gcode_state"] == "RUNNING"
    assert int(full["fun"], 16) & 0x20000000


def test_bambu_failure_reports_print_error_and_hms(start_sim):
    sim = start_sim({"time_factor": 100, "printers": [
        {"kind": "bambu", "name": "p1s", "serial": "01P00A000000044", "access_code": "77778888",
         "scenario": "fail", "fail_at": 20, "idle_seconds": 0, "prepare_seconds": 0,
         "print_seconds": 600}]})
    w = Watch(sim.by_name["p1s"])
    try:
        w.next(lambda m: "print" in m)
        # P1 reports carry only changes: ask for everything in case it failed already
        publish(sim, "p1s", {"pushing": {"sequence_id": "1", "command": "pushall"}})
        failed = print_part(w.next(lambda m: print_part(m).get("gcode_state") == "FAILED",
                                   timeout=20))
    finally:
        w.close()
    assert failed["print_error"] != 0
    assert failed["hms"] and {"attr", "code"} <= set(failed["hms"][0])


def test_bambu_offline_closes_the_broker_and_it_comes_back(start_sim):
    sim = start_sim({"time_factor": 40, "printers": [
        {"kind": "bambu", "name": "p1s", "serial": "01P00A000000055", "access_code": "99990000",
         "scenario": "offline", "idle_seconds": 0, "prepare_seconds": 0, "print_seconds": 200,
         "offline_seconds": 120}]})
    p = sim.by_name["p1s"]
    w = Watch(sim.by_name["p1s"], timeout=60)
    try:
        w.next(lambda m: "print" in m)
        # the printer's broker goes away: connections are refused
        refused = False
        deadline = time.time() + 20
        while time.time() < deadline and not refused:
            try:
                socket.create_connection(("127.0.0.1", p["port"]), timeout=2).close()
                time.sleep(0.05)
            except OSError:
                refused = True
        assert refused
        while not w.q.empty():
            w.q.get_nowait()
        # it comes back, and the subscriber (which reconnects) gets reports again
        assert "print" in w.next(lambda m: m is not None and "print" in m, timeout=20)
    finally:
        w.close()


def test_bambu_hang_keeps_the_connection_silent_then_reports_again(start_sim):
    sim = start_sim({"time_factor": 40, "printers": [
        {"kind": "bambu", "name": "p1s", "serial": "01P00A000000066", "access_code": "12121212",
         "scenario": "hang", "idle_seconds": 0, "prepare_seconds": 0, "print_seconds": 200,
         "offline_seconds": 120}]})
    w = Watch(sim.by_name["p1s"], timeout=60)
    try:
        w.next(lambda m: "print" in m)
        last, gap = time.time(), 0
        deadline = time.time() + 25
        while time.time() < deadline:
            w.next(lambda m: "print" in m, timeout=25)
            now = time.time()
            gap = max(gap, now - last)
            last = now
            if gap > 2:
                break
        assert gap > 2   # reports normally come every second
    finally:
        w.close()


def test_bambu_flood_sends_many_reports_a_second(start_sim):
    sim = start_sim({"printers": [
        steady(kind="bambu", name="p1s", serial="01P00A000000077", access_code="34343434",
               scenario="flood")]})
    w = Watch(sim.by_name["p1s"])
    try:
        w.next(lambda m: "print" in m)
        start, n = time.time(), 0
        while time.time() - start < 2:
            w.next(lambda m: "print" in m)
            n += 1
    finally:
        w.close()
    assert n > 30


# ---- the demo farm ----

def test_demo_farm_describes_a_mixed_farm_that_answers(start_sim):
    sim = start_sim(args=["--demo", "demo"], sub="d")
    printers = sim.farm["printers"]
    assert len(printers) >= 6
    kinds = {p["kind"] for p in printers}
    assert kinds == {"bambu", "prusalink", "octoprint", "moonraker"}
    scenarios = {p["scenario"] for p in printers}
    assert {"print", "idle", "fail", "offline"} <= scenarios
    for p in printers:
        if p["kind"] == "prusalink":
            r = requests.get("http://127.0.0.1:%d/api/v1/status" % p["port"],
                             auth=HTTPDigestAuth(p["username"], p["password"]), timeout=5)
            assert r.status_code == 200
        elif p["kind"] == "octoprint":
            r = requests.get("http://127.0.0.1:%d/api/version" % p["port"],
                             headers={"X-Api-Key": p["api_key"]}, timeout=5)
            assert r.status_code == (403 if p["scenario"] == "badauth" else 200)
        elif p["kind"] == "moonraker":
            r = requests.get("http://127.0.0.1:%d/server/info" % p["port"],
                             headers={"X-Api-Key": p["api_key"]}, timeout=5)
            assert r.status_code == 200
        else:
            assert p["ca_file"] == sim.farm["ca_file"] and p["tls_name"] == p["serial"]
    bambu = next(p for p in printers if p["kind"] == "bambu")
    w = Watch(sim.by_name[bambu["name"]])
    try:
        assert "print" in w.next(lambda m: "print" in m)
    finally:
        w.close()


def test_printers_given_as_flags_with_a_count(start_sim):
    sim = start_sim(args=["--printer", "kind=moonraker,name=v,api_key=FLAGKEY,count=3",
                          "--printer", "kind=bambu,serial=01P00A0000,count=2",
                          "--run-dir", "run", "--time-factor", "5"], sub="flags")
    names = [p["name"] for p in sim.farm["printers"]]
    assert names[:3] == ["v-1", "v-2", "v-3"]
    assert [p["serial"] for p in sim.farm["printers"][3:]] == ["01P00A000000001",
                                                               "01P00A000000002"]
    assert len({p["port"] for p in sim.farm["printers"]}) == 5
    for name in names[:3]:
        r = requests.get(sim.url(name, "/server/info"), headers={"X-Api-Key": "FLAGKEY"},
                         timeout=5)
        assert r.status_code == 200
        assert sim.by_name[name]["time_factor"] == 5
    for name in names[3:]:
        w = Watch(sim.by_name[name])
        try:
            assert "print" in w.next(lambda m: "print" in m)
        finally:
            w.close()


def test_sim_refuses_a_bad_configuration(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"printers": [{"kind": "makerbot"}]}))
    r = subprocess.run([str(default_bin()), "sim", "--config", str(path)],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and "kind must be" in r.stderr
    path.write_text(json.dumps({"printers": [{"kind": "octoprint", "colour": "red"}]}))
    r = subprocess.run([str(default_bin()), "sim", "--config", str(path)],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and '"colour"' in r.stderr
