"""Mail from the outbox: the jobs worker delivers queued rows to an SMTP server.

These tests run their own Printyard, configured to send to an SMTP sink on loopback
(tests/api/smtpsink.py), because the session's `server` has no mail server; that one
shows what happens without smtp_url. Rows are queued with psql as the API would, in
one statement, and a one-off `deliver_mail` job asks the worker to look right away
rather than at the recurring job's next run.
"""
import email
import email.policy
import email.utils
import time

import pytest

from harness import Printyard
from smtpsink import SmtpSink
from util import wait_for

FROM = "shop@printyard.test"
FROM_NAME = "Printyard Testdruck"
SUBJECT = "Ihr Angebot Q-2026-00001 für Müller"
TEXT = ("Guten Tag Herr Müller,\n\nIhr Angebot: https://shop.example/q/abc?x=1&y=2\n"
        "Summe = 42,00 €\n" + "lang " * 300 + "\n.ein Punkt am Anfang\n")
HTML = "<p>Guten Tag Herr Müller,</p><p><a href=\"https://shop.example/q/abc?x=1\">Angebot</a></p>"


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def mailer(sink):
    """A Printyard whose jobs worker sends to the sink without TLS."""
    p = Printyard(extra={"smtp_url": sink.url, "smtp_from": FROM,
                         "smtp_from_name": FROM_NAME, "smtp_starttls": 0,
                         "jobs_poll_ms": 200})
    try:
        p.start()
        yield p
    finally:
        p.stop()


@pytest.fixture
def fresh_sink(sink):
    """The sink, emptied and saying yes to everything."""
    sink.answers.clear()
    del sink.messages[:]
    yield sink
    sink.answers.clear()


