"""printyard telemetry: printers' state reaches the database and the API.

One simulated farm (PrusaLink and OctoPrint printing, a Moonraker printer
that drops off the network mid-print, an OctoPrint printer that refuses its
advertised key) runs at a high time factor for the whole module; one
`printyard telemetry --farm farm.json` process against the test server
registers those printers and watches them.  The worker is stopped by its pid
(SIGTERM) at the end and must exit 0.
"""
import json
import signal
import threading
import time

import pytest
import requests

from harness import ApiSession
from simfarm import Proc, registered, start_sim, start_worker, state, stop_farm, wait_for

FACTOR = 20
NPRINTERS = 6
PREFIX = "Telemetry "


def watch(base_url, token, ids, seen, done):
    """Records every state the API answers, so no test misses a short one."""
    api = ApiSession(base_url)
    h = {"Authorization": f"Bearer {token}"}
    while not done.is_set():
        for pid in ids:
            r = api.get(f"/api/v1/printers/{pid}/state", headers=h)
            if r.status_code == 200:
                s = r.json()
                hist = seen.setdefault(pid, [])
                key = (s["online"], s["status"], s["progress"])
                if not hist or hist[-1][:3] != key:
                    hist.append(key + (s,))
        done.wait(0.3)
    api.close()


def first(hist, pred, after=-1):
    """Index of the first state after index `after` that pred accepts, or None."""
    for i, (online, status, progress, s) in enumerate(hist):
        if i > after and pred(online, status, progress, s):
            return i
    return None


@pytest.fixture(scope="module")
def farm(server, owner_token, tmp_path_factory):
    d = tmp_path_factory.mktemp("telemetry")
    common = {"time_factor": FACTOR, "prepare_seconds": 40, "idle_seconds": 5,
              "layers": 40}
    config = {"printers": [
        dict(common, kind="prusalink", name=PREFIX + "MK4", scenario="print",
             print_seconds=500),
        dict(common, kind="octoprint", name=PREFIX + "Ender", scenario="print",
             print_seconds=500),
        dict(common, kind="moonraker", name=PREFIX + "Voron", scenario="offline",
             print_seconds=1200, offline_seconds=160),
        dict(common, kind="octoprint", name=PREFIX + "Locked", scenario="badauth"),
        dict(common, kind="bambu", name=PREFIX + "P1S", scenario="print",
             print_seconds=500, report="partial"),
        dict(common, kind="bambu", name=PREFIX + "A1 Locked", scenario="badauth"),
    ]}
    sim, farm_file = start_sim(server, d, config)
    worker = start_worker(server, farm_file, d / "telemetry.log",
                          extra=("--sample-seconds", "2"))
    ids = registered(server, PREFIX, NPRINTERS)
    assert ids, worker.text()
    seen, done = {}, threading.Event()
    watcher = threading.Thread(target=watch, args=(server.base_url, owner_token,
                                                   list(ids.values()), seen, done))
    watcher.start()
    state = {"ids": ids, "worker": worker, "sim": sim, "seen": seen,
             "farm": json.loads(farm_file.read_text())}
    yield state
    done.set()
    watcher.join(timeout=30)
    # a test may have replaced the worker: stop the one running now
    worker = state["worker"]
    rc = stop_farm(server, worker, sim, PREFIX)
    assert rc == 0, worker.text()
    assert "telemetry stopped" in worker.text()


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def statuses(server, pid):
    return [tuple(r) for r in server.psql(
        "SELECT from_status::text, to_status::text FROM printer_events "
        "WHERE printer_id = %s ORDER BY id", (pid,))]


def test_the_farm_printers_are_registered_with_sealed_secrets(api, h, server, farm):
    by_name = {p["name"]: p for p in farm["farm"]["printers"]}
    for name, pid in farm["ids"].items():
        r = api.get(f"/api/v1/printers/{pid}", headers=h)
        assert r.status_code == 200, r.text
        p = r.json()
        assert p["kind"] == by_name[name]["kind"]
        assert p["port"] == by_name[name]["port"]
        assert "secret" not in p
        sealed, = server.psql("SELECT secret FROM printers WHERE id = %s", (pid,))[0]
        plain = (by_name[name].get("password") or by_name[name].get("api_key") or
                 by_name[name].get("access_code"))
        if plain:
            assert sealed.startswith("v1.") and plain not in sealed


