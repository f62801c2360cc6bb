"""tests/fakes/etsy.py: a fake Etsy Open API v3 on loopback, for tests and the demo.

One shop (SHOP_ID 5550001, owned by USER_ID 7770001) with receipts made up from a
seed, a catalogue of eight listings, the OAuth 2.0 authorization-code flow with
PKCE, rotating refresh tokens, the x-api-key check, rate limits with their headers
and faults on demand. Field names and shapes follow Etsy's OpenAPI 3.0.0 document
(ShopReceipt, ShopReceiptTransaction, ShopReceiptShipment, ShopRefund, Money,
ShopListing, ErrorSchema); docs/etsy.md tells how Printyard uses them.
Standard library only, so Debian's /usr/bin/python3 runs it.

In tests (tests/ is on sys.path in tests/api):

    from fakes.etsy import FakeEtsy
    fake = FakeEtsy(receipts=250, seed=1, keystring="k", shared_secret="s")
    fake.start()            # 127.0.0.1, a free port; also usable as a context manager
    fake.url                # "http://127.0.0.1:PORT": both the OAuth and the API base
    ...
    fake.stop()

Standalone, for the demo (with --new-every N a new paid receipt arrives every N s):

    /usr/bin/python3 tests/fakes/etsy.py --listen 127.0.0.1:8765 --receipts 40 \
        --seed 7 --keystring demo-key --shared-secret demo-secret --new-every 60

Etsy's endpoints it serves (paths as on Etsy):

    GET  /oauth/connect                 authorize; approves at once (302 to redirect_uri)
    POST /v3/public/oauth/token         grant_type authorization_code | refresh_token
    GET  /v3/application/openapi-ping                          api key
    GET  /v3/application/users/me                              shops_r
    GET  /v3/application/shops/{shop_id}/receipts              transactions_r
    GET  /v3/application/shops/{shop_id}/receipts/{receipt_id} transactions_r
    GET  /v3/application/shops/{shop_id}/receipts/{receipt_id}/transactions
    POST /v3/application/shops/{shop_id}/receipts/{receipt_id}/tracking  transactions_w
    GET  /v3/application/listings/{listing_id}                 api key
    GET  /v3/application/listings/batch?listing_ids=1,2        api key

The token endpoint wants only the form (client_id = keystring), as on Etsy; receipts
count as delivered (was_delivered) once their first shipment is 5 days old.
Every /v3/application/ request needs `x-api-key: <keystring>:<shared_secret>` (403
{"error": ...} otherwise); the scoped ones need `Authorization: Bearer <token>` (401
{"error": "invalid_token", "error_description": ...} when missing, unknown, expired
or revoked; 403 {"error": "insufficient_scope", ...} without the scope). Answers past
the key check carry x-limit-per-second, x-remaining-this-second, x-limit-per-day and
x-remaining-today; past a limit the answer is 429 {"error": ...} without them.

Money on receipts follows the OpenAPI descriptions: total_price = sum of the
transactions' price x quantity; subtotal = total_price - discount_amt; total_shipping_cost
= sum of the transactions' shipping_cost; grandtotal = subtotal + total_shipping_cost
+ total_tax_cost + total_vat_cost + gift_wrap_price (gift wrap is always 0 here).
Amounts are in the buyer's currency (EUR, USD, GBP with divisor 100; JPY with divisor 1).

FakeEtsy(receipts=250, seed=1, keystring="k", shared_secret="s", host="127.0.0.1",
port=0, now=None, limit_per_second=10, limit_per_day=10000, access_ttl=3600,
verbose=False): `now` is the epoch the generated receipts end at (default: the current
time; pass one to compare two fakes made from the same seed). start() -> self, stop(),
url, api_key ("keystring:shared_secret"), state() -> the /_fake/state dict.

Python control (all thread-safe; each change bumps the receipt's update timestamps):

    add_receipts(n=1, status="paid") -> [receipt_id]   new receipts created now
    update_receipt(receipt_id, **changes) -> dict      set top-level fields
    ship(receipt_id, carrier="dhl", tracking=None) -> dict   shipped "on Etsy"
    cancel(receipt_id) -> dict
    refund(receipt_id, cents, reason="...") -> dict     partial or full refund
    set_address(receipt_id, **fields) -> dict          name, first_line, second_line,
                                                       city, state, zip, country_iso
    fault(path, kind, count=1, **opts)   queue a fault for requests whose path contains
                                         `path` (or matches it as a regular expression)
        kinds: "429" (retry_after=seconds or None: no Retry-After header), "500", "503",
               "slow" (delay=seconds, then the normal answer), "malformed" (200, body
               not JSON), "truncated" (200, one object of the page has wrong types),
               "revoked" (on the token endpoint 400 invalid_grant "refresh_token is
               revoked", on an API call 401 invalid_token "access token is revoked")
    clear_faults()
    revoke_tokens()              every access and refresh token revoked
    expire_access_tokens()       every access token expired
    deny_next_authorization()    the next /oauth/connect redirects with access_denied
    issue_tokens(scopes=None) -> dict   a token answer without the browser dance
    set_limits(per_second=None, per_day=None); reset_daily_count()
    access_ttl, code_ttl         seconds an access token (3600) and a code (300) live
    receipt(receipt_id) -> dict; receipt_ids() -> [int]; listing(listing_id) -> dict
    calls      [(method, path, {query name: value})] of every request but /_fake/
    shipments  [dict] of every createReceiptShipment call (receipt_id, carrier_name,
               tracking_code, send_bcc, note_to_buyer, receipt_shipping_id, timestamp)
    token_grants  {"authorization_code": n, "refresh_token": n, "refused": n}

HTTP control (JSON bodies and answers):

    GET  /_fake/state                       counts (receipts by status, calls, grants ...)
    GET  /_fake/calls, GET /_fake/shipments
    POST /_fake/receipts                    {"n": 5, "status": "paid"} -> {"receipt_ids": [...]}
    GET  /_fake/receipts/{id}               the receipt as stored
    POST /_fake/receipts/{id}               {field: value, ...}  (update_receipt)
    POST /_fake/receipts/{id}/ship          {"carrier_name": "dhl", "tracking_code": "..."}
    POST /_fake/receipts/{id}/cancel
    POST /_fake/receipts/{id}/refund        {"amount": cents, "reason": "..."}
    POST /_fake/receipts/{id}/address       {"name": ..., "city": ..., ...}
    POST /_fake/fault                       {"path": "/receipts", "kind": "429", "count": 1,
                                             "retry_after": 2, "delay": 1.5}
    POST /_fake/faults/clear
    POST /_fake/revoke, POST /_fake/expire, POST /_fake/deny, POST /_fake/reset-day
    POST /_fake/tokens                      {"scopes": [...]} -> token answer
    POST /_fake/limits                      {"per_second": 10, "per_day": 10000,
                                             "access_ttl": 3600, "reset_day": true}
"""
import argparse
import base64
import copy
import hashlib
import json
import random
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SHOP_ID = 5550001
USER_ID = 7770001
APPLICATION_ID = 1234
SHOP_NAME = "PrintyardWorkshop"
SELLER_EMAIL = "orders@printyard-workshop.example"

