/*
 * fuzz_threemf.c -- libFuzzer target for parse/threemf.c.
 *
 * The first byte of the input picks the plate asked for (its low seven
 * bits modulo 65; 0: the lowest).  When its high bit is clear the rest is
 * a 3MF (ZIP) file as uploaded.  When it is set, the rest is the text of
 * Metadata/plate_1.gcode, a 0x01 byte and the text of
 * Metadata/slice_info.config, packed here into a valid stored ZIP (with
 * right CRCs) so that mutations reach the G-code and XML readers instead
 * of dying at libzip's checks.  Invariants checked: threemf_parse
 * returns 0, ERR_INVALID, ERR_NOT_FOUND or ERR_TOO_LARGE (a packed input
 * only 0 or ERR_NOT_FOUND); the plate list matches its count; a
 * plate is named only on success and is one of the list; every value is
 * inside its bounds and material names are terminated; nothing crashes,
 * leaks or reads past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "parse/threemf.h"

#define FUZZ_MAX_ENTRY	(1 << 20)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint32_t
fuzz_crc32(const uint8_t *p, size_t n)
{
	uint32_t	c;
	int		k;

	c = 0xffffffffu;
	while (n-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static uint8_t *
fuzz_le(uint8_t *o, uint32_t v, int bytes)
{
	int	i;

	for (i = 0; i < bytes; i++)
		*o++ = (uint8_t)(v >> (8 * i));
	return o;
}

/* A stored ZIP of two entries (name[i], data[i], len[i]) into out. */
static size_t
fuzz_zip(uint8_t *out, const char *const name[2], const uint8_t *data[2],
    const size_t len[2])
{
	uint8_t		*o, *cd;
	uint32_t	 off[2], crc[2];
	size_t		 nl;
	int		 i;

	o = out;
	for (i = 0; i < 2; i++) {
		nl = strlen(name[i]);
		crc[i] = fuzz_crc32(data[i], len[i]);
		off[i] = (uint32_t)(o - out);
		o = fuzz_le(o, 0x04034b50u, 4);
		o = fuzz_le(o, 20, 2);
		o = fuzz_le(o, 0, 2);		/* flags */
		o = fuzz_le(o, 0, 2);		/* stored */
		o = fuzz_le(o, 0, 4);		/* time, date */
		o = fuzz_le(o, crc[i], 4);
		o = fuzz_le(o, (uint32_t)len[i], 4);
		o = fuzz_le(o, (uint32_t)len[i], 4);
		o = fuzz_le(o, (uint32_t)nl, 2);
		o = fuzz_le(o, 0, 2);
		memcpy(o, name[i], nl);
		o += nl;
		if (len[i] > 0)
			memcpy(o, data[i], len[i]);
		o += len[i];
	}
	cd = o;
	for (i = 0; i < 2; i++) {
		nl = strlen(name[i]);
		o = fuzz_le(o, 0x02014b50u, 4);
		o = fuzz_le(o, 20, 2);
		o = fuzz_le(o, 20, 2);
		o = fuzz_le(o, 0, 2);
		o = fuzz_le(o, 0, 2);
		o = fuzz_le(o, 0, 4);
		o = fuzz_le(o, crc[i], 4);
		o = fuzz_le(o, (uint32_t)len[i], 4);
		o = fuzz_le(o, (uint32_t)len[i], 4);
		o = fuzz_le(o, (uint32_t)nl, 2);
		o = fuzz_le(o, 0, 2);		/* extra */
		o = fuzz_le(o, 0, 2);		/* comment */
		o = fuzz_le(o, 0, 2);		/* disk */
		o = fuzz_le(o, 0, 2);		/* internal attributes */
		o = fuzz_le(o, 0, 4);		/* external attributes */
		o = fuzz_le(o, off[i], 4);
		memcpy(o, name[i], nl);
		o += nl;
	}
	o = fuzz_le(o, 0x06054b50u, 4);
	o = fuzz_le(o, 0, 4);
	o = fuzz_le(o, 2, 2);
	o = fuzz_le(o, 2, 2);
	o = fuzz_le(o, (uint32_t)(o - cd - 12), 4);
	o = fuzz_le(o, (uint32_t)(cd - out), 4);
	o = fuzz_le(o, 0, 2);
	return (size_t)(o - out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[2] = { "Metadata/plate_1.gcode",
	    "Metadata/slice_info.config" };
	struct threemf_meta	 m;
	struct err		 e;
	const uint8_t		*part[2], *sep;
	size_t			 len[2], zlen;
	uint64_t		 bits;
	uint8_t			*zip;
	int			 rc, i, n, plate;

	if (size < 1 || size > FUZZ_MAX_ENTRY)
		return 0;
	plate = (data[0] & 0x7f) % (THREEMF_MAX_PLATES + 1);
	memset(&e, 0, sizeof(e));
	if (data[0] & 0x80) {
		part[0] = data + 1;
		sep = memchr(part[0], 0x01, size - 1);
		len[0] = sep != NULL ? (size_t)(sep - part[0]) : size - 1;
		part[1] = sep != NULL ? sep + 1 : data + size;
		len[1] = (size_t)(data + size - part[1]);
		if ((zip = malloc(size + 512)) == NULL)
			return 0;
		zlen = fuzz_zip(zip, names, part, len);
		rc = threemf_parse((const char *)zip, zlen, plate, &m, &e);
		free(zip);
		if (rc != 0 && rc != ERR_NOT_FOUND)
			abort();	/* a valid archive */
	} else
		rc = threemf_parse((const char *)data + 1, size - 1, plate,
		    &m, &e);
	if (rc != 0 && rc != ERR_INVALID && rc != ERR_NOT_FOUND &&
	    rc != ERR_TOO_LARGE)
		abort();
	if (rc != 0 && (int)e.code != rc)
		abort();
	for (n = 0, bits = m.plates; bits != 0; bits &= bits - 1)
		n++;
	if (n != m.nplates || m.nplates > THREEMF_MAX_PLATES)
		abort();
	if (rc == 0 && (m.plate < 1 || m.plate > THREEMF_MAX_PLATES ||
	    (m.plates & ((uint64_t)1 << (m.plate - 1))) == 0 ||
	    (plate != 0 && m.plate != plate)))
		abort();
	if (rc != 0 && m.plate != 0)
		abort();
	if (rc == ERR_NOT_FOUND && m.nplates > 0 && plate == 0)
		abort();
	if (m.gcode.seconds < -1 || m.gcode.seconds > GCODE_MAX_SECONDS)
		abort();
	if (m.gcode.nslots < 0 || m.gcode.nslots > GCODE_MAX_SLOTS)
		abort();
	if (m.gcode.nozzle_mm < 0 || m.gcode.nozzle_mm >= 10)
		abort();
	for (i = 0; i < GCODE_MAX_SLOTS; i++) {
		if (m.gcode.grams[i] > GCODE_MAX_GRAMS ||
		    m.gcode.length_mm[i] > GCODE_MAX_MM)
			abort();
		if (memchr(m.gcode.material[i], '\0', GCODE_MATERIAL_MAX) ==
		    NULL)
			abort();
	}
	err_clear(&e);
	return 0;
}
