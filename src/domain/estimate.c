/*
 * estimate.c -- grams and minutes of a part from its mesh measures, and
 * the least-squares fit of the coefficients (the model: estimate.h).
 *
 * Invariants: every coefficient is finite and at least zero (the loader
 * refuses others, the fit never makes them), so every estimate is finite
 * and grows with each volume; fits of a material are sorted by layer
 * height and no two share one.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/fs.h"
#include "domain/estimate.h"

#define EST_LAYER_MIN	0.04	/* layer heights outside are clamped */
#define EST_LAYER_MAX	1.0
#define EST_LAYER_SAME	1e-6	/* two fits this close are one height */
#define EST_LAYER_NEAR	0.005	/* still "calibrated" this far outside */
#define EST_DENSITY	1.24	/* PLA, when a density is not positive */
#define EST_FIT_ROUNDS	8	/* rounds that settle the slowed layers */

static const char *const est_g_names[EST_NG] = {
	"wall", "skin", "infill", "void"
};
static const char *const est_t_names[EST_NT] = {
	"wall", "skin", "infill", "ends", "layer", "void"
};

/* Time coefficients per mm3 (or per line end): they scale with 1/layer. */
static const int est_t_per_volume[EST_NT] = { 1, 1, 1, 1, 0, 1 };

/* What the model needs of a part at one preset (see estimate.h). */
struct est_feat {
	double	g[EST_NG];	/* wall, skin, sparse infill, void mm3 */
	double	t[EST_NT];	/* the same, line ends, layers, void */
	long	layers;
};

void
estimate_defaults(struct estimate_model *m)
{
	memset(m, 0, sizeof(*m));
	/* Cura's standard profile for a 0.4 mm nozzle on a bed slinger */
	m->profile.walls = 2;
	m->profile.line_mm = 0.4;
	m->profile.top_bottom_mm = 0.8;
	m->profile.min_layer_s = 10;
	m->profile.min_speed_mm_s = 10;
	m->profile.wall_mm_s = 25;
	m->profile.infill_mm_s = 50;
	m->profile.layer_s = 2;
	snprintf(m->source, sizeof(m->source), "built-in defaults");
}

/* ---- the model ---- */

/*
 * Measures the part for the model; 0, or -1 when there is nothing to
 * print (no height, no area, no volume).
 */
static int
est_features(const struct estimate_profile *p, const struct mesh_stats *st,
    double layer, int infill, struct est_feat *f)
{
	double	h, box, v, area, shell, atb, aside, w, k, s, chord;
	long	tb;

	memset(f, 0, sizeof(*f));
	h = st->max[2] - st->min[2];
	box = (st->max[0] - st->min[0]) * (st->max[1] - st->min[1]) * h;
	area = st->area;
	if (!(h > 0) || !(area > 0) || !(box > 0))
		return -1;
	v = st->volume < box ? st->volume : box;
	shell = area * p->walls * p->line_mm / 2;
	if (!st->watertight && v < shell)
		v = shell < box ? shell : box;
	if (!(v > 0))
		return -1;
	f->layers = (long)ceil(h / layer - 1e-6);
	tb = (long)ceil(p->top_bottom_mm / layer - 1e-6);
	atb = 2 * v / h < area ? 2 * v / h : area;
	aside = area - atb;
	w = aside * p->walls * p->line_mm;
	k = atb * (double)tb * layer;
	if (w + k > v) {
		/* a thin part is all shell */
		w *= v / (w + k);
		k = v - w;
	}
	s = infill / 100.0 * (v - w - k);
	chord = aside > 0 ? M_PI * v / aside : sqrt(v / h);
	if (chord < p->line_mm)
		chord = p->line_mm;
	f->g[EST_G_WALL] = f->t[EST_T_WALL] = w;
	f->g[EST_G_SKIN] = f->t[EST_T_SKIN] = k;
	f->g[EST_G_INFILL] = f->t[EST_T_INFILL] = s;
	f->g[EST_G_VOID] = f->t[EST_T_VOID] = box - v;
	f->t[EST_T_ENDS] = (k + s) / chord;
	f->t[EST_T_LAYER] = (double)f->layers;
	return 0;
}

