/*
 * quote.c -- printyard quote calibrate | estimate: fits the instant-quote
 * estimator (domain/estimate.h) to CuraEngine (integrations/cura.h) and
 * shows what it makes of one STL file.
 *
 * calibrate builds its own calibration set (shapes written as binary STL
 * files into a temporary directory), slices every shape for every
 * material, layer height and infill with CuraEngine in a few worker
 * processes, fits the coefficients of each material and layer height to
 * two thirds of the shapes and measures the estimate against the slicer
 * on the third it never saw.  Every third shape of the list is held out,
 * so each kind of shape (boxes, cylinders, spheres, ...) has some on
 * both sides.  Out: the coefficients (JSON, read by estimate_load) and a
 * Markdown report of the figures.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/fs.h"
#include "cmd/cmd.h"
#include "domain/estimate.h"
#include "integrations/cura.h"
#include "parse/mesh.h"

#define QUOTE_OUT		"data/quote-coefficients.json"
#define QUOTE_REPORT		"docs/quote-accuracy.md"
#define QUOTE_JOBS		2	/* slices at once */
#define QUOTE_JOBS_MAX		16
#define QUOTE_REPORT_MAX	(1024 * 1024)
#define QUOTE_HELD_OUT		3	/* every third shape is held out */

/* ---- shapes, as triangle soups ---- */

struct soup {
	float	*c;		/* 9 floats a triangle */
	size_t	 n, cap;
};

static void
soup_tri(struct soup *s, const double *a, const double *b, const double *c)
{
	const double	*p[3] = { a, b, c };
	size_t		 k, d;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		if ((s->c = realloc(s->c, s->cap * 9 * sizeof(float))) ==
		    NULL)
			abort();	/* out of memory, as arenas do */
	}
	for (k = 0; k < 3; k++)
		for (d = 0; d < 3; d++)
			s->c[s->n * 9 + k * 3 + d] = (float)p[k][d];
	s->n++;
}

/* Two triangles; a b c d counter-clockwise seen from outside. */
static void
soup_quad(struct soup *s, const double *a, const double *b, const double *c,
    const double *d)
{
	soup_tri(s, a, b, c);
	soup_tri(s, a, c, d);
}

/* An axis-aligned box at (x, y, z) of size (w, d, h); inward: a cavity. */
static void
soup_box(struct soup *s, double x, double y, double z, double w, double d,
    double h, int inward)
{
	static const int	faces[6][4] = {
		{ 0, 2, 3, 1 }, { 4, 5, 7, 6 }, { 0, 1, 5, 4 },
		{ 2, 6, 7, 3 }, { 0, 4, 6, 2 }, { 1, 3, 7, 5 },
	};
	double			v[8][3];
	int			i, f;

	for (i = 0; i < 8; i++) {
		v[i][0] = x + ((i & 1) ? w : 0);
		v[i][1] = y + ((i & 2) ? d : 0);
		v[i][2] = z + ((i & 4) ? h : 0);
	}
	for (f = 0; f < 6; f++)
		if (inward)
			soup_quad(s, v[faces[f][3]], v[faces[f][2]],
			    v[faces[f][1]], v[faces[f][0]]);
		else
			soup_quad(s, v[faces[f][0]], v[faces[f][1]],
			    v[faces[f][2]], v[faces[f][3]]);
}

/* A point on a circle of radius r at step i of n, height z. */
static void
ring(double *p, double r, int i, int n, double z)
{
	/* the seam closes on the same floats */
	double	a = 2 * M_PI * (i % n) / n;

	p[0] = r * cos(a);
	p[1] = r * sin(a);
	p[2] = z;
}

/* A frustum of n sides: radius r0 below, r1 above (a cylinder, a cone). */
static void
soup_frustum(struct soup *s, double r0, double r1, double h, int n)
{
	double	a[3], b[3], c[3], d[3], bot[3] = { 0, 0, 0 };
	double	top[3] = { 0, 0, 0 };
	int	i;

	top[2] = h;
	for (i = 0; i < n; i++) {
		ring(a, r0, i, n, 0);
		ring(b, r0, i + 1, n, 0);
		ring(c, r1, i + 1, n, h);
		ring(d, r1, i, n, h);
		soup_quad(s, a, b, c, d);
		soup_tri(s, top, d, c);
		soup_tri(s, bot, b, a);
	}
}

/* A UV sphere of radius r resting on z = 0. */
static void
soup_sphere(struct soup *s, double r, int nu, int nv)
{
	double	p[4][3], ph, sp;
	int	i, j, k, jj;

	for (i = 0; i < nu; i++)
		for (j = 0; j < nv; j++) {
			for (k = 0; k < 4; k++) {
				jj = j + (k >= 2);
				ph = M_PI * jj / nv;
				/* poles on the same floats */
				sp = jj == 0 || jj == nv ? 0 : sin(ph);
				ring(p[k], r * sp, i + (k == 1 || k == 2), nu,
				    jj == 0 ? 2 * r : jj == nv ? 0 :
				    r + r * cos(ph));
			}
			if (j == 0)
				soup_tri(s, p[0], p[3], p[2]);
			else if (j == nv - 1)
				soup_tri(s, p[0], p[3], p[1]);
			else
				soup_quad(s, p[0], p[3], p[2], p[1]);
		}
}

/* A torus lying flat: ring radius big, tube radius small. */
static void
soup_torus(struct soup *s, double big, double small, int nu, int nv)
{
	double	p[4][3], w;
	int	i, j, k;

	for (i = 0; i < nu; i++)
		for (j = 0; j < nv; j++) {
			for (k = 0; k < 4; k++) {
				w = 2 * M_PI * ((j + (k >= 2)) % nv) / nv;
				ring(p[k], big + small * cos(w),
				    i + (k == 1 || k == 2), nu,
				    small + small * sin(w));
			}
			soup_quad(s, p[0], p[1], p[2], p[3]);
		}
}

static void
pt(double *p, double x, double y, double z)
{
	p[0] = x;
	p[1] = y;
	p[2] = z;
}

