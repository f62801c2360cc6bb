"""printyard telemetry against hostile printers: one bad printer hurts only itself.

One module-wide farm: a simulated Bambu printer that the tests feed hostile
messages on its report topic (published as the printer would, with
mosquitto_pub and the test CA), a Bambu printer flooding fifty reports a
second, a Bambu printer whose broker hangs mid-print, a PrusaLink printer
that hangs mid-print, two fake OctoPrint printers served here (one answers
with a 50 MB body, one stops in the middle of its answer), and two steady
printers (Bambu and PrusaLink) that must keep progressing through all of it.
One `printyard telemetry` watches them all; every test checks that it still
runs, that its heartbeat advances, and that the steady printers keep being
heard from.

Memory bound: the worker's resident size may grow by at most MEMORY_SLACK_MB
(8) over what it held once every printer was connected (about 15 MB; it grew
by well under 1 MB in these tests).  The worker needs to hold at most one
incoming MQTT message at a time per printer and at most 256 KiB per HTTP
answer, and frees them before the next turn of its loop; keeping two of the
three 4 MB reports, the 50 MB body, or the 5,000 burst messages with their
state rows (about 1 KB each) would exceed the bound.  Under AddressSanitizer,
whose quarantine keeps freed memory resident, the bound is 64 MB.
"""
import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness import default_bin
from simfarm import Proc, registered, start_sim, start_worker, stop_farm, wait_for

FACTOR = 20
PREFIX = "Hostile "
MEMORY_SLACK_MB = 8
MEMORY_SLACK_ASAN_MB = 64


# ---- fake OctoPrint printers that misbehave on the wire ----

class Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = None          # "huge" or "stall", set per server
    requests = None      # a list shared with the test

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.requests.append(self.path)
        if self.mode == "huge":
            # 50 MB without a length (chunked), sent until the client hangs up
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            data = b'{"state": {"text": "' + b"x" * 65516
            chunk = b"%x\r\n" % len(data) + data + b"\r\n"
            try:
                for _ in range(50 * 1024 * 1024 // len(data)):
                    self.wfile.write(chunk)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
            self.close_connection = True
        else:
            # a good beginning, then silence with the connection open
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "400")
            self.end_headers()
            try:
                self.wfile.write(b'{"state": {"text": "Printing", "flags": {')
                self.wfile.flush()
            except OSError:
                return
            time.sleep(40)
            self.close_connection = True


def fake_printer(mode):
    handler = type("Hostile" + mode, (Hostile,), {"mode": mode, "requests": []})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, handler.requests


# ---- the farm ----

