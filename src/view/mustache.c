/*
 * mustache.c -- Printyard's Mustache renderer over jansson values.
 *
 * mustache_compile() parses a template once into a flat array of nodes in
 * the caller's arena; mustache_render() walks that array, keeping the
 * context stack as a chain of frames on the C stack.  Nothing is parsed
 * while rendering and the module keeps no state between calls.
 *
 * Invariants:
 *  - A section's (or inverted section's) body is the nodes at indexes
 *    i + 1 .. end - 1 after the section's own node i; bodies nest properly.
 *  - Text nodes point into the template's own copy of its source, which
 *    lives in the same arena as the nodes.
 *  - Standalone lines are cut out at compile time.  Every template line
 *    start that survives and does not fall inside a text node carries an
 *    MN_INDENT node, so a standalone partial's indentation is applied at
 *    render time without looking at the source again.
 *  - Rendering recurses once per open section or partial: at most
 *    MUSTACHE_MAX_PARTIALS partials and MUSTACHE_MAX_LEVELS levels in all,
 *    so the C stack it needs is bounded; it visits at most
 *    MUSTACHE_MAX_STEPS nodes, so it always ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "view/mustache.h"

#define MUSTACHE_MAX_NEST	100		/* open sections per template */
#define MUSTACHE_MAX_PARTIALS	64		/* open partials */
#define MUSTACHE_MAX_LEVELS	256		/* open sections and partials */
#define MUSTACHE_MAX_STEPS	(1UL << 24)	/* node visits per render */
#define NPOS			((size_t)-1)

enum mnode_type {
	MN_TEXT,		/* literal text */
	MN_INDENT,		/* a template line starts: emit indentation */
	MN_ESCAPED,		/* {{name}} */
	MN_RAW,			/* {{{name}}} and {{&name}} */
	MN_SECTION,		/* {{#name}} ... {{/name}} */
	MN_INVERTED,		/* {{^name}} ... {{/name}} */
	MN_PARTIAL		/* {{>name}} */
};

struct mnode {
	enum mnode_type	  type;
	int		  bol;		/* text: starts a template line */
	int		  standalone;	/* partial: alone on its line */
	size_t		  end;		/* section: index past its body */
	size_t		  pos;		/* section: source offset of its tag */
	const char	 *str;		/* text, or a partial's indentation */
	size_t		  len;
	const char	 *name;		/* whole tag name, NUL-terminated */
	const char	**parts;	/* name split at dots; NULL for "." */
	size_t		  nparts;
};

struct mustache {
	struct mnode	*nodes;
	size_t		 nnodes;
};

struct compiler {
	struct arena	*arena;
	struct err	*err;
	const char	*src;		/* arena copy of the template */
	size_t		 len;
	struct mnode	*nodes;
	size_t		 nnodes;
	size_t		 cap;
	const char	*otag;		/* current opening delimiter */
	size_t		 olen;
	const char	*ctag;		/* current closing delimiter */
	size_t		 clen;
	size_t		 open[MUSTACHE_MAX_NEST];	/* open section nodes */
	size_t		 nopen;
};

/* One element of the context stack. */
struct frame {
	json_t			*value;
	const struct frame	*up;
};

/* Indentation of nested standalone partials, innermost first. */
struct indent {
	const char		*str;
	size_t			 len;
	const struct indent	*outer;
};

