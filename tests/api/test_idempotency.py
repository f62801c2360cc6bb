"""Idempotency-Key on routes that declare it."""
import concurrent.futures
import uuid


def post_key(api, token, key, body):
    return api.post("/api/v1/apikeys", json=body,
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def test_same_key_and_body_replays_the_first_answer(api, owner_token, server):
    key = str(uuid.uuid4())
    body = {"name": "idem-" + key[:8], "scopes": ["read"]}
    r1 = post_key(api, owner_token, key, body)
    r2 = post_key(api, owner_token, key, body)
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json()
    assert r2.headers.get("Idempotent-Replayed") == "true"
    n = server.psql("SELECT count(*) FROM api_keys WHERE name = %s", (body["name"],))[0][0]
    assert n == 1


def test_same_key_with_another_body_is_422(api, owner_token):
    key = str(uuid.uuid4())
    assert post_key(api, owner_token, key, {"name": "a", "scopes": ["read"]}).status_code == 201
    r = post_key(api, owner_token, key, {"name": "b", "scopes": ["read"]})
    assert r.status_code == 422
    assert "Idempotency-Key" in r.json()["error"]["message"]


def test_concurrent_requests_with_one_key_execute_once(api, owner_token, server):
    key = str(uuid.uuid4())
    body = {"name": "race-" + key[:8], "scopes": ["read"]}
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: post_key(api, owner_token, key, body), range(6)))
    assert all(a.status_code == 201 for a in answers), [a.status_code for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    n = server.psql("SELECT count(*) FROM api_keys WHERE name = %s", (body["name"],))[0][0]
    assert n == 1


def test_keys_belong_to_the_caller(api, owner_token, make_user):
    key = str(uuid.uuid4())
    body = {"name": "mine-" + key[:8], "scopes": ["read"]}
    _, _, other = make_user("staff")
    r1 = post_key(api, owner_token, key, body)
    r2 = post_key(api, other, key, body)
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] != r2.json()["id"]


def test_failed_request_does_not_burn_the_key(api, owner_token):
    key = str(uuid.uuid4())
    bad = post_key(api, owner_token, key, {"name": "", "scopes": ["read"]})
    assert bad.status_code == 422
    good = post_key(api, owner_token, key, {"name": "", "scopes": ["read"]})
    assert good.status_code == 422
    assert good.headers.get("Idempotent-Replayed") is None
