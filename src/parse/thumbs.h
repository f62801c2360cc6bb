/*
 * thumbs.h -- thumbnails embedded in G-code files.
 *
 * PrusaSlicer, OrcaSlicer and Bambu Studio write preview images into
 * the comments at the top of a G-code file as blocks:
 *
 *   ; thumbnail begin 300x300 12345
 *   ; iVBORw0KGgo...            (base64, one chunk per comment line)
 *   ; thumbnail end
 *
 * where the header gives width x height and the length of the base64
 * text; "thumbnail_PNG", "thumbnail_JPG" and "thumbnail_QOI" name the
 * image type (plain "thumbnail" is PNG).  thumbs_gcode picks the largest
 * PNG (by pixels), else the largest JPEG; QOI blocks are recognised and
 * skipped (browsers cannot show them).  The decoded image must start
 * with its type's signature.
 *
 * A pure function: bytes in, image out into the caller's buffer, no
 * allocation, no globals.  Bounded: only the first THUMBS_SCAN_BYTES of
 * the file are read, at most THUMBS_MAX_BLOCKS blocks are considered,
 * and an image larger than the caller's buffer (at most THUMBS_MAX_BYTES
 * is sensible) is not taken.
 */
#ifndef PY_PARSE_THUMBS_H
#define PY_PARSE_THUMBS_H

#include <stddef.h>

struct err;

#define THUMBS_SCAN_BYTES	(16L * 1024 * 1024)
#define THUMBS_MAX_BLOCKS	16
#define THUMBS_MAX_BYTES	(1024L * 1024)
#define THUMBS_MAX_SIDE		4096

enum thumb_type {
	THUMB_NONE, THUMB_PNG, THUMB_JPG, THUMB_QOI
};

struct thumb {
	enum thumb_type	 type;
	int		 width, height;	/* as the header states */
	size_t		 len;		/* decoded bytes in out */
	int		 blocks;	/* blocks seen, any type */
};

/*
 * Finds the best thumbnail of the G-code text buf[0..len) and decodes it
 * into out[0..outmax).  Returns 0 with *t filled, ERR_NOT_FOUND when no
 * usable block is there (t->blocks says whether any was), ERR_INVALID
 * when the blocks that fit are damaged.  e (may be NULL) gets a message.
 */
int		 thumbs_gcode(const char *buf, size_t len, unsigned char *out,
		    size_t outmax, struct thumb *t, struct err *e);
/* "image/png", "image/jpeg", "image/qoi" or NULL. */
const char	*thumbs_mime(enum thumb_type);
/* The type an image's first bytes say, or THUMB_NONE. */
enum thumb_type	 thumbs_sniff(const unsigned char *, size_t);

#endif
