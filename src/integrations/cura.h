/*
 * cura.h -- slices one STL file with CuraEngine (Debian: cura-engine,
 * 4.13) and reads back its print time and filament, the reference the
 * quote estimator is calibrated against (domain/estimate.h).
 *
 * CuraEngine on the command line reads the printer definitions of the
 * Cura application (fdmprinter.def.json and the printers inheriting from
 * it; scripts/cura-definitions unpacks them) but evaluates none of their
 * formulas: every setting that Cura derives from another (speeds from
 * the print speed, infill line distance from the density, layer counts
 * from thicknesses) takes its plain default unless given.  So every
 * setting that matters is given here, computed the way Cura's own
 * formulas would (cura.c lists them).  The printer is the Creality
 * Ender-3 (creality_ender3): the most common machine class in small
 * print farms, a 0.4 mm nozzle, 1.75 mm filament, Marlin timing.
 */
#ifndef PY_CURA_H
#define PY_CURA_H

#include <stddef.h>
#include <stdio.h>

struct err;

#define CURA_ENGINE		"CuraEngine"		/* on PATH */
#define CURA_PRINTER		"creality_ender3"
#define CURA_TIMEOUT_S		300
#define CURA_OUTPUT_MAX		(16 * 1024 * 1024)	/* engine's chatter */
#define CURA_SETTINGS_MAX	96
#define CURA_SETTING_LEN	64
#define PATH_MAX_CURA		4096

/* What a material changes in the slicer's settings. */
struct cura_material {
	const char	*name;		/* "PLA" */
	double		 density;	/* g/cm3, typical */
	int		 nozzle_c;
	int		 bed_c;
	double		 print_mm_s;	/* infill; walls and skin at half */
	int		 fan;		/* part cooling */
	double		 retract_mm;
	double		 retract_mm_s;
};

struct cura_job {
	const char	*engine;	/* NULL: CURA_ENGINE */
	const char	*definitions;	/* holds definitions/ and extruders/ */
	const char	*printer;	/* NULL: CURA_PRINTER */
	const char	*stl;
	const char	*gcode;		/* NULL: thrown away */
	const char	*material;	/* a name cura_material() knows */
	double		 density;	/* g/cm3; 0: the material's */
	double		 layer_mm;
	int		 infill_pct;
	int		 timeout_s;	/* 0: CURA_TIMEOUT_S */
	/* the print profile; 0: Cura's standard (2, 0.4, 0.8, 10, 10) */
	int		 walls;
	double		 line_mm;
	double		 top_bottom_mm;
	double		 min_layer_s;
	double		 min_speed_mm_s;
};

struct cura_result {
	double	seconds;
	double	mm3;
	double	grams;
	double	minutes;
	char	version[32];	/* as the engine names itself: "4.13.0" */
};

/* The settings a job passes, "key=value" each, in the order passed. */
struct cura_settings {
	size_t	n;
	char	kv[CURA_SETTINGS_MAX][CURA_SETTING_LEN];
};

/* The material of that name (case-insensitive), or NULL. */
const struct cura_material	*cura_material(const char *name);
/* The i-th material Cura settings are known for; NULL past the last. */
const struct cura_material	*cura_material_at(size_t i);

/* Fills the settings of job; 0, or ERR_INVALID for an unknown material. */
int	cura_settings(const struct cura_job *, struct cura_settings *,
	    struct err *);

/*
 * Runs CuraEngine on job->stl and waits at most the job's timeout (then
 * kills it); of its output only the summary lines and the last error
 * line are kept.  Returns 0 with the result, or: ERR_UNAVAILABLE when
 * the engine or the printer definition is missing or it took too long,
 * ERR_INVALID when the engine failed on the file (its error line in the
 * detail) or printed nothing, ERR_INTERNAL when it could not be started.
 */
int	cura_slice(const struct cura_job *, struct cura_result *,
	    struct err *);

/*
 * A binary STL file in TMPDIR (or /tmp) written a triangle at a time:
 * the engine's input for a mesh read through a mesh_sink (parse/mesh.h),
 * whatever file it came in.  Every corner is moved by shift (the caller
 * sets the mesh on the build plate: the engine cuts away what lies below
 * z = 0).  Normals are left zero; the engine works them out itself.
 */
struct cura_stl {
	FILE		*f;
	char		 path[PATH_MAX_CURA];
	unsigned long	 n;
	double		 shift[3];
	int		 failed;	/* a write failed */
};

/* Creates the file; 0, or ERR_INTERNAL. */
int	cura_stl_open(struct cura_stl *, const double shift[3], struct err *);
/* A mesh_sink's triangle function; ctx is the struct cura_stl. */
void	cura_stl_triangle(void *ctx, const double a[3], const double b[3],
	    const double c[3]);
/* Writes the count and closes the file; 0, or ERR_INTERNAL. */
int	cura_stl_close(struct cura_stl *, struct err *);
/* Closes (when open) and removes the file. */
void	cura_stl_remove(struct cura_stl *);

#endif
