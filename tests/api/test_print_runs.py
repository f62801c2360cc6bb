"""Print runs: what simulated printers print becomes print runs, and the
print jobs they carry out are started, completed or failed by themselves,
with the filament taken from the spool through the stock ledger.

One shop (a PLA spool, a product per printer whose plate is named like the
file that printer prints, one confirmed order each) is set up before the
simulators and one `printyard telemetry` worker start; the jobs are queued
for no printer, so only the file name ties a print to its job.  The last
test kills the worker with SIGKILL in the middle of two prints, lets one of
them finish unwatched and starts a new worker.
"""
import json
import secrets
import signal

import pytest
import requests

from harness import ApiSession
from util import confirmed_job, post
from simfarm import registered, start_sim, start_worker, stop_farm, wait_for

FACTOR = 20
T = secrets.token_hex(3)
PREFIX = f"Runs {T} "
# printer name suffix -> (kind, scenario, file printed, sim seconds)
PRINTERS = {
    "MK4": ("prusalink", "print", f"runs-{T}-mk4.bgcode", 300),
    "Ender": ("octoprint", "print", f"runs-{T}-ender.gcode", 300),
    "P1S": ("bambu", "print", f"runs-{T}-p1s.gcode.3mf", 300),
    "Voron": ("moonraker", "fail", f"runs-{T}-voron.gcode", 400),
    "Trident": ("moonraker", "idle", f"runs-{T}-trident.gcode", 500),
    "Switchwire": ("moonraker", "idle", f"runs-{T}-switchwire.gcode", 1600),
}
GRAMS = 12



def file_key(name):
    """The plate name a print job carries: the file without extensions."""
    for ext in (".3mf", ".gcode", ".bgcode"):
        name = name[:-len(ext)] if name.endswith(ext) else name
    return name


@pytest.fixture(scope="module")
def shop(server, owner_token):
    api = ApiSession(server.base_url)
    h = {"Authorization": f"Bearer {owner_token}"}
    colour = f"Runs-{T}"
    fil = post(api, h, "/api/v1/filaments", {
        "name": f"PLA {T}", "material": "PLA", "color_name": colour,
        "density": 1.24, "price_per_kg_cents": 2000})
    spool = post(api, h, "/api/v1/spools", {"filament_id": fil["id"],
                                             "initial_weight_g": 1000, "price_cents": 2000})
    cust = post(api, h, "/api/v1/customers", {
        "name": f"Runs {T}", "email": f"runs{T}@example.org", "shipping_street": "Weg 1",
        "shipping_postal_code": "10115", "shipping_city": "Berlin", "shipping_country": "DE"})
    jobs = {}
    for name, (kind, scenario, file, secs) in PRINTERS.items():
        prod = post(api, h, "/api/v1/products", {
            "sku": f"RUN-{T}-{name}", "name": f"Part {name} {T}", "price_gross_cents": 1190})
        post(api, h, f"/api/v1/products/{prod['id']}/plates", {
            "name": file_key(file), "print_minutes": 30, "units": 1,
            "slots": [{"material": "PLA", "color_name": colour, "grams": GRAMS}]})
        _, _, job = confirmed_job(api, h, cust["id"], prod["id"])
        assert job["status"] == "queued" and job["printer_id"] is None
        jobs[name] = job["id"]
    api.close()
    return {"spool": spool["id"], "jobs": jobs}


