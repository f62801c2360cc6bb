/*
 * http.c -- polls PrusaLink, OctoPrint and Moonraker printers over HTTP
 * with the libcurl multi interface.
 *
 * A poll is the one or two requests a normaliser needs (PrusaLink
 * /api/v1/status + /api/v1/job, OctoPrint /api/printer + /api/job,
 * Moonraker one /printer/objects/query).  Each printer keeps its easy
 * handles between polls and the multi handle keeps the connections, so
 * polls reuse them (keep-alive).  Bodies are cut at PRINTER_MAX_BODY;
 * every transfer has a connect and a total timeout, so a printer that
 * hangs delays only itself.  Credentials: PrusaLink HTTP digest (user +
 * password), OctoPrint X-Api-Key, Moonraker X-Api-Key when it has one.
 *
 * http_call_start runs one request for someone else (the commands of
 * printers/control.c) on the same multi handle, with the printer's
 * credentials copied at start, and hands back status code and body; the
 * poll path above does not see those transfers.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/arena.h"
#include "core/err.h"
#include "parse/printers.h"
#include "printers/telemetry.h"

#define HTTP_MAX_REQ		2
#define HTTP_CONNECT_MS		3000L
#define HTTP_TIMEOUT_MS		5000L

struct http_body {
	char		*p;
	size_t		 len, cap;
	int		 too_big;
};

struct http_conn {
	struct tel_printer	*p;
	CURL			*h[HTTP_MAX_REQ];
	struct http_body	 body[HTTP_MAX_REQ];
	const char		*path[HTTP_MAX_REQ];
	CURLcode		 res[HTTP_MAX_REQ];
	long			 code[HTTP_MAX_REQ];
	struct curl_slist	*hdrs;
	int			 nreq;
	int			 pending;
};

/* One request of http_call_start (commands, printers/control.c). */
struct http_call {
	struct http_call	*next;
	CURL			*h;
	struct curl_slist	*hdrs;
	struct http_body	 body;
	char			*payload;
	http_call_fn		 done;
	void			*arg;
};

struct http_poller {
	CURLM			*m;
	struct http_call	*calls;		/* in flight */
};

int
http_poller_handles(enum tel_kind k)
{
	return k == TEL_PRUSALINK || k == TEL_OCTOPRINT || k == TEL_MOONRAKER;
}

struct http_poller *
http_poller_new(void)
{
	struct http_poller	*hp;

	if ((hp = calloc(1, sizeof(*hp))) == NULL)
		return NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((hp->m = curl_multi_init()) == NULL) {
		free(hp);
		return NULL;
	}
	curl_multi_setopt(hp->m, CURLMOPT_MAX_HOST_CONNECTIONS, 4L);
	return hp;
}

