/*
 * estimate.h -- grams of filament and print minutes of a part from its
 * mesh measures (parse/mesh.h), for instant quotes: no slicing on the
 * way to a price.
 *
 * The model follows what a slicer does with one print profile (the
 * profile below: walls, line width, top/bottom thickness, the slowest
 * a layer may be printed), from what a mesh tells without slicing:
 *
 *   height H and layers n = ceil(H / layer height);
 *   top/bottom area  A_tb = min(area, 2 V / H) (the mean cross-section,
 *                    once on top and once below; exact for prisms);
 *   side area        A_side = area - A_tb;
 *   walls   W = A_side * walls * line width;
 *   skin    K = A_tb * top/bottom layers * layer height, where the
 *               top/bottom layers are ceil(top/bottom thickness / layer);
 *           W + K is capped at the solid volume V (a thin part is all
 *           shell), shrinking both alike;
 *   sparse  S = infill% * (V - W - K);
 *   void    D = bounding box volume - V: the room around the part,
 *               where supports and travel moves go;
 *   chord   C = pi V / A_side: the mean length of a line across a layer
 *               (Cauchy's formula, area of a section over its perimeter),
 *               short lines spending more of their time accelerating.
 *
 *   extruded mm3  E = g_wall W + g_skin K + g_infill S + g_void D
 *   seconds       T = t_wall W + t_skin K + t_infill S
 *                     + t_ends (K + S) / C + t_layer n + t_void D,
 *                 at least n layers of the slowest layer the profile
 *                 allows: min(min_layer_s, the layer's line length at
 *                 min_speed_mm_s), as a slicer slows small layers down
 *                 so that they can cool;
 *   grams = density E / 1000, minutes = T / 60.
 *
 * The g and t coefficients are fitted per material and layer height
 * against a slicer (printyard quote calibrate: CuraEngine, see
 * docs/quote-accuracy.md) and loaded from a JSON file.  Without them
 * the built-in defaults hold: every shell and infill volume extruded as
 * it is, at the profile's wall and infill speeds.  A layer height
 * between two fitted ones is interpolated (time coefficients per mm3
 * scale with 1 / layer height, as the volume a line carries per second
 * does); outside the fitted range the nearest one is scaled the same
 * way.  An unknown material takes PLA's coefficients with its own
 * density.
 *
 * Meshes that are not watertight: their volume may be anything from
 * zero (an open sheet) to more than the box they fit in (overlapping
 * pieces).  The volume is clamped to the bounding box, and a volume
 * below half a wall's thickness times the area is raised to it: such a
 * mesh is priced as a thin closed shell around its surface.
 *
 * Pure: no I/O and no globals, but for estimate_load(), which reads a
 * file.
 */
#ifndef PY_DOMAIN_ESTIMATE_H
#define PY_DOMAIN_ESTIMATE_H

#include <stddef.h>

#include <jansson.h>

#include "parse/mesh.h"

struct err;

#define ESTIMATE_MATERIALS	16	/* fitted materials a model holds */
#define ESTIMATE_LAYERS		8	/* fitted layer heights per material */
#define ESTIMATE_NAME_MAX	16	/* material name, with its NUL */
#define ESTIMATE_FILE_MAX	(1024 * 1024)	/* coefficients file */

/* The g coefficients: extruded mm3 per mm3 of each volume. */
enum estimate_g {
	EST_G_WALL, EST_G_SKIN, EST_G_INFILL, EST_G_VOID, EST_NG
};
/* The t coefficients: seconds per mm3, per line end, per layer. */
enum estimate_t {
	EST_T_WALL, EST_T_SKIN, EST_T_INFILL, EST_T_ENDS, EST_T_LAYER,
	EST_T_VOID, EST_NT
};

struct estimate_in {
	const struct mesh_stats	*mesh;
	/* "PLA", "PETG", "ABS", "ASA", "TPU", ... (case-insensitive) */
	const char		*material;
	double			 density;	/* g/cm3, shop settings */
	/* layer height of the quality preset, e.g. 0.12, 0.2, 0.28 */
	double			 layer_mm;
	int			 infill_pct;	/* 0..100 */
};

struct estimate_out {
	double	grams;
	double	minutes;
	double	extruded_mm3;
	long	layers;
	/*
	 * 1 when fitted coefficients for material+layer were found (the
	 * material's own, at or between fitted layer heights), 0: built-in
	 * defaults, PLA's for another material, or a layer height outside
	 * the fitted ones.
	 */
	int	calibrated;
};

