/*
 * fuzz_thumbs.c -- libFuzzer target for parse/thumbs.c and the plate
 * image of parse/threemf.c.
 *
 * The input is a G-code file (and, the same bytes, a 3MF archive).
 * Invariants checked: thumbs_gcode returns 0, ERR_NOT_FOUND or
 * ERR_INVALID; on 0 the image fits the buffer, starts with the signature
 * of the type it claims and that type is PNG or JPEG; threemf_thumbnail
 * never writes past its buffer; nothing crashes or reads past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "parse/threemf.h"
#include "parse/thumbs.h"

#define OUTMAX	(64 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char	out[OUTMAX + 16];
	struct thumb		t;
	struct err		e;
	size_t			n;
	int			rc;

	memset(&e, 0, sizeof(e));
	memset(out + OUTMAX, 0xa5, 16);
	rc = thumbs_gcode((const char *)data, size, out, OUTMAX, &t, &e);
	if (rc != 0 && rc != ERR_NOT_FOUND && rc != ERR_INVALID)
		abort();
	if (rc == 0 && (t.len == 0 || t.len > OUTMAX ||
	    (t.type != THUMB_PNG && t.type != THUMB_JPG) ||
	    thumbs_sniff(out, t.len) != t.type))
		abort();
	err_clear(&e);
	rc = threemf_thumbnail((const char *)data, size, 0, out, OUTMAX, &n,
	    &e);
	if (rc == 0 && n > OUTMAX)
		abort();
	for (n = 0; n < 16; n++)
		if (out[OUTMAX + n] != 0xa5)
			abort();
	err_clear(&e);
	return 0;
}
