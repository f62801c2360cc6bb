/*
 * test_mustache.c -- Check suite for view/mustache.c.
 *
 * Runs every case of the required Mustache spec modules (comments,
 * delimiters, interpolation, inverted, partials, sections), read from the
 * directory named by MUSTACHE_SPEC_DIR, then Printyard's own cases:
 * escaping, compile errors with line numbers, the output ceiling, the
 * partial depth limit, custom delimiters and partial indentation.
 *
 * Invariants: a missing MUSTACHE_SPEC_DIR or spec file is a failed test,
 * never a skip; every spec case is its own Check test, and a mismatch
 * names the spec file and the case.
 */
#include <check.h>

#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "view/mustache.h"

#define MAX_CASES	1024
#define MAX_PARTIALS	64
#define OUT_MAX		(1024 * 1024)

static const char *const spec_files[] = {
	"comments",
	"delimiters",
	"interpolation",
	"inverted",
	"partials",
	"sections",
};
#define NSPEC_FILES	(sizeof(spec_files) / sizeof(spec_files[0]))

struct spec_case {
	const char	*file;
	json_t		*test;
};

/* Loaded by main() before the runner forks; read-only afterwards. */
static struct spec_case	 cases[MAX_CASES];
static int		 ncases;
static json_t		*roots[NSPEC_FILES];
static char		 load_error[1024];

/* Compiled partials, looked up by name. */
struct partials {
	size_t			 n;
	const char		*names[MAX_PARTIALS];
	const struct mustache	*tmpl[MAX_PARTIALS];
};

static const struct mustache *
find_partial(void *ctx, const char *name)
{
	struct partials	*p = ctx;
	size_t		 i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->names[i], name) == 0)
			return p->tmpl[i];
	return NULL;
}

static void
add_partial(struct arena *a, struct partials *p, const char *name,
    const char *src)
{
	struct err	 err;

	memset(&err, 0, sizeof(err));
	ck_assert_msg(p->n < MAX_PARTIALS, "too many partials");
	p->names[p->n] = name;
	p->tmpl[p->n] = mustache_compile(a, src, strlen(src), &err);
	ck_assert_msg(p->tmpl[p->n] != NULL, "partial %s: %s", name,
	    err.message);
	p->n++;
}

static void
load_specs(void)
{
	const char	*dir, *name;
	json_error_t	 jerr;
	json_t		*tests, *t;
	char		 path[512];
	size_t		 f, i;

	dir = getenv("MUSTACHE_SPEC_DIR");
	if (dir == NULL || *dir == '\0') {
		snprintf(load_error, sizeof(load_error),
		    "MUSTACHE_SPEC_DIR is not set: it must name the mustache "
		    "spec's specs/ directory");
		return;
	}
	for (f = 0; f < NSPEC_FILES; f++) {
		name = spec_files[f];
		if (snprintf(path, sizeof(path), "%s/%s.json", dir, name) >=
		    (int)sizeof(path)) {
			snprintf(load_error, sizeof(load_error),
			    "MUSTACHE_SPEC_DIR is too long");
			return;
		}
		roots[f] = json_load_file(path, 0, &jerr);
		if (roots[f] == NULL) {
			snprintf(load_error, sizeof(load_error),
			    "cannot load spec file %s: %s", path, jerr.text);
			return;
		}
		tests = json_object_get(roots[f], "tests");
		if (!json_is_array(tests) || json_array_size(tests) == 0) {
			snprintf(load_error, sizeof(load_error),
			    "spec file %s has no tests", path);
			return;
		}
		json_array_foreach(tests, i, t) {
			if (ncases == MAX_CASES) {
				snprintf(load_error, sizeof(load_error),
				    "more than %d spec cases", MAX_CASES);
				return;
			}
			cases[ncases].file = name;
			cases[ncases].test = t;
			ncases++;
		}
	}
}

/* Returns a JSON-quoted copy of s[0..len) for messages; free() it. */
static char *
quote(const char *s, size_t len)
{
	json_t	*j;
	char	*q;

	j = json_stringn(s, len);
	q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	return q ? q : strdup("(not UTF-8)");
}

START_TEST(test_spec_files)
{
	if (load_error[0] != '\0')
		ck_abort_msg("%s", load_error);
	ck_assert_int_gt(ncases, 0);
}
END_TEST