static size_t
http_write(char *data, size_t size, size_t n, void *ctx)
{
	struct http_body	*b = ctx;
	size_t			 add = size * n, cap;
	char			*np;

	if (b->len + add > PRINTER_MAX_BODY) {
		b->too_big = 1;
		return 0;
	}
	if (b->len + add + 1 > b->cap) {
		cap = b->cap == 0 ? 4096 : b->cap;
		while (cap < b->len + add + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

static void
http_conn_free(struct http_poller *hp, struct http_conn *c)
{
	int	i;

	for (i = 0; i < c->nreq; i++) {
		if (c->h[i] != NULL) {
			if (hp != NULL)
				curl_multi_remove_handle(hp->m, c->h[i]);
			curl_easy_cleanup(c->h[i]);
		}
		free(c->body[i].p);
	}
	curl_slist_free_all(c->hdrs);
	free(c);
}

/* Makes the handles of p's poll; NULL when out of memory. */
static struct http_conn *
http_conn_new(struct tel_printer *p)
{
	struct http_conn	*c;
	char			 url[512], hdr[512];
	int			 i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->p = p;
	switch (p->kind) {
	case TEL_PRUSALINK:
		c->path[0] = "/api/v1/status";
		c->path[1] = "/api/v1/job";
		c->nreq = 2;
		break;
	case TEL_OCTOPRINT:
		c->path[0] = "/api/printer";
		c->path[1] = "/api/job";
		c->nreq = 2;
		break;
	default:
		c->path[0] = "/printer/objects/query?print_stats&"
		    "virtual_sdcard&extruder&heater_bed&fan&display_status&"
		    "webhooks";
		c->nreq = 1;
		break;
	}
	c->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (p->kind != TEL_PRUSALINK && p->secret != NULL &&
	    *p->secret != '\0') {
		snprintf(hdr, sizeof(hdr), "X-Api-Key: %s", p->secret);
		c->hdrs = curl_slist_append(c->hdrs, hdr);
	}
	for (i = 0; i < c->nreq; i++) {
		if ((c->h[i] = curl_easy_init()) == NULL) {
			http_conn_free(NULL, c);
			return NULL;
		}
		if (strchr(p->host, ':') != NULL)
			snprintf(url, sizeof(url), "http://[%s]:%d%s", p->host,
			    p->port, c->path[i]);
		else
			snprintf(url, sizeof(url), "http://%s:%d%s", p->host,
			    p->port, c->path[i]);
		curl_easy_setopt(c->h[i], CURLOPT_URL, url);
		curl_easy_setopt(c->h[i], CURLOPT_PRIVATE, c);
		curl_easy_setopt(c->h[i], CURLOPT_WRITEFUNCTION, http_write);
		curl_easy_setopt(c->h[i], CURLOPT_WRITEDATA, &c->body[i]);
		curl_easy_setopt(c->h[i], CURLOPT_HTTPHEADER, c->hdrs);
		curl_easy_setopt(c->h[i], CURLOPT_CONNECTTIMEOUT_MS,
		    HTTP_CONNECT_MS);
		curl_easy_setopt(c->h[i], CURLOPT_TIMEOUT_MS, HTTP_TIMEOUT_MS);
		curl_easy_setopt(c->h[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c->h[i], CURLOPT_PROTOCOLS_STR, "http");
		curl_easy_setopt(c->h[i], CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(c->h[i], CURLOPT_MAXFILESIZE_LARGE,
		    (curl_off_t)PRINTER_MAX_BODY);
		if (p->kind == TEL_PRUSALINK) {
			curl_easy_setopt(c->h[i], CURLOPT_HTTPAUTH,
			    (long)CURLAUTH_DIGEST);
			curl_easy_setopt(c->h[i], CURLOPT_USERNAME,
			    p->username);
			curl_easy_setopt(c->h[i], CURLOPT_PASSWORD,
			    p->secret != NULL ? p->secret : "");
		}
	}
	return c;
}

int
http_poll_start(struct http_poller *hp, struct tel_printer *p)
{
	struct http_conn	*c;
	int			 i;

	if (p->busy || !http_poller_handles(p->kind))
		return -1;
	if (p->conn == NULL && (p->conn = http_conn_new(p)) == NULL)
		return -1;
	c = p->conn;
	for (i = 0; i < c->nreq; i++) {
		c->body[i].len = 0;
		c->body[i].too_big = 0;
		c->res[i] = CURLE_OK;
		c->code[i] = 0;
		if (curl_multi_add_handle(hp->m, c->h[i]) != CURLM_OK) {
			while (--i >= 0)
				curl_multi_remove_handle(hp->m, c->h[i]);
			return -1;
		}
	}
	c->pending = c->nreq;
	p->busy = 1;
	return 0;
}

void
http_poll_forget(struct http_poller *hp, struct tel_printer *p)
{
	if (p->conn != NULL)
		http_conn_free(hp, p->conn);
	p->conn = NULL;
	p->busy = 0;
}

static void
http_call_free(struct http_poller *hp, struct http_call *c)
{
	if (c->h != NULL) {
		curl_multi_remove_handle(hp->m, c->h);
		curl_easy_cleanup(c->h);
	}
	curl_slist_free_all(c->hdrs);
	free(c->body.p);
	free(c->payload);
	free(c);
}

int
http_call_start(struct http_poller *hp, const struct tel_printer *p,
    const char *method, const char *path, const char *json,
    long timeout_ms, http_call_fn done, void *arg)
{
	struct http_call	*c;
	char			 url[1024], hdr[512];

	if (!http_poller_handles(p->kind) || (c = calloc(1, sizeof(*c))) ==
	    NULL)
		return -1;
	c->done = done;
	c->arg = arg;
	if ((c->h = curl_easy_init()) == NULL || (json != NULL &&
	    (c->payload = strdup(json)) == NULL)) {
		http_call_free(hp, c);
		return -1;
	}
	if (strchr(p->host, ':') != NULL)
		snprintf(url, sizeof(url), "http://[%s]:%d%s", p->host, p->port,
		    path);
	else
		snprintf(url, sizeof(url), "http://%s:%d%s", p->host, p->port,
		    path);
	c->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (json != NULL)
		c->hdrs = curl_slist_append(c->hdrs,
		    "Content-Type: application/json");
	if (p->kind != TEL_PRUSALINK && p->secret != NULL &&
	    *p->secret != '\0') {
		snprintf(hdr, sizeof(hdr), "X-Api-Key: %s", p->secret);
		c->hdrs = curl_slist_append(c->hdrs, hdr);
	}
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "GET") != 0 || c->payload != NULL) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->payload != NULL ?
		    c->payload : "");
		if (strcmp(method, "GET") == 0)
			curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c->h, CURLOPT_PRIVATE, NULL);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->body);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_MS);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c->h, CURLOPT_FORBID_REUSE, 1L);
	if (p->kind == TEL_PRUSALINK) {
		curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
		curl_easy_setopt(c->h, CURLOPT_USERNAME, p->username);
		curl_easy_setopt(c->h, CURLOPT_PASSWORD, p->secret != NULL ?
		    p->secret : "");
	}
	if (curl_multi_add_handle(hp->m, c->h) != CURLM_OK) {
		curl_easy_cleanup(c->h);
		c->h = NULL;
		http_call_free(hp, c);
		return -1;
	}
	c->next = hp->calls;
	hp->calls = c;
	return 0;
}

