"""API keys: shown once, stored hashed, scoped, revocable."""
import hashlib


def test_api_key_is_shown_once_and_stored_only_as_a_hash(api, owner_token, server):
    h = {"Authorization": f"Bearer {owner_token}"}
    r = api.post("/api/v1/apikeys", json={"name": "grafana", "scopes": ["read"]}, headers=h)
    assert r.status_code == 201
    key = r.json()["key"]
    assert key.startswith("pyk_")
    stored = server.psql("SELECT key_hash FROM api_keys WHERE id = %s", (r.json()["id"],))[0][0]
    assert stored == hashlib.sha256(key.encode()).hexdigest()
    listed = api.get("/api/v1/apikeys", headers=h).json()["items"]
    assert all("key" not in k and "key_hash" not in k for k in listed)
    assert any(k["name"] == "grafana" for k in listed)


def test_api_key_authenticates_and_records_last_use(api, owner_token, server):
    h = {"Authorization": f"Bearer {owner_token}"}
    r = api.post("/api/v1/apikeys", json={"name": "script", "scopes": ["read", "write"]}, headers=h)
    key, kid = r.json()["key"], r.json()["id"]
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["auth"] == "apikey"
    assert server.psql("SELECT last_used_at IS NOT NULL FROM api_keys WHERE id = %s", (kid,))[0][0]


def test_read_scope_key_cannot_write(api, owner_token):
    h = {"Authorization": f"Bearer {owner_token}"}
    key = api.post("/api/v1/apikeys", json={"name": "ro", "scopes": ["read"]}, headers=h).json()["key"]
    kh = {"Authorization": f"Bearer {key}"}
    assert api.get("/api/v1/users", headers=kh).status_code == 200
    r = api.post("/api/v1/users", json={"username": "viaro", "role": "staff"}, headers=kh)
    assert r.status_code == 403
    assert "read" in r.json()["error"]["message"]


def test_revoked_key_stops_working(api, owner_token):
    h = {"Authorization": f"Bearer {owner_token}"}
    r = api.post("/api/v1/apikeys", json={"name": "temp", "scopes": ["read"]}, headers=h).json()
    kh = {"Authorization": f"Bearer {r['key']}"}
    assert api.get("/api/v1/me", headers=kh).status_code == 200
    rv = api.post(f"/api/v1/apikeys/{r['id']}/revoke", headers=h)
    assert rv.status_code == 200 and rv.json()["revoked_at"]
    assert api.get("/api/v1/me", headers=kh).status_code == 401
    assert api.post("/api/v1/apikeys/999999/revoke", headers=h).status_code == 404


def test_unknown_key_is_401(api):
    r = api.get("/api/v1/me", headers={"Authorization": "Bearer pyk_nothing_nothing"})
    assert r.status_code == 401


def test_staff_sees_and_revokes_only_their_own_keys(api, owner_token, make_user):
    oh = {"Authorization": f"Bearer {owner_token}"}
    owners = api.post("/api/v1/apikeys", json={"name": "owners", "scopes": ["read"]}, headers=oh).json()
    _, _, staff_token = make_user("staff")
    sh = {"Authorization": f"Bearer {staff_token}"}
    mine = api.post("/api/v1/apikeys", json={"name": "mine", "scopes": ["read"]}, headers=sh).json()
    names = {k["name"] for k in api.get("/api/v1/apikeys", headers=sh).json()["items"]}
    assert names == {"mine"}
    assert api.post(f"/api/v1/apikeys/{owners['id']}/revoke", headers=sh).status_code == 404
    assert api.post(f"/api/v1/apikeys/{mine['id']}/revoke", headers=sh).status_code == 200


def test_key_creation_is_audited(api, owner_token, server):
    h = {"Authorization": f"Bearer {owner_token}"}
    kid = api.post("/api/v1/apikeys", json={"name": "audited", "scopes": ["read"]}, headers=h).json()["id"]
    rows = server.psql("SELECT action, actor, after->>'name' FROM audit_log "
                       "WHERE entity = 'api_key' AND entity_id = %s", (str(kid),))
    assert rows == [("create", "owner", "audited")]


def test_cli_creates_lists_and_revokes_keys(server, api):
    out = server.run(["apikey", "create", "cli-key", "--user", "owner", "--scopes", "read"]).stdout
    key = out.strip().splitlines()[-1]
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    listing = server.run(["apikey", "list"]).stdout
    line = [l for l in listing.splitlines() if "cli-key" in l][0]
    kid = line.split()[0]
    server.run(["apikey", "revoke", kid])
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    audit = server.psql("SELECT action FROM audit_log WHERE entity = 'api_key' AND entity_id = %s"
                        " AND actor = 'cli' ORDER BY id", (kid,))
    assert [a[0] for a in audit] == ["create", "revoke"]
