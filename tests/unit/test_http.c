/*
 * test_http.c -- request parsers, router, parameter rules, login tokens,
 * the YAML reader and language choice.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "unit.h"
#include <jwt.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "core/err.h"
#include "http/auth.h"
#include "http/parse.h"
#include "http/req.h"
#include "http/router.h"
#include "parse/multipart.h"
#include "parse/yaml.h"
#include "view/format.h"
#include "view/view.h"

static struct arena	*a;
static struct err	 e;

static void
setup(void)
{
	a = arena_new(8192);
	memset(&e, 0, sizeof(e));
}

static void
teardown(void)
{
	err_clear(&e);
	arena_free(a);
}

START_TEST(test_query_strings_decode_and_reject_bad_input)
{
	json_t	*q;

	ck_assert_int_eq(http_parse_form(a, "a=1&b=x+y%21&c=&&d", 18, &q, &e),
	    0);
	ck_assert_str_eq(json_string_value(json_object_get(q, "a")), "1");
	ck_assert_str_eq(json_string_value(json_object_get(q, "b")), "x y!");
	ck_assert_str_eq(json_string_value(json_object_get(q, "c")), "");
	ck_assert_str_eq(json_string_value(json_object_get(q, "d")), "");
	ck_assert_int_eq(http_parse_form(a, "a=1&a=2", 7, &q, &e),
	    ERR_BAD_REQUEST);
	ck_assert_int_eq(http_parse_form(a, "a=%zz", 5, &q, &e),
	    ERR_BAD_REQUEST);
	ck_assert_int_eq(http_parse_form(a, "a=%4", 4, &q, &e),
	    ERR_BAD_REQUEST);
	ck_assert_int_eq(http_parse_form(a, "a=%00", 5, &q, &e),
	    ERR_BAD_REQUEST);
	ck_assert_int_eq(http_parse_form(a, "a=%ff", 5, &q, &e),
	    ERR_BAD_REQUEST);
}
END_TEST

START_TEST(test_cookies_are_split_and_trimmed)
{
	struct kv	*kv;
	size_t		 n;

	http_parse_cookies(a, "a=1; b = two ;c=\"q\"; junk; =x", &kv, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(kv[0].key, "a");
	ck_assert_str_eq(kv[1].key, "b");
	ck_assert_str_eq(kv[1].val, "two");
	ck_assert_str_eq(kv[2].val, "q");
	http_parse_cookies(a, NULL, &kv, &n);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_utf8_validation_finds_the_bad_byte)
{
	size_t	bad;

	ck_assert_int_eq(utf8_valid("gr\xc3\xbc\xc3\x9f", 6, &bad), 1);
	ck_assert_int_eq(utf8_valid("ab\xc3", 3, &bad), 0);
	ck_assert_uint_eq(bad, 2);
	ck_assert_int_eq(utf8_valid("\xed\xa0\x80", 3, &bad), 0);
	ck_assert_int_eq(utf8_valid("\xc0\xaf", 2, &bad), 0);
	ck_assert_int_eq(utf8_valid("a\0b", 3, &bad), 0);
	ck_assert_uint_eq(bad, 1);
}
END_TEST

START_TEST(test_json_bodies_report_the_position_of_errors)
{
	json_t	*j;
	char	 deep[200];

	ck_assert_int_eq(http_parse_json(a, "{\"a\": 1}", 8, &j, &e), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "a")), 1);
	ck_assert_int_eq(http_parse_json(a, "{\"a\": }", 7, &j, &e),
	    ERR_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(e.message, "line 1, column"));
	ck_assert_int_eq(http_parse_json(a, "[1]", 3, &j, &e), ERR_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(e.message, "object"));
	ck_assert_int_eq(http_parse_json(a, "{\"a\":1,\"a\":2}", 13, &j, &e),
	    ERR_BAD_REQUEST);
	ck_assert_int_eq(http_parse_json(a, "{\"a\":\"\xff\"}", 9, &j, &e),
	    ERR_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(e.message, "UTF-8"));
	memset(deep, '[', sizeof(deep));
	deep[0] = '{';
	ck_assert_int_eq(http_parse_json(a, deep, sizeof(deep), &j, &e),
	    ERR_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(e.message, "deeper"));
}
END_TEST

START_TEST(test_router_matches_paths_and_answers_404_and_405)
{
	json_t		*args;
	const char	*allow;
	int		 idx;

	ck_assert_int_eq(router_init(NULL, &e), 0);
	ck_assert_uint_gt(router_count(), 10);
	args = json_object();
	ck_assert_int_eq(router_match(a, "POST", "/api/v1/apikeys/17/revoke",
	    args, &idx, &allow, &e), 0);
	ck_assert_str_eq(router_entry((size_t)idx)->route->path,
	    "/api/v1/apikeys/{id}/revoke");
	ck_assert_str_eq(json_string_value(json_object_get(args, "id")), "17");
	ck_assert_int_eq(router_match(a, "GET", "/api/v1/health/", args, &idx,
	    &allow, &e), 0);
	ck_assert_int_eq(router_match(a, "HEAD", "/api/v1/health", args, &idx,
	    &allow, &e), 0);
	ck_assert_int_eq(router_match(a, "GET", "/api/v1/nothing", args, &idx,
	    &allow, &e), ERR_NOT_FOUND);
	ck_assert_int_eq(router_match(a, "DELETE", "/api/v1/apikeys", args,
	    &idx, &allow, &e), ERR_METHOD);
	ck_assert_ptr_nonnull(strstr(allow, "GET"));
	ck_assert_ptr_nonnull(strstr(allow, "POST"));
	json_decref(args);
}
END_TEST

static const struct param rules[] = {
	{ "id", IN_PATH, P_INT, 1, 1, 1000, NULL },
	{ "limit", IN_QUERY, P_INT, 0, 1, 500, NULL },
	{ "name", IN_BODY, P_STR, 1, 1, 5, NULL },
	{ "kind", IN_BODY, P_ENUM, 0, 0, 0, "a|b" },
	{ "tags", IN_BODY, P_STRLIST, 0, 1, 2, "x|y" },
	{ "on", IN_BODY, P_BOOL, 0, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};
static int
noop(struct req *r)
{
	return 0;
}
static const struct route rt = { "POST", "/t/{id}", noop, ROLE_ANY, 0,
	rules, NULL };

static int
validate(const char *path_id, const char *query, const char *body,
    json_t **args)
{
	json_t	*q, *b;

	err_clear(&e);
	*args = json_object();
	arena_defer(a, (void (*)(void *))json_decref, *args);
	json_object_set_new(*args, "id", json_string(path_id));
	http_parse_form(a, query, strlen(query), &q, &e);
	http_parse_json(a, body, strlen(body), &b, &e);
	return params_validate(&rt, q, b, *args, &e);
}

START_TEST(test_parameter_rules_type_and_bound_every_value)
{
	json_t	*args;

	ck_assert_int_eq(validate("7", "limit=20", "{\"name\":\"abc\","
	    "\"kind\":\"b\",\"tags\":[\"x\"],\"on\":true}", &args), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(args, "id")), 7);
	ck_assert_int_eq(json_integer_value(json_object_get(args, "limit")),
	    20);
	ck_assert_int_eq(validate("7", "", "{\"name\":\"abc\",\"bogus\":1}",
	    &args), ERR_INVALID);
	ck_assert_ptr_nonnull(json_object_get(e.fields, "bogus"));
	ck_assert_int_eq(validate("7", "", "{}", &args), ERR_INVALID);
	ck_assert_str_eq(json_string_value(json_object_get(e.fields, "name")),
	    "is required");
	ck_assert_int_eq(validate("7", "", "{\"name\":\"abcdef\"}", &args),
	    ERR_INVALID);
	ck_assert_int_eq(validate("7", "", "{\"name\":5}", &args),
	    ERR_INVALID);
	ck_assert_int_eq(validate("7", "", "{\"name\":\"a\",\"kind\":\"c\"}",
	    &args), ERR_INVALID);
	ck_assert_int_eq(validate("7", "", "{\"name\":\"a\",\"tags\":[\"z\"]}",
	    &args), ERR_INVALID);
	ck_assert_int_eq(validate("7", "limit=0", "{\"name\":\"a\"}", &args),
	    ERR_BAD_REQUEST);
	ck_assert_int_eq(validate("7", "limit=ten", "{\"name\":\"a\"}",
	    &args), ERR_BAD_REQUEST);
	ck_assert_int_eq(validate("x", "", "{\"name\":\"a\"}", &args),
	    ERR_NOT_FOUND);
	ck_assert_int_eq(validate("5000", "", "{\"name\":\"a\"}", &args),
	    ERR_NOT_FOUND);
}
END_TEST

static struct secret	key;

static char *
forge(jwt_alg_t alg, const unsigned char *k, size_t klen, long exp)
{
	jwt_t	*j;
	char	*s, *out;

	jwt_new(&j);
	jwt_add_grant(j, "sub", "1");
	jwt_add_grant(j, "sid", "abc");
	if (exp != 0)
		jwt_add_grant_int(j, "exp", exp);
	jwt_set_alg(j, alg, k, (int)klen);
	s = jwt_encode_str(j);
	out = arena_strdup(a, s);
	free(s);
	jwt_free(j);
	return out;
}

START_TEST(test_tokens_verify_and_bad_ones_are_refused)
{
	const char	*sid, *tok;
	long long	 uid;
	time_t		 now;
	char		*t;
	size_t		 n;

	crypto_random(&key, sizeof(key));
	now = time(NULL);
	tok = auth_token_issue(a, &key, 42, "sess1", now, 60);
	ck_assert_int_eq(auth_token_verify(a, &key, tok, now, &sid, &uid, &e),
	    0);
	ck_assert_int_eq(uid, 42);
	ck_assert_str_eq(sid, "sess1");
	/* expired */
	ck_assert_int_eq(auth_token_verify(a, &key, tok, now + 61, &sid, &uid,
	    &e), ERR_UNAUTHORIZED);
	ck_assert_ptr_nonnull(strstr(e.message, "expired"));
	/* alg none */
	ck_assert_int_eq(auth_token_verify(a, &key, forge(JWT_ALG_NONE, NULL,
	    0, now + 60), now, &sid, &uid, &e), ERR_UNAUTHORIZED);
	/* another algorithm with the same key */
	ck_assert_int_eq(auth_token_verify(a, &key, forge(JWT_ALG_HS512,
	    key.sign_key, 32, now + 60), now, &sid, &uid, &e),
	    ERR_UNAUTHORIZED);
	/* signed with another key */
	ck_assert_int_eq(auth_token_verify(a, &key, forge(JWT_ALG_HS256,
	    key.seal_key, 32, now + 60), now, &sid, &uid, &e),
	    ERR_UNAUTHORIZED);
	/* no expiry at all */
	ck_assert_int_eq(auth_token_verify(a, &key, forge(JWT_ALG_HS256,
	    key.sign_key, 32, 0), now, &sid, &uid, &e), ERR_UNAUTHORIZED);
	/* a flipped signature character */
	t = arena_strdup(a, tok);
	n = strlen(t);
	t[n - 2] = t[n - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(auth_token_verify(a, &key, t, now, &sid, &uid, &e),
	    ERR_UNAUTHORIZED);
	ck_assert_int_eq(auth_token_verify(a, &key, "garbage", now, &sid,
	    &uid, &e), ERR_UNAUTHORIZED);
}
END_TEST

