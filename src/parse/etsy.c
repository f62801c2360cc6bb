/*
 * etsy.c -- Etsy Open API v3 answers to structs (see etsy.h; protocol
 * facts: shared docs/protocols.md section 6).
 *
 * Every reader below takes a struct etsy_rd: the arena, the error record
 * and where in the document it is ("transactions[2]."), so a message
 * names the field it is about.  Readers return 0 or ERR_INVALID and set
 * nothing they were not asked for.  The jansson document is dropped
 * before a public function returns; what it held is copied to the arena.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "parse/etsy.h"
#include "parse/printers.h"

#define ETSY_WHERE_MAX	96

struct etsy_rd {
	struct arena	*a;
	struct err	*e;
	char		 where[ETSY_WHERE_MAX];
	int		 truncated;
};

/* How a string is taken: identifiers whole, text cut at its limit. */
enum etsy_kind {
	ETSY_ID,	/* longer than the limit or with controls: refused */
	ETSY_LINE,	/* cut; control characters become spaces */
	ETSY_LINES	/* cut; newlines and tabs kept, CR dropped */
};

static const char *const etsy_statuses[] = {
	[ETSY_PAID] = "paid",
	[ETSY_COMPLETED] = "completed",
	[ETSY_OPEN] = "open",
	[ETSY_PAYMENT_PROCESSING] = "payment processing",
	[ETSY_CANCELED] = "canceled",
	[ETSY_FULLY_REFUNDED] = "fully refunded",
	[ETSY_PARTIALLY_REFUNDED] = "partially refunded"
};
#define ETSY_NSTATUSES	(sizeof(etsy_statuses) / sizeof(etsy_statuses[0]))

/* Larger header values are not believed. */
#define ETSY_RATE_MAX	1000000000L

static const int64_t etsy_pow10s[] = { 1, 10, 100, 1000, 10000, 100000,
    1000000, 10000000, 100000000 };