SCOPES = frozenset((
    "address_r", "address_w", "billing_r", "cart_r", "cart_w", "email_r", "favorites_r",
    "favorites_w", "feedback_r", "listings_d", "listings_r", "listings_w", "profile_r",
    "profile_w", "recommend_r", "recommend_w", "shops_r", "shops_w", "transactions_r",
    "transactions_w"))
DEFAULT_SCOPES = ("transactions_r", "transactions_w", "shops_r", "listings_r", "email_r")

MIN_EPOCH = 946684800          # the smallest timestamp getShopReceipts accepts
CODE_TTL = 300                 # authorization codes live 5 minutes
SPREAD_DAYS = 25               # generated receipts were created over this many days
FIRST_RECEIPT_ID = 3100000000
FIRST_TRANSACTION_ID = 4200000000
FIRST_SHIPPING_ID = 1500000000
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}\Z")
CHALLENGE = re.compile(r"[A-Za-z0-9_\-]{43}\Z")
SORT_ORDERS = {"asc": False, "ascending": False, "up": False,
               "desc": True, "descending": True, "down": True}
SORT_KEYS = {"created": "create_timestamp", "updated": "update_timestamp",
             "receipt_id": "receipt_id"}
FAULT_KINDS = ("429", "500", "503", "slow", "malformed", "truncated", "revoked")
DELIVERED_AFTER = 5 * 86400    # a shipment counts as delivered this long after

# ---- the catalogue ----------------------------------------------------------------

COLOUR = (513, "Colour", (("Red", 5130001), ("Blue", 5130002), ("Black", 5130003)))
SIZE = (514, "Size", (("S", 5140001), ("M", 5140002), ("L", 5140003)))
SIZE_FACTOR = {"S": 0.8, "M": 1.0, "L": 1.3}
PERSONALIZATION_PROPERTY = 54

# listing_id, title, price in euro cents, sku ("" = none; a planter SKU gets the
# variation appended), variation properties, personalizable
CATALOGUE = (
    (1400000001, "Articulated dragon, 30 cm, print in place", 2490, "PY-DRAGON-30", (), False),
    (1400000002, "Low-poly planter with drainage tray", 1890, "PY-PLANTER", (COLOUR, SIZE), False),
    (1400000003, "Cable organiser clips, set of 12", 990, "", (), False),
    (1400000004, "Name keychain, personalised", 890, "PY-KEYCHAIN", (COLOUR,), True),
    (1400000005, "Headphone stand, minimalist", 2290, "", (COLOUR,), False),
    (1400000006, "Phone stand with cable slot", 1290, "PY-PHONE-STAND", (), False),
    (1400000007, "Chess set, 32 pieces", 4990, "PY-CHESS", (SIZE,), False),
    (1400000008, "Tabletop terrain, ruined tower", 1590, "", (), False),
)
LISTING_CREATED = 1672531200   # 2023-01-01, when the listings were made

PERSONAL_TEXTS = ("Lena", "Max & Mia", "Opa Hans", "For Zoë", "ハナ", "Team Blue", "J.R.", "Élodie")

# ---- buyers -----------------------------------------------------------------------

# country: currency, (first names), (surnames), ((city, state, zip), ...), streets,
# shipping in euro cents for the first item, tax kind ("tax", "vat" or None)
COUNTRIES = {
    "DE": ("EUR", ("Anna", "Lukas", "Sophie", "Jürgen", "Mia"),
           ("Schmidt", "Müller", "Weiß", "Becker"),
           (("Berlin", None, "10115"), ("München", None, "80331"), ("Köln", None, "50667")),
           ("Hauptstraße", "Gartenweg", "Schillerstraße"), 490, None),
    "FR": ("EUR", ("Camille", "Louis", "Chloé", "Hugo"), ("Martin", "Lefèvre", "Dubois"),
           (("Paris", None, "75011"), ("Lyon", None, "69002"), ("Nantes", None, "44000")),
           ("rue de la Paix", "avenue Jean Jaurès", "boulevard Voltaire"), 790, None),
    "NL": ("EUR", ("Daan", "Sanne", "Bram", "Fleur"), ("de Vries", "Jansen", "van Dijk"),
           (("Amsterdam", None, "1012 AB"), ("Utrecht", None, "3511 CE"),
            ("Delft", None, "2611 HB")),
           ("Prinsengracht", "Kerkstraat", "Oude Delft"), 790, None),
    "AT": ("EUR", ("Lisa", "Florian", "Katharina"), ("Gruber", "Huber", "Wagner"),
           (("Wien", None, "1010"), ("Graz", None, "8010"), ("Linz", None, "4020")),
           ("Mariahilfer Straße", "Herrengasse", "Landstraße"), 690, None),
    "GB": ("GBP", ("Oliver", "Amelia", "Harry", "Isla"), ("Smith", "Jones", "O'Brien", "Taylor"),
           (("London", None, "SW1A 1AA"), ("Manchester", "Greater Manchester", "M1 1AE"),
            ("Leeds", "West Yorkshire", "LS1 4DY")),
           ("High Street", "Station Road", "Church Lane"), 990, "vat"),
    "US": ("USD", ("James", "Emma", "Noah", "Olivia", "Zoë"),
           ("Johnson", "Garcia", "Miller", "Davis"),
           (("Portland", "OR", "97205"), ("Austin", "TX", "78701"), ("Brooklyn", "NY", "11201")),
           ("Main St", "Oak Avenue", "Maple Drive"), 1490, "tax"),
    "JP": ("JPY", ("太郎", "花子", "Yuki", "Haruto"), ("山田", "佐藤", "Tanaka"),
           (("Tokyo", "Tokyo", "100-0001"), ("Osaka", "Osaka", "530-0001"),
            ("Kyoto", "Kyoto", "600-8216")),
           ("Chiyoda 1-1", "Umeda 2-4", "Shijo-dori 3"), 1990, None),
}
COUNTRY_WEIGHTS = (("DE", 30), ("FR", 10), ("NL", 8), ("AT", 6), ("GB", 12), ("US", 26), ("JP", 8))
COUNTRY_NAMES = {"DE": "Germany", "FR": "France", "NL": "Netherlands", "AT": "Austria",
                 "GB": "United Kingdom", "US": "United States", "JP": "Japan"}
CURRENCY_RATE = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86, "JPY": 1.6}  # per euro cent
BUYER_MESSAGES = ("Could you ship it before Friday? It is a birthday present.",
                  "Please no invoice in the parcel, thanks!",
                  "Love your work :) second order already.",
                  "Is the red one the same shade as in the photo?")
PAYMENT_METHODS = {"DE": ("cc", "paypal", "klarna", "sofort"), "FR": ("cc", "paypal", "apple_pay"),
                   "NL": ("ideal", "cc", "paypal"), "AT": ("cc", "sofort", "paypal"),
                   "GB": ("cc", "paypal", "apple_pay"), "US": ("cc", "paypal", "google_pay"),
                   "JP": ("cc", "paypal")}


