"""The printer farm as people watch it: the samples, runs and events the
printer page reads, the live cards on /printers and the dashboard, and the
printer page itself.  The printers' state is written with SQL, as the
telemetry worker would write it."""
import html
import json
import re
import secrets
from pathlib import Path

import pytest

from harness import ApiSession
from util import confirmed_job, page_session, post

CATALOGS = Path(__file__).resolve().parents[2] / "templates" / "i18n"
EN = json.loads((CATALOGS / "en" / "farm.json").read_text())
T = secrets.token_hex(3)



def card_of(page, pid):
    """The HTML of one printer card on a page."""
    m = re.search(r'<article class="farm-card[^"]*" id="printer-%d".*?</article>' % pid,
                  page, re.S)
    assert m, "no card for printer %d" % pid
    return m.group(0)


@pytest.fixture(scope="module")
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


@pytest.fixture(scope="module")
def printers(h, server):
    """A Bambu printer printing an order's job with Developer Mode off, and a
    Moonraker printer that is offline."""
    api = ApiSession(server.base_url)
    bambu = post(api, h, "/api/v1/printers", {
        "kind": "bambu", "name": f"Farm P1S {T}", "model": "P1S", "host": "10.0.0.7",
        "serial": f"01P00A{T.upper()}", "secret": "12345678"})
    voron = post(api, h, "/api/v1/printers", {
        "kind": "moonraker", "name": f"Farm Voron {T}", "host": "voron.local"})
    # an order whose print job runs on the Bambu printer
    cust = post(api, h, "/api/v1/customers", {
        "name": f"Farm {T}", "email": f"farm{T}@example.org", "shipping_street": "Weg 1",
        "shipping_postal_code": "10115", "shipping_city": "Berlin", "shipping_country": "DE"})
    prod = post(api, h, "/api/v1/products", {
        "sku": f"FARM-{T}", "name": f"Farm part {T}", "price_gross_cents": 990})
    post(api, h, f"/api/v1/products/{prod['id']}/plates", {
        "name": f"farm-{T}", "print_minutes": 30, "units": 1,
        "slots": [{"material": "PLA", "color_name": "Black", "grams": 10}]})
    order, po, job = confirmed_job(api, h, cust["id"], prod["id"])
    server.psql("UPDATE print_jobs SET status = 'started', started_at = now(), "
                "printer_id = %s WHERE id = %s", (bambu["id"], job["id"]))
    slots = [{"slot": 1, "type": "PLA", "color": "#FF0000", "remaining_pct": 80,
              "tag_uid": "", "active": True},
             {"slot": 2, "type": "PETG", "color": "#00FF00", "remaining_pct": 35,
              "tag_uid": "", "active": False}]
    errors = [{"code": "0300_0100_0001_0007", "text": "Nozzle temperature malfunction"}]
    server.psql(
        "INSERT INTO printer_state (printer_id, online, status, job, progress, layer, "
        "total_layers, remaining_s, nozzle_c, nozzle_target_c, bed_c, bed_target_c, "
        "chamber_c, control_ok, slots, errors, last_message_at) VALUES (%s, true, "
        "'printing', %s, 42.4, 12, 40, 3900, 219.6, 220, 55.2, 55, 31, false, %s, %s, "
        "now())", (bambu["id"], f"farm-{T}.gcode.3mf", json.dumps(slots), json.dumps(errors)))
    server.psql("INSERT INTO printer_state (printer_id, online, status) VALUES (%s, false, "
                "'offline')", (voron["id"],))
    server.psql("UPDATE printers SET last_error = 'connection refused' WHERE id = %s",
                (voron["id"],))
    server.psql("INSERT INTO printer_events (printer_id, at, from_status, to_status, job) "
                "VALUES (%s, now() - interval '20 minutes', 'idle', 'printing', 'a.gcode'), "
                "(%s, now() - interval '10 minutes', 'printing', 'offline', 'a.gcode')",
                (voron["id"], voron["id"]))
    # runs: two older ones on the Voron, one running on the P1S for the job
    server.psql("INSERT INTO print_runs (printer_id, started_at, ended_at, result, file, "
                "duration_s) VALUES (%s, now() - interval '3 hours', now() - interval "
                "'2 hours', 'completed', 'old.gcode', 3600), (%s, now() - interval "
                "'90 minutes', now() - interval '80 minutes', 'failed', 'newer.gcode', 600)",
                (voron["id"], voron["id"]))
    server.psql("INSERT INTO print_runs (printer_id, started_at, file, print_job_id) "
                "VALUES (%s, now() - interval '30 minutes', %s, %s)",
                (bambu["id"], f"farm-{T}.gcode.3mf", job["id"]))
    api.close()
    return {"bambu": bambu["id"], "voron": voron["id"], "order": order,
            "po": po["number"], "job": job["id"]}