START_TEST(test_api_keys_and_csrf_tokens_are_random_and_bound)
{
	char	*k1, *p1, *h1, *k2, *p2, *h2;

	auth_apikey_new(a, &k1, &p1, &h1);
	auth_apikey_new(a, &k2, &p2, &h2);
	ck_assert_int_eq(strncmp(k1, APIKEY_PREFIX, 4), 0);
	ck_assert_int_eq(strncmp(k1, p1, strlen(p1)), 0);
	ck_assert_str_ne(k1, k2);
	ck_assert_uint_eq(strlen(h1), 64);
	crypto_random(&key, sizeof(key));
	ck_assert_str_eq(auth_csrf_token(a, &key, "s1"),
	    auth_csrf_token(a, &key, "s1"));
	ck_assert_str_ne(auth_csrf_token(a, &key, "s1"),
	    auth_csrf_token(a, &key, "s2"));
}
END_TEST

START_TEST(test_yaml_becomes_json_with_typed_scalars)
{
	json_t		*j;
	const char	*y = "a: 1\nb: [x, 'y', true]\nc:\n  d: 2.5\n  e: null\n"
			    "f: \"007\"\n";

	ck_assert_int_eq(yaml_to_json(y, strlen(y), &j, &e), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "a")), 1);
	ck_assert(json_is_true(json_array_get(json_object_get(j, "b"), 2)));
	ck_assert(json_is_real(json_object_get(json_object_get(j, "c"), "d")));
	ck_assert(json_is_null(json_object_get(json_object_get(j, "c"), "e")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "f")), "007");
	json_decref(j);
	ck_assert_int_eq(yaml_to_json("a: [1, 2", 8, &j, &e), ERR_INVALID);
	ck_assert_int_eq(yaml_to_json("a: &x 1\nb: *x\n", 14, &j, &e),
	    ERR_INVALID);
}
END_TEST

