/*
 * volsink.h -- a mesh_sink for the mesh reader tests and bench/quote's
 * "sink" run: it sums six times the signed volume of the triangles it
 * sees (so a closed, outward facing surface gives six times its volume),
 * counts them and keeps the smallest x of a first corner.
 */
#ifndef PY_TEST_VOLSINK_H
#define PY_TEST_VOLSINK_H

#include <stddef.h>

struct vol_sink {
	double	six;
	double	min_x;
	size_t	n;
};

static void
vol_triangle(void *ctx, const double a[3], const double b[3],
    const double c[3])
{
	struct vol_sink	*v = ctx;

	v->six += a[0] * (b[1] * c[2] - b[2] * c[1]) -
	    a[1] * (b[0] * c[2] - b[2] * c[0]) +
	    a[2] * (b[0] * c[1] - b[1] * c[0]);
	if (v->n == 0 || a[0] < v->min_x)
		v->min_x = a[0];
	v->n++;
}

#endif
