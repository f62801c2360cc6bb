/*
 * silhouette.c -- a preview picture of a mesh: an orthographic view from
 * the front right, 35 degrees above (the isometric view people know from
 * slicers), flat shaded with one light from the upper left, painted
 * triangle by triangle with a depth buffer.
 *
 * Invariants: all memory is taken in silhouette_init; the projection is
 * fixed before the first triangle, from the bounding box the caller
 * measured, so every triangle is drawn as it arrives; a pixel is covered
 * when its centre is inside or on the edge of a triangle, so the
 * triangles of a closed surface leave no cracks between them.
 */
#include <math.h>
#include <string.h>

#include "core/arena.h"
#include "export/silhouette.h"

#define SIL_GREY	0x9a	/* the part when no colour is known */
#define SIL_AMBIENT	0.35	/* light on faces turned from the lamp */
#define SIL_EDGE_DEPTH	0.05	/* of the box diagonal: a step, an edge */

static double
sil_dot(const double a[3], const double b[3])
{
	return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void
sil_cross(const double a[3], const double b[3], double out[3])
{
	out[0] = a[1] * b[2] - a[2] * b[1];
	out[1] = a[2] * b[0] - a[0] * b[2];
	out[2] = a[0] * b[1] - a[1] * b[0];
}

/* Scales v to length 1; returns its old length (0: left as it was). */
static double
sil_unit(double v[3])
{
	double	len;

	len = sqrt(sil_dot(v, v));
	if (len > 0 && isfinite(len)) {
		v[0] /= len;
		v[1] /= len;
		v[2] /= len;
	}
	return len;
}

static int
sil_finite3(const double v[3])
{
	return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]);
}

/* The view basis: toward the camera, right and up on the screen. */
static void
sil_view(struct silhouette *s)
{
	static const double	 zup[3] = { 0, 0, 1 };
	double			 el, az;
	int			 i;

	az = M_PI / 4;
	el = atan(1 / M_SQRT2);
	s->toward[0] = cos(el) * sin(az);
	s->toward[1] = -cos(el) * cos(az);
	s->toward[2] = sin(el);
	sil_cross(zup, s->toward, s->right);
	sil_unit(s->right);
	sil_cross(s->toward, s->right, s->up);
	sil_unit(s->up);
	/* the lamp: above, a little left, mostly behind the viewer */
	for (i = 0; i < 3; i++)
		s->light[i] = -0.35 * s->right[i] + 0.55 * s->up[i] +
		    0.75 * s->toward[i];
	sil_unit(s->light);
}

/* Fits the projected corners of the box into the picture, less margins. */
static void
sil_fit(struct silhouette *s, const double min[3], const double max[3])
{
	double	 p[3], d[3], x, y, lo[2], hi[2], sx, sy, diag;
	int	 k, i;

	for (i = 0; i < 3; i++) {
		if (!isfinite(min[i]) || !isfinite(max[i]) || min[i] > max[i])
			return;
		s->centre[i] = (min[i] + max[i]) / 2;
		d[i] = max[i] - min[i];
	}
	lo[0] = lo[1] = HUGE_VAL;
	hi[0] = hi[1] = -HUGE_VAL;
	for (k = 0; k < 8; k++) {
		for (i = 0; i < 3; i++)
			p[i] = ((k >> i) & 1 ? max[i] : min[i]) - s->centre[i];
		x = sil_dot(p, s->right);
		y = sil_dot(p, s->up);
		lo[0] = fmin(lo[0], x);
		hi[0] = fmax(hi[0], x);
		lo[1] = fmin(lo[1], y);
		hi[1] = fmax(hi[1], y);
	}
	diag = sqrt(sil_dot(d, d));
	if (!(hi[0] - lo[0] > 0) || !(hi[1] - lo[1] > 0) || !isfinite(diag))
		return;
	sx = s->w * (1 - 2 * SILHOUETTE_MARGIN) / (hi[0] - lo[0]);
	sy = s->h * (1 - 2 * SILHOUETTE_MARGIN) / (hi[1] - lo[1]);
	s->scale = fmin(sx, sy);
	if (!(s->scale > 0) || !isfinite(s->scale))
		return;
	/* the box's projection centred in the picture */
	s->ox = s->w / 2.0 - s->scale * (lo[0] + hi[0]) / 2;
	s->oy = s->h / 2.0 + s->scale * (lo[1] + hi[1]) / 2;
	s->edge = SIL_EDGE_DEPTH * diag;
	s->ok = 1;
}

