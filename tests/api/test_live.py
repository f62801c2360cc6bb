"""Who may follow which live channel.

nginx asks the application before it opens a subscriber's stream; these
tests subscribe through nginx as a browser does and check both the refusal
and that an allowed stream really carries what is published.
"""
import json
import secrets
import threading
import time

import pytest
import requests


def subscribe(base_url, channel, headers=None, cookies=None):
    """Opens the stream; the caller closes it."""
    h = {"Accept": "text/event-stream"}
    h.update(headers or {})
    return requests.get(base_url + "/live/sub/" + channel, stream=True, timeout=10,
                        headers=h, cookies=cookies)


def status_of(base_url, channel, headers=None, cookies=None):
    with subscribe(base_url, channel, headers, cookies) as r:
        return r.status_code, r.headers.get("Content-Type", "")


def bearer(token):
    return {"Authorization": "Bearer " + token}


def publish(server, channel, event):
    r = requests.post(server.base_url + "/_live/pub", params={"channel": channel},
                      data=json.dumps(event), timeout=5,
                      headers={"Content-Type": "application/json",
                               "Accept": "application/json"})
    assert r.status_code in (200, 201, 202), (r.status_code, r.text)


def first_event(stream, channel, server, event):
    """Publishes event once the stream is open and returns what arrives."""
    got = []

    def read():
        for line in stream.iter_lines(chunk_size=1, decode_unicode=True):
            if line and line.startswith("data:"):
                got.append(json.loads(line[5:]))
                return

    t = threading.Thread(target=read, daemon=True)
    t.start()
    time.sleep(0.3)         # nchan has the subscriber before the event is sent
    publish(server, channel, event)
    t.join(5)
    return got


STAFF_CHANNELS = ("dashboard", "printers", "orders", "print-jobs", "quotes", "jobs", "etsy")


@pytest.mark.parametrize("channel", STAFF_CHANNELS)
def test_staff_channels_refuse_anyone_not_logged_in(server, channel):
    code, ctype = status_of(server.base_url, channel)
    assert code == 401, (channel, code)
    assert "event-stream" not in ctype


def test_a_bad_or_ended_login_opens_no_stream(server, api, make_user):
    code, _ = status_of(server.base_url, "printers", bearer("not.a.token"))
    assert code == 401
    _, _, token = make_user("staff")
    assert status_of(server.base_url, "printers", bearer(token))[0] == 200
    assert api.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert status_of(server.base_url, "printers", bearer(token))[0] == 401


def test_a_logged_in_browser_follows_the_dashboard_and_gets_its_events(server, api,
                                                                        make_user):
    name, password, _ = make_user("staff")
    browser = api.session()
    r = browser.post("/api/v1/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200
    cookies = browser.cookies.get_dict()
    assert cookies, "the login set no cookie"
    marker = secrets.token_hex(8)
    with subscribe(server.base_url, "dashboard", cookies=cookies) as s:
        assert s.status_code == 200
        assert s.headers["Content-Type"].startswith("text/event-stream")
        got = first_event(s, "dashboard", server, {"type": "test", "marker": marker})
    assert got == [{"type": "test", "marker": marker}]


def test_each_role_follows_only_what_it_may_read(server, make_user):
    allowed = {
        "owner": set(STAFF_CHANNELS),
        "staff": set(STAFF_CHANNELS),
        "accountant": {"dashboard", "printers", "orders", "print-jobs"},
    }
    for role, channels in allowed.items():
        _, _, token = make_user(role)
        for channel in STAFF_CHANNELS:
            code, ctype = status_of(server.base_url, channel, bearer(token))
            if channel in channels:
                assert code == 200 and ctype.startswith("text/event-stream"), \
                    (role, channel, code)
            else:
                assert code == 403 and "event-stream" not in ctype, (role, channel, code)


def test_a_refused_subscriber_gets_nothing_of_what_is_published(server, make_user):
    _, _, token = make_user("accountant")
    with subscribe(server.base_url, "etsy", bearer(token)) as s:
        assert s.status_code == 403
        publish(server, "etsy", {"type": "etsy_sync", "secret": "counts"})
        assert b"counts" not in s.raw.read(4096, decode_content=True)


def test_a_quote_channel_is_public_and_unknown_names_are_refused(server, owner_token):
    quote = "quote_" + secrets.token_hex(16)
    marker = secrets.token_hex(8)
    with subscribe(server.base_url, quote) as s:
        assert s.status_code == 200
        got = first_event(s, quote, server, {"type": "quote", "event": marker})
    assert got == [{"type": "quote", "event": marker}]
    # a name that is not a quote's hash, or not a channel at all, is nobody's
    for name in ("quote_" + "g" * 32, "quote_" + "a" * 31, "quote_", "anything",
                 "printers-x", "Dashboard"):
        assert status_of(server.base_url, name)[0] in (401, 404), name
        assert status_of(server.base_url, name, bearer(owner_token))[0] == 404, name


def test_a_page_follows_only_a_channel_its_reader_may_follow(api, make_user):
    from util import page_session
    for role, url in (("owner", "/live/sub/etsy"), ("accountant", "/live/sub/dashboard")):
        page = page_session(api, make_user, role).get("/settings/etsy")
        assert page.status_code == 200
        assert f'data-live-url="{url}"' in page.text, role
