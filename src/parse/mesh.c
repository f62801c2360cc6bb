/*
 * mesh.c -- measures triangle meshes for instant quotes: volume, area,
 * bounding box, pieces (shells) and whether the surface is closed.
 *
 * An STL file is a soup of triangles, each with its own three corners;
 * corners at the same position are merged as they are read, by their
 * exact float bits, -0 taken as 0, in a hash table that holds the bits
 * themselves, so that the mesh becomes indexed like a 3MF object.
 * Then, for an indexed mesh:
 *   - volume: the sum of the signed tetrahedra (origin, a, b, c), which
 *     is the enclosed volume for a closed, consistently wound surface
 *     wherever the origin lies; its magnitude is reported.  Volume, area,
 *     box and degenerate triangles are summed by one function (geom_add)
 *     in the order the triangles come, whichever reader they come from;
 *     an STL's triangles are measured in the loop that reads them (two
 *     corners are one vertex when their keys are equal), so its records
 *     are read once;
 *   - edges: every triangle gives three directed edges, each put in the
 *     bucket of its smaller vertex (a counting sort: two passes, no
 *     comparisons) with its larger vertex and its direction; each
 *     bucket is sorted (the usual one, of six entries, by a network
 *     without branches) and counted.  A closed, manifold and
 *     consistently wound surface uses every edge exactly twice, once
 *     each way; an edge used once is open, three or more times
 *     non-manifold, twice the same way flipped (a triangle faces
 *     inwards);
 *   - shells: union-find over the edges, as the buckets are counted (the
 *     bucket's own vertex looked up once for all its edges); the root of
 *     a piece is its smallest vertex.
 *
 * A sink (mesh.h), when given, sees each triangle in the reader's loop,
 * so that it costs nothing when there is none.
 *
 * Bounds: a binary STL's triangle count is checked against the file size
 * (84 + 50 n bytes) and the ceiling before anything is allocated; an
 * ASCII STL is read once, token by token, and stops at the ceiling.
 * Memory while working on an STL file: about 40 bytes per triangle of a
 * closed surface (the weld table, 16 bytes per vertex at most half full,
 * grows with the vertices of a soup that shares none).
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
#define MESH_INDEX	UINT32_C(0x7fffffff)

/* ---- what every triangle adds ---- */

/* The running sums of the geometry, in the order the triangles come. */
struct geom {
	double		 vol, area;
	double		 min[3], max[3];
	size_t		 degenerate;
};

static void
geom_init(struct geom *g)
{
	int	d;

	memset(g, 0, sizeof(*g));
	for (d = 0; d < 3; d++) {
		g->min[d] = HUGE_VAL;
		g->max[d] = -HUGE_VAL;
	}
}

/*
 * Adds triangle (a, b, c); same says that two of its corners are one
 * vertex; box, that its corners go in the box (a reader that sees each
 * vertex once puts them in itself).  Inlined in both readers so that the sums are the same, bit
 * for bit, however a mesh arrives.
 */
static inline __attribute__((always_inline)) void
geom_add(struct geom *g, const double *a, const double *b, const double *c,
    int same, int box)
{
	const double	*p[3] = { a, b, c };
	double		 u[3], w[3], n[3], len2;
	int		 k, d;

	for (k = 0; box && k < 3; k++)
		for (d = 0; d < 3; d++) {
			if (p[k][d] < g->min[d])
				g->min[d] = p[k][d];
			if (p[k][d] > g->max[d])
				g->max[d] = p[k][d];
		}
	g->vol += a[0] * (b[1] * c[2] - b[2] * c[1]) -
	    a[1] * (b[0] * c[2] - b[2] * c[0]) +
	    a[2] * (b[0] * c[1] - b[1] * c[0]);
	for (d = 0; d < 3; d++) {
		u[d] = b[d] - a[d];
		w[d] = c[d] - a[d];
	}
	n[0] = u[1] * w[2] - u[2] * w[1];
	n[1] = u[2] * w[0] - u[0] * w[2];
	n[2] = u[0] * w[1] - u[1] * w[0];
	len2 = n[0] * n[0] + n[1] * n[1] + n[2] * n[2];
	g->area += sqrt(len2) / 2;
	/* zero area, relative to the triangle's own size */
	if (same || len2 <= 1e-24 * (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]) *
	    (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]))
		g->degenerate++;
}

