"""The printer registry: CRUD with per-kind rules, secrets sealed at rest and
never answered, audit, roles, state, sample retention, machine rates in
costing, and the settings pages."""
import json
import secrets

import pytest

from util import csrf_of, page_session, wait_for


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


@pytest.fixture(autouse=True)
def only_this_tests_printers_are_active(server):
    """Printers of one test must not price other tests' plates."""
    server.psql("UPDATE printers SET active = false WHERE active")
    yield
    server.psql("UPDATE printers SET active = false WHERE active")


def tag():
    return secrets.token_hex(3)


def bambu(**extra):
    return dict({"kind": "bambu", "name": "X1C " + tag(), "host": "192.168.1.20",
                 "serial": "01s00a" + tag(), "secret": "12345678"}, **extra)


def create(api, h, body, status=201):
    r = api.post("/api/v1/printers", json=body, headers=h)
    assert r.status_code == status, r.text
    return r.json()



# ---- the registry ----

def test_a_bambu_printer_gets_its_defaults_and_an_upper_case_serial(api, h):
    p = create(api, h, bambu(model="X1 Carbon"))
    assert p["kind"] == "bambu" and p["port"] == 8883 and p["model"] == "X1 Carbon"
    assert p["serial"] == p["serial"].upper() and p["serial"].startswith("01S00A")
    assert p["has_secret"] is True and "secret" not in p
    assert p["tls_mode"] == "verify" and p["active"] is True and p["enclosure"] is False
    assert p["nozzle_mm"] == 0.4 and p["poll_idle_s"] == 10 and p["poll_busy_s"] == 2
    assert p["status"] == "offline" and p["tags"] == []
    assert api.get(f"/api/v1/printers/{p['id']}", headers=h).json() == p


@pytest.mark.parametrize("kind,port", [("prusalink", 80), ("octoprint", 80), ("moonraker", 7125)])
def test_each_kind_gets_its_default_port(api, h, kind, port):
    body = {"kind": kind, "name": f"{kind} {tag()}", "host": "printer.local"}
    if kind != "moonraker":
        body["secret"] = "key-" + tag()
    p = create(api, h, body)
    assert p["port"] == port and p["username"] == "maker"


@pytest.mark.parametrize("body,field", [
    ({"kind": "bambu", "host": "10.0.0.2", "secret": "12345678"}, "serial"),
    ({"kind": "bambu", "host": "10.0.0.2", "serial": "01S00A000001"}, "secret"),
    ({"kind": "octoprint", "host": "10.0.0.2"}, "secret"),
    ({"kind": "prusalink", "host": "10.0.0.2"}, "secret"),
    ({"kind": "moonraker", "host": "bad host"}, "host"),
    ({"kind": "moonraker", "host": "300.1.1.1"}, "host"),
    ({"kind": "moonraker", "host": "-dash.local"}, "host"),
    ({"kind": "moonraker", "host": "10.0.0.2", "port": 0}, "port"),
    ({"kind": "moonraker", "host": "10.0.0.2", "port": 70000}, "port"),
    ({"kind": "moonraker", "host": "10.0.0.2", "tls_mode": "trust-me"}, "tls_mode"),
    ({"kind": "moonraker", "host": "10.0.0.2", "nozzle_mm": 0}, "nozzle_mm"),
    ({"kind": "moonraker", "host": "10.0.0.2", "tags": ["ok", ""]}, "tags"),
    ({"kind": "laser", "host": "10.0.0.2"}, "kind"),
    ({"kind": "bambu", "host": "10.0.0.2", "serial": "no!", "secret": "1"}, "serial"),
])
def test_bad_printers_are_refused_naming_the_field_and_nothing_is_stored(api, h, server,
                                                                        body, field):
    name = "Bad " + tag()
    r = api.post("/api/v1/printers", json=dict(body, name=name), headers=h)
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["fields"]
    assert server.psql("SELECT count(*) FROM printers WHERE name = %s", (name,))[0][0] == 0


def test_hosts_may_be_names_or_ipv4_or_ipv6_addresses(api, h):
    for host in ("printer-1.farm.lan", "192.168.178.33", "fe80::1", "x1c"):
        p = create(api, h, {"kind": "moonraker", "name": "K " + tag(), "host": host})
        assert p["host"] == host