/* An open box (a tray, a cup) of outer size w d h and walls t thick. */
static void
soup_cup(struct soup *s, double w, double d, double h, double t)
{
	double	ob[4][3], ot[4][3], it[4][3], ib[4][3], x, y;
	int	k, n;

	/* corners counter-clockwise seen from above */
	for (k = 0; k < 4; k++) {
		x = (k == 1 || k == 2 ? 1 : -1) * w / 2;
		y = (k >= 2 ? 1 : -1) * d / 2;
		pt(ob[k], x, y, 0);
		pt(ot[k], x, y, h);
		pt(it[k], x - (x > 0 ? t : -t), y - (y > 0 ? t : -t), h);
		pt(ib[k], it[k][0], it[k][1], t);
	}
	for (k = 0; k < 4; k++) {
		n = (k + 1) % 4;
		soup_quad(s, ob[k], ob[n], ot[n], ot[k]);	/* outside */
		soup_quad(s, ot[k], ot[n], it[n], it[k]);	/* rim */
		soup_quad(s, ib[n], ib[k], it[k], it[n]);	/* inside */
	}
	soup_quad(s, ob[0], ob[3], ob[2], ob[1]);	/* bottom, down */
	soup_quad(s, ib[0], ib[1], ib[2], ib[3]);	/* floor, up */
}

/*
 * A prism: the polygon (x[i], z[i]), counter-clockwise seen from -y,
 * cut into the triangles tri (counter-clockwise too), stretched along y
 * from -w/2 to w/2.
 */
static void
soup_prism(struct soup *s, const double *x, const double *z, int n,
    const int (*tri)[3], int nt, double w)
{
	double	a0[3], a1[3], b0[3], b1[3], c0[3], c1[3];
	int	i, k;

	for (i = 0; i < n; i++) {
		k = (i + 1) % n;
		pt(a0, x[i], -w / 2, z[i]);
		pt(a1, x[i], w / 2, z[i]);
		pt(b0, x[k], -w / 2, z[k]);
		pt(b1, x[k], w / 2, z[k]);
		soup_quad(s, a1, b1, b0, a0);
	}
	for (i = 0; i < nt; i++) {
		pt(a0, x[tri[i][0]], -w / 2, z[tri[i][0]]);
		pt(b0, x[tri[i][1]], -w / 2, z[tri[i][1]]);
		pt(c0, x[tri[i][2]], -w / 2, z[tri[i][2]]);
		pt(a1, x[tri[i][0]], w / 2, z[tri[i][0]]);
		pt(b1, x[tri[i][1]], w / 2, z[tri[i][1]]);
		pt(c1, x[tri[i][2]], w / 2, z[tri[i][2]]);
		soup_tri(s, a0, b0, c0);
		soup_tri(s, c1, b1, a1);
	}
}

/* A T standing up: a stem w wide and h high under a cap l long, t thick. */
static void
soup_tee(struct soup *s, double w, double h, double l, double t)
{
	static const int	tri[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 7 }, { 4, 5, 6 }, { 4, 6, 7 },
		{ 4, 7, 2 }, { 4, 2, 3 },
	};
	double			x[8], z[8];

	x[0] = x[7] = -w / 2;
	x[1] = x[2] = w / 2;
	x[3] = x[4] = l / 2;
	x[5] = x[6] = -l / 2;
	z[0] = z[1] = 0;
	z[2] = z[3] = z[6] = z[7] = h;
	z[4] = z[5] = h + t;
	soup_prism(s, x, z, 8, tri, 6, w);
}

/* An L: a base l long and t thick, an upright h high at its end; w deep. */
static void
soup_ell(struct soup *s, double l, double w, double h, double t)
{
	static const int	tri[4][3] = {
		{ 0, 1, 4 }, { 1, 2, 4 }, { 2, 3, 4 }, { 0, 4, 5 },
	};
	double			x[6], z[6];

	x[0] = x[5] = -l / 2;
	x[1] = x[2] = l / 2;
	x[3] = x[4] = l / 2 - t;
	z[0] = z[1] = 0;
	z[2] = z[3] = h;
	z[4] = z[5] = t;
	soup_prism(s, x, z, 6, tri, 4, w);
}

enum shape_kind {
	SH_BOX,		/* a b c: size */
	SH_FRUSTUM,	/* a below, b above (radii), c high, d sides */
	SH_SPHERE,	/* a: radius */
	SH_TORUS,	/* a: ring radius, b: tube radius */
	SH_CUP,		/* a b c: size, d: walls */
	SH_HOLLOW,	/* a b c: size, d: walls round a closed cavity */
	SH_TEE,		/* stem a wide and deep, b high; cap c long, d thick */
	SH_ELL		/* base a long, b deep, d thick; an upright c high */
};

struct shape {
	const char	*name;
	enum shape_kind	 kind;
	double		 a, b, c, d;
	int		 quick;		/* in the --quick set */
};

/*
 * The calibration set: what a print shop gets asked for, from tiny to
 * most of the bed, solid and hollow, flat and tall, straight, sloped
 * and round; tees and ells need supports.  Order matters: every third
 * one is held out.
 */
static const struct shape shapes[] = {
	{ "cube 8", SH_BOX, 8, 8, 8, 0, 0 },
	{ "cube 12", SH_BOX, 12, 12, 12, 0, 1 },
	{ "cube 20", SH_BOX, 20, 20, 20, 0, 1 },
	{ "cube 30", SH_BOX, 30, 30, 30, 0, 0 },
	{ "cube 45", SH_BOX, 45, 45, 45, 0, 0 },
	{ "cube 60", SH_BOX, 60, 60, 60, 0, 0 },
	{ "box 80x60x10", SH_BOX, 80, 60, 10, 0, 0 },
	{ "box 100x20x5", SH_BOX, 100, 20, 5, 0, 0 },
	{ "box 40x20x60", SH_BOX, 40, 20, 60, 0, 0 },
	{ "tower 15x15x80", SH_BOX, 15, 15, 80, 0, 0 },
	{ "tower 10x10x100", SH_BOX, 10, 10, 100, 0, 0 },
	{ "tile 70x70x3", SH_BOX, 70, 70, 3, 0, 0 },
	{ "bar 120x40x15", SH_BOX, 120, 40, 15, 0, 0 },
	{ "box 25x50x35", SH_BOX, 25, 50, 35, 0, 0 },
	{ "fin 6x40x20", SH_BOX, 6, 40, 20, 0, 1 },
	{ "cylinder r10 h30", SH_FRUSTUM, 10, 10, 30, 64, 1 },
	{ "disc r25 h10", SH_FRUSTUM, 25, 25, 10, 64, 0 },
	{ "rod r5 h60", SH_FRUSTUM, 5, 5, 60, 48, 0 },
	{ "disc r40 h4", SH_FRUSTUM, 40, 40, 4, 96, 0 },
	{ "cylinder r15 h50", SH_FRUSTUM, 15, 15, 50, 64, 0 },
	{ "pin r3 h25", SH_FRUSTUM, 3, 3, 25, 32, 1 },
	{ "cone r20 h30", SH_FRUSTUM, 20, 1, 30, 64, 1 },
	{ "frustum r15-8 h40", SH_FRUSTUM, 15, 8, 40, 64, 0 },
	{ "pyramid r28 h25", SH_FRUSTUM, 28, 1, 25, 4, 0 },
	{ "hex prism r15 h20", SH_FRUSTUM, 15, 15, 20, 6, 0 },
	{ "sphere r8", SH_SPHERE, 8, 0, 0, 0, 1 },
	{ "sphere r15", SH_SPHERE, 15, 0, 0, 0, 0 },
	{ "sphere r25", SH_SPHERE, 25, 0, 0, 0, 0 },
	{ "torus 25/6", SH_TORUS, 25, 6, 0, 0, 0 },
	{ "torus 15/5", SH_TORUS, 15, 5, 0, 0, 1 },
	{ "torus 40/10", SH_TORUS, 40, 10, 0, 0, 0 },
	{ "tray 50x40x30", SH_CUP, 50, 40, 30, 2, 0 },
	{ "bin 80x80x40", SH_CUP, 80, 80, 40, 3, 0 },
	{ "cup 30x30x60", SH_CUP, 30, 30, 60, 1.6, 1 },
	{ "tray 100x60x25", SH_CUP, 100, 60, 25, 2.4, 0 },
	{ "hollow box 40", SH_HOLLOW, 40, 40, 40, 3, 0 },
	{ "hollow box 60x30x20", SH_HOLLOW, 60, 30, 20, 2, 0 },
	{ "plate 80x80x2", SH_BOX, 80, 80, 2, 0, 0 },
	{ "plate 50x30x1.2", SH_BOX, 50, 30, 1.2, 0, 1 },
	{ "plate 150x100x1.6", SH_BOX, 150, 100, 1.6, 0, 0 },
	{ "tee 10 h20 cap 40x5", SH_TEE, 10, 20, 40, 5, 0 },
	{ "ell 50x20x5 h40", SH_ELL, 50, 20, 40, 5, 0 },
};
#define NSHAPES	(sizeof(shapes) / sizeof(shapes[0]))