def test_state_changes_reach_live_subscribers(api, farm, owner_token):
    seen, ready = [], threading.Event()
    ids = set(farm["ids"].values())

    def listen():
        with requests.get(api.base_url + "/live/sub/printers", stream=True, timeout=30,
                          headers={"Accept": "text/event-stream",
                                   "Authorization": "Bearer " + owner_token}) as r:
            assert r.status_code == 200
            ready.set()
            for line in r.iter_lines(chunk_size=1, decode_unicode=True):
                if line and line.startswith("data:"):
                    e = json.loads(line[5:].strip())
                    # one message per turn of the worker's loop
                    assert e.get("type") in ("printer_states", "print_run",
                                             "printer_command"), e
                    for item in e.get("items", []):
                        if item.get("printer_id") in ids:
                            seen.append(item)
                    if len(seen) >= 3:
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(10)
    t.join(30)
    assert len(seen) >= 3, seen
    for e in seen:
        assert e["state"]["status"] in ("idle", "preparing", "printing", "paused",
                                        "finished", "failed", "error", "offline")
        assert farm["ids"][e["name"]] == e["printer_id"]


def test_a_print_reaches_the_state_api_and_finishes(farm):
    for name in ("MK4", "Ender", "P1S"):
        hist = farm["seen"].setdefault(farm["ids"][PREFIX + name], [])
        i = wait_for(lambda: first(hist, lambda o, st, pr, s: o and st == "printing" and
                                   (pr or 0) > 0), 60)
        assert i is not None, (hist, farm["worker"].text()[-2000:])
        s = hist[i][3]
        assert s["job"] and s["nozzle_c"] > 100 and s["last_message_at"]
        j = wait_for(lambda: first(hist, lambda o, st, pr, s: st == "finished", i), 90)
        assert j is not None, (hist[-3:], farm["worker"].text()[-2000:])
        assert hist[j][0] is True and hist[j][2] == 100
        # progress only grows while printing
        progress = [pr for o, st, pr, s in hist[i:j] if st == "printing"]
        assert progress == sorted(progress)


def test_status_changes_are_recorded_as_events(server, api, h, farm):
    pid = farm["ids"][PREFIX + "MK4"]
    assert wait_for(lambda: ("printing", "finished") in statuses(server, pid), 90), \
        statuses(server, pid)
    ev = statuses(server, pid)
    seen = [to for _, to in ev]
    assert seen.index("printing") < seen.index("finished")
    # each event starts where the one before ended
    for (_, to), (frm, _) in zip(ev, ev[1:]):
        assert frm == to


def test_samples_are_written_while_printing(server, farm):
    pid = farm["ids"][PREFIX + "Ender"]
    rows = wait_for(lambda: (lambda r: r if len(r) >= 3 else None)(server.psql(
        "SELECT progress::float8, nozzle_c::float8 FROM printer_samples "
        "WHERE printer_id = %s ORDER BY at", (pid,))), 60)
    assert rows and len(rows) >= 3, farm["worker"].text()[-2000:]
    progress = [p for p, _ in rows]
    assert progress == sorted(progress) and progress[-1] > progress[0]
    # temperatures come along (OctoPrint reports printing while heating)
    assert all(n is not None for _, n in rows) and rows[-1][1] > 100, rows


def test_the_worker_heartbeat_shows_in_health(api, farm):
    def beat():
        t = api.get("/api/v1/health").json()["checks"].get("telemetry")
        return t if t and t["info"].get("printers") == NPRINTERS else None
    t = wait_for(beat, 20)
    assert t, api.get("/api/v1/health").json()
    assert t["status"] == "ok" and t["age_seconds"] <= 10


def test_refused_credentials_mark_the_printer_and_stop_polling(api, h, server, farm):
    pid = farm["ids"][PREFIX + "Locked"]

    def failed():
        return server.psql("SELECT auth_failed_at, last_error FROM printers "
                           "WHERE id = %s AND auth_failed_at IS NOT NULL", (pid,))
    rows = wait_for(failed, 30)
    assert rows, farm["worker"].text()[-2000:]
    at, err = rows[0]
    assert "refused the API key" in err
    # no further attempts: the mark stays as it was
    time.sleep(4)
    assert failed()[0][0] == at
    beat = wait_for(lambda: (lambda t: t if t and t["info"]["auth_failed"] == 2 else None)(
        api.get("/api/v1/health").json()["checks"].get("telemetry")), 15)
    assert beat and beat["info"]["polling"] == NPRINTERS - 2, beat
    # the operator enters the key the printer now wants: it is watched again
    r = api.patch(f"/api/v1/printers/{pid}", json={"secret": "changed-on-the-printer"},
                  headers=h)
    assert r.status_code == 200, r.text
    assert server.psql("SELECT auth_failed_at FROM printers WHERE id = %s", (pid,))[0][0] is None
    s = wait_for(lambda: (lambda s: s if s["online"] else None)(state(api, h, pid)), 30)
    assert s and s["status"] != "offline", farm["worker"].text()[-2000:]
    assert server.psql("SELECT auth_failed_at FROM printers WHERE id = %s", (pid,))[0][0] is None


