/*
 * mesh.c -- measures triangle meshes for instant quotes: volume, area,
 * bounding box, pieces (shells) and whether the surface is closed.
 *
 * An STL file is a soup of triangles, each with its own three corners;
 * corners at the same position are merged first (by their exact float
 * bits, -0 taken as 0), so that the mesh becomes indexed like a 3MF
 * object.  Then, for an indexed mesh:
 *   - volume: the sum of the signed tetrahedra (origin, a, b, c), which
 *     is the enclosed volume for a closed, consistently wound surface
 *     wherever the origin lies; its magnitude is reported;
 *   - edges: every triangle gives three directed edges; their keys
 *     (smaller index, larger index, direction) are radix-sorted and
 *     counted in one pass.  A closed, manifold and consistently wound
 *     surface uses every edge exactly twice, once each way; an edge used
 *     once is open, three or more times non-manifold, twice the same way
 *     flipped (a triangle faces inwards);
 *   - shells: union-find over the vertices of the triangles.
 *
 * Bounds: a binary STL's triangle count is checked against the file size
 * (84 + 50 n bytes) and the ceiling before anything is allocated; an
 * ASCII STL is read once, token by token, and stops at the ceiling.
 * Memory while working: about 70 bytes per triangle.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "parse/mesh.h"

#define STL_HEADER	80
#define STL_RECORD	50
#define MESH_USED	UINT32_C(0x80000000)	/* a root's mark: a shell */
#define MESH_INDEX	UINT32_C(0x7fffffff)

/* ---- an indexed mesh ---- */

/* Sorts a by 16-bit digits; count holds 65536 counters. */
static void
radix_sort(uint64_t *a, uint64_t *tmp, size_t n, size_t *count)
{
	size_t		 i, sum, c;
	int		 shift;
	uint64_t	*from = a, *to = tmp, *swap;

	for (shift = 0; shift < 64; shift += 16) {
		memset(count, 0, 65536 * sizeof(*count));
		for (i = 0; i < n; i++)
			count[(from[i] >> shift) & 0xffff]++;
		if (count[(from[0] >> shift) & 0xffff] == n)
			continue;	/* every key has this digit */
		for (sum = 0, i = 0; i < 65536; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i] >> shift) & 0xffff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != a)
		memcpy(a, from, n * sizeof(*a));
}

static uint32_t
uf_find(uint32_t *parent, uint32_t x)
{
	uint32_t	r = x, next;

	while (parent[r] != r)
		r = parent[r];
	while (parent[x] != r) {	/* path compression */
		next = parent[x];
		parent[x] = r;
		x = next;
	}
	return r;
}

static void
uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a != b)
		parent[a < b ? b : a] = a < b ? a : b;
}

/* Counts the uses of each edge; see the file's comment. */
static int
edges_count(const uint32_t *t, size_t nt, struct mesh_stats *st)
{
	uint64_t	*keys, *tmp, k;
	size_t		 n = nt * 3, i, j, uses, fwd, *count;
	uint32_t	 a, b;
	int		 e;

	keys = malloc(n * sizeof(*keys));
	tmp = malloc(n * sizeof(*tmp));
	count = malloc(65536 * sizeof(*count));
	if (keys == NULL || tmp == NULL || count == NULL) {
		free(keys);
		free(tmp);
		free(count);
		return -1;
	}
	for (i = 0; i < nt; i++)
		for (e = 0; e < 3; e++) {
			a = t[i * 3 + (size_t)e];
			b = t[i * 3 + (size_t)(e + 1) % 3];
			keys[i * 3 + (size_t)e] = a < b ?
			    ((uint64_t)a << 33) | ((uint64_t)b << 1) | 1 :
			    ((uint64_t)b << 33) | ((uint64_t)a << 1);
		}
	radix_sort(keys, tmp, n, count);
	free(tmp);
	free(count);
	for (i = 0; i < n; i = j) {
		k = keys[i] >> 1;
		fwd = 0;
		for (j = i; j < n && keys[j] >> 1 == k; j++)
			fwd += keys[j] & 1;
		uses = j - i;
		if (uses == 1)
			st->open_edges++;
		else if (uses > 2)
			st->nonmanifold_edges++;
		else if (fwd != 1)
			st->flipped_edges++;
	}
	free(keys);
	return 0;
}