static void
shape_build(const struct shape *sh, struct soup *s)
{
	switch (sh->kind) {
	case SH_BOX:
		soup_box(s, -sh->a / 2, -sh->b / 2, 0, sh->a, sh->b, sh->c, 0);
		break;
	case SH_FRUSTUM:
		soup_frustum(s, sh->a, sh->b, sh->c, (int)sh->d);
		break;
	case SH_SPHERE:
		soup_sphere(s, sh->a, 64, 32);
		break;
	case SH_TORUS:
		soup_torus(s, sh->a, sh->b, 96, 32);
		break;
	case SH_CUP:
		soup_cup(s, sh->a, sh->b, sh->c, sh->d);
		break;
	case SH_HOLLOW:
		soup_box(s, -sh->a / 2, -sh->b / 2, 0, sh->a, sh->b, sh->c, 0);
		soup_box(s, -sh->a / 2 + sh->d, -sh->b / 2 + sh->d, sh->d,
		    sh->a - 2 * sh->d, sh->b - 2 * sh->d, sh->c - 2 * sh->d,
		    1);
		break;
	case SH_TEE:
		soup_tee(s, sh->a, sh->b, sh->c, sh->d);
		break;
	case SH_ELL:
		soup_ell(s, sh->a, sh->b, sh->c, sh->d);
		break;
	}
}

