/*
 * meshobj.c -- measures a Wavefront OBJ file (see mesh_obj in mesh.h).
 *
 * One pass over the lines, in linear time: "v x y z" adds a vertex,
 * "f a b c ..." a polygon, cut into a fan of triangles (a b c, a c d,
 * ...); a corner is "i", "i/t", "i//n" or "i/t/n", where only the vertex
 * number i counts: 1 for the first vertex, -1 for the last one read so
 * far.  A face may only name vertices read before it, which every OBJ
 * writer does, so that each reference is checked where it stands.
 * Every other line (normals, texture coordinates, groups, materials,
 * comments) is skipped.  The numbers are taken as millimetres, as STL's
 * are.
 *
 * Bounds: at most max_triangles triangles, and three vertices for each
 * (a file with more vertices than its triangles can use is refused, not
 * held in memory).  Vertices and triangles grow in struct bufs with
 * those ceilings; mesh_indexed then measures them.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "parse/mesh.h"

#define OBJ_NUMBER_MAX	64	/* characters in one number */

/* What has been read so far. */
struct obj {
	struct buf	 v;		/* double[3] per vertex */
	struct buf	 t;		/* uint32_t[3] per triangle */
	size_t		 nv, nt, max;
	size_t		 line;
	struct err	*e;
};

static int
obj_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The next blank-separated token of [*p, end); its length, 0 at the end. */
static size_t
obj_token(const char **p, const char *end, const char **tok)
{
	const char	*s = *p;

	while (s < end && obj_blank(*s))
		s++;
	*tok = s;
	while (s < end && !obj_blank(*s))
		s++;
	*p = s;
	return (size_t)(s - *tok);
}

/* "v x y z": three finite numbers (a fourth, w, and colours ignored). */
static int
obj_vertex(struct obj *o, const char *p, const char *end)
{
	const char	*tok;
	char		 num[OBJ_NUMBER_MAX], *ep;
	double		 c[3];
	size_t		 n;
	int		 k;

	if (o->nv >= o->max * 3)
		return err_set(o->e, ERR_TOO_LARGE, "line %zu: the file holds "
		    "more than %zu vertices (three per triangle of the limit)",
		    o->line, o->max * 3);
	for (k = 0; k < 3; k++) {
		n = obj_token(&p, end, &tok);
		if (n == 0 || n >= sizeof(num))
			return err_set(o->e, ERR_INVALID, "line %zu: a vertex "
			    "needs three numbers", o->line);
		memcpy(num, tok, n);
		num[n] = '\0';
		c[k] = strtod(num, &ep);
		if (*ep != '\0' || ep == num)
			return err_set(o->e, ERR_INVALID, "line %zu: \"%s\" is "
			    "not a number", o->line, num);
		if (!isfinite(c[k]))
			return err_set(o->e, ERR_INVALID, "line %zu: a "
			    "coordinate that is not a finite number", o->line);
	}
	buf_add(&o->v, c, sizeof(c));
	o->nv++;
	return 0;
}

/* The vertex a corner token names (0-based), or an error. */
static int
obj_corner(struct obj *o, const char *tok, size_t n, uint32_t *out)
{
	size_t		 i = 0, num = 0;
	int		 neg = 0;

	if (n > 0 && tok[0] == '-') {
		neg = 1;
		i++;
	}
	if (i == n || tok[i] < '0' || tok[i] > '9')
		goto bad;
	for (; i < n && tok[i] >= '0' && tok[i] <= '9'; i++)
		if ((num = num * 10 + (size_t)(tok[i] - '0')) > o->nv)
			goto range;
	if (i < n && tok[i] != '/')
		goto bad;
	if (num == 0)
		goto range;
	*out = (uint32_t)(neg ? o->nv - num : num - 1);
	return 0;
bad:
	return err_set(o->e, ERR_INVALID, "line %zu: \"%.*s\" is not a vertex "
	    "reference", o->line, (int)(n < 40 ? n : 40), tok);
range:
	return err_set(o->e, ERR_INVALID, "line %zu: the face names vertex "
	    "%.*s, but %zu vertices come before it", o->line,
	    (int)(n < 40 ? n : 40), tok, o->nv);
}

/* "f a b c ...": a fan of triangles from the first corner. */
static int
obj_face(struct obj *o, const char *p, const char *end)
{
	const char	*tok;
	uint32_t	 tri[3];
	size_t		 n, corners;
	int		 rc;

	for (corners = 0; (n = obj_token(&p, end, &tok)) > 0; corners++) {
		if ((rc = obj_corner(o, tok, n, &tri[corners < 2 ? corners :
		    2])) != 0)
			return rc;
		if (corners < 2)
			continue;
		if (o->nt >= o->max)
			return err_set(o->e, ERR_TOO_LARGE, "line %zu: the "
			    "file holds more than %zu triangles (the limit)",
			    o->line, o->max);
		buf_add(&o->t, tri, sizeof(tri));
		o->nt++;
		tri[1] = tri[2];
	}
	if (corners < 3)
		return err_set(o->e, ERR_INVALID, "line %zu: a face needs "
		    "three corners", o->line);
	return 0;
}

int
mesh_obj_sink(const void *data, size_t len, size_t max,
    const struct mesh_sink *sink, struct mesh_stats *st, struct err *e)
{
	struct obj	 o;
	const char	*p = data, *end = p + len, *eol, *tok;
	size_t		 n;
	int		 rc = 0;

	memset(st, 0, sizeof(*st));
	memset(&o, 0, sizeof(o));
	o.max = max == 0 ? MESH_MAX_TRIANGLES : max;
	if (o.max > UINT32_MAX / 3)
		o.max = UINT32_MAX / 3;
	o.e = e;
	buf_init(&o.v, o.max * 3 * 3 * sizeof(double));
	buf_init(&o.t, o.max * 3 * sizeof(uint32_t));
	for (; rc == 0 && p < end; p = eol + (eol < end)) {
		o.line++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		n = obj_token(&p, eol, &tok);
		if (n == 1 && tok[0] == 'v')
			rc = obj_vertex(&o, p, eol);
		else if (n == 1 && tok[0] == 'f')
			rc = obj_face(&o, p, eol);
	}
	if (rc == 0 && o.nt == 0)
		rc = err_set(e, ERR_INVALID, "the file holds no faces (not an "
		    "OBJ file, or an empty one)");
	if (rc == 0)
		rc = mesh_indexed_sink((const double *)(const void *)o.v.data,
		    o.nv, (const uint32_t *)(const void *)o.t.data, o.nt, sink,
		    st, e);
	buf_free(&o.v);
	buf_free(&o.t);
	return rc;
}

int
mesh_obj(const void *data, size_t len, size_t max, struct mesh_stats *st,
    struct err *e)
{
	return mesh_obj_sink(data, len, max, NULL, st, e);
}