def queue(server, to="mueller@example.com", to_name="Jürgen Müller", subject=SUBJECT,
          text=TEXT, html=HTML, entity="quote", entity_id="42"):
    """Queues a mail as the API would and asks the worker to deliver it; its id."""
    mid = server.psql("INSERT INTO mail_outbox (to_address, to_name, subject, text_body,"
                      " html_body, entity, entity_id) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                      " RETURNING id", (to, to_name, subject, text, html, entity, entity_id))[0][0]
    kick(server)
    return mid


def kick(server):
    server.psql("INSERT INTO jobs (kind) VALUES ('deliver_mail')")


def row(server, mid):
    cols = ("state", "attempts", "last_error", "sent_at", "message_id", "next_attempt_at > now()")
    r = server.psql("SELECT state::text, attempts, last_error, sent_at, message_id,"
                    " next_attempt_at > now() FROM mail_outbox WHERE id = %s", (mid,))[0]
    return dict(zip(cols, r))


def audit(server, mid):
    return server.psql("SELECT actor, action, after FROM audit_log WHERE entity = 'mail_outbox'"
                       " AND entity_id = %s ORDER BY id", (str(mid),))


def test_a_queued_mail_reaches_the_mail_server_as_a_proper_message(mailer, fresh_sink):
    mid = queue(mailer)
    got = wait_for(lambda: row(mailer, mid)["state"] == "sent")
    assert got, row(mailer, mid)
    r = row(mailer, mid)
    assert r["attempts"] == 1 and r["last_error"] is None and r["sent_at"] is not None

    [m] = fresh_sink.wait(1)
    assert m["mail_from"] == FROM and m["rcpt_to"] == ["mueller@example.com"]
    raw = m["data"]
    for line in raw.split(b"\r\n")[:-1]:
        assert b"\n" not in line and b"\r" not in line and len(line) <= 998
    assert raw.endswith(b"\r\n")

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == SUBJECT
    assert b"Subject: =?UTF-8?Q?" in raw  # encoded, not raw UTF-8
    assert msg["To"].addresses[0].display_name == "Jürgen Müller"
    assert msg["To"].addresses[0].addr_spec == "mueller@example.com"
    assert msg["From"].addresses[0].display_name == FROM_NAME
    assert msg["From"].addresses[0].addr_spec == FROM
    assert msg["MIME-Version"] == "1.0"
    assert msg["Message-ID"] == r["message_id"]
    assert r["message_id"].startswith("<") and r["message_id"].endswith("@printyard.test>")
    sent = email.utils.parsedate_to_datetime(msg["Date"])
    assert abs(sent.timestamp() - time.time()) < 120

    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert plain.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == HTML

    [(actor, action, after)] = audit(mailer, mid)
    assert (actor, action) == ("jobs", "mail_sent")
    assert after["to"] == "mueller@example.com" and after["subject"] == SUBJECT
    assert after["about"] == {"entity": "quote", "id": "42"}
    assert after["message_id"] == r["message_id"]


def test_a_text_only_mail_has_no_html_part(mailer, fresh_sink):
    mid = queue(mailer, to_name=None, subject="Plain ASCII subject", text="Just text.",
                html=None, entity=None, entity_id=None)
    assert wait_for(lambda: row(mailer, mid)["state"] == "sent"), row(mailer, mid)
    [m] = fresh_sink.wait(1)
    msg = email.message_from_bytes(m["data"], policy=email.policy.default)
    assert msg.get_content_type() == "text/plain"
    assert msg["Subject"] == "Plain ASCII subject"
    assert msg["To"] == "mueller@example.com"
    assert msg.get_content().rstrip("\r\n") == "Just text."
    [(_, action, after)] = audit(mailer, mid)
    assert action == "mail_sent" and "about" not in after


def test_a_permanent_refusal_fails_the_mail_with_the_servers_words(mailer, fresh_sink):
    fresh_sink.answer("rcpt", "550 5.1.1 <nobody@example.com>: Recipient address rejected")
    mid = queue(mailer, to="nobody@example.com")
    assert wait_for(lambda: row(mailer, mid)["state"] == "failed"), row(mailer, mid)
    r = row(mailer, mid)
    assert r["attempts"] == 1 and r["sent_at"] is None
    assert "550 5.1.1 <nobody@example.com>: Recipient address rejected" in r["last_error"]
    assert fresh_sink.messages == []
    [(actor, action, after)] = audit(mailer, mid)
    assert (actor, action) == ("jobs", "mail_failed")
    assert "Recipient address rejected" in after["error"]


def test_a_temporary_refusal_is_retried_until_the_server_takes_it(mailer, fresh_sink):
    fresh_sink.answer("rcpt", "451 4.7.1 Greylisted, please try again later")
    mid = queue(mailer)
    first = wait_for(lambda: row(mailer, mid)["attempts"] == 1 and
                     row(mailer, mid)["last_error"] is not None)
    assert first, row(mailer, mid)
    r = row(mailer, mid)
    assert r["state"] == "queued" and r["next_attempt_at > now()"]
    assert "451 4.7.1 Greylisted, please try again later" in r["last_error"]
    assert audit(mailer, mid) == []  # a retry is not yet a delivery
    first_id = r["message_id"]

    # the server takes mail again; the backoff is cut short instead of waited out
    fresh_sink.answer("rcpt", None)
    mailer.psql("UPDATE mail_outbox SET next_attempt_at = now() WHERE id = %s", (mid,))
    kick(mailer)
    assert wait_for(lambda: row(mailer, mid)["state"] == "sent"), row(mailer, mid)
    r = row(mailer, mid)
    assert r["attempts"] == 2 and r["last_error"] is None and r["message_id"] == first_id
    [m] = fresh_sink.wait(1)
    msg = email.message_from_bytes(m["data"], policy=email.policy.default)
    assert msg["Message-ID"] == first_id
    assert [a for _, a, _ in audit(mailer, mid)] == ["mail_sent"]


def test_a_server_that_hangs_up_at_once_counts_as_temporary(mailer, fresh_sink):
    fresh_sink.answer("connect", "421 4.3.2 Service shutting down")
    mid = queue(mailer)
    assert wait_for(lambda: row(mailer, mid)["attempts"] == 1 and
                    row(mailer, mid)["last_error"] is not None), row(mailer, mid)
    r = row(mailer, mid)
    assert r["state"] == "queued" and "421" in r["last_error"]
    # leave nothing due for the tests after this one
    mailer.psql("UPDATE mail_outbox SET state = 'failed' WHERE id = %s", (mid,))


def test_mail_the_database_refuses_never_reaches_the_outbox(mailer):
    import psycopg2
    for to, subject in (("not-an-address", "x"), ("a@b.example", "Hi\r\nBcc: evil@example.com"),
                        ("a@b.example", "")):
        with pytest.raises(psycopg2.errors.CheckViolation):
            mailer.psql("INSERT INTO mail_outbox (to_address, subject, text_body)"
                        " VALUES (%s, %s, 'x')", (to, subject))


def test_without_smtp_url_mail_stays_queued_and_says_so(server):
    mid = queue(server)
    said = wait_for(lambda: row(server, mid)["last_error"])
    assert said and "smtp_url" in said, row(server, mid)
    r = row(server, mid)
    assert r["state"] == "queued" and r["attempts"] == 0 and r["message_id"] is None
    done = wait_for(lambda: server.psql(
        "SELECT result FROM jobs WHERE kind = 'deliver_mail' AND state = 'done'"
        " AND every_seconds IS NULL ORDER BY id DESC LIMIT 1"))
    assert done and done[0][0]["disabled"] is True and done[0][0]["queued"] >= 1
    server.psql("DELETE FROM mail_outbox WHERE id = %s", (mid,))


def test_the_recurring_delivery_job_is_scheduled(mailer):
    rows = mailer.psql("SELECT every_seconds FROM jobs WHERE kind = 'deliver_mail'"
                       " AND unique_key = 'deliver_mail'")
    assert rows and rows[0][0] == 30


def test_the_staff_send_a_quote_and_the_customer_gets_its_link(mailer, fresh_sink):
    from harness import ApiSession
    from quoting import box_triangles, quote, stl_binary
    mailer.psql("UPDATE quote_settings SET slice_parts = false")
    mailer.add_user("quoter", "staff", "quoter-password-1")
    api = ApiSession(mailer.base_url)
    staff = api.with_token(mailer.login("quoter", "quoter-password-1"))
    q = quote(api, [("lamp.stl", stl_binary(box_triangles(30, 30, 50)))])
    qid = mailer.psql("SELECT id FROM quotes WHERE token = %s", (q["token"],))[0][0]
    # an address that is no address changes nothing
    r = staff.patch(f"/api/v1/quotes/{qid}", json={"status": "sent", "email": "nobody"})
    assert r.status_code == 422 and "email" in r.json()["error"]["fields"], r.text
    assert mailer.psql("SELECT status::text FROM quotes WHERE id = %s", (qid,)) == [("draft",)]
    r = staff.patch(f"/api/v1/quotes/{qid}", json={"status": "sent", "email": "ines@example.org",
                                                   "name": "Ines Weber"})
    assert r.status_code == 200 and r.json()["status"] == "sent", r.text
    [m] = fresh_sink.wait(1)
    assert m["rcpt_to"] == ["ines@example.org"]
    msg = email.message_from_bytes(m["data"], policy=email.policy.default)
    assert q["number"] in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert f"{mailer.base_url}/q/{q['token']}" in body and "Ines Weber" in body
    gross = q["breakdown"]["gross_cents"]
    assert f"{gross // 100:,}.{gross % 100:02d}" in body, body
    assert mailer.psql("SELECT entity, entity_id, state::text FROM mail_outbox WHERE "
                       "to_address = 'ines@example.org'") == [("quote", str(qid), "sent")]
