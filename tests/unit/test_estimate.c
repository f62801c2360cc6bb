/*
 * test_estimate.c -- domain/estimate.c: what must hold whatever the
 * coefficients (more infill, a bigger part or finer layers never cost
 * less; solid parts weigh their volume), the layer count, coefficients
 * from a file changing the answer, unknown materials taking PLA's,
 * interpolation between layer heights, open meshes, the loader refusing
 * malformed files in words while keeping what it had, and the fit
 * recovering coefficients it was given.
 *
 * Meshes are described by their measures (struct mesh_stats) directly:
 * the estimator sees nothing else.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "unit.h"
#include "core/err.h"
#include "domain/estimate.h"
#include "parse/mesh.h"

/* PLA fitted at two layer heights; the numbers need not be physical. */
static const char pla_json[] =
    "{\"source\": \"test\", \"materials\": {\"PLA\": ["
    "{\"layer_mm\": 0.12, \"g\": {\"wall\": 1.1, \"skin\": 1.05, "
    "\"infill\": 1.2, \"void\": 0.01}, \"t\": {\"wall\": 1.2, \"skin\": 1.1,"
    " \"infill\": 0.6, \"ends\": 3, \"layer\": 2.5, \"void\": 0.02}},"
    "{\"layer_mm\": 0.2, \"g\": {\"wall\": 1.0, \"skin\": 1.0, "
    "\"infill\": 1.1, \"void\": 0.02}, \"t\": {\"wall\": 0.6, \"skin\": 0.5,"
    " \"infill\": 0.25, \"ends\": 2, \"layer\": 2, \"void\": 0.02}}]}}";

static struct mesh_stats
box(double x, double y, double z)
{
	struct mesh_stats	st;

	memset(&st, 0, sizeof(st));
	st.triangles = 12;
	st.volume = x * y * z;
	st.area = 2 * (x * y + y * z + x * z);
	st.max[0] = x;
	st.max[1] = y;
	st.max[2] = z;
	st.shells = 1;
	st.watertight = 1;
	return st;
}

static struct mesh_stats
sphere(double r)
{
	struct mesh_stats	st;

	memset(&st, 0, sizeof(st));
	st.volume = 4.0 / 3 * M_PI * r * r * r;
	st.area = 4 * M_PI * r * r;
	st.max[0] = st.max[1] = st.max[2] = 2 * r;
	st.shells = 1;
	st.watertight = 1;
	return st;
}

static struct estimate_out
run(const struct estimate_model *m, const struct mesh_stats *st,
    const char *material, double layer, int infill)
{
	struct estimate_in	in;
	struct estimate_out	out;

	memset(&in, 0, sizeof(in));
	in.mesh = st;
	in.material = material;
	in.density = 1.24;
	in.layer_mm = layer;
	in.infill_pct = infill;
	estimate_part(m, &in, &out);
	return out;
}