def test_printer_names_are_unique_in_any_case(api, h):
    p = create(api, h, bambu())
    r = api.post("/api/v1/printers", json=bambu(name=p["name"].upper()), headers=h)
    assert r.status_code == 409 and "name" in r.json()["error"]["fields"]


def test_unknown_fields_are_refused(api, h):
    r = api.post("/api/v1/printers", json=bambu(colour="red"), headers=h)
    assert r.status_code == 422 and "colour" in r.json()["error"]["fields"]


def test_lists_search_filter_sort_and_page(api, h):
    t = tag()
    a = create(api, h, {"kind": "moonraker", "name": f"Alpha {t}", "host": "a.lan"})
    b = create(api, h, bambu(name=f"Beta {t}", active=False))
    r = api.get("/api/v1/printers", params={"q": t, "sort": "-name"}, headers=h).json()
    assert [p["id"] for p in r["items"]] == [b["id"], a["id"]] and r["total"] == 2
    r = api.get("/api/v1/printers", params={"q": t, "kind": "bambu"}, headers=h).json()
    assert [p["id"] for p in r["items"]] == [b["id"]]
    r = api.get("/api/v1/printers", params={"q": t, "active": "false"}, headers=h).json()
    assert [p["id"] for p in r["items"]] == [b["id"]]
    r = api.get("/api/v1/printers", params={"q": t, "limit": 1, "offset": 1}, headers=h).json()
    assert r["total"] == 2 and [p["id"] for p in r["items"]] == [b["id"]]
    assert api.get("/api/v1/printers", params={"sort": "host"}, headers=h).status_code == 400


def test_patch_changes_only_what_is_sent_and_validates_the_whole_printer(api, h):
    p = create(api, h, {"kind": "moonraker", "name": "Voron " + tag(), "host": "voron.lan",
                        "tags": ["klipper", "fast"], "build_x_mm": 350, "build_y_mm": 350,
                        "build_z_mm": 340, "machine_rate_cents_per_hour": 220})
    r = api.patch(f"/api/v1/printers/{p['id']}", json={"enclosure": True, "power_w": 600},
                  headers=h)
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["enclosure"] is True and q["power_w"] == 600
    assert q["tags"] == ["klipper", "fast"] and q["build_z_mm"] == 340
    assert q["machine_rate_cents_per_hour"] == 220
    # an OctoPrint printer needs an API key this Moonraker one never had
    r = api.patch(f"/api/v1/printers/{p['id']}", json={"kind": "octoprint"}, headers=h)
    assert r.status_code == 422 and "secret" in r.json()["error"]["fields"]
    r = api.patch(f"/api/v1/printers/{p['id']}", json={"kind": "octoprint", "secret": "k-" + tag()},
                  headers=h)
    assert r.status_code == 200
    # the port follows the kind when it was the old kind's default
    assert r.json()["port"] == 80
    r = api.patch(f"/api/v1/printers/{p['id']}", json={"build_x_mm": None, "port": 5000},
                  headers=h)
    assert r.json()["build_x_mm"] is None and r.json()["port"] == 5000
    assert api.patch("/api/v1/printers/999999999", json={"name": "x"},
                     headers=h).status_code == 404


