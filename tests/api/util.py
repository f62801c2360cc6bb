"""Helpers the API tests share: a session logged in through the login form,
as a browser does, and the CSRF token of a page."""
import re

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def csrf_of(html):
    return CSRF.search(html).group(1)


def page_session(api, make_user, role="staff"):
    """A cookie session of a new user with this role, logged in by form."""
    name, password, _ = make_user(role)
    s = api.session()
    r = s.post("/login", data={"username": name, "password": password,
                               "_csrf": csrf_of(s.get("/login").text)},
               allow_redirects=False)
    assert r.status_code == 303
    return s
