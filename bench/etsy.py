#!/usr/bin/python3
"""bench/etsy.py: sync RECEIPTS (default 10,000) receipts from the fake Etsy server
into a throwaway Printyard (tests/harness.py: its own PostgreSQL, serve, jobs,
nginx) and report receipts per second and database writes per receipt.

The fake answers as fast as it can (no per-second limit) so that the figure is
Printyard's own; with Etsy's 10 requests a second, 100 receipts a page, the
network side alone allows at most 1,000 receipts a second. Writes are PostgreSQL's
own counters for the database (pg_stat_database: rows inserted, updated and
deleted, and transactions committed) over the sync.

    BUILD_DIR=build-rel bench/etsy.sh         (RECEIPTS=N, RUNS=N)
"""
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "api")]

from fakes.etsy import FakeEtsy          # noqa: E402
from harness import ApiSession, Printyard  # noqa: E402

N = int(os.environ.get("RECEIPTS", "10000"))
RUNS = int(os.environ.get("RUNS", "1"))
KEY, SECRET = "benchkey", "benchsecret"

COUNTERS = ("SELECT tup_inserted, tup_updated, tup_deleted, xact_commit FROM "
            "pg_stat_database WHERE datname = current_database()")


def counters(p):
    # the statistics collector reports with a delay: ask it to flush first
    p.psql("SELECT pg_stat_clear_snapshot()")
    time.sleep(2.0)
    return p.psql(COUNTERS)[0]


def connect(p, api, h, fake):
    assert api.put("/api/v1/etsy", json={"keystring": KEY, "shared_secret": SECRET,
                                         "first_sync_days": 60}, headers=h).status_code == 200
    auth = api.post("/api/v1/etsy/connect", headers=h).json()["authorize_url"]
    import requests
    back = requests.get(auth, allow_redirects=False, timeout=10).headers["Location"]
    r = api.get(back.replace(p.base_url, ""), headers=h, allow_redirects=False)
    assert r.status_code == 303 and "error" not in r.headers["Location"], r.headers
    # connecting queued a sync at once: let it not start before the clock does
    p.psql("UPDATE jobs SET run_at = now() + interval '1 hour' WHERE kind = 'etsy_sync' "
           "AND state = 'queued'")


def one_run(p, api, h):
    p.psql("UPDATE etsy_account SET synced_until = NULL, last_sync_at = now()")
    before = counters(p)
    t0 = time.monotonic()
    sid = api.post("/api/v1/etsy/sync", headers=h).json()["id"]
    while True:
        s = api.get(f"/api/v1/etsy/sync/{sid}", headers=h).json()
        if s["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    secs = time.monotonic() - t0
    after = counters(p)
    assert s["status"] == "done", s
    rows = sum(after[i] - before[i] for i in range(3))
    return s, secs, rows, after[3] - before[3]


def main():
    fake = FakeEtsy(receipts=N, seed=5, keystring=KEY, shared_secret=SECRET,
                    limit_per_second=100000, limit_per_day=10 ** 9)
    fake.start()
    p = Printyard(extra={"etsy_api_url": fake.url, "etsy_auth_url": fake.url,
                         "jobs_poll_ms": 50})
    try:
        p.start()
        p.add_user("benchowner", "owner", "bench-owner-password")
        api = ApiSession(p.base_url)
        h = {"Authorization": "Bearer " + p.login("benchowner", "bench-owner-password")}
        connect(p, api, h, fake)
        print("| run | receipts | new orders | pages | seconds | receipts/s | row writes "
              "per receipt | commits per receipt |")
        print("|---|---|---|---|---|---|---|---|")
        for run in range(1, RUNS + 2):
            s, secs, rows, commits = one_run(p, api, h)
            kind = "first sync" if run == 1 else "again (no change)"
            n = s["total_receipts"]
            print("| %d %s | %d | %d | %d | %.1f | %.0f | %.1f | %.2f |" % (
                run, kind, n, s["new_orders"], s["pages"], secs, n / secs, rows / n,
                commits / n))
            sys.stdout.flush()
    finally:
        p.stop()
        fake.stop()


if __name__ == "__main__":
    main()
