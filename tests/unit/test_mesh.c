/*
 * test_mesh.c -- parse/mesh.c on meshes built here with known answers:
 * a cube and a box (volume, area, box, closed), a cube with a hole
 * through it (a torus in topology: still one closed shell), a UV sphere
 * and a torus approximation against their exact formulas, two separate
 * cubes (two shells), an open box and a flipped triangle (not closed),
 * the same cube as binary and as ASCII STL, and malformed files:
 * truncated, header/size mismatch, NaN coordinates, no triangles, over
 * the triangle ceiling.  A triangle sink sees what is measured; soups
 * that grow the weld table and fans with thousands of edges at one
 * vertex are counted exactly.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "volsink.h"
#include "core/err.h"
#include "parse/mesh.h"

/* A growing triangle soup, written out as binary or ASCII STL. */
struct tris {
	float	*c;
	size_t	 n, cap;
};

static void
tri(struct tris *t, const double a[3], const double b[3], const double c[3])
{
	const double	*p[3] = { a, b, c };
	int		 k, d;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->c = realloc(t->c, t->cap * 9 * sizeof(float));
		ck_assert_ptr_nonnull(t->c);
	}
	for (k = 0; k < 3; k++)
		for (d = 0; d < 3; d++)
			t->c[t->n * 9 + (size_t)k * 3 + (size_t)d] =
			    (float)p[k][d];
	t->n++;
}

static void
quad(struct tris *t, const double a[3], const double b[3], const double c[3],
    const double d[3])
{
	tri(t, a, b, c);
	tri(t, a, c, d);
}

/* An axis-aligned box, outward facing, at o with sizes s. */
static void
box(struct tris *t, const double o[3], const double s[3])
{
	double	v[8][3];
	int	i;

	for (i = 0; i < 8; i++) {
		v[i][0] = o[0] + ((i & 1) ? s[0] : 0);
		v[i][1] = o[1] + ((i & 2) ? s[1] : 0);
		v[i][2] = o[2] + ((i & 4) ? s[2] : 0);
	}
	quad(t, v[0], v[2], v[3], v[1]);	/* bottom, z = 0 */
	quad(t, v[4], v[5], v[7], v[6]);	/* top */
	quad(t, v[0], v[1], v[5], v[4]);	/* y = 0 */
	quad(t, v[2], v[6], v[7], v[3]);	/* y = s */
	quad(t, v[0], v[4], v[6], v[2]);	/* x = 0 */
	quad(t, v[1], v[3], v[7], v[5]);	/* x = s */
}

/* A torus of radii R and r, nu x nv quads, outward facing. */
static void
torus(struct tris *t, double R, double r, int nu, int nv)
{
	double	p[4][3];
	int	i, j, k, di, dj;

	for (i = 0; i < nu; i++)
		for (j = 0; j < nv; j++) {
			for (k = 0; k < 4; k++) {
				di = k == 1 || k == 2;
				dj = k >= 2;
				/* the seam's corners are the same floats */
				double	u = 2 * M_PI * ((i + di) % nu) / nu;
				double	w = 2 * M_PI * ((j + dj) % nv) / nv;
				p[k][0] = (R + r * cos(w)) * cos(u);
				p[k][1] = (R + r * cos(w)) * sin(u);
				p[k][2] = r * sin(w);
			}
			quad(t, p[0], p[1], p[2], p[3]);
		}
}

/* A UV sphere of radius r: nu around, nv from pole to pole. */
static void
sphere(struct tris *t, double r, int nu, int nv)
{
	double	p[4][3], th, ph, sp;
	int	i, j, k, jj;

	for (i = 0; i < nu; i++)
		for (j = 0; j < nv; j++) {
			for (k = 0; k < 4; k++) {
				/* seam and poles: the same floats each time */
				th = 2 * M_PI * ((i + (k == 1 || k == 2)) % nu) /
				    nu;
				jj = j + (k >= 2);
				ph = M_PI * jj / nv;
				sp = jj == 0 || jj == nv ? 0 : sin(ph);
				p[k][0] = r * sp * cos(th);
				p[k][1] = r * sp * sin(th);
				p[k][2] = jj == 0 ? r : jj == nv ? -r : r * cos(ph);
			}
			if (j == 0)
				tri(t, p[0], p[3], p[2]);
			else if (j == nv - 1)
				tri(t, p[0], p[2], p[1]);
			else
				quad(t, p[0], p[3], p[2], p[1]);
		}
}

