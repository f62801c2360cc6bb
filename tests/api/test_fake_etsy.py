"""The fake Etsy (tests/fakes/etsy.py) behaves as the Etsy client's tests rely on.

These tests need no Printyard: only the fake, on loopback, and requests.
"""
import base64
import hashlib
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
import requests

from fakes.etsy import LISTINGS, SHOP_ID, USER_ID, FakeEtsy

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "test-key", "test-secret"
REDIRECT = "https://shop.example/etsy/callback"
RECEIPTS = "/v3/application/shops/%d/receipts" % SHOP_ID


@pytest.fixture
def fake():
    f = FakeEtsy(receipts=250, seed=1, keystring=KEY, shared_secret=SECRET,
                 limit_per_second=1000).start()
    yield f
    f.stop()


def pkce():
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def connect(fake, challenge, **over):
    """GET /oauth/connect; the redirect's query as a dict (or the response if no redirect)."""
    params = {"response_type": "code", "client_id": KEY, "redirect_uri": REDIRECT,
              "scope": "transactions_r transactions_w shops_r listings_r", "state": "st-1",
              "code_challenge": challenge, "code_challenge_method": "S256"}
    params.update(over)
    params = {k: v for k, v in params.items() if v is not None}
    r = requests.get(fake.url + "/oauth/connect", params=params, allow_redirects=False)
    if r.status_code != 302:
        return r
    location = r.headers["Location"]
    assert location.startswith(params["redirect_uri"] + "?")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def token(fake, **form):
    return requests.post(fake.url + "/v3/public/oauth/token", data=dict(client_id=KEY, **form))


def login(fake, **over):
    """The whole PKCE dance; the token answer."""
    verifier, challenge = pkce()
    code = connect(fake, challenge, **over)["code"]
    r = token(fake, grant_type="authorization_code", redirect_uri=REDIRECT, code=code,
              code_verifier=verifier)
    assert r.status_code == 200, r.text
    return r.json()


def api(fake, access_token=None, key=KEY + ":" + SECRET):
    s = requests.Session()
    if key:
        s.headers["x-api-key"] = key
    if access_token:
        s.headers["Authorization"] = "Bearer " + access_token
    s.base = fake.url
    return s


def get(s, path, **params):
    return s.get(s.base + path, params=params)


def authed(fake):
    return api(fake, fake.issue_tokens()["access_token"])


# ---- OAuth ----------------------------------------------------------------------------