START_TEST(test_spec_case)
{
	const struct spec_case	*sc;
	const char		*name, *tsrc, *expected, *key;
	struct arena		*a;
	struct mustache		*m;
	struct partials		 parts;
	struct buf		 out;
	struct err		 err;
	json_t			*val;
	char			*qe, *qg;
	int			 rc, same;

	sc = &cases[_i];
	name = json_string_value(json_object_get(sc->test, "name"));
	tsrc = json_string_value(json_object_get(sc->test, "template"));
	expected = json_string_value(json_object_get(sc->test, "expected"));
	ck_assert_msg(name != NULL && tsrc != NULL && expected != NULL,
	    "%s: case %d is malformed", sc->file, _i);

	a = arena_new(4096);
	memset(&err, 0, sizeof(err));
	memset(&parts, 0, sizeof(parts));
	m = mustache_compile(a, tsrc, strlen(tsrc), &err);
	ck_assert_msg(m != NULL, "%s.json: \"%s\": compile failed: %s",
	    sc->file, name, err.message);
	json_object_foreach(json_object_get(sc->test, "partials"), key, val)
		add_partial(a, &parts, key, json_string_value(val));

	buf_init(&out, OUT_MAX);
	rc = mustache_render(m, json_object_get(sc->test, "data"),
	    find_partial, &parts, &out, &err);
	ck_assert_msg(rc == 0, "%s.json: \"%s\": render failed: %s",
	    sc->file, name, err.message);
	same = out.len == strlen(expected) &&
	    memcmp(out.len ? out.data : "", expected, out.len) == 0;
	if (!same) {
		qe = quote(expected, strlen(expected));
		qg = quote(out.len ? out.data : "", out.len);
		ck_abort_msg("%s.json: \"%s\": expected %s, got %s",
		    sc->file, name, qe, qg);
	}
	buf_free(&out);
	arena_free(a);
}
END_TEST

/*
 * Compiles tsrc, renders it with the JSON view vsrc and the partials p
 * (may be NULL), and returns the render's code; the output is in *out.
 */
static int
render_str(struct arena *a, const char *tsrc, const char *vsrc,
    struct partials *p, struct buf *out, struct err *err)
{
	struct mustache	*m;
	json_error_t	 jerr;
	json_t		*view;
	int		 rc;

	m = mustache_compile(a, tsrc, strlen(tsrc), err);
	ck_assert_msg(m != NULL, "compile %s: %s", tsrc, err->message);
	view = json_loads(vsrc, JSON_DECODE_ANY, &jerr);
	ck_assert_msg(view != NULL, "bad test view %s: %s", vsrc, jerr.text);
	rc = mustache_render(m, view, p ? find_partial : NULL, p, out, err);
	json_decref(view);
	return rc;
}

static void
expect_render(const char *tsrc, const char *vsrc, struct partials *p,
    struct arena *a, const char *expected)
{
	struct buf	 out;
	struct err	 err;
	char		*qe, *qg;
	int		 rc;

	memset(&err, 0, sizeof(err));
	buf_init(&out, OUT_MAX);
	rc = render_str(a, tsrc, vsrc, p, &out, &err);
	ck_assert_msg(rc == 0, "render %s: %s", tsrc, err.message);
	if (out.len != strlen(expected) ||
	    memcmp(out.len ? out.data : "", expected, out.len) != 0) {
		qe = quote(expected, strlen(expected));
		qg = quote(out.len ? out.data : "", out.len);
		ck_abort_msg("template %s: expected %s, got %s", tsrc, qe, qg);
	}
	buf_free(&out);
}