void
silhouette_init(struct silhouette *s, struct arena *a, int w, int h,
    const double min[3], const double max[3], const unsigned char rgb[3])
{
	size_t	n, i;

	memset(s, 0, sizeof(*s));
	if (w < SILHOUETTE_MIN_SIDE)
		w = SILHOUETTE_MIN_SIDE;
	if (w > SILHOUETTE_MAX_SIDE)
		w = SILHOUETTE_MAX_SIDE;
	if (h < SILHOUETTE_MIN_SIDE)
		h = SILHOUETTE_MIN_SIDE;
	if (h > SILHOUETTE_MAX_SIDE)
		h = SILHOUETTE_MAX_SIDE;
	s->w = w;
	s->h = h;
	n = (size_t)w * (size_t)h;
	s->rgb = arena_alloc(a, n * 3);
	memset(s->rgb, 0xff, n * 3);
	s->depth = arena_alloc(a, n * sizeof(*s->depth));
	for (i = 0; i < n; i++)
		s->depth[i] = -HUGE_VALF;
	if (rgb != NULL)
		memcpy(s->base, rgb, 3);
	else
		s->base[0] = s->base[1] = s->base[2] = SIL_GREY;
	sil_view(s);
	sil_fit(s, min, max);
}

/* The colour of a face whose normal (towards the viewer) is n. */
static void
sil_shade(const struct silhouette *s, const double n[3], unsigned char out[3])
{
	double	d, v;
	int	i;

	d = fmax(0, sil_dot(n, s->light));
	for (i = 0; i < 3; i++) {
		v = s->base[i] * (SIL_AMBIENT + (1 - SIL_AMBIENT) * d);
		/* a soft highlight keeps black parts from being flat black */
		v += (255 - v) * 0.2 * d * d;
		out[i] = (unsigned char)fmin(255, fmax(0, v + 0.5));
	}
}

/* Twice the signed area of a, b, p on the screen (y down). */
static double
sil_edge(const double a[3], const double b[3], double px, double py)
{
	return (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0]);
}

/* Screen position of p: x, y in pixels and depth in mm towards us. */
static void
sil_project(const struct silhouette *s, const double p[3], double out[3])
{
	double	d[3];

	d[0] = p[0] - s->centre[0];
	d[1] = p[1] - s->centre[1];
	d[2] = p[2] - s->centre[2];
	out[0] = s->ox + s->scale * sil_dot(d, s->right);
	out[1] = s->oy - s->scale * sil_dot(d, s->up);
	out[2] = sil_dot(d, s->toward);
}

