/*
 * fuzz_etsy.c -- libFuzzer target for the Etsy answer parsers
 * (parse/etsy.c).
 *
 * The first byte picks the parser ('p' receipts page, 'r' one receipt,
 * 't' token, 'e' error, 'E' error of a refresh, 'm' users/me, 'l'
 * listing, 'h' rate header lines separated by newlines; any other byte
 * modulo 8), the rest is the body.  Invariants checked: return codes are
 * 0, ERR_INVALID or ERR_TOO_LARGE; counts stay within their limits;
 * every string is terminated and within its limit; Money has a power of
 * ten divisor and a bounded amount; backoff stays under its cap; nothing
 * crashes, leaks or reads past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "parse/etsy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_rc(int rc)
{
	if (rc != 0 && rc != ERR_INVALID && rc != ERR_TOO_LARGE)
		abort();
}

static void
fuzz_str(const char *s, size_t max)
{
	if (s == NULL || strlen(s) > max)
		abort();
}

static void
fuzz_money(const struct etsy_money *m)
{
	int64_t	v;

	if (m->amount > ETSY_MONEY_MAX || m->amount < -ETSY_MONEY_MAX ||
	    etsy_money_minor(m, ETSY_MINOR_DIGITS_MAX, &v) != 0)
		abort();
	if (m->currency[0] != '\0' && strlen(m->currency) != 3)
		abort();
}

static void
fuzz_receipt(const struct etsy_receipt *r)
{
	const struct etsy_transaction	*t;
	size_t				 i, k;

	if (r->receipt_id <= 0 || etsy_status_name(r->status) == NULL ||
	    r->ntransactions > ETSY_TRANSACTIONS_MAX ||
	    r->nshipments > ETSY_SHIPMENTS_MAX)
		abort();
	fuzz_str(r->name, ETSY_NAME_MAX);
	fuzz_str(r->zip, ETSY_ZIP_MAX);
	fuzz_str(r->buyer_email, ETSY_EMAIL_MAX);
	fuzz_str(r->formatted_address, ETSY_TEXT_MAX);
	fuzz_str(r->message_from_buyer, ETSY_TEXT_MAX);
	fuzz_str(r->country_iso, 2);
	fuzz_money(&r->grandtotal);
	fuzz_money(&r->refunds);
	fuzz_money(&r->total_vat_cost);
	for (i = 0; i < r->nshipments; i++) {
		fuzz_str(r->shipments[i].carrier_name, ETSY_CARRIER_MAX);
		fuzz_str(r->shipments[i].tracking_code, ETSY_TRACKING_MAX);
	}
	for (i = 0; i < r->ntransactions; i++) {
		t = &r->transactions[i];
		if (t->transaction_id <= 0 || t->quantity < 1 ||
		    t->quantity > ETSY_QUANTITY_MAX ||
		    t->nvariations > ETSY_VARIATIONS_MAX)
			abort();
		fuzz_str(t->sku, ETSY_SKU_MAX);
		fuzz_str(t->title, ETSY_TITLE_MAX);
		fuzz_str(t->personalisation, ETSY_TEXT_MAX);
		fuzz_money(&t->price);
		for (k = 0; k < t->nvariations; k++) {
			fuzz_str(t->variations[k].name, ETSY_NAME_MAX);
			fuzz_str(t->variations[k].value, ETSY_TEXT_MAX);
		}
	}
}

static void
fuzz_rate(const char *p, size_t n)
{
	struct etsy_rate	 r;
	char			*line;
	size_t			 i, start;

	etsy_rate_init(&r);
	line = malloc(n + 1);
	memcpy(line, p, n);
	line[n] = '\0';
	for (start = 0, i = 0; i <= n; i++)
		if (i == n || line[i] == '\n' || line[i] == '\0') {
			line[i] = '\0';
			if (etsy_rate_header(&r, line + start) < -1)
				abort();
			start = i + 1;
		}
	free(line);
	if (r.retry_after_s < -1 || r.retry_after_s > ETSY_RETRY_AFTER_MAX ||
	    r.per_second < -1 || r.remaining_day < -1)
		abort();
	if (etsy_retry_delay_ms(&r, (int)n, (unsigned)n * 2654435761u) < 0 ||
	    etsy_backoff_ms((int)n, (unsigned)n) > ETSY_BACKOFF_CAP_MS)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	 kinds[] = "prteEmlh";
	struct etsy_page	 page;
	struct etsy_receipt	 r;
	struct etsy_token	 t;
	struct etsy_error	 x;
	struct etsy_me		 me;
	struct etsy_listing	 l;
	struct arena		*a;
	struct err		 e;
	const char		*p;
	size_t			 n, i;
	int			 rc;

	if (size < 1)
		return 0;
	memset(&e, 0, sizeof(e));
	p = (const char *)data + 1;
	n = size - 1;
	a = arena_new(16 * 1024);
	switch (memchr(kinds, data[0], 8) != NULL ? data[0] :
	    kinds[data[0] % 8]) {
	case 'p':
		fuzz_rc(rc = etsy_receipts_page(p, n, a, &page, &e));
		if (page.nreceipts + page.nbad > ETSY_PAGE_MAX ||
		    (rc != 0 && page.nreceipts + page.nbad != 0))
			abort();
		for (i = 0; i < page.nreceipts; i++)
			fuzz_receipt(&page.receipts[i]);
		for (i = 0; i < page.nbad; i++)
			fuzz_str(page.bad[i].reason, ETSY_REASON_MAX - 1);
		break;
	case 'r':
		fuzz_rc(rc = etsy_receipt_parse(p, n, a, &r, &e));
		if (rc == 0)
			fuzz_receipt(&r);
		break;
	case 't':
		fuzz_rc(rc = etsy_token_parse(p, n, &t, &e));
		fuzz_str(t.access_token, ETSY_TOKEN_MAX);
		if (rc == 0 && (t.user_id <= 0 || t.expires_in < 1 ||
		    t.expires_in > ETSY_EXPIRES_MAX))
			abort();
		break;
	case 'e':
	case 'E':
		fuzz_rc(etsy_error_parse(p, n, data[0] == 'E', &x));
		fuzz_str(x.code, ETSY_CODE_MAX);
		fuzz_str(x.description, ETSY_DESCRIPTION_MAX);
		if (x.kind != ETSY_ERR_OTHER && x.kind != ETSY_ERR_REVOKED &&
		    x.kind != ETSY_ERR_INVALID_TOKEN)
			abort();
		break;
	case 'm':
		fuzz_rc(rc = etsy_me_parse(p, n, &me, &e));
		if (rc == 0 && (me.user_id <= 0 || me.shop_id <= 0))
			abort();
		break;
	case 'l':
		fuzz_rc(rc = etsy_listing_parse(p, n, a, &l, &e));
		fuzz_str(l.title, ETSY_TITLE_MAX);
		fuzz_str(l.state, ETSY_STATE_MAX);
		if (l.nskus > ETSY_SKUS_MAX)
			abort();
		break;
	default:
		fuzz_rate(p, n);
		break;
	}
	arena_free(a);
	err_clear(&e);
	return 0;
}