static int
analyse(const double *v, size_t nv, const uint32_t *t, size_t nt,
    struct mesh_stats *st, struct err *e)
{
	const double	*p[3];
	double		 u[3], w[3], c[3], len2, vol = 0, area = 0;
	uint32_t	*parent;
	size_t		 i, k;
	int		 d;

	memset(st, 0, sizeof(*st));
	st->triangles = nt;
	st->vertices = nv;
	if (nt == 0)
		return err_set(e, ERR_INVALID, "the mesh has no triangles");
	if (nv > MESH_INDEX || nt > SIZE_MAX / 24)
		return err_set(e, ERR_TOO_LARGE, "the mesh is too large");
	for (i = 0; i < nt * 3; i++)
		if (t[i] >= nv)
			return err_set(e, ERR_INVALID, "triangle %zu names "
			    "vertex %u of only %zu", i / 3 + 1, t[i], nv);
	for (d = 0; d < 3; d++) {
		st->min[d] = HUGE_VAL;
		st->max[d] = -HUGE_VAL;
	}
	for (i = 0; i < nv * 3; i++)
		if (!isfinite(v[i]))
			return err_set(e, ERR_INVALID, "vertex %zu has a "
			    "coordinate that is not a finite number", i / 3 + 1);
	if ((parent = malloc(nv * sizeof(*parent))) == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	for (i = 0; i < nv; i++)
		parent[i] = (uint32_t)i;
	for (i = 0; i < nt; i++) {
		for (k = 0; k < 3; k++) {
			p[k] = v + (size_t)t[i * 3 + k] * 3;
			for (d = 0; d < 3; d++) {
				if (p[k][d] < st->min[d])
					st->min[d] = p[k][d];
				if (p[k][d] > st->max[d])
					st->max[d] = p[k][d];
			}
		}
		vol += p[0][0] * (p[1][1] * p[2][2] - p[1][2] * p[2][1]) -
		    p[0][1] * (p[1][0] * p[2][2] - p[1][2] * p[2][0]) +
		    p[0][2] * (p[1][0] * p[2][1] - p[1][1] * p[2][0]);
		for (d = 0; d < 3; d++) {
			u[d] = p[1][d] - p[0][d];
			w[d] = p[2][d] - p[0][d];
		}
		c[0] = u[1] * w[2] - u[2] * w[1];
		c[1] = u[2] * w[0] - u[0] * w[2];
		c[2] = u[0] * w[1] - u[1] * w[0];
		len2 = c[0] * c[0] + c[1] * c[1] + c[2] * c[2];
		area += sqrt(len2) / 2;
		/* zero area, relative to the triangle's own size */
		if (t[i * 3] == t[i * 3 + 1] || t[i * 3 + 1] == t[i * 3 + 2] ||
		    t[i * 3] == t[i * 3 + 2] || len2 <= 1e-24 *
		    (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]) *
		    (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]))
			st->degenerate++;
		uf_union(parent, t[i * 3], t[i * 3 + 1]);
		uf_union(parent, t[i * 3], t[i * 3 + 2]);
	}
	st->volume = fabs(vol) / 6;
	st->area = area;
	/*
	 * A root is the smallest vertex of its piece; a piece of triangles
	 * holds only vertices of triangles, so a root that is the vertex of
	 * some triangle is one shell (the rest are unused vertices).
	 */
	for (i = 0; i < nv; i++)
		parent[i] = uf_find(parent, (uint32_t)i);	/* roots come first */
	for (i = 0; i < nt * 3; i++)
		parent[parent[t[i]] & MESH_INDEX] |= MESH_USED;
	for (i = 0; i < nv; i++)
		st->shells += (parent[i] & MESH_USED) != 0;
	free(parent);
	if (edges_count(t, nt, st) != 0)
		return err_set(e, ERR_INTERNAL, "out of memory");
	st->watertight = st->open_edges == 0 && st->nonmanifold_edges == 0 &&
	    st->flipped_edges == 0;
	return 0;
}

int
mesh_indexed(const double *v, size_t nv, const uint32_t *t, size_t nt,
    struct mesh_stats *st, struct err *e)
{
	return analyse(v, nv, t, nt, st, e);
}

/* ---- STL ---- */

