/*
 * mesh.h -- what a triangle mesh measures (parse/mesh.c), for instant
 * quotes: STL files (binary and ASCII), OBJ files (parse/meshobj.c) and
 * the indexed meshes a 3MF object holds.
 *
 * Everything is in the file's units (millimetres for STL by convention);
 * a caller that knows better scales first.  Pure: no I/O, no globals;
 * memory is malloc'd while it works and freed before returning.
 */
#ifndef PY_MESH_H
#define PY_MESH_H

#include <stddef.h>
#include <stdint.h>

struct err;

/* Default ceilings; callers pass their configured ones. */
#define MESH_MAX_TRIANGLES	5000000UL

struct mesh_stats {
	size_t		 triangles;
	size_t		 vertices;	/* distinct positions */
	double		 volume;	/* mm3, enclosed (|signed sum|) */
	double		 area;		/* mm2 */
	double		 min[3], max[3];	/* bounding box */
	size_t		 shells;	/* connected pieces */
	size_t		 degenerate;	/* zero area or repeated corners */
	size_t		 open_edges;	/* used by one triangle */
	size_t		 nonmanifold_edges;	/* used by three or more */
	size_t		 flipped_edges;	/* used twice in one direction */
	int		 watertight;	/* closed, manifold, consistent */
};

/*
 * A caller that wants the triangles themselves (a preview image, say)
 * passes a sink: triangle() sees each one as it is read, in millimetres
 * (after units and transforms), corners in the file's order.
 */
struct mesh_sink {
	void	(*triangle)(void *ctx, const double a[3], const double b[3],
		    const double c[3]);
	void	 *ctx;
};

/*
 * Measures an STL file: binary when 84 + 50 * n == len for the count n
 * its header gives (checked before anything is allocated), else ASCII
 * ("solid ..." with facet/vertex lines, read once, in linear time).
 * At most max_triangles (0: MESH_MAX_TRIANGLES).  Returns 0, or the
 * error: ERR_TOO_LARGE past the triangle ceiling, ERR_INVALID for a
 * file that is neither form, truncated, empty, or holds NaN or
 * infinite coordinates (the message says which, and where).
 */
int	mesh_stl(const void *data, size_t len, size_t max_triangles,
	    struct mesh_stats *, struct err *);
/*
 * mesh_stl with a sink (NULL: none), which sees the triangles in the
 * file's order as they are read; on an error it may have seen some.
 */
int	mesh_stl_sink(const void *data, size_t len, size_t max_triangles,
	    const struct mesh_sink *, struct mesh_stats *, struct err *);

/*
 * Measures a Wavefront OBJ file (parse/meshobj.c), read once in linear
 * time: "v x y z" vertices and "f a b c ..." faces (polygons cut into a
 * fan of triangles; corners "i", "i/t", "i//n" or "i/t/n", i counting
 * from 1, or from -1 backwards from the last vertex read); other lines
 * are skipped.  Numbers are taken as millimetres.  At most max_triangles
 * (0: MESH_MAX_TRIANGLES) and three vertices per triangle of that
 * ceiling.  Returns 0, or the error: ERR_TOO_LARGE past a ceiling,
 * ERR_INVALID for no faces, a face of fewer than three corners, a
 * corner naming a vertex not read before it, a vertex without three
 * numbers or with one that is not finite (the message gives the line).
 */
int	mesh_obj(const void *data, size_t len, size_t max_triangles,
	    struct mesh_stats *, struct err *);
/* mesh_obj with a sink (NULL: none): sees the fans' triangles in order. */
int	mesh_obj_sink(const void *data, size_t len, size_t max_triangles,
	    const struct mesh_sink *, struct mesh_stats *, struct err *);

/*
 * Measures an indexed mesh: nv vertices (x, y, z each) and nt
 * triangles (three vertex indices each, all < nv).  Returns 0, or
 * ERR_INVALID for an index out of range or a coordinate that is not
 * finite.
 */
int	mesh_indexed(const double *v, size_t nv, const uint32_t *t,
	    size_t nt, struct mesh_stats *, struct err *);
/*
 * mesh_indexed with a sink (NULL: none): sees triangles t in order, once
 * every index and coordinate has been checked.
 */
int	mesh_indexed_sink(const double *v, size_t nv, const uint32_t *t,
	    size_t nt, const struct mesh_sink *, struct mesh_stats *,
	    struct err *);

#endif
