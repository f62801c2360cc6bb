/*
 * threemf.c -- slicer metadata from a sliced 3MF file (see threemf.h).
 *
 * The archive is read through parse/zipread.c, which counts every byte
 * as it inflates.  Every entry name is looked at once to list the plates
 * (Metadata/plate_<N>.gcode, N without leading zeros); only the chosen
 * plate and Metadata/slice_info.config are unpacked, each within the
 * bounds of threemf.h, into one malloc'd buffer freed before returning.
 * An entry must unpack to exactly its stated size.
 *
 * slice_info.config is not parsed as a whole: a bounded scan of its tags
 * finds the <plate> whose <metadata key="index"> is the plate read and
 * takes from it "prediction" (seconds), "weight" (grams), the nozzle and
 * the <filament id= type= used_g=> entries.  These only fill what the
 * G-code comments left unstated; the comments win.  A missing or
 * unreadable slice_info.config is not an error.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "parse/threemf.h"
#include "parse/zipread.h"

#define THREEMF_PLATE_PREFIX	"Metadata/plate_"
#define THREEMF_PLATE_SUFFIX	".gcode"
#define THREEMF_CONFIG		"Metadata/slice_info.config"
#define THREEMF_VALUE_MAX	64

/* What slice_info.config says about one plate. */
struct threemf_info {
	int	 index;
	long	 seconds;			/* -1: not stated */
	double	 weight;			/* -1 */
	double	 nozzle;			/* 0 */
	int	 nslots;
	double	 grams[GCODE_MAX_SLOTS];	/* -1 */
	char	 material[GCODE_MAX_SLOTS][GCODE_MATERIAL_MAX];
};

/*
 * Plate number of an entry "Metadata/plate_<N><suffix>" (".gcode": a
 * sliced plate, ".png": its picture), or 0 when the name is not one.
 */
static int
threemf_plate_number(const char *name, const char *suffix)
{
	const char	*s;
	int		 n;

	if (strncmp(name, THREEMF_PLATE_PREFIX,
	    sizeof(THREEMF_PLATE_PREFIX) - 1) != 0)
		return 0;
	s = name + sizeof(THREEMF_PLATE_PREFIX) - 1;
	if (*s < '1' || *s > '9')
		return 0;
	for (n = 0; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (*s - '0');
		if (n > THREEMF_MAX_PLATES)
			return 0;
	}
	return strcmp(s, suffix) == 0 ? n : 0;
}

/* An unsigned decimal at s, up to a non-digit; -1 when there is none. */
static double
threemf_number(const char *s)
{
	double	n, scale;
	int	digits;

	n = 0;
	digits = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		if (n < 1e15)
			n = n * 10 + (*s - '0');
	if (*s == '.')
		for (s++, scale = 0.1; *s >= '0' && *s <= '9'; s++,
		    scale /= 10, digits++)
			n += (*s - '0') * scale;
	return digits > 0 ? n : -1;
}

static int
threemf_namechar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == ':' ||
	    c == '.';
}

/*
 * The value of attribute name in the tag text [tag, end), copied into
 * out (NUL-terminated, at most THREEMF_VALUE_MAX - 1 bytes; longer
 * values are cut).  Returns 0 when the attribute is there.
 */