def test_a_printer_that_drops_off_reads_offline_and_comes_back(server, farm):
    pid = farm["ids"][PREFIX + "Voron"]
    hist = farm["seen"].setdefault(pid, [])
    printing = lambda o, st, pr, s: o and st == "printing"  # noqa: E731
    i = wait_for(lambda: first(hist, printing), 60)
    assert i is not None, hist
    j = wait_for(lambda: first(hist, lambda o, st, pr, s: not o and st == "offline", i), 60)
    assert j is not None, (hist[-3:], farm["worker"].text()[-2000:])
    k = wait_for(lambda: first(hist, printing, j), 60)
    assert k is not None, (hist[-3:], farm["worker"].text()[-2000:])
    assert hist[k][2] > hist[i][2]
    ev = statuses(server, pid)
    assert ("printing", "offline") in ev and ("offline", "printing") in ev
    assert ev.index(("printing", "offline")) < ev.index(("offline", "printing"))
    # the reason is cleared once it answers again
    assert wait_for(lambda: server.psql(
        "SELECT last_error IS NULL FROM printers WHERE id = %s", (pid,))[0][0], 10)


def test_a_bambu_printer_refusing_the_access_code_is_marked(server, farm):
    pid = farm["ids"][PREFIX + "A1 Locked"]
    rows = wait_for(lambda: server.psql(
        "SELECT auth_failed_at, last_error FROM printers WHERE id = %s "
        "AND auth_failed_at IS NOT NULL", (pid,)), 30)
    assert rows, farm["worker"].text()[-2000:]
    assert "access code" in rows[0][1]


def test_a_bambu_printer_reports_its_material_slots(farm):
    hist = farm["seen"].setdefault(farm["ids"][PREFIX + "P1S"], [])
    i = wait_for(lambda: first(hist, lambda o, st, pr, s: o and s["slots"]), 60)
    assert i is not None, hist[-3:]
    slot = hist[i][3]["slots"][0]
    assert slot["slot"] >= 1 and slot["type"]


def test_a_bambu_certificate_must_name_the_printers_serial(api, h, server, farm):
    pid = farm["ids"][PREFIX + "P1S"]
    # the printer's certificate names its real serial, not this one
    r = api.patch(f"/api/v1/printers/{pid}", json={"serial": "01S00WRONG0001"}, headers=h)
    assert r.status_code == 200, r.text

    def refused():
        rows = server.psql("SELECT last_error FROM printers WHERE id = %s", (pid,))
        return rows[0][0] if rows[0][0] and "certificate" in rows[0][0] else None
    assert wait_for(refused, 40), farm["worker"].text()[-2000:]
    hist = farm["seen"][pid]
    assert wait_for(lambda: hist[-1][0] is False and hist[-1][1] == "offline", 10), hist[-3:]


def test_a_restarted_worker_repeats_no_events(server, farm):
    done = [farm["ids"][PREFIX + n] for n in ("MK4", "Ender")]
    before = {pid: statuses(server, pid) for pid in done}
    assert all(ev and ev[-1][1] == "finished" for ev in before.values()), before
    old = farm["worker"]
    old.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "configuration reloaded" in old.text(), 10), old.text()[-2000:]
    assert old.proc.poll() is None
    assert old.stop() == 0
    new = Proc(old.proc.args, old.log_path.with_name("telemetry2.log"), env=server.env)
    farm["worker"] = new

    assert wait_for(lambda: server.psql(
        "SELECT 1 FROM heartbeats WHERE process = 'telemetry' AND pid = %s",
        (new.proc.pid,)), 20), new.text()
    time.sleep(6)
    assert {pid: statuses(server, pid) for pid in done} == before
    assert new.proc.poll() is None
