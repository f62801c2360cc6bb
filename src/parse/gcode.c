/*
 * gcode.c -- slicer metadata from G-code comments (see gcode.h).
 *
 * Only lines that start with ';' are looked at.  A key is matched at the
 * start of the comment (after blanks, case-insensitively), followed by
 * '=' or ':' and the value.  Lists are split on ',' or ';'.  Numbers are
 * read by hand (no locale, no strtod on unterminated input) and bounded;
 * a value that does not read is ignored, never an error, because slicers
 * keep adding keys that look alike.
 *
 * Formats read:
 *   PrusaSlicer / OrcaSlicer:
 *     ; estimated printing time (normal mode) = 1d 2h 3m 4s
 *     ; filament used [g] = 3.70, 0.00     ; filament used [mm] = 1234.5
 *     ; filament_type = PLA;PETG           ; nozzle_diameter = 0.4,0.4
 *   Bambu Studio / OrcaSlicer header:
 *     ; model printing time: 1h 2m; total estimated time: 1h 10m 5s
 *     ; total filament weight [g] : 15.10,2.00
 *     ; total filament length [mm] : 5023.81
 *   Cura:
 *     ;TIME:6645   ;PRINT.TIME:6645   ;Filament used: 2.84851m, 0m
 *     ;EXTRUDER_TRAIN.0.NOZZLE.DIAMETER:0.4
 */
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "parse/gcode.h"

/* Reads an unsigned decimal at *s into *v; returns 0 and advances *s. */
static int
gcode_number(const char **s, double *v)
{
	const char	*p = *s;
	double		 n, scale;
	int		 digits;

	n = 0;
	digits = 0;
	while (*p >= '0' && *p <= '9') {
		if (n < 1e15)
			n = n * 10 + (*p - '0');
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		for (scale = 0.1; *p >= '0' && *p <= '9'; p++, scale /= 10) {
			n += (*p - '0') * scale;
			digits++;
		}
	}
	if (digits == 0)
		return -1;
	*v = n;
	*s = p;
	return 0;
}

static const char *
gcode_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * When line (after ';' and blanks) starts with key followed by blanks and
 * '=' or ':', returns the value after the separator; else NULL.
 */
static const char *
gcode_key(const char *line, const char *key)
{
	size_t	n;

	n = strlen(key);
	if (strncasecmp(line, key, n) != 0)
		return NULL;
	line = gcode_blanks(line + n);
	if (*line != '=' && *line != ':')
		return NULL;
	return gcode_blanks(line + 1);
}

/* "1d 2h 3m 4s" (any subset, in any order) -> seconds, or -1. */
static long
gcode_duration(const char *s)
{
	double	total, v;
	int	parts;

	total = 0;
	parts = 0;
	for (;;) {
		s = gcode_blanks(s);
		if (gcode_number(&s, &v) != 0)
			break;
		switch (*s) {
		case 'd':
			total += v * 86400;
			break;
		case 'h':
			total += v * 3600;
			break;
		case 'm':
			total += v * 60;
			break;
		case 's':
			total += v;
			break;
		default:
			return -1;
		}
		s++;
		parts++;
		if (total > GCODE_MAX_SECONDS)
			return -1;
	}
	return parts > 0 ? (long)(total + 0.5) : -1;
}

/* Whole seconds as a plain number (Cura). */
static long
gcode_seconds(const char *s)
{
	double	v;

	if (gcode_number(&s, &v) != 0 || v > GCODE_MAX_SECONDS)
		return -1;
	return (long)(v + 0.5);
}

static void
gcode_slot_used(struct gcode_meta *m, int i)
{
	if (i + 1 > m->nslots)
		m->nslots = i + 1;
}

/*
 * A list of numbers "1.2, 0, 3m" into out[] times factor; a trailing
 * unit letter is allowed.  Slots whose value is 0 stay counted only when
 * a later slot has a value.
 */
static void
gcode_list(struct gcode_meta *m, const char *s, double *out, double factor,
    double max)
{
	double	v;
	int	i;

	for (i = 0; i < GCODE_MAX_SLOTS; i++) {
		s = gcode_blanks(s);
		if (gcode_number(&s, &v) != 0)
			break;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			s++;
		v *= factor;
		if (v <= max) {
			out[i] = v;
			if (v > 0)
				gcode_slot_used(m, i);
		}
		s = gcode_blanks(s);
		if (*s != ',' && *s != ';')
			break;
		s++;
	}
}

static void
gcode_materials(struct gcode_meta *m, const char *s)
{
	size_t	n;
	int	i;

	for (i = 0; i < GCODE_MAX_SLOTS && *s != '\0'; i++) {
		s = gcode_blanks(s);
		for (n = 0; s[n] != '\0' && s[n] != ';' && s[n] != ','; n++)
			;
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
		    s[n - 1] == '\r'))
			n--;
		if (n > 0 && n < GCODE_MATERIAL_MAX) {
			memcpy(m->material[i], s, n);
			m->material[i][n] = '\0';
		}
		s += n;
		s = gcode_blanks(s);
		if (*s != ';' && *s != ',')
			break;
		s++;
	}
}

static void
gcode_nozzle(struct gcode_meta *m, const char *s)
{
	double	v;

	if (m->nozzle_mm == 0 && gcode_number(&s, &v) == 0 && v > 0 &&
	    v < 10)
		m->nozzle_mm = v;
}

