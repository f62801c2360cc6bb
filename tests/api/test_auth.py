"""Logging in and out, tokens, sessions and lockout."""
import base64
import hashlib
import hmac
import json
import time

import requests


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header, claims, key=b"not-the-key"):
    h = b64(json.dumps(header).encode())
    c = b64(json.dumps(claims).encode())
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}.get(header["alg"])
    sig = b64(hmac.new(key, f"{h}.{c}".encode(), digest).digest()) if digest else ""
    return f"{h}.{c}.{sig}"


def claims_of(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_login_returns_a_token_and_sets_an_httponly_cookie(api, make_user):
    name, password, _ = make_user("staff")
    r = api.post("/api/v1/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    cookie = r.headers["Set-Cookie"]
    assert "py_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == name and me.json()["role"] == "staff"
    assert "password_hash" not in me.json()


def test_wrong_password_is_401_and_says_nothing_more(api, make_user):
    name, _, _ = make_user("staff")
    r1 = api.post("/api/v1/auth/login", json={"username": name, "password": "wrong-password"})
    r2 = api.post("/api/v1/auth/login", json={"username": "ghost", "password": "wrong-password"})
    assert r1.status_code == r2.status_code == 401
    assert r1.json()["error"]["message"] == r2.json()["error"]["message"]


def test_repeated_failures_lock_the_account(api, make_user, server):
    name, password, _ = make_user("staff")
    for _ in range(5):
        assert api.post("/api/v1/auth/login",
                        json={"username": name, "password": "nope-nope"}).status_code == 401
    r = api.post("/api/v1/auth/login", json={"username": name, "password": password})
    assert r.status_code == 429
    assert "locked" in r.json()["error"]["message"]
    # an owner resetting the password unlocks it
    server.run(["user", "passwd", name, "--password-stdin"], input="a-new-password-1\n")
    r = api.post("/api/v1/auth/login", json={"username": name, "password": "a-new-password-1"})
    assert r.status_code == 200


def test_logins_and_failures_are_audited(api, make_user, server):
    name, password, _ = make_user("accountant")
    api.post("/api/v1/auth/login", json={"username": name, "password": "bad-password"})
    api.post("/api/v1/auth/login", json={"username": name, "password": password})
    actions = [r[0] for r in server.psql(
        "SELECT action FROM audit_log WHERE actor = %s AND entity = 'session' ORDER BY id", (name,))]
    assert actions[-2:] == ["login_failed", "login"]


def test_logout_ends_the_session_for_that_token(api, make_user):
    name, password, token = make_user("staff")
    h = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=h).status_code == 200
    assert api.post("/api/v1/auth/logout", headers=h).status_code == 204
    r = api.get("/api/v1/me", headers=h)
    assert r.status_code == 401


def test_token_with_alg_none_is_rejected(api, owner_token):
    claims = claims_of(owner_token)
    token = forge({"alg": "none", "typ": "JWT"}, claims)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_with_another_algorithm_is_rejected(api, owner_token):
    claims = claims_of(owner_token)
    token = forge({"alg": "HS512", "typ": "JWT"}, claims)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_with_a_bad_signature_is_rejected(api, owner_token):
    claims = claims_of(owner_token)
    claims["sub"] = "999"
    token = forge({"alg": "HS256", "typ": "JWT"}, claims)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    h, c, s = owner_token.split(".")
    tampered = f"{h}.{c}.{s[:-2]}{'AA' if s[-2:] != 'AA' else 'BB'}"
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401


def test_expired_token_is_rejected(api, make_user, server):
    name, password, _ = make_user("staff")
    env = {"PRINTYARD_JWT_TTL": "60"}
    # A token whose exp is in the past, signed with the real key, is refused.
    key = server.secret_key()[:32]
    claims = claims_of(api.post("/api/v1/auth/login",
                                json={"username": name, "password": password}).json()["token"])
    claims["exp"] = int(time.time()) - 5
    token = forge({"alg": "HS256", "typ": "JWT"}, claims, key=key)
    r = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "expired" in r.json()["error"]["message"]
    # the same claims with a future exp and the real key are accepted: the check is exp
    claims["exp"] = int(time.time()) + 60
    token = forge({"alg": "HS256", "typ": "JWT"}, claims, key=key)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert env


def test_no_credentials_is_401_on_api_and_redirect_on_pages(api):
    assert api.get("/api/v1/me").status_code == 401
    r = api.get("/orders", allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["Location"].startswith("/login?next=/orders")
