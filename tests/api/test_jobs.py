"""The background jobs worker: housekeeping, retries, dead letters, recurrence."""
import time

from util import wait_for


def test_housekeeping_expires_old_idempotency_keys_and_sessions(server):
    server.psql("INSERT INTO idempotency_keys (principal, key, route, request_hash, status, response,"
                " created_at) VALUES ('user:1', 'old-key', '/x', 'h', 201, '{}', now() - interval '25 hours'),"
                " ('user:1', 'new-key', '/x', 'h', 201, '{}', now() - interval '23 hours')")
    server.psql("INSERT INTO sessions (id, user_id, expires_at) SELECT 'old-session', id,"
                " now() - interval '2 days' FROM users WHERE username = 'owner'")
    server.psql("INSERT INTO jobs (kind) VALUES ('expire_idempotency_keys'), ('expire_sessions')")
    done = wait_for(lambda: server.psql(
        "SELECT count(*) FROM jobs WHERE kind IN ('expire_idempotency_keys', 'expire_sessions')"
        " AND state = 'done' AND every_seconds IS NULL")[0][0] == 2)
    assert done
    keys = {r[0] for r in server.psql("SELECT key FROM idempotency_keys WHERE key LIKE '%-key'")}
    assert keys == {"new-key"}
    assert server.psql("SELECT count(*) FROM sessions WHERE id = 'old-session'")[0][0] == 0


def test_recurring_housekeeping_is_always_scheduled(server):
    rows = server.psql("SELECT kind, every_seconds FROM jobs WHERE unique_key IS NOT NULL"
                       " AND state IN ('queued', 'running') ORDER BY kind")
    kinds = {r[0] for r in rows}
    assert {"expire_idempotency_keys", "expire_sessions", "purge_finished_jobs"} <= kinds


def test_failing_job_retries_with_backoff_then_goes_dead(server):
    jid = server.psql("INSERT INTO jobs (kind, args, max_attempts) VALUES ('always_fail',"
                      " '{\"message\": \"printer on fire\"}', 2) RETURNING id")[0][0]
    first = wait_for(lambda: server.psql(
        "SELECT attempts, state, last_error, run_at > now() FROM jobs WHERE id = %s AND attempts = 1"
        " AND state = 'queued'", (jid,)))
    assert first, "first attempt did not fail and requeue"
    attempts, state, err, later = first[0]
    assert err == "printer on fire" and later  # backed off into the future
    server.psql("UPDATE jobs SET run_at = now() WHERE id = %s", (jid,))
    dead = wait_for(lambda: server.psql(
        "SELECT state, attempts, last_error FROM jobs WHERE id = %s AND state = 'dead'", (jid,)))
    assert dead == [("dead", 2, "printer on fire")]


def test_unknown_job_kind_is_dead_lettered_with_a_reason(server):
    jid = server.psql("INSERT INTO jobs (kind, max_attempts) VALUES ('no_such_kind', 1) RETURNING id")[0][0]
    dead = wait_for(lambda: server.psql("SELECT last_error FROM jobs WHERE id = %s AND state = 'dead'", (jid,)))
    assert "no_such_kind" in dead[0][0]


def test_jobs_heartbeat_is_fresh(server):
    age = wait_for(lambda: server.psql(
        "SELECT extract(epoch FROM now() - beat_at) FROM heartbeats WHERE process = 'jobs'"))
    assert age and age[0][0] < 30


def test_dead_job_is_visible_and_an_owner_can_retry_it(api, owner_token, make_user, server):
    h = {"Authorization": f"Bearer {owner_token}"}
    jid = server.psql("INSERT INTO jobs (kind, max_attempts) VALUES ('always_fail', 1) RETURNING id")[0][0]
    wait_for(lambda: server.psql("SELECT 1 FROM jobs WHERE id = %s AND state = 'dead'", (jid,)))
    job = api.get(f"/api/v1/jobs/{jid}", headers=h).json()
    assert job["state"] == "dead" and job["last_error"] == "this job always fails"
    dead = api.get("/api/v1/jobs?state=dead", headers=h).json()
    assert jid in [j["id"] for j in dead["items"]]
    _, _, staff = make_user("staff")
    assert api.post(f"/api/v1/jobs/{jid}/retry", headers={"Authorization": f"Bearer {staff}"}).status_code == 403
    r = api.post(f"/api/v1/jobs/{jid}/retry", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "queued"
    assert api.post(f"/api/v1/jobs/{jid}/retry", headers=h).status_code in (200, 409)
    wait_for(lambda: server.psql("SELECT 1 FROM jobs WHERE id = %s AND state = 'dead'", (jid,)))
    assert api.post(f"/api/v1/jobs/{jid}/retry", headers=h).status_code == 200


def test_job_events_reach_live_subscribers(api, server, owner_token):
    import threading
    import requests
    seen = []
    ready = threading.Event()

    def listen():
        with requests.get(api.base_url + "/live/sub/jobs", stream=True, timeout=20,
                          headers={"Accept": "text/event-stream",
                                   "Authorization": "Bearer " + owner_token}) as r:
            assert r.status_code == 200
            ready.set()
            for line in r.iter_lines(chunk_size=1, decode_unicode=True):
                if line and line.startswith("data:"):
                    seen.append(line[5:].strip())
                    if "always_fail" in line:
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(10)
    time.sleep(0.3)
    server.psql("INSERT INTO jobs (kind, max_attempts) VALUES ('always_fail', 1)")
    t.join(15)
    import json
    events = [json.loads(s) for s in seen]
    assert any(e["type"] == "job" and e["kind"] == "always_fail" and e["state"] == "dead"
               for e in events), seen


def test_jobs_page_shows_progress_and_lets_an_owner_retry_a_dead_job(api, make_user, server):
    import re
    owner, password, _ = make_user("owner")
    s = api.session()
    token = re.search(r'name="_csrf" value="([^"]+)"', s.get("/login").text).group(1)
    s.post("/login", data={"username": owner, "password": password, "_csrf": token})
    jid = server.psql("INSERT INTO jobs (kind, args, max_attempts) VALUES ('always_fail',"
                      " '{\"message\": \"belt slipped\"}', 1) RETURNING id")[0][0]
    wait_for(lambda: server.psql("SELECT 1 FROM jobs WHERE id = %s AND state = 'dead'", (jid,)))
    page = s.get("/settings/jobs")
    assert page.status_code == 200
    row = re.search(r'<tr id="job-%d".*?</tr>' % jid, page.text, re.S).group(0)
    assert 'data-state="dead"' in row and "belt slipped" in row and "<progress" in row
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    r = s.post(f"/settings/jobs/{jid}/retry", data={"_csrf": csrf}, allow_redirects=False)
    assert r.status_code == 303
    assert server.psql("SELECT attempts FROM jobs WHERE id = %s", (jid,))[0][0] in (0, 1)
    audit = server.psql("SELECT actor FROM audit_log WHERE entity = 'job' AND entity_id = %s",
                        (str(jid),))
    assert audit == [(owner,)]
    # staff may look but not retry
    _, _, staff = make_user("staff")
    assert api.get("/settings/jobs", headers={"Authorization": f"Bearer {staff}"}).status_code == 200
