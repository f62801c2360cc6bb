"""Cookie logins need a CSRF token for unsafe requests; bearer tokens do not."""
import re


def login_cookie(api, make_user):
    name, password, _ = make_user("staff")
    s = api.session()
    r = s.post("/api/v1/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200
    assert s.cookies.get("py_session")
    return s


def test_cookie_request_without_csrf_token_is_403(api, make_user):
    s = login_cookie(api, make_user)
    assert s.get("/api/v1/me").json()["auth"] == "cookie"
    r = s.post("/api/v1/apikeys", json={"name": "x", "scopes": ["read"]})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"


def test_cookie_request_with_the_page_csrf_token_works(api, make_user):
    s = login_cookie(api, make_user)
    page = s.get("/settings/apikeys").text
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    r = s.post("/api/v1/apikeys", json={"name": "x", "scopes": ["read"]},
               headers={"X-CSRF-Token": token})
    assert r.status_code == 201
    r = s.post("/api/v1/apikeys", json={"name": "y", "scopes": ["read"]},
               headers={"X-CSRF-Token": token[:-1] + ("A" if token[-1] != "A" else "B")})
    assert r.status_code == 403


def test_bearer_requests_need_no_csrf_token(api, make_user):
    _, _, token = make_user("staff")
    r = api.post("/api/v1/apikeys", json={"name": "z", "scopes": ["read"]},
                 headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201


def test_login_form_needs_its_csrf_cookie(api, make_user):
    name, password, _ = make_user("staff")
    s = api.session()
    r = s.post("/login", data={"username": name, "password": password, "_csrf": "forged"},
               allow_redirects=False)
    assert r.status_code == 403
    page = s.get("/login").text
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    r = s.post("/login", data={"username": name, "password": password, "_csrf": token},
               allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/"
