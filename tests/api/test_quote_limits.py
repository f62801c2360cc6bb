"""Abuse limits of the public quote routes: nginx refuses an address that
asks too fast (per-address limit_req, answered in the API's error shape),
while other addresses go on; and one quote's options can change only so
often in a minute, whoever asks, and a refused change changes nothing.

Each test sends from its own loopback address (session_from), so the
per-address limits of the rest of the session do not count."""
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import TEST_LIMITS, session_from
from quoting import box_triangles, quote, stl_binary

CHANGES_PER_MINUTE = 60  # QUOTES_CHANGES_PER_MINUTE in src/res/quotes.c


@pytest.fixture
def no_slicing(server):
    """Sixty changes would queue sixty slices: the estimate is enough here."""
    server.psql("UPDATE quote_settings SET slice_parts = false")
    yield server
    server.psql("UPDATE quote_settings SET slice_parts = true")


def test_an_address_asking_too_fast_gets_429_and_others_do_not(server):
    fast = session_from(server.base_url, "127.0.0.31")
    calm = session_from(server.base_url, "127.0.0.32")
    tokens = [secrets.token_urlsafe(32) for _ in range(3 * TEST_LIMITS["public_burst"])]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda t: fast.get(f"/api/v1/public/quotes/{t}"), tokens))
    codes = [r.status_code for r in answers]
    assert set(codes) <= {404, 429}, set(codes)
    # the burst goes through (as 404: no such quote), the rest is refused
    assert codes.count(404) >= TEST_LIMITS["public_burst"]
    assert codes.count(429) > 0
    refused = next(r for r in answers if r.status_code == 429)
    assert refused.json()["error"]["code"] == "rate_limited"
    # the page and the status page are limited alike
    assert any(fast.get(p).status_code == 429 for p in ["/quote"] + [f"/q/{t}" for t in tokens[:5]])
    # another address is not slowed down by the first
    assert calm.get(f"/api/v1/public/quotes/{tokens[0]}").status_code == 404
    assert calm.get("/quote").status_code == 200


def test_a_quote_changes_only_so_often_in_a_minute(no_slicing):
    server = no_slicing
    s = session_from(server.base_url, "127.0.0.33")
    q = quote(s, [(f"limit-{secrets.token_hex(3)}.stl", stl_binary(box_triangles(15, 15, 15)))],
              material="PLA", quality="standard", infill_pct=20)
    url = f"/api/v1/public/quotes/{q['token']}/options"
    for n in range(CHANGES_PER_MINUTE):
        r = s.put(url, json={"infill_pct": 10 + n % 50})
        assert r.status_code == 200, (n, r.text)
    last = r.json()["parts"][0]["infill_pct"]
    r = s.put(url, json={"infill_pct": 95})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert "minute" in r.json()["error"]["message"]
    # the refused change changed nothing and left no audit row
    assert s.get(f"/api/v1/public/quotes/{q['token']}").json()["parts"][0]["infill_pct"] == last
    audits = server.psql("SELECT count(*) FROM audit_log WHERE entity = 'quote' AND "
                         "action = 'options' AND entity_id = (SELECT id::text FROM quotes "
                         "WHERE token = %s)", (q["token"],))
    assert audits[0][0] == CHANGES_PER_MINUTE
    # another quote is not held back by this one
    other = quote(s, [("other.stl", stl_binary(box_triangles(12, 12, 12)))], material="PLA")
    assert s.put(f"/api/v1/public/quotes/{other['token']}/options",
                 json={"infill_pct": 30}).status_code == 200
    # once the minute is over, the quote changes again
    server.psql("UPDATE quotes SET options_window = options_window - interval '61 seconds' "
                "WHERE token = %s", (q["token"],))
    r = s.put(url, json={"infill_pct": 95})
    assert r.status_code == 200, r.text
    assert r.json()["parts"][0]["infill_pct"] == 95