/* v as 4 little-endian bytes at p, as STL files have it. */
static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* The soup as a binary STL file in a buffer of *len bytes (malloc'd). */
static unsigned char *
soup_stl(const struct soup *s, size_t *len)
{
	unsigned char	*p;
	uint32_t	 u;
	size_t		 i, k;

	*len = 84 + 50 * s->n;
	if ((p = calloc(1, *len)) == NULL)
		abort();
	memcpy(p, "printyard quote calibration", 27);
	put_le32(p + 80, (uint32_t)s->n);
	/* the normals stay zero: readers take the winding */
	for (i = 0; i < s->n; i++)
		for (k = 0; k < 9; k++) {
			memcpy(&u, &s->c[i * 9 + k], 4);
			put_le32(p + 84 + 50 * i + 12 + 4 * k, u);
		}
	return p;
}

/* ---- the calibration run ---- */
/* How far one held-out estimate is off the slicer, signed. */
struct calib_miss {
	size_t	job;
	double	grams, slicer_grams;
	double	minutes, slicer_minutes;
	double	key;		/* what the report sorts by */
};

struct calib {
	struct arena		*arena;
	const char		*dir;		/* the shapes' STL files */
	const char		*definitions;
	struct estimate_model	 model;
	size_t			 nshapes;
	const struct shape	**shape;	/* the set in use */
	char			**stl;		/* their files */
	struct mesh_stats	*mesh;		/* and measures */
	size_t			 nmat, nlayer, ninfill;
	const struct cura_material *mat[8];
	double			 layer[4];
	int			 infill[4];
	size_t			 njobs;
	double			*seconds;	/* by job */
	double			*mm3;
	char			 version[32];
	int			 workers;
	struct calib_miss	*miss;		/* held-out estimates */
	size_t			 nmiss;
};

/* One result, from a worker to the parent, written whole into a pipe. */
struct slice_rec {
	uint32_t	job;
	int32_t		code;
	double		seconds;
	double		mm3;
	char		version[32];
	char		message[1100];	/* message, detail, hint: < PIPE_BUF */
};

/* job -> its shape, material, layer and infill */
static void
job_parts(const struct calib *c, size_t j, size_t *sh, size_t *m, size_t *l,
    size_t *f)
{
	*f = j % c->ninfill;
	j /= c->ninfill;
	*l = j % c->nlayer;
	j /= c->nlayer;
	*m = j % c->nmat;
	*sh = j / c->nmat;
}

static void
job_cura(const struct calib *c, size_t j, struct cura_job *cj)
{
	const struct estimate_profile	*p = &c->model.profile;
	size_t				 sh, m, l, f;

	job_parts(c, j, &sh, &m, &l, &f);
	memset(cj, 0, sizeof(*cj));
	cj->definitions = c->definitions;
	cj->stl = c->stl[sh];
	cj->material = c->mat[m]->name;
	cj->layer_mm = c->layer[l];
	cj->infill_pct = c->infill[f];
	cj->walls = p->walls;
	cj->line_mm = p->line_mm;
	cj->top_bottom_mm = p->top_bottom_mm;
	cj->min_layer_s = p->min_layer_s;
	cj->min_speed_mm_s = p->min_speed_mm_s;
}

/* Writes the shapes' STL files into c->dir and measures them. */
static int
calib_shapes(struct calib *c, int quick)
{
	struct soup	 s;
	struct err	 e = { 0 };
	unsigned char	*stl;
	size_t		 i, len;
	char		*p;

	c->shape = arena_calloc(c->arena, NSHAPES, sizeof(*c->shape));
	for (i = 0; i < NSHAPES; i++)
		if (!quick || shapes[i].quick)
			c->shape[c->nshapes++] = &shapes[i];
	c->stl = arena_calloc(c->arena, c->nshapes, sizeof(*c->stl));
	c->mesh = arena_calloc(c->arena, c->nshapes, sizeof(*c->mesh));
	for (i = 0; i < c->nshapes; i++) {
		memset(&s, 0, sizeof(s));
		shape_build(c->shape[i], &s);
		stl = soup_stl(&s, &len);
		free(s.c);
		c->stl[i] = arena_printf(c->arena, "%s/%02zu.stl", c->dir, i);
		if (mesh_stl(stl, len, 0, &c->mesh[i], &e) == 0 &&
		    !c->mesh[i].watertight)
			err_set(&e, ERR_INTERNAL, "the generated mesh is not "
			    "closed");
		if (e.code != 0 ||
		    fs_write_atomic(c->stl[i], (char *)stl, len) != 0) {
			p = e.code != 0 ? e.message : strerror(errno);
			free(stl);
			return cmd_fail("%s: %s", c->shape[i]->name, p);
		}
		free(stl);
	}
	return 0;
}

/* A worker: slices jobs w, w + n, ... and writes a record for each. */
static void
calib_worker(const struct calib *c, int w, int fd)
{
	struct slice_rec	r;
	struct cura_job		cj;
	struct cura_result	res;
	struct err		e = { 0 };
	size_t			j;

	for (j = (size_t)w; j < c->njobs; j += (size_t)c->workers) {
		memset(&r, 0, sizeof(r));
		r.job = (uint32_t)j;
		job_cura(c, j, &cj);
		err_clear(&e);
		r.code = cura_slice(&cj, &res, &e);
		if (r.code != 0)
			err_line(r.message, sizeof(r.message), &e);
		r.seconds = res.seconds;
		r.mm3 = res.mm3;
		memcpy(r.version, res.version, sizeof(r.version));
		if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		if (r.code != 0)
			_exit(1);
	}
	_exit(0);
}

/* Runs every slice in c->workers processes; 0, or 1 after a failure. */
static int
calib_slice(struct calib *c)
{
	struct pollfd		 pfd[QUOTE_JOBS_MAX];
	pid_t			 pid[QUOTE_JOBS_MAX];
	struct slice_rec	 r;
	char			 failed[sizeof(r.message) + 128];
	size_t			 done = 0, step, nopen, sh, m, l, f;
	ssize_t			 n;
	int			 w, fds[2], status, stopped = 0;
	time_t			 t0 = time(NULL);

	c->seconds = arena_calloc(c->arena, c->njobs, sizeof(*c->seconds));
	c->mm3 = arena_calloc(c->arena, c->njobs, sizeof(*c->mm3));
	failed[0] = '\0';
	fflush(NULL);
	for (w = 0; w < c->workers; w++) {
		/* close-on-exec: the engines a worker starts must not hold it */
		if (pipe2(fds, O_CLOEXEC) != 0 || (pid[w] = fork()) < 0) {
			snprintf(failed, sizeof(failed), "cannot start a "
			    "slicing worker: %s", strerror(errno));
			c->workers = w;
			stopped = 1;
			for (w = 0; w < c->workers; w++)
				kill(pid[w], SIGTERM);
			break;
		}
		if (pid[w] == 0) {
			close(fds[0]);
			calib_worker(c, w, fds[1]);
		}
		close(fds[1]);
		pfd[w].fd = fds[0];
		pfd[w].events = POLLIN;
	}
	step = c->njobs / 20 > 0 ? c->njobs / 20 : 1;
	nopen = (size_t)c->workers;
	while (nopen > 0) {
		if (poll(pfd, (nfds_t)c->workers, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (w = 0; w < c->workers; w++) {
			if (pfd[w].fd < 0 || pfd[w].revents == 0)
				continue;
			n = read(pfd[w].fd, &r, sizeof(r));
			if (n < 0 && errno == EINTR)
				continue;
			if (n != (ssize_t)sizeof(r)) {
				close(pfd[w].fd);
				pfd[w].fd = -1;
				nopen--;
				continue;
			}
			if (r.job >= c->njobs)
				continue;
			if (r.code != 0) {
				job_parts(c, r.job, &sh, &m, &l, &f);
				snprintf(failed, sizeof(failed), "CuraEngine on "
				    "%s (%s, %.2f mm, %d %%): %s",
				    c->shape[sh]->name, c->mat[m]->name,
				    c->layer[l], c->infill[f], r.message);
				continue;
			}
			c->seconds[r.job] = r.seconds;
			c->mm3[r.job] = r.mm3;
			if (c->version[0] == '\0')
				memcpy(c->version, r.version,
				    sizeof(c->version));
			if (++done % step == 0 || done == c->njobs)
				fprintf(stderr, "quote: sliced %zu of %zu "
				    "(%lds)\n", done, c->njobs,
				    (long)(time(NULL) - t0));
		}
		if (failed[0] != '\0' && !stopped) {
			/* the rest would only fail the same way */
			for (w = 0; w < c->workers; w++)
				kill(pid[w], SIGTERM);
			stopped = 1;
		}
	}
	for (w = 0; w < c->workers; w++) {
		if (pfd[w].fd >= 0)
			close(pfd[w].fd);
		while (waitpid(pid[w], &status, 0) < 0 && errno == EINTR)
			;
	}
	if (failed[0] != '\0')
		return cmd_fail("%s", failed);
	if (done != c->njobs)
		return cmd_fail("only %zu of %zu slices came back", done,
		    c->njobs);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median and 90th percentile (nearest rank) of n values, sorted here. */
static void
stats(double *v, size_t n, double *median, double *p90)
{
	size_t	k;

	*median = *p90 = 0;
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	k = (size_t)ceil(0.9 * (double)n);
	*p90 = v[k > 0 ? k - 1 : 0];
}

/* The figures of one material at one layer height, on held-out shapes. */
struct calib_row {
	const char	*material;
	double		 layer;
	size_t		 train, test;
	double		 g_med, g_p90, t_med, t_p90;
};

/* Whether shape i is held out of the fit. */
static int
held_out(size_t i)
{
	return i % QUOTE_HELD_OUT == QUOTE_HELD_OUT - 1;
}

/*
 * Fits each material and layer height on the training shapes and
 * measures the held-out ones; rows gets nmat * nlayer + 1 figures, the
 * last over everything.
 */
static int
calib_fit(struct calib *c, struct calib_row *rows)
{
	struct estimate_sample	*s;
	struct estimate_in	 in;
	struct estimate_out	 out;
	struct err		 e = { 0 };
	struct calib_miss	*miss;
	struct calib_row	*r;
	double			*ge, *te;
	size_t			 m, l, j, sh, mm, ll, f, n, k;

	s = arena_calloc(c->arena, c->njobs, sizeof(*s));
	ge = arena_calloc(c->arena, c->njobs, sizeof(*ge));
	te = arena_calloc(c->arena, c->njobs, sizeof(*te));
	c->miss = arena_calloc(c->arena, c->njobs, sizeof(*c->miss));
	for (r = rows, m = 0; m < c->nmat; m++)
		for (l = 0; l < c->nlayer; l++, r++) {
			memset(r, 0, sizeof(*r));
			r->material = c->mat[m]->name;
			r->layer = c->layer[l];
			for (n = 0, j = 0; j < c->njobs; j++) {
				job_parts(c, j, &sh, &mm, &ll, &f);
				if (mm != m || ll != l || held_out(sh))
					continue;
				s[n].mesh = c->mesh[sh];
				s[n].layer_mm = c->layer[l];
				s[n].infill_pct = c->infill[f];
				s[n].mm3 = c->mm3[j];
				s[n++].seconds = c->seconds[j];
			}
			r->train = n;
			if (estimate_fit(&c->model, r->material, r->layer, s, n,
			    &e) != 0)
				return cmd_fail("%s", e.message);
			for (k = 0, j = 0; j < c->njobs; j++) {
				job_parts(c, j, &sh, &mm, &ll, &f);
				if (mm != m || ll != l || !held_out(sh))
					continue;
				memset(&in, 0, sizeof(in));
				in.mesh = &c->mesh[sh];
				in.material = r->material;
				in.density = c->mat[m]->density;
				in.layer_mm = c->layer[l];
				in.infill_pct = c->infill[f];
				estimate_part(&c->model, &in, &out);
				miss = &c->miss[c->nmiss++];
				miss->job = j;
				miss->grams = out.grams;
				miss->slicer_grams = c->mm3[j] * in.density / 1000;
				miss->minutes = out.minutes;
				miss->slicer_minutes = c->seconds[j] / 60;
				ge[k] = fabs(miss->grams / miss->slicer_grams - 1);
				te[k++] = fabs(miss->minutes /
				    miss->slicer_minutes - 1);
			}
			r->test = k;
			stats(ge, k, &r->g_med, &r->g_p90);
			stats(te, k, &r->t_med, &r->t_p90);
		}
	memset(r, 0, sizeof(*r));
	r->material = "all";
	for (k = 0; k < c->nmiss; k++) {
		miss = &c->miss[k];
		ge[k] = fabs(miss->grams / miss->slicer_grams - 1);
		te[k] = fabs(miss->minutes / miss->slicer_minutes - 1);
	}
	r->test = c->nmiss;
	stats(ge, k, &r->g_med, &r->g_p90);
	stats(te, k, &r->t_med, &r->t_p90);
	return 0;
}

/* ---- the report ---- */

static void
report_settings(const struct calib *c, struct buf *b)
{
	struct cura_settings	 st;
	struct cura_job		 cj;
	struct err		 e = { 0 };
	size_t			 i, m;

	job_cura(c, 0, &cj);
	cj.material = "PLA";
	cj.layer_mm = 0.2;
	cj.infill_pct = 15;
	if (cura_settings(&cj, &st, &e) != 0)
		return;
	buf_addstr(b, "Every setting passed with `-s` for PLA at 0.2 mm and "
	    "15 % infill (the others differ only where the material, layer "
	    "height or infill enter):\n\n```\n");
	for (i = 0; i < st.n; i++)
		buf_printf(b, "%s\n", st.kv[i]);
	buf_addstr(b, "```\n\n| material | density g/cm3 | nozzle °C | "
	    "bed °C | print (infill) mm/s | walls, skin mm/s | fan | "
	    "retraction |\n"
	    "|---|---|---|---|---|---|---|---|\n");
	for (m = 0; m < c->nmat; m++)
		buf_printf(b, "| %s | %.2f | %d | %d | %g | %g | %s | "
		    "%g mm at %g mm/s |\n", c->mat[m]->name,
		    c->mat[m]->density, c->mat[m]->nozzle_c, c->mat[m]->bed_c,
		    c->mat[m]->print_mm_s, c->mat[m]->print_mm_s / 2,
		    c->mat[m]->fan ? "on" : "off", c->mat[m]->retract_mm,
		    c->mat[m]->retract_mm_s);
}

/* Larger key first. */
static int
cmp_miss(const void *a, const void *b)
{
	const struct calib_miss	*x = a, *y = b;

	return x->key < y->key ? 1 : x->key > y->key ? -1 : 0;
}

/*
 * The held-out shapes the estimate missed most, for minutes and grams:
 * each shape once, with its worst slice.
 */
static void
report_misses(struct calib *c, struct buf *b)
{
	struct calib_miss	*m;
	unsigned char		 shown[NSHAPES];
	size_t			 i, k, n, sh, mat, l, f;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < c->nmiss; i++) {
			m = &c->miss[i];
			m->key = fabs((k == 0 ? m->minutes / m->slicer_minutes :
			    m->grams / m->slicer_grams) - 1);
		}
		qsort(c->miss, c->nmiss, sizeof(*c->miss), cmp_miss);
		buf_printf(b, "\nThe held-out shapes whose %s the estimate "
		    "missed most, each at its worst:\n\n| shape | material | "
		    "layer mm | infill | estimate | CuraEngine | error |\n"
		    "|---|---|---|---|---|---|---|\n",
		    k == 0 ? "minutes" : "grams");
		memset(shown, 0, sizeof(shown));
		for (n = 0, i = 0; i < c->nmiss && n < 6; i++) {
			m = &c->miss[i];
			job_parts(c, m->job, &sh, &mat, &l, &f);
			if (shown[sh])
				continue;
			shown[sh] = 1;
			n++;
			buf_printf(b, "| %s | %s | %.2f | %d %% | %.1f %s | "
			    "%.1f %s | %+.1f %% |\n", c->shape[sh]->name,
			    c->mat[mat]->name, c->layer[l], c->infill[f],
			    k == 0 ? m->minutes : m->grams,
			    k == 0 ? "min" : "g",
			    k == 0 ? m->slicer_minutes : m->slicer_grams,
			    k == 0 ? "min" : "g", 100 * (k == 0 ?
			    m->minutes / m->slicer_minutes :
			    m->grams / m->slicer_grams) - 100);
		}
	}
}

static void
report_coefficients(const struct calib *c, struct buf *b)
{
	const struct estimate_material	*mat;
	const struct estimate_fit	*f;
	size_t				 m, k;

	buf_addstr(b, "| material | layer mm | slices | g wall | g skin | "
	    "g infill | g void | t wall s/mm3 | t skin s/mm3 | "
	    "t infill s/mm3 | t ends s/end | t layer s | t void s/mm3 |\n"
	    "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (m = 0; m < c->model.nmaterials; m++) {
		mat = &c->model.materials[m];
		for (k = 0; k < mat->nfits; k++) {
			f = &mat->fits[k];
			buf_printf(b, "| %s | %.2f | %zu | %.3f | %.3f | "
			    "%.3f | %.4f | %.3f | %.3f | %.3f | %.3f | %.2f | "
			    "%.4f |\n", mat->name, f->layer_mm, f->samples,
			    f->g[EST_G_WALL], f->g[EST_G_SKIN],
			    f->g[EST_G_INFILL], f->g[EST_G_VOID],
			    f->t[EST_T_WALL], f->t[EST_T_SKIN],
			    f->t[EST_T_INFILL], f->t[EST_T_ENDS],
			    f->t[EST_T_LAYER], f->t[EST_T_VOID]);
		}
	}
}

static int
report_write(struct calib *c, const struct calib_row *rows,
    const char *path, const char *out, int quick, long slice_s)
{
	const struct calib_row	*all = &rows[c->nmat * c->nlayer];
	struct buf		 b;
	char			 day[16];
	time_t			 now = time(NULL);
	size_t			 i;
	int			 rc;

	strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&now));
	buf_init(&b, QUOTE_REPORT_MAX);
	buf_printf(&b, "# Quote estimator accuracy\n\n"
	    "How close the instant-quote estimate (`src/domain/estimate.c`, "
	    "the model is described in `src/domain/estimate.h`) comes to a "
	    "real slicer, on shapes the fit never saw.  Written by "
	    "`printyard quote calibrate%s` on %s; the coefficients it "
	    "fitted are in `%s`.\n\n", quick ? " --quick" : "", day, out);
	buf_printf(&b, "## Result\n\nHeld out: every third shape of the "
	    "calibration set (%zu slices).  Absolute error of the estimate "
	    "relative to CuraEngine:\n\n"
	    "| material | layer mm | fitted on | held out | grams median | "
	    "grams p90 | minutes median | minutes p90 |\n"
	    "|---|---|---|---|---|---|---|---|\n", all->test);
	for (i = 0; i < c->nmat * c->nlayer; i++)
		buf_printf(&b, "| %s | %.2f | %zu | %zu | %.1f %% | %.1f %% | "
		    "%.1f %% | %.1f %% |\n", rows[i].material, rows[i].layer,
		    rows[i].train, rows[i].test, 100 * rows[i].g_med,
		    100 * rows[i].g_p90, 100 * rows[i].t_med,
		    100 * rows[i].t_p90);
	buf_printf(&b, "| **all** | | | %zu | **%.1f %%** | %.1f %% | "
	    "**%.1f %%** | %.1f %% |\n", all->test, 100 * all->g_med,
	    100 * all->g_p90, 100 * all->t_med, 100 * all->t_p90);
	buf_printf(&b, "\nThe aim is a median error of at most 10 %% on grams "
	    "and 15 %% on minutes: %s.\n",
	    all->g_med <= 0.10 && all->t_med <= 0.15 ? "met" : "NOT met");
	report_misses(c, &b);
	buf_addstr(&b, "\n");
	buf_printf(&b, "## Slicer\n\n"
	    "- CuraEngine %s (Debian package `cura-engine`), run as "
	    "`CuraEngine slice -v -j definitions/%s.def.json -s key=value "
	    "... -l shape.stl`, time and filament from its summary lines "
	    "(`src/integrations/cura.c`).\n"
	    "- Printer: `%s` (Creality Ender-3) from Debian's `cura` "
	    "package, 4.13 (`scripts/cura-definitions`): the commonest "
	    "machine class of small print farms; 0.4 mm nozzle, 1.75 mm "
	    "filament, Marlin timing (500 mm/s2, jerk 10 mm/s).\n"
	    "- CuraEngine evaluates none of the formulas in the "
	    "definitions, so every derived setting is given the value "
	    "Cura would compute; supports from the build plate at 50°, "
	    "a skirt, %d walls, %.1f mm top and bottom, slowest layer %g s "
	    "(not below %g mm/s).\n\n",
	    c->version[0] ? c->version : "(unknown)", CURA_PRINTER,
	    CURA_PRINTER, c->model.profile.walls,
	    c->model.profile.top_bottom_mm, c->model.profile.min_layer_s,
	    c->model.profile.min_speed_mm_s);
	report_settings(c, &b);
	buf_printf(&b, "\n## Calibration set\n\n%zu shapes generated by the "
	    "command (binary STL), each sliced at layer heights", c->nshapes);
	for (i = 0; i < c->nlayer; i++)
		buf_printf(&b, "%s %.2f", i ? "," : "", c->layer[i]);
	buf_addstr(&b, " mm and infill");
	for (i = 0; i < c->ninfill; i++)
		buf_printf(&b, "%s %d", i ? "," : "", c->infill[i]);
	buf_printf(&b, " %% for each material: %zu slices, %ld s of slicing "
	    "with %d at a time.  Held-out shapes are marked *.\n\n",
	    c->njobs, slice_s, c->workers);
	for (i = 0; i < c->nshapes; i++)
		buf_printf(&b, "%s%s%s", i ? ", " : "", c->shape[i]->name,
		    held_out(i) ? "*" : "");
	buf_addstr(&b, ".\n\n## Coefficients\n\ng: extruded mm3 per mm3 of "
	    "walls, skin, sparse infill and of the empty room in the "
	    "bounding box (supports); t: seconds per mm3 of each, per line "
	    "end, per layer, per mm3 of empty room.\n\n");
	report_coefficients(c, &b);
	buf_addstr(&b, "\n## Known limits\n\n"
	    "- The shapes are simple solids; real parts with many small "
	    "features, text or thin ribs have more line ends and travel than "
	    "their area and volume tell, so their minutes come out low.\n"
	    "- Supports are estimated from the empty room in the bounding "
	    "box, which cannot tell an overhang from a hole or a slope that "
	    "needs none: parts standing diagonally on the bed or tapering "
	    "to a point (the pyramid) come out heavy and slow.\n"
	    "- Materials without their own fit (ASA, nylon, ...) take PLA's "
	    "coefficients with their own density; TPU's are fitted at "
	    "25 mm/s.\n"
	    "- The slicer's own estimate is the reference; it leaves out "
	    "heating the bed and nozzle, homing and the purge line, and a "
	    "printer's firmware plans its moves its own way.\n\n"
	    "## Run it again\n\n```\n"
	    "scripts/cura-definitions var/cura      # once: printer "
	    "definitions\n"
	    "PRINTYARD_CURA_DEFINITIONS=var/cura build/src/printyard quote "
	    "calibrate \\\n"
	    "    --out data/quote-coefficients.json --report "
	    "docs/quote-accuracy.md\n```\n\n"
	    "`--quick` slices a small subset (for tests); `--jobs N` runs N "
	    "slices at once.  Check one file by hand with `printyard quote "
	    "estimate FILE.stl --slice`.\n");
	rc = fs_write_atomic(path, b.data, b.len);
	buf_free(&b);
	if (rc != 0)
		return cmd_fail("cannot write %s: %s", path, strerror(errno));
	return 0;
}

