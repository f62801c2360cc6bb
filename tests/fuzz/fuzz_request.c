/*
 * fuzz_request.c -- libFuzzer target for the request parsers.
 *
 * The input is split at the first two newlines into a query string, a
 * Cookie header and a JSON body; each goes through its parser, and the
 * query and body then through the parameter rules of a sample route.
 * Nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "http/parse.h"
#include "http/req.h"
#include "http/router.h"

static const struct param rules[] = {
	{ "limit", IN_QUERY, P_INT, 0, 1, 500, NULL },
	{ "name", IN_BODY, P_STR, 0, 1, 64, NULL },
	{ "kind", IN_BODY, P_ENUM, 0, 0, 0, "a|b" },
	{ "tags", IN_BODY, P_STRLIST, 0, 1, 4, "x|y" },
	{ "on", IN_BODY, P_BOOL, 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

static int
noop(struct req *r)
{
	return 0;
}

static const struct route rt = { "POST", "/f", noop, ROLE_ANY, 0, rules,
	NULL };

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena	*a;
	struct err		 e;
	struct kv		*kv;
	const char		*s = (const char *)data, *nl1, *nl2;
	json_t			*q, *b, *args;
	size_t			 nkv;
	char			*cookie;

	if (a == NULL)
		a = arena_new(65536);
	memset(&e, 0, sizeof(e));
	nl1 = memchr(s, '\n', size);
	if (nl1 == NULL)
		nl1 = s + size;
	nl2 = nl1 < s + size ? memchr(nl1 + 1, '\n',
	    (size_t)(s + size - nl1 - 1)) : NULL;
	if (nl2 == NULL)
		nl2 = s + size;
	q = b = NULL;
	http_parse_form(a, s, (size_t)(nl1 - s), &q, &e);
	err_clear(&e);
	if (nl1 < s + size) {
		cookie = arena_strndup(a, nl1 + 1, (size_t)(nl2 - nl1 - 1));
		http_parse_cookies(a, cookie, &kv, &nkv);
	}
	if (nl2 < s + size)
		http_parse_json(a, nl2 + 1, (size_t)(s + size - nl2 - 1), &b,
		    &e);
	err_clear(&e);
	args = json_object();
	params_validate(&rt, q, b, args, &e);
	err_clear(&e);
	json_decref(args);
	arena_reset(a);
	return 0;
}
