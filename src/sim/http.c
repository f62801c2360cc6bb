/*
 * http.c -- a small HTTP/1.1 server for the simulated HTTP printers.
 *
 * Each printer listens on its own port.  Connections are non-blocking
 * and kept alive (HTTP/1.1 unless "Connection: close"; HTTP/1.0 only
 * with "Connection: keep-alive"); pipelined requests are answered in
 * order.  A request head may hold at most SIM_HEAD_MAX bytes (431
 * beyond) and a body, sized by Content-Length only, what web_body_max
 * allows for its method and path: SIM_BODY_MAX, or up to
 * SIM_HTTP_UPLOAD_MAX for an upload (413 beyond); chunked bodies get
 * 411.  "Expect: 100-continue" gets "100 Continue" once the head is
 * accepted.  Digest authentication follows the printers (MD5, no qop
 * needed, nonces good for NONCE_TTL seconds, stale=true for an expired
 * nonce with a good answer).
 *
 * Invariants: a connection's input buffer grows only as bytes arrive,
 * never past the request being read (SIM_HEAD_MAX + SIM_BODY_MAX until
 * its head is accepted), and is freed when the connection is idle; so
 * is the memory of an answer larger than IN_IDLE_MAX once it is sent.
 * A handler runs only with the whole body in hand.  Pipelined requests
 * wait while more than OUT_PENDING_MAX bytes of answers are unsent.  A
 * connection closed for an error is half-closed first and its input
 * read and dropped until the client closes (at most DRAIN_MAX bytes),
 * so the client gets the answer, not a reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "sim/sim.h"

#define SIM_HEAD_MAX	16384
#define SIM_CONN_MAX	64	/* per printer */
#define NONCE_TTL	5
#define IN_MIN		4096	/* the input buffer's first size */
#define IN_IDLE_MAX	16384	/* kept by an idle connection */
#define DRAIN_MAX	((size_t)SIM_UPLOAD_MAX * 2)	/* then reset */
#define OUT_MAX		(SIM_UPLOAD_MAX + 131072)	/* a file and more */
#define OUT_PENDING_MAX	(1024 * 1024)	/* before the next request */

struct sim_conn {
	int		 fd;
	char		*in;		/* inlen bytes, NUL after them */
	size_t		 inlen;
	size_t		 incap;
	size_t		 want;		/* the most in may hold now */
	size_t		 need;		/* head + body, 0: head not read */
	int		 continued;	/* 100 Continue sent */
	struct buf	 out;
	size_t		 outoff;
	int		 closing;	/* close once out is written */
	int		 linger;	/* ... after reading what comes */
	int		 draining;	/* half-closed, dropping input */
	size_t		 drained;
	struct sim_conn	*next;
};

static void
md5_hex(const char *s, char out[33])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n, i;

	n = 0;
	EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL);
	for (i = 0; i < n && i < 16; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
	out[32] = '\0';
}