START_TEST(test_escape)
{
	struct arena	*a;
	struct buf	 b;
	const char	*in = "a&b<c>d\"e'f";

	buf_init(&b, 1024);
	ck_assert_int_eq(mustache_escape(&b, in, strlen(in)), 0);
	ck_assert_str_eq(b.data, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
	buf_reset(&b);
	ck_assert_int_eq(mustache_escape(&b, "plain", 5), 0);
	ck_assert_str_eq(b.data, "plain");
	buf_free(&b);

	a = arena_new(4096);
	expect_render("{{x}}|{{{x}}}|{{&x}}",
	    "{\"x\": \"<a href='/?q=1&r=\\\"2\\\"'>\"}", NULL, a,
	    "&lt;a href=&#39;/?q=1&amp;r=&quot;2&quot;&#39;&gt;|"
	    "<a href='/?q=1&r=\"2\"'>|<a href='/?q=1&r=\"2\"'>");
	arena_free(a);
}
END_TEST

START_TEST(test_compile_errors)
{
	static const struct {
		const char	*src;
		const char	*want;
	} bad[] = {
		{ "a\nb\n{{#s}}\nx\n", "line 3: unclosed section" },
		{ "{{#a}}\n\n{{/b}}",
		    "line 3: closing tag \"b\" does not match \"a\" (line 1)" },
		{ "x\n{{/a}}", "line 2: closing tag \"a\" without a section" },
		{ "x\ny\n{{name", "line 3: unclosed tag" },
		{ "x\n{{{name}}", "line 2: unclosed tag" },
		{ "{{!never closed", "line 1: unclosed tag" },
		{ "\n\n\n{{=<% =}}", "line 4: bad delimiter" },
		{ "{{=<% %> x=}}", "line 1: bad delimiter" },
		{ "{{=a= b=}}", "line 1: bad delimiter" },
		{ "\n{{=<% %>=}}\n<%#a%>\n\n<%/a}}", "line 5: unclosed tag" },
		{ "\n{{ }}", "line 2: bad tag name" },
		{ "{{a b}}", "line 1: bad tag name" },
	};
	struct arena	*a;
	struct err	 err;
	size_t		 i;

	a = arena_new(4096);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		ck_assert_msg(mustache_compile(a, bad[i].src,
		    strlen(bad[i].src), &err) == NULL,
		    "%s compiled", bad[i].src);
		ck_assert_int_eq(err.code, ERR_INVALID);
		ck_assert_msg(strstr(err.message, bad[i].want) != NULL,
		    "template %zu: message \"%s\" lacks \"%s\"", i,
		    err.message, bad[i].want);
	}
	arena_free(a);
}
END_TEST

START_TEST(test_section_nesting_limit)
{
	struct arena	*a;
	struct buf	 src;
	struct err	 err;
	int		 i;

	a = arena_new(4096);
	buf_init(&src, 1 << 16);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(buf_addstr(&src, "{{#a}}"), 0);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(buf_addstr(&src, "{{/a}}"), 0);
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_nonnull(mustache_compile(a, src.data, src.len, &err));
	buf_reset(&src);
	for (i = 0; i < 101; i++)
		ck_assert_int_eq(buf_addstr(&src, "{{#a}}\n"), 0);
	ck_assert_ptr_null(mustache_compile(a, src.data, src.len, &err));
	ck_assert_int_eq(err.code, ERR_INVALID);
	ck_assert_msg(strstr(err.message, "line 101") != NULL, "%s",
	    err.message);
	buf_free(&src);
	arena_free(a);
}
END_TEST

START_TEST(test_output_ceiling)
{
	struct arena	*a;
	struct buf	 out;
	struct err	 err;

	a = arena_new(4096);
	memset(&err, 0, sizeof(err));

	buf_init(&out, 10);
	ck_assert_int_eq(render_str(a, "0123456789", "{}", NULL, &out, &err),
	    0);
	ck_assert_str_eq(out.data, "0123456789");
	buf_free(&out);

	buf_init(&out, 10);
	ck_assert_int_eq(render_str(a, "0123456789A", "{}", NULL, &out,
	    &err), ERR_TOO_LARGE);
	ck_assert_int_eq(err.code, ERR_TOO_LARGE);
	buf_free(&out);

	buf_init(&out, 12);
	ck_assert_int_eq(render_str(a, "{{x}}", "{\"x\": \"&&&\"}", NULL,
	    &out, &err), ERR_TOO_LARGE);
	buf_free(&out);

	buf_init(&out, 100);
	ck_assert_int_eq(render_str(a, "{{#l}}{{.}},{{/l}}",
	    "{\"l\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,"
	    "21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39]}",
	    NULL, &out, &err), ERR_TOO_LARGE);
	ck_assert_uint_le(out.len, 100);
	buf_free(&out);
	arena_free(a);
}
END_TEST