static unsigned char *
binary(const struct tris *t, size_t *len)
{
	unsigned char	*b;
	uint32_t	 n = (uint32_t)t->n, u;
	size_t		 i, k;

	*len = 84 + 50 * t->n;
	b = calloc(1, *len);
	ck_assert_ptr_nonnull(b);
	memcpy(b, "binary from test_mesh", 21);
	for (k = 0; k < 4; k++)
		b[80 + k] = (unsigned char)(n >> (8 * k));
	for (i = 0; i < t->n; i++)
		for (k = 0; k < 9; k++) {
			memcpy(&u, &t->c[i * 9 + k], 4);
			b[84 + i * 50 + 12 + k * 4] = (unsigned char)u;
			b[84 + i * 50 + 13 + k * 4] = (unsigned char)(u >> 8);
			b[84 + i * 50 + 14 + k * 4] = (unsigned char)(u >> 16);
			b[84 + i * 50 + 15 + k * 4] = (unsigned char)(u >> 24);
		}
	return b;
}

static char *
ascii(const struct tris *t, size_t *len)
{
	size_t	cap = 128 + t->n * 300, n, i, k;
	char	*s = malloc(cap);

	ck_assert_ptr_nonnull(s);
	n = (size_t)snprintf(s, cap, "solid test\n");
	for (i = 0; i < t->n; i++) {
		n += (size_t)snprintf(s + n, cap - n, "  facet normal 0 0 0\n"
		    "    outer loop\n");
		for (k = 0; k < 3; k++)
			n += (size_t)snprintf(s + n, cap - n, "      vertex %.9g "
			    "%.9g %.9g\n", (double)t->c[i * 9 + k * 3],
			    (double)t->c[i * 9 + k * 3 + 1],
			    (double)t->c[i * 9 + k * 3 + 2]);
		n += (size_t)snprintf(s + n, cap - n, "    endloop\n  "
		    "endfacet\n");
	}
	n += (size_t)snprintf(s + n, cap - n, "endsolid test\n");
	*len = n;
	return s;
}

static int
measure(const struct tris *t, struct mesh_stats *st, struct err *e)
{
	unsigned char	*b;
	size_t		 len;
	int		 rc;

	memset(e, 0, sizeof(*e));
	b = binary(t, &len);
	rc = mesh_stl(b, len, 0, st, e);
	free(b);
	return rc;
}

START_TEST(cube_and_box)
{
	struct tris		t = { 0 };
	struct mesh_stats	st;
	struct err		e;

	box(&t, (const double[]){ 5, -3, 2 }, (const double[]){ 20, 10, 4 });
	ck_assert_int_eq(measure(&t, &st, &e), 0);
	ck_assert_uint_eq(st.triangles, 12);
	ck_assert_uint_eq(st.vertices, 8);
	ck_assert_double_eq_tol(st.volume, 800, 1e-6);
	ck_assert_double_eq_tol(st.area, 2 * (200 + 80 + 40), 1e-6);
	ck_assert_double_eq(st.min[0], 5);
	ck_assert_double_eq(st.max[1], 7);
	ck_assert_double_eq(st.max[2], 6);
	ck_assert_uint_eq(st.shells, 1);
	ck_assert_uint_eq(st.degenerate, 0);
	ck_assert_int_eq(st.watertight, 1);
	free(t.c);
}
END_TEST

START_TEST(binary_and_ascii_agree)
{
	struct tris		t = { 0 };
	struct mesh_stats	a, b;
	struct err		e = { 0 };
	char			*s;
	size_t			 len;

	sphere(&t, 12.5, 24, 12);
	ck_assert_int_eq(measure(&t, &a, &e), 0);
	s = ascii(&t, &len);
	ck_assert_int_eq(mesh_stl(s, len, 0, &b, &e), 0);
	ck_assert_uint_eq(a.triangles, b.triangles);
	ck_assert_uint_eq(a.vertices, b.vertices);
	ck_assert_double_eq_tol(a.volume, b.volume, 1e-6 * a.volume);
	ck_assert_double_eq_tol(a.area, b.area, 1e-6 * a.area);
	ck_assert_int_eq(b.watertight, 1);
	free(s);
	free(t.c);
}
END_TEST