static int
coefficients_write(const struct calib *c, const char *path)
{
	json_t	*j;
	char	*text;
	int	 rc;

	j = estimate_json(&c->model);
	text = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(6));
	json_decref(j);
	if (text == NULL)
		return cmd_fail("cannot format the coefficients");
	rc = fs_write_atomic(path, text, strlen(text));
	free(text);
	if (rc != 0)
		return cmd_fail("cannot write %s: %s", path, strerror(errno));
	return 0;
}

static void
calib_cleanup(const struct calib *c)
{
	size_t	i;

	for (i = 0; i < c->nshapes; i++)
		if (c->stl != NULL && c->stl[i] != NULL)
			unlink(c->stl[i]);
	rmdir(c->dir);
}

static int
quote_calibrate(struct cmd_ctx *x, int argc, char **argv)
{
	static const double	layers[] = { 0.12, 0.2, 0.28 };
	static const int	infills[] = { 15, 40, 100 };
	struct calib		 c;
	struct calib_row	*rows;
	const char		*out = QUOTE_OUT, *report = QUOTE_REPORT;
	const char		*tmp;
	char			*end, *dir;
	size_t			 i;
	long			 n;
	int			 quick = 0, rc;
	time_t			 t0;

	memset(&c, 0, sizeof(c));
	c.arena = x->arena;
	c.workers = QUOTE_JOBS;
	c.definitions = x->cfg.cura_definitions;
	for (i = 2; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < (size_t)argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--report") == 0 &&
		    i + 1 < (size_t)argc)
			report = argv[++i];
		else if (strcmp(argv[i], "--definitions") == 0 &&
		    i + 1 < (size_t)argc)
			c.definitions = argv[++i];
		else if (strcmp(argv[i], "--jobs") == 0 &&
		    i + 1 < (size_t)argc) {
			n = strtol(argv[++i], &end, 10);
			if (*end != '\0' || n < 1 || n > QUOTE_JOBS_MAX)
				return cmd_fail("--jobs must be 1 to %d",
				    QUOTE_JOBS_MAX);
			c.workers = (int)n;
		} else
			return cmd_fail("quote calibrate: unknown argument "
			    "\"%s\"", argv[i]);
	}
	estimate_defaults(&c.model);
	while ((c.mat[c.nmat] = cura_material_at(c.nmat)) != NULL &&
	    c.nmat + 1 < sizeof(c.mat) / sizeof(c.mat[0]))
		c.nmat++;
	if (quick) {
		c.layer[c.nlayer++] = 0.2;
		c.infill[c.ninfill++] = 15;
		c.infill[c.ninfill++] = 40;
	} else {
		for (i = 0; i < sizeof(layers) / sizeof(layers[0]); i++)
			c.layer[c.nlayer++] = layers[i];
		for (i = 0; i < sizeof(infills) / sizeof(infills[0]); i++)
			c.infill[c.ninfill++] = infills[i];
	}
	tmp = getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] != '\0' ?
	    getenv("TMPDIR") : "/tmp";
	dir = arena_printf(x->arena, "%s/printyard-calibrate-XXXXXX", tmp);
	c.dir = dir;
	if (mkdtemp(dir) == NULL)
		return cmd_fail("cannot make a directory in %s: %s", tmp,
		    strerror(errno));
	t0 = time(NULL);
	rc = calib_shapes(&c, quick);
	c.njobs = c.nshapes * c.nmat * c.nlayer * c.ninfill;
	if (rc == 0) {
		fprintf(stderr, "quote: %zu shapes x %zu materials x %zu layer "
		    "heights x %zu infills = %zu slices, %d at a time\n",
		    c.nshapes, c.nmat, c.nlayer, c.ninfill, c.njobs,
		    c.workers);
		rc = calib_slice(&c);
	}
	calib_cleanup(&c);
	if (rc != 0)
		return rc;
	snprintf(c.model.source, sizeof(c.model.source), "CuraEngine %s, %s, "
	    "printyard quote calibrate%s", c.version, CURA_PRINTER,
	    quick ? " --quick" : "");
	rows = arena_calloc(x->arena, c.nmat * c.nlayer + 1, sizeof(*rows));
	if (calib_fit(&c, rows) != 0 || coefficients_write(&c, out) != 0 ||
	    report_write(&c, rows, report, out, quick,
	    (long)(time(NULL) - t0)) != 0)
		return 1;
	for (i = 0; i <= c.nmat * c.nlayer; i++)
		printf("%-5s %-4.4s  grams median %5.1f %% p90 %5.1f %%  "
		    "minutes median %5.1f %% p90 %5.1f %%\n", rows[i].material,
		    i < c.nmat * c.nlayer ? arena_printf(x->arena, "%.2f",
		    rows[i].layer) : "", 100 * rows[i].g_med,
		    100 * rows[i].g_p90, 100 * rows[i].t_med,
		    100 * rows[i].t_p90);
	printf("wrote %s and %s in %lds\n", out, report,
	    (long)(time(NULL) - t0));
	return 0;
}