START_TEST(test_partial_depth_limit)
{
	struct arena	*a;
	struct partials	 p;
	struct buf	 view, out;
	struct err	 err;
	char		 want[80];
	int		 i;

	a = arena_new(4096);
	memset(&p, 0, sizeof(p));
	add_partial(a, &p, "r", "x{{#n}}{{>r}}{{/n}}");
	add_partial(a, &p, "self", "{{>self}}");

	/*
	 * 63 levels of n, the last one false so that the lookup stops
	 * there: 64 nested partials, the most allowed.
	 */
	buf_init(&view, 1 << 16);
	for (i = 0; i < 63; i++)
		ck_assert_int_eq(buf_addstr(&view, "{\"n\": "), 0);
	ck_assert_int_eq(buf_addstr(&view, "{\"n\": false}"), 0);
	for (i = 0; i < 63; i++)
		ck_assert_int_eq(buf_addc(&view, '}'), 0);
	memset(want, 'x', 64);
	want[64] = '\0';
	expect_render("{{>r}}", view.data, &p, a, want);

	/* One more level is an error. */
	buf_reset(&view);
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(buf_addstr(&view, "{\"n\": "), 0);
	ck_assert_int_eq(buf_addstr(&view, "{\"n\": false}"), 0);
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(buf_addc(&view, '}'), 0);
	memset(&err, 0, sizeof(err));
	buf_init(&out, OUT_MAX);
	ck_assert_int_eq(render_str(a, "{{>r}}", view.data, &p, &out, &err),
	    ERR_INVALID);
	ck_assert_msg(strstr(err.message, "deeper than 64") != NULL, "%s",
	    err.message);
	buf_free(&out);

	/* A partial that includes itself unconditionally. */
	memset(&err, 0, sizeof(err));
	buf_init(&out, OUT_MAX);
	ck_assert_int_eq(render_str(a, "a{{>self}}b", "{}", &p, &out, &err),
	    ERR_INVALID);
	ck_assert_int_eq(err.code, ERR_INVALID);
	buf_free(&out);

	/* Sections count too: 100 per partial reach the overall cap. */
	buf_reset(&view);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(buf_addstr(&view, "{{#a}}"), 0);
	ck_assert_int_eq(buf_addstr(&view, "{{>deep}}"), 0);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(buf_addstr(&view, "{{/a}}"), 0);
	add_partial(a, &p, "deep", view.data);
	memset(&err, 0, sizeof(err));
	buf_init(&out, OUT_MAX);
	ck_assert_int_eq(render_str(a, "{{>deep}}", "{\"a\": true}", &p,
	    &out, &err), ERR_INVALID);
	ck_assert_msg(strstr(err.message, "nested deeper than 256") != NULL,
	    "%s", err.message);
	buf_free(&out);
	buf_free(&view);
	arena_free(a);
}
END_TEST

START_TEST(test_custom_delimiters)
{
	struct arena	*a;
	struct partials	 p;

	a = arena_new(4096);
	memset(&p, 0, sizeof(p));
	/* A partial starts with the default delimiters. */
	add_partial(a, &p, "p", "({{name}})");
	expect_render(
	    "{{=<% %>=}}Hi <% name %>! <%{raw}%> <%& raw %> "
	    "<%#list%>[<%.%>]<%/list%><%! note %><%^none%>none<%/none%> "
	    "{{name}} <%>p%>\n"
	    "<%={{ }}=%>{{name}} <%name%>\n"
	    "{{=| |=}}|name| |=[[ ]]=|[[name]]",
	    "{\"name\": \"A&B\", \"raw\": \"<b>\", \"list\": [1, 2]}",
	    &p, a,
	    "Hi A&amp;B! <b> <b> [1][2]none {{name}} (A&amp;B)\n"
	    "A&amp;B <%name%>\n"
	    "A&amp;B A&amp;B");
	arena_free(a);
}
END_TEST

START_TEST(test_partial_indentation)
{
	struct arena	*a;
	struct partials	 p;

	a = arena_new(4096);
	memset(&p, 0, sizeof(p));
	add_partial(a, &p, "items",
	    "{{#list}}\n"
	    "<li>\n"
	    "  {{>item}}\n"
	    "</li>\n"
	    "{{/list}}\n");
	add_partial(a, &p, "item",
	    "{{name}}\n"
	    "\n"
	    "{{#sub}}\n"
	    "sub: {{.}}\n"
	    "{{/sub}}\n"
	    "{{! note }}end {{>inline}}\n");
	add_partial(a, &p, "inline", "i\nj");
	expect_render(
	    "<ul>\n"
	    "\t{{>items}}\n"
	    "</ul>\n",
	    "{\"list\": [{\"name\": \"a\\nb\", \"sub\": [1, 2]}]}", &p, a,
	    "<ul>\n"
	    "\t<li>\n"
	    "\t  a\nb\n"
	    "\t  \n"
	    "\t  sub: 1\n"
	    "\t  sub: 2\n"
	    "\t  end i\nj\n"
	    "\t</li>\n"
	    "</ul>\n");
	arena_free(a);
}
END_TEST

