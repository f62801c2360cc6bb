/*
 * parse.c -- query strings, forms, cookies, UTF-8 and JSON bodies.
 */
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/err.h"
#include "http/parse.h"
#include "http/req.h"

int
utf8_valid(const char *str, size_t n, size_t *bad)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i, need, k;
	unsigned		 cp, min;

	for (i = 0; i < n; ) {
		if (s[i] == 0)
			goto fail;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			goto fail;
		if (n - i <= need)
			goto fail;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto fail;
		i += need + 1;
	}
	return 1;
fail:
	*bad = i;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http_urldecode(struct arena *a, const char *s, size_t n, int plus,
    char **out, struct err *e)
{
	char	*d;
	size_t	 i, o, bad;
	int	 hi, lo;

	d = arena_alloc(a, n + 1);
	for (i = o = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n || (hi = hexval((unsigned char)
			    s[i + 1])) < 0 || (lo = hexval((unsigned char)
			    s[i + 2])) < 0)
				return err_set(e, ERR_BAD_REQUEST,
				    "bad percent escape at offset %zu", i);
			d[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus && s[i] == '+')
			d[o++] = ' ';
		else
			d[o++] = s[i];
	}
	d[o] = '\0';
	if (!utf8_valid(d, o, &bad))
		return err_set(e, ERR_BAD_REQUEST,
		    "invalid UTF-8 or NUL in an encoded value at byte %zu", bad);
	*out = d;
	return 0;
}

int
http_parse_form(struct arena *a, const char *s, size_t n, json_t **out,
    struct err *e)
{
	json_t		*obj;
	const char	*p, *end, *amp, *eq;
	char		*k, *v;
	size_t		 count;

	obj = json_object();
	arena_json(a, obj);
	count = 0;
	for (p = s, end = s + n; p < end; p = amp + 1) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp == p)
			continue;
		if (++count > QUERY_MAX_PARAMS)
			return err_set(e, ERR_BAD_REQUEST,
			    "more than %d parameters", QUERY_MAX_PARAMS);
		eq = memchr(p, '=', (size_t)(amp - p));
		if (http_urldecode(a, p, (size_t)((eq ? eq : amp) - p), 1, &k,
		    e) != 0)
			return e->code;
		v = NULL;
		if (eq != NULL && http_urldecode(a, eq + 1,
		    (size_t)(amp - eq - 1), 1, &v, e) != 0)
			return e->code;
		if (*k == '\0')
			return err_set(e, ERR_BAD_REQUEST,
			    "a parameter has no name");
		if (json_object_get(obj, k) != NULL)
			return err_set(e, ERR_BAD_REQUEST,
			    "parameter \"%s\" is given twice", k);
		json_object_set_new(obj, k, json_string(v != NULL ? v : ""));
	}
	*out = obj;
	return 0;
}

int
http_parse_cookies(struct arena *a, const char *hdr, struct kv **out,
    size_t *n)
{
	struct kv	*kv;
	const char	*p, *semi, *eq, *ks, *ke, *vs, *ve;
	size_t		 count;

	kv = arena_calloc(a, COOKIE_MAX, sizeof(*kv));
	count = 0;
	for (p = hdr; p != NULL && *p != '\0' && count < COOKIE_MAX;
	    p = semi != NULL ? semi + 1 : NULL) {
		semi = strchr(p, ';');
		ve = semi != NULL ? semi : p + strlen(p);
		eq = memchr(p, '=', (size_t)(ve - p));
		if (eq == NULL)
			continue;
		for (ks = p; ks < eq && (*ks == ' ' || *ks == '\t'); ks++)
			;
		for (ke = eq; ke > ks && (ke[-1] == ' ' || ke[-1] == '\t');
		    ke--)
			;
		for (vs = eq + 1; vs < ve && (*vs == ' ' || *vs == '\t'); vs++)
			;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
			vs++;
			ve--;
		}
		if (ke == ks)
			continue;
		kv[count].key = arena_strndup(a, ks, (size_t)(ke - ks));
		kv[count].val = arena_strndup(a, vs, (size_t)(ve - vs));
		count++;
	}
	*out = kv;
	*n = count;
	return 0;
}

/* Nesting depth measured on the raw text, so jansson never recurses deep. */
static int
json_too_deep(const char *s, size_t n, size_t *at)
{
	size_t	i;
	int	depth, instr, esc;

	depth = instr = esc = 0;
	for (i = 0; i < n; i++) {
		if (instr) {
			if (esc)
				esc = 0;
			else if (s[i] == '\\')
				esc = 1;
			else if (s[i] == '"')
				instr = 0;
		} else if (s[i] == '"')
			instr = 1;
		else if (s[i] == '{' || s[i] == '[') {
			if (++depth > JSON_MAX_DEPTH) {
				*at = i;
				return 1;
			}
		} else if (s[i] == '}' || s[i] == ']')
			depth--;
	}
	return 0;
}

int
http_parse_json(struct arena *a, const char *s, size_t n, json_t **out,
    struct err *e)
{
	json_error_t	 je;
	json_t		*j;
	size_t		 bad;

	if (!utf8_valid(s, n, &bad))
		return err_set(e, ERR_BAD_REQUEST,
		    "the body is not valid UTF-8 (byte %zu)", bad);
	if (json_too_deep(s, n, &bad))
		return err_set(e, ERR_BAD_REQUEST,
		    "JSON nests deeper than %d levels (byte %zu)",
		    JSON_MAX_DEPTH, bad);
	j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		err_set(e, ERR_BAD_REQUEST,
		    "malformed JSON at line %d, column %d (byte %d): %s",
		    je.line, je.column, je.position, je.text);
		return ERR_BAD_REQUEST;
	}
	arena_json(a, j);
	if (!json_is_object(j))
		return err_set(e, ERR_BAD_REQUEST,
		    "the JSON body must be an object");
	*out = j;
	return 0;
}