def money(amount, currency):
    """An Etsy Money object; JPY has no minor unit."""
    return {"amount": int(amount), "divisor": 1 if currency == "JPY" else 100,
            "currency_code": currency}


def convert(euro_cents, currency):
    """A euro-cent price in the buyer's currency (yen rounded to tens)."""
    value = euro_cents * CURRENCY_RATE[currency]
    return int(round(value / 10.0)) * 10 if currency == "JPY" else int(round(value))


def slug(title):
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def weighted(rng, pairs):
    total = sum(w for _, w in pairs)
    pick = rng.uniform(0, total)
    for value, weight in pairs:
        pick -= weight
        if pick <= 0:
            return value
    return pairs[-1][0]


def make_listing(entry):
    """The ShopListing served by getListing for one catalogue entry."""
    listing_id, title, price, sku, properties, personal = entry
    skus = [sku] if sku and not properties else []
    if sku and properties:
        skus = [variant_sku(sku, combo) for combo in combinations(properties)]
    return {
        "listing_id": listing_id, "user_id": USER_ID, "shop_id": SHOP_ID, "title": title,
        "description": "%s. Printed to order in PLA or PETG in our workshop." % title,
        "state": "active", "creation_timestamp": LISTING_CREATED,
        "created_timestamp": LISTING_CREATED, "ending_timestamp": LISTING_CREATED + 4 * 30 * 86400,
        "original_creation_timestamp": LISTING_CREATED,
        "last_modified_timestamp": LISTING_CREATED + 86400,
        "updated_timestamp": LISTING_CREATED + 86400, "state_timestamp": LISTING_CREATED,
        "quantity": 50, "shop_section_id": None, "featured_rank": -1,
        "url": "https://www.etsy.com/listing/%d/%s" % (listing_id, slug(title)),
        "num_favorers": listing_id % 97, "non_taxable": False, "is_taxable": True,
        "is_customizable": bool(properties), "is_personalizable": personal,
        "personalization_is_required": personal,
        "personalization_char_count_max": 20 if personal else None,
        "personalization_instructions": "Name to print (max. 20 characters)" if personal else None,
        "listing_type": "physical", "tags": ["3d printed", "gift"], "materials": ["PLA"],
        "shipping_profile_id": 880001, "return_policy_id": 990001,
        "processing_min": 1, "processing_max": 3, "who_made": "i_did", "when_made": "made_to_order",
        "is_supply": False, "item_weight": 120.0, "item_weight_unit": "g",
        "item_length": 10.0, "item_width": 10.0, "item_height": 8.0, "item_dimensions_unit": "cm",
        "is_private": False, "style": [], "file_data": "", "has_variations": bool(properties),
        "should_auto_renew": True, "language": "en-US", "price": money(price, "EUR"),
        "taxonomy_id": 1625, "skus": skus,
    }


def combinations(properties):
    """Every choice of one value per property: [((property, (name, value_id)), ...)]."""
    combos = [()]
    for prop in properties:
        combos = [c + ((prop, value),) for c in combos for value in prop[2]]
    return combos


def variant_sku(sku, combo):
    return "-".join([sku] + [value[0].upper() for _, value in combo])


LISTINGS = {entry[0]: make_listing(entry) for entry in CATALOGUE}


# ---- receipts ---------------------------------------------------------------------

