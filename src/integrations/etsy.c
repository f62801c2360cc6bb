/*
 * etsy.c -- requests to Etsy's Open API v3 with its limits kept (see
 * etsy.h).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/log.h"
#include "integrations/etsy.h"

struct etsy_call {
	struct buf		 body;
	struct etsy_rate	*rate;
};

static size_t
etsy_write(char *p, size_t size, size_t n, void *arg)
{
	struct etsy_call	*c = arg;

	if (buf_add(&c->body, p, size * n) != 0)
		return 0;	/* too big: curl stops with a write error */
	return size * n;
}

static size_t
etsy_header(char *p, size_t size, size_t n, void *arg)
{
	struct etsy_call	*c = arg;
	char			 line[256];
	size_t			 len = size * n;

	if (len >= sizeof(line))
		return len;	/* no header this client reads is that long */
	memcpy(line, p, len);
	line[len] = '\0';
	etsy_rate_header(c->rate, line);
	return len;
}

int
etsy_client_open(struct etsy_client *c, struct arena *a, const char *api_url,
    const char *keystring, const char *shared_secret, struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->curl = curl_easy_init();
	if (c->curl == NULL)
		return err_set(e, ERR_INTERNAL, "libcurl did not start");
	c->api_url = arena_strdup(a, api_url);
	c->api_key = arena_printf(a, "%s:%s", keystring, shared_secret);
	c->sleep_cap_ms = 120000;
	c->timeout_ms = 20000;
	etsy_rate_init(&c->rate);
	return 0;
}

void
etsy_client_close(struct etsy_client *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

static void
etsy_sleep_ms(const struct etsy_client *c, long ms)
{
	struct timespec	ts;

	if (ms > c->sleep_cap_ms)
		ms = c->sleep_cap_ms;
	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Waits for the next second when this one's requests are used up. */
static void
etsy_pace(struct etsy_client *c)
{
	struct timespec	now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != c->second) {
		c->second = now.tv_sec;
		return;
	}
	if (c->rate.remaining_second == 0)
		etsy_sleep_ms(c, 1000 - now.tv_nsec / 1000000L + 5);
}

/* One try: 0 with the status and body, or ERR_UNAVAILABLE. */
static int
etsy_try(struct etsy_client *c, struct arena *a, const char *method,
    const char *url, const char *form, struct etsy_reply *out,
    struct err *e)
{
	struct etsy_call	*call;
	struct curl_slist	*hdrs = NULL;
	CURL			*h = c->curl;
	CURLcode		 rc;

	/* the body's memory goes with the arena, so the call lives there */
	call = arena_calloc(a, 1, sizeof(*call));
	buf_init(&call->body, ETSY_BODY_MAX + 1);
	buf_on_arena(&call->body, a);
	call->rate = &c->rate;
	etsy_rate_init(&c->rate);
	hdrs = curl_slist_append(hdrs, arena_printf(a, "x-api-key: %s",
	    c->api_key));
	if (c->bearer != NULL)
		hdrs = curl_slist_append(hdrs, arena_printf(a,
		    "Authorization: Bearer %s", c->bearer));
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, etsy_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, call);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, etsy_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, call);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)ETSY_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)ETSY_BODY_MAX);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "Printyard");
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, form != NULL ?
		    form : "");
	}
	c->requests++;
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK)
		return err_set(e, ERR_UNAVAILABLE, "Etsy did not answer %s %s: "
		    "%s", method, url, curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	buf_addc(&call->body, '\0');
	out->body = call->body.data;
	out->len = call->body.len - 1;
	return 0;
}

int
etsy_request(struct etsy_client *c, struct arena *a, const char *method,
    const char *path, const char *form, struct etsy_reply *out,
    struct err *e)
{
	const char	*url;
	unsigned	 rnd;
	int		 attempt;

	url = arena_printf(a, "%s%s", c->api_url, path);
	for (attempt = 1; ; attempt++) {
		etsy_pace(c);
		memset(out, 0, sizeof(*out));
		err_clear(e);
		if (etsy_try(c, a, method, url, form, out, e) == 0 &&
		    out->status != 429 && out->status < 500)
			return 0;
		if (e->code == ERR_OK)
			err_set(e, ERR_UNAVAILABLE, "Etsy answered %ld to %s %s",
			    out->status, method, path);
		if (attempt == ETSY_ATTEMPTS)
			return e->code;
		crypto_random(&rnd, sizeof(rnd));
		c->retries++;
		log_kv(LOG_WARN, "etsy request will be retried", "path", path,
		    "error", e->message, NULL);
		etsy_sleep_ms(c, etsy_retry_delay_ms(&c->rate, attempt - 1, rnd));
	}
}

char *
etsy_escape(struct arena *a, const char *s)
{
	char	*esc, *out;

	esc = curl_easy_escape(NULL, s, 0);
	if (esc == NULL)
		return arena_strdup(a, "");
	out = arena_strdup(a, esc);
	curl_free(esc);
	return out;
}

char *
etsy_authorize_url(struct arena *a, const char *auth_url,
    const char *keystring, const char *redirect_uri, const char *state,
    const char *challenge)
{
	return arena_printf(a, "%s/oauth/connect?response_type=code&"
	    "client_id=%s&redirect_uri=%s&scope=%s&state=%s&"
	    "code_challenge=%s&code_challenge_method=S256", auth_url,
	    etsy_escape(a, keystring), etsy_escape(a, redirect_uri),
	    etsy_escape(a, ETSY_SCOPES), etsy_escape(a, state),
	    etsy_escape(a, challenge));
}