@pytest.fixture(scope="module")
def yard(server, tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    common = {"time_factor": FACTOR, "idle_seconds": 0, "prepare_seconds": 0}
    config = {"printers": [
        dict(common, kind="bambu", name=PREFIX + "Target", scenario="idle"),
        dict(common, kind="bambu", name=PREFIX + "Steady", scenario="print",
             print_seconds=400000, layers=100000),
        dict(common, kind="prusalink", name=PREFIX + "Steady MK4", scenario="print",
             print_seconds=400000),
        dict(common, kind="bambu", name=PREFIX + "Flood", scenario="flood",
             print_seconds=400000),
        dict(common, kind="bambu", name=PREFIX + "Hung Bambu", scenario="hang",
             print_seconds=600, offline_seconds=100000),
        dict(common, kind="prusalink", name=PREFIX + "Hung MK4", scenario="hang",
             print_seconds=600, offline_seconds=100000),
    ]}
    sim, farm_file = start_sim(server, d, config)
    farm = json.loads(farm_file.read_text())
    fakes = {}
    for mode in ("huge", "stall"):
        srv, seen = fake_printer(mode)
        fakes[mode] = (srv, seen)
        farm["printers"].append({"name": PREFIX + mode.capitalize(), "kind": "octoprint",
                                 "host": "127.0.0.1", "port": srv.server_address[1],
                                 "api_key": "hostile-key"})
    (d / "farm.json").write_text(json.dumps(farm))
    # under AddressSanitizer freed memory waits in a quarantine (256 MB by
    # default) that would count as growth: keep it small for this worker
    env = dict(server.env, ASAN_OPTIONS=server.env["ASAN_OPTIONS"] +
               ":quarantine_size_mb=8:thread_local_quarantine_size_kb=256")
    worker = start_worker(server, d / "farm.json", d / "telemetry.log", env=env)
    ids = registered(server, PREFIX, len(farm["printers"]))
    assert ids, worker.text()
    y = {"ids": ids, "worker": worker, "sim": sim, "server": server, "fakes": fakes,
         "by_name": {p["name"]: p for p in farm["printers"]}, "dir": d}
    # every simulated printer connected and reporting
    assert wait_for(lambda: all(online(y, PREFIX + name) for name in
                                ("Target", "Steady", "Steady MK4", "Flood")), 60), \
        worker.text()[-3000:]
    time.sleep(3)
    y["rss0"] = worker.rss_mb()
    yield y
    rc = stop_farm(server, worker, sim, PREFIX)
    for srv, _ in fakes.values():
        srv.shutdown()
    assert rc == 0, worker.text()[-3000:]


def state(y, name):
    rows = y["server"].psql(
        "SELECT online, status::text, layer, progress::float8, nozzle_c::float8, "
        "job, last_message_at, now() FROM printer_state WHERE printer_id = %s",
        (y["ids"][name],))
    if not rows:
        return None
    keys = ("online", "status", "layer", "progress", "nozzle_c", "job", "heard", "now")
    return dict(zip(keys, rows[0]))


def online(y, name):
    s = state(y, name)
    return s is not None and s["online"]


def beat_at(y):
    rows = y["server"].psql("SELECT beat_at, pid FROM heartbeats WHERE process = 'telemetry'")
    return rows[0] if rows else (None, None)


def bad_log_lines(y, name):
    return [line for line in y["worker"].text().splitlines()
            if 'msg="bad printer answer"' in line and ("printer=" + name + " ") in
            line.replace('"', "")]


def logged_at(line):
    """Epoch seconds of a log line (ts=2026-11-21T19:00:15.689Z ...)."""
    stamp = line.split()[0].split("=", 1)[1]
    return time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone


def assert_once_a_minute(lines):
    """Consecutive lines of one printer lie at least a minute apart."""
    at = [logged_at(line) for line in lines]
    assert all(b - a >= 59 for a, b in zip(at, at[1:])), lines


def assert_unharmed(y, since):
    """The worker runs, its heartbeat and both steady printers advance after `since`."""
    w = y["worker"]
    assert w.proc.poll() is None, w.text()[-3000:]
    at, pid = wait_for(lambda: (lambda b: b if b[0] and b[0] > since else None)(beat_at(y)), 15) \
        or (None, None)
    assert at and pid == w.proc.pid, (beat_at(y), since)
    steady = state(y, PREFIX + "Steady")
    layer = steady["layer"] or 0
    # the steady Bambu printer's layer keeps growing, PrusaLink keeps being heard
    assert wait_for(lambda: (state(y, PREFIX + "Steady")["layer"] or 0) > layer, 15), \
        (state(y, PREFIX + "Steady"), w.text()[-2000:])
    mk4 = wait_for(lambda: (lambda s: s if s["heard"] and s["heard"] > since else None)(
        state(y, PREFIX + "Steady MK4")), 20)
    assert mk4 and mk4["online"] and mk4["status"] == "printing", state(y, PREFIX + "Steady MK4")


def assert_memory_bounded(y):
    pid = y["worker"].proc.pid
    with open("/proc/%d/maps" % pid) as f:
        slack = MEMORY_SLACK_ASAN_MB if "libasan" in f.read() else MEMORY_SLACK_MB
    rss = y["worker"].rss_mb()
    assert rss - y["rss0"] < slack, (y["rss0"], rss)


def publish(y, name, payload=None, file=None, lines=None):
    """Publishes on the printer's report topic, as the printer itself."""
    p = y["by_name"][name]
    argv = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(p["port"]), "--cafile",
            p["ca_file"], "--insecure", "-u", "bblp", "-P", p["access_code"],
            "-t", "device/%s/report" % p["serial"]]
    if file is not None:
        argv += ["-f", str(file)]
    elif lines is not None:
        argv += ["-l"]
    else:
        argv += ["-m", payload if isinstance(payload, str) else json.dumps(payload)]
    r = subprocess.run(argv, input=lines, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def now_db(y):
    return y["server"].psql("SELECT now()")[0][0]


def test_broken_and_wrongly_typed_reports_are_counted_and_numbers_as_strings_read(yard):
    y = yard
    since = now_db(y)
    target = PREFIX + "Target"
    for bad in ('{"print": {"command": "push_status", "mc_percent": ',   # cut off
                "not json at all \x01\x02",
                '{"print": {"mc_percent": 1e999999}}'):
        publish(y, target, bad)
    # valid JSON with the wrong types where numbers, strings and lists belong
    publish(y, target, {"print": {"command": "push_status", "mc_percent": {"x": 1},
                                  "layer_num": [3], "nozzle_temper": "hot",
                                  "gcode_state": 7, "ams": "none", "hms": 5,
                                  "subtask_name": {"a": "b"}}})
    publish(y, target, ["print", 1, None])
    # what Bambu firmware really sends: numbers as strings
    publish(y, target, {"print": {"command": "push_status", "gcode_state": "RUNNING",
                                  "mc_percent": "42", "layer_num": "7",
                                  "total_layer_num": "150", "nozzle_temper": "201.5",
                                  "subtask_name": "hostile.3mf"}})
    s = wait_for(lambda: (lambda s: s if s["layer"] == 7 else None)(state(y, target)), 15)
    assert s, (state(y, target), y["worker"].text()[-2000:])
    assert s["online"] and s["status"] == "printing"
    assert s["progress"] == 42 and s["nozzle_c"] == 201.5 and s["job"] == "hostile.3mf"
    # the broken ones were counted and logged once, not once each
    lines = wait_for(lambda: bad_log_lines(y, target), 10)
    assert len(lines) == 1, lines
    assert "count=1" in lines[0] or 'count="1"' in lines[0], lines
    assert_unharmed(y, since)


def test_a_4_mb_report_is_refused_without_keeping_it(yard, tmp_path):
    y = yard
    since = now_db(y)
    target = PREFIX + "Target"
    publish(y, target, {"print": {"command": "push_status", "subtask_name": "before.3mf"}})
    assert wait_for(lambda: state(y, target)["job"] == "before.3mf", 15), state(y, target)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"print": {"command": "push_status",
                                         "subtask_name": "x" * (4 * 1024 * 1024)}}))
    for _ in range(3):
        publish(y, target, file=big)
    publish(y, target, {"print": {"command": "push_status", "layer_num": 8}})
    s = wait_for(lambda: (lambda s: s if s["layer"] == 8 else None)(state(y, target)), 20)
    assert s and s["online"], (state(y, target), y["worker"].text()[-2000:])
    # the huge name never became the job
    assert s["job"] == "before.3mf"
    assert_unharmed(y, since)
    assert_memory_bounded(y)


