/*
 * fuzz_model3mf.h -- what the parse/model3mf.c fuzzers (fuzz_model3mf.c,
 * fuzz_model3mf_xml.c) share: the small limits they read within, so
 * that a run stays fast, and the invariants every result must hold.
 */
#ifndef PY_FUZZ_MODEL3MF_H
#define PY_FUZZ_MODEL3MF_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "parse/model3mf.h"

#define FUZZ_MAX_INPUT	(1 << 20)

static const struct model3mf_limits fuzz_limits = {
	MODEL3MF_MAX_ENTRIES,	/* entries */
	UINT64_C(8) << 20,	/* inflated */
	UINT64_C(4) << 20,	/* per entry */
	MODEL3MF_MAX_RATIO,
	20000,			/* triangles */
	20000,			/* vertices */
	64,			/* items */
	MODEL3MF_MAX_DEPTH,
	NULL,			/* sink */
};

/*
 * Aborts unless: the code is one model3mf_read may return for input
 * that is not huge (never ERR_INTERNAL), an error leaves no parts and a
 * message, and on success every part is named, places at least one mesh
 * and one triangle within the ceilings, and measures finite, with its
 * box the right way round.
 */
static void
fuzz_model3mf_check(int rc, const struct model3mf *m, const struct err *e)
{
	const struct mesh_stats	*st;
	size_t			 i, triangles = 0;
	int			 d;

	if (rc != 0 && rc != ERR_INVALID && rc != ERR_TOO_LARGE)
		abort();
	if (rc != 0) {
		if ((int)e->code != rc || e->message[0] == '\0' ||
		    m->parts != NULL || m->nparts != 0)
			abort();
		return;
	}
	if (m->nparts == 0 || m->nparts > fuzz_limits.items ||
	    !(m->unit_mm > 0))
		abort();
	for (i = 0; i < m->nparts; i++) {
		st = &m->parts[i].stats;
		if (memchr(m->parts[i].name, '\0', MODEL3MF_NAME_MAX) == NULL ||
		    m->parts[i].name[0] == '\0' || m->parts[i].objects == 0)
			abort();
		if (st->triangles == 0 || st->vertices == 0 ||
		    !isfinite(st->volume) || !(st->volume >= 0) ||
		    !isfinite(st->area) || !(st->area >= 0) ||
		    st->shells == 0 || st->shells > st->triangles)
			abort();
		for (d = 0; d < 3; d++)
			if (!(st->min[d] <= st->max[d]))
				abort();
		triangles += st->triangles;
	}
	if (triangles > fuzz_limits.triangles)
		abort();
}

#endif