/* Writes text to a new temporary file; its path is in path. */
static void
temp_file(char *path, size_t size, const char *text)
{
	int	fd;

	snprintf(path, size, "/tmp/test_estimate_XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
}

static void
load_pla(struct estimate_model *m)
{
	struct err	e = { 0 };
	char		path[64];

	temp_file(path, sizeof(path), pla_json);
	estimate_defaults(m);
	ck_assert_int_eq(estimate_load(m, path, &e), 0);
	unlink(path);
}

START_TEST(grams_grow_with_infill)
{
	struct estimate_model	m[2];
	struct mesh_stats	st = box(30, 20, 25);
	double			last;
	int			k, infill;

	estimate_defaults(&m[0]);
	load_pla(&m[1]);
	for (k = 0; k < 2; k++) {
		last = 0;
		for (infill = 0; infill <= 100; infill += 10) {
			double	g = run(&m[k], &st, "PLA", 0.2, infill).grams;

			ck_assert_double_gt(g, last);
			last = g;
		}
	}
}
END_TEST

START_TEST(solid_parts_weigh_their_volume)
{
	struct estimate_model	m;
	struct mesh_stats	st = box(20, 20, 20);
	struct estimate_out	o;
	int			infill;

	estimate_defaults(&m);
	o = run(&m, &st, "PLA", 0.2, 100);
	/* 8 cm3 of PLA at 1.24 g/cm3 */
	ck_assert_double_eq_tol(o.grams, 8 * 1.24, 1e-9);
	ck_assert_double_eq_tol(o.extruded_mm3, 8000, 1e-6);
	for (infill = 0; infill < 100; infill += 5)
		ck_assert_double_lt(run(&m, &st, "PLA", 0.2, infill).grams,
		    o.grams);
	/* infill past 100 % is 100 % */
	ck_assert_double_eq(run(&m, &st, "PLA", 0.2, 250).grams, o.grams);
	/* a part thinner than two shells is solid whatever the infill */
	st = box(60, 60, 1.2);
	ck_assert_double_eq_tol(run(&m, &st, "PLA", 0.2, 0).extruded_mm3,
	    60 * 60 * 1.2, 1e-6);
}
END_TEST

START_TEST(a_bigger_part_costs_more)
{
	struct estimate_model	m[2];
	struct mesh_stats	small = box(20, 20, 20), big = box(40, 40, 40);
	struct estimate_out	a, b;
	int			k;

	estimate_defaults(&m[0]);
	load_pla(&m[1]);
	for (k = 0; k < 2; k++) {
		a = run(&m[k], &small, "PLA", 0.2, 15);
		b = run(&m[k], &big, "PLA", 0.2, 15);
		ck_assert_double_gt(b.grams, a.grams);
		ck_assert_double_gt(b.minutes, a.minutes);
		ck_assert_int_gt(b.layers, a.layers);
	}
}
END_TEST

START_TEST(layers_are_height_over_layer_height_rounded_up)
{
	struct estimate_model	m;
	struct mesh_stats	st = box(20, 20, 20);

	estimate_defaults(&m);
	ck_assert_int_eq(run(&m, &st, "PLA", 0.2, 15).layers, 100);
	ck_assert_int_eq(run(&m, &st, "PLA", 0.12, 15).layers, 167);
	ck_assert_int_eq(run(&m, &st, "PLA", 0.28, 15).layers, 72);
	st = box(10, 10, 0.5);
	ck_assert_int_eq(run(&m, &st, "PLA", 0.2, 15).layers, 3);
	st = box(10, 10, 0);
	ck_assert_int_eq(run(&m, &st, "PLA", 0.2, 15).layers, 0);
	ck_assert_double_eq(run(&m, &st, "PLA", 0.2, 15).grams, 0);
}
END_TEST

START_TEST(finer_layers_take_longer)
{
	struct estimate_model	m[2];
	struct mesh_stats	st[2];
	double			t12, t16, t20, t28;
	int			k, i;

	estimate_defaults(&m[0]);
	load_pla(&m[1]);
	st[0] = box(30, 30, 30);
	st[1] = sphere(20);
	for (k = 0; k < 2; k++)
		for (i = 0; i < 2; i++) {
			t12 = run(&m[k], &st[i], "PLA", 0.12, 20).minutes;
			t16 = run(&m[k], &st[i], "PLA", 0.16, 20).minutes;
			t20 = run(&m[k], &st[i], "PLA", 0.2, 20).minutes;
			t28 = run(&m[k], &st[i], "PLA", 0.28, 20).minutes;
			ck_assert_double_gt(t12, t16);
			ck_assert_double_gt(t16, t20);
			ck_assert_double_gt(t20, t28);
		}
}
END_TEST

START_TEST(loaded_coefficients_change_the_estimate)
{
	struct estimate_model	def, fit;
	struct mesh_stats	st = box(30, 20, 25);
	struct estimate_out	a, b;

	estimate_defaults(&def);
	load_pla(&fit);
	ck_assert_str_eq(fit.source, "test");
	a = run(&def, &st, "PLA", 0.2, 15);
	b = run(&fit, &st, "PLA", 0.2, 15);
	ck_assert_int_eq(a.calibrated, 0);
	ck_assert_int_eq(b.calibrated, 1);
	ck_assert(fabs(a.grams - b.grams) > 0.01);
	ck_assert(fabs(a.minutes - b.minutes) > 0.1);
	/* the material's name in any case */
	ck_assert_double_eq(run(&fit, &st, "pla", 0.2, 15).grams, b.grams);
}
END_TEST

START_TEST(an_unknown_material_takes_pla_coefficients)
{
	struct estimate_model	m;
	struct mesh_stats	st = box(30, 20, 25);
	struct estimate_in	in;
	struct estimate_out	pla, other;

	load_pla(&m);
	pla = run(&m, &st, "PLA", 0.2, 15);
	other = run(&m, &st, "Unobtainium", 0.2, 15);
	ck_assert_double_eq(other.grams, pla.grams);
	ck_assert_double_eq(other.minutes, pla.minutes);
	ck_assert_int_eq(other.calibrated, 0);
	/* ... with its own density */
	memset(&in, 0, sizeof(in));
	in.mesh = &st;
	in.material = "NYLON";
	in.density = 1.24 * 2;
	in.layer_mm = 0.2;
	in.infill_pct = 15;
	estimate_part(&m, &in, &other);
	ck_assert_double_eq_tol(other.grams, 2 * pla.grams, 1e-9);
	ck_assert_double_eq(run(&m, &st, NULL, 0.2, 15).grams, pla.grams);
}
END_TEST

START_TEST(layer_heights_between_fits_are_interpolated)
{
	struct estimate_model	m;
	struct mesh_stats	st = box(40, 30, 20);
	struct estimate_out	a, b, c, far;

	load_pla(&m);
	a = run(&m, &st, "PLA", 0.12, 15);
	b = run(&m, &st, "PLA", 0.16, 15);
	c = run(&m, &st, "PLA", 0.2, 15);
	ck_assert_int_eq(b.calibrated, 1);
	ck_assert_double_lt(b.minutes, a.minutes);
	ck_assert_double_gt(b.minutes, c.minutes);
	/* g coefficients interpolate linearly: halfway, within rounding */
	ck_assert(b.extruded_mm3 > fmin(a.extruded_mm3, c.extruded_mm3) - 1 &&
	    b.extruded_mm3 < fmax(a.extruded_mm3, c.extruded_mm3) + 1);
	far = run(&m, &st, "PLA", 0.4, 15);
	ck_assert_int_eq(far.calibrated, 0);
	ck_assert_double_lt(far.minutes, c.minutes);
	ck_assert_double_gt(far.minutes, 0);
}
END_TEST

START_TEST(open_meshes_are_priced_as_thin_shells)
{
	struct estimate_model	m;
	struct mesh_stats	st = box(50, 50, 10);
	struct estimate_out	o;
	double			shell;

	estimate_defaults(&m);
	/* an open sheet: no volume, but area */
	st.watertight = 0;
	st.open_edges = 40;
	st.volume = 0;
	shell = st.area * 2 * 0.4 / 2;
	o = run(&m, &st, "PLA", 0.2, 15);
	ck_assert_double_gt(o.grams, 0);
	ck_assert_double_le(o.extruded_mm3, shell + 1e-6);
	/* overlapping pieces: never more than the box holds */
	st.volume = 10 * 50 * 50 * 10;
	o = run(&m, &st, "PLA", 0.2, 100);
	ck_assert_double_le(o.extruded_mm3, 50 * 50 * 10 + 1e-6);
	/* nothing at all */
	ck_assert_double_eq(run(&m, NULL, "PLA", 0.2, 15).grams, 0);
}
END_TEST

START_TEST(malformed_files_are_refused_and_the_model_kept)
{
	static const struct {
		const char	*text;
		const char	*says;
	} bad[] = {
		{ "{ \"materials\": ", ":1:" },
		{ "[]", "must be a JSON object" },
		{ "{\"materials\": []}", "\"materials\" must be an object" },
		{ "{\"materials\": {\"PLA\": {}}}", "array of 1 to" },
		{ "{\"materials\": {\"PLA\": [{\"layer_mm\": 0.2}]}}",
		    "needs objects \"g\" and \"t\"" },
		{ "{\"materials\": {\"PLA\": [{\"layer_mm\": 9, \"g\": {}, "
		    "\"t\": {}}]}}", "\"layer_mm\" must be a number" },
		{ "{\"materials\": {\"PLA\": [{\"layer_mm\": 0.2, \"g\": "
		    "{\"wall\": -1, \"skin\": 1, \"infill\": 1, \"void\": 0}, "
		    "\"t\": {}}]}}", "materials.PLA[0].g: \"wall\"" },
		{ "{\"materials\": {\"bad name\": [{}]}}", "may hold letters" },
		{ "{\"profile\": {\"walls\": 0}, \"materials\": {}}",
		    "profile: \"walls\"" },
	};
	struct estimate_model	m, before;
	struct err		e;
	char			path[64];
	size_t			i;

	load_pla(&m);
	before = m;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		temp_file(path, sizeof(path), bad[i].text);
		ck_assert_int_eq(estimate_load(&m, path, &e), ERR_INVALID);
		unlink(path);
		ck_assert_msg(strstr(e.message, bad[i].says) != NULL,
		    "%zu: \"%s\" does not say \"%s\"", i, e.message,
		    bad[i].says);
		ck_assert_msg(strncmp(e.message, path, strlen(path)) == 0,
		    "%zu: \"%s\" does not name the file", i, e.message);
		ck_assert(memcmp(&m, &before, sizeof(m)) == 0);
	}
	/* a missing file is no error and changes nothing */
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(estimate_load(&m, "/nonexistent/coefficients.json",
	    &e), 0);
	ck_assert(memcmp(&m, &before, sizeof(m)) == 0);
}
END_TEST