static int
threemf_attr(const char *tag, const char *end, const char *name,
    char out[THREEMF_VALUE_MAX])
{
	const char	*p, *v;
	size_t		 n, len;
	char		 q;

	n = strlen(name);
	for (p = tag; p + n < end; p++) {
		if (memcmp(p, name, n) != 0 || threemf_namechar(p[-1]))
			continue;
		for (v = p + n; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		if (v >= end || *v != '=')
			continue;
		for (v++; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		if (v >= end || (*v != '"' && *v != '\''))
			continue;
		q = *v++;
		for (len = 0; v + len < end && v[len] != q; len++)
			;
		if (v + len >= end)
			return -1;
		if (len > THREEMF_VALUE_MAX - 1)
			len = THREEMF_VALUE_MAX - 1;
		memcpy(out, v, len);
		out[len] = '\0';
		return 0;
	}
	return -1;
}

/* Does the tag text at s start with the element name? */
static int
threemf_is(const char *s, const char *end, const char *name)
{
	size_t	n;

	n = strlen(name);
	return (size_t)(end - s) >= n && memcmp(s, name, n) == 0 &&
	    (s + n == end || !threemf_namechar(s[n]));
}

static void
threemf_info_reset(struct threemf_info *in)
{
	int	i;

	memset(in, 0, sizeof(*in));
	in->seconds = -1;
	in->weight = -1;
	for (i = 0; i < GCODE_MAX_SLOTS; i++)
		in->grams[i] = -1;
}

/* One <metadata> or <filament> tag inside a <plate>. */
static void
threemf_info_tag(struct threemf_info *in, const char *tag, const char *end)
{
	char	 key[THREEMF_VALUE_MAX], val[THREEMF_VALUE_MAX];
	double	 d;
	int	 id;

	if (threemf_is(tag, end, "metadata")) {
		if (threemf_attr(tag, end, "key", key) != 0 ||
		    threemf_attr(tag, end, "value", val) != 0)
			return;
		d = threemf_number(val);
		if (strcmp(key, "index") == 0 && d >= 1 &&
		    d <= THREEMF_MAX_PLATES)
			in->index = (int)d;
		else if (strcmp(key, "prediction") == 0 && d >= 0 &&
		    d <= GCODE_MAX_SECONDS)
			in->seconds = (long)(d + 0.5);
		else if (strcmp(key, "weight") == 0 && d >= 0 &&
		    d <= GCODE_MAX_GRAMS)
			in->weight = d;
		else if (strcmp(key, "nozzle_diameters") == 0 && d > 0 &&
		    d < 10)
			in->nozzle = d;
		return;
	}
	if (!threemf_is(tag, end, "filament") ||
	    threemf_attr(tag, end, "id", val) != 0)
		return;
	d = threemf_number(val);
	if (d < 1 || d > GCODE_MAX_SLOTS)
		return;
	id = (int)d - 1;
	if (threemf_attr(tag, end, "used_g", val) == 0 &&
	    (d = threemf_number(val)) >= 0 && d <= GCODE_MAX_GRAMS) {
		in->grams[id] = d;
		if (d > 0 && id + 1 > in->nslots)
			in->nslots = id + 1;
	}
	if (threemf_attr(tag, end, "type", val) == 0 && val[0] != '\0' &&
	    strlen(val) < GCODE_MATERIAL_MAX && strpbrk(val, "&<>") == NULL)
		memcpy(in->material[id], val, strlen(val) + 1);
}

/*
 * Scans slice_info.config text (NUL-terminated) for the <plate> with
 * index want.  Returns 0 and fills *out when it is there.
 */
static int
threemf_info_scan(const char *text, int want, struct threemf_info *out)
{
	struct threemf_info	 cur;
	const char		*p, *end;
	int			 inplate;

	inplate = 0;
	threemf_info_reset(&cur);
	for (p = text; (p = strchr(p, '<')) != NULL; p = end + 1) {
		p++;
		if ((end = strchr(p, '>')) == NULL)
			break;
		if (*p == '/') {
			if (inplate && threemf_is(p + 1, end, "plate")) {
				if (cur.index == want) {
					*out = cur;
					return 0;
				}
				inplate = 0;
			}
		} else if (threemf_is(p, end, "plate")) {
			inplate = 1;
			threemf_info_reset(&cur);
		} else if (inplate)
			threemf_info_tag(&cur, p, end);
	}
	return -1;
}

/* Fills what the G-code comments left unstated from the plate's info. */
static void
threemf_merge(struct gcode_meta *g, const struct threemf_info *in)
{
	int	i, grams;

	if (g->seconds < 0 && in->seconds >= 0)
		g->seconds = in->seconds;
	if (g->nozzle_mm == 0 && in->nozzle > 0)
		g->nozzle_mm = in->nozzle;
	grams = 0;
	for (i = 0; i < GCODE_MAX_SLOTS; i++)
		if (g->grams[i] > 0)
			grams = 1;
	if (grams)
		return;
	if (in->nslots > 0) {
		for (i = 0; i < in->nslots; i++) {
			g->grams[i] = in->grams[i];
			if (g->material[i][0] == '\0')
				memcpy(g->material[i], in->material[i],
				    GCODE_MATERIAL_MAX);
		}
		if (in->nslots > g->nslots)
			g->nslots = in->nslots;
	} else if (in->weight > 0) {
		g->grams[0] = in->weight;
		if (g->nslots < 1)
			g->nslots = 1;
	}
}

/* Reads plate `want` (entry pi) and, when there (ci), slice_info.config. */
static int
threemf_plate(struct zipread *zr, size_t pi, const size_t *ci, int want,
    struct threemf_meta *m, struct err *e)
{
	struct threemf_info	 info;
	char			*data;
	size_t			 size;
	int			 rc;

	if ((rc = zipread_whole(zr, pi, THREEMF_MAX_GCODE, &data, &size,
	    e)) != 0)
		return rc;
	gcode_parse(data, size, &m->gcode, NULL);
	free(data);
	m->plate = want;
	if (ci == NULL || zipread_whole(zr, *ci, THREEMF_MAX_CONFIG, &data,
	    &size, NULL) != 0)
		return 0;
	if (threemf_info_scan(data, want, &info) == 0)
		threemf_merge(&m->gcode, &info);
	free(data);
	return 0;
}

/* Opens buf within the bounds of threemf.h. */
static int
threemf_open(const char *buf, size_t len, struct zipread **zr,
    struct err *e)
{
	static const struct zipread_limits lim = {
		THREEMF_MAX_ENTRIES,
		(uint64_t)THREEMF_MAX_GCODE,
		(uint64_t)THREEMF_MAX_GCODE + THREEMF_MAX_CONFIG,
		THREEMF_MAX_RATIO,
		(uint64_t)THREEMF_RATIO_FREE,
	};

	return zipread_open(buf, len, &lim, zr, e);
}

int
threemf_parse(const char *buf, size_t len, int plate,
    struct threemf_meta *m, struct err *e)
{
	size_t		 index[THREEMF_MAX_PLATES];
	struct zipread	*zr;
	size_t		 n, i, ci;
	const char	*name;
	int		 k, want, rc, config;

	memset(m, 0, sizeof(*m));
	gcode_parse("", 0, &m->gcode, NULL);
	if ((rc = threemf_open(buf, len, &zr, e)) != 0)
		return rc;
	n = zipread_count(zr);
	config = 0;
	ci = 0;
	for (i = 0; i < n; i++) {
		if ((name = zipread_name(zr, i)) == NULL)
			continue;
		if (!config && strcmp(name, THREEMF_CONFIG) == 0) {
			config = 1;
			ci = i;
		}
		if ((k = threemf_plate_number(name,
		    THREEMF_PLATE_SUFFIX)) == 0 ||
		    (m->plates & ((uint64_t)1 << (k - 1))) != 0)
			continue;
		m->plates |= (uint64_t)1 << (k - 1);
		index[k - 1] = i;
		m->nplates++;
	}
	want = plate;
	for (k = 1; want == 0 && k <= THREEMF_MAX_PLATES; k++)
		if (m->plates & ((uint64_t)1 << (k - 1)))
			want = k;
	if (want < 1 || want > THREEMF_MAX_PLATES ||
	    (m->plates & ((uint64_t)1 << (want - 1))) == 0) {
		zipread_close(zr);
		if (e != NULL) {
			if (m->nplates == 0)
				err_set(e, ERR_NOT_FOUND, "the file holds no "
				    "sliced plate");
			else
				err_set(e, ERR_NOT_FOUND, "the file holds no "
				    "plate %d", plate);
		}
		return ERR_NOT_FOUND;
	}
	rc = threemf_plate(zr, index[want - 1], config ? &ci : NULL, want, m,
	    e);
	zipread_close(zr);
	return rc;
}

int
threemf_thumbnail(const char *buf, size_t len, int plate,
    unsigned char *out, size_t outmax, size_t *outlen, struct err *e)
{
	struct zipread	*zr;
	size_t		 n, i, best;
	const char	*name;
	char		*data;
	size_t		 dlen;
	int		 k, bestk = 0, rc;

	*outlen = 0;
	if ((rc = threemf_open(buf, len, &zr, e)) != 0)
		return rc;
	n = zipread_count(zr);
	best = 0;
	for (i = 0; i < n; i++) {
		if ((name = zipread_name(zr, i)) == NULL ||
		    (k = threemf_plate_number(name, ".png")) == 0)
			continue;
		if ((plate != 0 && k == plate) || (plate == 0 &&
		    (bestk == 0 || k < bestk))) {
			best = i;
			bestk = k;
		}
	}
	if (bestk == 0) {
		zipread_close(zr);
		if (e != NULL)
			err_set(e, ERR_NOT_FOUND, "the file holds no plate "
			    "image");
		return ERR_NOT_FOUND;
	}
	rc = zipread_whole(zr, best, outmax, &data, &dlen, e);
	zipread_close(zr);
	if (rc != 0)
		return rc;
	memcpy(out, data, dlen);
	*outlen = dlen;
	free(data);
	return 0;
}