START_TEST(sphere_and_torus_approach_the_formulas)
{
	struct tris		t = { 0 }, u = { 0 };
	struct mesh_stats	st;
	struct err		e;

	sphere(&t, 10, 256, 128);
	ck_assert_int_eq(measure(&t, &st, &e), 0);
	ck_assert_double_eq_tol(st.volume, 4.0 / 3 * M_PI * 1000, 4189 * 0.002);
	ck_assert_double_eq_tol(st.area, 4 * M_PI * 100, 1257 * 0.002);
	ck_assert_int_eq(st.watertight, 1);
	ck_assert_uint_eq(st.shells, 1);
	free(t.c);

	torus(&u, 30, 8, 256, 128);
	ck_assert_int_eq(measure(&u, &st, &e), 0);
	ck_assert_double_eq_tol(st.volume, 2 * M_PI * M_PI * 30 * 64,
	    37899 * 0.002);
	ck_assert_double_eq_tol(st.area, 4 * M_PI * M_PI * 30 * 8,
	    9475 * 0.002);
	ck_assert_int_eq(st.watertight, 1);
	ck_assert_uint_eq(st.shells, 1);
	ck_assert_double_eq_tol(st.max[0], 38, 1e-4);
	ck_assert_double_eq_tol(st.max[2], 8, 0.01);
	free(u.c);
}
END_TEST

START_TEST(a_cube_inside_a_cube_is_a_hollow_shell)
{
	struct tris		t = { 0 };
	struct mesh_stats	st;
	struct err		e;
	size_t			i, k;
	float			tmp[3];

	box(&t, (const double[]){ 0, 0, 0 }, (const double[]){ 10, 10, 10 });
	box(&t, (const double[]){ 3, 3, 3 }, (const double[]){ 4, 4, 4 });
	/* the inner box faces inwards: swap two corners of each triangle */
	for (i = 12; i < 24; i++)
		for (k = 0; k < 3; k++) {
			tmp[k] = t.c[i * 9 + 3 + k];
			t.c[i * 9 + 3 + k] = t.c[i * 9 + 6 + k];
			t.c[i * 9 + 6 + k] = tmp[k];
		}
	ck_assert_int_eq(measure(&t, &st, &e), 0);
	ck_assert_double_eq_tol(st.volume, 1000 - 64, 1e-6);
	ck_assert_double_eq_tol(st.area, 600 + 96, 1e-6);
	ck_assert_uint_eq(st.shells, 2);
	ck_assert_int_eq(st.watertight, 1);
	free(t.c);
}
END_TEST

START_TEST(two_cubes_are_two_shells)
{
	struct tris		t = { 0 };
	struct mesh_stats	st;
	struct err		e;

	box(&t, (const double[]){ 0, 0, 0 }, (const double[]){ 10, 10, 10 });
	box(&t, (const double[]){ 50, 0, 0 }, (const double[]){ 2, 2, 2 });
	ck_assert_int_eq(measure(&t, &st, &e), 0);
	ck_assert_uint_eq(st.shells, 2);
	ck_assert_double_eq_tol(st.volume, 1008, 1e-6);
	ck_assert_double_eq(st.max[0], 52);
	ck_assert_int_eq(st.watertight, 1);
	free(t.c);
}
END_TEST

START_TEST(open_and_flipped_surfaces_are_not_watertight)
{
	struct tris		t = { 0 };
	struct mesh_stats	st;
	struct err		e;
	float			tmp[3];

	box(&t, (const double[]){ 0, 0, 0 }, (const double[]){ 10, 10, 10 });
	t.n -= 2;	/* no x = s face */
	ck_assert_int_eq(measure(&t, &st, &e), 0);
	ck_assert_int_eq(st.watertight, 0);
	ck_assert_uint_eq(st.open_edges, 4);
	t.n += 2;
	memcpy(tmp, t.c + 3, sizeof(tmp));	/* flip the first triangle */
	memcpy(t.c + 3, t.c + 6, sizeof(tmp));
	memcpy(t.c + 6, tmp, sizeof(tmp));
	ck_assert_int_eq(measure(&t, &st, &e), 0);
	ck_assert_int_eq(st.watertight, 0);
	ck_assert_uint_eq(st.open_edges, 0);
	ck_assert_uint_eq(st.flipped_edges, 3);
	free(t.c);
}
END_TEST

