/*
 * model3mf.h -- the meshes of a 3MF file, measured for instant quotes
 * (parse/model3mf.c).
 *
 * A 3MF file is a ZIP package.  Its root model (the part _rels/.rels
 * names with the 3dmodel relationship, else 3D/3dmodel.model) lists
 * objects, each a mesh or a set of components (other objects placed by
 * a transform), and a <build> of items, each an object placed on the
 * plate.  model3mf_read gives one part per build item: every triangle
 * the item places, in millimetres after every transform, measured by
 * mesh_indexed (parse/mesh.h).  Components may name objects in other
 * model files of the package by the production extension's p:path, as
 * Bambu Studio and OrcaSlicer write them (3D/Objects/object_N.model).
 *
 * Pure: bytes in, parts out, no I/O, no globals.  The XML is read by a
 * streaming parser while the entry inflates, never whole.  Every bound
 * is in struct model3mf_limits (MODEL3MF_LIMITS for the defaults) or a
 * constant below; sizes are counted as the bytes inflate, never taken
 * from the archive's word.
 */
#ifndef PY_PARSE_MODEL3MF_H
#define PY_PARSE_MODEL3MF_H

#include <stddef.h>
#include <stdint.h>

#include "parse/mesh.h"

struct err;

/* Defaults of struct model3mf_limits. */
#define MODEL3MF_MAX_ENTRIES	200
#define MODEL3MF_MAX_INFLATED	(UINT64_C(1) << 30)	/* 1 GB, in all */
#define MODEL3MF_MAX_ENTRY	(UINT64_C(512) << 20)	/* per entry */
#define MODEL3MF_MAX_RATIO	100		/* inflated : packed */
#define MODEL3MF_RATIO_FREE	(UINT64_C(64) << 10)	/* before the ratio */
#define MODEL3MF_MAX_TRIANGLES	5000000UL	/* read, and placed */
#define MODEL3MF_MAX_VERTICES	5000000UL	/* read, and placed */
#define MODEL3MF_MAX_ITEMS	10000		/* build items: parts */
#define MODEL3MF_MAX_DEPTH	16		/* components in components */

/* Fixed bounds. */
#define MODEL3MF_MAX_OBJECTS	100000		/* in all model files */
#define MODEL3MF_MAX_COMPONENTS	100000
#define MODEL3MF_MAX_PLACED	1000000		/* meshes placed in all */
#define MODEL3MF_XML_DEPTH	64		/* nested XML elements */
#define MODEL3MF_XML_TOKEN	(4L << 20)	/* one tag, comment, ... */
#define MODEL3MF_NAME_MAX	128		/* a part's name, with NUL */

struct model3mf_limits {
	size_t		 entries;	/* entries in the archive */
	uint64_t	 inflated;	/* bytes all entries read inflate to */
	uint64_t	 entry;		/* bytes one entry inflates to */
	unsigned	 ratio;		/* per entry, past RATIO_FREE */
	size_t		 triangles;	/* read from all model files; and
					   placed by all items together */
	size_t		 vertices;	/* likewise */
	size_t		 items;		/* build items */
	int		 depth;		/* component nesting */
	/*
	 * Not a limit, but read with them: NULL, or a sink that sees every
	 * triangle each build item places, item by item, in millimetres
	 * after the unit and every transform, once the item has been
	 * checked.  A mirroring placement has its corners turned back (b
	 * and c swapped) as the measure has, so that a closed part faces
	 * out.
	 */
	const struct mesh_sink *sink;
};

#define MODEL3MF_LIMITS { MODEL3MF_MAX_ENTRIES, MODEL3MF_MAX_INFLATED, \
	MODEL3MF_MAX_ENTRY, MODEL3MF_MAX_RATIO, MODEL3MF_MAX_TRIANGLES, \
	MODEL3MF_MAX_VERTICES, MODEL3MF_MAX_ITEMS, MODEL3MF_MAX_DEPTH, NULL }

/* One build item: what it places, measured. */
struct model3mf_part {
	char			 name[MODEL3MF_NAME_MAX];	/* UTF-8 */
	size_t			 objects;	/* meshes placed (each use) */
	struct mesh_stats	 stats;		/* mm, mm2, mm3 */
};

struct model3mf {
	double			 unit_mm;	/* the root model's unit */
	size_t			 nparts;
	struct model3mf_part	*parts;		/* malloc'd: model3mf_free */
};

/*
 * Reads the 3MF file buf[0..len) within lim (NULL: MODEL3MF_LIMITS).
 * Each part is named by its object's name attribute, else "object <id>"
 * (cut to MODEL3MF_NAME_MAX - 1 bytes on a character boundary).  The
 * model's unit (micron, millimeter, centimeter, inch, foot, meter;
 * default millimeter) and every transform (twelve numbers "m00 m01 m02
 * m10 ... m32", a point (x y z 1) times the 4x3 matrix, as the 3MF core
 * specification lays it out) are applied; a mirroring transform has its
 * triangles turned back so that they still face out.
 *
 * Returns 0 with out filled (at least one part), or
 *   ERR_TOO_LARGE  past a size limit: entries, inflated bytes (all or
 *                  one entry), the ratio, triangles, vertices, items,
 *                  objects, components or placed meshes;
 *   ERR_INVALID    not a ZIP archive; an entry named with a leading "/"
 *                  or "\", a drive letter or a ".." part; an entry that
 *                  is itself a ZIP archive (by name .zip/.3mf or its
 *                  first bytes); no model; XML that is not well formed
 *                  or declares a DOCTYPE; an unknown unit; a missing or
 *                  bad number; a triangle naming a vertex the object
 *                  lacks; an object id defined twice or never; a
 *                  component cycle or nesting past lim->depth; a build
 *                  item that places no triangles;
 *   ERR_INTERNAL   out of memory.
 * The message names the limit or the place (file, line, object).  out is
 * empty on error.  e may be NULL.
 */
int	model3mf_read(const char *buf, size_t len,
	    const struct model3mf_limits *lim, struct model3mf *out,
	    struct err *e);

/*
 * The XML layer alone, for tests and fuzzing: reads xml[0..len) as the
 * root model of a package that holds nothing else, handing it to the XML
 * parser chunk bytes at a time (0, or more than ZIPREAD_CHUNK: the 64 KB
 * pieces model3mf_read inflates).  Returns as model3mf_read; a p:path
 * naming another file is ERR_INVALID (the package holds no other).
 */
int	model3mf_read_xml(const char *xml, size_t len, size_t chunk,
	    const struct model3mf_limits *lim, struct model3mf *out,
	    struct err *e);

/* Frees out's parts and empties it; out may be empty already. */
void	model3mf_free(struct model3mf *out);

#endif
