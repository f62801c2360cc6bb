"""Health, metrics and the API description, as monitoring and clients see them."""
import json
import subprocess


def test_health_reports_database_migrations_and_jobs_heartbeat(api, server):
    r = api.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["migrations"]["status"] == "ok"
    newest = sorted(p.name for p in server.sql_dir.glob("[0-9][0-9][0-9][0-9]_*.sql"))[-1]
    assert body["checks"]["migrations"]["applied"] == newest
    # the jobs worker started by the harness beats within a few seconds
    assert body["checks"]["jobs"]["status"] == "ok"
    assert body["status"] == "ok"


def test_metrics_count_requests_by_route_and_status(api):
    before = api.get("/metrics").text
    for _ in range(3):
        assert api.get("/api/v1/does-not-exist").status_code == 404
    assert api.get("/api/v1/health").status_code == 200
    text = api.get("/metrics").text
    assert text.startswith("# HELP")
    assert "printyard_http_request_duration_seconds_bucket{le=\"+Inf\"}" in text
    assert "printyard_worker_restarts_total" in text
    assert "printyard_db_errors_total" in text

    def count(t, needle):
        for line in t.splitlines():
            if line.startswith(needle):
                return int(line.rsplit(" ", 1)[1])
        return 0
    key = 'printyard_http_requests_total{method="",route="unmatched",status="404"}'
    assert count(text, key) >= count(before, key) + 3
    key = 'printyard_http_requests_total{method="GET",route="/api/v1/health",status="200"}'
    assert count(text, key) >= 1


def test_openapi_spec_and_route_table_name_the_same_routes(api, server):
    spec = api.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    in_spec = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops
               if m in ("get", "post", "put", "patch", "delete")}
    routes = json.loads(server.run(["routes"]).stdout)
    in_table = {(r["method"], r["path"]) for r in routes}
    assert in_table - in_spec == set(), "routes missing from docs/openapi.yaml"
    assert in_spec - in_table == set(), "docs/openapi.yaml names routes that do not exist"


def test_security_headers_are_on_every_answer(api):
    for path in ("/api/v1/health", "/login", "/api/v1/nothing-here"):
        r = api.get(path, allow_redirects=False)
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_config_check_prints_effective_config_with_secrets_masked(server):
    env = dict(server.env, PRINTYARD_DATABASE_URL="host=/nowhere password=s3cr3t dbname=x")
    out = subprocess.run([server.bin, "--config", str(server.config), "config", "check"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert "s3cr3t" not in out
    assert "password=********" in out
    assert "workers = 2" in out


def test_config_check_rejects_unknown_keys_with_the_line(server, tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("workers = 2\nwokers = 3\n")
    r = subprocess.run([server.bin, "--config", str(bad), "config", "check"],
                       env=server.env, capture_output=True, text=True)
    assert r.returncode != 0
    assert "bad.conf:2" in r.stderr and "wokers" in r.stderr