START_TEST(degenerate_triangles_are_counted)
{
	struct tris		t = { 0 };
	struct mesh_stats	st;
	struct err		e;
	const double		a[3] = { 0, 0, 0 }, b[3] = { 1, 1, 1 },
				c[3] = { 2, 2, 2 };

	box(&t, (const double[]){ 0, 0, 0 }, (const double[]){ 10, 10, 10 });
	tri(&t, a, b, c);	/* on a line */
	tri(&t, a, a, b);	/* a repeated corner */
	ck_assert_int_eq(measure(&t, &st, &e), 0);
	ck_assert_uint_eq(st.degenerate, 2);
	free(t.c);
}
END_TEST

START_TEST(malformed_files_are_refused_in_words)
{
	struct tris		t = { 0 };
	struct mesh_stats	st;
	struct err		e = { 0 };
	unsigned char		*b;
	char			*s;
	size_t			 len;
	float			 nan_ = NAN;

	box(&t, (const double[]){ 0, 0, 0 }, (const double[]){ 1, 1, 1 });
	b = binary(&t, &len);
	/* truncated: the header promises more than the file holds */
	ck_assert_int_eq(mesh_stl(b, len - 7, 0, &st, &e), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "header says 12 triangles"));
	/* the header says more triangles than there are */
	b[80] = 13;
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(mesh_stl(b, len, 0, &st, &e), ERR_INVALID);
	b[80] = 12;
	/* over the ceiling: refused before anything is read */
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(mesh_stl(b, len, 11, &st, &e), ERR_TOO_LARGE);
	ck_assert_ptr_nonnull(strstr(e.message, "limit is 11"));
	/* a NaN coordinate */
	memcpy(b + 84 + 5 * 50 + 12 + 4, &nan_, 4);
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(mesh_stl(b, len, 0, &st, &e), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "triangle 6"));
	free(b);
	/* no triangles */
	b = calloc(1, 84);
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(mesh_stl(b, 84, 0, &st, &e), ERR_INVALID);
	ck_assert_int_eq(mesh_stl(b, 10, 0, &st, &e), ERR_INVALID);
	free(b);
	/* ASCII: cut short, a bad number, nan, over the ceiling */
	s = ascii(&t, &len);
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(mesh_stl(s, len / 2, 0, &st, &e), ERR_INVALID);
	ck_assert_int_eq(mesh_stl(s, len, 5, &st, &e), ERR_TOO_LARGE);
	memcpy(strstr(s, "vertex ") + 7, "x", 1);
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(mesh_stl(s, len, 0, &st, &e), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "line 4"));
	free(s);
	s = strdup("solid x\nfacet normal 0 0 0\nouter loop\nvertex nan 0 0\n"
	    "vertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid x\n");
	ck_assert_int_eq(mesh_stl(s, strlen(s), 0, &st, &e), ERR_INVALID);
	free(s);
	ck_assert_int_eq(mesh_stl("solid x\nendsolid x\n", 19, 0, &st, &e),
	    ERR_INVALID);
	ck_assert_int_eq(mesh_stl("hello world", 11, 0, &st, &e), ERR_INVALID);
	free(t.c);
}
END_TEST

START_TEST(indexed_meshes_are_checked)
{
	const double		v[] = { 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1 };
	const uint32_t		tet[] = { 0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3 };
	const uint32_t		bad[] = { 0, 1, 4 };
	struct mesh_stats	st;
	struct err		e = { 0 };

	ck_assert_int_eq(mesh_indexed(v, 4, tet, 4, &st, &e), 0);
	ck_assert_double_eq_tol(st.volume, 1.0 / 6, 1e-12);
	ck_assert_int_eq(st.watertight, 1);
	ck_assert_int_eq(mesh_indexed(v, 4, bad, 1, &st, &e), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "vertex 4"));
}
END_TEST