def test_a_burst_of_5000_reports_is_read_and_dropped_from_memory(yard):
    y = yard
    since = now_db(y)
    target = PREFIX + "Target"
    burst = "".join(json.dumps({"print": {"command": "push_status", "layer_num": 1000 + i,
                                          "nozzle_temper": 200 + i % 10}}) + "\n"
                    for i in range(5000))
    publish(y, target, lines=burst)
    # the worker reads the burst to its end; it does not queue it up
    s = wait_for(lambda: (lambda s: s if (s["layer"] or 0) >= 1000 else None)(
        state(y, target)), 30)
    assert s and s["online"], (state(y, target), y["worker"].text()[-2000:])
    assert wait_for(lambda: state(y, target)["layer"] == 5999, 30), state(y, target)
    assert_unharmed(y, since)
    assert_memory_bounded(y)


def test_a_flooding_printer_is_read_and_harms_no_other(yard):
    y = yard
    since = now_db(y)
    flood = PREFIX + "Flood"
    before = state(y, flood)
    assert before["online"] and before["status"] == "printing"
    time.sleep(5)
    after = wait_for(lambda: (lambda s: s if s["heard"] > since else None)(state(y, flood)), 15)
    assert after and after["online"], state(y, flood)
    assert_unharmed(y, since)
    assert_memory_bounded(y)


