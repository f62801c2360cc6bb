"""Server-rendered pages: every menu page renders, forms come back with their errors."""
import json
import re
from pathlib import Path

from util import csrf_of, page_session

CATALOGS = Path(__file__).resolve().parents[2] / "templates" / "i18n"


def browser_session(api, make_user, role="owner"):
    return page_session(api, make_user, role)


def test_every_menu_page_renders_with_its_title(api, make_user, server):
    s = browser_session(api, make_user)
    en = json.loads((CATALOGS / "en.json").read_text())
    routes = json.loads(server.run(["routes"]).stdout)
    pages = [r["path"] for r in routes if r["page"] and r["method"] == "GET"
             and "{" not in r["path"] and r["path"] != "/login"]
    assert len(pages) >= 11
    for path in pages:
        r = s.get(path)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"].startswith("text/html")
        title = re.search(r"<title>(.*?)</title>", r.text, re.S).group(1)
        assert "page_" not in title and "nav_" not in title, (path, title)
        assert any(v in title for k, v in en.items() if k.startswith("page_")), (path, title)


def test_german_users_get_german_pages(api, make_user):
    s = browser_session(api, make_user, "staff")
    page = s.get("/settings").text
    r = s.post("/settings/language", data={"lang": "de", "_csrf": csrf_of(page)},
               allow_redirects=False)
    assert r.status_code == 303
    de = json.loads((CATALOGS / "de.json").read_text())
    html = s.get("/orders").text
    assert '<html lang="de"' in html
    assert de["nav_orders"] in html


def test_accept_language_picks_german_for_visitors(api):
    de = json.loads((CATALOGS / "de.json").read_text())
    html = api.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}).text
    assert '<html lang="de"' in html
    assert de["login_username"] in html


def test_duplicate_user_form_comes_back_with_the_error_and_values(api, make_user):
    s = browser_session(api, make_user, "owner")
    page = s.get("/settings/users").text
    first = s.post("/settings/users", data={"username": "dupe-name", "role": "staff",
                                            "password": "", "_csrf": csrf_of(page)})
    assert first.status_code == 200
    again = s.post("/settings/users", data={"username": "dupe-name", "role": "staff",
                                            "password": "", "_csrf": csrf_of(first.text)})
    assert again.status_code == 409
    assert "dupe-name" in again.text and 'data-kind="error"' in again.text
    assert 'value="dupe-name"' in again.text


def test_new_user_form_shows_a_generated_password_once(api, make_user):
    s = browser_session(api, make_user, "owner")
    page = s.get("/settings/users").text
    r = s.post("/settings/users", data={"username": "shown-once", "role": "accountant",
                                        "password": "", "_csrf": csrf_of(page)})
    assert r.status_code == 200
    password = re.search(r'id="new-password-value" class="secret">([^<]+)<', r.text).group(1)
    assert len(password) >= 12
    listing = s.get("/settings/users").text
    assert "shown-once" in listing and password not in listing
    # and the password works
    login = api.post("/api/v1/auth/login", json={"username": "shown-once", "password": password})
    assert login.status_code == 200


def test_pages_show_times_in_the_business_zone_and_the_api_in_rfc3339(api, make_user, server):
    s = browser_session(api, make_user, "owner")
    me = s.get("/api/v1/me").json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", me["created_at"])
    page = s.get("/settings").text
    s.post("/settings/language", data={"lang": "de", "_csrf": csrf_of(page)})
    html = s.get("/settings/users").text
    stamps = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html)
    assert stamps
    for iso, shown in stamps:
        assert iso.endswith("Z")
        assert re.fullmatch(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d", shown), shown