/* Corners as read: nt triangles of three (x, y, z) floats. */
struct soup {
	float		*c;
	size_t		 nt, cap;
};

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint32_t
float_bits(float f)
{
	uint32_t	u;

	if (f == 0)
		f = 0;		/* -0 and 0 are one position */
	memcpy(&u, &f, sizeof(u));
	return u;
}

/*
 * Merges the corners at one position into one vertex and measures the
 * indexed mesh: an open-addressed table of vertex numbers, hashed by
 * the corners' float bits.
 */
static int
soup_measure(const struct soup *sp, struct mesh_stats *st, struct err *e)
{
	size_t		 n = sp->nt * 3, cap = 16, i, h, nv = 0;
	uint32_t	*slot = NULL, *t = NULL, x, y, z;
	double		*v = NULL;
	const float	*c;
	int		 rc;

	while (cap < n + n / 3)
		cap <<= 1;
	slot = malloc(cap * sizeof(*slot));
	t = malloc(n * sizeof(*t));
	v = malloc(n * 3 * sizeof(*v));
	if (slot == NULL || t == NULL || v == NULL) {
		rc = err_set(e, ERR_INTERNAL, "out of memory");
		goto done;
	}
	memset(slot, 0xff, cap * sizeof(*slot));
	for (i = 0; i < n; i++) {
		c = sp->c + i * 3;
		x = float_bits(c[0]);
		y = float_bits(c[1]);
		z = float_bits(c[2]);
		h = (size_t)((x * UINT64_C(0x9E3779B97F4A7C15)) ^
		    (y * UINT64_C(0xC2B2AE3D27D4EB4F)) ^
		    (z * UINT64_C(0x165667B19E3779F9)));
		h = (h ^ (h >> 29)) & (cap - 1);
		while (slot[h] != UINT32_MAX && !(v[slot[h] * 3] ==
		    (double)c[0] && v[slot[h] * 3 + 1] == (double)c[1] &&
		    v[slot[h] * 3 + 2] == (double)c[2]))
			h = (h + 1) & (cap - 1);
		if (slot[h] == UINT32_MAX) {
			slot[h] = (uint32_t)nv;
			v[nv * 3] = c[0];
			v[nv * 3 + 1] = c[1];
			v[nv * 3 + 2] = c[2];
			nv++;
		}
		t[i] = slot[h];
	}
	free(slot);
	slot = NULL;
	rc = analyse(v, nv, t, sp->nt, st, e);
done:
	free(slot);
	free(t);
	free(v);
	return rc;
}

static int
stl_binary(const unsigned char *d, size_t nt, struct mesh_stats *st,
    struct err *e)
{
	struct soup	 sp;
	const unsigned char *r;
	uint32_t	 u;
	size_t		 i, k;
	int		 rc;