/* ---- printyard quote estimate ---- */

static int
quote_estimate(struct cmd_ctx *x, int argc, char **argv)
{
	const struct cura_material	*cm;
	struct estimate_model		 model;
	struct estimate_in		 in;
	struct estimate_out		 out;
	struct mesh_stats		 st;
	struct cura_job			 cj;
	struct cura_result		 res;
	struct err			 e = { 0 };
	const char			*file = NULL, *coef, *defs, *opt;
	char				*data, *end, *text, *val;
	char				 line[1100];
	size_t				 len, i, n;
	json_t				*j;
	int				 slice = 0;

	memset(&in, 0, sizeof(in));
	in.material = "PLA";
	in.layer_mm = 0.2;
	in.infill_pct = 15;
	coef = arena_printf(x->arena, "%s/../data/quote-coefficients.json",
	    x->cfg.template_dir);
	defs = x->cfg.cura_definitions;
	for (i = 2; i < (size_t)argc; i++) {
		opt = argv[i];
		if (strcmp(opt, "--slice") == 0) {
			slice = 1;
			continue;
		}
		if (opt[0] != '-') {
			if (file != NULL)
				return cmd_fail("quote estimate: one file, "
				    "not \"%s\" too", opt);
			file = opt;
			continue;
		}
		if (i + 1 >= (size_t)argc)
			return cmd_fail("quote estimate: %s wants a value",
			    opt);
		val = argv[++i];
		end = NULL;
		if (strcmp(opt, "--material") == 0)
			in.material = val;
		else if (strcmp(opt, "--layer") == 0)
			in.layer_mm = strtod(val, &end);
		else if (strcmp(opt, "--infill") == 0)
			in.infill_pct = (int)strtol(val, &end, 10);
		else if (strcmp(opt, "--density") == 0)
			in.density = strtod(val, &end);
		else if (strcmp(opt, "--coefficients") == 0)
			coef = val;
		else if (strcmp(opt, "--definitions") == 0)
			defs = val;
		else
			return cmd_fail("quote estimate: unknown option "
			    "\"%s\"", opt);
		if (end != NULL && (*end != '\0' || end == val))
			return cmd_fail("quote estimate: %s wants a number, "
			    "not \"%s\"", opt, val);
	}
	if (file == NULL)
		return cmd_fail("usage: printyard quote estimate FILE.stl "
		    "[--material PLA] [--layer 0.2] [--infill 15]");
	if (!(in.layer_mm >= 0.04 && in.layer_mm <= 1) ||
	    in.infill_pct < 0 || in.infill_pct > 100)
		return cmd_fail("quote estimate: --layer must be 0.04 to 1 mm "
		    "and --infill 0 to 100");
	if (!(in.density > 0))
		in.density = (cm = cura_material(in.material)) != NULL ?
		    cm->density : 1.24;
	if ((data = fs_read(file, (size_t)x->cfg.upload_max, &len)) == NULL)
		return cmd_fail("%s: %s", file, strerror(errno));
	n = strlen(file);
	/* OBJ by its name; anything else must be an STL file */
	if ((n > 4 && strcasecmp(file + n - 4, ".obj") == 0 ?
	    mesh_obj(data, len, 0, &st, &e) :
	    mesh_stl(data, len, 0, &st, &e)) != 0) {
		free(data);
		return cmd_fail("%s: %s", file, e.message);
	}
	free(data);
	estimate_defaults(&model);
	if (estimate_load(&model, coef, &e) != 0)
		return cmd_fail("%s", e.message);
	in.mesh = &st;
	estimate_part(&model, &in, &out);
	j = json_pack("{s:s, s:{s:I, s:f, s:f, s:[f, f, f], s:I, s:b}, "
	    "s:{s:s, s:f, s:f, s:i, s:f, s:f, s:f, s:I, s:b, s:s}}",
	    "file", file, "mesh", "triangles", (json_int_t)st.triangles,
	    "volume_mm3", st.volume, "area_mm2", st.area, "size_mm",
	    st.max[0] - st.min[0], st.max[1] - st.min[1],
	    st.max[2] - st.min[2], "shells", (json_int_t)st.shells,
	    "watertight", st.watertight, "estimate", "material", in.material,
	    "density", in.density, "layer_mm", in.layer_mm, "infill_pct",
	    in.infill_pct, "grams", round(out.grams * 100) / 100, "minutes",
	    round(out.minutes * 10) / 10, "extruded_mm3",
	    round(out.extruded_mm3), "layers", (json_int_t)out.layers,
	    "calibrated", out.calibrated, "coefficients", model.source);
	if (slice) {
		memset(&cj, 0, sizeof(cj));
		cj.definitions = defs;
		cj.stl = file;
		cj.material = in.material;
		cj.density = in.density;
		cj.layer_mm = in.layer_mm;
		cj.infill_pct = in.infill_pct;
		if (cura_slice(&cj, &res, &e) != 0) {
			json_decref(j);
			err_line(line, sizeof(line), &e);
			return cmd_fail("%s", line);
		}
		json_object_set_new(j, "slicer", json_pack("{s:s, s:f, s:f, "
		    "s:f}", "engine", res.version, "grams",
		    round(res.grams * 100) / 100, "minutes",
		    round(res.minutes * 10) / 10, "extruded_mm3",
		    round(res.mm3)));
	}
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(8));
	json_decref(j);
	if (text == NULL)
		return cmd_fail("cannot format the estimate");
	puts(text);
	free(text);
	return 0;
}

