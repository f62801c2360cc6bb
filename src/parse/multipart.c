/*
 * multipart.c -- splits a multipart/form-data body (RFC 7578): the quote
 * upload form of the API, and the upload forms of the simulated OctoPrint
 * and Moonraker.
 *
 * Pure: no I/O, no allocation, no globals.  The boundary comes from the
 * Content-Type ("boundary=", quoted or not, 1 to 70 bytes); the body is
 * an optional preamble, then "--boundary" lines each followed by part
 * headers, an empty line and the part's bytes up to CRLF "--boundary",
 * and "--boundary--" at the end (an epilogue after it is ignored).  Of
 * the part headers two count: Content-Disposition, form-data with name=
 * and an optional filename= (quoted strings may escape with a backslash),
 * and Content-Type, kept as sent.
 *
 * Invariants: every read stays inside body[0..len); a part's headers
 * hold at most FORM_HEAD_MAX bytes; anything else that is not as above
 * (no closing boundary, too many parts, a name too long) is an error,
 * never a guess.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse/multipart.h"

#define FORM_BOUNDARY_MAX	70

/* The first n-byte needle in hay[0..len), or NULL. */
static const char *
find(const char *hay, size_t len, const char *needle, size_t n)
{
	const char	*p, *end;

	if (n == 0 || len < n)
		return NULL;
	end = hay + (len - n);
	for (p = hay; p <= end; p++) {
		p = memchr(p, needle[0], (size_t)(end - p) + 1);
		if (p == NULL)
			return NULL;
		if (memcmp(p, needle, n) == 0)
			return p;
	}
	return NULL;
}

/* Copies a parameter value (quoted or a token) at s; 0 or -1. */
static int
value(const char *s, char *out, size_t outlen)
{
	size_t	n = 0;

	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\0')
				return -1;
			if (*s == '\\' && s[1] != '\0')
				s++;
			if (n + 1 >= outlen)
				return -1;
			out[n++] = *s;
		}
	} else {
		for (; *s != '\0' && *s != ';' && *s != ' ' && *s != '\t';
		    s++) {
			if (n + 1 >= outlen)
				return -1;
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return 0;
}

/*
 * Copies the value of parameter key from a header value such as
 * form-data; name="file"; filename="a.gcode" (a ';' inside quotes
 * separates nothing).  0, 1 when there is none, -1 when it is malformed
 * or does not fit.
 */
static int
param(const char *v, const char *key, char *out, size_t outlen)
{
	const char	*s;
	size_t		 kl = strlen(key);
	int		 quoted = 0;

	for (s = v; *s != '\0'; s++) {
		if (quoted) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '"')
				quoted = 0;
			continue;
		}
		if (*s == '"') {
			quoted = 1;
			continue;
		}
		if (*s != ';')
			continue;
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncasecmp(s, key, kl) == 0 && s[kl] == '=')
			return value(s + kl + 1, out, outlen);
		s--;	/* the loop looks at this byte again */
	}
	return 1;
}

/* The boundary of a multipart/form-data content type; 0 or -1. */
static int
boundary_of(const char *ctype, char *out, size_t outlen)
{
	if (ctype == NULL ||
	    strncasecmp(ctype, "multipart/form-data", 19) != 0 ||
	    (ctype[19] != ';' && ctype[19] != ' ' && ctype[19] != '\0'))
		return -1;
	if (param(ctype, "boundary", out, outlen) != 0 || out[0] == '\0' ||
	    strlen(out) > FORM_BOUNDARY_MAX)
		return -1;
	return 0;
}

