"""Every error case of the request path answers JSON with the right status."""


def test_unknown_route_is_404_json(api):
    r = api.get("/api/v1/nothing")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"]["code"] == "not_found"


def test_wrong_method_is_405_with_allow(api):
    r = api.delete("/api/v1/health")
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET"
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_malformed_json_is_400_naming_the_position(api, owner_token):
    r = api.post("/api/v1/users", data='{"username": "x", "role": }',
                 headers={"Authorization": f"Bearer {owner_token}",
                          "Content-Type": "application/json"})
    assert r.status_code == 400
    msg = r.json()["error"]["message"]
    assert "line 1" in msg and "column" in msg


def test_invalid_utf8_is_400(api, owner_token):
    r = api.post("/api/v1/users", data=b'{"username": "\xff\xfe", "role": "staff"}',
                 headers={"Authorization": f"Bearer {owner_token}",
                          "Content-Type": "application/json"})
    assert r.status_code == 400
    assert "UTF-8" in r.json()["error"]["message"]


def test_unknown_body_field_is_422_naming_it(api, owner_token):
    r = api.post("/api/v1/users", json={"username": "someone", "role": "staff", "admin": True},
                 headers={"Authorization": f"Bearer {owner_token}"})
    assert r.status_code == 422
    assert "admin" in r.json()["error"]["fields"]


def test_missing_and_wrong_typed_fields_are_422_per_field(api, owner_token):
    r = api.post("/api/v1/users", json={"role": "emperor", "password": 12},
                 headers={"Authorization": f"Bearer {owner_token}"})
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert set(fields) == {"username", "role", "password"}


def test_body_over_the_ceiling_is_413(api, owner_token, server):
    big = '{"username": "' + "a" * (server.body_max + 10) + '", "role": "staff"}'
    r = api.post("/api/v1/users", data=big,
                 headers={"Authorization": f"Bearer {owner_token}",
                          "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.headers["Content-Type"].startswith("application/json")


def test_bad_query_parameter_is_400(api, owner_token):
    r = api.get("/api/v1/users?limit=many", headers={"Authorization": f"Bearer {owner_token}"})
    assert r.status_code == 400
    r = api.get("/api/v1/users?limit=501", headers={"Authorization": f"Bearer {owner_token}"})
    assert r.status_code == 400


def test_bad_requests_change_nothing(api, owner_token, server):
    before = server.psql("SELECT count(*) FROM users")[0][0]
    api.post("/api/v1/users", json={"username": "nobody", "role": "staff", "x": 1},
             headers={"Authorization": f"Bearer {owner_token}"})
    api.post("/api/v1/users", json={"username": "No Spaces Allowed", "role": "staff"},
             headers={"Authorization": f"Bearer {owner_token}"})
    assert server.psql("SELECT count(*) FROM users")[0][0] == before


def test_database_constraint_violation_is_a_clear_4xx(api, owner_token):
    r = api.post("/api/v1/users", json={"username": "Bad Name!", "role": "staff"},
                 headers={"Authorization": f"Bearer {owner_token}"})
    assert r.status_code == 422
    r1 = api.post("/api/v1/users", json={"username": "twice", "role": "staff"},
                  headers={"Authorization": f"Bearer {owner_token}"})
    assert r1.status_code == 201
    r2 = api.post("/api/v1/users", json={"username": "twice", "role": "staff"},
                  headers={"Authorization": f"Bearer {owner_token}"})
    assert r2.status_code == 409
    assert "twice" in r2.json()["error"]["message"]