static int
quote_run(struct cmd_ctx *x, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "calibrate") == 0)
		return quote_calibrate(x, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "estimate") == 0)
		return quote_estimate(x, argc, argv);
	return cmd_fail("usage: printyard quote calibrate|estimate ...");
}

const struct command cmd_quote = {
	"quote", "calibrate the instant-quote estimator against CuraEngine",
	"usage: printyard quote calibrate [--out FILE] [--report FILE] "
	"[--quick]\n"
	"                                 [--jobs N] [--definitions DIR]\n"
	"       printyard quote estimate FILE [--material PLA] "
	"[--layer 0.2]\n"
	"                                 [--infill 15] [--density D] "
	"[--coefficients FILE] [--slice]\n\n"
	"calibrate slices a generated set of shapes with CuraEngine for "
	"every\nmaterial, layer height (0.12, 0.2, 0.28 mm) and infill "
	"(15, 40, 100 %),\nfits the estimator on two thirds of the shapes "
	"and measures it on the\nrest.  Writes the coefficients (--out, "
	"default " QUOTE_OUT ")\nand a report (--report, default "
	QUOTE_REPORT ").  --quick: a few\nsmall shapes at 0.2 mm, for "
	"tests.  --jobs: slices at once (2).\nThe printer definitions come "
	"from the cura_definitions key or\n--definitions "
	"(scripts/cura-definitions unpacks them).\n\n"
	"estimate measures an STL or OBJ file and prints the estimate as "
	"JSON, with\nthe coefficients of --coefficients (default: the "
	"installed\ndata/quote-coefficients.json); --slice (STL only) adds "
	"CuraEngine's\nfigures to compare.\n",
	quote_run,
};