def test_hung_printers_go_offline_alone(yard):
    y = yard
    since = now_db(y)
    # the hang starts at 50 % (15 s at this time factor) and does not end
    # A hung Bambu printer first stops sending reports; the worker then
    # tries again and the hung printer never finishes the handshake.  Either
    # reason may be the latest one when the test looks.
    for name, whys in (("Hung Bambu", ("stopped sending reports",
                                       "handshake in time")),
                       ("Hung MK4", ("",))):
        s = wait_for(lambda: (lambda s: s if s and not s["online"] and
                              s["status"] == "offline" else None)(state(y, PREFIX + name)), 90)
        assert s, (name, state(y, PREFIX + name), y["worker"].text()[-2000:])
        err = y["server"].psql("SELECT last_error FROM printers WHERE id = %s",
                               (y["ids"][PREFIX + name],))[0][0]
        assert err and any(why in err for why in whys), err
    assert_unharmed(y, since)


def test_a_50_mb_answer_is_cut_off_and_a_stalled_answer_times_out(yard):
    y = yard
    since = now_db(y)
    huge_srv, huge_seen = y["fakes"]["huge"]
    stall_srv, stall_seen = y["fakes"]["stall"]
    # both were asked, more than once: the worker came back after each
    assert wait_for(lambda: len(huge_seen) >= 2 and len(stall_seen) >= 2, 60), \
        (huge_seen, stall_seen)
    lines = bad_log_lines(y, PREFIX + "Huge")
    assert lines and "larger than 256 KiB" in lines[0], lines
    assert_once_a_minute(lines)
    s = wait_for(lambda: (lambda s: s if s and s["status"] == "offline" else None)(
        state(y, PREFIX + "Stall")), 30)
    assert s and not s["online"], state(y, PREFIX + "Stall")
    err = y["server"].psql("SELECT last_error FROM printers WHERE id = %s",
                           (y["ids"][PREFIX + "Stall"],))[0][0]
    assert err and "imeout" in err, err
    assert_unharmed(y, since)
    assert_memory_bounded(y)


