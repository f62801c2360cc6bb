/*
 * etsy.h -- Etsy Open API v3 answers to structs (shared docs/protocols.md
 * section 6).
 *
 * Pure: bytes of an answer go in, structs come out; no I/O, no globals.
 * Every string in a result lives in the caller's arena (or in the struct
 * for the fixed-size ones), is NUL-terminated and never NULL: "" stands
 * for absent or null.  Numbers that are absent or null are 0.  Limits:
 *
 *   - a body is at most ETSY_BODY_MAX bytes (the small OAuth and "me"
 *     answers ETSY_SMALL_BODY_MAX), checked before parsing: ERR_TOO_LARGE;
 *   - identifiers (sku, carrier, tracking code, e-mail, status, currency,
 *     country, tokens) longer than their limit are refused: a cut
 *     identifier would name something else;
 *   - free text (names, address lines, title, messages, variation names
 *     and values, personalisation) is cut on a UTF-8 character boundary
 *     at its limit, and the receipt's `truncated` flag is set.  Control
 *     characters become spaces (text that may span lines keeps its
 *     newlines and tabs).
 *
 * Money is never a floating-point number: amount / divisor with the
 * divisor a power of ten.
 */
#ifndef PY_PARSE_ETSY_H
#define PY_PARSE_ETSY_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;

#define ETSY_BODY_MAX		(8 * 1024 * 1024)
#define ETSY_SMALL_BODY_MAX	(64 * 1024)
#define ETSY_PAGE_MAX		100	/* results of one receipts page */
#define ETSY_TRANSACTIONS_MAX	250	/* of one receipt */
#define ETSY_VARIATIONS_MAX	16	/* of one transaction */
#define ETSY_SHIPMENTS_MAX	32	/* of one receipt */
#define ETSY_REFUNDS_MAX	64	/* of one receipt */
#define ETSY_SKUS_MAX		512	/* of one listing */

#define ETSY_MONEY_MAX		10000000000000LL /* |amount|, 1e13 */
#define ETSY_DIVISOR_MAX	10000
#define ETSY_MINOR_DIGITS_MAX	4
#define ETSY_TIME_MAX		253402300799LL	/* 9999-12-31T23:59:59Z */
#define ETSY_QUANTITY_MAX	100000

/* Identifiers: longer is refused (bytes). */
#define ETSY_SKU_MAX		64
#define ETSY_EMAIL_MAX		254
#define ETSY_CARRIER_MAX	64
#define ETSY_TRACKING_MAX	128
#define ETSY_STATE_MAX		32	/* a listing's state */
#define ETSY_TOKEN_MAX		512
#define ETSY_CODE_MAX		64	/* an error's code */
/* Free text: longer is cut (bytes). */
#define ETSY_NAME_MAX		255	/* name, address lines, city ... */
#define ETSY_ZIP_MAX		32
#define ETSY_TITLE_MAX		500
#define ETSY_TEXT_MAX		4096	/* messages, address, personalisation */
#define ETSY_DESCRIPTION_MAX	256	/* an error's description */
#define ETSY_REASON_MAX		200	/* a bad receipt's reason */

/* Expiry of an access token, seconds: longer is cut to the maximum. */
#define ETSY_EXPIRES_MAX	86400

/* Backoff between retries (etsy_backoff_ms). */
#define ETSY_BACKOFF_BASE_MS	1000
#define ETSY_BACKOFF_CAP_MS	60000
#define ETSY_RETRY_AFTER_MAX	86400	/* seconds of Retry-After kept */

struct etsy_money {
	int64_t		 amount;
	int32_t		 divisor;	/* 1, 10, 100, 1000 or 10000 */
	char		 currency[4];	/* "EUR", or "" when not given */
};

enum etsy_status {
	ETSY_PAID,
	ETSY_COMPLETED,
	ETSY_OPEN,
	ETSY_PAYMENT_PROCESSING,
	ETSY_CANCELED,
	ETSY_FULLY_REFUNDED,
	ETSY_PARTIALLY_REFUNDED
};