static void
geom_done(const struct geom *g, struct mesh_stats *st)
{
	st->volume = fabs(g->vol) / 6;
	st->area = g->area;
	memcpy(st->min, g->min, sizeof(st->min));
	memcpy(st->max, g->max, sizeof(st->max));
	st->degenerate = g->degenerate;
}

/* ---- what the corners' indices say: shells and edges ---- */

static uint32_t
uf_find(uint32_t *parent, uint32_t x)
{
	/* path halving: every other step points at its grandparent */
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Compare and swap: puts a[i] and a[j] in order without a branch. */
#define CSWAP(a, i, j) do {						\
	uint32_t lo_ = (a)[i] < (a)[j] ? (a)[i] : (a)[j];		\
	(a)[j] = (a)[i] < (a)[j] ? (a)[j] : (a)[i];			\
	(a)[i] = lo_;							\
} while (0)

/* Sorts a bucket: most hold about six, a fan's centre holds many. */
static void
bucket_sort(uint32_t *a, size_t n)
{
	size_t		i, j;
	uint32_t	x;

	if (n == 6) {
		/*
		 * The usual bucket (three edges, each used twice), whose
		 * entries come in any order, which an insertion sort's
		 * branches pay for: a network of twelve steps, a line for
		 * each of its five layers.
		 */
		CSWAP(a, 0, 5); CSWAP(a, 1, 3); CSWAP(a, 2, 4);
		CSWAP(a, 1, 2); CSWAP(a, 3, 4);
		CSWAP(a, 0, 3); CSWAP(a, 2, 5);
		CSWAP(a, 0, 1); CSWAP(a, 2, 3); CSWAP(a, 4, 5);
		CSWAP(a, 1, 2); CSWAP(a, 3, 4);
		return;
	}
	if (n > 32) {
		qsort(a, n, sizeof(*a), u32_cmp);
		return;
	}
	for (i = 1; i < n; i++) {
		x = a[i];
		for (j = i; j > 0 && a[j - 1] > x; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

/* One use of edge (a, b): its bucket and what it holds. */
#define EDGE_BUCKET(a, b)	((a) < (b) ? (a) : (b))
#define EDGE_ENTRY(a, b)	((a) < (b) ? (b) << 1 | 1 : (a) << 1)

/*
 * Counts the uses of each edge and the pieces; see the file's comment.
 * Returns 0, or -1 without memory.
 */
static int
topology_count(const uint32_t *t, size_t nv, size_t nt, struct mesh_stats *st)
{
	uint32_t	*end, *ent, *parent, *x, a, b, c, key, root, other;
	size_t		 i, j, k, n, from, uses, fwd;

	end = calloc(nv + 1, sizeof(*end));
	ent = malloc(nt * 3 * sizeof(*ent));
	parent = malloc(nv * sizeof(*parent));
	if (end == NULL || ent == NULL || parent == NULL) {
		free(end);
		free(ent);
		free(parent);
		return -1;
	}
	/* first the sizes of the buckets, then where each one ends */
	for (i = 0; i < nt; i++) {
		a = t[i * 3];
		b = t[i * 3 + 1];
		c = t[i * 3 + 2];
		end[EDGE_BUCKET(a, b)]++;
		end[EDGE_BUCKET(b, c)]++;
		end[EDGE_BUCKET(c, a)]++;
	}
	for (from = 0, i = 0; i < nv; i++) {
		uses = end[i];
		end[i] = (uint32_t)from;
		from += uses;
		parent[i] = (uint32_t)i;
	}
	/* filling bucket v moves end[v] from its start to its end */
	for (i = 0; i < nt; i++) {
		a = t[i * 3];
		b = t[i * 3 + 1];
		c = t[i * 3 + 2];
		ent[end[EDGE_BUCKET(a, b)]++] = EDGE_ENTRY(a, b);
		ent[end[EDGE_BUCKET(b, c)]++] = EDGE_ENTRY(b, c);
		ent[end[EDGE_BUCKET(c, a)]++] = EDGE_ENTRY(c, a);
	}
	for (from = 0, i = 0; i < nv; from = end[i++]) {
		x = ent + from;
		n = end[i] - from;
		bucket_sort(x, n);
		/* every edge here joins i: its root is looked up once */
		root = uf_find(parent, (uint32_t)i);
		for (j = 0; j < n; j = k) {
			key = x[j] >> 1;
			if ((x[j] & 1) == 0 && j + 1 < n &&
			    x[j + 1] == x[j] + 1 &&
			    (j + 2 == n || x[j + 2] != x[j + 1]))
				k = j + 2;	/* once each way: the usual */
			else {
				fwd = 0;
				for (k = j; k < n && x[k] >> 1 == key; k++)
					fwd += x[k] & 1;
				uses = k - j;
				if (uses == 1)
					st->open_edges++;
				else if (uses > 2)
					st->nonmanifold_edges++;
				else if (fwd != 1)
					st->flipped_edges++;
			}
			/* the smaller root stays: a piece's root is least */
			other = uf_find(parent, key);
			if (other < root) {
				parent[root] = other;
				root = other;
			} else if (other > root)
				parent[other] = root;
		}
	}
	/*
	 * A piece's root is its smallest vertex, whose edges all lie in
	 * its own bucket: a root with edges is one shell, a root without
	 * is a vertex no triangle uses.
	 */
	for (from = 0, i = 0; i < nv; from = end[i++])
		st->shells += parent[i] == i && end[i] > from;
	free(end);
	free(ent);
	free(parent);
	return 0;
}

/* Shells, edges and the verdict, for triangles t over nv vertices. */
static int
topology(const uint32_t *t, size_t nv, size_t nt, struct mesh_stats *st,
    struct err *e)
{
	if (topology_count(t, nv, nt, st) != 0)
		return err_set(e, ERR_INTERNAL, "out of memory");
	st->watertight = st->open_edges == 0 && st->nonmanifold_edges == 0 &&
	    st->flipped_edges == 0;
	return 0;
}

/* ---- an indexed mesh ---- */

int
mesh_indexed_sink(const double *v, size_t nv, const uint32_t *t, size_t nt,
    const struct mesh_sink *sink, struct mesh_stats *st, struct err *e)
{
	const double	*p[3];
	struct geom	 g;
	size_t		 i;

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
	for (i = 0; i < nv * 3; i++)
		if (!isfinite(v[i]))
			return err_set(e, ERR_INVALID, "vertex %zu has a "
			    "coordinate that is not a finite number", i / 3 + 1);
	geom_init(&g);
	for (i = 0; i < nt; i++) {
		p[0] = v + (size_t)t[i * 3] * 3;
		p[1] = v + (size_t)t[i * 3 + 1] * 3;
		p[2] = v + (size_t)t[i * 3 + 2] * 3;
		geom_add(&g, p[0], p[1], p[2], t[i * 3] == t[i * 3 + 1] ||
		    t[i * 3 + 1] == t[i * 3 + 2] || t[i * 3] == t[i * 3 + 2],
		    1);
		if (sink != NULL)
			sink->triangle(sink->ctx, p[0], p[1], p[2]);
	}
	geom_done(&g, st);
	return topology(t, nv, nt, st, e);
}

int
mesh_indexed(const double *v, size_t nv, const uint32_t *t, size_t nt,
    struct mesh_stats *st, struct err *e)
{
	return mesh_indexed_sink(v, nv, t, nt, NULL, st, e);
}

/* ---- STL ---- */

/* Corners as read from a text STL: nt triangles of three (x, y, z). */
struct soup {
	float		*c;
	size_t		 nt, cap;
};

/*
 * Corners at one position become one vertex: an open-addressed table
 * keyed by the corners' float bits (-0 taken as 0), each slot holding
 * the key itself so that a look-up touches one cache line.
 */
struct weld_slot {
	uint32_t	 x, y, z;
	uint32_t	 i;		/* vertex number + 1; 0: empty */
};

struct weld {
	struct weld_slot *slot;
	size_t		 cap, nv;
	uint32_t	*t;		/* three vertex numbers per triangle */
	size_t		 nt;
	struct geom	 g;
	const struct mesh_sink *sink;
};

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* The hash of a corner's key; the table's slot is its low bits. */
static inline uint32_t
weld_hash(uint32_t x, uint32_t y, uint32_t z)
{
	/* the upper half of each product depends on every bit of its key */
	return (uint32_t)(((x * UINT64_C(0x9E3779B97F4A7C15)) ^
	    (y * UINT64_C(0xC2B2AE3D27D4EB4F)) ^
	    (z * UINT64_C(0x165667B19E3779F9))) >> 32);
}

/* Room for at least n triangles' vertices at first; it grows as needed. */
static int
weld_init(struct weld *w, size_t nt, const struct mesh_sink *sink)
{
	memset(w, 0, sizeof(*w));
	/* a closed surface has about half as many vertices as triangles */
	w->cap = 1024;
	while (w->cap < nt)
		w->cap <<= 1;
	w->slot = calloc(w->cap, sizeof(*w->slot));
	w->t = malloc(nt * 3 * sizeof(*w->t));
	w->sink = sink;
	geom_init(&w->g);
	return w->slot == NULL || w->t == NULL ? -1 : 0;
}

static void
weld_free(struct weld *w)
{
	free(w->slot);
	free(w->t);
}

/* Doubles the table, past half full. */
static int
weld_grow(struct weld *w)
{
	struct weld_slot	*old = w->slot, *s;
	size_t			 i, h, cap = w->cap * 2;

	if ((w->slot = calloc(cap, sizeof(*w->slot))) == NULL) {
		w->slot = old;
		return -1;
	}
	for (i = 0; i < w->cap; i++) {
		if (old[i].i == 0)
			continue;
		h = weld_hash(old[i].x, old[i].y, old[i].z) & (cap - 1);
		for (s = w->slot + h; s->i != 0; s = w->slot + h)
			h = (h + 1) & (cap - 1);
		*s = old[i];
	}
	free(old);
	w->cap = cap;
	return 0;
}

/* The key of a coordinate: its float bits, -0 taken as 0. */
static inline uint32_t
weld_key(uint32_t bits)
{
	return bits == UINT32_C(0x80000000) ? 0 : bits;
}

/*
 * The vertex number of the corner with key k and hash h, added (and its
 * position put in the box) when it is new.
 */
static inline __attribute__((always_inline)) int
weld_corner(struct weld *w, const uint32_t k[3], uint32_t h, uint32_t *out)
{
	struct weld_slot	*s;
	size_t			 at = h & (w->cap - 1);
	float			 f;
	int			 d;

	for (;;) {
		s = w->slot + at;
		if (s->i == 0)
			break;
		if (s->x == k[0] && s->y == k[1] && s->z == k[2]) {
			*out = s->i - 1;
			return 0;
		}
		at = (at + 1) & (w->cap - 1);
	}
	s->x = k[0];
	s->y = k[1];
	s->z = k[2];
	s->i = (uint32_t)++w->nv;
	*out = s->i - 1;
	/* the box of the vertices is the box of the corners */
	for (d = 0; d < 3; d++) {
		memcpy(&f, &k[d], sizeof(f));
		if ((double)f < w->g.min[d])
			w->g.min[d] = (double)f;
		if ((double)f > w->g.max[d])
			w->g.max[d] = (double)f;
	}
	if (w->nv > w->cap / 2 && weld_grow(w) != 0)
		return -1;
	return 0;
}

/* Welds the triangle whose corners' keys and hashes are k and h. */
static inline __attribute__((always_inline)) int
weld_triangle(struct weld *w, const uint32_t k[9], const uint32_t h[3])
{
	uint32_t	*t = w->t + w->nt * 3;
	int		 j;

	for (j = 0; j < 3; j++)
		if (weld_corner(w, k + j * 3, h[j], t + j) != 0)
			return -1;
	w->nt++;
	return 0;
}

/* The measure of the welded triangles. */
static int
weld_measure(struct weld *w, struct mesh_stats *st, struct err *e)
{
	memset(st, 0, sizeof(*st));
	st->triangles = w->nt;
	st->vertices = w->nv;
	geom_done(&w->g, st);
	free(w->slot);		/* not needed any more: make room */
	w->slot = NULL;
	return topology(w->t, w->nv, w->nt, st, e);
}

/*
 * Reads a triangle whose corners' float bits are u: its keys and hashes
 * into k and h, a prefetch of their slots (a table of a million
 * vertices is far larger than the caches, and the slots are asked for
 * at random, so each look-up would otherwise wait for memory in turn),
 * and its volume, area and degeneracy into g, which the caller keeps in
 * a local so that the sums stay in registers.  Two corners are one
 * vertex exactly when their keys are equal, so the triangle is measured
 * here, before it is welded, with the same result.
 */
static inline __attribute__((always_inline)) void
weld_read(const struct weld *w, struct geom *g, const uint32_t u[9],
    uint32_t k[9], uint32_t h[3])
{
	float	c[9];
	double	p[3][3];
	int	j, same;

	/* unrolled: the loops' own counting was a tenth of the work */
#pragma GCC unroll 9
	for (j = 0; j < 9; j++)
		k[j] = weld_key(u[j]);
#pragma GCC unroll 3
	for (j = 0; j < 3; j++) {
		h[j] = weld_hash(k[j * 3], k[j * 3 + 1], k[j * 3 + 2]);
		__builtin_prefetch(w->slot + (h[j] & (w->cap - 1)), 1);
	}
	memcpy(c, u, sizeof(c));
#pragma GCC unroll 3
	for (j = 0; j < 3; j++) {
		p[j][0] = (double)c[j * 3];
		p[j][1] = (double)c[j * 3 + 1];
		p[j][2] = (double)c[j * 3 + 2];
	}
	same = ((k[0] == k[3]) & (k[1] == k[4]) & (k[2] == k[5])) |
	    ((k[3] == k[6]) & (k[4] == k[7]) & (k[5] == k[8])) |
	    ((k[0] == k[6]) & (k[1] == k[7]) & (k[2] == k[8]));
	geom_add(g, p[0], p[1], p[2], same, 0);
	if (w->sink != NULL)
		w->sink->triangle(w->sink->ctx, p[0], p[1], p[2]);
}

/* The sums of g join the box the weld kept. */
static void
weld_sums(struct weld *w, const struct geom *g)
{
	w->g.vol = g->vol;
	w->g.area = g->area;
	w->g.degenerate = g->degenerate;
}

/* Triangles read ahead of the one welded; a power of two. */
#define WELD_AHEAD	16

/* Exponent bits of a float; all set: infinite or NaN. */
#define FLOAT_EXP	UINT32_C(0x7f800000)
#define FLOAT_EXP1	UINT32_C(0x00800000)

static int
stl_binary(const unsigned char *d, size_t nt, const struct mesh_sink *sink,
    struct mesh_stats *st, struct err *e)
{
	struct weld		 w;
	struct geom		 g;
	const unsigned char	*r;
	uint32_t		 k[WELD_AHEAD][9], h[WELD_AHEAD][3], u[9];
	uint32_t		 inf;
	size_t			 i, a;
	int			 j, rc;

	if (weld_init(&w, nt, sink) != 0) {
		weld_free(&w);
		return err_set(e, ERR_INTERNAL, "out of memory");
	}
	g = w.g;
	/* triangle i is read while triangle i - WELD_AHEAD is welded */
	for (i = 0; i < nt + WELD_AHEAD; i++) {
		a = i % WELD_AHEAD;
		if (i >= WELD_AHEAD && weld_triangle(&w, k[a], h[a]) != 0) {
			weld_free(&w);
			return err_set(e, ERR_INTERNAL, "out of memory");
		}
		if (i >= nt)
			continue;
		/* normal (12 bytes), three corners, attribute count */
		r = d + STL_HEADER + 4 + i * STL_RECORD + 12;
#pragma GCC unroll 9
		for (inf = 0, j = 0; j < 9; j++) {
			u[j] = le32(r + j * 4);
			/* a carry into the sign bit: all exponent bits set */
			inf |= (u[j] & FLOAT_EXP) + FLOAT_EXP1;
		}
		if (inf & UINT32_C(0x80000000)) {
			weld_free(&w);
			return err_set(e, ERR_INVALID, "triangle %zu has a "
			    "coordinate that is not a finite number", i + 1);
		}
		weld_read(&w, &g, u, k[a], h[a]);
	}
	weld_sums(&w, &g);
	rc = weld_measure(&w, st, e);
	weld_free(&w);
	return rc;
}

/* The corners of a text STL, welded and measured. */
static int
soup_measure(const struct soup *sp, const struct mesh_sink *sink,
    struct mesh_stats *st, struct err *e)
{
	struct weld	w;
	struct geom	g;
	uint32_t	u[9], k[9], h[3];
	size_t		i;
	int		rc;

	if (weld_init(&w, sp->nt, sink) != 0) {
		weld_free(&w);
		return err_set(e, ERR_INTERNAL, "out of memory");
	}
	g = w.g;
	for (i = 0; i < sp->nt; i++) {
		memcpy(u, sp->c + i * 9, sizeof(u));
		weld_read(&w, &g, u, k, h);
		if (weld_triangle(&w, k, h) != 0) {
			weld_free(&w);
			return err_set(e, ERR_INTERNAL, "out of memory");
		}
	}
	weld_sums(&w, &g);
	rc = weld_measure(&w, st, e);
	weld_free(&w);
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
stl_ascii(const char *d, size_t len, size_t max, const struct mesh_sink *sink,
    struct mesh_stats *st, struct err *e)
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
	rc = soup_measure(&sp, sink, st, e);
	free(sp.c);
	return rc;
}

int
mesh_stl_sink(const void *data, size_t len, size_t max,
    const struct mesh_sink *sink, struct mesh_stats *st, struct err *e)
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
			return stl_binary(d, (size_t)nt, sink, st, e);
		}
	}
	for (i = 0; i < len && i < 256 && (d[i] == ' ' || d[i] == '\t' ||
	    d[i] == '\r' || d[i] == '\n'); i++)
		;
	if (len - i >= 5 && memcmp(d + i, "solid", 5) == 0)
		return stl_ascii((const char *)d, len, max, sink, st, e);
	if (len < STL_HEADER + 4)
		return err_set(e, ERR_INVALID, "the file is too short for an "
		    "STL file (%zu bytes)", len);
	return err_set(e, ERR_INVALID, "the binary STL header says %llu "
	    "triangles, which take %llu bytes, but the file has %zu (cut "
	    "short or not an STL file)", (unsigned long long)le32(d +
	    STL_HEADER), (unsigned long long)(STL_HEADER + 4 + (uint64_t)le32(
	    d + STL_HEADER) * STL_RECORD), len);
}

int
mesh_stl(const void *data, size_t len, size_t max, struct mesh_stats *st,
    struct err *e)
{
	return mesh_stl_sink(data, len, max, NULL, st, e);
}