@pytest.fixture(scope="module")
def farm(server, shop, tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    printers = []
    for name, (kind, scenario, file, secs) in PRINTERS.items():
        printers.append({"kind": kind, "name": PREFIX + name, "scenario": scenario,
                         "job": file, "print_seconds": secs, "time_factor": FACTOR,
                         "prepare_seconds": 40, "idle_seconds": 20, "layers": 30,
                         "fail_at": 40, "report": "partial"})
    sim, farm_file = start_sim(server, d, {"printers": printers})
    state = {"dir": d, "sim": sim, "farm_file": farm_file, "n": 0}

    def launch():
        state["n"] += 1
        state["worker"] = start_worker(server, farm_file,
                                       d / f"telemetry-{state['n']}.log")
        return state["worker"]

    state["start_worker"] = launch
    launch()
    ids = registered(server, PREFIX, len(PRINTERS))
    assert ids, state["worker"].text()
    state["ids"] = {n[len(PREFIX):]: i for n, i in ids.items()}
    state["sim_printers"] = {p["name"][len(PREFIX):]: p
                             for p in json.loads(farm_file.read_text())["printers"]}
    yield state
    rc = stop_farm(server, state["worker"], sim, PREFIX)
    assert rc == 0, state["worker"].text()


def logs(farm):
    return "\n".join((farm["dir"] / f"telemetry-{i}.log").read_text()[-3000:]
                     for i in range(1, farm["n"] + 1))


def job_row(server, job_id):
    rows = server.psql(
        "SELECT status::text, printer_id, actual_seconds, failure_reason, "
        "wasted_grams::float8, actual_grams::float8 FROM print_jobs WHERE id = %s",
        (job_id,))
    return dict(zip(("status", "printer_id", "actual_seconds", "failure_reason",
                     "wasted_grams", "actual_grams"), rows[0]))


def runs_of(server, printer_id):
    return [dict(zip(("id", "result", "file", "print_job_id", "duration_s", "progress",
                      "note"), r))
            for r in server.psql(
                "SELECT id, result::text, file, print_job_id, duration_s, "
                "progress::float8, note FROM print_runs WHERE printer_id = %s ORDER BY id",
                (printer_id,))]


def spool_uses(server, spool, job_id):
    return [float(q) for q, in server.psql(
        "SELECT qty FROM stock_moves WHERE spool_id = %s AND ref_kind = 'print_job' "
        "AND ref_id = %s AND kind = 'consumption'", (spool, job_id))]


def wait_job(server, job_id, status, farm, timeout=120):
    ok = wait_for(lambda: job_row(server, job_id)["status"] == status, timeout)
    assert ok, (job_row(server, job_id), logs(farm))


def moonraker_start(farm, name):
    p = farm["sim_printers"][name]
    r = requests.post(f"http://{p['host']}:{p['port']}/printer/print/start",
                      params={"filename": PRINTERS[name][2]},
                      headers={"X-Api-Key": p.get("api_key", "")}, timeout=5)
    assert r.status_code == 200, r.text


def moonraker_state(farm, name):
    p = farm["sim_printers"][name]
    r = requests.get(f"http://{p['host']}:{p['port']}/printer/objects/query",
                     params={"print_stats": ""},
                     headers={"X-Api-Key": p.get("api_key", "")}, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()["result"]["status"]["print_stats"]["state"]


@pytest.mark.parametrize("name", ["MK4", "Ender", "P1S"])
def test_a_finished_print_completes_its_job_and_takes_the_filament_from_the_spool(
        server, shop, farm, name):
    job_id, pid = shop["jobs"][name], farm["ids"][name]
    wait_job(server, job_id, "completed", farm)
    job = job_row(server, job_id)
    # the print tied the queued job to the printer it ran on
    assert job["printer_id"] == pid
    assert job["actual_seconds"] is not None and job["actual_seconds"] >= 0
    runs = runs_of(server, pid)
    assert len(runs) == 1, runs
    run, = runs
    assert run["result"] == "completed" and run["print_job_id"] == job_id
    assert run["file"] and file_key(PRINTERS[name][2]) in run["file"]
    assert run["progress"] == 100
    # exactly one consumption of the plate's grams, from the spool
    assert spool_uses(server, shop["spool"], job_id) == [-GRAMS]
    # the production order is done and the worker is named in the audit log
    po_status, = server.psql(
        "SELECT po.status::text FROM print_jobs j JOIN production_orders po "
        "ON po.id = j.production_order_id WHERE j.id = %s", (job_id,))[0]
    assert po_status == "done"
    actions = {a for a, in server.psql(
        "SELECT action FROM audit_log WHERE actor = 'telemetry' AND entity = 'print_job' "
        "AND entity_id = %s", (str(job_id),))}
    assert {"status_started", "status_completed"} <= actions


def test_a_print_that_fails_on_the_printer_fails_its_job_and_queues_another(
        server, shop, farm):
    job_id, pid = shop["jobs"]["Voron"], farm["ids"]["Voron"]
    wait_job(server, job_id, "failed", farm)
    job = job_row(server, job_id)
    # the printer's own words say why
    assert "Heatbed" in job["failure_reason"], job
    # about 40 % of the 12 g was laid down before it failed: waste
    assert 0 < job["wasted_grams"] < GRAMS
    assert spool_uses(server, shop["spool"], job_id) == [-job["wasted_grams"]]
    run, = runs_of(server, pid)
    assert run["result"] == "failed" and run["print_job_id"] == job_id
    replacement = server.psql(
        "SELECT status::text FROM print_jobs WHERE replaces_job_id = %s", (job_id,))
    assert replacement == [("queued",)]


def test_a_worker_killed_mid_print_loses_no_completion_and_duplicates_no_run(
        server, shop, farm):
    short, long_ = "Trident", "Switchwire"
    for name in (short, long_):
        moonraker_start(farm, name)
    # both prints are running and the worker has opened a run for each
    for name in (short, long_):
        pid = farm["ids"][name]
        assert wait_for(lambda: [r for r in runs_of(server, pid)
                                 if r["result"] == "running" and (r["progress"] or 0) > 5],
                        90), (runs_of(server, pid), logs(farm))
    before = {n: runs_of(server, farm["ids"][n])[0]["id"] for n in (short, long_)}
    farm["worker"].proc.send_signal(signal.SIGKILL)
    farm["worker"].proc.wait(timeout=10)
    # the short print ends while nobody watches; the long one goes on
    assert wait_for(lambda: moonraker_state(farm, short) == "complete", 90)
    assert moonraker_state(farm, long_) == "printing"
    assert job_row(server, shop["jobs"][short])["status"] == "started"
    farm["start_worker"]()
    wait_job(server, shop["jobs"][short], "completed", farm)
    wait_job(server, shop["jobs"][long_], "completed", farm, timeout=150)
    for name in (short, long_):
        runs = runs_of(server, farm["ids"][name])
        assert [r["id"] for r in runs] == [before[name]], runs
        assert runs[0]["result"] == "completed"
        assert spool_uses(server, shop["spool"], shop["jobs"][name]) == [-GRAMS]