def test_only_a_bambu_printer_has_a_files_port(api, h, server):
    p = create(api, h, bambu())
    assert p["files_port"] is None          # the printer's own 990
    p = create(api, h, bambu(files_port=2990))
    assert p["files_port"] == 2990
    for bad in (0, 65536, "nine", 9.5, True):
        r = api.patch(f"/api/v1/printers/{p['id']}", json={"files_port": bad}, headers=h)
        assert r.status_code == 422 and "files_port" in r.json()["error"]["fields"], (bad, r.text)
    assert api.get(f"/api/v1/printers/{p['id']}", headers=h).json()["files_port"] == 2990
    # the other kinds serve files on their API port
    r = api.post("/api/v1/printers", headers=h, json={
        "kind": "octoprint", "name": "Ender " + tag(), "host": "ender.lan",
        "secret": "k-" + tag(), "files_port": 2121})
    assert r.status_code == 422 and "files_port" in r.json()["error"]["fields"], r.text
    # leaving Bambu drops the port, unless the request names one
    r = api.patch(f"/api/v1/printers/{p['id']}", headers=h,
                  json={"kind": "octoprint", "secret": "k-" + tag(), "files_port": 2990})
    assert r.status_code == 422 and "files_port" in r.json()["error"]["fields"]
    r = api.patch(f"/api/v1/printers/{p['id']}", headers=h,
                  json={"kind": "octoprint", "secret": "k-" + tag()})
    assert r.status_code == 200 and r.json()["files_port"] is None, r.text
    before, after = server.psql(
        "SELECT before->'files_port', after->'files_port' FROM audit_log WHERE "
        "entity = 'printer' AND entity_id = %s AND action = 'update' ORDER BY id DESC "
        "LIMIT 1", (str(p["id"]),))[0]
    assert (before, after) == (2990, None)
    # the database holds the same rule
    with pytest.raises(Exception, match="printers_files_port_bambu"):
        server.psql("UPDATE printers SET files_port = 990 WHERE id = %s", (p["id"],))