/* Ends the call of easy handle h, if it is one; 1 when it was. */
static int
http_call_end(struct http_poller *hp, CURL *h, CURLcode res)
{
	struct http_call	**pp, *c;
	long			 code = 0;

	for (pp = &hp->calls; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->h == h)
			break;
	if ((c = *pp) == NULL)
		return 0;
	*pp = c->next;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	c->done(c->arg, code, c->body.p != NULL ? c->body.p : "", c->body.len,
	    res == CURLE_OK ? NULL : c->body.too_big ? "the answer is too "
	    "large" : curl_easy_strerror(res));
	http_call_free(hp, c);
	return 1;
}

void
http_poller_free(struct http_poller *hp)
{
	struct http_call	*c;

	if (hp == NULL)
		return;
	while ((c = hp->calls) != NULL) {
		hp->calls = c->next;
		http_call_free(hp, c);
	}
	curl_multi_cleanup(hp->m);
	free(hp);
	curl_global_cleanup();
}

/* The body of request i, or NULL when it answered one of the codes. */
static const char *
http_body_of(struct http_conn *c, int i, size_t *len)
{
	*len = c->body[i].len;
	return c->body[i].p != NULL ? c->body[i].p : "";
}

/* Turns the finished requests of c into r. */
static void
http_finish(struct http_conn *c, struct poll_result *r)
{
	struct tel_printer	*p = c->p;
	struct err		 e = { 0 };
	const char		*b0, *b1;
	size_t			 l0, l1;
	int			 i, rc;

	memset(r, 0, sizeof(*r));
	printer_state_init(&r->state);
	for (i = 0; i < c->nreq; i++) {
		if (c->body[i].too_big) {
			r->outcome = POLL_BAD;
			snprintf(r->error, sizeof(r->error), "the answer to %s "
			    "is larger than %d KiB", c->path[i],
			    PRINTER_MAX_BODY / 1024);
			return;
		}
		if (c->res[i] != CURLE_OK) {
			r->outcome = POLL_UNREACHABLE;
			snprintf(r->error, sizeof(r->error), "cannot reach the "
			    "printer at %s port %d: %s", p->host, p->port,
			    curl_easy_strerror(c->res[i]));
			return;
		}
	}
	for (i = 0; i < c->nreq; i++) {
		if (c->code[i] == 401 || c->code[i] == 403) {
			r->outcome = POLL_AUTH;
			snprintf(r->error, sizeof(r->error), "%s",
			    p->kind == TEL_PRUSALINK ? "the printer refused the "
			    "user name or password" : "the printer refused "
			    "the API key");
			return;
		}
	}
	b0 = http_body_of(c, 0, &l0);
	b1 = NULL;
	l1 = 0;
	switch (p->kind) {
	case TEL_PRUSALINK:
		if (c->code[0] != 200 || (c->code[1] != 200 &&
		    c->code[1] != 204))
			goto status;
		if (c->code[1] == 200)
			b1 = http_body_of(c, 1, &l1);
		rc = prusalink_state(b0, l0, b1, l1, &r->state, &e);
		break;
	case TEL_OCTOPRINT:
		if (c->code[0] == 409)
			b0 = NULL;
		else if (c->code[0] != 200)
			goto status;
		if (c->code[1] == 200)
			b1 = http_body_of(c, 1, &l1);
		rc = octoprint_state(b0, b0 == NULL ? 0 : l0, b1, l1,
		    &r->state, &e);
		break;
	default:
		if (c->code[0] != 200)
			goto status;
		rc = moonraker_state(b0, l0, &r->state, &e);
		break;
	}
	if (rc != 0) {
		r->outcome = POLL_BAD;
		snprintf(r->error, sizeof(r->error), "the printer sent an "
		    "answer that cannot be read: %s", e.message);
		err_clear(&e);
		return;
	}
	r->outcome = POLL_OK;
	return;
status:
	r->outcome = POLL_BAD;
	for (i = 0; i < c->nreq; i++)
		if (c->code[i] != 200 && c->code[i] != 204)
			break;
	if (i == c->nreq)
		i = 0;
	snprintf(r->error, sizeof(r->error), "the printer answered HTTP %ld "
	    "to %s", c->code[i], c->path[i]);
}