START_TEST(test_language_follows_accept_language_quality)
{
	ck_assert_str_eq(view_pick_lang(NULL), "en");
	ck_assert_str_eq(view_pick_lang("de-DE,de;q=0.9,en;q=0.8"), "de");
	ck_assert_str_eq(view_pick_lang("en-US,en;q=0.9,de;q=0.8"), "en");
	ck_assert_str_eq(view_pick_lang("fr-FR, de;q=0.5"), "de");
	ck_assert_str_eq(view_pick_lang("fr"), "en");
	ck_assert_str_eq(view_pick_lang("dem"), "en");
}
END_TEST

START_TEST(test_money_is_exact_and_follows_the_language)
{
	char	b[64];

	ck_assert_str_eq(format_money(b, sizeof(b), 123456, "EUR", "en"),
	    "€1,234.56");
	ck_assert_str_eq(format_money(b, sizeof(b), 123456, "EUR", "de"),
	    "1.234,56 €");
	ck_assert_str_eq(format_money(b, sizeof(b), -5, "EUR", "de"),
	    "-0,05 €");
	ck_assert_str_eq(format_money(b, sizeof(b), 100000000, "USD", "en"),
	    "$1,000,000.00");
	ck_assert_str_eq(format_money(b, sizeof(b), 999, "CHF", "en"),
	    "CHF 9.99");
	ck_assert_str_eq(format_money(b, sizeof(b), 0, "EUR", "en"), "€0.00");
}
END_TEST