struct render {
	mustache_partial_fn	 partial;
	void			*ctx;
	struct buf		*out;
	struct err		*err;
	int			 depth;		/* partials open */
	int			 levels;	/* sections and partials open */
	unsigned long		 steps;		/* nodes visited */
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

/* Returns the offset of needle in s[from..len), or NPOS. */
static size_t
find(const char *s, size_t len, size_t from, const char *needle, size_t nlen)
{
	const char	*p, *end;

	if (nlen == 0 || from > len || len - from < nlen)
		return NPOS;
	p = s + from;
	end = s + len - nlen + 1;
	while (p < end) {
		p = memchr(p, needle[0], (size_t)(end - p));
		if (p == NULL)
			return NPOS;
		if (memcmp(p, needle, nlen) == 0)
			return (size_t)(p - s);
		p++;
	}
	return NPOS;
}

/* Returns the 1-based line number of offset pos. */
static size_t
line_of(const char *s, size_t pos)
{
	size_t	 line, i;

	line = 1;
	for (i = 0; i < pos; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

static struct mnode *
new_node(struct compiler *c, enum mnode_type type)
{
	struct mnode	*n;
	size_t		 cap;

	if (c->nnodes == c->cap) {
		cap = c->cap ? c->cap * 2 : 16;
		n = arena_calloc(c->arena, cap, sizeof(*n));
		if (c->nnodes > 0)
			memcpy(n, c->nodes, c->nnodes * sizeof(*n));
		c->nodes = n;
		c->cap = cap;
	}
	n = &c->nodes[c->nnodes++];
	memset(n, 0, sizeof(*n));
	n->type = type;
	return n;
}

static void
add_text(struct compiler *c, size_t from, size_t to)
{
	struct mnode	*n;

	if (to <= from)
		return;
	n = new_node(c, MN_TEXT);
	n->str = c->src + from;
	n->len = to - from;
	n->bol = from == 0 || c->src[from - 1] == '\n';
}

static char *
copy_str(struct arena *a, const char *s, size_t n)
{
	char	*p;

	p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/*
 * Trims whitespace around the tag name in src[*from..*to).  Returns 0, or
 * -1 when the name is empty or holds whitespace or a NUL byte.
 */
static int
trim_name(const char *s, size_t *from, size_t *to)
{
	size_t	 i;

	while (*from < *to && is_space(s[*from]))
		(*from)++;
	while (*to > *from && is_space(s[*to - 1]))
		(*to)--;
	if (*from == *to)
		return -1;
	for (i = *from; i < *to; i++)
		if (is_space(s[i]) || s[i] == '\0')
			return -1;
	return 0;
}

/*
 * Gives node n the name in src[from..to) and, unless it is "." or split is
 * 0, splits it at dots.  Returns 0 or -1 as trim_name().
 */
static int
set_name(struct compiler *c, struct mnode *n, size_t from, size_t to,
    int split)
{
	const char	*s, *dot;
	size_t		 i, k, len;

	if (trim_name(c->src, &from, &to) == -1)
		return -1;
	s = c->src + from;
	len = to - from;
	n->name = copy_str(c->arena, s, len);
	if (!split || (len == 1 && s[0] == '.'))
		return 0;

	n->nparts = 1;
	for (i = 0; i < len; i++)
		if (s[i] == '.')
			n->nparts++;
	n->parts = arena_calloc(c->arena, n->nparts, sizeof(*n->parts));
	s = n->name;
	for (k = 0; k < n->nparts; k++) {
		dot = memchr(s, '.', len - (size_t)(s - n->name));
		if (dot == NULL)
			dot = n->name + len;
		n->parts[k] = copy_str(c->arena, s, (size_t)(dot - s));
		s = dot + 1;
	}
	return 0;
}

/*
 * Reads a set-delimiter tag's content src[from..to): two words separated by
 * whitespace, neither holding '='.  Returns 0 or -1.
 */
static int
set_delims(struct compiler *c, size_t from, size_t to)
{
	const char	*s;
	size_t		 a0, a1, b0, b1, i;

	s = c->src;
	for (a0 = from; a0 < to && is_space(s[a0]); a0++)
		;
	for (a1 = a0; a1 < to && !is_space(s[a1]); a1++)
		if (s[a1] == '=')
			return -1;
	for (b0 = a1; b0 < to && is_space(s[b0]); b0++)
		;
	for (b1 = b0; b1 < to && !is_space(s[b1]); b1++)
		if (s[b1] == '=')
			return -1;
	if (a1 == a0 || b1 == b0)
		return -1;
	for (i = b1; i < to; i++)
		if (!is_space(s[i]))
			return -1;
	c->otag = s + a0;
	c->olen = a1 - a0;
	c->ctag = s + b0;
	c->clen = b1 - b0;
	return 0;
}

/*
 * Finds the closing delimiter right after the character lead (the '}' of a
 * triple mustache, the '=' of a set-delimiter tag), searching from from.
 * Returns the closing delimiter's offset, or NPOS.
 */
static size_t
find_close_after(struct compiler *c, size_t from, char lead)
{
	size_t	 at;

	at = find(c->src, c->len, from, c->ctag, c->clen);
	while (at != NPOS && (at == from || c->src[at - 1] != lead))
		at = find(c->src, c->len, at + 1, c->ctag, c->clen);
	return at;
}

/*
 * Decides whether the tag at src[ts..te) is alone on its line, given that
 * everything before cursor is already compiled.  If so, sets *ls to the
 * line's start and *eol to just past its line ending (or the end).
 */
static int
is_standalone(struct compiler *c, size_t cursor, size_t ts, size_t te,
    size_t *ls, size_t *eol)
{
	const char	*s;
	size_t		 i;

	s = c->src;
	for (i = ts; i > cursor && s[i - 1] != '\n'; i--)
		if (!is_blank(s[i - 1]))
			return 0;
	/* Reached the previous tag on this line? */
	if (i == cursor && i > 0 && s[i - 1] != '\n')
		return 0;
	*ls = i;
	for (i = te; i < c->len && is_blank(s[i]); i++)
		;
	if (i == c->len)
		*eol = i;
	else if (s[i] == '\n')
		*eol = i + 1;
	else if (s[i] == '\r' && i + 1 < c->len && s[i + 1] == '\n')
		*eol = i + 2;
	else
		return 0;
	return 1;
}

/*
 * Compiles the tag whose opening delimiter starts at ts; *cursor is the
 * first source byte not yet compiled and is moved past the tag (and past
 * its line when the tag is standalone).  Returns 0 or -1 with err set.
 */
static int
compile_tag(struct compiler *c, size_t ts, size_t *cursor)
{
	const char	*s;
	struct mnode	*n, *open;
	size_t		 p, cs, ce, te, ls, eol, next, close_len;
	int		 sigil, standalone;

	s = c->src;
	ls = eol = 0;
	p = ts + c->olen;
	sigil = p < c->len ? (unsigned char)s[p] : 0;
	close_len = 0;
	switch (sigil) {
	case '{':
	case '=':
		cs = p + 1;
		ce = find_close_after(c, cs, sigil == '{' ? '}' : '=');
		close_len = 1;
		break;
	case '!':
	case '#':
	case '^':
	case '/':
	case '>':
	case '&':
		cs = p + 1;
		ce = find(s, c->len, cs, c->ctag, c->clen);
		break;
	default:
		sigil = 0;
		cs = p;
		ce = find(s, c->len, cs, c->ctag, c->clen);
		break;
	}
	if (ce == NPOS) {
		err_set(c->err, ERR_INVALID, "line %zu: unclosed tag",
		    line_of(s, ts));
		return -1;
	}
	te = ce + c->clen;
	ce -= close_len;

	standalone = 0;
	if (sigil != 0 && sigil != '{' && sigil != '&')
		standalone = is_standalone(c, *cursor, ts, te, &ls, &eol);
	if (standalone) {
		add_text(c, *cursor, ls);
		next = eol;
	} else {
		add_text(c, *cursor, ts);
		if (ts == 0 || s[ts - 1] == '\n')
			new_node(c, MN_INDENT);
		ls = ts;
		next = te;
	}

	switch (sigil) {
	case '!':
		break;
	case '=':
		if (set_delims(c, cs, ce) == -1) {
			err_set(c->err, ERR_INVALID, "line %zu: bad delimiter",
			    line_of(s, ts));
			return -1;
		}
		break;
	case '#':
	case '^':
		if (c->nopen == MUSTACHE_MAX_NEST) {
			err_set(c->err, ERR_INVALID,
			    "line %zu: sections nested deeper than %d",
			    line_of(s, ts), MUSTACHE_MAX_NEST);
			return -1;
		}
		n = new_node(c, sigil == '#' ? MN_SECTION : MN_INVERTED);
		n->pos = ts;
		if (set_name(c, n, cs, ce, 1) == -1)
			goto badname;
		c->open[c->nopen++] = c->nnodes - 1;
		break;
	case '/':
		if (trim_name(s, &cs, &ce) == -1)
			goto badname;
		if (c->nopen == 0) {
			err_set(c->err, ERR_INVALID,
			    "line %zu: closing tag \"%.*s\" without a section",
			    line_of(s, ts), (int)(ce - cs > 64 ? 64 : ce - cs),
			    s + cs);
			return -1;
		}
		open = &c->nodes[c->open[c->nopen - 1]];
		if (strlen(open->name) != ce - cs ||
		    memcmp(open->name, s + cs, ce - cs) != 0) {
			err_set(c->err, ERR_INVALID, "line %zu: closing tag "
			    "\"%.*s\" does not match \"%.64s\" (line %zu)",
			    line_of(s, ts), (int)(ce - cs > 64 ? 64 : ce - cs),
			    s + cs, open->name, line_of(s, open->pos));
			return -1;
		}
		open->end = c->nnodes;
		c->nopen--;
		break;
	case '>':
		n = new_node(c, MN_PARTIAL);
		if (set_name(c, n, cs, ce, 0) == -1)
			goto badname;
		n->standalone = standalone;
		n->str = s + ls;
		n->len = ts - ls;
		break;
	default:
		n = new_node(c, sigil == 0 ? MN_ESCAPED : MN_RAW);
		if (set_name(c, n, cs, ce, 1) == -1)
			goto badname;
		break;
	}
	*cursor = next;
	return 0;

badname:
	err_set(c->err, ERR_INVALID, "line %zu: bad tag name", line_of(s, ts));
	return -1;
}

struct mustache *
mustache_compile(struct arena *a, const char *src, size_t len,
    struct err *err)
{
	struct compiler	 c;
	struct err	 scratch;
	struct mustache	*m;
	struct mnode	*n;
	char		*copy;
	size_t		 cursor, ts;

	if (err == NULL) {
		memset(&scratch, 0, sizeof(scratch));
		err = &scratch;
	}
	memset(&c, 0, sizeof(c));
	c.arena = a;
	c.err = err;
	copy = arena_alloc(a, len + 1);
	if (len > 0)
		memcpy(copy, src, len);
	copy[len] = '\0';
	c.src = copy;
	c.len = len;
	c.otag = "{{";
	c.olen = 2;
	c.ctag = "}}";
	c.clen = 2;

	cursor = 0;
	for (;;) {
		ts = find(c.src, c.len, cursor, c.otag, c.olen);
		if (ts == NPOS) {
			add_text(&c, cursor, c.len);
			break;
		}
		if (compile_tag(&c, ts, &cursor) == -1)
			return NULL;
	}
	if (c.nopen > 0) {
		n = &c.nodes[c.open[c.nopen - 1]];
		err_set(err, ERR_INVALID,
		    "line %zu: unclosed section \"%.64s\"",
		    line_of(c.src, n->pos), n->name);
		return NULL;
	}
	m = arena_alloc(a, sizeof(*m));
	m->nodes = c.nodes;
	m->nnodes = c.nnodes;
	return m;
}

/* Returns the entity for c, or NULL when c needs no escaping. */
static const char *
entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

int
mustache_escape(struct buf *b, const char *s, size_t len)
{
	const char	*e;
	size_t		 i, run;
	int		 rc;

	run = 0;
	for (i = 0; i < len; i++) {
		if ((e = entity(s[i])) == NULL)
			continue;
		if (i > run && (rc = buf_add(b, s + run, i - run)) != 0)
			return rc;
		if ((rc = buf_addstr(b, e)) != 0)
			return rc;
		run = i + 1;
	}
	if (len > run)
		return buf_add(b, s + run, len - run);
	return 0;
}

static int
full(struct render *r)
{
	return err_set(r->err, ERR_TOO_LARGE,
	    "rendered output exceeds %zu bytes", r->out->max);
}

static int
out_add(struct render *r, const char *s, size_t len)
{
	if (len > 0 && buf_add(r->out, s, len) != 0)
		return full(r);
	return 0;
}

static int
emit_indent(struct render *r, const struct indent *in)
{
	int	 rc;

	if (in == NULL)
		return 0;
	if ((rc = emit_indent(r, in->outer)) != 0)
		return rc;
	return out_add(r, in->str, in->len);
}

/* Emits a text node, indenting each template line it starts. */
static int
emit_text(struct render *r, const struct mnode *n, const struct indent *in)
{
	const char	*p, *end, *nl;
	int		 rc;

	if (in == NULL)
		return out_add(r, n->str, n->len);
	p = n->str;
	end = p + n->len;
	if (n->bol && (rc = emit_indent(r, in)) != 0)
		return rc;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL &&
	    nl + 1 < end) {
		if ((rc = out_add(r, p, (size_t)(nl + 1 - p))) != 0 ||
		    (rc = emit_indent(r, in)) != 0)
			return rc;
		p = nl + 1;
	}
	return out_add(r, p, (size_t)(end - p));
}

/*
 * Formats d with the fewest significant digits that read back as d, so
 * 1.21 prints as "1.21" and 3.0 as "3".  A double with a shortest form of
 * at most 15 digits prints that form at precision 15, as %g drops trailing
 * zeros; the rest need 16 or 17.
 */
static void
format_real(double d, char *s, size_t size)
{
	int	 prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(s, size, "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			return;
	}
	snprintf(s, size, "%.17g", d);
}

static int
emit_value(struct render *r, json_t *v, int escape)
{
	char	 num[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		if (!escape)
			return out_add(r, json_string_value(v),
			    json_string_length(v));
		if (mustache_escape(r->out, json_string_value(v),
		    json_string_length(v)) != 0)
			return full(r);
		return 0;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return out_add(r, num, strlen(num));
	case JSON_REAL:
		format_real(json_real_value(v), num, sizeof(num));
		return out_add(r, num, strlen(num));
	case JSON_TRUE:
		return out_add(r, "true", 4);
	case JSON_FALSE:
		return out_add(r, "false", 5);
	default:
		/* null, objects and arrays interpolate as nothing. */
		return 0;
	}
}

/* Resolves a tag's name against the context stack; NULL on a miss. */
static json_t *
lookup(const struct mnode *n, const struct frame *f)
{
	json_t	*v;
	size_t	 k;

	if (n->parts == NULL)
		return f->value;
	v = NULL;
	for (; f != NULL; f = f->up)
		if (json_is_object(f->value) &&
		    (v = json_object_get(f->value, n->parts[0])) != NULL)
			break;
	for (k = 1; v != NULL && k < n->nparts; k++)
		v = json_is_object(v) ? json_object_get(v, n->parts[k]) : NULL;
	return v;
}

/*
 * A miss, null, false, the empty list and the empty string are falsey
 * (as in mustache.js), so {{#note}}...{{/note}} hides an empty note.
 */
static int
truthy(json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	return !json_is_array(v) || json_array_size(v) > 0;
}

static int	render_nodes(struct render *, const struct mustache *, size_t,
		    size_t, const struct frame *, const struct indent *);

static int
step(struct render *r)
{
	if (++r->steps <= MUSTACHE_MAX_STEPS)
		return 0;
	return err_set(r->err, ERR_TOO_LARGE,
	    "template expansion exceeds %lu steps", MUSTACHE_MAX_STEPS);
}

/* Renders nodes from..to one level deeper. */
static int
render_body(struct render *r, const struct mustache *m, size_t from,
    size_t to, const struct frame *f, const struct indent *in)
{
	int	 rc;

	if (r->levels >= MUSTACHE_MAX_LEVELS)
		return err_set(r->err, ERR_INVALID,
		    "sections and partials nested deeper than %d",
		    MUSTACHE_MAX_LEVELS);
	r->levels++;
	rc = render_nodes(r, m, from, to, f, in);
	r->levels--;
	return rc;
}

static int
render_section(struct render *r, const struct mustache *m, size_t i,
    const struct frame *f, const struct indent *in)
{
	const struct mnode	*n;
	struct frame		 fr;
	json_t			*v;
	size_t			 k;
	int			 rc;

	n = &m->nodes[i];
	v = lookup(n, f);
	if (!truthy(v))
		return 0;
	fr.up = f;
	if (!json_is_array(v)) {
		fr.value = v;
		return render_body(r, m, i + 1, n->end, &fr, in);
	}
	for (k = 0; k < json_array_size(v); k++) {
		fr.value = json_array_get(v, k);
		if ((rc = step(r)) != 0 ||
		    (rc = render_body(r, m, i + 1, n->end, &fr, in)) != 0)
			return rc;
	}
	return 0;
}

static int
render_partial(struct render *r, const struct mnode *n,
    const struct frame *f, const struct indent *in)
{
	const struct mustache	*p;
	struct indent		 own;
	int			 rc;

	if (r->partial == NULL || (p = r->partial(r->ctx, n->name)) == NULL)
		return 0;
	if (r->depth >= MUSTACHE_MAX_PARTIALS)
		return err_set(r->err, ERR_INVALID,
		    "partial \"%.64s\" nested deeper than %d", n->name,
		    MUSTACHE_MAX_PARTIALS);
	if (!n->standalone)
		in = NULL;
	else if (n->len > 0) {
		own.str = n->str;
		own.len = n->len;
		own.outer = in;
		in = &own;
	}
	r->depth++;
	rc = render_body(r, p, 0, p->nnodes, f, in);
	r->depth--;
	return rc;
}

static int
render_nodes(struct render *r, const struct mustache *m, size_t from,
    size_t to, const struct frame *f, const struct indent *in)
{
	const struct mnode	*n;
	json_t			*v;
	size_t			 i;
	int			 rc;

	for (i = from; i < to; ) {
		n = &m->nodes[i];
		if ((rc = step(r)) != 0)
			return rc;
		rc = 0;
		switch (n->type) {
		case MN_TEXT:
			rc = emit_text(r, n, in);
			i++;
			break;
		case MN_INDENT:
			rc = emit_indent(r, in);
			i++;
			break;
		case MN_ESCAPED:
		case MN_RAW:
			v = lookup(n, f);
			rc = v == NULL ? 0 :
			    emit_value(r, v, n->type == MN_ESCAPED);
			i++;
			break;
		case MN_SECTION:
			rc = render_section(r, m, i, f, in);
			i = n->end;
			break;
		case MN_INVERTED:
			rc = truthy(lookup(n, f)) ? 0 :
			    render_body(r, m, i + 1, n->end, f, in);
			i = n->end;
			break;
		case MN_PARTIAL:
			rc = render_partial(r, n, f, in);
			i++;
			break;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
mustache_render(const struct mustache *m, json_t *view,
    mustache_partial_fn partial, void *ctx, struct buf *out, struct err *err)
{
	struct render	 r;
	struct frame	 bottom;
	struct err	 scratch;

	if (err == NULL) {
		memset(&scratch, 0, sizeof(scratch));
		err = &scratch;
	}
	if (m == NULL)
		return err_set(err, ERR_INVALID, "no template to render");
	r.partial = partial;
	r.ctx = ctx;
	r.out = out;
	r.err = err;
	r.depth = 0;
	r.levels = 0;
	r.steps = 0;
	bottom.value = view;
	bottom.up = NULL;
	return render_nodes(&r, m, 0, m->nnodes, &bottom, NULL);
}