/* The least time n layers may take with e mm3 extruded (estimate.h). */
static double
est_floor(const struct estimate_profile *p, double e, long n, double layer)
{
	double	per, slow;

	if (n <= 0 || !(p->min_speed_mm_s > 0))
		return 0;
	per = e / ((double)n * p->line_mm * layer) / p->min_speed_mm_s;
	slow = per < p->min_layer_s ? per : p->min_layer_s;
	return (double)n * slow;
}

static double
est_dot(const double *a, const double *b, size_t n)
{
	double	s = 0;
	size_t	i;

	for (i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/* The coefficients of nothing fitted: the profile's speeds. */
static void
est_default_fit(const struct estimate_profile *p, double layer,
    struct estimate_fit *c)
{
	double	flow = p->line_mm * layer;	/* mm3 per mm of line */

	memset(c, 0, sizeof(*c));
	c->layer_mm = layer;
	c->g[EST_G_WALL] = c->g[EST_G_SKIN] = c->g[EST_G_INFILL] = 1;
	c->t[EST_T_WALL] = c->t[EST_T_SKIN] = 1 / (p->wall_mm_s * flow);
	c->t[EST_T_INFILL] = 1 / (p->infill_mm_s * flow);
	c->t[EST_T_LAYER] = p->layer_s;
}

static const struct estimate_material *
est_material(const struct estimate_model *m, const char *name)
{
	size_t	i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < m->nmaterials; i++)
		if (strcasecmp(m->materials[i].name, name) == 0)
			return m->materials[i].nfits > 0 ? &m->materials[i] :
			    NULL;
	return NULL;
}

/*
 * The coefficients of mat at layer: interpolated between the fitted
 * heights around it, or the nearest one, time per mm3 scaled to the
 * layer.  Returns 1 when layer lies within the fitted heights.
 */
static int
est_fit_at(const struct estimate_material *mat, double layer,
    struct estimate_fit *c)
{
	const struct estimate_fit	*a, *b;
	double				 u;
	size_t				 i;
	int				 j;

	a = &mat->fits[0];
	b = &mat->fits[mat->nfits - 1];
	if (layer <= a->layer_mm)
		b = a;
	else if (layer >= b->layer_mm)
		a = b;
	else
		for (i = 0; i + 1 < mat->nfits; i++)
			if (layer <= mat->fits[i + 1].layer_mm) {
				a = &mat->fits[i];
				b = &mat->fits[i + 1];
				break;
			}
	u = b->layer_mm > a->layer_mm ?
	    (layer - a->layer_mm) / (b->layer_mm - a->layer_mm) : 0;
	memset(c, 0, sizeof(*c));
	c->layer_mm = layer;
	for (j = 0; j < EST_NG; j++)
		c->g[j] = a->g[j] + u * (b->g[j] - a->g[j]);
	for (j = 0; j < EST_NT; j++)
		if (est_t_per_volume[j])
			c->t[j] = (a->t[j] * a->layer_mm + u * (b->t[j] *
			    b->layer_mm - a->t[j] * a->layer_mm)) / layer;
		else
			c->t[j] = a->t[j] + u * (b->t[j] - a->t[j]);
	return layer >= mat->fits[0].layer_mm - EST_LAYER_NEAR &&
	    layer <= mat->fits[mat->nfits - 1].layer_mm + EST_LAYER_NEAR;
}

void
estimate_part(const struct estimate_model *m, const struct estimate_in *in,
    struct estimate_out *out)
{
	const struct estimate_material	*mat;
	struct estimate_fit		 c;
	struct est_feat			 f;
	double				 layer, density, e, t, floor_s;
	int				 infill, calibrated = 0;

	memset(out, 0, sizeof(*out));
	layer = in->layer_mm;
	if (!(layer >= EST_LAYER_MIN))	/* NaN too */
		layer = layer > 0 ? EST_LAYER_MIN : 0.2;
	if (layer > EST_LAYER_MAX)
		layer = EST_LAYER_MAX;
	infill = in->infill_pct < 0 ? 0 : in->infill_pct > 100 ? 100 :
	    in->infill_pct;
	density = in->density > 0 && isfinite(in->density) ? in->density :
	    EST_DENSITY;
	if ((mat = est_material(m, in->material)) != NULL)
		calibrated = est_fit_at(mat, layer, &c);
	else if ((mat = est_material(m, "PLA")) != NULL)
		est_fit_at(mat, layer, &c);
	else
		est_default_fit(&m->profile, layer, &c);
	out->calibrated = calibrated;
	if (in->mesh == NULL ||
	    est_features(&m->profile, in->mesh, layer, infill, &f) != 0)
		return;
	e = est_dot(c.g, f.g, EST_NG);
	t = est_dot(c.t, f.t, EST_NT);
	floor_s = est_floor(&m->profile, e, f.layers, layer);
	out->extruded_mm3 = e;
	out->grams = e * density / 1000;
	out->minutes = (t > floor_s ? t : floor_s) / 60;
	out->layers = f.layers;
}

/* ---- fitting ---- */

/*
 * Solves min |a x - b| for an m x k matrix a (rows of k, m >= k) by
 * Householder reflections; a and b are overwritten.  Returns -1 - j
 * when column j depends on the ones before it, else 0.
 */
static int
lsq_solve(double *a, double *b, size_t m, size_t k, double *x)
{
	double	norm, alpha, vv, dot, diag[EST_NT];
	size_t	i, j, c;

	for (j = 0; j < k; j++) {
		norm = 0;
		for (i = j; i < m; i++)
			norm += a[i * k + j] * a[i * k + j];
		norm = sqrt(norm);
		/* columns come scaled to length 1 */
		if (norm < 1e-9)
			return -1 - (int)j;
		alpha = a[j * k + j] > 0 ? -norm : norm;
		a[j * k + j] -= alpha;
		vv = 0;
		for (i = j; i < m; i++)
			vv += a[i * k + j] * a[i * k + j];
		for (c = j + 1; c < k; c++) {
			dot = 0;
			for (i = j; i < m; i++)
				dot += a[i * k + j] * a[i * k + c];
			for (i = j; i < m; i++)
				a[i * k + c] -= 2 * dot / vv * a[i * k + j];
		}
		dot = 0;
		for (i = j; i < m; i++)
			dot += a[i * k + j] * b[i];
		for (i = j; i < m; i++)
			b[i] -= 2 * dot / vv * a[i * k + j];
		diag[j] = alpha;
	}
	for (j = k; j-- > 0;) {
		dot = b[j];
		for (c = j + 1; c < k; c++)
			dot -= a[j * k + c] * x[c];
		x[j] = dot / diag[j];
	}
	return 0;
}

/*
 * Least squares on the relative error: the k coefficients c that make
 * x c closest to y (rows of the m used samples, y > 0) relative to y.
 * A coefficient that comes out below zero, or whose column adds nothing
 * the others do not, is dropped (set to zero) and the rest fitted again.
 * Returns 0, or -1 when fewer samples than coefficients remain.
 */
static int
lsq_fit(const double *x, const double *y, const int *use, size_t m,
    size_t k, double *coef)
{
	double	*a, *b, scale[EST_NT], z[EST_NT], worst;
	size_t	 i, j, n, na, col[EST_NT], rows;
	int	 active[EST_NT], rc, drop;

	for (rows = 0, i = 0; i < m; i++)
		rows += use[i] != 0;
	for (j = 0; j < k; j++) {
		scale[j] = 0;
		for (i = 0; i < m; i++)
			if (use[i])
				scale[j] += x[i * k + j] * x[i * k + j] /
				    (y[i] * y[i]);
		scale[j] = sqrt(scale[j]);
		active[j] = scale[j] > 0;
		coef[j] = 0;
	}
	if ((a = malloc(rows * k * sizeof(*a))) == NULL ||
	    (b = malloc(rows * sizeof(*b))) == NULL) {
		free(a);
		return -1;
	}
	for (;;) {
		for (na = 0, j = 0; j < k; j++)
			if (active[j])
				col[na++] = j;
		if (na == 0 || rows < na) {
			rc = na == 0 ? 0 : -1;
			break;
		}
		for (n = 0, i = 0; i < m; i++) {
			if (!use[i])
				continue;
			for (j = 0; j < na; j++)
				a[n * na + j] = x[i * k + col[j]] / y[i] /
				    scale[col[j]];
			b[n++] = 1;
		}
		if ((rc = lsq_solve(a, b, rows, na, z)) != 0) {
			active[col[-rc - 1]] = 0;
			continue;
		}
		drop = -1;
		worst = 0;
		for (j = 0; j < na; j++)
			if (z[j] < worst) {
				worst = z[j];
				drop = (int)j;
			}
		if (drop < 0) {
			for (j = 0; j < na; j++)
				coef[col[j]] = z[j] / scale[col[j]];
			break;
		}
		active[col[drop]] = 0;
	}
	free(a);
	free(b);
	return rc;
}

/* The fit of material at layer in m, added (sorted) when new; NULL: full. */
static struct estimate_fit *
est_slot(struct estimate_model *m, const char *material, double layer)
{
	struct estimate_material	*mat = NULL;
	size_t				 i, k;

	for (i = 0; i < m->nmaterials; i++)
		if (strcasecmp(m->materials[i].name, material) == 0)
			mat = &m->materials[i];
	if (mat == NULL) {
		if (m->nmaterials == ESTIMATE_MATERIALS)
			return NULL;
		mat = &m->materials[m->nmaterials++];
		memset(mat, 0, sizeof(*mat));
		for (k = 0; material[k] != '\0' && k + 1 < sizeof(mat->name);
		    k++)
			mat->name[k] = (char)toupper((unsigned char)
			    material[k]);
	}
	for (i = 0; i < mat->nfits; i++)
		if (fabs(mat->fits[i].layer_mm - layer) < EST_LAYER_SAME)
			return &mat->fits[i];
	if (mat->nfits == ESTIMATE_LAYERS)
		return NULL;
	for (i = mat->nfits; i > 0 && mat->fits[i - 1].layer_mm > layer; i--)
		mat->fits[i] = mat->fits[i - 1];
	mat->nfits++;
	memset(&mat->fits[i], 0, sizeof(mat->fits[i]));
	mat->fits[i].layer_mm = layer;
	return &mat->fits[i];
}

int
estimate_fit(struct estimate_model *m, const char *material, double layer,
    const struct estimate_sample *s, size_t n, struct err *e)
{
	struct estimate_fit	 fit, *slot;
	struct est_feat		*f;
	double			*xg, *xt, *yg, *yt;
	int			*ok, *use, *was, changed, round, rc = 0;
	size_t			 i, left;

	if (n < EST_NT)
		return err_set(e, ERR_INVALID, "%s at %.2f mm: %zu slices are "
		    "too few to fit %d coefficients", material, layer, n,
		    EST_NT);
	for (i = 0; i < n; i++)
		if (!(s[i].mm3 > 0) || !(s[i].seconds > 0))
			return err_set(e, ERR_INVALID, "%s at %.2f mm: slice "
			    "%zu has no extruded volume or time", material,
			    layer, i + 1);
	f = calloc(n, sizeof(*f));
	xg = calloc(n * EST_NG, sizeof(*xg));
	xt = calloc(n * EST_NT, sizeof(*xt));
	yg = calloc(n, sizeof(*yg));
	yt = calloc(n, sizeof(*yt));
	ok = calloc(n, sizeof(*ok));
	use = calloc(n, sizeof(*use));
	was = calloc(n, sizeof(*was));
	if (f == NULL || xg == NULL || xt == NULL || yg == NULL ||
	    yt == NULL || ok == NULL || use == NULL || was == NULL) {
		rc = err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	memset(&fit, 0, sizeof(fit));
	fit.layer_mm = layer;
	fit.samples = n;
	for (i = 0; i < n; i++) {
		ok[i] = use[i] = est_features(&m->profile, &s[i].mesh, layer,
		    s[i].infill_pct, &f[i]) == 0;
		memcpy(&xg[i * EST_NG], f[i].g, sizeof(f[i].g));
		memcpy(&xt[i * EST_NT], f[i].t, sizeof(f[i].t));
		yg[i] = s[i].mm3;
		yt[i] = s[i].seconds;
	}
	if (lsq_fit(xg, yg, use, n, EST_NG, fit.g) != 0) {
		rc = err_set(e, ERR_INVALID, "%s at %.2f mm: the slices do not "
		    "determine the filament coefficients", material, layer);
		goto out;
	}
	/*
	 * Layers the slicer slowed down take the floor's time, not the
	 * sum: fit the sum to the others, then look again which those are.
	 */
	for (round = 0; round < EST_FIT_ROUNDS; round++) {
		if (lsq_fit(xt, yt, use, n, EST_NT, fit.t) != 0) {
			rc = err_set(e, ERR_INVALID, "%s at %.2f mm: the "
			    "slices do not determine the time coefficients",
			    material, layer);
			goto out;
		}
		changed = 0;
		left = 0;
		for (i = 0; i < n; i++) {
			was[i] = use[i];
			use[i] = ok[i] && est_dot(fit.t, f[i].t, EST_NT) >=
			    est_floor(&m->profile, est_dot(fit.g, f[i].g,
			    EST_NG), f[i].layers, layer);
			changed |= use[i] != was[i];
			left += use[i] != 0;
		}
		if (!changed)
			break;
		if (left < EST_NT) {
			/* too few left: keep the fit of the round before */
			memcpy(use, was, n * sizeof(*use));
			lsq_fit(xt, yt, use, n, EST_NT, fit.t);
			break;
		}
	}
	if ((slot = est_slot(m, material, layer)) == NULL) {
		rc = err_set(e, ERR_TOO_LARGE, "the model holds at most %d "
		    "materials of %d layer heights each", ESTIMATE_MATERIALS,
		    ESTIMATE_LAYERS);
		goto out;
	}
	*slot = fit;
out:
	free(f);
	free(xg);
	free(xt);
	free(yg);
	free(yt);
	free(ok);
	free(use);
	free(was);
	return rc;
}

/* ---- JSON ---- */

json_t *
estimate_json(const struct estimate_model *m)
{
	const struct estimate_profile	*p = &m->profile;
	const struct estimate_fit	*c;
	json_t				*mats, *fits, *g, *t;
	size_t				 i, k;
	int				 j;

	mats = json_object();
	for (i = 0; i < m->nmaterials; i++) {
		fits = json_array();
		for (k = 0; k < m->materials[i].nfits; k++) {
			c = &m->materials[i].fits[k];
			g = json_object();
			t = json_object();
			for (j = 0; j < EST_NG; j++)
				json_object_set_new(g, est_g_names[j],
				    json_real(c->g[j]));
			for (j = 0; j < EST_NT; j++)
				json_object_set_new(t, est_t_names[j],
				    json_real(c->t[j]));
			json_array_append_new(fits, json_pack("{s:f, s:I, "
			    "s:o, s:o}", "layer_mm", c->layer_mm, "samples",
			    (json_int_t)c->samples, "g", g, "t", t));
		}
		json_object_set_new(mats, m->materials[i].name, fits);
	}
	return json_pack("{s:s, s:{s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f}, "
	    "s:o}", "source", m->source, "profile", "walls", p->walls,
	    "line_mm", p->line_mm, "top_bottom_mm", p->top_bottom_mm,
	    "min_layer_s", p->min_layer_s, "min_speed_mm_s",
	    p->min_speed_mm_s, "wall_mm_s", p->wall_mm_s, "infill_mm_s",
	    p->infill_mm_s, "layer_s", p->layer_s, "materials", mats);
}

/* obj[key] as a number within [lo, hi] into *v; 0 or ERR_INVALID. */
static int
est_number(json_t *obj, const char *where, const char *key, double lo,
    double hi, double *v, struct err *e)
{
	json_t	*j = json_object_get(obj, key);

	if (!json_is_number(j) || !(json_number_value(j) >= lo) ||
	    !(json_number_value(j) <= hi))
		return err_set(e, ERR_INVALID, "%s: \"%s\" must be a number "
		    "from %g to %g", where, key, lo, hi);
	*v = json_number_value(j);
	return 0;
}

/* The profile's keys in the coefficients file, with their bounds. */
static const struct {
	const char	*name;
	size_t		 off;
	double		 lo, hi;
} est_profile_keys[] = {
	{ "line_mm", offsetof(struct estimate_profile, line_mm), 0.1, 2 },
	{ "top_bottom_mm", offsetof(struct estimate_profile, top_bottom_mm),
	    0, 10 },
	{ "min_layer_s", offsetof(struct estimate_profile, min_layer_s), 0,
	    600 },
	{ "min_speed_mm_s", offsetof(struct estimate_profile, min_speed_mm_s),
	    0.1, 1000 },
	{ "wall_mm_s", offsetof(struct estimate_profile, wall_mm_s), 0.1,
	    1000 },
	{ "infill_mm_s", offsetof(struct estimate_profile, infill_mm_s), 0.1,
	    1000 },
	{ "layer_s", offsetof(struct estimate_profile, layer_s), 0, 600 },
};

static int
est_profile_json(json_t *j, struct estimate_profile *p, struct err *e)
{
	double	walls;
	size_t	i;

	if (!json_is_object(j))
		return err_set(e, ERR_INVALID, "\"profile\" must be an object");
	if (est_number(j, "profile", "walls", 1, 20, &walls, e) != 0)
		return ERR_INVALID;
	p->walls = (int)walls;
	for (i = 0; i < sizeof(est_profile_keys) / sizeof(est_profile_keys[0]);
	    i++)
		if (est_number(j, "profile", est_profile_keys[i].name,
		    est_profile_keys[i].lo, est_profile_keys[i].hi,
		    (double *)((char *)p + est_profile_keys[i].off), e) != 0)
			return ERR_INVALID;
	return 0;
}

static int
est_fit_json(json_t *j, const char *name, size_t k, struct estimate_fit *c,
    struct err *e)
{
	char	where[64];
	json_t	*g, *t;
	double	samples;
	int	i;

	snprintf(where, sizeof(where), "materials.%s[%zu]", name, k);
	if (!json_is_object(j))
		return err_set(e, ERR_INVALID, "%s must be an object", where);
	memset(c, 0, sizeof(*c));
	if (est_number(j, where, "layer_mm", EST_LAYER_MIN, EST_LAYER_MAX,
	    &c->layer_mm, e) != 0)
		return ERR_INVALID;
	if (json_object_get(j, "samples") != NULL) {
		if (est_number(j, where, "samples", 0, 1e9, &samples, e) != 0)
			return ERR_INVALID;
		c->samples = (size_t)samples;
	}
	g = json_object_get(j, "g");
	t = json_object_get(j, "t");
	if (!json_is_object(g) || !json_is_object(t))
		return err_set(e, ERR_INVALID, "%s needs objects \"g\" and "
		    "\"t\"", where);
	/* coefficients below zero would let a bigger part cost less */
	snprintf(where, sizeof(where), "materials.%s[%zu].g", name, k);
	for (i = 0; i < EST_NG; i++)
		if (est_number(g, where, est_g_names[i], 0, 1e6, &c->g[i],
		    e) != 0)
			return ERR_INVALID;
	snprintf(where, sizeof(where), "materials.%s[%zu].t", name, k);
	for (i = 0; i < EST_NT; i++)
		if (est_number(t, where, est_t_names[i], 0, 1e6, &c->t[i],
		    e) != 0)
			return ERR_INVALID;
	return 0;
}

static int
est_material_json(const char *name, json_t *fits,
    struct estimate_material *mat, struct err *e)
{
	struct estimate_fit	c;
	json_t			*j;
	size_t			 k, i, n;

	n = strlen(name);
	if (n == 0 || n >= sizeof(mat->name))
		return err_set(e, ERR_INVALID, "material name \"%.32s\" must "
		    "have 1 to %zu characters", name, sizeof(mat->name) - 1);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '+' && name[i] != '_')
			return err_set(e, ERR_INVALID, "material name \"%s\" "
			    "may hold letters, digits, '-', '+' and '_'",
			    name);
	if (!json_is_array(fits) || json_array_size(fits) == 0 ||
	    json_array_size(fits) > ESTIMATE_LAYERS)
		return err_set(e, ERR_INVALID, "materials.%s must be an array "
		    "of 1 to %d fits", name, ESTIMATE_LAYERS);
	memset(mat, 0, sizeof(*mat));
	for (i = 0; i < n; i++)
		mat->name[i] = (char)toupper((unsigned char)name[i]);
	json_array_foreach(fits, k, j) {
		if (est_fit_json(j, name, k, &c, e) != 0)
			return ERR_INVALID;
		for (i = mat->nfits; i > 0 &&
		    mat->fits[i - 1].layer_mm > c.layer_mm; i--)
			mat->fits[i] = mat->fits[i - 1];
		mat->fits[i] = c;
		mat->nfits++;
	}
	for (i = 1; i < mat->nfits; i++)
		if (mat->fits[i].layer_mm - mat->fits[i - 1].layer_mm <
		    EST_LAYER_SAME)
			return err_set(e, ERR_INVALID, "materials.%s: layer "
			    "height %g mm is fitted twice", name,
			    mat->fits[i].layer_mm);
	return 0;
}

int
estimate_from_json(struct estimate_model *m, json_t *root, struct err *e)
{
	struct estimate_model	*next;
	const char		*name;
	json_t			*mats, *fits, *src;
	int			 rc = 0;

	if (!json_is_object(root))
		return err_set(e, ERR_INVALID, "the coefficients must be a "
		    "JSON object");
	mats = json_object_get(root, "materials");
	if (!json_is_object(mats))
		return err_set(e, ERR_INVALID, "\"materials\" must be an "
		    "object of material name -> fits");
	if (json_object_size(mats) > ESTIMATE_MATERIALS)
		return err_set(e, ERR_INVALID, "at most %d materials",
		    ESTIMATE_MATERIALS);
	if ((next = malloc(sizeof(*next))) == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	estimate_defaults(next);
	if (json_object_get(root, "profile") != NULL)
		rc = est_profile_json(json_object_get(root, "profile"),
		    &next->profile, e);
	if (rc == 0 && (src = json_object_get(root, "source")) != NULL) {
		if (!json_is_string(src))
			rc = err_set(e, ERR_INVALID, "\"source\" must be a "
			    "string");
		else
			snprintf(next->source, sizeof(next->source), "%s",
			    json_string_value(src));
	}
	json_object_foreach(mats, name, fits) {
		if (rc != 0)
			break;
		rc = est_material_json(name, fits,
		    &next->materials[next->nmaterials++], e);
	}
	if (rc == 0)
		*m = *next;
	free(next);
	return rc;
}

int
estimate_load(struct estimate_model *m, const char *path, struct err *e)
{
	json_error_t	 je;
	json_t		*root;
	char		*text, msg[sizeof(e->message)];
	size_t		 len;
	int		 rc;

	if ((text = fs_read(path, ESTIMATE_FILE_MAX, &len)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, ERR_INVALID, "%s: %s", path,
		    errno == EFBIG ? "larger than 1 MB" : strerror(errno));
	}
	root = json_loadb(text, len, 0, &je);
	free(text);
	if (root == NULL)
		return err_set(e, ERR_INVALID, "%s:%d:%d: %s", path, je.line,
		    je.column, je.text);
	rc = estimate_from_json(m, root, e);
	json_decref(root);
	if (rc != 0) {
		/* name the file in front of what was wrong in it */
		memcpy(msg, e->message, sizeof(msg));
		err_set(e, rc, "%s: %s", path, msg);
	}
	return rc;
}

/* ---- learning from what was printed ---- */

static int
estimate_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n), n > 0, sorting v. */
static double
estimate_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), estimate_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
estimate_correction(const double *est, const double *actual, size_t n,
    double *k, size_t *kept)
{
	double	ratio[ESTIMATE_CORRECTION_MAX], dev[ESTIMATE_CORRECTION_MAX];
	double	med, mad, limit, sxy = 0, sxx = 0, q;
	size_t	i, m = 0;

	*k = 1;
	*kept = 0;
	if (n > ESTIMATE_CORRECTION_MAX)
		n = ESTIMATE_CORRECTION_MAX;
	for (i = 0; i < n; i++)
		if (isfinite(est[i]) && isfinite(actual[i]) && est[i] > 0 &&
		    actual[i] > 0)
			ratio[m++] = actual[i] / est[i];
	if (m < ESTIMATE_CORRECTION_MIN)
		return -1;
	med = estimate_median(ratio, m);
	for (i = 0; i < m; i++)
		dev[i] = fabs(ratio[i] - med);
	mad = estimate_median(dev, m);
	limit = fmax(ESTIMATE_OUTLIER_MAD * mad, ESTIMATE_OUTLIER_FLOOR * med);
	for (i = 0; i < n; i++) {
		if (!(isfinite(est[i]) && isfinite(actual[i]) && est[i] > 0 &&
		    actual[i] > 0))
			continue;
		q = actual[i] / est[i];
		if (fabs(q - med) > limit)
			continue;
		sxy += est[i] * actual[i];
		sxx += est[i] * est[i];
		(*kept)++;
	}
	if (*kept < ESTIMATE_CORRECTION_MIN || !(sxx > 0)) {
		*kept = 0;
		return -1;
	}
	*k = sxy / sxx;
	return 0;
}