static void
gcode_generator(struct gcode_meta *m, const char *c)
{
	if (m->slicer != GCODE_UNKNOWN)
		return;
	if (strstr(c, "PrusaSlicer") != NULL)
		m->slicer = GCODE_PRUSASLICER;
	else if (strstr(c, "OrcaSlicer") != NULL)
		m->slicer = GCODE_ORCASLICER;
	else if (strstr(c, "BambuStudio") != NULL ||
	    strstr(c, "Bambu Studio") != NULL)
		m->slicer = GCODE_BAMBUSTUDIO;
	else if (strstr(c, "Cura") != NULL)
		m->slicer = GCODE_CURA;
}

/* One comment, NUL-terminated, without the ';'. */
static void
gcode_comment(struct gcode_meta *m, const char *c, long *model_time)
{
	const char	*v, *t;
	long		 s;

	c = gcode_blanks(c);
	if (strncasecmp(c, "generated by", 12) == 0 || strncasecmp(c,
	    "Generated with", 14) == 0 || strncmp(c, "BambuStudio", 11) == 0)
		gcode_generator(m, c);
	if ((v = gcode_key(c, "estimated printing time (normal mode)")) !=
	    NULL) {
		if ((s = gcode_duration(v)) >= 0)
			m->seconds = s;
	} else if ((v = gcode_key(c, "model printing time")) != NULL) {
		if ((t = strstr(v, "total estimated time")) != NULL &&
		    (t = gcode_key(t, "total estimated time")) != NULL &&
		    (s = gcode_duration(t)) >= 0)
			m->seconds = s;
		else if ((s = gcode_duration(v)) >= 0)
			*model_time = s;
	} else if ((v = gcode_key(c, "total estimated time")) != NULL) {
		if ((s = gcode_duration(v)) >= 0)
			m->seconds = s;
	} else if ((v = gcode_key(c, "TIME")) != NULL ||
	    (v = gcode_key(c, "PRINT.TIME")) != NULL) {
		if ((s = gcode_seconds(v)) >= 0)
			m->seconds = s;
	} else if ((v = gcode_key(c, "filament used [g]")) != NULL ||
	    (v = gcode_key(c, "total filament weight [g]")) != NULL)
		gcode_list(m, v, m->grams, 1, GCODE_MAX_GRAMS);
	else if ((v = gcode_key(c, "filament used [mm]")) != NULL ||
	    (v = gcode_key(c, "total filament length [mm]")) != NULL)
		gcode_list(m, v, m->length_mm, 1, GCODE_MAX_MM);
	else if ((v = gcode_key(c, "Filament used")) != NULL)
		gcode_list(m, v, m->length_mm, 1000, GCODE_MAX_MM);
	else if ((v = gcode_key(c, "filament_type")) != NULL)
		gcode_materials(m, v);
	else if ((v = gcode_key(c, "nozzle_diameter")) != NULL ||
	    (v = gcode_key(c, "EXTRUDER_TRAIN.0.NOZZLE.DIAMETER")) != NULL)
		gcode_nozzle(m, v);
	else if (strncmp(c, "FLAVOR:", 7) == 0 && m->slicer == GCODE_UNKNOWN)
		m->slicer = GCODE_CURA;
}

const char *
gcode_slicer_name(enum gcode_slicer s)
{
	switch (s) {
	case GCODE_PRUSASLICER:
		return "PrusaSlicer";
	case GCODE_ORCASLICER:
		return "OrcaSlicer";
	case GCODE_BAMBUSTUDIO:
		return "Bambu Studio";
	case GCODE_CURA:
		return "Cura";
	default:
		return "unknown";
	}
}

int
gcode_parse(const char *buf, size_t len, struct gcode_meta *m,
    struct err *e)
{
	char		 line[GCODE_LINE_MAX + 1];
	const char	*p, *end, *nl;
	size_t		 n;
	long		 model_time;
	int		 i, found;

	memset(m, 0, sizeof(*m));
	m->seconds = -1;
	for (i = 0; i < GCODE_MAX_SLOTS; i++) {
		m->grams[i] = -1;
		m->length_mm[i] = -1;
	}
	if (len > (size_t)GCODE_MAX_BYTES) {
		if (e != NULL)
			err_set(e, ERR_TOO_LARGE, "the G-code file is larger "
			    "than %ld bytes", GCODE_MAX_BYTES);
		return ERR_TOO_LARGE;
	}
	if (len >= 4 && memcmp(buf, "GCDE", 4) == 0) {
		if (e != NULL)
			err_set(e, ERR_INVALID, "binary G-code (.bgcode) is "
			    "not read; export plain G-code");
		return ERR_INVALID;
	}
	model_time = -1;
	end = buf + len;
	for (p = buf; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n == 0 || p[0] != ';' || n > GCODE_LINE_MAX)
			continue;
		memcpy(line, p + 1, n - 1);
		line[n - 1] = '\0';
		if (n > 1 && line[n - 2] == '\r')
			line[n - 2] = '\0';
		gcode_comment(m, line, &model_time);
	}
	if (m->seconds < 0 && model_time >= 0)
		m->seconds = model_time;
	found = m->seconds >= 0 || m->nslots > 0;
	if (!found) {
		if (e != NULL)
			err_set(e, ERR_INVALID, "the file states no print time "
			    "and no filament use in its comments");
		return ERR_INVALID;
	}
	return 0;
}