struct etsy_variation {
	int64_t		 property_id;
	int64_t		 value_id;
	const char	*name;		/* formatted_name: "Colour" */
	const char	*value;		/* formatted_value: "Blue" */
};

struct etsy_transaction {
	int64_t			 transaction_id;	/* > 0 */
	int64_t			 listing_id;
	int64_t			 product_id;
	const char		*sku;
	const char		*title;
	int			 quantity;	/* 1..ETSY_QUANTITY_MAX */
	struct etsy_money	 price;		/* of one unit */
	struct etsy_money	 shipping_cost;
	/* Without the personalisation, which is in its own field. */
	struct etsy_variation	*variations;
	size_t			 nvariations;
	const char		*personalisation;
	int			 is_digital;
	int64_t			 expected_ship_date;	/* epoch s, 0 */
};

struct etsy_shipment {
	int64_t		 receipt_shipping_id;
	int64_t		 notified;	/* shipment_notification_timestamp */
	const char	*carrier_name;
	const char	*tracking_code;
};

struct etsy_receipt {
	int64_t			 receipt_id;	/* > 0 */
	int			 receipt_type;
	int64_t			 seller_user_id;
	int64_t			 buyer_user_id;
	const char		*buyer_email;
	const char		*name;
	const char		*first_line;
	const char		*second_line;
	const char		*city;
	const char		*state;
	const char		*zip;
	char			 country_iso[3];	/* "DE" or "" */
	const char		*formatted_address;
	enum etsy_status	 status;
	int			 is_paid;
	int			 is_shipped;
	int64_t			 created;	/* epoch s */
	int64_t			 updated;
	const char		*message_from_buyer;
	int			 is_gift;
	const char		*gift_message;
	struct etsy_money	 grandtotal;	/* required */
	struct etsy_money	 subtotal;
	struct etsy_money	 total_price;
	struct etsy_money	 total_shipping_cost;
	struct etsy_money	 total_tax_cost;
	struct etsy_money	 total_vat_cost;
	struct etsy_money	 discount_amt;
	struct etsy_money	 gift_wrap_price;
	/* The sum of refunds[].amount, in the grandtotal's currency. */
	struct etsy_money	 refunds;
	struct etsy_shipment	*shipments;
	size_t			 nshipments;
	struct etsy_transaction	*transactions;
	size_t			 ntransactions;
	int			 truncated;	/* some text was cut */
};

/* A result of a page that could not be read, and why. */
struct etsy_bad {
	size_t		 index;		/* in results[] */
	int64_t		 receipt_id;	/* 0 when it could not be read */
	char		 reason[ETSY_REASON_MAX];
};

struct etsy_page {
	int64_t			 count;		/* receipts found in all */
	struct etsy_receipt	*receipts;
	size_t			 nreceipts;
	struct etsy_bad		*bad;
	size_t			 nbad;
};

struct etsy_token {
	char		 access_token[ETSY_TOKEN_MAX + 1];
	char		 refresh_token[ETSY_TOKEN_MAX + 1];
	int		 expires_in;	/* seconds, 1..ETSY_EXPIRES_MAX */
	int64_t		 user_id;	/* the digits before the dot */
};

enum etsy_err_kind {
	ETSY_ERR_OTHER,
	ETSY_ERR_REVOKED,	/* the shop must connect again */
	ETSY_ERR_INVALID_TOKEN	/* refresh the access token, then retry */
};

struct etsy_error {
	char			 code[ETSY_CODE_MAX + 1];
	char			 description[ETSY_DESCRIPTION_MAX + 1];
	enum etsy_err_kind	 kind;
};

struct etsy_me {
	int64_t		 user_id;
	int64_t		 shop_id;
};

struct etsy_listing {
	int64_t			 listing_id;
	const char		*title;
	char			 state[ETSY_STATE_MAX + 1];	/* "active" */
	const char		**skus;
	size_t			 nskus;
	int			 has_variations;
	int			 is_personalizable;
	struct etsy_money	 price;
};

/* Rate-limit headers of one answer; -1: not sent (or not readable). */
struct etsy_rate {
	long		 per_second;		/* x-limit-per-second */
	long		 remaining_second;	/* x-remaining-this-second */
	long		 per_day;		/* x-limit-per-day */
	long		 remaining_day;		/* x-remaining-today */
	long		 retry_after_s;		/* retry-after (seconds) */
};