START_TEST(test_times_show_in_the_business_time_zone)
{
	char	b[64];

	format_set_timezone("Europe/Berlin");
	/* winter: UTC+1 */
	ck_assert_str_eq(format_datetime(b, sizeof(b),
	    "2026-11-21T11:59:18.2063Z", "de"), "21.11.2026, 12:59");
	ck_assert_str_eq(format_datetime(b, sizeof(b),
	    "2026-11-21T11:59:18Z", "en"), "21 Nov 2026, 12:59");
	/* summer: UTC+2 */
	ck_assert_str_eq(format_datetime(b, sizeof(b),
	    "2026-07-01T22:30:00Z", "de"), "02.07.2026, 00:30");
	format_set_timezone("UTC");
	ck_assert_str_eq(format_datetime(b, sizeof(b),
	    "2026-07-01T22:30:00Z", "de"), "01.07.2026, 22:30");
	ck_assert_str_eq(format_datetime(b, sizeof(b), "yesterday", "en"), "");
	ck_assert_str_eq(format_datetime(b, sizeof(b),
	    "2026-07-01T22:30:00+02", "en"), "");
}
END_TEST

#define FORM_CT	"multipart/form-data; boundary=b0"

static int
form(const char *body, struct form_part *p, char *why)
{
	return form_split(FORM_CT, body, strlen(body), p, 3, why, 256);
}

