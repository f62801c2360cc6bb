"""Helpers the API tests share: a session logged in through the login form,
as a browser does, the CSRF token of a page, a checked POST, a confirmed
order's print job and waiting for what a worker does."""
import re
import time

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


def post(api, h, url, body=None, status=201):
    """POSTs a JSON body and returns the answer's JSON, asserting its status."""
    r = api.post(url, json=body if body is not None else {}, headers=h)
    assert r.status_code == status, r.text
    return r.json()


def confirmed_job(api, h, customer_id, product_id):
    """Orders one of a product for a customer and confirms the order. Returns
    the confirmed order, its one production order and that order's one print
    job."""
    order = post(api, h, "/api/v1/orders", {
        "customer_id": customer_id, "lines": [{"product_id": product_id, "quantity": 1}]})
    confirmed = post(api, h, f"/api/v1/orders/{order['id']}/status",
                     {"status": "confirmed"}, status=200)
    po, = confirmed["production_orders"]
    job, = po["print_jobs"]
    return confirmed, po, job


def wait_for(fn, timeout=30, step=0.2):
    """Calls fn until it returns something true (returned) or time runs out
    (then its last answer is returned)."""
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()