START_TEST(a_sink_sees_every_triangle_of_an_stl_file)
{
	struct tris		 t = { 0 };
	struct vol_sink		 v;
	struct mesh_sink	 sink = { vol_triangle, &v };
	struct mesh_stats	 st, plain;
	struct err		 e = { 0 };
	unsigned char		*b;
	char			*s;
	size_t			 len;

	box(&t, (const double[]){ 1, 2, 3 }, (const double[]){ 10, 20, 30 });
	b = binary(&t, &len);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(mesh_stl_sink(b, len, 0, &sink, &st, &e), 0);
	ck_assert_uint_eq(v.n, 12);
	ck_assert_double_eq(v.six / 6, st.volume);
	ck_assert_double_eq_tol(st.volume, 6000, 1e-9);
	/* the same answers without a sink */
	ck_assert_int_eq(mesh_stl(b, len, 0, &plain, &e), 0);
	ck_assert_int_eq(memcmp(&plain, &st, sizeof(st)), 0);
	free(b);
	s = ascii(&t, &len);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(mesh_stl_sink(s, len, 0, &sink, &st, &e), 0);
	ck_assert_uint_eq(v.n, 12);
	ck_assert_double_eq(v.six / 6, st.volume);
	free(s);
	free(t.c);
}
END_TEST

/*
 * Many triangles, many vertices (the weld table grows past its first
 * size when no corner is shared) and a fan whose centre has thousands
 * of edges: the counts must stay exact.
 */
START_TEST(large_soups_and_fans_are_counted_exactly)
{
	struct tris		 t = { 0 };
	struct mesh_stats	 st;
	struct err		 e;
	double			 a[3], b[3], c[3], o[3] = { 0, 0, 0 };
	double			 top[3] = { 0, 0, 5 };
	int			 i, n = 5000;

	/* separate triangles, no corner shared: 3 vertices each */
	for (i = 0; i < n; i++) {
		a[0] = i;
		a[1] = 0;
		a[2] = 0;
		b[0] = i + 0.5;
		b[1] = 1;
		b[2] = 0;
		c[0] = i;
		c[1] = 1;
		c[2] = 1;
		tri(&t, a, b, c);
	}
	ck_assert_int_eq(measure(&t, &st, &e), 0);
	ck_assert_uint_eq(st.vertices, 3 * (size_t)n);
	ck_assert_uint_eq(st.shells, (size_t)n);
	ck_assert_uint_eq(st.open_edges, 3 * (size_t)n);
	t.n = 0;
	/* a closed double cone over an n-gon: two fans of n triangles */
	for (i = 0; i < n; i++) {
		a[0] = cos(2 * M_PI * i / n);
		a[1] = sin(2 * M_PI * i / n);
		a[2] = 0;
		b[0] = cos(2 * M_PI * ((i + 1) % n) / n);
		b[1] = sin(2 * M_PI * ((i + 1) % n) / n);
		b[2] = 0;
		tri(&t, top, a, b);
		tri(&t, o, b, a);
	}
	ck_assert_int_eq(measure(&t, &st, &e), 0);
	ck_assert_uint_eq(st.vertices, (size_t)n + 2);
	ck_assert_uint_eq(st.shells, 1);
	ck_assert_int_eq(st.watertight, 1);
	ck_assert_double_eq_tol(st.volume, M_PI * 5 / 3, 1e-3);
	free(t.c);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("mesh");
	TCase	*tc = tcase_create("mesh");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cube_and_box);
	tcase_add_test(tc, binary_and_ascii_agree);
	tcase_add_test(tc, sphere_and_torus_approach_the_formulas);
	tcase_add_test(tc, a_cube_inside_a_cube_is_a_hollow_shell);
	tcase_add_test(tc, two_cubes_are_two_shells);
	tcase_add_test(tc, open_and_flipped_surfaces_are_not_watertight);
	tcase_add_test(tc, degenerate_triangles_are_counted);
	tcase_add_test(tc, malformed_files_are_refused_in_words);
	tcase_add_test(tc, indexed_meshes_are_checked);
	tcase_add_test(tc, a_sink_sees_every_triangle_of_an_stl_file);
	tcase_add_test(tc, large_soups_and_fans_are_counted_exactly);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