	sp.nt = nt;
	if ((sp.c = malloc(nt * 9 * sizeof(float))) == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	for (i = 0; i < nt; i++) {
		/* normal (12 bytes), three corners, attribute count */
		r = d + STL_HEADER + 4 + i * STL_RECORD + 12;
		for (k = 0; k < 9; k++) {
			u = le32(r + k * 4);
			memcpy(&sp.c[i * 9 + k], &u, sizeof(u));
			if (!isfinite(sp.c[i * 9 + k])) {
				free(sp.c);
				return err_set(e, ERR_INVALID, "triangle %zu "
				    "has a coordinate that is not a finite "
				    "number", i + 1);
			}
		}
	}
	rc = soup_measure(&sp, st, e);
	free(sp.c);
	return rc;
}

/* The next blank-separated token of [*p, end) into tok; 0 at the end. */
static size_t
stl_token(const char **p, const char *end, size_t *line, const char **tok)
{
	const char	*s = *p;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\n' || *s == '\f' || *s == '\v')) {
		if (*s == '\n')
			(*line)++;
		s++;
	}
	*tok = s;
	while (s < end && !(*s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\n' || *s == '\f' || *s == '\v'))
		s++;
	*p = s;
	return (size_t)(s - *tok);
}

static int
tok_is(const char *tok, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(tok, word, n) == 0;
}

static int
stl_ascii(const char *d, size_t len, size_t max, struct mesh_stats *st,
    struct err *e)
{
	struct soup	 sp = { NULL, 0, 0 };
	const char	*p = d, *end = d + len, *tok;
	size_t		 n, line = 1, corners = 0, k;
	char		 num[64], *ep;
	double		 x;
	float		*grown;
	int		 rc, ended = 0;

	n = stl_token(&p, end, &line, &tok);
	if (!tok_is(tok, n, "solid"))
		return err_set(e, ERR_INVALID, "not an STL file: neither "
		    "binary (84 + 50 bytes per triangle) nor text starting "
		    "with \"solid\"");
	while ((n = stl_token(&p, end, &line, &tok)) > 0) {
		if (tok_is(tok, n, "endsolid")) {
			ended = 1;
			break;
		}
		if (!tok_is(tok, n, "vertex"))
			continue;	/* facet normal, outer loop, ... */
		if (corners % 3 == 0 && corners / 3 >= max) {
			free(sp.c);
			return err_set(e, ERR_TOO_LARGE, "the file holds more "
			    "than %zu triangles (the limit)", max);
		}
		if (corners * 3 + 3 > sp.cap) {
			sp.cap = sp.cap == 0 ? 3 * 3 * 1024 : sp.cap * 2;
			if ((grown = realloc(sp.c, sp.cap * sizeof(float))) ==
			    NULL) {
				free(sp.c);
				return err_set(e, ERR_INTERNAL, "out of memory");
			}
			sp.c = grown;
		}
		for (k = 0; k < 3; k++) {
			n = stl_token(&p, end, &line, &tok);
			if (n == 0 || n >= sizeof(num)) {
				free(sp.c);
				return err_set(e, ERR_INVALID, "line %zu: a "
				    "vertex needs three numbers", line);
			}
			memcpy(num, tok, n);
			num[n] = '\0';
			x = strtod(num, &ep);
			if (*ep != '\0' || ep == num) {
				free(sp.c);
				return err_set(e, ERR_INVALID, "line %zu: \"%s\" "
				    "is not a number", line, num);
			}
			if (!isfinite(x) || !isfinite((float)x)) {
				free(sp.c);
				return err_set(e, ERR_INVALID, "line %zu: a "
				    "coordinate that is not a finite number",
				    line);
			}
			sp.c[corners * 3 + k] = (float)x;
		}
		corners++;
	}
	if (!ended || corners % 3 != 0) {
		free(sp.c);
		return err_set(e, ERR_INVALID, "the text STL is cut short "
		    "(%s)", !ended ? "no \"endsolid\"" : "a facet lacks "
		    "corners");
	}
	sp.nt = corners / 3;
	if (sp.nt == 0) {
		free(sp.c);
		return err_set(e, ERR_INVALID, "the file holds no triangles");
	}
	rc = soup_measure(&sp, st, e);
	free(sp.c);
	return rc;
}

int
mesh_stl(const void *data, size_t len, size_t max, struct mesh_stats *st,
    struct err *e)
{
	const unsigned char	*d = data;
	uint64_t		 nt, want;
	size_t			 i;

	memset(st, 0, sizeof(*st));
	if (max == 0)
		max = MESH_MAX_TRIANGLES;
	if (len >= STL_HEADER + 4) {
		nt = le32(d + STL_HEADER);
		want = STL_HEADER + 4 + nt * STL_RECORD;
		if (want == len) {
			if (nt == 0)
				return err_set(e, ERR_INVALID, "the file "
				    "holds no triangles");
			if (nt > max)
				return err_set(e, ERR_TOO_LARGE, "the file "
				    "holds %llu triangles; the limit is %zu",
				    (unsigned long long)nt, max);
			return stl_binary(d, (size_t)nt, st, e);
		}
	}
	for (i = 0; i < len && i < 256 && (d[i] == ' ' || d[i] == '\t' ||
	    d[i] == '\r' || d[i] == '\n'); i++)
		;
	if (len - i >= 5 && memcmp(d + i, "solid", 5) == 0)
		return stl_ascii((const char *)d, len, max, st, e);
	if (len < STL_HEADER + 4)
		return err_set(e, ERR_INVALID, "the file is too short for an "
		    "STL file (%zu bytes)", len);
	return err_set(e, ERR_INVALID, "the binary STL header says %llu "
	    "triangles, which take %llu bytes, but the file has %zu (cut "
	    "short or not an STL file)", (unsigned long long)le32(d +
	    STL_HEADER), (unsigned long long)(STL_HEADER + 4 + (uint64_t)le32(
	    d + STL_HEADER) * STL_RECORD), len);
}