START_TEST(test_multipart_forms_split_and_refuse_what_is_malformed)
{
	struct form_part	 p[3];
	char			 why[256], big[FORM_HEAD_MAX + 200];
	const struct form_part	*f;
	int			 n;

	n = form("--b0\r\nContent-Disposition: form-data; name=\"file\"; "
	    "filename=\"a \\\"b\\\".stl\"\r\nContent-Type: model/stl\r\n\r\n"
	    "solid\r\nx\r\n--b0\r\nContent-Disposition: form-data; "
	    "name=qty\r\n\r\n3\r\n--b0--\r\n", p, why);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(p[0].name, "file");
	ck_assert_str_eq(p[0].filename, "a \"b\".stl");
	ck_assert_int_eq(p[0].has_filename, 1);
	ck_assert_str_eq(p[0].ctype, "model/stl");
	ck_assert_int_eq(p[0].len, 8);
	ck_assert(memcmp(p[0].data, "solid\r\nx", 8) == 0);
	f = form_field(p, n, "qty");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->has_filename, 0);
	ck_assert_int_eq(f->len, 1);
	ck_assert_ptr_null(form_field(p, n, "material"));

	/* more parts than allowed, no closing boundary, no name */
	ck_assert_int_eq(form("--b0\r\nContent-Disposition: form-data; "
	    "name=a\r\n\r\n1\r\n--b0\r\nContent-Disposition: form-data; "
	    "name=b\r\n\r\n2\r\n--b0\r\nContent-Disposition: form-data; "
	    "name=c\r\n\r\n3\r\n--b0\r\nContent-Disposition: form-data; "
	    "name=d\r\n\r\n4\r\n--b0--", p, why), -1);
	ck_assert_str_eq(why, "more than 3 parts");
	ck_assert_int_eq(form("--b0\r\nContent-Disposition: form-data; "
	    "name=a\r\n\r\n1", p, why), -1);
	ck_assert_str_eq(why, "the body ends before its closing boundary");
	ck_assert_int_eq(form("--b0\r\nContent-Disposition: form-data\r\n\r\n"
	    "1\r\n--b0--", p, why), -1);
	ck_assert(strstr(why, "no name") != NULL);
	ck_assert_int_eq(form_split("application/json", "{}", 2, p, 3, why,
	    sizeof(why)), -1);
	ck_assert(strstr(why, "not multipart/form-data") != NULL);

	/* part headers past FORM_HEAD_MAX */
	snprintf(big, sizeof(big), "--b0\r\nX-Pad: %0*d\r\n"
	    "Content-Disposition: form-data; name=a\r\n\r\n1\r\n--b0--",
	    FORM_HEAD_MAX, 0);
	ck_assert_int_eq(form(big, p, why), -1);
	ck_assert(strstr(why, "headers do not end") != NULL);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("http");
	tc = tcase_create("http");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_query_strings_decode_and_reject_bad_input);
	tcase_add_test(tc, test_cookies_are_split_and_trimmed);
	tcase_add_test(tc, test_utf8_validation_finds_the_bad_byte);
	tcase_add_test(tc, test_json_bodies_report_the_position_of_errors);
	tcase_add_test(tc, test_router_matches_paths_and_answers_404_and_405);
	tcase_add_test(tc, test_parameter_rules_type_and_bound_every_value);
	tcase_add_test(tc, test_tokens_verify_and_bad_ones_are_refused);
	tcase_add_test(tc, test_api_keys_and_csrf_tokens_are_random_and_bound);
	tcase_add_test(tc, test_yaml_becomes_json_with_typed_scalars);
	tcase_add_test(tc, test_language_follows_accept_language_quality);
	tcase_add_test(tc, test_money_is_exact_and_follows_the_language);
	tcase_add_test(tc, test_times_show_in_the_business_time_zone);
	tcase_add_test(tc,
	    test_multipart_forms_split_and_refuse_what_is_malformed);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