static int	etsy_fail(struct etsy_rd *, const char *key, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	etsy_enter(struct etsy_rd *, char *saved, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Sets ERR_INVALID: "<where><key> <message>"; key "" names where itself. */
static int
etsy_fail(struct etsy_rd *rd, const char *key, const char *fmt, ...)
{
	char	msg[160];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = (int)strlen(rd->where);
	if (key[0] == '\0' && n > 0 && rd->where[n - 1] == '.')
		n--;
	return err_set(rd->e, ERR_INVALID, "%.*s%s %s", n, rd->where, key,
	    msg);
}

/* Appends a step to the path (saved[ETSY_WHERE_MAX] restores it). */
static void
etsy_enter(struct etsy_rd *rd, char *saved, const char *fmt, ...)
{
	va_list	ap;
	size_t	n;

	memcpy(saved, rd->where, sizeof(rd->where));
	n = strlen(rd->where);
	va_start(ap, fmt);
	vsnprintf(rd->where + n, sizeof(rd->where) - n, fmt, ap);
	va_end(ap);
}

static void
etsy_leave(struct etsy_rd *rd, const char *saved)
{
	memcpy(rd->where, saved, sizeof(rd->where));
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when invalid. */
static size_t
etsy_utf8(const unsigned char *s, size_t n)
{
	size_t		len, i;
	unsigned char	lo, hi;

	lo = 0x80;
	hi = 0xbf;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* beyond U+10FFFF */
	} else
		return 0;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * Copies src[0..n) into dst[size] as text: cut on a character boundary,
 * control characters to spaces (lines: newline and tab kept, CR
 * dropped), a byte that is not UTF-8 to '?'.  Returns 1 when it cut.
 */
static int
etsy_clean(char *dst, size_t size, const char *src, size_t n, int lines)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i, o, k;

	o = 0;
	for (i = 0; i < n; i += k) {
		if ((k = etsy_utf8(s + i, n - i)) == 0) {
			k = 1;
			if (o + 1 >= size)
				break;
			dst[o++] = '?';
			continue;
		}
		if (o + k >= size)
			break;
		if (k > 1) {
			memcpy(dst + o, s + i, k);
			o += k;
		} else if (s[i] >= 0x20 && s[i] != 0x7f)
			dst[o++] = (char)s[i];
		else if (lines && (s[i] == '\n' || s[i] == '\t'))
			dst[o++] = (char)s[i];
		else if (!lines || s[i] != '\r')
			dst[o++] = ' ';
	}
	dst[o] = '\0';
	return i < n;
}

/* Reads nothing; 1 when key of o is absent or null. */
static int
etsy_absent(const json_t *o, const char *key, json_t **out)
{
	json_t	*j;

	j = json_object_get(o, key);
	*out = j;
	return j == NULL || json_is_null(j);
}

/* A whole number in [lo, hi] at key; absent or null: 0 unless required. */
static int
etsy_int(struct etsy_rd *rd, const json_t *o, const char *key, int64_t lo,
    int64_t hi, int required, int64_t *v)
{
	json_t		*j;
	json_int_t	 n;

	*v = 0;
	if (etsy_absent(o, key, &j))
		return required ? etsy_fail(rd, key, "is missing") : 0;
	if (!json_is_integer(j))
		return etsy_fail(rd, key, "is not a whole number");
	n = json_integer_value(j);
	if (n < lo || n > hi)
		return etsy_fail(rd, key, "is out of range (%lld)",
		    (long long)n);
	*v = n;
	return 0;
}

/* An epoch time at key, else at alt (the duplicate name); 0 if neither. */
static int
etsy_time(struct etsy_rd *rd, const json_t *o, const char *key,
    const char *alt, int64_t *v)
{
	json_t	*j;

	if (alt != NULL && etsy_absent(o, key, &j))
		key = alt;
	return etsy_int(rd, o, key, 0, ETSY_TIME_MAX, 0, v);
}

static int
etsy_bool(struct etsy_rd *rd, const json_t *o, const char *key, int *v)
{
	json_t	*j;

	*v = 0;
	if (etsy_absent(o, key, &j))
		return 0;
	if (!json_is_boolean(j))
		return etsy_fail(rd, key, "is not true or false");
	*v = json_is_true(j);
	return 0;
}

/* The string j (named key) as the kind says, in the arena. */
static int
etsy_strval(struct etsy_rd *rd, const json_t *j, const char *key,
    size_t max, enum etsy_kind kind, const char **out)
{
	const char	*s;
	char		*d;
	size_t		 n, i;

	*out = "";
	if (!json_is_string(j))
		return etsy_fail(rd, key, "is not a string");
	s = json_string_value(j);
	n = json_string_length(j);
	if (kind == ETSY_ID) {
		if (n > max)
			return etsy_fail(rd, key, "is longer than %zu bytes",
			    max);
		for (i = 0; i < n; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return etsy_fail(rd, key, "holds a control "
				    "character");
		*out = arena_strndup(rd->a, s, n);
		return 0;
	}
	d = arena_alloc(rd->a, (n < max ? n : max) + 1);
	if (etsy_clean(d, (n < max ? n : max) + 1, s, n, kind == ETSY_LINES))
		rd->truncated = 1;
	*out = d;
	return 0;
}

/* The string at key as the kind says, in the arena; absent or null: "". */
static int
etsy_str(struct etsy_rd *rd, const json_t *o, const char *key, size_t max,
    enum etsy_kind kind, const char **out)
{
	json_t	*j;

	*out = "";
	if (etsy_absent(o, key, &j))
		return 0;
	return etsy_strval(rd, j, key, max, kind, out);
}

/* The array at key with at most max entries (absent or null: none). */
static int
etsy_array(struct etsy_rd *rd, const json_t *o, const char *key,
    size_t max, json_t **out, size_t *n)
{
	json_t	*j;

	*out = NULL;
	*n = 0;
	if (etsy_absent(o, key, &j))
		return 0;
	if (!json_is_array(j))
		return etsy_fail(rd, key, "is not an array");
	if (json_array_size(j) > max)
		return etsy_fail(rd, key, "has %zu entries, more than %zu",
		    json_array_size(j), max);
	*out = j;
	*n = json_array_size(j);
	return 0;
}

/* The number of decimals of a divisor 1..10^4, or -1. */
static int
etsy_digits(int64_t divisor)
{
	int	d;

	for (d = 0; d <= ETSY_MINOR_DIGITS_MAX; d++)
		if (etsy_pow10s[d] == divisor)
			return d;
	return -1;
}

static void
etsy_money_zero(struct etsy_money *m)
{
	m->amount = 0;
	m->divisor = 1;
	m->currency[0] = '\0';
}

/* A Money object at key; absent or null: zero, unless required. */
static int
etsy_money(struct etsy_rd *rd, const json_t *o, const char *key,
    int required, struct etsy_money *m)
{
	json_t		*j, *c;
	const char	*s;
	char		 saved[ETSY_WHERE_MAX];
	int64_t		 amount, divisor;
	int		 rc;

	etsy_money_zero(m);
	if (etsy_absent(o, key, &j))
		return required ? etsy_fail(rd, key, "is missing") : 0;
	if (!json_is_object(j))
		return etsy_fail(rd, key, "is not a Money object");
	etsy_enter(rd, saved, "%s.", key);
	rc = 0;
	if (etsy_int(rd, j, "amount", -ETSY_MONEY_MAX, ETSY_MONEY_MAX, 1,
	    &amount) != 0 || etsy_int(rd, j, "divisor", 1, ETSY_DIVISOR_MAX,
	    1, &divisor) != 0)
		rc = ERR_INVALID;
	else if (etsy_digits(divisor) < 0)
		rc = etsy_fail(rd, "divisor", "%lld is not a power of ten "
		    "from 1 to %d", (long long)divisor, ETSY_DIVISOR_MAX);
	else if (!etsy_absent(j, "currency_code", &c)) {
		s = json_string_value(c);
		if (s == NULL || json_string_length(c) != 3 ||
		    s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' ||
		    s[2] < 'A' || s[2] > 'Z')
			rc = etsy_fail(rd, "currency_code", "is not three "
			    "capital letters");
		else
			memcpy(m->currency, s, 4);
	}
	etsy_leave(rd, saved);
	if (rc != 0)
		return rc;
	m->amount = amount;
	m->divisor = (int32_t)divisor;
	return 0;
}

int
etsy_money_minor(const struct etsy_money *m, int minor_digits, int64_t *out)
{
	int64_t	q;
	int	d;

	if (minor_digits < 0 || minor_digits > ETSY_MINOR_DIGITS_MAX ||
	    (d = etsy_digits(m->divisor)) < 0 ||
	    m->amount > ETSY_MONEY_MAX || m->amount < -ETSY_MONEY_MAX)
		return -1;
	if (minor_digits >= d) {
		*out = m->amount * etsy_pow10s[minor_digits - d];
		return 0;
	}
	q = etsy_pow10s[d - minor_digits];
	if (m->amount % q != 0)
		return -1;
	*out = m->amount / q;
	return 0;
}

const char *
etsy_status_name(enum etsy_status s)
{
	if ((size_t)s >= ETSY_NSTATUSES)
		return NULL;
	return etsy_statuses[s];
}

/* Adds one refund to the total, on the larger of the two divisors. */
static int
etsy_refund_add(struct etsy_rd *rd, struct etsy_money *t,
    const struct etsy_money *m)
{
	if (m->currency[0] != '\0') {
		if (t->currency[0] == '\0')
			memcpy(t->currency, m->currency, sizeof(t->currency));
		else if (strcmp(t->currency, m->currency) != 0)
			return etsy_fail(rd, "amount", "is in %s, the receipt "
			    "in %s", m->currency, t->currency);
	}
	if (m->divisor > t->divisor) {
		t->amount *= m->divisor / t->divisor;
		t->divisor = m->divisor;
	}
	t->amount += m->amount * (t->divisor / m->divisor);
	if (t->amount > ETSY_MONEY_MAX || t->amount < -ETSY_MONEY_MAX)
		return etsy_fail(rd, "amount", "makes the refunds add up "
		    "beyond %lld", ETSY_MONEY_MAX);
	return 0;
}

static int
etsy_refunds(struct etsy_rd *rd, const json_t *o, struct etsy_receipt *r)
{
	struct etsy_money	 m;
	json_t			*arr, *item;
	char			 saved[ETSY_WHERE_MAX];
	size_t			 i, n;
	int			 rc;

	r->refunds.amount = 0;
	r->refunds.divisor = r->grandtotal.divisor;
	memcpy(r->refunds.currency, r->grandtotal.currency,
	    sizeof(r->refunds.currency));
	if (etsy_array(rd, o, "refunds", ETSY_REFUNDS_MAX, &arr, &n) != 0)
		return ERR_INVALID;
	for (i = 0; i < n; i++) {
		item = json_array_get(arr, i);
		etsy_enter(rd, saved, "refunds[%zu].", i);
		if (!json_is_object(item))
			rc = etsy_fail(rd, "", "is not an object");
		else if ((rc = etsy_money(rd, item, "amount", 1, &m)) == 0)
			rc = etsy_refund_add(rd, &r->refunds, &m);
		etsy_leave(rd, saved);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* "Personalization", "personalisation (optional)", ... */
static int
etsy_is_personalisation(const char *name)
{
	while (*name == ' ' || *name == '\t')
		name++;
	return strncasecmp(name, "personalization", 15) == 0 ||
	    strncasecmp(name, "personalisation", 15) == 0;
}

/* Appends a personalisation value, a newline between two. */
static void
etsy_personalisation(struct etsy_rd *rd, struct etsy_transaction *t,
    const char *v)
{
	char	*d;
	size_t	 n;

	if (v[0] == '\0')
		return;
	if (t->personalisation[0] == '\0') {
		t->personalisation = v;
		return;
	}
	d = arena_printf(rd->a, "%s\n%s", t->personalisation, v);
	if ((n = strlen(d)) > ETSY_TEXT_MAX) {
		/* Both parts are clean text: cut on a character start. */
		for (n = ETSY_TEXT_MAX; n > 0 &&
		    ((unsigned char)d[n] & 0xc0) == 0x80; n--)
			;
		d[n] = '\0';
		rd->truncated = 1;
	}
	t->personalisation = d;
}

static int
etsy_variations(struct etsy_rd *rd, const json_t *o,
    struct etsy_transaction *t)
{
	struct etsy_variation	*v;
	json_t			*arr, *item;
	char			 saved[ETSY_WHERE_MAX];
	size_t			 i, n;
	int			 rc;

	if (etsy_array(rd, o, "variations", ETSY_VARIATIONS_MAX, &arr, &n) !=
	    0)
		return ERR_INVALID;
	t->variations = arena_calloc(rd->a, n > 0 ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		item = json_array_get(arr, i);
		v = &t->variations[t->nvariations];
		etsy_enter(rd, saved, "variations[%zu].", i);
		rc = 0;
		if (!json_is_object(item))
			rc = etsy_fail(rd, "", "is not an object");
		else if (etsy_int(rd, item, "property_id", 0, INT64_MAX, 0,
		    &v->property_id) != 0 ||
		    etsy_int(rd, item, "value_id", 0, INT64_MAX, 0,
		    &v->value_id) != 0 ||
		    etsy_str(rd, item, "formatted_name", ETSY_NAME_MAX,
		    ETSY_LINE, &v->name) != 0 ||
		    etsy_str(rd, item, "formatted_value", ETSY_TEXT_MAX,
		    ETSY_LINES, &v->value) != 0)
			rc = ERR_INVALID;
		etsy_leave(rd, saved);
		if (rc != 0)
			return rc;
		if (etsy_is_personalisation(v->name))
			etsy_personalisation(rd, t, v->value);
		else
			t->nvariations++;
	}
	return 0;
}

static int
etsy_transaction(struct etsy_rd *rd, const json_t *o, void *p)
{
	struct etsy_transaction	*t = p;
	int64_t			 quantity;

	t->personalisation = "";
	if (etsy_int(rd, o, "transaction_id", 1, INT64_MAX, 1,
	    &t->transaction_id) != 0 ||
	    etsy_int(rd, o, "listing_id", 0, INT64_MAX, 0,
	    &t->listing_id) != 0 ||
	    etsy_int(rd, o, "product_id", 0, INT64_MAX, 0,
	    &t->product_id) != 0 ||
	    etsy_str(rd, o, "sku", ETSY_SKU_MAX, ETSY_ID, &t->sku) != 0 ||
	    etsy_str(rd, o, "title", ETSY_TITLE_MAX, ETSY_LINE,
	    &t->title) != 0 ||
	    etsy_int(rd, o, "quantity", 1, ETSY_QUANTITY_MAX, 1,
	    &quantity) != 0 ||
	    etsy_money(rd, o, "price", 1, &t->price) != 0 ||
	    etsy_money(rd, o, "shipping_cost", 0, &t->shipping_cost) != 0 ||
	    etsy_bool(rd, o, "is_digital", &t->is_digital) != 0 ||
	    etsy_time(rd, o, "expected_ship_date", NULL,
	    &t->expected_ship_date) != 0 ||
	    etsy_variations(rd, o, t) != 0)
		return ERR_INVALID;
	t->quantity = (int)quantity;
	return 0;
}

/*
 * The array at key (at most max objects) into a new arena array of
 * elements of size bytes, each read by fn.  *out and *n: the array.
 */
static int
etsy_each(struct etsy_rd *rd, const json_t *o, const char *key,
    size_t max, size_t size, int (*fn)(struct etsy_rd *, const json_t *,
    void *), void **out, size_t *n)
{
	json_t	*arr, *item;
	char	 saved[ETSY_WHERE_MAX];
	size_t	 i, count;
	int	 rc;

	*n = 0;
	if (etsy_array(rd, o, key, max, &arr, &count) != 0)
		return ERR_INVALID;
	*out = arena_calloc(rd->a, count > 0 ? count : 1, size);
	for (i = 0; i < count; i++) {
		item = json_array_get(arr, i);
		etsy_enter(rd, saved, "%s[%zu].", key, i);
		if (!json_is_object(item))
			rc = etsy_fail(rd, "", "is not an object");
		else
			rc = fn(rd, item, (char *)*out + i * size);
		etsy_leave(rd, saved);
		if (rc != 0)
			return rc;
	}
	*n = count;
	return 0;
}

static int
etsy_shipment(struct etsy_rd *rd, const json_t *o, void *p)
{
	struct etsy_shipment	*s = p;

	if (etsy_int(rd, o, "receipt_shipping_id", 0, INT64_MAX, 0,
	    &s->receipt_shipping_id) != 0 ||
	    etsy_time(rd, o, "shipment_notification_timestamp", NULL,
	    &s->notified) != 0 ||
	    etsy_str(rd, o, "carrier_name", ETSY_CARRIER_MAX, ETSY_ID,
	    &s->carrier_name) != 0 ||
	    etsy_str(rd, o, "tracking_code", ETSY_TRACKING_MAX, ETSY_ID,
	    &s->tracking_code) != 0)
		return ERR_INVALID;
	return 0;
}

static int
etsy_status(struct etsy_rd *rd, const json_t *o, struct etsy_receipt *r)
{
	json_t		*j;
	const char	*s;
	char		 shown[48];
	size_t		 i;

	if (etsy_absent(o, "status", &j))
		return etsy_fail(rd, "status", "is missing");
	if ((s = json_string_value(j)) == NULL)
		return etsy_fail(rd, "status", "is not a string");
	for (i = 0; i < ETSY_NSTATUSES; i++)
		if (strcasecmp(s, etsy_statuses[i]) == 0) {
			r->status = (enum etsy_status)i;
			return 0;
		}
	etsy_clean(shown, sizeof(shown), s, json_string_length(j), 0);
	return etsy_fail(rd, "status", "\"%s\" is not a known status", shown);
}

static int
etsy_country(struct etsy_rd *rd, const json_t *o, struct etsy_receipt *r)
{
	json_t		*j;
	const char	*s;

	if (etsy_absent(o, "country_iso", &j))
		return 0;
	s = json_string_value(j);
	if (s == NULL || json_string_length(j) != 2 || s[0] < 'A' ||
	    s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return etsy_fail(rd, "country_iso", "is not two capital "
		    "letters");
	memcpy(r->country_iso, s, 3);
	return 0;
}

static void
etsy_receipt_init(struct etsy_receipt *r)
{
	memset(r, 0, sizeof(*r));
	r->buyer_email = r->name = r->first_line = r->second_line = "";
	r->city = r->state = r->zip = r->formatted_address = "";
	r->message_from_buyer = r->gift_message = "";
	etsy_money_zero(&r->grandtotal);
	etsy_money_zero(&r->refunds);
}

/*
 * One ShopReceipt object into *r.  The receipt_id is read first and kept
 * even when a later field fails, so a bad receipt can be named.
 */
static int
etsy_receipt(struct etsy_rd *rd, const json_t *o, struct etsy_receipt *r)
{
	void	*ships, *txs;
	int64_t	 type;

	etsy_receipt_init(r);
	rd->truncated = 0;
	if (etsy_int(rd, o, "receipt_id", 1, INT64_MAX, 1,
	    &r->receipt_id) != 0)
		return ERR_INVALID;
	if (etsy_int(rd, o, "receipt_type", 0, INT_MAX, 0, &type) != 0 ||
	    etsy_int(rd, o, "seller_user_id", 0, INT64_MAX, 0,
	    &r->seller_user_id) != 0 ||
	    etsy_int(rd, o, "buyer_user_id", 0, INT64_MAX, 0,
	    &r->buyer_user_id) != 0 ||
	    etsy_str(rd, o, "buyer_email", ETSY_EMAIL_MAX, ETSY_ID,
	    &r->buyer_email) != 0 ||
	    etsy_str(rd, o, "name", ETSY_NAME_MAX, ETSY_LINE, &r->name) != 0 ||
	    etsy_str(rd, o, "first_line", ETSY_NAME_MAX, ETSY_LINE,
	    &r->first_line) != 0 ||
	    etsy_str(rd, o, "second_line", ETSY_NAME_MAX, ETSY_LINE,
	    &r->second_line) != 0 ||
	    etsy_str(rd, o, "city", ETSY_NAME_MAX, ETSY_LINE, &r->city) != 0 ||
	    etsy_str(rd, o, "state", ETSY_NAME_MAX, ETSY_LINE,
	    &r->state) != 0 ||
	    etsy_str(rd, o, "zip", ETSY_ZIP_MAX, ETSY_LINE, &r->zip) != 0 ||
	    etsy_country(rd, o, r) != 0 ||
	    etsy_str(rd, o, "formatted_address", ETSY_TEXT_MAX, ETSY_LINES,
	    &r->formatted_address) != 0 ||
	    etsy_status(rd, o, r) != 0 ||
	    etsy_bool(rd, o, "is_paid", &r->is_paid) != 0 ||
	    etsy_bool(rd, o, "is_shipped", &r->is_shipped) != 0 ||
	    etsy_time(rd, o, "created_timestamp", "create_timestamp",
	    &r->created) != 0 ||
	    etsy_time(rd, o, "updated_timestamp", "update_timestamp",
	    &r->updated) != 0 ||
	    etsy_str(rd, o, "message_from_buyer", ETSY_TEXT_MAX, ETSY_LINES,
	    &r->message_from_buyer) != 0 ||
	    etsy_bool(rd, o, "is_gift", &r->is_gift) != 0 ||
	    etsy_str(rd, o, "gift_message", ETSY_TEXT_MAX, ETSY_LINES,
	    &r->gift_message) != 0)
		return ERR_INVALID;
	r->receipt_type = (int)type;
	if (etsy_money(rd, o, "grandtotal", 1, &r->grandtotal) != 0 ||
	    etsy_money(rd, o, "subtotal", 0, &r->subtotal) != 0 ||
	    etsy_money(rd, o, "total_price", 0, &r->total_price) != 0 ||
	    etsy_money(rd, o, "total_shipping_cost", 0,
	    &r->total_shipping_cost) != 0 ||
	    etsy_money(rd, o, "total_tax_cost", 0, &r->total_tax_cost) != 0 ||
	    etsy_money(rd, o, "total_vat_cost", 0, &r->total_vat_cost) != 0 ||
	    etsy_money(rd, o, "discount_amt", 0, &r->discount_amt) != 0 ||
	    etsy_money(rd, o, "gift_wrap_price", 0,
	    &r->gift_wrap_price) != 0 ||
	    etsy_refunds(rd, o, r) != 0 ||
	    etsy_each(rd, o, "shipments", ETSY_SHIPMENTS_MAX,
	    sizeof(*r->shipments), etsy_shipment, &ships,
	    &r->nshipments) != 0 ||
	    etsy_each(rd, o, "transactions", ETSY_TRANSACTIONS_MAX,
	    sizeof(*r->transactions), etsy_transaction, &txs,
	    &r->ntransactions) != 0)
		return ERR_INVALID;
	r->shipments = ships;
	r->transactions = txs;
	r->truncated = rd->truncated;
	return 0;
}

/*
 * Starts reading an answer: rd for arena a and error record e (NULL:
 * local), root the body's JSON object.  0, ERR_INVALID or ERR_TOO_LARGE.
 */
static int
etsy_open(struct etsy_rd *rd, struct arena *a, struct err *e,
    struct err *local, const char *body, size_t len, size_t max,
    const char *what, json_t **root)
{
	memset(rd, 0, sizeof(*rd));
	memset(local, 0, sizeof(*local));
	rd->a = a;
	rd->e = e != NULL ? e : local;
	return printer_json_load(body, len, max, what, root, rd->e);
}

int
etsy_receipts_page(const char *body, size_t len, struct arena *a,
    struct etsy_page *page, struct err *e)
{
	struct etsy_rd		 rd, rr;
	struct etsy_receipt	*r;
	struct etsy_bad		*b;
	struct err		 re, local;
	json_t			*root, *count, *results, *item;
	size_t			 i, n;
	int			 rc;

	memset(page, 0, sizeof(*page));
	if ((rc = etsy_open(&rd, a, e, &local, body, len, ETSY_BODY_MAX,
	    "Etsy receipts page", &root)) != 0)
		return rc;
	e = rd.e;
	count = json_object_get(root, "count");
	results = json_object_get(root, "results");
	rc = ERR_INVALID;
	if (!json_is_integer(count) || json_integer_value(count) < 0)
		err_set(e, rc, "the Etsy receipts page has no count (a whole "
		    "number from 0)");
	else if (!json_is_array(results))
		err_set(e, rc, "the Etsy receipts page has no results array");
	else if (json_array_size(results) > ETSY_PAGE_MAX)
		err_set(e, rc, "the Etsy receipts page has %zu results, more "
		    "than %d", json_array_size(results), ETSY_PAGE_MAX);
	else
		rc = 0;
	if (rc != 0) {
		json_decref(root);
		return rc;
	}
	page->count = json_integer_value(count);
	n = json_array_size(results);
	page->receipts = arena_calloc(a, n > 0 ? n : 1, sizeof(*r));
	page->bad = arena_calloc(a, n > 0 ? n : 1, sizeof(*b));
	for (i = 0; i < n; i++) {
		memset(&re, 0, sizeof(re));
		memset(&rr, 0, sizeof(rr));
		rr.a = a;
		rr.e = &re;
		item = json_array_get(results, i);
		r = &page->receipts[page->nreceipts];
		if (json_is_object(item) && etsy_receipt(&rr, item, r) == 0) {
			page->nreceipts++;
			continue;
		}
		b = &page->bad[page->nbad++];
		b->index = i;
		if (!json_is_object(item)) {
			etsy_fail(&rr, "result", "is not an object");
			memset(r, 0, sizeof(*r));
		}
		b->receipt_id = r->receipt_id;
		etsy_clean(b->reason, sizeof(b->reason), re.message,
		    strlen(re.message), 0);
	}
	json_decref(root);
	return 0;
}

int
etsy_receipt_parse(const char *body, size_t len, struct arena *a,
    struct etsy_receipt *r, struct err *e)
{
	struct etsy_rd	 rd;
	struct err	 local;
	json_t		*root;
	int		 rc;

	etsy_receipt_init(r);
	if ((rc = etsy_open(&rd, a, e, &local, body, len, ETSY_BODY_MAX,
	    "Etsy receipt", &root)) != 0)
		return rc;
	rc = etsy_receipt(&rd, root, r);
	json_decref(root);
	return rc;
}

/*
 * "<user id>.<token>": the user id (1..INT64_MAX) and token characters
 * of RFC 6750 (b64token) after the dot.  0 and *uid, or -1.
 */
static int
etsy_token_text(const char *s, size_t n, int64_t *uid)
{
	static const char	 chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-._~+/=";
	int64_t			 v;
	size_t			 i;

	if (n == 0 || n > ETSY_TOKEN_MAX)
		return -1;
	v = 0;
	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || v == 0 || i + 1 >= n || s[i] != '.')
		return -1;
	for (i++; i < n; i++)
		if (s[i] == '\0' || strchr(chars, s[i]) == NULL)
			return -1;
	*uid = v;
	return 0;
}

int
etsy_token_parse(const char *body, size_t len, struct etsy_token *t,
    struct err *e)
{
	struct etsy_rd	 rd;
	struct err	 local;
	json_t		*root, *at, *rt, *tt, *ex;
	int64_t		 uid, ruid;
	int		 rc;

	memset(t, 0, sizeof(*t));
	if ((rc = etsy_open(&rd, NULL, e, &local, body, len,
	    ETSY_SMALL_BODY_MAX, "Etsy token answer", &root)) != 0)
		return rc;
	e = rd.e;
	at = json_object_get(root, "access_token");
	rt = json_object_get(root, "refresh_token");
	tt = json_object_get(root, "token_type");
	ex = json_object_get(root, "expires_in");
	rc = ERR_INVALID;
	if (!json_is_string(at) || etsy_token_text(json_string_value(at),
	    json_string_length(at), &uid) != 0)
		err_set(e, rc, "the Etsy access_token is missing or not "
		    "<user id>.<token> of at most %d characters",
		    ETSY_TOKEN_MAX);
	else if (!json_is_string(rt) || etsy_token_text(json_string_value(rt),
	    json_string_length(rt), &ruid) != 0)
		err_set(e, rc, "the Etsy refresh_token is missing or not "
		    "<user id>.<token> of at most %d characters",
		    ETSY_TOKEN_MAX);
	else if (uid != ruid)
		err_set(e, rc, "the Etsy access and refresh tokens name "
		    "different users");
	else if (!json_is_string(tt) ||
	    strcasecmp(json_string_value(tt), "Bearer") != 0)
		err_set(e, rc, "the Etsy token_type is not Bearer");
	else if (!json_is_integer(ex) || json_integer_value(ex) < 1)
		err_set(e, rc, "the Etsy expires_in is not a whole number of "
		    "seconds from 1");
	else
		rc = 0;
	if (rc == 0) {
		memcpy(t->access_token, json_string_value(at),
		    json_string_length(at));
		memcpy(t->refresh_token, json_string_value(rt),
		    json_string_length(rt));
		/* Shorter is safe: the token is only refreshed sooner. */
		t->expires_in = json_integer_value(ex) > ETSY_EXPIRES_MAX ?
		    ETSY_EXPIRES_MAX : (int)json_integer_value(ex);
		t->user_id = uid;
	}
	json_decref(root);
	return rc;
}

static enum etsy_err_kind
etsy_error_kind(const char *code, const char *description, int refresh)
{
	if (strcasecmp(code, "invalid_grant") == 0)
		return refresh || strcasestr(description, "revoked") != NULL ?
		    ETSY_ERR_REVOKED : ETSY_ERR_OTHER;
	if (strcasecmp(code, "invalid_token") == 0)
		return ETSY_ERR_INVALID_TOKEN;
	if ((strcasestr(code, "token") != NULL ||
	    strcasestr(description, "token") != NULL) &&
	    (strcasestr(code, "expired") != NULL ||
	    strcasestr(description, "expired") != NULL))
		return ETSY_ERR_INVALID_TOKEN;
	return ETSY_ERR_OTHER;
}

int
etsy_error_parse(const char *body, size_t len, int refresh,
    struct etsy_error *out)
{
	json_t		*root, *code, *desc;
	size_t		 n;

	memset(out, 0, sizeof(*out));
	out->kind = ETSY_ERR_OTHER;
	if (body == NULL)
		return ERR_INVALID;
	root = NULL;
	if (len > 0 && len <= ETSY_SMALL_BODY_MAX)
		root = json_loadb(body, len, 0, NULL);
	code = json_object_get(root, "error");
	desc = json_object_get(root, "error_description");
	if (!json_is_string(code)) {
		json_decref(root);
		for (n = 0; n < len && body[n] != '\n' && body[n] != '\r'; n++)
			;
		etsy_clean(out->description, sizeof(out->description), body,
		    n, 0);
		return ERR_INVALID;
	}
	if (!json_is_string(desc))
		desc = code;	/* an API error: its message is all there is */
	etsy_clean(out->code, sizeof(out->code), json_string_value(code),
	    json_string_length(code), 0);
	etsy_clean(out->description, sizeof(out->description),
	    json_string_value(desc), json_string_length(desc), 0);
	out->kind = etsy_error_kind(out->code, out->description, refresh);
	json_decref(root);
	return 0;
}

int
etsy_me_parse(const char *body, size_t len, struct etsy_me *me,
    struct err *e)
{
	struct etsy_rd	 rd;
	struct err	 local;
	json_t		*root;
	int		 rc;

	memset(me, 0, sizeof(*me));
	if ((rc = etsy_open(&rd, NULL, e, &local, body, len,
	    ETSY_SMALL_BODY_MAX, "Etsy users/me answer", &root)) != 0)
		return rc;
	if (etsy_int(&rd, root, "user_id", 1, INT64_MAX, 1,
	    &me->user_id) != 0 || etsy_int(&rd, root, "shop_id", 1,
	    INT64_MAX, 1, &me->shop_id) != 0)
		rc = ERR_INVALID;
	json_decref(root);
	return rc;
}

static int
etsy_skus(struct etsy_rd *rd, const json_t *o, struct etsy_listing *l)
{
	json_t	*arr;
	char	 saved[ETSY_WHERE_MAX];
	size_t	 i, n;
	int	 rc;

	if (etsy_array(rd, o, "skus", ETSY_SKUS_MAX, &arr, &n) != 0)
		return ERR_INVALID;
	l->skus = arena_calloc(rd->a, n > 0 ? n : 1, sizeof(*l->skus));
	for (i = 0; i < n; i++) {
		etsy_enter(rd, saved, "skus[%zu].", i);
		rc = etsy_strval(rd, json_array_get(arr, i), "", ETSY_SKU_MAX,
		    ETSY_ID, &l->skus[i]);
		etsy_leave(rd, saved);
		if (rc != 0)
			return rc;
	}
	l->nskus = n;
	return 0;
}

int
etsy_listing_parse(const char *body, size_t len, struct arena *a,
    struct etsy_listing *l, struct err *e)
{
	struct etsy_rd	 rd;
	struct err	 local;
	json_t		*root;
	const char	*state;
	int		 rc;

	memset(l, 0, sizeof(*l));
	l->title = "";
	etsy_money_zero(&l->price);
	if ((rc = etsy_open(&rd, a, e, &local, body, len, ETSY_BODY_MAX,
	    "Etsy listing", &root)) != 0)
		return rc;
	if (etsy_int(&rd, root, "listing_id", 1, INT64_MAX, 1,
	    &l->listing_id) != 0 ||
	    etsy_str(&rd, root, "title", ETSY_TITLE_MAX, ETSY_LINE,
	    &l->title) != 0 ||
	    etsy_str(&rd, root, "state", ETSY_STATE_MAX, ETSY_ID,
	    &state) != 0 ||
	    etsy_skus(&rd, root, l) != 0 ||
	    etsy_bool(&rd, root, "has_variations", &l->has_variations) != 0 ||
	    etsy_bool(&rd, root, "is_personalizable",
	    &l->is_personalizable) != 0 ||
	    etsy_money(&rd, root, "price", 0, &l->price) != 0)
		rc = ERR_INVALID;
	else
		memcpy(l->state, state, strlen(state) + 1);
	json_decref(root);
	return rc;
}

void
etsy_rate_init(struct etsy_rate *r)
{
	r->per_second = r->remaining_second = -1;
	r->per_day = r->remaining_day = -1;
	r->retry_after_s = -1;
}

int
etsy_rate_header(struct etsy_rate *r, const char *line)
{
	static const char *const names[] = { "x-limit-per-second",
	    "x-remaining-this-second", "x-limit-per-day", "x-remaining-today",
	    "retry-after" };
	long		*fields[5];
	const char	*colon, *p;
	size_t		 i, n;
	long		 v, max;

	fields[0] = &r->per_second;
	fields[1] = &r->remaining_second;
	fields[2] = &r->per_day;
	fields[3] = &r->remaining_day;
	fields[4] = &r->retry_after_s;
	if ((colon = strchr(line, ':')) == NULL)
		return 0;
	for (n = (size_t)(colon - line); n > 0 && (line[n - 1] == ' ' ||
	    line[n - 1] == '\t'); n--)
		;
	for (i = 0; i < 5; i++)
		if (strlen(names[i]) == n && strncasecmp(line, names[i], n) == 0)
			break;
	if (i == 5)
		return 0;
	max = i == 4 ? ETSY_RETRY_AFTER_MAX : ETSY_RATE_MAX;
	for (p = colon + 1; *p == ' ' || *p == '\t'; p++)
		;
	v = 0;
	for (n = 0; p[n] >= '0' && p[n] <= '9'; n++) {
		if (v > (ETSY_RATE_MAX - (p[n] - '0')) / 10)
			break;	/* too large: the digit left fails below */
		v = v * 10 + (p[n] - '0');
	}
	for (p += n; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
		;
	if (n == 0 || *p != '\0') {
		*fields[i] = -1;
		return -1;
	}
	*fields[i] = v > max ? max : v;
	return 1;
}

long
etsy_backoff_ms(int attempt, unsigned random)
{
	uint64_t	ceiling;

	if (attempt < 0)
		attempt = 0;
	if (attempt > 16)
		attempt = 16;	/* 2^16 s is far past the cap */
	ceiling = (uint64_t)ETSY_BACKOFF_BASE_MS << attempt;
	if (ceiling > ETSY_BACKOFF_CAP_MS)
		ceiling = ETSY_BACKOFF_CAP_MS;
	return (long)(ceiling * random / UINT_MAX);
}

long
etsy_retry_delay_ms(const struct etsy_rate *r, int attempt, unsigned random)
{
	long	s;

	if (r == NULL || r->retry_after_s < 0)
		return etsy_backoff_ms(attempt, random);
	s = r->retry_after_s > ETSY_RETRY_AFTER_MAX ? ETSY_RETRY_AFTER_MAX :
	    r->retry_after_s;
	/* Jitter, so workers told the same second do not all come back. */
	return s * 1000 + (long)(random % 1001);
}