START_TEST(test_values)
{
	struct arena	*a;

	a = arena_new(4096);
	expect_render("{{i}} {{r}} {{w}} {{n}} {{neg}} {{t}} {{f}} {{z}} "
	    "[{{o}}{{l}}{{nul}}{{miss}}] {{fifty}} {{sum}} {{tiny}}",
	    "{\"i\": 85, \"r\": 1.21, \"w\": 3.0, \"n\": -9007199254740993, "
	    "\"neg\": -0.5, \"t\": true, \"f\": false, \"z\": 0, "
	    "\"o\": {\"a\": 1}, \"l\": [1], \"nul\": null, \"fifty\": 50.0, "
	    "\"sum\": 0.30000000000000004, \"tiny\": 1.5e-7}",
	    NULL, a, "85 1.21 3 -9007199254740993 -0.5 true false 0 [] "
	    "50 0.30000000000000004 1.5e-07");
	/* A miss, null, false, [] and "" are falsey; 0 and {} are not. */
	expect_render("{{#e}}E{{/e}}{{^e}}e{{/e}}{{#z}}Z{{/z}}{{#o}}O{{/o}}"
	    "{{^l}}L{{/l}}{{^nul}}N{{/nul}}{{^f}}F{{/f}}{{^miss}}M{{/miss}}",
	    "{\"e\": \"\", \"z\": 0, \"o\": {}, \"l\": [], \"nul\": null, "
	    "\"f\": false}", NULL, a, "eZOLNFM");
	/* Dotted names resolve their head on the stack, the rest below it. */
	expect_render("{{#a}}{{b.c}}|{{x.y}}{{/a}}",
	    "{\"a\": {\"b\": {}}, \"b\": {\"c\": \"no\"}, \"x\": {\"y\": 1}}",
	    NULL, a, "|1");
	/* A list as the root of the context stack. */
	expect_render("{{.}}-{{#.}}{{.}}{{/.}}", "[1, 2]", NULL, a, "-12");
	arena_free(a);
}
END_TEST

START_TEST(test_compile_once)
{
	struct arena	*a;
	struct mustache	*m;
	struct buf	 out;
	struct err	 err;
	json_t		*v;
	int		 i;

	a = arena_new(4096);
	memset(&err, 0, sizeof(err));
	m = mustache_compile(a, "{{#rows}}<{{n}}>{{/rows}}", 25, &err);
	ck_assert_ptr_nonnull(m);
	v = json_pack("{s:[{s:i},{s:i}]}", "rows", "n", 1, "n", 2);
	for (i = 0; i < 3; i++) {
		buf_init(&out, OUT_MAX);
		ck_assert_int_eq(mustache_render(m, v, NULL, NULL, &out, &err),
		    0);
		ck_assert_str_eq(out.data, "<1><2>");
		buf_free(&out);
	}
	buf_init(&out, OUT_MAX);
	ck_assert_int_eq(mustache_render(m, NULL, NULL, NULL, &out, &err), 0);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
	json_decref(v);
	arena_free(a);
}
END_TEST

START_TEST(test_work_limit)
{
	struct arena	*a;
	struct buf	 out;
	struct err	 err;

	/* 16^8 empty iterations end with an error, not a hung worker. */
	a = arena_new(4096);
	memset(&err, 0, sizeof(err));
	buf_init(&out, OUT_MAX);
	ck_assert_int_eq(render_str(a,
	    "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}"
	    "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}",
	    "{\"l\": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}", NULL, &out,
	    &err), ERR_TOO_LARGE);
	ck_assert_int_eq(err.code, ERR_TOO_LARGE);
	buf_free(&out);
	arena_free(a);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*spec, *own;
	size_t	 f;
	int	 rc;

	load_specs();
	s = suite_create("mustache");

	spec = tcase_create("spec");
	tcase_add_test(spec, test_spec_files);
	tcase_add_loop_test(spec, test_spec_case, 0, ncases);
	suite_add_tcase(s, spec);

	own = tcase_create("printyard");
	tcase_set_timeout(own, 60);
	tcase_add_test(own, test_escape);
	tcase_add_test(own, test_compile_errors);
	tcase_add_test(own, test_section_nesting_limit);
	tcase_add_test(own, test_output_ceiling);
	tcase_add_test(own, test_partial_depth_limit);
	tcase_add_test(own, test_custom_delimiters);
	tcase_add_test(own, test_partial_indentation);
	tcase_add_test(own, test_values);
	tcase_add_test(own, test_compile_once);
	tcase_add_test(own, test_work_limit);
	suite_add_tcase(s, own);

	rc = unit_run(s);
	for (f = 0; f < NSPEC_FILES; f++)
		json_decref(roots[f]);
	return rc;
}
