"""The router enforces roles from the route table, for every route."""
import json
import re

import pytest

ROLES = ("owner", "staff", "accountant")


def fill(path):
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture
def tokens(make_user):
    return {role: make_user(role)[2] for role in ROLES}


def test_every_route_answers_403_to_roles_it_does_not_name(api, server, tokens):
    # logging out ends the token's session, so those routes go last
    routes = sorted(json.loads(server.run(["routes"]).stdout),
                    key=lambda r: r["path"].endswith("/logout"))
    checked = 0
    for route in routes:
        if "public" in route["roles"]:
            continue
        for role in ROLES:
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            r = api.request(route["method"], fill(route["path"]), headers=headers,
                            json={}, allow_redirects=False)
            if role in route["roles"]:
                assert r.status_code != 403, (route, role, r.text)
            else:
                assert r.status_code == 403, (route, role, r.status_code)
            checked += 1
    assert checked > 20


def test_every_non_public_route_needs_a_login(api, server):
    routes = json.loads(server.run(["routes"]).stdout)
    for route in routes:
        if "public" in route["roles"]:
            continue
        r = api.request(route["method"], fill(route["path"]), json={}, allow_redirects=False)
        if route["page"]:  # a browser is sent to the login page
            assert r.status_code == 303, route
        else:
            assert r.status_code in (401, 403), (route, r.status_code)


def test_only_owners_manage_users(api, tokens):
    for role in ("staff", "accountant"):
        r = api.post("/api/v1/users", json={"username": f"by{role}", "role": "owner"},
                     headers={"Authorization": f"Bearer {tokens[role]}"})
        assert r.status_code == 403
    r = api.post("/api/v1/users", json={"username": "byowner", "role": "staff"},
                 headers={"Authorization": f"Bearer {tokens['owner']}"})
    assert r.status_code == 201
    assert len(r.json()["password"]) >= 12
