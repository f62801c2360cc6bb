/*
 * parse.h -- pure parsers for request parts: no I/O, no globals.
 *
 * Every function takes bytes and an arena, returns 0 or an error code with
 * the position of the problem in the error record.
 */
#ifndef PY_HTTP_PARSE_H
#define PY_HTTP_PARSE_H

#include <stddef.h>
#include <jansson.h>

struct arena;
struct err;
struct kv;

#define QUERY_MAX_PARAMS	64
#define COOKIE_MAX		32
#define JSON_MAX_DEPTH		32

/* 1 when s[0..n) is valid UTF-8 without NUL; else 0 and *bad = offset. */
int	utf8_valid(const char *s, size_t n, size_t *bad);

/*
 * Percent-decodes s[0..n) (and '+' as space when plus is set) into the
 * arena.  Bad escapes, NUL bytes and invalid UTF-8 are ERR_BAD_REQUEST.
 */
int	http_urldecode(struct arena *, const char *s, size_t n, int plus,
	    char **out, struct err *);

/*
 * Parses a query string or urlencoded form into a JSON object of strings.
 * A repeated name, more than QUERY_MAX_PARAMS names, or a bad escape is
 * ERR_BAD_REQUEST.  The object is freed with the arena.
 */
int	http_parse_form(struct arena *, const char *s, size_t n, json_t **out,
	    struct err *);

/* Parses a Cookie header into at most COOKIE_MAX pairs (others ignored). */
int	http_parse_cookies(struct arena *, const char *hdr, struct kv **out,
	    size_t *n);

/*
 * Parses a JSON body that must be an object.  Invalid UTF-8 and malformed
 * JSON are ERR_BAD_REQUEST naming the line, column and byte offset;
 * nesting deeper than JSON_MAX_DEPTH and duplicate keys too.
 */
int	http_parse_json(struct arena *, const char *s, size_t n, json_t **out,
	    struct err *);

#endif
