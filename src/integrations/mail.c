/*
 * mail.c -- RFC 5322 messages and their delivery over SMTP (libcurl).
 *
 * Composition writes through a sticky writer: the first buffer error
 * stops all further output and is returned once at the end, so the
 * encoders need no error checks of their own.  Every header line is
 * kept at 78 octets where the content allows a fold and never past
 * MAIL_LINE_MAX; quoted-printable body lines stay at MAIL_QP_LINE.
 *
 * The multipart boundary is a constant: it starts with "=_", which a
 * quoted-printable body can never contain ('=' is always written as
 * "=3D" or ends a line as a soft break), so no part can close early.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "core/err.h"
#include "integrations/mail.h"

#define HEADER_FOLD	78	/* the line length RFC 5322 asks for */
#define WORD_LINE	76	/* lines with encoded-words (RFC 2047) */
#define WORD_OPEN	"=?UTF-8?Q?"
#define WORD_CLOSE	"?="
#define BOUNDARY	"=_printyard_alternative"
#define REPLY_MAX	400	/* of the server's last answer, kept */

struct out {
	struct buf	*b;
	int		 rc;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->rc == 0)
		o->rc = buf_add(o->b, s, n);
}

static void
put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Length of the UTF-8 sequence at s, or 0 when it is not valid UTF-8. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t	n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static int
utf8_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;

	while (*p != '\0') {
		if ((n = utf8_len(p)) == 0)
			return 0;
		p += n;
	}
	return 1;
}

/*
 * A value that goes into a header: one line, no control characters,
 * UTF-8, at most max octets.  A line break is named on its own because
 * it is how headers would be forged.
 */
static int
header_value_ok(const char *field, const char *v, size_t max,
    struct err *e)
{
	const unsigned char	*p;

	if (strlen(v) > max)
		return err_set(e, ERR_INVALID, "%s is longer than %zu bytes",
		    field, max);
	if (strpbrk(v, "\r\n") != NULL)
		return err_set(e, ERR_INVALID, "%s must be one line: a CR or "
		    "LF in it would start a header of its own", field);
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return err_set(e, ERR_INVALID,
			    "%s holds a control character", field);
	if (!utf8_valid(v))
		return err_set(e, ERR_INVALID, "%s is not UTF-8", field);
	return 0;
}