START_TEST(the_fit_recovers_the_coefficients_it_was_given)
{
	static const double	g[EST_NG] = { 1.02, 0.97, 1.05, 0.015 };
	static const double	t[EST_NT] = { 0.55, 0.45, 0.24, 2.5, 1.8,
	    0.02 };
	struct estimate_model	truth, fitted, back;
	struct estimate_sample	s[40];
	struct estimate_out	o;
	struct err		e = { 0 };
	json_t			*j;
	size_t			n = 0, i;
	int			k;

	estimate_defaults(&truth);
	ck_assert_int_eq(estimate_fit(&truth, "PETG", 0.2, s, 3, &e),
	    ERR_INVALID);
	/* the truth: one fit whose coefficients are set by hand */
	truth.nmaterials = 1;
	snprintf(truth.materials[0].name, ESTIMATE_NAME_MAX, "PETG");
	truth.materials[0].nfits = 1;
	truth.materials[0].fits[0].layer_mm = 0.2;
	memcpy(truth.materials[0].fits[0].g, g, sizeof(g));
	memcpy(truth.materials[0].fits[0].t, t, sizeof(t));
	for (i = 0; i < 10; i++)
		for (k = 0; k < 4; k++) {
			memset(&s[n], 0, sizeof(s[n]));
			s[n].mesh = i % 3 == 2 ? sphere(10 + 3.0 * i) :
			    box(20 + 7.0 * i, 15 + 11.0 * (i % 4),
			    10 + 5.0 * i);
			s[n].layer_mm = 0.2;
			s[n].infill_pct = 10 + 25 * k;
			o = run(&truth, &s[n].mesh, "PETG", 0.2,
			    s[n].infill_pct);
			s[n].mm3 = o.extruded_mm3;
			s[n++].seconds = o.minutes * 60;
		}
	estimate_defaults(&fitted);
	ck_assert_int_eq(estimate_fit(&fitted, "petg", 0.2, s, n, &e), 0);
	ck_assert_uint_eq(fitted.nmaterials, 1);
	ck_assert_str_eq(fitted.materials[0].name, "PETG");
	ck_assert_uint_eq(fitted.materials[0].fits[0].samples, n);
	for (k = 0; k < EST_NG; k++)
		ck_assert_double_eq_tol(fitted.materials[0].fits[0].g[k],
		    g[k], 1e-6);
	for (k = 0; k < EST_NT; k++)
		ck_assert_double_eq_tol(fitted.materials[0].fits[0].t[k],
		    t[k], 1e-6);
	/* and what it writes, it reads back */
	j = estimate_json(&fitted);
	estimate_defaults(&back);
	ck_assert_int_eq(estimate_from_json(&back, j, &e), 0);
	json_decref(j);
	for (i = 0; i < n; i++)
		ck_assert_double_eq_tol(run(&back, &s[i].mesh, "PETG", 0.2,
		    s[i].infill_pct).minutes, s[i].seconds / 60, 1e-6);
}
END_TEST

