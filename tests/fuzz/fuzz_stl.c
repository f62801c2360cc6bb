/*
 * fuzz_stl.c -- libFuzzer target for parse/mesh.c's STL reader.
 *
 * The input is a whole file (binary or ASCII STL, or neither).
 * Invariants checked: mesh_stl returns 0, ERR_INVALID or ERR_TOO_LARGE
 * (never ERR_INTERNAL for inputs this small); on 0 the counts hold
 * together (a triangle count within the ceiling, at most three distinct
 * vertices per triangle, at least one shell, a finite non-negative
 * volume and area, min <= max); nothing crashes or reads past the input.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "parse/mesh.h"

#define CEILING	20000

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mesh_stats	st;
	struct err		e;
	int			rc, d;

	memset(&e, 0, sizeof(e));
	rc = mesh_stl(data, size, CEILING, &st, &e);
	if (rc != 0 && rc != ERR_INVALID && rc != ERR_TOO_LARGE)
		abort();
	if (rc != 0)
		return 0;
	if (st.triangles == 0 || st.triangles > CEILING ||
	    st.vertices > st.triangles * 3 || st.vertices == 0 ||
	    st.shells == 0 || st.shells > st.triangles ||
	    !(st.volume >= 0) || !isfinite(st.volume) || !(st.area >= 0) ||
	    !isfinite(st.area) || st.degenerate > st.triangles)
		abort();
	for (d = 0; d < 3; d++)
		if (!(st.min[d] <= st.max[d]))
			abort();
	return 0;
}
