/*
 * silhouette.h -- a small preview picture of a mesh, drawn in software.
 *
 * A mesh reader feeds triangles one at a time (struct mesh_sink in
 * parse/mesh.h, with silhouette_triangle as the callback and the struct
 * silhouette as its context); each is projected into a fixed view from
 * the front, right and above, shaded flat by its face normal and kept
 * where it is nearest (a depth buffer).  The view is fitted to the
 * bounding box given up front (struct mesh_stats min/max), so the mesh
 * is read once.  The result is w x h RGB pixels, top row first, on a
 * white background, ready for pdf_image_rgb.
 *
 * Invariants: no allocation after silhouette_init (5 million triangles
 * cost no more memory than one); a triangle with a coordinate that is
 * not finite, or without area, is counted in skipped and not drawn;
 * the pixels touched in all are bounded by SILHOUETTE_MAX_WORK, so a
 * hostile mesh of huge overlapping triangles costs bounded time (what
 * comes after the budget is skipped, and truncated is set).
 */
#ifndef PY_SILHOUETTE_H
#define PY_SILHOUETTE_H

#include <stddef.h>

struct arena;

#define SILHOUETTE_SIDE		240	/* the usual picture, pixels */
#define SILHOUETTE_MIN_SIDE	16
#define SILHOUETTE_MAX_SIDE	1024
#define SILHOUETTE_MARGIN	0.04	/* of each side, left blank */
/* Pixels visited in all, about a second of work. */
#define SILHOUETTE_MAX_WORK	400000000ULL

struct silhouette {
	int			 w, h;
	unsigned char		*rgb;		/* w * h * 3, top row first */
	float			*depth;		/* w * h; larger is nearer */
	size_t			 drawn;		/* triangles rasterised */
	size_t			 skipped;	/* not finite or no area */
	int			 truncated;	/* the work budget ran out */
	/* the view, set by silhouette_init */
	int			 ok;		/* a box to fit the view to */
	double			 right[3], up[3], toward[3], light[3];
	double			 centre[3];
	double			 scale, ox, oy;	/* mm to pixels */
	double			 edge;		/* depth step that is an edge */
	unsigned char		 base[3];
	unsigned long long	 work;
};

/*
 * Prepares s for a picture of w x h pixels (clamped to the bounds above)
 * of a mesh inside the box min..max (mm), in colour rgb (NULL: a neutral
 * grey).  The pixels and depth buffer come from the arena.  A box that
 * is not finite or has no extent leaves the picture blank: every
 * triangle is then skipped.
 */
void	silhouette_init(struct silhouette *, struct arena *, int w, int h,
	    const double min[3], const double max[3],
	    const unsigned char rgb[3]);
/*
 * Draws one triangle; ctx is the struct silhouette.  The signature is
 * struct mesh_sink's triangle callback.
 */
void	silhouette_triangle(void *ctx, const double a[3], const double b[3],
	    const double c[3]);
/*
 * Outlines the part (its edge against the background and steps in
 * depth) so that a part as pale as the page still shows.  Call once,
 * after the last triangle.
 */
void	silhouette_finish(struct silhouette *);

#endif