void
http_poller_run(struct http_poller *hp, int timeout_ms,
    struct tel_waitfd *fds, unsigned nfds, poll_done_fn done, void *arg)
{
	struct poll_result	 r;
	struct http_conn	*c;
	struct curl_waitfd	*wfd;
	CURLMsg			*msg;
	char			*priv;
	unsigned		 j;
	int			 running, left, i;

	wfd = nfds > 0 ? calloc(nfds, sizeof(*wfd)) : NULL;
	if (wfd == NULL)
		nfds = 0;
	for (j = 0; j < nfds; j++) {
		wfd[j].fd = fds[j].fd;
		wfd[j].events = (short)((fds[j].events & POLLIN ?
		    CURL_WAIT_POLLIN : 0) | (fds[j].events & POLLOUT ?
		    CURL_WAIT_POLLOUT : 0));
	}
	curl_multi_perform(hp->m, &running);
	if (timeout_ms > 0)
		curl_multi_poll(hp->m, wfd, nfds, timeout_ms, NULL);
	for (j = 0; j < nfds; j++)
		fds[j].revents = (short)((wfd[j].revents & CURL_WAIT_POLLIN ?
		    POLLIN : 0) | (wfd[j].revents & CURL_WAIT_POLLOUT ?
		    POLLOUT : 0));
	free(wfd);
	curl_multi_perform(hp->m, &running);
	while ((msg = curl_multi_info_read(hp->m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		if (http_call_end(hp, msg->easy_handle, msg->data.result))
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		c = (struct http_conn *)(void *)priv;
		if (c == NULL)
			continue;
		for (i = 0; i < c->nreq; i++)
			if (c->h[i] == msg->easy_handle)
				break;
		if (i == c->nreq)
			continue;
		c->res[i] = msg->data.result;
		curl_easy_getinfo(c->h[i], CURLINFO_RESPONSE_CODE,
		    &c->code[i]);
		curl_multi_remove_handle(hp->m, c->h[i]);
		if (--c->pending > 0)
			continue;
		http_finish(c, &r);
		c->p->busy = 0;
		done(c->p, &r, arg);
	}
}

const char *
http_path_escape(struct arena *a, const char *path)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*out, *o;
	unsigned char		 ch;

	o = out = arena_alloc(a, strlen(path) * 3 + 1);
	for (; *path != '\0'; path++) {
		ch = (unsigned char)*path;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("/-._~", ch) != NULL)
			*o++ = (char)ch;
		else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}