def test_the_settings_form_sets_and_clears_the_files_port(api, h, make_user, server):
    p = create(api, h, bambu())
    s = page_session(api, make_user, "owner")
    page = s.get(f"/settings/printers/{p['id']}")
    assert page.status_code == 200 and 'name="files_port"' in page.text
    form = {"kind": "bambu", "name": p["name"], "host": p["host"], "port": "",
            "serial": p["serial"], "username": "maker", "secret": "", "tls_mode": "verify",
            "nozzle_mm": "0.4", "poll_idle_s": "10", "poll_busy_s": "2", "active": "1",
            "files_port": "2990", "_csrf": csrf_of(page.text)}
    r = s.post(f"/settings/printers/{p['id']}", data=form, allow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    assert server.psql("SELECT files_port FROM printers WHERE id = %s", (p["id"],))[0][0] == 2990
    assert 'name="files_port" value="2990"' in s.get(f"/settings/printers/{p['id']}").text
    r = s.post(f"/settings/printers/{p['id']}", data=dict(form, files_port="99999"),
               allow_redirects=False)
    assert r.status_code == 422 and 'data-testid="error-files-port"' in r.text
    assert server.psql("SELECT files_port FROM printers WHERE id = %s", (p["id"],))[0][0] == 2990
    r = s.post(f"/settings/printers/{p['id']}", data=dict(form, files_port=""),
               allow_redirects=False)
    assert r.status_code == 303
    assert server.psql("SELECT files_port FROM printers WHERE id = %s", (p["id"],))[0][0] is None


def test_a_location_must_exist(api, h):
    loc = api.post("/api/v1/locations", json={"name": "Farm " + tag(), "kind": "other"},
                   headers=h)
    assert loc.status_code == 201, loc.text
    p = create(api, h, bambu(location_id=loc.json()["id"]))
    assert p["location_id"] == loc.json()["id"] and p["location"] == loc.json()["name"]
    r = api.post("/api/v1/printers", json=bambu(location_id=999999999), headers=h)
    assert r.status_code == 422


# ---- secrets ----

def test_the_secret_is_sealed_in_the_database_and_never_answered(api, h, server):
    code = "acc" + tag()
    p = create(api, h, bambu(secret=code))
    stored = server.psql("SELECT secret FROM printers WHERE id = %s", (p["id"],))[0][0]
    assert stored.startswith("v1.") and code not in stored
    for r in (api.get(f"/api/v1/printers/{p['id']}", headers=h),
              api.get("/api/v1/printers", params={"q": p["name"]}, headers=h),
              api.patch(f"/api/v1/printers/{p['id']}", json={"model": "P1S"}, headers=h)):
        assert r.status_code == 200 and code not in r.text and stored not in r.text
    # a change without the secret keeps it as it was
    assert server.psql("SELECT secret FROM printers WHERE id = %s", (p["id"],))[0][0] == stored


def test_same_secret_on_two_printers_seals_differently(api, h, server):
    a = create(api, h, bambu(secret="87654321"))
    b = create(api, h, bambu(secret="87654321"))
    rows = server.psql("SELECT secret FROM printers WHERE id IN (%s, %s)", (a["id"], b["id"]))
    assert rows[0][0] != rows[1][0]


def test_a_new_secret_replaces_and_null_clears_it(api, h, server):
    p = create(api, h, {"kind": "moonraker", "name": "M " + tag(), "host": "m.lan",
                        "secret": "first-key"})
    before = server.psql("SELECT secret FROM printers WHERE id = %s", (p["id"],))[0][0]
    r = api.patch(f"/api/v1/printers/{p['id']}", json={"secret": "second-key"}, headers=h)
    assert r.status_code == 200 and r.json()["has_secret"] is True
    after = server.psql("SELECT secret FROM printers WHERE id = %s", (p["id"],))[0][0]
    assert after != before and "second-key" not in after
    r = api.patch(f"/api/v1/printers/{p['id']}", json={"secret": None}, headers=h)
    assert r.status_code == 200 and r.json()["has_secret"] is False
    assert server.psql("SELECT secret FROM printers WHERE id = %s", (p["id"],))[0][0] is None
    # a Bambu printer cannot lose its access code
    b = create(api, h, bambu())
    r = api.patch(f"/api/v1/printers/{b['id']}", json={"secret": None}, headers=h)
    assert r.status_code == 422 and "secret" in r.json()["error"]["fields"]


def test_audit_rows_record_changes_without_the_secret(api, h, server):
    code = "sec" + tag()
    p = create(api, h, bambu(secret=code))
    api.patch(f"/api/v1/printers/{p['id']}", json={"host": "10.1.1.1", "secret": code + "x"},
              headers=h)
    api.patch(f"/api/v1/printers/{p['id']}", json={"active": False}, headers=h)
    rows = server.psql("SELECT action, actor, before::text, after::text FROM audit_log "
                       "WHERE entity = 'printer' AND entity_id = %s ORDER BY id", (str(p["id"]),))
    assert [r[0] for r in rows] == ["create", "update", "update"]
    assert all(r[1] == "owner" for r in rows)
    sealed = server.psql("SELECT secret FROM printers WHERE id = %s", (p["id"],))[0][0]
    for _, _, before, after in rows:
        for text in (before or "", after or ""):
            assert code not in text and sealed not in text and "v1." not in text
    change = json.loads(rows[1][3])
    assert change["host"] == "10.1.1.1" and change["secret_replaced"] is True
    assert json.loads(rows[2][2]) == {"active": True}


def test_any_settings_change_clears_what_the_worker_reported(api, h, server):
    p = create(api, h, bambu())
    server.psql("UPDATE printers SET auth_failed_at = now(), last_error = 'access denied', "
                "tls_fingerprint = repeat('a', 64) WHERE id = %s", (p["id"],))
    # the worker's own writes keep the settings as they were
    q = api.get(f"/api/v1/printers/{p['id']}", headers=h).json()
    assert q["last_error"] == "access denied" and q["auth_failed_at"]
    r = api.patch(f"/api/v1/printers/{p['id']}", json={"secret": "new-code"}, headers=h).json()
    assert r["last_error"] is None and r["auth_failed_at"] is None
    # a new name keeps the pinned certificate, a new host forgets it
    assert r["tls_fingerprint"] == "a" * 64
    r = api.patch(f"/api/v1/printers/{p['id']}", json={"host": "10.9.9.9"}, headers=h).json()
    assert r["tls_fingerprint"] is None


# ---- roles ----

def test_accountants_and_staff_read_printers_but_only_owners_change_them(api, h, make_user):
    p = create(api, h, bambu())
    for role in ("accountant", "staff"):
        _, _, token = make_user(role)
        uh = {"Authorization": f"Bearer {token}"}
        assert api.get("/api/v1/printers", headers=uh).status_code == 200
        assert api.get(f"/api/v1/printers/{p['id']}", headers=uh).status_code == 200
        assert api.get(f"/api/v1/printers/{p['id']}/state", headers=uh).status_code == 200
        assert api.post("/api/v1/printers", json=bambu(), headers=uh).status_code == 403
        assert api.patch(f"/api/v1/printers/{p['id']}", json={"name": "x"},
                         headers=uh).status_code == 403
        assert api.delete(f"/api/v1/printers/{p['id']}", headers=uh).status_code == 403


# ---- delete and state ----

def test_a_printer_without_history_is_deleted_with_its_state(api, h, server):
    p = create(api, h, bambu())
    server.psql("INSERT INTO printer_state (printer_id, online, status) VALUES (%s, true, 'idle')",
                (p["id"],))
    assert api.delete(f"/api/v1/printers/{p['id']}", headers=h).status_code == 204
    assert api.get(f"/api/v1/printers/{p['id']}", headers=h).status_code == 404
    assert server.psql("SELECT count(*) FROM printer_state WHERE printer_id = %s",
                       (p["id"],))[0][0] == 0
    rows = server.psql("SELECT action FROM audit_log WHERE entity = 'printer' AND entity_id = %s "
                       "ORDER BY id", (str(p["id"]),))
    assert [r[0] for r in rows] == ["create", "delete"]


def test_a_printer_with_print_runs_is_kept_and_can_be_deactivated(api, h, server):
    p = create(api, h, bambu())
    server.psql("INSERT INTO print_runs (printer_id, started_at, ended_at, result, file) "
                "VALUES (%s, now() - interval '1 hour', now(), 'completed', 'cube.3mf')",
                (p["id"],))
    r = api.delete(f"/api/v1/printers/{p['id']}", headers=h)
    assert r.status_code == 409 and "deactivate" in r.json()["error"]["hint"]
    assert api.get(f"/api/v1/printers/{p['id']}", headers=h).status_code == 200
    r = api.patch(f"/api/v1/printers/{p['id']}", json={"active": False}, headers=h)
    assert r.status_code == 200 and r.json()["active"] is False
    # the database refuses it for every writer too
    with pytest.raises(Exception):
        server.psql("DELETE FROM printers WHERE id = %s", (p["id"],))


def test_a_print_run_is_recorded_once_per_printer_and_start(api, h, server):
    p = create(api, h, bambu())
    sql = ("INSERT INTO print_runs (printer_id, started_at, file) VALUES "
           "(%s, '2026-01-01T10:00:00Z', 'a.3mf') ON CONFLICT DO NOTHING")
    server.psql(sql, (p["id"],))
    server.psql(sql, (p["id"],))
    assert server.psql("SELECT count(*) FROM print_runs WHERE printer_id = %s",
                       (p["id"],))[0][0] == 1


def test_state_is_offline_until_the_worker_reports_one(api, h, server):
    p = create(api, h, bambu())
    s = api.get(f"/api/v1/printers/{p['id']}/state", headers=h).json()
    assert s["status"] == "offline" and s["online"] is False and s["progress"] is None
    assert s["slots"] == [] and s["errors"] == []
    server.psql("INSERT INTO printer_state (printer_id, online, status, job, progress, layer, "
                "total_layers, nozzle_c, slots) VALUES (%s, true, 'printing', 'benchy.3mf', "
                "42.5, 10, 200, 219.5, '[{\"slot\": 1, \"type\": \"PLA\"}]')", (p["id"],))
    s = api.get(f"/api/v1/printers/{p['id']}/state", headers=h).json()
    assert s["status"] == "printing" and s["online"] is True and s["progress"] == 42.5
    assert s["nozzle_c"] == 219.5 and s["slots"][0]["type"] == "PLA"
    assert api.get(f"/api/v1/printers/{p['id']}", headers=h).json()["status"] == "printing"
    assert api.get("/api/v1/printers/999999999/state", headers=h).status_code == 404


def test_old_printer_samples_are_purged_after_the_retention(api, h, server):
    p = create(api, h, bambu())
    server.psql("INSERT INTO printer_samples (printer_id, at, nozzle_c) VALUES "
                "(%s, now() - interval '40 days', 200), (%s, now() - interval '10 days', 210), "
                "(%s, now(), 220)", (p["id"], p["id"], p["id"]))
    jid = server.psql("INSERT INTO jobs (kind, args) VALUES ('purge_printer_samples', "
                      "'{\"days\": 30}') RETURNING id")[0][0]
    assert wait_for(lambda: server.psql("SELECT state = 'done' FROM jobs WHERE id = %s",
                                        (jid,))[0][0])
    left = server.psql("SELECT nozzle_c FROM printer_samples WHERE printer_id = %s ORDER BY at",
                       (p["id"],))
    assert [float(r[0]) for r in left] == [210, 220]
    jid = server.psql("INSERT INTO jobs (kind, args) VALUES ('purge_printer_samples', "
                      "'{\"days\": 5}') RETURNING id")[0][0]
    assert wait_for(lambda: server.psql("SELECT state = 'done' FROM jobs WHERE id = %s",
                                        (jid,))[0][0])
    assert server.psql("SELECT count(*) FROM printer_samples WHERE printer_id = %s",
                       (p["id"],))[0][0] == 1
    kinds = {r[0] for r in server.psql("SELECT kind FROM jobs WHERE unique_key IS NOT NULL "
                                       "AND state IN ('queued', 'running')")}
    assert "purge_printer_samples" in kinds


# ---- machine rates in costing ----

def plate_product(api, h, nozzle, **plate):
    prod = api.post("/api/v1/products", json={"sku": "PR-" + tag(), "name": "Printed " + tag(),
                                              "price_gross_cents": 1190}, headers=h)
    assert prod.status_code == 201, prod.text
    body = dict({"name": "plate", "print_minutes": 60, "units": 1, "nozzle_mm": nozzle}, **plate)
    r = api.post(f"/api/v1/products/{prod.json()['id']}/plates", json=body, headers=h)
    assert r.status_code == 201, r.text
    return prod.json()


def machine(api, h, prod):
    cost = api.get(f"/api/v1/products/{prod['id']}/cost", headers=h).json()
    line = next(l for l in cost["lines"] if l["part"] == "machine")
    return cost["parts"]["machine"], line


def test_plates_cost_the_average_rate_of_the_printers_that_can_print_them(api, h):
    nozzle = 0.35
    prod = plate_product(api, h, nozzle, min_x_mm=200, min_y_mm=150, min_z_mm=100)
    # no printer with this nozzle: the stand-in rate
    cents, line = machine(api, h, prod)
    assert cents == 150 and line["printers_matched"] == 0
    moon = {"kind": "moonraker", "host": "k.lan", "nozzle_mm": nozzle}
    create(api, h, dict(moon, name="Open " + tag(), machine_rate_cents_per_hour=300))
    create(api, h, dict(moon, name="Closed " + tag(), machine_rate_cents_per_hour=500,
                        enclosure=True, build_x_mm=160, build_y_mm=256, build_z_mm=256))
    # not counted: inactive, another nozzle, too small, no rate
    create(api, h, dict(moon, name="Off " + tag(), machine_rate_cents_per_hour=9000,
                        active=False))
    create(api, h, dict(moon, name="Wide " + tag(), machine_rate_cents_per_hour=7000,
                        nozzle_mm=0.6))
    create(api, h, dict(moon, name="Mini " + tag(), machine_rate_cents_per_hour=8000,
                        build_x_mm=180, build_y_mm=180, build_z_mm=180))
    create(api, h, dict(moon, name="Norate " + tag()))
    cents, line = machine(api, h, prod)
    assert line["printers_matched"] == 2 and line["rate"] == 400
    assert cents == 400
    # an ABS plate needs the closed one
    abs_prod = plate_product(api, h, nozzle, slots=[{"material": "ABS", "grams": 20}])
    cents, line = machine(api, h, abs_prod)
    assert line["printers_matched"] == 1 and cents == 500


def test_a_fractional_average_is_rounded_once_to_the_cent(api, h):
    nozzle = 0.45
    prod = plate_product(api, h, nozzle, print_minutes=20)
    moon = {"kind": "moonraker", "host": "k.lan", "nozzle_mm": nozzle}
    for rate in (100, 100, 101):
        create(api, h, dict(moon, name="R " + tag(), machine_rate_cents_per_hour=rate))
    cents, line = machine(api, h, prod)
    # 20 min at 100.333... per hour = 33.444... cents
    assert line["printers_matched"] == 3 and cents == 33


def test_order_costs_use_the_rate_of_the_printer_that_ran_each_job(api, h, server):
    nozzle = 0.55
    prod = plate_product(api, h, nozzle)
    cust = api.post("/api/v1/customers", json={"name": "Rate " + tag()}, headers=h).json()
    order = api.post("/api/v1/orders", json={
        "customer_id": cust["id"], "lines": [{"product_id": prod["id"], "quantity": 2}]},
        headers=h)
    assert order.status_code == 201, order.text
    oid = order.json()["id"]
    r = api.post(f"/api/v1/orders/{oid}/status", json={"status": "confirmed"}, headers=h)
    assert r.status_code == 200, r.text
    jobs = [j for po in r.json()["production_orders"] for j in po["print_jobs"]]
    assert len(jobs) == 2
    costs = api.get(f"/api/v1/orders/{oid}/costs", headers=h).json()
    assert costs["parts"]["machine"] == 300     # 2 h at the stand-in rate
    moon = {"kind": "moonraker", "host": "k.lan", "nozzle_mm": nozzle}
    fast = create(api, h, dict(moon, name="Fast " + tag(), machine_rate_cents_per_hour=300))
    create(api, h, dict(moon, name="Slow " + tag(), machine_rate_cents_per_hour=500))
    server.psql("UPDATE print_jobs SET printer_id = %s WHERE id = %s", (fast["id"], jobs[0]["id"]))
    costs = api.get(f"/api/v1/orders/{oid}/costs", headers=h).json()
    # 1 h on the 3.00 printer, 1 h at the average of both (4.00)
    assert costs["parts"]["machine"] == 700
    # a printer that ran a job is kept
    assert api.delete(f"/api/v1/printers/{fast['id']}", headers=h).status_code == 409


# ---- pages ----

def test_the_printers_page_lists_printers_with_kind_host_and_state(api, h, make_user):
    p = create(api, h, bambu(model="P1S"))
    s = page_session(api, make_user, "owner")
    page = s.get("/settings/printers")
    assert page.status_code == 200
    assert p["name"] in page.text and "192.168.1.20:8883" in page.text
    assert f'id="printer-{p["id"]}"' in page.text and 'data-status="offline"' in page.text
    assert 'class="table-scroll"' in page.text and 'data-testid="printers-new"' in page.text
    assert 'href="/settings/printers"' in s.get("/settings").text


def test_the_new_printer_form_creates_a_printer_with_its_secret_sealed(api, h, make_user, server):
    s = page_session(api, make_user, "owner")
    page = s.get("/settings/printers/new")
    assert page.status_code == 200 and 'name="secret"' in page.text
    name = "Form " + tag()
    r = s.post("/settings/printers/new", data={
        "kind": "prusalink", "name": name, "host": "mk4.lan", "port": "", "username": "",
        "secret": "pl-password", "tls_mode": "verify", "nozzle_mm": "0,4",
        "machine_rate": "1,75", "tags": "mk4, left shelf", "active": "1",
        "poll_idle_s": "10", "poll_busy_s": "2", "_csrf": csrf_of(page.text)},
        allow_redirects=False)
    assert r.status_code == 303, r.text
    p = api.get("/api/v1/printers", params={"q": name}, headers=h).json()["items"][0]
    assert p["port"] == 80 and p["username"] == "maker" and p["has_secret"] is True
    assert p["machine_rate_cents_per_hour"] == 175 and p["tags"] == ["mk4", "left shelf"]
    assert r.headers["Location"] == f"/settings/printers/{p['id']}"
    edit = s.get(r.headers["Location"])
    assert edit.status_code == 200 and "pl-password" not in edit.text
    assert 'value="1.75"' in edit.text and 'value="mk4, left shelf"' in edit.text
    stored = server.psql("SELECT secret FROM printers WHERE id = %s", (p["id"],))[0][0]
    assert "pl-password" not in stored


def test_the_edit_form_keeps_the_secret_when_left_empty(api, h, make_user, server):
    p = create(api, h, bambu())
    sealed = server.psql("SELECT secret FROM printers WHERE id = %s", (p["id"],))[0][0]
    s = page_session(api, make_user, "owner")
    page = s.get(f"/settings/printers/{p['id']}")
    assert "printer-secret-clear" in page.text
    r = s.post(f"/settings/printers/{p['id']}", data={
        "kind": "bambu", "name": p["name"], "host": "192.168.1.21", "port": "8883",
        "serial": p["serial"], "username": "maker", "secret": "", "tls_mode": "tofu",
        "nozzle_mm": "0.4", "enclosure": "1", "poll_idle_s": "10", "poll_busy_s": "2",
        "_csrf": csrf_of(page.text)}, allow_redirects=False)
    assert r.status_code == 303, r.text
    q = api.get(f"/api/v1/printers/{p['id']}", headers=h).json()
    assert q["host"] == "192.168.1.21" and q["tls_mode"] == "tofu" and q["enclosure"] is True
    # an unchecked box is a no
    assert q["active"] is False
    assert server.psql("SELECT secret FROM printers WHERE id = %s", (p["id"],))[0][0] == sealed


def test_a_bad_printer_form_comes_back_with_messages_at_the_fields(api, make_user, server):
    s = page_session(api, make_user, "owner")
    page = s.get("/settings/printers/new")
    name = "Broken " + tag()
    r = s.post("/settings/printers/new", data={
        "kind": "bambu", "name": name, "host": "not a host", "secret": "",
        "tls_mode": "verify", "nozzle_mm": "0.4", "machine_rate": "lots",
        "poll_idle_s": "10", "poll_busy_s": "2", "_csrf": csrf_of(page.text)})
    assert r.status_code == 422
    assert 'data-kind="error"' in r.text and f'value="{name}"' in r.text
    assert 'data-testid="error-machine_rate"' in r.text
    assert server.psql("SELECT count(*) FROM printers WHERE name = %s", (name,))[0][0] == 0
    r = s.post("/settings/printers/new", data={
        "kind": "bambu", "name": name, "host": "not a host", "secret": "",
        "tls_mode": "verify", "nozzle_mm": "0.4", "poll_idle_s": "10", "poll_busy_s": "2",
        "_csrf": csrf_of(page.text)})
    assert r.status_code == 422
    for field in ("host", "serial", "secret"):
        assert f'data-testid="error-{field}"' in r.text


def test_deleting_a_printer_with_history_from_the_page_keeps_it(api, h, make_user, server):
    p = create(api, h, bambu())
    server.psql("INSERT INTO print_runs (printer_id, started_at) VALUES (%s, now())", (p["id"],))
    s = page_session(api, make_user, "owner")
    page = s.get(f"/settings/printers/{p['id']}")
    r = s.post(f"/settings/printers/{p['id']}/delete", data={"_csrf": csrf_of(page.text)},
               allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == f"/settings/printers/{p['id']}"
    assert 'data-kind="error"' in s.get(r.headers["Location"]).text
    assert api.get(f"/api/v1/printers/{p['id']}", headers=h).status_code == 200
    gone = create(api, h, bambu())
    page = s.get(f"/settings/printers/{gone['id']}")
    r = s.post(f"/settings/printers/{gone['id']}/delete", data={"_csrf": csrf_of(page.text)},
               allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/settings/printers"
    assert api.get(f"/api/v1/printers/{gone['id']}", headers=h).status_code == 404


def test_staff_see_printers_read_only(api, h, make_user):
    p = create(api, h, bambu())
    s = page_session(api, make_user, "staff")
    listing = s.get("/settings/printers")
    assert listing.status_code == 200 and p["name"] in listing.text
    assert 'data-testid="printers-new"' not in listing.text
    page = s.get(f"/settings/printers/{p['id']}")
    assert page.status_code == 200 and 'data-testid="printers-read-only"' in page.text
    assert 'data-testid="printer-delete"' not in page.text
    assert s.get("/settings/printers/new").status_code == 403
    r = s.post(f"/settings/printers/{p['id']}", data={"name": "x", "_csrf": csrf_of(page.text)},
               allow_redirects=False)
    assert r.status_code == 403


def test_german_printer_pages_use_the_german_catalog(api, make_user):
    s = page_session(api, make_user, "owner")
    page = s.get("/settings")
    s.post("/settings/language", data={"lang": "de", "_csrf": csrf_of(page.text)})
    html = s.get("/settings/printers/new").text
    assert "Drucker hinzufügen" in html and "Zugangscode" in html