/* The print profile the volumes above are measured with. */
struct estimate_profile {
	int	walls;			/* wall lines */
	double	line_mm;		/* extrusion width */
	double	top_bottom_mm;		/* skin thickness at top and bottom */
	double	min_layer_s;		/* a layer takes at least this long */
	double	min_speed_mm_s;		/* ... unless that means going slower */
	double	wall_mm_s;		/* defaults: walls and skin */
	double	infill_mm_s;		/* defaults: sparse infill */
	double	layer_s;		/* defaults: layer change and travel */
};

/* Coefficients fitted at one layer height. */
struct estimate_fit {
	double	layer_mm;
	double	g[EST_NG];
	double	t[EST_NT];
	size_t	samples;		/* slices the fit was made from */
};

struct estimate_material {
	char			name[ESTIMATE_NAME_MAX];	/* upper case */
	size_t			nfits;		/* sorted by layer_mm */
	struct estimate_fit	fits[ESTIMATE_LAYERS];
};

/* The fitted coefficients, and the profile they were fitted with. */
struct estimate_model {
	struct estimate_profile		profile;
	char				source[128];	/* for people */
	size_t				nmaterials;
	struct estimate_material	materials[ESTIMATE_MATERIALS];
};

/* One slice of a calibration run: the part, the preset, the answer. */
struct estimate_sample {
	struct mesh_stats	mesh;
	double			layer_mm;
	int			infill_pct;
	double			mm3;		/* extruded, by the slicer */
	double			seconds;	/* print time, by the slicer */
};

/* Built-in defaults (sane physics-based values) */
void	estimate_defaults(struct estimate_model *);
/*
 * Loads fitted coefficients from a JSON file (jansson); a missing file
 * is not an error (defaults stay).  Returns 0, or ERR_INVALID naming
 * the file and what is wrong in it (unreadable, over ESTIMATE_FILE_MAX,
 * not JSON, a value missing or out of range); the model is then left
 * as it was.
 */
int	estimate_load(struct estimate_model *, const char *path,
	    struct err *);
/*
 * Estimates one part: all zero (but calibrated) when the mesh is NULL
 * or has no height, area or volume.  A layer height outside 0.04 to
 * 1 mm is clamped (not a number: 0.2), infill to 0..100, a density
 * that is not positive is PLA's 1.24.
 */
void	estimate_part(const struct estimate_model *,
	    const struct estimate_in *, struct estimate_out *);

/*
 * Reads coefficients from a JSON value of the form estimate_json()
 * writes.  Returns 0, or ERR_INVALID naming the first thing wrong; the
 * model is changed only on success.
 */
int	estimate_from_json(struct estimate_model *, json_t *, struct err *);
/* The model as a new JSON value (the caller owns the reference). */
json_t	*estimate_json(const struct estimate_model *);

/*
 * Fits the coefficients of material at one layer height to n samples
 * (all at that layer height) by least squares on the relative error,
 * with no coefficient below zero, and stores them in the model
 * (replacing an earlier fit at that height).  Returns 0, ERR_INVALID
 * for fewer samples than coefficients or a sample without a positive
 * answer, ERR_TOO_LARGE when the model is full.
 */
int	estimate_fit(struct estimate_model *, const char *material,
	    double layer_mm, const struct estimate_sample *, size_t n,
	    struct err *);

/* ---- learning from what was printed ---- */

#define ESTIMATE_CORRECTION_MIN	5	/* pairs kept before a factor holds */
#define ESTIMATE_CORRECTION_MAX	2000	/* pairs looked at */
#define ESTIMATE_OUTLIER_MAD	3.0	/* drop beyond this many MADs */
#define ESTIMATE_OUTLIER_FLOOR	0.05	/* ... but never within 5 % */

/*
 * The factor k that best turns estimates into actuals (actual ≈ k ·
 * estimate) over n pairs (at most ESTIMATE_CORRECTION_MAX; pairs with
 * an estimate or actual that is not a positive number are skipped):
 * least squares through the origin, k = Σxy / Σx², after dropping the
 * outliers, pairs whose ratio actual / estimate lies further from the
 * median ratio than ESTIMATE_OUTLIER_MAD median absolute deviations of
 * the ratios (and further than ESTIMATE_OUTLIER_FLOOR of the median, so
 * that nearly equal ratios drop nothing).  *kept gets the pairs used.
 * Returns 0 with k, or -1 when fewer than ESTIMATE_CORRECTION_MIN pairs
 * are kept (k is then 1).
 */
int	estimate_correction(const double *est, const double *actual,
	    size_t n, double *k, size_t *kept);

#endif
