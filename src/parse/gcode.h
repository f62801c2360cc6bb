/*
 * gcode.h -- slicer metadata from the comments of a G-code file.
 *
 * Slicers write what they estimated into comment lines: the print time
 * and, per extruder or AMS slot, the filament used in grams and/or
 * millimetres, the filament types and the nozzle diameter.  gcode_parse
 * reads the comment formats of PrusaSlicer, OrcaSlicer / Bambu Studio and
 * Cura and fills one struct gcode_meta.  It is a pure function: bytes in,
 * struct out, no I/O, no allocation, no globals.  Input is bounded by
 * GCODE_MAX_BYTES, lines longer than GCODE_LINE_MAX are skipped, and at
 * most GCODE_MAX_SLOTS slots are kept.
 */
#ifndef PY_PARSE_GCODE_H
#define PY_PARSE_GCODE_H

#include <stddef.h>

struct err;

#define GCODE_MAX_BYTES		(256L * 1024 * 1024)
#define GCODE_LINE_MAX		4096
#define GCODE_MAX_SLOTS		16
#define GCODE_MATERIAL_MAX	24
#define GCODE_MAX_SECONDS	(366L * 24 * 3600)	/* a year */
#define GCODE_MAX_GRAMS		1e6
#define GCODE_MAX_MM		1e9

enum gcode_slicer {
	GCODE_UNKNOWN, GCODE_PRUSASLICER, GCODE_ORCASLICER,
	GCODE_BAMBUSTUDIO, GCODE_CURA
};

struct gcode_meta {
	enum gcode_slicer	 slicer;
	long			 seconds;	/* -1: not stated */
	int			 nslots;	/* slots with any value */
	double			 grams[GCODE_MAX_SLOTS];	/* -1: not stated */
	double			 length_mm[GCODE_MAX_SLOTS];	/* -1 */
	char			 material[GCODE_MAX_SLOTS][GCODE_MATERIAL_MAX];
	double			 nozzle_mm;	/* 0: not stated */
};

/*
 * Reads the metadata of buf[0..len).  Returns 0 when the file stated a
 * print time or filament use, ERR_INVALID when it stated neither or is
 * a binary G-code file, ERR_TOO_LARGE past GCODE_MAX_BYTES; e (may be
 * NULL) gets a message.  *m is always filled (unknown values as above).
 */
int		 gcode_parse(const char *buf, size_t len, struct gcode_meta *m,
		    struct err *e);
/* "PrusaSlicer", "OrcaSlicer", "Bambu Studio", "Cura" or "unknown". */
const char	*gcode_slicer_name(enum gcode_slicer);

#endif