def test_a_shared_broker_refuses_scenarios_that_need_a_broker_of_their_own(tmp_path):
    r = subprocess.run([str(default_bin()), "sim", "--bambu-shared-broker", "--run-dir",
                        str(tmp_path / "run"), "--printer", "kind=bambu,name=A",
                        "--printer", "kind=bambu,name=B,scenario=offline"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode != 0
    assert "B: scenario offline needs a broker of its own" in r.stderr, r.stderr
    assert not (tmp_path / "run" / "farm.json").exists()


def test_printers_on_a_shared_broker_pass_the_certificate_name_check(yard, api, owner_token,
                                                                       tmp_path):
    """The benchmark's mode: one broker, one port, the worker's real TLS checks."""
    y = yard
    cfg = {"shared_broker": True, "time_factor": FACTOR, "printers": [
        {"kind": "bambu", "name": PREFIX + "Shared", "serial": "01PSHARED", "count": 3,
         "scenario": "print", "idle_seconds": 0, "prepare_seconds": 0,
         "print_seconds": 400000, "report_interval": 0.5}]}
    (tmp_path / "sim.json").write_text(json.dumps(cfg))
    sim = Proc([str(default_bin()), "sim", "--config", str(tmp_path / "sim.json"),
                "--run-dir", str(tmp_path / "run"), "--stamp-log", str(tmp_path / "stamps")],
               tmp_path / "sim.log")
    farm_file = tmp_path / "run" / "farm.json"
    names = [PREFIX + "Shared-%d" % i for i in (1, 2, 3)]
    try:
        assert wait_for(lambda: farm_file.exists() or sim.proc.poll() is not None, 60)
        assert farm_file.exists(), sim.text()
        shared = json.loads(farm_file.read_text())
        assert shared["shared_broker"] is True
        printers = shared["printers"]
        assert len({p["port"] for p in printers}) == 1
        assert len({p["access_code"] for p in printers}) == 1
        assert [p["serial"] for p in printers] == ["01PSHARED%05d" % i for i in (1, 2, 3)]
        brokers = [cmd for cmd in processes_naming(str(tmp_path / "run"))
                   if cmd.startswith("mosquitto ")]
        assert len(brokers) == 1, brokers
        # the worker watches them too: its farm file grows by these three,
        # and the CA file it names holds both simulators' test CAs
        farm = json.loads((y["dir"] / "farm.json").read_text())
        farm["printers"] += printers
        cas = tmp_path / "cas.pem"
        cas.write_text(open(farm["ca_file"]).read() + open(shared["ca_file"]).read())
        farm["ca_file"] = str(cas)
        (y["dir"] / "farm.json").write_text(json.dumps(farm))
        for name in names:
            s = wait_for(lambda: (lambda rows: rows[0] if rows and rows[0][0] else None)(
                y["server"].psql(
                    "SELECT s.online, s.status::text, s.layer FROM printer_state s "
                    "JOIN printers p ON p.id = s.printer_id WHERE p.name = %s", (name,))), 40)
            assert s and s[1] == "printing" and s[2] >= 1, (name, s, y["worker"].text()[-2000:])
        # the one certificate names these serials, not any serial
        pid = y["server"].psql("SELECT id FROM printers WHERE name = %s", (names[2],))[0][0]
        r = api.patch("/api/v1/printers/%d" % pid, json={"serial": "01PSHARED00009"},
                      headers={"Authorization": "Bearer " + owner_token})
        assert r.status_code == 200, r.text
        err = wait_for(lambda: (lambda e: e if e and "certificate" in e else None)(
            y["server"].psql("SELECT last_error FROM printers WHERE id = %s", (pid,))[0][0]), 40)
        assert err, y["worker"].text()[-2000:]
        # the other two stay connected on the same port
        rows = y["server"].psql(
            "SELECT p.name, s.online FROM printer_state s JOIN printers p ON "
            "p.id = s.printer_id WHERE p.name = ANY(%s) ORDER BY p.name", (names[:2],))
        assert rows == [(names[0], True), (names[1], True)], rows
    finally:
        assert sim.stop() == 0, sim.text()
        y["server"].psql("UPDATE printers SET active = false WHERE name LIKE %s",
                         (PREFIX + "Shared-%",))
    # the stamp log numbers each printer's reports from 1, in order
    stamps = {}
    for line in (tmp_path / "stamps").read_text().splitlines():
        serial, n, at = line.split()
        stamps.setdefault(serial, []).append((int(n), float(at)))
    assert sorted(stamps) == ["01PSHARED%05d" % i for i in (1, 2, 3)]
    for seen in stamps.values():
        assert [n for n, _ in seen] == list(range(1, len(seen) + 1))
        assert [at for _, at in seen] == sorted(at for _, at in seen)
    assert not processes_naming(str(tmp_path / "run"))


def processes_naming(text):
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmd:
                found.append(cmd)
    return found


def test_bad_answers_are_logged_at_most_once_a_minute_per_printer(yard):
    y = yard
    target = PREFIX + "Target"
    publish(y, target, "{broken")
    sent = 1
    time.sleep(2)
    before = wait_for(lambda: bad_log_lines(y, target), 15)
    assert before, y["worker"].text()[-2000:]
    # bad reports keep coming: no line within the minute after the last one
    # (its stamp is cut to the second, so stop two seconds short of it) ...
    last = logged_at(before[-1])
    while time.time() < last + 58:
        publish(y, target, "{broken")
        sent += 1
        assert len(bad_log_lines(y, target)) == len(before)
        time.sleep(5)
    # ... and one more once the minute is over
    lines = None
    deadline = time.time() + 20
    while lines is None and time.time() < deadline:
        publish(y, target, "{broken")
        sent += 1
        lines = wait_for(lambda: (lambda ls: ls if len(ls) > len(before) else None)(
            bad_log_lines(y, target)), 2)
    assert lines and len(lines) == len(before) + 1, bad_log_lines(y, target)
    assert_once_a_minute(lines)

    def count(line):
        return int(line.split("count=")[1].split()[0].strip('"'))
    # the line counts every bad report since the printer was first watched
    assert count(lines[-1]) >= count(before[-1]) + sent - 1, (sent, lines)
    # the 50 MB printer was asked every few seconds all along: few lines
    huge = bad_log_lines(y, PREFIX + "Huge")
    assert huge, y["worker"].text()[-2000:]
    assert_once_a_minute(huge)
    assert y["worker"].proc.poll() is None
