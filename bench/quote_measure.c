/*
 * quote_measure.c -- times Printyard's mesh analysis on one file, the
 * work of an instant quote without the HTTP around it: mesh_stl for an
 * STL file, model3mf_read for a 3MF file (parse/mesh.c,
 * parse/model3mf.c).  Built and run by bench/quote.sh.
 *
 *   quote_measure FILE [RUNS] [sink]
 *
 * The file is read into memory first (not timed); then RUNS analyses
 * (default 5) are timed with CLOCK_MONOTONIC and the fastest and the
 * median are printed, with what the analysis found, so that a wrong
 * answer cannot pass for a fast one.  "sink" passes a triangle sink that
 * sums the signed volume, to price what a preview renderer would cost.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "parse/mesh.h"
#include "parse/model3mf.h"
#include "volsink.h"	/* tests/unit: the mesh tests' volume sink */

#define RUNS_MAX	100

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*d;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "quote_measure: %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
	if ((d = malloc((size_t)n + 1)) == NULL ||
	    fread(d, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "quote_measure: %s: cannot read\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return d;
}

int
main(int argc, char **argv)
{
	struct model3mf_limits	 lim = MODEL3MF_LIMITS;
	struct mesh_sink	 sink;
	struct mesh_stats	 st;
	struct model3mf		 m;
	struct err		 e;
	struct vol_sink		 v;
	double			 t[RUNS_MAX], t0;
	const char		*path;
	char			*data;
	size_t			 len, n;
	int			 runs = 5, i, rc, is3mf, use_sink;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: quote_measure FILE [RUNS] [sink]\n");
		return 2;
	}
	path = argv[1];
	if (argc >= 3) {
		n = strtoul(argv[2], NULL, 10);
		runs = n >= 1 && n <= RUNS_MAX ? (int)n : 5;
	}
	use_sink = argc == 4 && strcmp(argv[3], "sink") == 0;
	data = slurp(path, &len);
	n = strlen(path);
	is3mf = n > 4 && strcmp(path + n - 4, ".3mf") == 0;
	sink.triangle = vol_triangle;
	sink.ctx = &v;
	if (use_sink)
		lim.sink = &sink;
	memset(&st, 0, sizeof(st));
	for (i = 0; i < runs; i++) {
		memset(&e, 0, sizeof(e));
		memset(&v, 0, sizeof(v));
		t0 = now();
		if (is3mf) {
			rc = model3mf_read(data, len, &lim, &m, &e);
			if (rc == 0) {
				st = m.parts[0].stats;
				model3mf_free(&m);
			}
		} else
			rc = mesh_stl_sink(data, len, 0, use_sink ? &sink :
			    NULL, &st, &e);
		t[i] = now() - t0;
		if (rc != 0) {
			fprintf(stderr, "quote_measure: %s: %s\n", path,
			    e.message);
			return 1;
		}
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	printf("%s: %zu triangles, %zu vertices, volume %.1f mm3, area "
	    "%.1f mm2, %zu shell(s), %s\n", path, st.triangles, st.vertices,
	    st.volume, st.area, st.shells, st.watertight ? "watertight" :
	    "not watertight");
	if (use_sink)
		printf("sink: %zu triangles, volume %.1f mm3\n", v.n,
		    fabs(v.six) / 6);
	printf("analysis: fastest %.1f ms, median %.1f ms of %d runs\n",
	    t[0] * 1e3, t[runs / 2] * 1e3, runs);
	free(data);
	return 0;
}