/* Pairs whose actuals are k times the estimates, each off by up to 2 %. */
static void
pairs(double *est, double *act, size_t n, double k)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		est[i] = 10.0 + 7.0 * (double)i;
		act[i] = k * est[i] * (1 + 0.02 * (double)((int)(i % 5) - 2) /
		    2);
	}
}

START_TEST(a_correction_is_the_least_squares_factor_without_outliers)
{
	double	est[12], act[12], k;
	size_t	kept;

	pairs(est, act, 12, 1.25);
	ck_assert_int_eq(estimate_correction(est, act, 12, &k, &kept), 0);
	ck_assert_uint_eq(kept, 12);
	ck_assert_double_eq_tol(k, 1.25, 0.01);
	/* a print four times heavier than any estimate says is dropped */
	act[3] = 4 * est[3];
	/* and one with nothing known is not a pair */
	est[5] = 0;
	ck_assert_int_eq(estimate_correction(est, act, 12, &k, &kept), 0);
	ck_assert_uint_eq(kept, 10);
	ck_assert_double_eq_tol(k, 1.25, 0.01);
}
END_TEST

START_TEST(too_few_pairs_make_no_correction)
{
	double	est[12], act[12], k = 0;
	size_t	kept = 99;

	pairs(est, act, 12, 0.8);
	ck_assert_int_eq(estimate_correction(est, act,
	    ESTIMATE_CORRECTION_MIN - 1, &k, &kept), -1);
	ck_assert_double_eq(k, 1);
	ck_assert_uint_eq(kept, 0);
	/* enough pairs, but too many of them are not numbers */
	est[0] = NAN;
	act[1] = -1;
	ck_assert_int_eq(estimate_correction(est, act,
	    ESTIMATE_CORRECTION_MIN + 1, &k, &kept), -1);
	/* equal ratios drop nothing, however small their spread */
	pairs(est, act, 12, 0.8);
	ck_assert_int_eq(estimate_correction(est, act, 12, &k, &kept), 0);
	ck_assert_double_eq_tol(k, 0.8, 0.01);
	ck_assert_uint_eq(kept, 12);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("estimate");
	TCase	*tc = tcase_create("estimate");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, grams_grow_with_infill);
	tcase_add_test(tc, solid_parts_weigh_their_volume);
	tcase_add_test(tc, a_bigger_part_costs_more);
	tcase_add_test(tc, layers_are_height_over_layer_height_rounded_up);
	tcase_add_test(tc, finer_layers_take_longer);
	tcase_add_test(tc, loaded_coefficients_change_the_estimate);
	tcase_add_test(tc, an_unknown_material_takes_pla_coefficients);
	tcase_add_test(tc, layer_heights_between_fits_are_interpolated);
	tcase_add_test(tc, open_meshes_are_priced_as_thin_shells);
	tcase_add_test(tc, malformed_files_are_refused_and_the_model_kept);
	tcase_add_test(tc, the_fit_recovers_the_coefficients_it_was_given);
	tcase_add_test(tc, a_correction_is_the_least_squares_factor_without_outliers);
	tcase_add_test(tc, too_few_pairs_make_no_correction);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