void
silhouette_triangle(void *ctx, const double a[3], const double b[3],
    const double c[3])
{
	struct silhouette	*s = ctx;
	double			 e1[3], e2[3], n[3], v[3][3], t[3];
	double			 area, fx0, fx1, fy0, fy1, px, py, w0, w1, w2;
	unsigned long long	 area_px;
	float			 z;
	unsigned char		 col[3];
	size_t			 at;
	int			 i, x, y, x0, x1, y0, y1;

	if (!sil_finite3(a) || !sil_finite3(b) || !sil_finite3(c)) {
		s->skipped++;
		return;
	}
	for (i = 0; i < 3; i++) {
		e1[i] = b[i] - a[i];
		e2[i] = c[i] - a[i];
	}
	sil_cross(e1, e2, n);
	if (!(sil_unit(n) > 0) || !sil_finite3(n) || !s->ok) {
		s->skipped++;
		return;
	}
	/* whichever way the file winds it, the face we see faces us */
	if (sil_dot(n, s->toward) < 0) {
		n[0] = -n[0];
		n[1] = -n[1];
		n[2] = -n[2];
	}
	sil_project(s, a, v[0]);
	sil_project(s, b, v[1]);
	sil_project(s, c, v[2]);
	area = sil_edge(v[0], v[1], v[2][0], v[2][1]);
	if (area < 0) {
		memcpy(t, v[1], sizeof(t));
		memcpy(v[1], v[2], sizeof(t));
		memcpy(v[2], t, sizeof(t));
		area = -area;
	}
	/* seen edge on: no pixel centre can be inside */
	if (!(area > 1e-12) || !isfinite(area))
		return;
	/* clamp in floating point first: a far corner must not overflow */
	fx0 = floor(fmin(v[0][0], fmin(v[1][0], v[2][0])) - 0.5);
	fx1 = ceil(fmax(v[0][0], fmax(v[1][0], v[2][0])) - 0.5);
	fy0 = floor(fmin(v[0][1], fmin(v[1][1], v[2][1])) - 0.5);
	fy1 = ceil(fmax(v[0][1], fmax(v[1][1], v[2][1])) - 0.5);
	if (fx1 < 0 || fy1 < 0 || fx0 > s->w - 1 || fy0 > s->h - 1)
		return;
	x0 = (int)fmax(0, fx0);
	x1 = (int)fmin(s->w - 1, fx1);
	y0 = (int)fmax(0, fy0);
	y1 = (int)fmin(s->h - 1, fy1);
	area_px = (unsigned long long)(x1 - x0 + 1) *
	    (unsigned long long)(y1 - y0 + 1);
	if (s->work + area_px > SILHOUETTE_MAX_WORK) {
		s->truncated = 1;
		s->skipped++;
		return;
	}
	s->work += area_px;
	sil_shade(s, n, col);
	s->drawn++;
	for (y = y0; y <= y1; y++) {
		py = y + 0.5;
		for (x = x0; x <= x1; x++) {
			px = x + 0.5;
			w0 = sil_edge(v[1], v[2], px, py);
			w1 = sil_edge(v[2], v[0], px, py);
			w2 = sil_edge(v[0], v[1], px, py);
			if (w0 < 0 || w1 < 0 || w2 < 0)
				continue;
			z = (float)((w0 * v[0][2] + w1 * v[1][2] +
			    w2 * v[2][2]) / area);
			at = (size_t)y * (size_t)s->w + (size_t)x;
			if (z <= s->depth[at])
				continue;
			s->depth[at] = z;
			memcpy(s->rgb + at * 3, col, 3);
		}
	}
}

/* 1 when pixel (x, y) is background or much farther than depth d. */
static int
sil_behind(const struct silhouette *s, int x, int y, float d)
{
	float	o;

	if (x < 0 || y < 0 || x >= s->w || y >= s->h)
		return 1;
	o = s->depth[(size_t)y * (size_t)s->w + (size_t)x];
	return isinf(o) || (double)(d - o) > s->edge;
}

void
silhouette_finish(struct silhouette *s)
{
	unsigned char	 line[3];
	size_t		 at;
	float		 d;
	int		 x, y, i;

	for (i = 0; i < 3; i++)
		line[i] = (unsigned char)(s->base[i] * 2 / 5);
	for (y = 0; y < s->h; y++)
		for (x = 0; x < s->w; x++) {
			at = (size_t)y * (size_t)s->w + (size_t)x;
			d = s->depth[at];
			if (isinf(d))
				continue;
			/* the near side of a step in depth is the edge */
			if (sil_behind(s, x - 1, y, d) ||
			    sil_behind(s, x + 1, y, d) ||
			    sil_behind(s, x, y - 1, d) ||
			    sil_behind(s, x, y + 1, d))
				memcpy(s->rgb + at * 3, line, 3);
		}
}
