"""Spools: the stock ledger is the only source of the remaining weight."""
import math
import re
import secrets
import threading

import pytest


@pytest.fixture
def h(owner_token):
    return {"Authorization": f"Bearer {owner_token}"}


def new_filament(api, h, **extra):
    body = {"name": "Test " + secrets.token_hex(3), "material": "PLA", "color_name": "Red",
            "color_hex": "#ff0000", "density": 1.24, "diameter_mm": 1.75,
            "net_weight_g": 1000, "spool_weight_g": 200, "price_per_kg_cents": 2000}
    body.update(extra)
    r = api.post("/api/v1/filaments", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def new_spool(api, h, filament=None, **extra):
    filament = filament or new_filament(api, h)
    r = api.post("/api/v1/spools", json=dict({"filament_id": filament["id"]}, **extra), headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def ledger_sum(server, spool_id):
    return float(server.psql("SELECT coalesce(sum(qty), 0) FROM stock_moves WHERE spool_id = %s",
                             (spool_id,))[0][0])


def stored(server, spool_id):
    return float(server.psql("SELECT remaining_g FROM spools WHERE id = %s", (spool_id,))[0][0])


def test_new_spool_takes_weights_from_its_filament_and_gets_a_scan_code(api, h, server):
    s = new_spool(api, h, lot="L-7")
    assert s["initial_weight_g"] == 1000 and s["spool_weight_g"] == 200
    assert s["remaining_g"] == 1000 and s["lot"] == "L-7"
    assert re.fullmatch(r"[A-Z2-7]{6}", s["code"])
    rows = api.get(f"/api/v1/spools/{s['id']}/ledger", headers=h).json()
    assert rows["total"] == 1 and rows["items"][0]["kind"] == "receipt"
    assert rows["items"][0]["qty"] == 1000 and rows["items"][0]["actor"] == "owner"
    found = api.get("/api/v1/spools", params={"q": s["code"]}, headers=h).json()
    assert [x["id"] for x in found["items"]] == [s["id"]]


def test_use_subtracts_grams_and_is_listed_in_the_ledger_with_its_link(api, h, server):
    s = new_spool(api, h)
    r = api.post(f"/api/v1/spools/{s['id']}/use",
                 json={"grams": 12.5, "reason": "benchy", "ref_kind": "print_job", "ref_id": 42},
                 headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["spool"]["remaining_g"] == 987.5
    assert r.json()["spool"]["first_used_at"] and r.json()["spool"]["last_used_at"]
    move = api.get(f"/api/v1/spools/{s['id']}/ledger", headers=h).json()["items"][0]
    assert (move["kind"], move["qty"], move["balance"]) == ("consumption", -12.5, 987.5)
    assert (move["reason"], move["ref_kind"], move["ref_id"]) == ("benchy", "print_job", 42)
    assert ledger_sum(server, s["id"]) == stored(server, s["id"]) == 987.5


def test_use_in_millimetres_converts_with_density_and_diameter(api, h):
    s = new_spool(api, h)
    r = api.post(f"/api/v1/spools/{s['id']}/use", json={"mm": 3000}, headers=h)
    assert r.status_code == 200, r.text
    grams = 1.24 * math.pi * (1.75 / 2) ** 2 * 3000 / 1000
    assert r.json()["move"]["qty"] == pytest.approx(-grams, abs=0.001)
    assert r.json()["spool"]["remaining_g"] == pytest.approx(1000 - grams, abs=0.001)


def test_measuring_sets_remaining_to_gross_minus_empty_spool(api, h, server):
    s = new_spool(api, h)
    r = api.post(f"/api/v1/spools/{s['id']}/measure", json={"gross_weight_g": 845.2}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["spool"]["remaining_g"] == pytest.approx(645.2)
    assert r.json()["move"]["kind"] == "adjustment"
    assert r.json()["move"]["qty"] == pytest.approx(-354.8)
    assert ledger_sum(server, s["id"]) == pytest.approx(stored(server, s["id"]))
    too_light = api.post(f"/api/v1/spools/{s['id']}/measure", json={"gross_weight_g": 150}, headers=h)
    assert too_light.status_code == 422
    assert "gross_weight_g" in too_light.json()["error"]["fields"]


def test_using_more_than_remains_is_refused_naming_what_remains(api, h, server):
    s = new_spool(api, h, initial_weight_g=50)
    r = api.post(f"/api/v1/spools/{s['id']}/use", json={"grams": 50.5}, headers=h)
    assert r.status_code == 409
    assert "50.000 g remain" in r.json()["error"]["message"]
    assert stored(server, s["id"]) == 50
    assert api.get(f"/api/v1/spools/{s['id']}/ledger", headers=h).json()["total"] == 1


def test_bad_amounts_are_422_naming_the_field_and_change_nothing(api, h, server):
    s = new_spool(api, h)
    for body, field in (({"grams": -3}, "grams"), ({"grams": "lots"}, "grams"),
                        ({}, "grams"), ({"grams": 1, "mm": 1}, "grams"),
                        ({"grams": 1, "colour": "red"}, "colour")):
        r = api.post(f"/api/v1/spools/{s['id']}/use", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["error"]["fields"], body
    assert stored(server, s["id"]) == 1000
    assert api.post("/api/v1/spools/99999999/use", json={"grams": 1}, headers=h).status_code == 404


def test_correction_is_an_adjustment_row_with_a_reason(api, h, server):
    s = new_spool(api, h)
    assert api.post(f"/api/v1/spools/{s['id']}/adjust", json={"grams": -20}, headers=h).status_code == 422
    r = api.post(f"/api/v1/spools/{s['id']}/adjust", json={"grams": -20, "reason": "spilled"}, headers=h)
    assert r.status_code == 200
    assert r.json()["move"]["kind"] == "adjustment" and r.json()["spool"]["remaining_g"] == 980


def test_the_database_keeps_the_ledger_append_only_and_the_balance_its_sum(api, h, server):
    import psycopg2
    s = new_spool(api, h)
    with pytest.raises(psycopg2.Error):
        server.psql("UPDATE spools SET remaining_g = 5 WHERE id = %s", (s["id"],))
    with pytest.raises(psycopg2.Error):
        server.psql("DELETE FROM stock_moves WHERE spool_id = %s", (s["id"],))
    with pytest.raises(psycopg2.Error):  # never below zero, whoever writes
        server.psql("INSERT INTO stock_moves (kind, spool_id, qty) VALUES ('consumption', %s, -2000)",
                    (s["id"],))
    assert stored(server, s["id"]) == ledger_sum(server, s["id"]) == 1000


def test_archived_spools_leave_the_list_and_refuse_use(api, h):
    s = new_spool(api, h)
    r = api.post(f"/api/v1/spools/{s['id']}/archive", headers=h)
    assert r.status_code == 200 and r.json()["spool"]["archived"] is True
    active = api.get("/api/v1/spools", params={"q": s["code"]}, headers=h).json()["items"]
    archived = api.get("/api/v1/spools", params={"q": s["code"], "archived": "true"}, headers=h).json()
    assert active == [] and [x["id"] for x in archived["items"]] == [s["id"]]
    assert api.post(f"/api/v1/spools/{s['id']}/use", json={"grams": 1}, headers=h).status_code == 409


def test_moving_a_spool_records_a_transfer(api, h):
    loc = api.post("/api/v1/locations", json={"name": "Dry box " + secrets.token_hex(3),
                                              "kind": "dry_box"}, headers=h).json()
    s = new_spool(api, h)
    r = api.post(f"/api/v1/spools/{s['id']}/move", json={"location_id": loc["id"]}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["spool"]["location"] == loc["name"]
    assert r.json()["move"]["kind"] == "transfer" and r.json()["move"]["qty"] == 0
    bad = api.post(f"/api/v1/spools/{s['id']}/move", json={"location_id": 99999999}, headers=h)
    assert bad.status_code == 422 and "location_id" in bad.json()["error"]["fields"]


def test_spool_operations_are_audited_with_the_actor(api, h, server):
    s = new_spool(api, h)
    api.post(f"/api/v1/spools/{s['id']}/use", json={"grams": 5}, headers=h)
    rows = server.psql("SELECT action, actor FROM audit_log WHERE entity = 'spool' AND entity_id = %s "
                       "ORDER BY id", (str(s["id"]),))
    assert rows == [("create", "owner"), ("use", "owner")]


def test_accountants_read_spools_but_cannot_use_them(api, h, make_user):
    s = new_spool(api, h)
    _, _, token = make_user("accountant")
    ah = {"Authorization": f"Bearer {token}"}
    assert api.get(f"/api/v1/spools/{s['id']}", headers=ah).status_code == 200
    assert api.post(f"/api/v1/spools/{s['id']}/use", json={"grams": 1}, headers=ah).status_code == 403


def test_concurrent_use_and_measure_keep_the_ledger_and_balance_equal(api, h, server, base_url):
    s = new_spool(api, h, initial_weight_g=300)
    sid = s["id"]
    results = []
    lock = threading.Lock()

    def worker(n):
        sess = api.session()
        sess.headers.update(h)
        for i in range(12):
            if (n + i) % 5 == 0:
                r = sess.post(f"/api/v1/spools/{sid}/measure", json={"gross_weight_g": 200 + 150 - i})
            else:
                r = sess.post(f"/api/v1/spools/{sid}/use", json={"grams": 7.5})
            with lock:
                results.append((r.status_code, r.text))
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = {c for c, _ in results}
    assert codes <= {200, 409}, results
    assert 200 in codes
    for c, text in results:
        if c == 409:
            assert "remain on spool" in text
    assert ledger_sum(server, sid) == pytest.approx(stored(server, sid))
    balances = server.psql("SELECT min(balance) FROM stock_moves WHERE spool_id = %s", (sid,))[0][0]
    assert float(balances) >= 0
    ok = sum(1 for c, _ in results if c == 200)
    assert server.psql("SELECT count(*) FROM stock_moves WHERE spool_id = %s", (sid,))[0][0] == ok + 1


def test_grams_are_reserved_up_to_what_is_free_and_released_up_to_what_is_held(api, h, server):
    sp = new_spool(api, h, initial_weight_g=200)
    r = api.post(f"/api/v1/spools/{sp['id']}/reserve",
                 json={"grams": 150, "reason": "for a client's test print"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["spool"]["reserved_g"] == 150 and r.json()["move"]["kind"] == "reservation"
    # 50 g remain free
    r = api.post(f"/api/v1/spools/{sp['id']}/reserve", json={"grams": 60}, headers=h)
    assert r.status_code == 409 and "50.000 g" in r.json()["error"]["message"]
    r = api.post(f"/api/v1/spools/{sp['id']}/release", json={"grams": 151}, headers=h)
    assert r.status_code == 409
    r = api.post(f"/api/v1/spools/{sp['id']}/release", json={"grams": 100}, headers=h)
    assert r.status_code == 200 and r.json()["spool"]["reserved_g"] == 50
    for bad in (0, -5, "x"):
        r = api.post(f"/api/v1/spools/{sp['id']}/reserve", json={"grams": bad}, headers=h)
        assert r.status_code == 422 and "grams" in r.json()["error"]["fields"]
    held = server.psql("SELECT sum(reserved_qty) FROM stock_moves WHERE spool_id = %s",
                       (sp["id"],))[0][0]
    assert float(held) == 50
    assert stored(server, sp["id"]) == ledger_sum(server, sp["id"])