static int
atext(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

/* A dot-atom of n octets: atext runs joined by single dots. */
static int
dot_atom(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '.' ? s[i + 1] == '.' :
		    !atext((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * Plain ASCII addresses only (local@domain, the local part a dot-atom,
 * the domain letters, digits, '-' and dots with at least one dot): no
 * quoted local parts, no SMTPUTF8.  That is what shops and customers
 * type, and nothing in it can change the meaning of a header or of an
 * SMTP command.
 */
int
mail_address_ok(const char *a)
{
	const char	*at;
	size_t		 n, i;

	if (a == NULL || (n = strlen(a)) > MAIL_ADDRESS_MAX ||
	    (at = strchr(a, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	if (at - a > 64 || !dot_atom(a, (size_t)(at - a)))
		return 0;
	at++;
	if (!dot_atom(at, strlen(at)) || strchr(at, '.') == NULL)
		return 0;
	for (i = 0; at[i] != '\0'; i++)
		if (!isalnum((unsigned char)at[i]) && at[i] != '-' &&
		    at[i] != '.')
			return 0;
	return 1;
}

/* "<left@right>", both sides dot-atoms (RFC 5322 msg-id). */
static int
message_id_ok(const char *id)
{
	const char	*at;
	size_t		 n;

	if (id == NULL || (n = strlen(id)) < 5 || n > MAIL_ID_MAX ||
	    id[0] != '<' || id[n - 1] != '>' ||
	    (at = strchr(id, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	return dot_atom(id + 1, (size_t)(at - id - 1)) &&
	    dot_atom(at + 1, (size_t)(id + n - 1 - at - 1));
}

/* Octets one character takes inside a Q encoded-word in any header. */
static size_t
q_len(const unsigned char *s, size_t n)
{
	size_t	i, len;

	len = 0;
	for (i = 0; i < n; i++)
		len += isalnum(s[i]) || s[i] == ' ' ||
		    strchr("!*+-/", s[i]) != NULL ? 1 : 3;
	return len;
}

static void
q_put(struct out *o, const unsigned char *s, size_t n)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 enc[3];
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (s[i] == ' ')
			put(o, "_", 1);
		else if (isalnum(s[i]) || strchr("!*+-/", s[i]) != NULL)
			put(o, (const char *)&s[i], 1);
		else {
			enc[0] = '=';
			enc[1] = hex[s[i] >> 4];
			enc[2] = hex[s[i] & 0x0f];
			put(o, enc, 3);
		}
	}
}

/*
 * Writes v as encoded-words from column col on.  The Q alphabet used is
 * the one RFC 2047 allows in a phrase, so the same words serve subjects
 * and display names.  A character's octets never straddle two words,
 * and each word starts a folded line when the one in hand is full.
 * Returns the column after the last word.
 */
static size_t
put_words(struct out *o, size_t col, const char *v)
{
	const unsigned char	*p = (const unsigned char *)v;
	size_t			 n, w, room;
	int			 open;

	open = 0;
	room = 0;
	while (*p != '\0') {
		n = utf8_len(p);
		w = q_len(p, n);
		if (open && w > room) {
			put_str(o, WORD_CLOSE);
			open = 0;
		}
		if (!open) {
			if (col + strlen(WORD_OPEN) + w + strlen(WORD_CLOSE) >
			    WORD_LINE) {
				put_str(o, "\r\n ");
				col = 1;
			} else if (col > 0 && p != (const unsigned char *)v) {
				put_str(o, " ");
				col++;
			}
			put_str(o, WORD_OPEN);
			col += strlen(WORD_OPEN) + strlen(WORD_CLOSE);
			room = MAIL_WORD_MAX - strlen(WORD_OPEN) -
			    strlen(WORD_CLOSE);
			if (room > WORD_LINE - col)
				room = WORD_LINE - col;
			open = 1;
		}
		q_put(o, p, n);
		room -= w;
		col += w;
		p += n;
	}
	if (open)
		put_str(o, WORD_CLOSE);
	return col;
}

/* 1 when v can stand as it is: printable ASCII, nothing like a word. */
static int
plain_ascii(const char *v)
{
	const char	*p;

	for (p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return 0;
	return strstr(v, "=?") == NULL;
}

/*
 * An unstructured value (the subject): plain ASCII folded before spaces
 * so lines stay near HEADER_FOLD, unless a run without spaces is too
 * long to fit any line or the text is not plain; then encoded-words.
 */
static void
put_unstructured(struct out *o, size_t col, const char *v)
{
	const char	*start, *p, *fold;
	size_t		 run;

	run = 0;
	for (p = v; *p != '\0'; p++)
		run = *p == ' ' ? 0 : run + 1;
	/* a fold must leave no line of white space alone */
	if (!plain_ascii(v) || *v == '\0' || *v == ' ' ||
	    v[strlen(v) - 1] == ' ' || strstr(v, "  ") != NULL ||
	    run > MAIL_LINE_MAX - HEADER_FOLD) {
		put_words(o, col, v);
		return;
	}
	start = v;
	while (col + strlen(start) > HEADER_FOLD) {
		/* the last space that keeps the line short, else the next */
		fold = NULL;
		for (p = start + 1; *p != '\0'; p++) {
			if (*p != ' ')
				continue;
			if (fold != NULL && col + (size_t)(p - start) >
			    HEADER_FOLD)
				break;
			fold = p;
		}
		if (fold == NULL)
			break;
		put(o, start, (size_t)(fold - start));
		put_str(o, "\r\n");
		start = fold;
		col = 0;
	}
	put_str(o, start);
}

/* "Name" <addr>, or =?UTF-8?Q?...?= <addr>, or addr alone. */
static void
put_mailbox(struct out *o, const char *field, const char *name,
    const char *addr)
{
	const char	*p;
	size_t		 col, quoted;

	put_str(o, field);
	put_str(o, ": ");
	col = strlen(field) + 2;
	if (name == NULL || *name == '\0') {
		put_str(o, addr);
		put_str(o, "\r\n");
		return;
	}
	quoted = 2;
	for (p = name; *p != '\0'; p++)
		quoted += *p == '"' || *p == '\\' ? 2 : 1;
	if (plain_ascii(name) && col + quoted <= WORD_LINE) {
		put_str(o, "\"");
		for (p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				put_str(o, "\\");
			put(o, p, 1);
		}
		put_str(o, "\"");
		col += quoted;
	} else
		col = put_words(o, col, name);
	put_str(o, col + strlen(addr) + 3 > HEADER_FOLD ? "\r\n <" : " <");
	put_str(o, addr);
	put_str(o, ">\r\n");
}

/* RFC 5322 date in UTC; names written here so no locale can change them. */
static void
put_date(struct out *o, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	tm;
	char		line[64];

	gmtime_r(&t, &tm);
	snprintf(line, sizeof(line), "Date: %s, %02d %s %04d %02d:%02d:%02d "
	    "+0000\r\n", days[tm.tm_wday % 7], tm.tm_mday,
	    months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	put_str(o, line);
}

static int
line_end(const char *p)
{
	return *p == '\0' || *p == '\r' || *p == '\n';
}

/*
 * Quoted-printable (RFC 2045 6.7): line breaks of any kind become CRLF,
 * '=' and every octet outside printable ASCII are escaped, and so is
 * white space before a line end and a '.' that starts a line (some
 * relays still mangle those).  Lines are cut with a soft break before
 * they pass MAIL_QP_LINE.  Ends with CRLF when v does.
 */
static void
put_qp(struct out *o, const char *v)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			 enc[3];
	size_t			 col, n;
	int			 literal;

	col = 0;
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n') {
			if (*p == '\r' && p[1] == '\n')
				p++;
			put_str(o, "\r\n");
			col = 0;
			continue;
		}
		literal = (*p >= 33 && *p <= 126 && *p != '=') ||
		    ((*p == ' ' || *p == '\t') &&
		    !line_end((const char *)p + 1));
		n = literal ? 1 : 3;
		if (col + n > MAIL_QP_LINE - 1) {
			put_str(o, "=\r\n");
			col = 0;
		}
		if (col == 0 && *p == '.') {
			literal = 0;
			n = 3;
		}
		if (literal)
			put(o, (const char *)p, 1);
		else {
			enc[0] = '=';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 0x0f];
			put(o, enc, 3);
		}
		col += n;
	}
}

static void
put_part_headers(struct out *o, const char *type)
{
	put_str(o, "Content-Type: ");
	put_str(o, type);
	put_str(o, "; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n");
}

static int
body_ok(const char *field, const char *v, struct err *e)
{
	if (strlen(v) > MAIL_BODY_MAX)
		return err_set(e, ERR_INVALID, "%s is longer than %d bytes",
		    field, MAIL_BODY_MAX);
	if (!utf8_valid(v))
		return err_set(e, ERR_INVALID, "%s is not UTF-8", field);
	return 0;
}

int
mail_compose(const struct mail *m, struct buf *b, struct err *e)
{
	struct out	 o = { b, 0 };
	const char	*fname, *tname;
	int		 alt;

	fname = m->from_name != NULL ? m->from_name : "";
	tname = m->to_name != NULL ? m->to_name : "";
	alt = m->html != NULL && *m->html != '\0';
	if (m->from == NULL || !mail_address_ok(m->from))
		return err_set(e, ERR_INVALID, "from: \"%s\" is not an e-mail "
		    "address", m->from != NULL ? m->from : "");
	if (m->to == NULL || !mail_address_ok(m->to))
		return err_set(e, ERR_INVALID, "to: \"%.254s\" is not an "
		    "e-mail address",
		    m->to != NULL && strpbrk(m->to, "\r\n") == NULL ? m->to :
		    "(more than one line)");
	if (!message_id_ok(m->message_id))
		return err_set(e, ERR_INVALID, "message_id must look like "
		    "<unique@domain>");
	if (m->subject == NULL || *m->subject == '\0')
		return err_set(e, ERR_INVALID, "subject is empty");
	if (m->text == NULL || *m->text == '\0')
		return err_set(e, ERR_INVALID, "text is empty");
	if (header_value_ok("from_name", fname, MAIL_NAME_MAX, e) != 0 ||
	    header_value_ok("to_name", tname, MAIL_NAME_MAX, e) != 0 ||
	    header_value_ok("subject", m->subject, MAIL_SUBJECT_MAX,
	    e) != 0 || body_ok("text", m->text, e) != 0 ||
	    (alt && body_ok("html", m->html, e) != 0))
		return e->code;

	put_mailbox(&o, "From", fname, m->from);
	put_mailbox(&o, "To", tname, m->to);
	put_str(&o, "Subject: ");
	put_unstructured(&o, strlen("Subject: "), m->subject);
	put_str(&o, "\r\n");
	put_date(&o, m->date);
	put_str(&o, "Message-ID: ");
	put_str(&o, m->message_id);
	put_str(&o, "\r\nMIME-Version: 1.0\r\n");
	if (!alt) {
		put_part_headers(&o, "text/plain");
		put_str(&o, "\r\n");
		put_qp(&o, m->text);
		put_str(&o, "\r\n");
	} else {
		put_str(&o, "Content-Type: multipart/alternative;\r\n"
		    " boundary=\"" BOUNDARY "\"\r\n\r\n"
		    "--" BOUNDARY "\r\n");
		put_part_headers(&o, "text/plain");
		put_str(&o, "\r\n");
		put_qp(&o, m->text);
		put_str(&o, "\r\n--" BOUNDARY "\r\n");
		put_part_headers(&o, "text/html");
		put_str(&o, "\r\n");
		put_qp(&o, m->html);
		put_str(&o, "\r\n--" BOUNDARY "--\r\n");
	}
	if (o.rc != 0)
		return err_set(e, o.rc, "the message is larger than %zu bytes",
		    b->max);
	return 0;
}

/* ---- delivery ---- */

struct upload {
	const char	*p;
	size_t		 left;
};

struct reply {
	char	line[REPLY_MAX];
};

static size_t
upload_read(char *dst, size_t size, size_t n, void *ctx)
{
	struct upload	*u = ctx;
	size_t		 want;

	want = size * n < u->left ? size * n : u->left;
	memcpy(dst, u->p, want);
	u->p += want;
	u->left -= want;
	return want;
}

/*
 * libcurl hands every SMTP reply line to the header callback.  The first
 * refusal (4xx or 5xx) is the answer to the command that failed; the
 * polite replies that follow it (to QUIT) must not replace it.
 */
static size_t
reply_keep(char *data, size_t size, size_t n, void *ctx)
{
	struct reply	*r = ctx;
	size_t		 len;

	len = size * n;
	if (r->line[0] != '\0' || len < 4 || (data[0] != '4' &&
	    data[0] != '5') || data[3] == '-')
		return len;
	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if (len >= sizeof(r->line))
		len = sizeof(r->line) - 1;
	memcpy(r->line, data, len);
	r->line[len] = '\0';
	return size * n;
}

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	return size * n;
}

/* Which failures a later attempt may get past. */
static enum err_code
classify(CURLcode rc, long code)
{
	if (code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED)
		return ERR_INVALID;
	/*
	 * Refused credentials are the shop's configuration, not the
	 * recipient's: mail waits for the fix instead of failing for good.
	 */
	return ERR_UNAVAILABLE;
}

int
mail_send(const struct mail_server *s, const char *from, const char *to,
    const char *msg, size_t len, struct err *e)
{
	CURL			*h;
	CURLcode		 rc;
	struct curl_slist	*rcpt;
	struct upload		 up = { msg, len };
	struct reply		 reply;
	char			 envfrom[MAIL_ADDRESS_MAX + 3];
	char			 envto[MAIL_ADDRESS_MAX + 3];
	char			 errbuf[CURL_ERROR_SIZE];
	long			 code;

	if (!mail_address_ok(from) || !mail_address_ok(to))
		return err_set(e, ERR_INVALID, "the envelope needs plain "
		    "e-mail addresses");
	if ((h = curl_easy_init()) == NULL)
		return err_set(e, ERR_INTERNAL, "libcurl cannot start");
	snprintf(envfrom, sizeof(envfrom), "<%s>", from);
	snprintf(envto, sizeof(envto), "<%s>", to);
	rcpt = curl_slist_append(NULL, envto);
	reply.line[0] = '\0';
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, s->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, envfrom);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, reply_keep);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &reply);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->connect_timeout_s > 0 ?
	    s->connect_timeout_s : (long)MAIL_CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, s->timeout_s > 0 ?
	    s->timeout_s : (long)MAIL_TIMEOUT_S);
	if (s->starttls)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (s->user != NULL && *s->user != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    s->password != NULL ? s->password : "");
	}
	rc = curl_easy_perform(h);
	code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	if (rc == CURLE_OK)
		return 0;
	err_set(e, classify(rc, code), "the mail server %s: %s",
	    code >= 400 ? "refused the mail" : "could not be reached",
	    reply.line[0] != '\0' && code >= 400 ? reply.line :
	    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	err_detail(e, "%s (%s)", curl_easy_strerror(rc), s->url);
	return e->code;
}