/* Reads the headers of one part (h[0..n), CRLF lines) into part. */
static int
part_head(const char *h, size_t n, struct form_part *part, char *why,
    size_t whylen)
{
	char		 line[FORM_HEAD_MAX + 1], *v;
	const char	*end;
	size_t		 ll;
	int		 seen = 0, rc;

	while (n > 0) {
		end = find(h, n, "\r\n", 2);
		ll = end != NULL ? (size_t)(end - h) : n;
		memcpy(line, h, ll);
		line[ll] = '\0';
		h += ll;
		n -= ll;
		if (n >= 2) {
			h += 2;
			n -= 2;
		}
		if (strncasecmp(line, "Content-Type:", 13) == 0) {
			v = line + 13;
			while (*v == ' ' || *v == '\t')
				v++;
			if (strlen(v) >= sizeof(part->ctype)) {
				snprintf(why, whylen, "a part's Content-Type is "
				    "longer than %zu bytes",
				    sizeof(part->ctype) - 1);
				return -1;
			}
			memcpy(part->ctype, v, strlen(v) + 1);
			continue;
		}
		if (strncasecmp(line, "Content-Disposition:", 20) != 0)
			continue;
		v = line + 20;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strncasecmp(v, "form-data", 9) != 0 ||
		    (v[9] != ';' && v[9] != '\0' && v[9] != ' ')) {
			snprintf(why, whylen, "a part is not form-data");
			return -1;
		}
		if (param(v, "name", part->name, sizeof(part->name)) != 0) {
			snprintf(why, whylen, "a part has no name or one "
			    "longer than %zu bytes", sizeof(part->name) - 1);
			return -1;
		}
		rc = param(v, "filename", part->filename,
		    sizeof(part->filename));
		if (rc < 0) {
			snprintf(why, whylen, "a part's filename is malformed "
			    "or longer than %zu bytes",
			    sizeof(part->filename) - 1);
			return -1;
		}
		part->has_filename = rc == 0;
		seen = 1;
	}
	if (!seen) {
		snprintf(why, whylen, "a part has no Content-Disposition");
		return -1;
	}
	return 0;
}

int
form_split(const char *ctype, const char *body, size_t len,
    struct form_part *parts, size_t max, char *why, size_t whylen)
{
	char		 b[FORM_BOUNDARY_MAX + 1], delim[FORM_BOUNDARY_MAX + 5];
	const char	*p, *end = body + len, *hend, *next;
	size_t		 dl, n = 0;

	if (boundary_of(ctype, b, sizeof(b)) != 0) {
		snprintf(why, whylen, "the body is not multipart/form-data "
		    "with a boundary");
		return -1;
	}
	/* the first delimiter may start the body; later ones follow CRLF */
	snprintf(delim, sizeof(delim), "\r\n--%s", b);
	dl = strlen(delim);
	if (len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0)
		p = body + dl - 2;
	else if ((p = find(body, len, delim, dl)) != NULL)
		p += dl;
	else {
		snprintf(why, whylen, "the body holds no boundary");
		return -1;
	}
	for (;;) {
		/* p is just past a delimiter */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return (int)n;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
			snprintf(why, whylen, "a boundary line does not end "
			    "in CRLF");
			return -1;
		}
		p += 2;
		if (n == max) {
			snprintf(why, whylen, "more than %zu parts", max);
			return -1;
		}
		memset(&parts[n], 0, sizeof(parts[n]));
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			hend = p;	/* no headers at all */
		else if ((hend = find(p, (size_t)(end - p) > FORM_HEAD_MAX ?
		    FORM_HEAD_MAX : (size_t)(end - p), "\r\n\r\n", 4)) !=
		    NULL)
			hend += 2;
		else {
			snprintf(why, whylen, "a part's headers do not end "
			    "within %d bytes", FORM_HEAD_MAX);
			return -1;
		}
		if (part_head(p, (size_t)(hend - p), &parts[n], why,
		    whylen) != 0)
			return -1;
		p = hend + 2;
		if ((next = find(p, (size_t)(end - p), delim, dl)) == NULL) {
			snprintf(why, whylen, "the body ends before its "
			    "closing boundary");
			return -1;
		}
		parts[n].data = p;
		parts[n].len = (size_t)(next - p);
		n++;
		p = next + dl;
	}
}

const struct form_part *
form_field(const struct form_part *parts, int n, const char *name)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(parts[i].name, name) == 0)
			return &parts[i];
	return NULL;
}
