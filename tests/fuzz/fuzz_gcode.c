/*
 * fuzz_gcode.c -- libFuzzer target for parse/gcode.c.
 *
 * The input is a G-code file.  Invariants checked: gcode_parse returns 0
 * or ERR_INVALID, every value it fills is inside its bounds, material
 * names are terminated, and nothing crashes or reads past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "parse/gcode.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gcode_meta	m;
	struct err		e;
	int			rc, i;

	memset(&e, 0, sizeof(e));
	rc = gcode_parse((const char *)data, size, &m, &e);
	if (rc != 0 && rc != ERR_INVALID)
		abort();
	if (m.seconds < -1 || m.seconds > GCODE_MAX_SECONDS)
		abort();
	if (m.nslots < 0 || m.nslots > GCODE_MAX_SLOTS)
		abort();
	for (i = 0; i < GCODE_MAX_SLOTS; i++) {
		if (m.grams[i] > GCODE_MAX_GRAMS || m.length_mm[i] >
		    GCODE_MAX_MM)
			abort();
		if (memchr(m.material[i], '\0', GCODE_MATERIAL_MAX) == NULL)
			abort();
	}
	err_clear(&e);
	return 0;
}