class ReceiptMaker:
    """Makes up receipts from one random generator, so a seed gives the same shop."""

    def __init__(self, rng):
        self.rng = rng
        self.next_receipt = FIRST_RECEIPT_ID
        self.next_transaction = FIRST_TRANSACTION_ID
        self.next_shipping = FIRST_SHIPPING_ID

    def receipt_id(self):
        self.next_receipt += self.rng.randint(1, 40)
        return self.next_receipt

    def transaction_id(self):
        self.next_transaction += self.rng.randint(1, 25)
        return self.next_transaction

    def shipping_id(self):
        self.next_shipping += self.rng.randint(1, 9)
        return self.next_shipping

    def status(self):
        return weighted(self.rng, (("paid", 58), ("completed", 28), ("canceled", 5),
                                   ("open", 5), ("partially refunded", 4)))

    def make(self, created, now, status):
        """One ShopReceipt created at `created`; `now` bounds every later timestamp."""
        rng = self.rng
        country = weighted(rng, COUNTRY_WEIGHTS)
        currency = COUNTRIES[country][0]
        buyer = self.buyer(country)
        r = {"receipt_id": self.receipt_id(), "receipt_type": 0, "seller_user_id": USER_ID,
             "seller_email": SELLER_EMAIL}
        r.update(buyer)
        r.update({"status": "paid", "payment_method": rng.choice(PAYMENT_METHODS[country]),
                  "payment_email": None, "message_from_seller": None,
                  "message_from_buyer": rng.choice(BUYER_MESSAGES) if rng.random() < 0.2 else None,
                  "message_from_payment": None, "is_paid": True, "is_shipped": False,
                  "create_timestamp": created, "created_timestamp": created,
                  "update_timestamp": created, "updated_timestamp": created,
                  "is_gift": False, "gift_message": "", "gift_sender": ""})
        if r["payment_method"] == "paypal":
            r["payment_email"] = r["buyer_email"]
        if rng.random() < 0.08:
            r.update(is_gift=True, gift_message="Happy birthday!", gift_sender=r["name"].split()[0])
        lines = rng.sample(CATALOGUE, weighted(rng, ((1, 55), (2, 25), (3, 12), (4, 8))))
        r["transactions"] = [self.transaction(r, entry, created, currency, i)
                             for i, entry in enumerate(lines)]
        r["shipments"], r["refunds"] = [], []
        set_totals(r, currency, discount_percent=10 if rng.random() < 0.15 else 0,
                   tax_kind=COUNTRIES[country][6] if rng.random() < 0.7 else None)
        self.settle(r, status, now)
        return r

    def buyer(self, country):
        rng = self.rng
        _, firsts, lasts, places, streets, _, _ = COUNTRIES[country]
        city, state, zipcode = rng.choice(places)
        name = "%s %s" % (rng.choice(firsts), rng.choice(lasts))
        if country == "JP" and not name[0].isascii():
            name = name.split()[1] + " " + name.split()[0]
        buyer_id = rng.randint(100000000, 999999999)
        second = None
        if rng.random() < 0.3:
            second = rng.choice(("Apt 4", "2nd floor", "c/o Workshop 3"))
        address = {"name": name, "first_line": "%s %d" % (rng.choice(streets), rng.randint(1, 120)),
                   "second_line": second, "city": city, "state": state, "zip": zipcode,
                   "country_iso": country}
        email = None if rng.random() < 0.25 else "buyer%d@mail.example" % buyer_id
        return dict(address, buyer_user_id=buyer_id, buyer_email=email,
                    formatted_address=format_address(address))

    def transaction(self, r, entry, created, currency, index):
        """Line `index` of receipt r: one catalogue entry with its variation picked."""
        rng = self.rng
        listing_id, title, price, sku, properties, personal = entry
        combo = tuple((prop, rng.choice(prop[2])) for prop in properties)
        unit = price * SIZE_FACTOR.get(dict((p[1], v[0]) for p, v in combo).get("Size", "M"), 1.0)
        variations = [{"property_id": prop[0], "value_id": value[1], "formatted_name": prop[1],
                       "formatted_value": value[0]} for prop, value in combo]
        if personal:
            variations.append({"property_id": PERSONALIZATION_PROPERTY, "value_id": None,
                               "formatted_name": "Personalization",
                               "formatted_value": rng.choice(PERSONAL_TEXTS)})
        shipping = COUNTRIES[r["country_iso"]][5] if index == 0 else 100
        return {
            "transaction_id": self.transaction_id(), "title": title,
            "description": LISTINGS[listing_id]["description"], "seller_user_id": USER_ID,
            "buyer_user_id": r["buyer_user_id"], "create_timestamp": created,
            "created_timestamp": created, "paid_timestamp": None, "shipped_timestamp": None,
            "quantity": weighted(rng, ((1, 75), (2, 18), (3, 7))),
            "listing_image_id": listing_id * 10 + 1, "receipt_id": r["receipt_id"],
            "is_digital": False, "file_data": "", "listing_id": listing_id,
            "transaction_type": "listing",
            "product_id": listing_id * 100 + sum(value[1] % 10 * 10 ** i
                                                 for i, (_, value) in enumerate(combo)),
            "sku": variant_sku(sku, combo) if sku and combo else sku,
            "price": money(convert(int(round(unit)), currency), currency),
            "shipping_cost": money(convert(shipping, currency), currency),
            "variations": variations,
            "product_data": [{"property_id": prop[0], "property_name": prop[1], "scale_id": None,
                              "scale_name": None, "value_ids": [value[1]], "values": [value[0]]}
                             for prop, value in combo],
            "shipping_profile_id": 880001, "min_processing_days": 1, "max_processing_days": 3,
            "shipping_method": None, "shipping_upgrade": None,
            "expected_ship_date": created + 3 * 86400, "buyer_coupon": 0.0, "shop_coupon": 0.0,
        }

    def settle(self, r, status, now):
        """Moves a fresh receipt on to `status`, with timestamps no later than `now`."""
        rng, created = self.rng, r["create_timestamp"]
        if status == "open":
            r.update(status="open", is_paid=False)
            return
        paid = min(created + rng.randint(0, 300), now)
        for t in r["transactions"]:
            t["paid_timestamp"] = paid
        touch(r, paid)
        if status == "canceled":
            r["status"] = "canceled"
            touch(r, min(paid + rng.randint(3600, 2 * 86400), now))
        elif status in ("completed", "partially refunded"):
            shipped = paid + rng.randint(86400, 4 * 86400)
            if shipped > now:
                return      # too recent to be shipped: it stays paid
            add_shipment(r, self.shipping_id(), shipped, rng.choice(("dhl", "ups", "royal-mail")),
                         "%s%09d" % (rng.choice(("JJD", "1Z", "RM")), rng.randint(0, 10 ** 9 - 1)))
            if status == "partially refunded":
                later = min(shipped + rng.randint(3600, 86400), now)
                add_refund(r, r["grandtotal"]["amount"] // 5, "Item arrived damaged", later)


def format_address(a):
    """The address as Etsy writes it for the buyer's country."""
    lines = [a["name"], a["first_line"]]
    if a.get("second_line"):
        lines.append(a["second_line"])
    country = a.get("country_iso") or ""
    if country == "US":
        lines.append("%s, %s %s" % (a["city"], a.get("state") or "", a["zip"]))
    elif country == "GB":
        lines += [a["city"]] + ([a["state"]] if a.get("state") else []) + [a["zip"]]
    elif country == "JP":
        lines.append("%s %s %s" % (a["zip"], a.get("state") or "", a["city"]))
    else:
        lines.append("%s %s" % (a["zip"], a["city"]))
    lines.append(COUNTRY_NAMES.get(country, country))
    return "\n".join(lines)


def set_totals(r, currency, discount_percent=0, tax_kind=None):
    """Fills the receipt's Money fields from its transactions."""
    total = sum(t["price"]["amount"] * t["quantity"] for t in r["transactions"])
    shipping = sum(t["shipping_cost"]["amount"] for t in r["transactions"])
    discount = total * discount_percent // 100
    subtotal = total - discount
    tax = subtotal * 725 // 10000 if tax_kind == "tax" else 0
    vat = subtotal * 20 // 120 if tax_kind == "vat" else 0
    for name, amount in (("total_price", total), ("discount_amt", discount), ("subtotal", subtotal),
                         ("total_shipping_cost", shipping), ("total_tax_cost", tax),
                         ("total_vat_cost", vat), ("gift_wrap_price", 0),
                         ("grandtotal", subtotal + shipping + tax + vat)):
        r[name] = money(amount, currency)


def touch(r, when):
    """Sets both update timestamps (never backwards)."""
    when = max(int(when), r["update_timestamp"])
    r["update_timestamp"] = r["updated_timestamp"] = when


def add_shipment(r, shipping_id, when, carrier, tracking):
    """Marks the receipt shipped, with a shipment entry when there is tracking."""
    if carrier or tracking:
        r["shipments"].append({"receipt_shipping_id": shipping_id,
                               "shipment_notification_timestamp": int(when),
                               "carrier_name": carrier or "", "tracking_code": tracking or ""})
    r["is_shipped"] = True
    if r["status"] in ("paid", "open", "payment processing"):
        r["status"] = "completed"
    for t in r["transactions"]:
        t["shipped_timestamp"] = t["shipped_timestamp"] or int(when)
    touch(r, when)


def add_refund(r, amount, reason, when):
    grand = r["grandtotal"]
    refunded = sum(x["amount"]["amount"] for x in r["refunds"]) + amount
    r["refunds"].append({"amount": money(amount, grand["currency_code"]),
                         "created_timestamp": int(when), "reason": reason,
                         "note_from_issuer": None, "status": "Processed"})
    r["status"] = "fully refunded" if refunded >= grand["amount"] else "partially refunded"
    touch(r, when)


def delivered(r, now):
    """Whether the parcel counts as delivered (shipped DELIVERED_AFTER ago)."""
    if not r["shipments"]:
        return False
    return now - r["shipments"][0]["shipment_notification_timestamp"] >= DELIVERED_AFTER


def b64url_sha256(text):
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


# ---- answers ------------------------------------------------------------------------

class Answer:
    """An HTTP answer: status, headers [(name, value)] and a body (bytes)."""

    def __init__(self, status, body=b"", headers=(), content_type="application/json"):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.headers = list(headers)
        if self.body or content_type != "application/json":
            self.headers.append(("Content-Type", content_type))


def reply(status, obj, headers=()):
    return Answer(status, json.dumps(obj, ensure_ascii=False), headers)


def error(status, message, description=None):
    body = {"error": message}
    if description is not None:
        body["error_description"] = description
    return reply(status, body)


def redirect(location):
    return Answer(302, b"", [("Location", location)], content_type="text/plain")


def with_query(url, params):
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + joiner + urllib.parse.urlencode(params)


class BadRequest(Exception):
    """A parameter that getShopReceipts and friends refuse with 400."""


def flat_query(text):
    """A query string as {name: last value}."""
    return {k: v[-1] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}


def int_param(query, name, default=None, low=None, high=None):
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("Expected parameter '%s' to be an integer, got '%s'" % (name, raw))
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = "between %s and %s" % (low, high) if high is not None else "at least %s" % low
        raise BadRequest("Parameter '%s' must be %s, got %d" % (name, bounds, value))
    return value


def bool_param(query, name):
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise BadRequest("Expected parameter '%s' to be a boolean, got '%s'" % (name, raw))


def receipt_filter(query):
    """getShopReceipts' query as (predicate or None, sort key, descending, limit, offset)."""
    bounds = [(name, int_param(query, name, low=MIN_EPOCH)) for name in
              ("min_created", "max_created", "min_last_modified", "max_last_modified")]
    limit = int_param(query, "limit", 25, 1, 100)
    offset = int_param(query, "offset", 0, 0)
    sort_on = query.get("sort_on") or "created"
    sort_order = (query.get("sort_order") or "desc").lower()
    if sort_on not in SORT_KEYS:
        raise BadRequest("sort_on must be one of created, updated, receipt_id")
    if sort_order not in SORT_ORDERS:
        raise BadRequest("sort_order must be one of asc, ascending, desc, descending, up, down")
    flags = [(name, bool_param(query, name)) for name in
             ("was_paid", "was_shipped", "was_delivered", "was_canceled")]
    now = int(time.time())
    field = {"min_created": "create_timestamp", "max_created": "create_timestamp",
             "min_last_modified": "update_timestamp", "max_last_modified": "update_timestamp"}
    limits = [(field[n], n.startswith("min"), v) for n, v in bounds if v is not None]
    wanted = {n: v for n, v in flags if v is not None}
    if not limits and not wanted:
        return None, SORT_KEYS[sort_on], SORT_ORDERS[sort_order], limit, offset

    def keep(r):
        for key, is_min, value in limits:
            if (r[key] < value) if is_min else (r[key] > value):
                return False
        if "was_paid" in wanted and r["is_paid"] != wanted["was_paid"]:
            return False
        if "was_shipped" in wanted and r["is_shipped"] != wanted["was_shipped"]:
            return False
        if "was_canceled" in wanted and (r["status"] == "canceled") != wanted["was_canceled"]:
            return False
        if "was_delivered" in wanted and delivered(r, now) != wanted["was_delivered"]:
            return False
        return True
    return keep, SORT_KEYS[sort_on], SORT_ORDERS[sort_order], limit, offset


def break_types(obj):
    """A copy of a receipt whose fields have the wrong JSON types."""
    bad = dict(obj)
    bad["receipt_id"] = str(obj.get("receipt_id", "x"))
    bad["transactions"] = {"unexpected": "object"}
    bad["grandtotal"] = "12.34"
    bad["create_timestamp"] = None
    return bad


class Fault:
    def __init__(self, path, kind, count, opts):
        if str(kind) not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r (one of %s)" % (kind, ", ".join(FAULT_KINDS)))
        self.path, self.kind, self.count, self.opts = path, str(kind), int(count), opts
        try:
            self.regex = re.compile(path)
        except re.error:
            self.regex = None

    def matches(self, path):
        return self.path in path or bool(self.regex and self.regex.search(path))


class Token:
    def __init__(self, value, kind, scopes, expires):
        self.value, self.kind, self.scopes, self.expires = value, kind, frozenset(scopes), expires
        self.revoked = False
        self.used = False     # refresh tokens: exchanged once already


# ---- the fake ------------------------------------------------------------------------

class FakeEtsy:
    """The fake Etsy: its data, its tokens, its faults and (after start()) its server."""

    def __init__(self, receipts=250, seed=1, keystring="k", shared_secret="s", host="127.0.0.1",
                 port=0, now=None, limit_per_second=10, limit_per_day=10000, access_ttl=3600,
                 verbose=False):
        self.keystring, self.shared_secret = keystring, shared_secret
        self.host, self.port, self.verbose = host, port, verbose
        self.limit_per_second, self.limit_per_day = limit_per_second, limit_per_day
        self.access_ttl = access_ttl
        self.refresh_ttl = 90 * 86400
        self.code_ttl = CODE_TTL
        self.calls, self.shipments = [], []
        self.token_grants = {"authorization_code": 0, "refresh_token": 0, "refused": 0}
        self._lock = threading.RLock()
        self._receipts, self._json = {}, {}
        self._codes, self._tokens = {}, {}
        self._faults = []
        self._deny_next = False
        self._second, self._today = deque(), 0
        self._server = self._thread = None
        self._maker = ReceiptMaker(random.Random(seed))
        self._generate(receipts, int(now if now is not None else time.time()))

    # -- lifecycle

    def start(self):
        """Listens on host:port (port 0: a free one) in a background thread."""
        self._server = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, name="fake-etsy",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def api_key(self):
        """The x-api-key value this fake accepts."""
        return "%s:%s" % (self.keystring, self.shared_secret)

    # -- data

    def _generate(self, n, now):
        rng = self._maker.rng
        start = now - SPREAD_DAYS * 86400
        offsets = sorted(rng.randint(0, SPREAD_DAYS * 86400 - 3600) for _ in range(n))
        for offset in offsets:
            self._store(self._maker.make(start + offset, now - 60, self._maker.status()))

    def _store(self, r):
        self._receipts[r["receipt_id"]] = r
        self._json.pop(r["receipt_id"], None)

    def _get(self, receipt_id):
        r = self._receipts.get(int(receipt_id))
        if r is None:
            raise KeyError("no receipt %s" % receipt_id)
        return r

    def _serialised(self, r):
        text = self._json.get(r["receipt_id"])
        if text is None:
            text = self._json[r["receipt_id"]] = json.dumps(r, ensure_ascii=False)
        return text

    def receipt(self, receipt_id):
        """A copy of the receipt as it stands."""
        with self._lock:
            return copy.deepcopy(self._get(receipt_id))

    def receipt_ids(self):
        with self._lock:
            return sorted(self._receipts)

    def listing(self, listing_id):
        return copy.deepcopy(LISTINGS[int(listing_id)])

    def add_receipts(self, n=1, status="paid"):
        """n new receipts created now; their ids."""
        now = int(time.time())
        with self._lock:
            made = [self._maker.make(now, now, status) for _ in range(int(n))]
            for r in made:
                self._store(r)
            return [r["receipt_id"] for r in made]

    def _change(self, receipt_id, how):
        with self._lock:
            r = self._get(receipt_id)
            how(r, int(time.time()))
            self._json.pop(r["receipt_id"], None)
            return copy.deepcopy(r)

    def update_receipt(self, receipt_id, **changes):
        """Sets top-level fields (the timestamp pairs move to now)."""
        def apply(r, now):
            r.update(changes)
            touch(r, now)
        return self._change(receipt_id, apply)

    def ship(self, receipt_id, carrier="dhl", tracking=None):
        """Marks the receipt shipped as if the seller did it on Etsy (not in `shipments`)."""
        return self._change(receipt_id, lambda r, now: add_shipment(
            r, self._maker.shipping_id(), now, carrier, tracking))

    def cancel(self, receipt_id):
        def apply(r, now):
            r["status"] = "canceled"
            touch(r, now)
        return self._change(receipt_id, apply)

    def refund(self, receipt_id, cents, reason="Refunded by the seller"):
        """A refund of `cents` minor units; the status becomes partially/fully refunded."""
        return self._change(receipt_id, lambda r, now: add_refund(r, int(cents), reason, now))

    def set_address(self, receipt_id, **fields):
        allowed = {"name", "first_line", "second_line", "city", "state", "zip", "country_iso"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError("not address fields: %s" % ", ".join(sorted(unknown)))

        def apply(r, now):
            r.update(fields)
            r["formatted_address"] = format_address(r)
            touch(r, now)
        return self._change(receipt_id, apply)

    # -- faults, tokens, limits

    def fault(self, path, kind, count=1, **opts):
        """Queues `count` faults of `kind` for requests whose path matches `path`."""
        with self._lock:
            self._faults.append(Fault(path, kind, count, opts))

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path):
        with self._lock:
            for f in self._faults:
                if f.matches(path):
                    f.count -= 1
                    if f.count <= 0:
                        self._faults.remove(f)
                    return f
        return None

    def revoke_tokens(self):
        with self._lock:
            for t in self._tokens.values():
                t.revoked = True

    def expire_access_tokens(self):
        with self._lock:
            for t in self._tokens.values():
                if t.kind == "access":
                    t.expires = time.time() - 1

    def deny_next_authorization(self):
        with self._lock:
            self._deny_next = True

    def issue_tokens(self, scopes=None):
        """A token answer (as the token endpoint gives) without the authorization dance."""
        with self._lock:
            return self._grant(scopes or DEFAULT_SCOPES)

    def set_limits(self, per_second=None, per_day=None):
        with self._lock:
            if per_second is not None:
                self.limit_per_second = int(per_second)
            if per_day is not None:
                self.limit_per_day = int(per_day)

    def reset_daily_count(self):
        with self._lock:
            self._today = 0
            self._second.clear()

    def state(self):
        """Counts, for /_fake/state."""
        with self._lock:
            statuses = {}
            for r in self._receipts.values():
                statuses[r["status"]] = statuses.get(r["status"], 0) + 1
            return {"shop_id": SHOP_ID, "user_id": USER_ID, "receipts": len(self._receipts),
                    "by_status": statuses, "calls": len(self.calls),
                    "shipments": len(self.shipments), "token_grants": dict(self.token_grants),
                    "faults_pending": sum(f.count for f in self._faults),
                    "requests_today": self._today, "limit_per_second": self.limit_per_second,
                    "limit_per_day": self.limit_per_day, "access_ttl": self.access_ttl,
                    "listing_ids": sorted(LISTINGS)}

    def _grant(self, scopes):
        now = time.time()
        access = Token("%d.%s" % (USER_ID, secrets.token_urlsafe(32)), "access", scopes,
                       now + self.access_ttl)
        refresh = Token("%d.%s" % (USER_ID, secrets.token_urlsafe(32)), "refresh", scopes,
                        now + self.refresh_ttl)
        self._tokens[access.value] = access
        self._tokens[refresh.value] = refresh
        return {"access_token": access.value, "token_type": "Bearer",
                "expires_in": int(self.access_ttl), "refresh_token": refresh.value}

    # -- requests

    def handle(self, method, target, headers, body):
        """One request -> Answer. headers: a case-insensitive mapping."""
        parts = urllib.parse.urlsplit(target)
        path, query = parts.path, flat_query(parts.query)
        if path.startswith("/_fake/"):
            return self._control(method, path, body)
        with self._lock:
            self.calls.append((method, path, dict(query)))
        fault = self._take_fault(path)
        if fault and fault.kind == "slow":
            time.sleep(float(fault.opts.get("delay", 2.0)))
        elif fault and fault.kind != "truncated":
            return self._fault_answer(fault, path)
        answer = self._route(method, path, query, headers, body)
        if fault and fault.kind == "truncated" and answer.status == 200:
            answer.body = self._truncate(answer.body)
        return answer

    def _fault_answer(self, fault, path):
        kind = fault.kind
        if kind == "429":
            after = fault.opts.get("retry_after")
            headers = [("Retry-After", str(after))] if after is not None else []
            return reply(429, {"error": "You have exceeded your quota"}, headers)
        if kind == "500":
            return reply(500, {"error": "Internal server error"})
        if kind == "503":
            return Answer(503, b"<html><body>503 Service Unavailable</body></html>",
                          content_type="text/html")
        if kind == "malformed":
            return Answer(200, b'{"count": 3, "results": [{"receipt_id": 31000')
        if path.startswith("/v3/application/"):     # "revoked" on an API call
            return error(401, "invalid_token", "access token is revoked")
        return error(400, "invalid_grant", "refresh_token is revoked")

    def _truncate(self, body):
        obj = json.loads(body)
        if isinstance(obj, dict) and isinstance(obj.get("results"), list) and obj["results"]:
            middle = len(obj["results"]) // 2
            obj["results"][middle] = break_types(obj["results"][middle])
        elif isinstance(obj, dict):
            obj = break_types(obj)
        return json.dumps(obj, ensure_ascii=False).encode("utf-8")

    def _route(self, method, path, query, headers, body):
        if path == "/oauth/connect" and method == "GET":
            return self._connect(query)
        if path == "/v3/public/oauth/token":
            if method != "POST":
                return error(405, "Method not allowed")
            return self._token(headers, body)
        if path.startswith("/v3/application/"):
            return self._application(method, path, query, headers, body)
        return error(404, "Not found")

    def _application(self, method, path, query, headers, body):
        if headers.get("x-api-key") != self.api_key:
            return error(403, "Invalid API key: expected x-api-key to be keystring:shared_secret")
        limited = self._count_request()
        if isinstance(limited, Answer):
            return limited
        answer = self._dispatch(method, path, query, headers, body)
        answer.headers.extend(limited)
        return answer

    def _count_request(self):
        """Rate-limit headers for this request, or a 429 Answer."""
        with self._lock:
            now = time.monotonic()
            while self._second and now - self._second[0] >= 1.0:
                self._second.popleft()
            if len(self._second) >= self.limit_per_second:
                return reply(429, {"error": "You have exceeded your per-second rate limit"})
            if self._today >= self.limit_per_day:
                return reply(429, {"error": "You have exceeded your daily rate limit"})
            self._second.append(now)
            self._today += 1
            return [("x-limit-per-second", str(self.limit_per_second)),
                    ("x-remaining-this-second", str(self.limit_per_second - len(self._second))),
                    ("x-limit-per-day", str(self.limit_per_day)),
                    ("x-remaining-today", str(self.limit_per_day - self._today))]

    def _dispatch(self, method, path, query, headers, body):
        wrong_method = False
        for verb, pattern, name, scope in ROUTES:
            m = pattern.fullmatch(path)
            if not m:
                continue
            if verb != method:
                wrong_method = True
                continue
            if scope:
                refused = self._check_bearer(headers.get("authorization"), scope)
                if refused:
                    return refused
            try:
                args = [int(a) for a in m.groups()]
            except ValueError:
                return error(400, "Expected a positive integer id in %s" % path)
            try:
                return getattr(self, name)(query, body, *args)
            except BadRequest as e:
                return error(400, str(e))
        if wrong_method:
            return error(405, "Method not allowed")
        return error(404, "Not found")

    def _check_bearer(self, value, scope):
        if not value or not value.startswith("Bearer "):
            return error(401, "invalid_token",
                         "Authorization header with a Bearer token is required")
        with self._lock:
            token = self._tokens.get(value[len("Bearer "):].strip())
            if token is None or token.kind != "access":
                return error(401, "invalid_token", "access token is invalid")
            if token.revoked:
                return error(401, "invalid_token", "access token is revoked")
            if token.expires <= time.time():
                return error(401, "invalid_token", "access token is expired")
            if scope not in token.scopes:
                return error(403, "insufficient_scope", "this request needs the scope %s" % scope)
        return None

    # -- OAuth

    def _connect(self, q):
        redirect_uri = q.get("redirect_uri")
        if not redirect_uri:
            return error(400, "invalid_request", "redirect_uri is required")
        state = q.get("state", "")

        def refuse(code, why):
            return redirect(with_query(redirect_uri, {"error": code, "error_description": why,
                                                      "state": state}))
        problem = self._connect_problem(q)
        if problem:
            return refuse("invalid_request", problem)
        with self._lock:
            if self._deny_next:
                self._deny_next = False
                return refuse("access_denied", "The user denied the request")
            code = secrets.token_urlsafe(32)
            self._codes[code] = {"challenge": q["code_challenge"], "client_id": q["client_id"],
                                 "redirect_uri": redirect_uri, "scopes": q["scope"].split(),
                                 "expires": time.time() + self.code_ttl}
        return redirect(with_query(redirect_uri, {"code": code, "state": state}))

    def _connect_problem(self, q):
        if q.get("response_type") != "code":
            return "response_type must be code"
        if q.get("client_id") != self.keystring:
            return "client_id is not a known application"
        if not q.get("state"):
            return "state is required"
        if q.get("code_challenge_method") != "S256":
            return "code_challenge_method must be S256"
        if not CHALLENGE.match(q.get("code_challenge", "")):
            return "code_challenge must be 43 characters of base64url"
        scopes = (q.get("scope") or "").split()
        if not scopes:
            return "scope is required"
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            return "unknown scope: %s" % " ".join(unknown)
        return None

    def _token(self, headers, body):
        ctype = (headers.get("content-type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return self._refuse_grant("invalid_request",
                                      "Content-Type must be application/x-www-form-urlencoded")
        form = flat_query(body.decode("utf-8", "replace"))
        grant = form.get("grant_type")
        if form.get("client_id") != self.keystring:
            return self._refuse_grant("invalid_client", "client_id is not a known application",
                                      status=401 if form.get("client_id") else 400)
        with self._lock:
            if grant == "authorization_code":
                return self._code_grant(form)
            if grant == "refresh_token":
                return self._refresh_grant(form)
        return self._refuse_grant("unsupported_grant_type",
                                  "grant_type must be authorization_code or refresh_token")

    def _refuse_grant(self, code, why, status=400):
        with self._lock:
            self.token_grants["refused"] += 1
        return error(status, code, why)

    def _code_grant(self, form):
        code = self._codes.get(form.get("code") or "")
        if code is None or code["expires"] <= time.time():
            self._codes.pop(form.get("code") or "", None)
            return self._refuse_grant("invalid_grant", "code is invalid, expired or already used")
        verifier = form.get("code_verifier") or ""
        if not VERIFIER.match(verifier):
            return self._refuse_grant("invalid_request",
                                      "code_verifier must be 43-128 characters of [A-Za-z0-9-._~]")
        if b64url_sha256(verifier) != code["challenge"]:
            return self._refuse_grant("invalid_grant",
                                      "code_verifier does not match the code_challenge")
        if form.get("redirect_uri") != code["redirect_uri"]:
            return self._refuse_grant("invalid_grant",
                                      "redirect_uri does not match the authorization request")
        del self._codes[form["code"]]
        self.token_grants["authorization_code"] += 1
        return reply(200, self._grant(code["scopes"]))

    def _refresh_grant(self, form):
        token = self._tokens.get(form.get("refresh_token") or "")
        if token is None or token.kind != "refresh":
            return self._refuse_grant("invalid_grant", "refresh_token is invalid")
        if token.revoked:
            return self._refuse_grant("invalid_grant", "refresh_token is revoked")
        if token.used:
            return self._refuse_grant("invalid_grant", "refresh_token has already been used")
        if token.expires <= time.time():
            return self._refuse_grant("invalid_grant", "refresh_token is expired")
        token.used = True
        self.token_grants["refresh_token"] += 1
        return reply(200, self._grant(token.scopes))

    # -- API endpoints (name, from ROUTES)

    def _ping(self, query, body):
        return reply(200, {"application_id": APPLICATION_ID})

    def _me(self, query, body):
        return reply(200, {"user_id": USER_ID, "shop_id": SHOP_ID})

    def _shop(self, shop_id):
        if shop_id != SHOP_ID:
            return error(404, "Could not find a Shop with shop_id = %d" % shop_id)
        return None

    def _receipt_list(self, query, body, shop_id):
        keep, key, descending, limit, offset = receipt_filter(query)
        missing = self._shop(shop_id)
        if missing:
            return missing
        with self._lock:
            rows = list(self._receipts.values())
            if keep:
                rows = [r for r in rows if keep(r)]
            rows.sort(key=lambda r: (r[key], r["receipt_id"]), reverse=descending)
            page = [self._serialised(r) for r in rows[offset:offset + limit]]
            count = len(rows)
        return Answer(200, '{"count": %d, "results": [%s]}' % (count, ", ".join(page)))

    def _with_receipt(self, shop_id, receipt_id, answer):
        """answer(receipt) under the lock, or the 404 of a wrong shop or receipt."""
        missing = self._shop(shop_id)
        if missing:
            return missing
        with self._lock:
            r = self._receipts.get(receipt_id)
            if r is None:
                return error(404, "Could not find a Receipt with receipt_id = %d" % receipt_id)
            return answer(r)

    def _receipt_one(self, query, body, shop_id, receipt_id):
        return self._with_receipt(shop_id, receipt_id,
                                  lambda r: Answer(200, self._serialised(r)))

    def _receipt_transactions(self, query, body, shop_id, receipt_id):
        return self._with_receipt(shop_id, receipt_id, lambda r: reply(
            200, {"count": len(r["transactions"]), "results": r["transactions"]}))

    def _tracking(self, query, body, shop_id, receipt_id):
        missing = self._shop(shop_id)
        if missing:
            return missing
        form = flat_query(body.decode("utf-8", "replace"))
        carrier, tracking = form.get("carrier_name") or "", form.get("tracking_code") or ""
        if bool(carrier) != bool(tracking):
            return error(400, "tracking_code and carrier_name must be given together")
        send_bcc = bool_param(form, "send_bcc") or False
        with self._lock:
            r = self._receipts.get(receipt_id)
            if r is None:
                return error(404, "Could not find a Receipt with receipt_id = %d" % receipt_id)
            if r["status"] == "canceled":
                return error(409, "Receipt %d is canceled and cannot be shipped" % receipt_id)
            now = int(time.time())
            shipping_id = self._maker.shipping_id()
            add_shipment(r, shipping_id, now, carrier, tracking)
            self._json.pop(receipt_id, None)
            self.shipments.append({"receipt_id": receipt_id, "carrier_name": carrier,
                                   "tracking_code": tracking, "send_bcc": send_bcc,
                                   "note_to_buyer": form.get("note_to_buyer"),
                                   "receipt_shipping_id": shipping_id if tracking else None,
                                   "timestamp": now})
            return Answer(200, self._serialised(r))

    def _listing_one(self, query, body, listing_id):
        if listing_id not in LISTINGS:
            return error(404, "Could not find a Listing with listing_id = %d" % listing_id)
        return reply(200, LISTINGS[listing_id])

    def _listing_batch(self, query, body):
        try:
            ids = [int(x) for x in (query.get("listing_ids") or "").split(",") if x.strip()]
        except ValueError:
            raise BadRequest("listing_ids must be a comma-separated list of integers")
        if not ids or len(ids) > 100:
            raise BadRequest("listing_ids must hold 1 to 100 ids")
        found = [LISTINGS[i] for i in ids if i in LISTINGS]
        return reply(200, {"count": len(found), "results": found})

    # -- /_fake/ control

    def _control(self, method, path, body):
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError:
            return reply(400, {"error": "control bodies are JSON objects"})
        if not isinstance(data, dict):
            return reply(400, {"error": "control bodies are JSON objects"})
        parts = path[len("/_fake/"):].strip("/").split("/")
        try:
            result = self._control_action(method, parts, data)
        except KeyError as e:
            return reply(404, {"error": str(e).strip("'\"")})
        except (TypeError, ValueError) as e:
            return reply(400, {"error": str(e)})
        if result is None:
            return reply(404, {"error": "no control endpoint %s %s" % (method, path)})
        return reply(200, result)

    def _control_action(self, method, parts, data):
        head, rest = parts[0], parts[1:]
        if method == "GET":
            if head == "state" and not rest:
                return self.state()
            if head == "calls" and not rest:
                with self._lock:
                    return {"calls": [list(c) for c in self.calls]}
            if head == "shipments" and not rest:
                with self._lock:
                    return {"shipments": list(self.shipments)}
            if head == "receipts" and len(rest) == 1:
                return self.receipt(rest[0])
            return None
        if method != "POST":
            return None
        if head == "receipts":
            return self._control_receipt(rest, data)
        if head == "fault" and not rest:
            opts = {k: v for k, v in data.items() if k not in ("path", "kind", "count")}
            self.fault(data["path"], data["kind"], data.get("count", 1), **opts)
            return {"ok": True}
        simple = {"revoke": self.revoke_tokens, "expire": self.expire_access_tokens,
                  "deny": self.deny_next_authorization, "faults/clear": self.clear_faults,
                  "reset-day": self.reset_daily_count}
        action = simple.get("/".join(parts))
        if action:
            action()
            return {"ok": True}
        if head == "tokens" and not rest:
            return self.issue_tokens(data.get("scopes"))
        if head == "limits" and not rest:
            self.set_limits(data.get("per_second"), data.get("per_day"))
            if "access_ttl" in data:
                self.access_ttl = int(data["access_ttl"])
            if data.get("reset_day"):
                self.reset_daily_count()
            return self.state()
        return None

    def _control_receipt(self, rest, data):
        if not rest:
            ids = self.add_receipts(int(data.get("n", 1)), data.get("status", "paid"))
            return {"receipt_ids": ids}
        receipt_id = int(rest[0])
        if len(rest) == 1:
            return self.update_receipt(receipt_id, **data)
        action = rest[1] if len(rest) == 2 else None
        if action == "ship":
            return self.ship(receipt_id, data.get("carrier_name", "dhl"), data.get("tracking_code"))
        if action == "cancel":
            return self.cancel(receipt_id)
        if action == "refund":
            return self.refund(receipt_id, int(data["amount"]),
                               data.get("reason", "Refunded by the seller"))
        if action == "address":
            return self.set_address(receipt_id, **data)
        return None


ROUTES = [(verb, re.compile(pattern), name, scope) for verb, pattern, name, scope in (
    ("GET", r"/v3/application/openapi-ping", "_ping", None),
    ("GET", r"/v3/application/users/me", "_me", "shops_r"),
    ("GET", r"/v3/application/shops/([^/]+)/receipts", "_receipt_list", "transactions_r"),
    ("GET", r"/v3/application/shops/([^/]+)/receipts/([^/]+)", "_receipt_one", "transactions_r"),
    ("GET", r"/v3/application/shops/([^/]+)/receipts/([^/]+)/transactions", "_receipt_transactions",
     "transactions_r"),
    ("POST", r"/v3/application/shops/([^/]+)/receipts/([^/]+)/tracking", "_tracking",
     "transactions_w"),
    ("GET", r"/v3/application/listings/batch", "_listing_batch", None),
    ("GET", r"/v3/application/listings/([^/]+)", "_listing_one", None),
)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeEtsy/1.0"

    def _serve(self):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            answer = fake.handle(self.command, self.path, self.headers, body)
        except Exception as e:      # a bug in the fake: say so instead of hanging up
            answer = reply(500, {"error": "fake etsy failed: %r" % e})
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            sys.stderr.write("fake-etsy: %s\n" % (fmt % args))


# ---- standalone --------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(
        description="A fake Etsy Open API v3 for the demo and by-hand tests.")
    p.add_argument("--listen", default="127.0.0.1:8765", help="host:port (default %(default)s)")
    p.add_argument("--receipts", type=int, default=40)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keystring", default="demo-key")
    p.add_argument("--shared-secret", default="demo-secret")
    p.add_argument("--new-every", type=float, default=0, metavar="SECONDS",
                   help="add a new paid receipt every SECONDS (0: never)")
    p.add_argument("--limit-per-second", type=int, default=10)
    p.add_argument("--limit-per-day", type=int, default=10000)
    p.add_argument("--access-ttl", type=int, default=3600)
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = p.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    fake = FakeEtsy(receipts=args.receipts, seed=args.seed, keystring=args.keystring,
                    shared_secret=args.shared_secret, host=host or "127.0.0.1", port=int(port),
                    limit_per_second=args.limit_per_second, limit_per_day=args.limit_per_day,
                    access_ttl=args.access_ttl, verbose=args.verbose)
    fake.start()
    print("fake etsy on %s (shop %d, user %d, %d receipts)"
          % (fake.url, SHOP_ID, USER_ID, args.receipts), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(args.new_every or 3600):
            if args.new_every:
                ids = fake.add_receipts(1)
                print("new receipt %d" % ids[0], flush=True)
    except KeyboardInterrupt:
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