def test_samples_are_averaged_into_buckets_of_the_asked_range(api, h, server, printers):
    pid = printers["bambu"]
    # one sample every 5 s for the last two hours, progress rising with time
    server.psql(
        "INSERT INTO printer_samples (printer_id, at, nozzle_c, bed_c, chamber_c, progress) "
        "SELECT %s, now() - s * interval '1 second', 200 + s %% 2, 60, NULL, "
        "100 - s / 72.0 FROM generate_series(0, 7199, 5) s", (pid,))
    server.psql("INSERT INTO printer_samples (printer_id, at, nozzle_c, progress) "
                "VALUES (%s, now() - interval '5 hours', 250, 1)", (pid,))
    one = api.get(f"/api/v1/printers/{pid}/samples?hours=1", headers=h)
    assert one.status_code == 200, one.text
    items = one.json()["items"]
    assert 400 <= len(items) <= 481
    assert all(190 <= i["nozzle_c"] <= 201 and i["bed_c"] == 60 and i["chamber_c"] is None
               for i in items)
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    assert items[-1]["progress"] > items[0]["progress"] >= 49
    six = api.get(f"/api/v1/printers/{pid}/samples", headers=h).json()
    assert six["hours"] == 6 and len(six["items"]) <= 481
    # the 5-hour-old sample is in the default 6 hours, not in the last two
    assert max(i["nozzle_c"] for i in six["items"]) == 250
    two = api.get(f"/api/v1/printers/{pid}/samples?hours=2", headers=h).json()["items"]
    assert max(i["nozzle_c"] for i in two) < 250 and len(two) > len(items) / 2


def test_samples_refuse_bad_ranges_and_unknown_printers(api, h, printers):
    pid = printers["bambu"]
    for q in ("hours=0", "hours=169", "hours=abc"):
        r = api.get(f"/api/v1/printers/{pid}/samples?{q}", headers=h)
        # the framework answers malformed query parameters with 400
        assert r.status_code == 400, (q, r.text)
        assert "hours" in r.text
    assert api.get("/api/v1/printers/987654321/samples", headers=h).status_code == 404
    assert api.get("/api/v1/printers/987654321/runs", headers=h).status_code == 404
    assert api.get("/api/v1/printers/987654321/events", headers=h).status_code == 404
    assert api.get(f"/api/v1/printers/{pid}/runs?limit=0", headers=h).status_code == 400