int
http_listen(struct sim_printer *p, char *why, size_t whylen)
{
	struct sockaddr_in	sa;
	socklen_t		len;
	int			fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)(p->bound_port != 0 ?
	    p->bound_port : p->port));
	if (inet_pton(AF_INET, p->host, &sa.sin_addr) != 1) {
		close(fd);
		snprintf(why, whylen, "bad listen address %s", p->host);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 64) != 0) {
		snprintf(why, whylen, "%s: cannot listen on %s:%d: %s",
		    p->name, p->host, ntohs(sa.sin_port), strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	p->bound_port = ntohs(sa.sin_port);
	p->listen_fd = fd;
	return 0;
}

static void
conn_free(struct sim_printer *p, struct sim_conn *c)
{
	struct sim_conn	**pp;

	for (pp = &p->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	close(c->fd);
	buf_free(&c->out);
	free(c->in);
	free(c);
}

void
http_close(struct sim_printer *p)
{
	while (p->conns != NULL)
		conn_free(p, p->conns);
	if (p->listen_fd >= 0)
		close(p->listen_fd);
	p->listen_fd = -1;
}

size_t
http_pollfds(struct sim_printer *p, void *pfdv, size_t max, void **tags)
{
	struct pollfd	*pfd = pfdv;
	struct sim_conn	*c;
	size_t		 n = 0;

	if (p->listen_fd < 0 || max == 0)
		return 0;
	pfd[n].fd = p->listen_fd;
	pfd[n].events = POLLIN;
	tags[n++] = NULL;
	for (c = p->conns; c != NULL && n < max; c = c->next) {
		pfd[n].fd = c->fd;
		/* a full input buffer (a hung printer) waits unread */
		pfd[n].events = c->out.len > c->outoff ? POLLOUT :
		    c->draining ? POLLIN : (c->closing ||
		    c->inlen >= c->want ? 0 : POLLIN);
		tags[n++] = c;
	}
	return n;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 507: return "Insufficient Storage";
	default: return "Error";
	}
}

static void
respond(struct sim_conn *c, struct sim_resp *r, int keep)
{
	buf_printf(&c->out, "HTTP/1.1 %d %s\r\nServer: printyard-sim\r\n",
	    r->status, reason(r->status));
	if (r->status != 204) {
		buf_printf(&c->out, "Content-Type: %s\r\n"
		    "Content-Length: %zu\r\n",
		    r->ctype != NULL ? r->ctype : "application/json",
		    r->body.len);
	}
	if (r->headers.len > 0)
		buf_add(&c->out, r->headers.data, r->headers.len);
	buf_printf(&c->out, "Connection: %s\r\n\r\n",
	    keep ? "keep-alive" : "close");
	if (r->status != 204)
		buf_add(&c->out, r->body.data, r->body.len);
	if (!keep)
		c->closing = 1;
}

static void
plain_error(struct sim_conn *c, int status)
{
	struct sim_resp	r;

	memset(&r, 0, sizeof(r));
	buf_init(&r.headers, 256);
	buf_init(&r.body, 256);
	r.status = status;
	r.ctype = "text/plain";
	buf_printf(&r.body, "%d %s\n", status, reason(status));
	respond(c, &r, 0);
	c->linger = 1;
	buf_free(&r.headers);
	buf_free(&r.body);
}

/* Finds header name in head (lines after the request line); NULL if none. */
static const char *
header(const char *head, const char *name, char *out, size_t outlen)
{
	const char	*line, *end, *colon;
	size_t	 nl = strlen(name), vl;

	line = strstr(head, "\r\n");
	while (line != NULL) {
		line += 2;
		end = strstr(line, "\r\n");
		if (end == NULL || end == line)
			break;
		colon = memchr(line, ':', (size_t)(end - line));
		if (colon != NULL && (size_t)(colon - line) == nl &&
		    strncasecmp(line, name, nl) == 0) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			vl = (size_t)(end - colon);
			while (vl > 0 && (colon[vl - 1] == ' ' ||
			    colon[vl - 1] == '\t'))
				vl--;
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, colon, vl);
			out[vl] = '\0';
			return out;
		}
		line = end;
	}
	return NULL;
}

const char *
sim_header(const struct sim_req *q, const char *name, char *out,
    size_t outlen)
{
	if (q->head == NULL || outlen == 0)
		return NULL;
	return header(q->head, name, out, outlen);
}

/* Ready for the next request on c. */
static void
next_request(struct sim_conn *c)
{
	c->need = 0;
	c->continued = 0;
	c->want = SIM_HEAD_MAX + SIM_BODY_MAX;
}

/*
 * Answers the first complete request in c->in; returns the bytes it used,
 * 0 when the request is not complete yet, -1 after a fatal error answer.
 */