/*
 * A body of GET /v3/application/shops/{shop_id}/receipts into *page
 * (arrays in the arena).  Returns 0, ERR_TOO_LARGE, or ERR_INVALID when
 * the page as a whole cannot be read: not JSON, not an object, count not
 * a whole number >= 0, results not an array of at most ETSY_PAGE_MAX.
 * Each result is read on its own: one that cannot be read is listed in
 * page->bad with its reason and the others are still returned.
 */
int	etsy_receipts_page(const char *body, size_t len, struct arena *,
	    struct etsy_page *, struct err *);

/*
 * One ShopReceipt (GET .../receipts/{receipt_id}, or the answer of
 * createReceiptShipment).  0, ERR_TOO_LARGE or ERR_INVALID with the
 * reason.
 */
int	etsy_receipt_parse(const char *body, size_t len, struct arena *,
	    struct etsy_receipt *, struct err *);

/*
 * The token endpoint's answer (authorization code or refresh).  Both
 * tokens must read "<user id>.<token characters>" with the same user id,
 * token_type must be Bearer.  0, ERR_TOO_LARGE or ERR_INVALID.
 */
int	etsy_token_parse(const char *body, size_t len, struct etsy_token *,
	    struct err *);

/*
 * An error answer: {"error": "..."} or {"error": "invalid_grant",
 * "error_description": "..."}.  Classification:
 *   - REVOKED: invalid_grant on a refresh (refresh != 0), or an
 *     invalid_grant whose description mentions "revoked": the refresh
 *     token is of no more use and the shop must be connected again;
 *   - INVALID_TOKEN: invalid_token, or a code or description that says a
 *     token expired: refresh the access token and try again;
 *   - OTHER: anything else.
 * A body that is not such JSON (an HTML page from a proxy) gives OTHER,
 * no code, and its first line as the description.  Returns 0 when the
 * body was an error object, ERR_INVALID when the text was used; *out is
 * filled in both cases.
 */
int	etsy_error_parse(const char *body, size_t len, int refresh,
	    struct etsy_error *);

/* GET /v3/application/users/me.  0, ERR_TOO_LARGE or ERR_INVALID. */
int	etsy_me_parse(const char *body, size_t len, struct etsy_me *,
	    struct err *);

/*
 * GET /v3/application/listings/{listing_id} (strings in the arena).
 * 0, ERR_TOO_LARGE or ERR_INVALID.
 */
int	etsy_listing_parse(const char *body, size_t len, struct arena *,
	    struct etsy_listing *, struct err *);

/*
 * The amount in minor units of a currency with minor_digits (0..4)
 * decimals: 0 and *out when exact, -1 when it is not (19.99 in yen) or
 * the arguments are out of range.
 */
int	etsy_money_minor(const struct etsy_money *, int minor_digits,
	    int64_t *out);

/* "paid", "payment processing", ...; NULL for a bad value. */
const char *etsy_status_name(enum etsy_status);

/* Sets every field to -1 (unknown). */
void	etsy_rate_init(struct etsy_rate *);
/*
 * Reads one raw header line ("X-Remaining-Today: 9500\r\n"; names in
 * any case).  Returns 1 when it set a field, 0 when the line is not a
 * rate header, -1 when it is one with a value that is not a whole
 * number of seconds or requests (an HTTP-date Retry-After): that field
 * becomes -1.
 */
int	etsy_rate_header(struct etsy_rate *, const char *line);

/*
 * Milliseconds to wait before retry number attempt (0 = the first):
 * full jitter, random scaled into [0, min(cap, base * 2^attempt)].  The
 * caller supplies the random number, so the function is pure.
 */
long	etsy_backoff_ms(int attempt, unsigned random);
/*
 * As etsy_backoff_ms, but when the answer carried Retry-After: that
 * many seconds plus up to one second of jitter.
 */
long	etsy_retry_delay_ms(const struct etsy_rate *, int attempt,
	    unsigned random);

#endif
