/*
 * threemf.h -- slicer metadata from a sliced 3MF project file.
 *
 * A 3MF file is a ZIP archive.  Bambu Studio and OrcaSlicer keep each
 * sliced plate as Metadata/plate_<N>.gcode (the G-code with the usual
 * slicer comments) and a summary per plate in Metadata/slice_info.config
 * (XML: print time "prediction", "weight", one <filament> per slot with
 * type and used_g).  threemf_parse opens the archive in memory, lists the
 * sliced plates, reads the G-code of one of them with gcode_parse and
 * fills what its comments lack from slice_info.config.
 *
 * It is a pure function: bytes in, struct out, no I/O, no globals; the
 * memory it takes (the unpacked plate) is freed before it returns.  The
 * archive is bounded: at most THREEMF_MAX_ENTRIES entries, a plate of at
 * most THREEMF_MAX_GCODE bytes unpacked, slice_info.config of at most
 * THREEMF_MAX_CONFIG bytes, and an entry whose unpacked size is more
 * than THREEMF_MAX_RATIO times its packed size (past THREEMF_RATIO_FREE
 * bytes) is taken for a ZIP bomb and refused.  Plates are numbered 1 to
 * THREEMF_MAX_PLATES; other plate numbers are ignored.
 */
#ifndef PY_PARSE_THREEMF_H
#define PY_PARSE_THREEMF_H

#include <stddef.h>
#include <stdint.h>

#include "parse/gcode.h"

struct err;

#define THREEMF_MAX_ENTRIES	4096
#define THREEMF_MAX_PLATES	64
#define THREEMF_MAX_GCODE	(64L * 1024 * 1024)
#define THREEMF_MAX_CONFIG	(1L * 1024 * 1024)
#define THREEMF_MAX_RATIO	200
#define THREEMF_RATIO_FREE	(64L * 1024)

struct threemf_meta {
	int			 nplates;	/* sliced plates in the file */
	uint64_t		 plates;	/* bit N-1: plate N is there */
	int			 plate;		/* the plate read; 0: none */
	struct gcode_meta	 gcode;		/* its metadata */
};

/*
 * Reads the 3MF file buf[0..len).  plate is the plate wanted, 0 for the
 * lowest one present.  Returns
 *   0             the plate was read: m->plate, and in m->gcode what
 *                 its comments and slice_info.config state (a plate may
 *                 state nothing: seconds -1 and nslots 0);
 *   ERR_NOT_FOUND the file has no sliced plate (m->nplates == 0) or not
 *                 the one asked for: nothing was read;
 *   ERR_INVALID   not a ZIP archive, or a damaged or encrypted entry;
 *   ERR_TOO_LARGE past one of the bounds above.
 * m is always filled: the plate list whenever the archive opened, gcode
 * with unknown values (see gcode.h) when nothing was read.  e (may be
 * NULL) gets a message.
 */
int	threemf_parse(const char *buf, size_t len, int plate,
	    struct threemf_meta *m, struct err *e);

/*
 * The preview image of a plate, Metadata/plate_<N>.png (plate 0: the
 * lowest N present), unpacked into out[0..outmax).  Returns 0 with
 * *outlen set, ERR_NOT_FOUND when there is none, ERR_INVALID for a
 * damaged archive or entry, ERR_TOO_LARGE when the image is larger than
 * outmax or the archive past the bounds above.
 */
int	threemf_thumbnail(const char *buf, size_t len, int plate,
	    unsigned char *out, size_t outmax, size_t *outlen,
	    struct err *e);

#endif