static long
one_request(struct sim_printer *p, struct sim_conn *c)
{
	char		*end, *sp1, *sp2, *q;
	char		 head[SIM_HEAD_MAX + 1], method[16], target[2048];
	char		 v_cl[32], v_te[32], v_conn[32], v_auth[1024];
	char		 v_key[256], v_exp[32];
	struct sim_req	 req;
	struct sim_resp	 resp;
	size_t		 headlen, bodylen = 0, max;
	char		*ep;
	long long	 cl;
	int		 keep, http11, has_length = 0;

	if (c->need > 0 && c->inlen < c->need)
		return 0;
	c->in[c->inlen] = '\0';
	end = memmem(c->in, c->inlen < SIM_HEAD_MAX ? c->inlen : SIM_HEAD_MAX,
	    "\r\n\r\n", 4);
	if (end == NULL) {
		if (c->inlen >= SIM_HEAD_MAX) {
			plain_error(c, 431);
			return -1;
		}
		return 0;
	}
	headlen = (size_t)(end - c->in) + 4;
	memcpy(head, c->in, headlen - 2);
	head[headlen - 2] = '\0';
	sp1 = strchr(head, ' ');
	sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
	if (sp1 == NULL || sp2 == NULL || (size_t)(sp1 - head) >=
	    sizeof(method) || (size_t)(sp2 - sp1 - 1) >= sizeof(target) ||
	    strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		plain_error(c, 400);
		return -1;
	}
	memcpy(method, head, (size_t)(sp1 - head));
	method[sp1 - head] = '\0';
	memcpy(target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	target[sp2 - sp1 - 1] = '\0';
	http11 = sp2[8] == '1';
	if (header(head, "Transfer-Encoding", v_te, sizeof(v_te)) != NULL) {
		plain_error(c, 411);
		return -1;
	}
	if (header(head, "Content-Length", v_cl, sizeof(v_cl)) != NULL) {
		errno = 0;
		cl = strtoll(v_cl, &ep, 10);
		if (errno != 0 || ep == v_cl || *ep != '\0' || cl < 0) {
			plain_error(c, 400);
			return -1;
		}
		q = strchr(target, '?');
		if (q != NULL)
			*q = '\0';
		max = web_body_max(p, method, target);
		if (q != NULL)
			*q = '?';
		if ((unsigned long long)cl > max) {
			plain_error(c, 413);
			return -1;
		}
		bodylen = (size_t)cl;
		has_length = 1;
	}
	if (c->inlen < headlen + bodylen) {
		c->need = headlen + bodylen;
		if (c->want < c->need)
			c->want = c->need;
		/* the client may wait for this before it sends the body */
		if (!c->continued && http11 && header(head, "Expect", v_exp,
		    sizeof(v_exp)) != NULL && strcasecmp(v_exp,
		    "100-continue") == 0) {
			buf_addstr(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
			c->continued = 1;
		}
		return 0;
	}
	keep = http11;
	if (header(head, "Connection", v_conn, sizeof(v_conn)) != NULL) {
		if (strcasecmp(v_conn, "close") == 0)
			keep = 0;
		else if (strcasecmp(v_conn, "keep-alive") == 0)
			keep = 1;
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	q = strchr(target, '?');
	if (q != NULL)
		*q++ = '\0';
	req.path = target;
	req.query = q != NULL ? q : "";
	req.head = head;
	req.authorization = header(head, "Authorization", v_auth,
	    sizeof(v_auth));
	req.api_key = header(head, "X-Api-Key", v_key, sizeof(v_key));
	req.body = c->in + headlen;
	req.bodylen = bodylen;
	req.has_length = has_length;
	memset(&resp, 0, sizeof(resp));
	buf_init(&resp.headers, 4096);
	buf_init(&resp.body, OUT_MAX - 65536);
	web_handle(p, &req, &resp);
	respond(c, &resp, keep);
	buf_free(&resp.headers);
	buf_free(&resp.body);
	next_request(c);
	return (long)(headlen + bodylen);
}

/* Answers the complete requests c holds (none while the printer hangs). */
static void
conn_process(struct sim_printer *p, struct sim_conn *c)
{
	long	used;

	/* pipelined requests wait while a large answer is still out */
	while (!p->hung && !c->closing && c->inlen > 0 &&
	    c->out.len - c->outoff <= OUT_PENDING_MAX) {
		used = one_request(p, c);
		if (used <= 0)
			break;
		memmove(c->in, c->in + used, c->inlen - (size_t)used);
		c->inlen -= (size_t)used;
		c->in[c->inlen] = '\0';
	}
	/* an idle connection gives back what a large request took */
	if (c->inlen == 0 && c->incap > IN_IDLE_MAX) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
}

/* Makes room to read into: at least some bytes, at most up to want. */
static void
conn_room(struct sim_conn *c)
{
	size_t	cap;

	if (c->incap > 0 && c->incap - 1 - c->inlen >= IN_MIN / 2)
		return;
	if (c->incap >= c->want + 1)
		return;
	cap = c->incap < IN_MIN ? IN_MIN : c->incap * 2;
	if (cap > c->want + 1)
		cap = c->want + 1;
	if ((c->in = realloc(c->in, cap)) == NULL)
		abort();
	c->incap = cap;
}

/* A half-closed connection: reads and drops until EOF or DRAIN_MAX. */
static void
conn_drain(struct sim_printer *p, struct sim_conn *c)
{
	char	scratch[16384];
	ssize_t	n;

	for (;;) {
		n = read(c->fd, scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0 || (c->drained += (size_t)n) > DRAIN_MAX) {
			conn_free(p, c);
			return;
		}
	}
}

static void
conn_read(struct sim_printer *p, struct sim_conn *c)
{
	ssize_t	n;

	if (c->draining) {
		conn_drain(p, c);
		return;
	}
	for (;;) {
		if (c->inlen >= c->want)
			break;
		conn_room(c);
		n = read(c->fd, c->in + c->inlen, c->incap - 1 - c->inlen);
		if (n == 0) {
			conn_free(p, c);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_free(p, c);
			return;
		}
		c->inlen += (size_t)n;
		c->in[c->inlen] = '\0';
	}
	conn_process(p, c);
}

static void
conn_write(struct sim_printer *p, struct sim_conn *c)
{
	ssize_t	n;

	while (c->outoff < c->out.len) {
		n = write(c->fd, c->out.data + c->outoff,
		    c->out.len - c->outoff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_free(p, c);
			return;
		}
		c->outoff += (size_t)n;
	}
	/* a large answer's memory goes back at once */
	if (c->out.cap > IN_IDLE_MAX)
		buf_free(&c->out);
	else
		buf_reset(&c->out);
	c->outoff = 0;
	if (c->closing && c->linger && !c->draining) {
		/* what the client still sends must not reset the answer */
		shutdown(c->fd, SHUT_WR);
		c->draining = 1;
		free(c->in);
		c->in = NULL;
		c->inlen = c->incap = 0;
	} else if (c->closing)
		conn_free(p, c);
	else if (c->inlen > 0)
		conn_process(p, c);
}

static void
accept_all(struct sim_printer *p)
{
	struct sim_conn	*c, *it;
	size_t		 n;
	int		 fd, one = 1;

	for (;;) {
		fd = accept4(p->listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		n = 0;
		for (it = p->conns; it != NULL; it = it->next)
			n++;
		if (n >= SIM_CONN_MAX) {
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			return;
		}
		c->fd = fd;
		next_request(c);
		buf_init(&c->out, OUT_MAX);
		c->next = p->conns;
		p->conns = c;
	}
}

void
http_resume(struct sim_printer *p)
{
	struct sim_conn	*c, *next;

	for (c = p->conns; c != NULL; c = next) {
		next = c->next;
		conn_process(p, c);
		if (c->out.len > c->outoff)
			conn_write(p, c);
	}
}

void
http_ready(struct sim_printer *p, void *tag, short revents)
{
	struct sim_conn	*c = tag, *it;

	if (c == NULL) {
		if (p->listen_fd >= 0)
			accept_all(p);
		return;
	}
	/* the connection may have gone while handling an earlier one */
	for (it = p->conns; it != NULL && it != c; it = it->next)
		;
	if (it == NULL)
		return;
	if (revents & (POLLERR | POLLNVAL)) {
		conn_free(p, c);
		return;
	}
	if (revents & (POLLIN | POLLHUP)) {
		conn_read(p, c);
		for (it = p->conns; it != NULL && it != c; it = it->next)
			;
		if (it == NULL)
			return;
	}
	if (c->out.len > c->outoff)
		conn_write(p, c);
}

/* ---- digest authentication ---- */

static void
nonce_for(struct sim_printer *p, unsigned long issued, char out[41])
{
	char	src[96], mac[33];
	size_t	i;

	snprintf(src, sizeof(src), "%lu:", issued);
	for (i = 0; i < sizeof(p->nonce_key); i++)
		snprintf(src + strlen(src), 3, "%02x", p->nonce_key[i]);
	md5_hex(src, mac);
	snprintf(out, 41, "%08lx%.24s", issued, mac);
}

void
http_digest_challenge(struct sim_printer *p, struct sim_resp *r,
    const char *realm, int stale)
{
	char	nonce[41];

	nonce_for(p, (unsigned long)time(NULL), nonce);
	r->status = 401;
	buf_printf(&r->headers, "WWW-Authenticate: Digest realm=\"%s\", "
	    "nonce=\"%s\"%s\r\n", realm, nonce, stale ? ", stale=true" : "");
}

/* Copies the value of key from a Digest header (quoted or not). */
static int
digest_param(const char *h, const char *key, char *out, size_t outlen)
{
	const char	*s = h;
	size_t		 kl = strlen(key), n;

	while ((s = strstr(s, key)) != NULL) {
		if ((s == h || s[-1] == ' ' || s[-1] == ',') && s[kl] == '=') {
			s += kl + 1;
			if (*s == '"') {
				s++;
				n = strcspn(s, "\"");
			} else
				n = strcspn(s, ", ");
			if (n >= outlen)
				return -1;
			memcpy(out, s, n);
			out[n] = '\0';
			return 0;
		}
		s += kl;
	}
	return -1;
}

/*
 * 0: good; 1: good answer to an expired nonce (stale); -1: refused.
 */
int
http_digest_ok(struct sim_printer *p, const struct sim_req *req,
    const char *user, const char *password)
{
	char		 u[128], realm[128], nonce[64], uri[2048], resp[64];
	char		 qop[32], nc[32], cnonce[128], want[41];
	char		 ha1[33], ha2[33], calc[33], *tmp, *ep;
	size_t		 tl;
	unsigned long	 issued;
	const char	*h = req->authorization;

	if (h == NULL || strncasecmp(h, "Digest ", 7) != 0)
		return -1;
	h += 7;
	if (digest_param(h, "username", u, sizeof(u)) != 0 ||
	    digest_param(h, "realm", realm, sizeof(realm)) != 0 ||
	    digest_param(h, "nonce", nonce, sizeof(nonce)) != 0 ||
	    digest_param(h, "uri", uri, sizeof(uri)) != 0 ||
	    digest_param(h, "response", resp, sizeof(resp)) != 0)
		return -1;
	if (strcmp(u, user) != 0 || strlen(nonce) != 32)
		return -1;
	{
		char	hex[9];

		memcpy(hex, nonce, 8);
		hex[8] = '\0';
		issued = strtoul(hex, &ep, 16);
		if (*ep != '\0')
			return -1;
	}
	nonce_for(p, issued, want);
	if (strcmp(want, nonce) != 0)
		return -1;
	tl = strlen(u) + strlen(realm) + strlen(password) + strlen(uri) +
	    strlen(nonce) + 512;
	tmp = malloc(tl);
	if (tmp == NULL)
		return -1;
	snprintf(tmp, tl, "%s:%s:%s", u, realm, password);
	md5_hex(tmp, ha1);
	snprintf(tmp, tl, "%s:%s", req->method, uri);
	md5_hex(tmp, ha2);
	if (digest_param(h, "qop", qop, sizeof(qop)) == 0) {
		if (digest_param(h, "nc", nc, sizeof(nc)) != 0 ||
		    digest_param(h, "cnonce", cnonce, sizeof(cnonce)) != 0) {
			free(tmp);
			return -1;
		}
		snprintf(tmp, tl, "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce,
		    qop, ha2);
	} else
		snprintf(tmp, tl, "%s:%s:%s", ha1, nonce, ha2);
	md5_hex(tmp, calc);
	free(tmp);
	if (strcasecmp(calc, resp) != 0)
		return -1;
	if ((unsigned long)time(NULL) > issued + NONCE_TTL)
		return 1;
	return 0;
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

const char *
http_query(const char *query, const char *key, char *out, size_t outlen)
{
	const char	*s = query, *v, *e;
	size_t		 kl = strlen(key), n;
	int		 hi, lo;

	while (s != NULL && *s != '\0') {
		e = strchr(s, '&');
		if (e == NULL)
			e = s + strlen(s);
		if (strncmp(s, key, kl) == 0 && (s[kl] == '=' || s + kl == e)) {
			v = s + kl + (s[kl] == '=' ? 1 : 0);
			n = 0;
			while (v < e && n + 1 < outlen) {
				if (*v == '%' && e - v >= 3 &&
				    (hi = hexval(v[1])) >= 0 &&
				    (lo = hexval(v[2])) >= 0) {
					out[n++] = (char)(hi * 16 + lo);
					v += 3;
				} else {
					out[n++] = *v == '+' ? ' ' : *v;
					v++;
				}
			}
			out[n] = '\0';
			return out;
		}
		s = *e == '&' ? e + 1 : NULL;
	}
	return NULL;
}

int
http_unescape(const char *s, char *out, size_t outlen)
{
	size_t	n = 0;
	int	hi, lo;

	for (; *s != '\0'; s++) {
		if (n + 1 >= outlen)
			return -1;
		if (*s == '%' && (hi = hexval(s[1])) >= 0 &&
		    (lo = hexval(s[2])) >= 0) {
			if (hi == 0 && lo == 0)
				return -1;
			out[n++] = (char)(hi * 16 + lo);
			s += 2;
		} else
			out[n++] = *s;
	}
	out[n] = '\0';
	return 0;
}