def test_runs_are_listed_newest_first_with_their_order(api, h, printers):
    r = api.get(f"/api/v1/printers/{printers['voron']}/runs?limit=1", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 2 and [x["file"] for x in body["items"]] == ["newer.gcode"]
    rest = api.get(f"/api/v1/printers/{printers['voron']}/runs?offset=1", headers=h).json()
    assert [(x["file"], x["result"], x["duration_s"]) for x in rest["items"]] == [
        ("old.gcode", "completed", 3600)]
    running, = api.get(f"/api/v1/printers/{printers['bambu']}/runs", headers=h).json()["items"]
    assert running["result"] == "running" and running["ended_at"] is None
    assert running["print_job_id"] == printers["job"]
    assert running["order_number"] == printers["order"]["number"]
    assert running["order_id"] == printers["order"]["id"]
    assert 1700 <= running["duration_s"] <= 1900


def test_events_are_listed_newest_first(api, h, printers):
    body = api.get(f"/api/v1/printers/{printers['voron']}/events", headers=h).json()
    assert body["total"] == 2
    assert [(e["from_status"], e["to_status"]) for e in body["items"]] == [
        ("printing", "offline"), ("idle", "printing")]


def test_printers_page_shows_the_live_state_of_each_printer(api, make_user, printers):
    s = page_session(api, make_user, "staff")
    page = s.get("/printers")
    assert page.status_code == 200
    assert 'data-live-url="/live/sub/printers"' in page.text
    assert "/static/js/printers.js" in page.text
    card = card_of(page.text, printers["bambu"])
    text = html.unescape(card)
    assert 'data-status="printing"' in card
    assert f"farm-{T}.gcode.3mf" in text
    assert "42%" in text and "1:05" in text and "12 / 40" in text
    assert "220 / 220 °C" in text and "55 / 55 °C" in text and "31 °C" in text
    assert 'value="42"' in card
    # the order the printer works for, linked
    assert f'href="/orders/{printers["order"]["id"]}"' in card
    assert printers["order"]["number"] in card and printers["po"] in card
    # material slots with colour, type and what is left; the active one marked
    assert card.count('data-testid="printer-slot"') == 2
    assert 'fill="#FF0000"' in card and "PETG" in card and "35%" in text
    assert re.search(r'farm-slot farm-slot-active[^>]*>.*?PLA', card, re.S)
    assert "Nozzle temperature malfunction" in text
    # the offline printer says so in words, with its last error
    voron = html.unescape(card_of(page.text, printers["voron"]))
    assert EN["farm_offline_since"] in voron and "connection refused" in voron


def test_buttons_are_disabled_with_the_reason_when_control_is_off(api, make_user, printers):
    s = page_session(api, make_user, "staff")
    card = card_of(s.get("/printers").text, printers["bambu"])
    for cmd in ("pause", "resume", "stop"):
        button = re.search(r'<button[^>]*data-command="%s"[^>]*>' % cmd, card).group(0)
        assert "disabled" in button
    assert html.unescape(EN["farm_why_devmode"]) in html.unescape(card)
    voron = card_of(s.get("/printers").text, printers["voron"])
    assert EN["farm_why_offline"] in html.unescape(voron)


def test_buttons_follow_the_printer_state_when_control_works(api, make_user, server,
                                                             printers):
    pid = printers["bambu"]
    server.psql("UPDATE printer_state SET control_ok = true WHERE printer_id = %s", (pid,))
    try:
        s = page_session(api, make_user, "owner")
        card = card_of(s.get("/printers").text, pid)
        buttons = {m.group(1): m.group(0) for m in re.finditer(
            r'<button[^>]*data-command="(\w+)"[^>]*>', card)}
        assert "disabled" not in buttons["pause"] and "disabled" not in buttons["stop"]
        assert "disabled" in buttons["resume"] and EN["farm_why_not_paused"] in buttons["resume"]
    finally:
        server.psql("UPDATE printer_state SET control_ok = false WHERE printer_id = %s",
                    (pid,))


def test_accountants_see_the_cards_without_buttons(api, make_user, printers):
    s = page_session(api, make_user, "accountant")
    page = s.get("/printers").text
    card = card_of(page, printers["bambu"])
    assert 'data-command="pause"' not in card and "printer-controls" not in card
    staff = page_session(api, make_user, "staff")
    assert 'data-testid="printer-controls"' in card_of(staff.get("/printers").text,
                                                     printers["bambu"])


def test_the_dashboard_shows_the_printer_cards(api, make_user, printers):
    s = page_session(api, make_user, "staff")
    page = s.get("/").text
    assert 'data-testid="card-printers"' in page
    card_of(page, printers["bambu"])
    assert 'data-live-url="/live/sub/printers"' in page


def test_printer_page_has_chart_runs_events_and_diagnostics(api, make_user, printers):
    s = page_session(api, make_user, "owner")
    r = s.get(f"/printers/{printers['voron']}")
    assert r.status_code == 200
    page = html.unescape(r.text)
    card_of(r.text, printers["voron"])
    assert page.count('data-testid="printer-run"') == 2
    assert page.index("newer.gcode") < page.index("old.gcode")
    assert page.count('data-testid="printer-event"') == 2
    assert "voron.local:7125" in page
    assert "connection refused" in page
    assert f'href="/settings/printers/{printers["voron"]}"' in page
    assert 'id="printer-files"' in page and f'href="/printers/{printers["voron"]}/files"' in page
    # no samples for this printer: the chart says why
    assert 'data-testid="chart-empty"' in page
    bambu = s.get(f"/printers/{printers['bambu']}?hours=24").text
    assert "<polyline" in bambu and 'data-hours="24"' in bambu
    assert f'href="/orders/{printers["order"]["id"]}"' in bambu
    staff = page_session(api, make_user, "staff")
    assert "/settings/printers/" not in staff.get(f"/printers/{printers['voron']}").text


def test_printer_page_of_an_unknown_printer_is_not_found(api, make_user):
    s = page_session(api, make_user, "staff")
    assert s.get("/printers/987654321").status_code == 404
    assert s.get("/printers/1?hours=500").status_code == 400