def test_pkce_dance_issues_tokens_once_per_code(fake):
    verifier, challenge = pkce()
    back = connect(fake, challenge)
    assert back["state"] == "st-1" and len(back["code"]) >= 20

    wrong = token(fake, grant_type="authorization_code", redirect_uri=REDIRECT, code=back["code"],
                  code_verifier=pkce()[0])
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"

    other_uri = token(fake, grant_type="authorization_code", redirect_uri=REDIRECT + "/x",
                      code=back["code"], code_verifier=verifier)
    assert other_uri.status_code == 400 and other_uri.json()["error"] == "invalid_grant"

    ok = token(fake, grant_type="authorization_code", redirect_uri=REDIRECT, code=back["code"],
               code_verifier=verifier)
    assert ok.status_code == 200, ok.text
    t = ok.json()
    assert set(t) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert t["token_type"] == "Bearer" and t["expires_in"] == 3600
    assert t["access_token"].startswith("%d." % USER_ID)
    assert t["refresh_token"].startswith("%d." % USER_ID)

    again = token(fake, grant_type="authorization_code", redirect_uri=REDIRECT, code=back["code"],
                  code_verifier=verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    me = get(api(fake, t["access_token"]), "/v3/application/users/me")
    assert me.status_code == 200 and me.json() == {"user_id": USER_ID, "shop_id": SHOP_ID}
    assert fake.token_grants["authorization_code"] == 1
    assert fake.token_grants["refused"] == 3


def test_codes_expire(fake):
    fake.code_ttl = 0
    verifier, challenge = pkce()
    code = connect(fake, challenge)["code"]
    r = token(fake, grant_type="authorization_code", redirect_uri=REDIRECT, code=code,
              code_verifier=verifier)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_code_verifier_must_be_well_formed(fake):
    verifier, challenge = pkce()
    code = connect(fake, challenge)["code"]
    short = token(fake, grant_type="authorization_code", redirect_uri=REDIRECT, code=code,
                  code_verifier="abc")
    assert short.status_code == 400 and "error" in short.json()
    form_json = requests.post(fake.url + "/v3/public/oauth/token",
                              json={"grant_type": "authorization_code", "client_id": KEY})
    assert form_json.status_code == 400


@pytest.mark.parametrize("over, word", [
    ({"client_id": "someone-else"}, "client_id"),
    ({"code_challenge_method": "plain"}, "S256"),
    ({"scope": "transactions_r sneaky_w"}, "scope"),
    ({"scope": ""}, "scope"),
    ({"code_challenge": "tooshort"}, "code_challenge"),
    ({"response_type": "token"}, "response_type"),
])
def test_connect_refuses_bad_requests_by_redirect(fake, over, word):
    back = connect(fake, pkce()[1], **over)
    assert back["error"] == "invalid_request"
    assert word in back["error_description"]
    assert back["state"] == "st-1"
    assert "code" not in back


def test_connect_without_redirect_uri_is_400(fake):
    r = connect(fake, pkce()[1], redirect_uri=None)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_denied_authorization(fake):
    fake.deny_next_authorization()
    back = connect(fake, pkce()[1])
    assert back["error"] == "access_denied" and back["state"] == "st-1"
    assert "code" in connect(fake, pkce()[1])          # only the next one is denied


def test_refresh_rotates_and_old_refresh_token_is_refused(fake):
    first = login(fake)
    r = token(fake, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]

    reused = token(fake, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    third = token(fake, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert third.status_code == 200
    assert get(api(fake, third.json()["access_token"]), RECEIPTS).status_code == 200
    assert fake.token_grants["refresh_token"] == 2

    wrong_client = requests.post(fake.url + "/v3/public/oauth/token",
                                 data={"grant_type": "refresh_token", "client_id": "nope",
                                       "refresh_token": third.json()["refresh_token"]})
    assert wrong_client.status_code in (400, 401)
    bad_grant = token(fake, grant_type="password")
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "unsupported_grant_type"


def test_revoked_tokens(fake):
    t = login(fake)
    fake.revoke_tokens()
    r = token(fake, grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant", "error_description": "refresh_token is revoked"}
    call = get(api(fake, t["access_token"]), RECEIPTS)
    assert call.status_code == 401 and call.json()["error"] == "invalid_token"


def test_expired_access_token(fake):
    fake.access_ttl = 0
    t = login(fake)
    assert t["expires_in"] == 0
    r = get(api(fake, t["access_token"]), RECEIPTS)
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_token", "error_description": "access token is expired"}

    fake.access_ttl = 3600
    fresh = token(fake, grant_type="refresh_token", refresh_token=t["refresh_token"]).json()
    s = api(fake, fresh["access_token"])
    assert get(s, RECEIPTS).status_code == 200
    fake.expire_access_tokens()
    assert get(s, RECEIPTS).json()["error_description"] == "access token is expired"


# ---- keys, scopes, limits ------------------------------------------------------------

def test_api_key_and_bearer_required(fake):
    assert get(api(fake, key=None), "/v3/application/openapi-ping").status_code == 403
    assert get(api(fake, key=KEY), "/v3/application/openapi-ping").status_code == 403
    assert get(api(fake, key=KEY + ":wrong"), "/v3/application/openapi-ping").status_code == 403
    ping = get(api(fake), "/v3/application/openapi-ping")
    assert ping.status_code == 200 and ping.json() == {"application_id": 1234}

    no_bearer = get(api(fake), RECEIPTS)
    assert no_bearer.status_code == 401 and no_bearer.json()["error"] == "invalid_token"
    made_up = get(api(fake, "%d.madeup" % USER_ID), RECEIPTS)
    assert made_up.status_code == 401

    read_only = api(fake, fake.issue_tokens(["transactions_r"])["access_token"])
    assert get(read_only, RECEIPTS).status_code == 200
    assert get(read_only, "/v3/application/users/me").status_code == 403
    ship = read_only.post(read_only.base + RECEIPTS + "/%d/tracking" % fake.receipt_ids()[0],
                          data={"carrier_name": "dhl", "tracking_code": "1"})
    assert ship.status_code == 403 and ship.json()["error"] == "insufficient_scope"

    listing = get(api(fake), "/v3/application/listings/1400000001")
    assert listing.status_code == 200          # api key only


def test_rate_limit_per_second(fake):
    fake.set_limits(per_second=3)
    s = api(fake)
    answers = [get(s, "/v3/application/openapi-ping") for _ in range(5)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert [a.headers["x-remaining-this-second"] for a in answers[:3]] == ["2", "1", "0"]
    for a in answers[:3]:
        assert a.headers["x-limit-per-second"] == "3"
        assert a.headers["x-limit-per-day"] == "10000"
        assert int(a.headers["x-remaining-today"]) < 10000
    assert answers[3].status_code == 429 and "error" in answers[3].json()
    assert "x-limit-per-second" not in answers[3].headers
    time.sleep(1.05)
    assert get(s, "/v3/application/openapi-ping").status_code == 200


def test_rate_limit_per_day_and_reset(fake):
    fake.set_limits(per_day=4)
    fake.reset_daily_count()
    s = authed(fake)
    answers = [get(s, RECEIPTS, limit=1) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert [a.headers["x-remaining-today"] for a in answers[:4]] == ["3", "2", "1", "0"]
    assert "x-remaining-today" not in answers[4].headers
    assert requests.post(fake.url + "/_fake/reset-day").status_code == 200
    assert get(s, RECEIPTS, limit=1).status_code == 200


# ---- receipts -------------------------------------------------------------------------

def test_pagination_covers_every_receipt_once(fake):
    s = authed(fake)
    seen, counts, sizes = [], set(), []
    for offset in (0, 100, 200):
        page = get(s, RECEIPTS, limit=100, offset=offset, sort_on="created",
                   sort_order="asc").json()
        counts.add(page["count"])
        sizes.append(len(page["results"]))
        seen += [r["receipt_id"] for r in page["results"]]
    assert counts == {250} and sizes == [100, 100, 50]
    assert len(set(seen)) == 250 and sorted(seen) == fake.receipt_ids()
    assert seen == sorted(seen)        # created ascending = receipt ids ascending
    assert get(s, RECEIPTS, limit=100, offset=300).json() == {"count": 250, "results": []}

    default = get(s, RECEIPTS).json()
    assert len(default["results"]) == 25
    created = [r["create_timestamp"] for r in default["results"]]
    assert created == sorted(created, reverse=True)          # default: created, desc
    for order in ("down", "descending"):
        page = get(s, RECEIPTS, sort_on="receipt_id", sort_order=order).json()
        ids = [r["receipt_id"] for r in page["results"]]
        assert ids == sorted(fake.receipt_ids(), reverse=True)[:25]


def test_filters(fake):
    s = authed(fake)
    every = [fake.receipt(i) for i in fake.receipt_ids()]

    def ids(**params):
        out, offset = [], 0
        while True:
            page = get(s, RECEIPTS, limit=100, offset=offset, **params).json()
            out += [r["receipt_id"] for r in page["results"]]
            offset += 100
            if offset >= page["count"]:
                return sorted(out)
    assert ids(was_paid="false") == [r["receipt_id"] for r in every if not r["is_paid"]]
    assert ids(was_canceled="true") == [r["receipt_id"] for r in every if r["status"] == "canceled"]
    assert ids(was_shipped="true", was_canceled="false") == [
        r["receipt_id"] for r in every if r["is_shipped"] and r["status"] != "canceled"]
    middle = every[125]["create_timestamp"]
    assert ids(min_created=middle) == [
        r["receipt_id"] for r in every if r["create_timestamp"] >= middle]
    assert ids(max_created=middle) == [
        r["receipt_id"] for r in every if r["create_timestamp"] <= middle]
    delivered = ids(was_delivered="true")
    assert delivered and set(delivered) <= set(ids(was_shipped="true"))


def test_min_last_modified_sees_ships_and_cancels(fake):
    s = authed(fake)
    since = int(time.time())
    assert get(s, RECEIPTS, min_last_modified=since).json() == {"count": 0, "results": []}
    paid = [i for i in fake.receipt_ids() if fake.receipt(i)["status"] == "paid"]
    shipped = fake.ship(paid[0], "dhl", "JJD000111")
    r = requests.post(fake.url + "/_fake/receipts/%d/cancel" % paid[1])
    assert r.status_code == 200 and r.json()["status"] == "canceled"

    changed = get(s, RECEIPTS, min_last_modified=since, sort_on="updated").json()
    assert changed["count"] == 2
    by_id = {x["receipt_id"]: x for x in changed["results"]}
    assert set(by_id) == {paid[0], paid[1]}
    assert by_id[paid[0]]["status"] == "completed" and by_id[paid[0]]["is_shipped"]
    assert by_id[paid[0]]["shipments"][-1]["tracking_code"] == "JJD000111"
    assert by_id[paid[1]]["status"] == "canceled"
    for x in changed["results"]:
        assert x["update_timestamp"] == x["updated_timestamp"] >= since
    assert shipped["update_timestamp"] >= since
    assert fake.shipments == []        # shipping "on Etsy" is not an API call


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"offset": -1}, {"min_created": 5},
    {"max_last_modified": 946684799}, {"sort_on": "price"}, {"sort_order": "sideways"},
    {"was_paid": "maybe"},
])
def test_bad_receipt_queries_are_400(fake, params):
    r = get(authed(fake), RECEIPTS, **params)
    assert r.status_code == 400
    assert isinstance(r.json()["error"], str)


def test_unknown_shop_receipt_listing_are_404(fake):
    s = authed(fake)
    assert get(s, "/v3/application/shops/1/receipts").status_code == 404
    assert get(s, RECEIPTS + "/1").status_code == 404
    assert get(s, "/v3/application/listings/99").status_code == 404
    one = fake.receipt_ids()[7]
    single = get(s, RECEIPTS + "/%d" % one)
    assert single.status_code == 200 and single.json() == fake.receipt(one)
    lines = get(s, RECEIPTS + "/%d/transactions" % one).json()
    assert lines["results"] == fake.receipt(one)["transactions"]


def test_create_receipt_shipment(fake):
    s = authed(fake)
    target = next(i for i in fake.receipt_ids() if fake.receipt(i)["status"] == "paid")
    before = fake.receipt(target)
    r = s.post(s.base + RECEIPTS + "/%d/tracking" % target,
               data={"tracking_code": "00340434161234567890", "carrier_name": "deutsche-post",
                     "send_bcc": "true", "note_to_buyer": "On its way!"})
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["is_shipped"] is True and after["status"] == "completed"
    last = after["shipments"][-1]
    assert set(last) == {"receipt_shipping_id", "shipment_notification_timestamp",
                         "carrier_name", "tracking_code"}
    assert last["carrier_name"] == "deutsche-post"
    assert last["tracking_code"] == "00340434161234567890"
    assert after["update_timestamp"] >= before["update_timestamp"]
    assert after["update_timestamp"] == after["updated_timestamp"] >= int(time.time()) - 5
    assert all(t["shipped_timestamp"] for t in after["transactions"])
    assert get(s, RECEIPTS + "/%d" % target).json() == after
    assert fake.shipments == [{
        "receipt_id": target, "carrier_name": "deutsche-post",
        "tracking_code": "00340434161234567890", "send_bcc": True, "note_to_buyer": "On its way!",
        "receipt_shipping_id": last["receipt_shipping_id"],
        "timestamp": fake.shipments[0]["timestamp"]}]

    half = s.post(s.base + RECEIPTS + "/%d/tracking" % target, data={"carrier_name": "dhl"})
    assert half.status_code == 400
    canceled = fake.cancel(fake.receipt_ids()[0])["receipt_id"]
    conflict = s.post(s.base + RECEIPTS + "/%d/tracking" % canceled,
                      data={"carrier_name": "dhl", "tracking_code": "X1"})
    assert conflict.status_code == 409
    missing = s.post(s.base + RECEIPTS + "/1/tracking",
                     data={"carrier_name": "dhl", "tracking_code": "X1"})
    assert missing.status_code == 404
    shipments = requests.get(fake.url + "/_fake/shipments").json()["shipments"]
    assert [x["receipt_id"] for x in shipments] == [target]


# ---- faults ---------------------------------------------------------------------------

def test_fault_429_with_and_without_retry_after(fake):
    s = authed(fake)
    fake.fault("/receipts", "429", retry_after=3)
    fake.fault("/receipts", "429", retry_after=None)
    first, second, third = (get(s, RECEIPTS) for _ in range(3))
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert "error" in first.json()
    assert second.status_code == 429 and "Retry-After" not in second.headers
    assert third.status_code == 200


def test_fault_5xx_counted_and_matched_by_path(fake):
    s = authed(fake)
    fake.fault("openapi-ping", "500", count=2)
    fake.fault(r"/receipts/\d+$", "503")
    assert get(s, RECEIPTS).status_code == 200                  # no fault matches the list
    assert get(s, "/v3/application/openapi-ping").status_code == 500
    assert get(s, "/v3/application/openapi-ping").status_code == 500
    assert get(s, "/v3/application/openapi-ping").status_code == 200
    one = RECEIPTS + "/%d" % fake.receipt_ids()[0]
    assert get(s, one).status_code == 503
    assert get(s, one).status_code == 200
    fake.fault("/receipts", "revoked")
    revoked = get(s, RECEIPTS)
    assert revoked.status_code == 401 and revoked.json()["error"] == "invalid_token"
    assert requests.get(fake.url + "/_fake/state").json()["faults_pending"] == 0


def test_fault_slow(fake):
    s = authed(fake)
    fake.fault("/receipts", "slow", delay=0.6)
    start = time.monotonic()
    r = get(s, RECEIPTS)
    assert r.status_code == 200 and len(r.json()["results"]) == 25
    assert time.monotonic() - start >= 0.6
    start = time.monotonic()
    get(s, RECEIPTS)
    assert time.monotonic() - start < 0.5


def test_fault_malformed(fake):
    s = authed(fake)
    r = requests.post(fake.url + "/_fake/fault", json={"path": "/receipts", "kind": "malformed"})
    assert r.status_code == 200
    bad = get(s, RECEIPTS)
    assert bad.status_code == 200
    with pytest.raises(ValueError):
        json.loads(bad.text)
    assert get(s, RECEIPTS).json()["count"] == 250


def test_fault_truncated_spoils_one_receipt_only(fake):
    s = authed(fake)
    fake.fault("/receipts", "truncated")
    page = get(s, RECEIPTS, limit=10).json()
    assert page["count"] == 250 and len(page["results"]) == 10
    broken = [r for r in page["results"] if not isinstance(r["receipt_id"], int)]
    assert len(broken) == 1
    assert isinstance(broken[0]["receipt_id"], str)
    assert not isinstance(broken[0]["transactions"], list)
    fine = [r for r in page["results"] if isinstance(r["receipt_id"], int)]
    assert all(isinstance(r["transactions"], list) for r in fine)
    assert all(r == fake.receipt(r["receipt_id"]) for r in fine)


def test_fault_revoked_on_token_endpoint(fake):
    t = login(fake)
    fake.fault("/oauth/token", "revoked")
    r = token(fake, grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant", "error_description": "refresh_token is revoked"}
    again = token(fake, grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert again.status_code == 200


def test_unknown_fault_kind_is_refused(fake):
    with pytest.raises(ValueError):
        fake.fault("/receipts", "gremlins")
    r = requests.post(fake.url + "/_fake/fault", json={"path": "/x", "kind": "gremlins"})
    assert r.status_code == 400


# ---- the data -------------------------------------------------------------------------

CURRENCY = {"DE": "EUR", "FR": "EUR", "NL": "EUR", "AT": "EUR", "GB": "GBP", "US": "USD",
            "JP": "JPY"}


def amount(m, currency):
    assert set(m) == {"amount", "divisor", "currency_code"}
    assert m["currency_code"] == currency
    assert m["divisor"] == (1 if currency == "JPY" else 100)
    assert isinstance(m["amount"], int) and m["amount"] >= 0
    return m["amount"]


def check_receipt(r, generated=True):
    """Money adds up; a generated receipt's status also agrees with its flags."""
    currency = CURRENCY[r["country_iso"]]
    a = {k: amount(r[k], currency) for k in (
        "grandtotal", "subtotal", "total_price", "total_shipping_cost", "total_tax_cost",
        "total_vat_cost", "discount_amt", "gift_wrap_price")}
    lines = r["transactions"]
    assert 1 <= len(lines) <= 4
    assert a["total_price"] == sum(amount(t["price"], currency) * t["quantity"] for t in lines)
    assert a["total_shipping_cost"] == sum(amount(t["shipping_cost"], currency) for t in lines)
    assert a["subtotal"] == a["total_price"] - a["discount_amt"]
    assert a["grandtotal"] == (a["subtotal"] + a["total_shipping_cost"] + a["total_tax_cost"]
                               + a["total_vat_cost"] + a["gift_wrap_price"])
    assert r["create_timestamp"] == r["created_timestamp"] <= r["update_timestamp"]
    assert r["update_timestamp"] == r["updated_timestamp"]
    assert r["seller_user_id"] == USER_ID
    for t in lines:
        assert t["receipt_id"] == r["receipt_id"] and t["listing_id"] in LISTINGS
        assert t["buyer_user_id"] == r["buyer_user_id"] and t["quantity"] >= 1
    if not generated:
        return
    if r["status"] == "open":
        assert r["is_paid"] is False
    if r["status"] in ("completed", "partially refunded"):
        assert r["is_shipped"] and r["shipments"]
    if r["status"] == "partially refunded":
        assert r["refunds"]


def test_every_generated_receipt_adds_up():
    fake = FakeEtsy(receipts=2000, seed=5)
    receipts = [fake.receipt(i) for i in fake.receipt_ids()]
    for r in receipts:
        check_receipt(r)
    statuses = Counter(r["status"] for r in receipts)
    assert statuses["paid"] > statuses["completed"] > statuses["canceled"] > 0
    assert statuses["open"] > 0
    assert 0.03 < statuses["canceled"] / len(receipts) < 0.08
    assert set(CURRENCY) == {r["country_iso"] for r in receipts}
    created = [r["create_timestamp"] for r in receipts]
    assert created == sorted(created)
    assert max(created) - min(created) > 20 * 86400 and max(created) <= time.time()
    transaction_ids = [t["transaction_id"] for r in receipts for t in r["transactions"]]
    assert len(transaction_ids) == len(set(transaction_ids))
    assert any(r["discount_amt"]["amount"] for r in receipts)
    assert any(r["total_tax_cost"]["amount"] for r in receipts)
    assert any(r["total_vat_cost"]["amount"] for r in receipts)
    assert any(r["buyer_email"] is None for r in receipts)
    assert any(r["buyer_email"] for r in receipts)
    assert any(r["message_from_buyer"] for r in receipts) and any(r["is_gift"] for r in receipts)
    assert any(r["second_line"] is None for r in receipts)
    assert any(r["second_line"] for r in receipts)
    lines = [t for r in receipts for t in r["transactions"]]
    assert any(t["sku"] == "" for t in lines) and any(t["sku"] for t in lines)
    names = {v["formatted_name"] for t in lines for v in t["variations"]}
    assert names == {"Colour", "Size", "Personalization"}
    personal = [t for t in lines
                if any(v["formatted_name"] == "Personalization" for v in t["variations"])]
    assert personal and {t["listing_id"] for t in personal} == {
        i for i, listing in LISTINGS.items() if listing["is_personalizable"]}


def test_changes_keep_receipts_consistent(fake):
    ids = fake.receipt_ids()
    fake.refund(ids[3], 100)
    assert fake.receipt(ids[3])["status"] == "partially refunded"
    whole = fake.receipt(ids[4])["grandtotal"]["amount"]
    r = requests.post(fake.url + "/_fake/receipts/%d/refund" % ids[4],
                      json={"amount": whole}).json()
    assert r["status"] == "fully refunded" and r["refunds"][-1]["amount"]["amount"] == whole
    moved = requests.post(fake.url + "/_fake/receipts/%d/address" % ids[5],
                          json={"name": "Ada Lovelace", "first_line": "12 St James's Square",
                                "city": "London", "zip": "SW1Y 4JH", "country_iso": "GB"}).json()
    assert moved["formatted_address"].startswith("Ada Lovelace\n12 St James's Square\n")
    assert moved["formatted_address"].endswith("United Kingdom")
    with pytest.raises(ValueError):
        fake.set_address(ids[5], colour="red")
    fake.update_receipt(ids[6], message_from_seller="Thanks!")
    assert fake.receipt(ids[6])["message_from_seller"] == "Thanks!"
    for i in (ids[3], ids[4], ids[6]):      # ids[5] moved country, its currency stays
        check_receipt(fake.receipt(i), generated=False)


def test_listings_match_the_transactions(fake):
    s = api(fake)
    listings = {}
    for listing_id in sorted(LISTINGS):
        r = get(s, "/v3/application/listings/%d" % listing_id)
        assert r.status_code == 200
        listings[listing_id] = r.json()
    for listing in listings.values():
        assert listing["shop_id"] == SHOP_ID and listing["user_id"] == USER_ID
        assert listing["state"] == "active"
        assert listing["url"].startswith("https://www.etsy.com/listing/")
        assert set(listing["price"]) == {"amount", "divisor", "currency_code"}
    assert any(not x["skus"] for x in listings.values())
    assert any(x["has_variations"] for x in listings.values())
    for receipt_id in fake.receipt_ids():
        for t in fake.receipt(receipt_id)["transactions"]:
            listing = listings[t["listing_id"]]
            assert t["title"] == listing["title"]
            assert (t["sku"] in listing["skus"]) if t["sku"] else not listing["skus"]
    batch = get(s, "/v3/application/listings/batch", listing_ids="1400000001,1400000004,5").json()
    assert [x["listing_id"] for x in batch["results"]] == [1400000001, 1400000004]


def test_same_seed_same_shop():
    a = FakeEtsy(receipts=300, seed=9, now=1767225600)
    b = FakeEtsy(receipts=300, seed=9, now=1767225600)
    c = FakeEtsy(receipts=300, seed=10, now=1767225600)
    dump = lambda f: [f.receipt(i) for i in f.receipt_ids()]      # noqa: E731
    assert dump(a) == dump(b)
    assert dump(a) != dump(c)
    assert a.add_receipts(2) == b.add_receipts(2)


# ---- control, CLI and speed -----------------------------------------------------------

def test_control_endpoints_and_calls(fake):
    s = authed(fake)
    added = requests.post(fake.url + "/_fake/receipts", json={"n": 3}).json()["receipt_ids"]
    assert len(added) == 3 and min(added) > max(fake.receipt_ids()[:250])
    newest = get(s, RECEIPTS, limit=3).json()
    assert newest["count"] == 253 and [r["receipt_id"] for r in newest["results"]] == added[::-1]
    assert all(r["status"] == "paid" and r["is_paid"] for r in newest["results"])
    state = requests.get(fake.url + "/_fake/state").json()
    assert state["receipts"] == 253 and sum(state["by_status"].values()) == 253
    assert requests.get(fake.url + "/_fake/receipts/%d" % added[0]).json() == fake.receipt(added[0])
    assert requests.get(fake.url + "/_fake/receipts/1").status_code == 404
    assert requests.post(fake.url + "/_fake/nothing").status_code == 404

    assert requests.post(fake.url + "/_fake/revoke").status_code == 200
    assert get(s, RECEIPTS).status_code == 401
    assert fake.calls[-1] == ("GET", RECEIPTS, {})
    assert ("GET", RECEIPTS, {"limit": "3"}) in fake.calls
    assert not any(c[1].startswith("/_fake/") for c in fake.calls)


def test_control_switches_over_http(fake):
    def control(name, body=None):
        r = requests.post(fake.url + "/_fake/" + name, json=body or {})
        assert r.status_code == 200, r.text
        return r.json()
    t = control("tokens", {"scopes": ["shops_r"]})
    s = api(fake, t["access_token"])
    assert get(s, "/v3/application/users/me").status_code == 200
    assert get(s, RECEIPTS).status_code == 403          # no transactions_r
    control("expire")
    expired = get(s, "/v3/application/users/me").json()
    assert expired["error_description"] == "access token is expired"

    state = control("limits", {"per_second": 7, "per_day": 50, "access_ttl": 60, "reset_day": True})
    assert (state["limit_per_second"], state["limit_per_day"], state["access_ttl"]) == (7, 50, 60)
    assert login(fake)["expires_in"] == 60
    ping = get(api(fake), "/v3/application/openapi-ping")
    assert ping.headers["x-limit-per-second"] == "7" and ping.headers["x-limit-per-day"] == "50"

    control("deny")
    assert connect(fake, pkce()[1])["error"] == "access_denied"
    control("fault", {"path": "openapi-ping", "kind": "500", "count": 5})
    assert get(api(fake), "/v3/application/openapi-ping").status_code == 500
    control("faults/clear")
    assert get(api(fake), "/v3/application/openapi-ping").status_code == 200
    calls = requests.get(fake.url + "/_fake/calls").json()["calls"]
    assert calls[-1] == ["GET", "/v3/application/openapi-ping", {}]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_standalone_adds_receipts_over_time():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/fakes/etsy.py"), "--listen", "127.0.0.1:%d" % port,
         "--receipts", "40", "--seed", "7", "--keystring", "demo-key", "--shared-secret",
         "demo-secret", "--new-every", "0.3"], stdout=subprocess.PIPE, text=True)
    try:
        assert "127.0.0.1:%d" % port in proc.stdout.readline()
        url = "http://127.0.0.1:%d" % port
        ping = requests.get(url + "/v3/application/openapi-ping",
                            headers={"x-api-key": "demo-key:demo-secret"})
        assert ping.json() == {"application_id": 1234}
        time.sleep(1.0)
        assert requests.get(url + "/_fake/state").json()["receipts"] > 40
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_ten_thousand_receipts_in_pages_of_100():
    with FakeEtsy(receipts=10000, seed=2, keystring=KEY, shared_secret=SECRET,
                  limit_per_second=10000) as fake:
        s = authed(fake)
        start, seen, offset = time.monotonic(), set(), 0
        while True:
            page = get(s, RECEIPTS, limit=100, offset=offset, sort_on="receipt_id",
                       sort_order="asc")
            body = page.json()
            seen.update(r["receipt_id"] for r in body["results"])
            offset += 100
            if offset >= body["count"]:
                break
        assert len(seen) == 10000
        assert time.monotonic() - start < 20
