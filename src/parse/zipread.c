/*
 * zipread.c -- bounded reading of a ZIP archive in memory (see zipread.h).
 *
 * The only file that uses libzip.  The archive is opened from the
 * caller's buffer without a copy.  Sizes from the central directory are
 * only used to refuse early (a packed size larger than the archive, a
 * stated size past the ceiling or past the ratio); what decides is the
 * count of bytes actually inflated, checked after every piece and before
 * the piece is handed on, so no caller ever sees a byte past a limit.
 * Reading an entry to its end also makes libzip check its CRC.
 * ZIP_CHECKCONS is not used: it refuses archives of some ZIP writers
 * that every unpacker reads, and the bounds here do not depend on it.
 *
 * Names are libzip's UTF-8 view of them (names that are not UTF-8 are
 * taken as CP437, as ZIP says), so they are safe to put in messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "core/err.h"
#include "parse/zipread.h"

struct zipread {
	zip_t			*za;
	size_t			 n;		/* entries */
	size_t			 len;		/* bytes of the archive */
	struct zipread_limits	 lim;
	uint64_t		 inflated;	/* by every read so far */
	char			 chunk[ZIPREAD_CHUNK];
};

/* What zipread_head and zipread_whole collect. */
struct zipread_sink {
	char	*data;
	size_t	 len, max;
	int	 enough;	/* max bytes are all that is wanted */
	int	 over;		/* more came than max */
};

static int
zipread_fail(struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets e (when there is one) and returns code. */
static int
zipread_fail(struct err *e, int code, const char *fmt, ...)
{
	va_list	ap;
	char	msg[256];

	if (e == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(e, code, "%s", msg);
}

/* n bytes in words for messages: "1 GB", "512 MB", "64 KB", "1000 bytes". */
static const char *
zipread_words(uint64_t n, char out[32])
{
	static const char *const unit[] = { "GB", "MB", "KB" };
	int	i, shift;

	for (i = 0, shift = 30; i < 3; i++, shift -= 10)
		if (n >= (UINT64_C(1) << shift) &&
		    n % (UINT64_C(1) << shift) == 0) {
			snprintf(out, 32, "%llu %s",
			    (unsigned long long)(n >> shift), unit[i]);
			return out;
		}
	snprintf(out, 32, "%llu bytes", (unsigned long long)n);
	return out;
}

static const char *
zipread_label(const struct zipread *zr, size_t i)
{
	const char	*name;

	name = zipread_name(zr, i);
	return name != NULL && name[0] != '\0' ? name : "an entry";
}

/* Does an entry that inflates to got from comp bytes look like a bomb? */
static int
zipread_bomb(const struct zipread *zr, uint64_t got, uint64_t comp)
{
	return got > zr->lim.ratio_free && got / zr->lim.ratio > comp;
}

int
zipread_open(const char *buf, size_t len, const struct zipread_limits *lim,
    struct zipread **out, struct err *e)
{
	struct zipread	*zr;
	zip_error_t	 ze;
	zip_source_t	*src;
	zip_int64_t	 n;

	*out = NULL;
	if ((zr = calloc(1, sizeof(*zr))) == NULL)
		return zipread_fail(e, ERR_INTERNAL, "out of memory");
	zr->lim = *lim;
	if (zr->lim.ratio == 0)
		zr->lim.ratio = 1;
	zr->len = len;
	zip_error_init(&ze);
	src = zip_source_buffer_create(len > 0 ? buf : NULL, len, 0, &ze);
	if (src == NULL) {
		zip_error_fini(&ze);
		free(zr);
		return zipread_fail(e, ERR_INVALID, "the file cannot be read "
		    "as a ZIP archive");
	}
	if ((zr->za = zip_open_from_source(src, ZIP_RDONLY, &ze)) == NULL) {
		zip_source_free(src);
		zipread_fail(e, ERR_INVALID, "the file is not a ZIP archive "
		    "(%s)", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		free(zr);
		return ERR_INVALID;
	}
	zip_error_fini(&ze);
	n = zip_get_num_entries(zr->za, 0);
	if (n < 0 || (uint64_t)n > lim->entries) {
		zipread_close(zr);
		return zipread_fail(e, ERR_TOO_LARGE, "the archive holds more "
		    "than %zu entries", lim->entries);
	}
	zr->n = (size_t)n;
	*out = zr;
	return 0;
}

void
zipread_close(struct zipread *zr)
{
	if (zr == NULL)
		return;
	zip_discard(zr->za);
	free(zr);
}

size_t
zipread_count(const struct zipread *zr)
{
	return zr->n;
}

const char *
zipread_name(const struct zipread *zr, size_t i)
{
	if (i >= zr->n)
		return NULL;
	return zip_get_name(zr->za, (zip_uint64_t)i, 0);
}

int
zipread_find(const struct zipread *zr, const char *name, size_t *i)
{
	zip_int64_t	k;

	if ((k = zip_name_locate(zr->za, name, 0)) < 0 &&
	    (k = zip_name_locate(zr->za, name, ZIP_FL_NOCASE)) < 0)
		return -1;
	*i = (size_t)k;
	return 0;
}

/* The stated sizes of entry i, refused when they cannot be right. */
static int
zipread_stat(struct zipread *zr, size_t i, zip_stat_t *st, struct err *e)
{
	zip_stat_init(st);
	if (i >= zr->n || zip_stat_index(zr->za, (zip_uint64_t)i, 0, st) !=
	    0 || (st->valid & (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE)) !=
	    (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE) || st->comp_size > zr->len)
		return zipread_fail(e, ERR_INVALID, "the archive is damaged");
	return 0;
}

/*
 * Inflates entry i, step bytes at a time, into fn; see the file's
 * comment for the order of the checks.
 */
static int
zipread_run(struct zipread *zr, size_t i, size_t step,
    int (*fn)(void *, const char *, size_t), void *arg, struct err *e)
{
	zip_stat_t	 st;
	zip_file_t	*zf;
	zip_int64_t	 n;
	uint64_t	 got;
	char		 w[32];
	int		 rc;

	if ((rc = zipread_stat(zr, i, &st, e)) != 0)
		return rc;
	if ((zf = zip_fopen_index(zr->za, (zip_uint64_t)i, 0)) == NULL)
		return zipread_fail(e, ERR_INVALID, "%s cannot be unpacked "
		    "(damaged or encrypted)", zipread_label(zr, i));
	got = 0;
	rc = 0;
	while (rc == 0) {
		if ((n = zip_fread(zf, zr->chunk, (zip_uint64_t)step)) < 0) {
			rc = zipread_fail(e, ERR_INVALID, "%s is damaged",
			    zipread_label(zr, i));
			break;
		}
		if (n == 0)
			break;
		got += (uint64_t)n;
		zr->inflated += (uint64_t)n;
		if (got > zr->lim.entry)
			rc = zipread_fail(e, ERR_TOO_LARGE, "%s unpacks to "
			    "more than %s", zipread_label(zr, i),
			    zipread_words(zr->lim.entry, w));
		else if (zr->inflated > zr->lim.total)
			rc = zipread_fail(e, ERR_TOO_LARGE, "the archive "
			    "inflates past %s", zipread_words(zr->lim.total,
			    w));
		else if (zipread_bomb(zr, got, st.comp_size))
			rc = zipread_fail(e, ERR_TOO_LARGE, "%s unpacks to "
			    "more than %u times its packed size",
			    zipread_label(zr, i), zr->lim.ratio);
		else
			rc = fn(arg, zr->chunk, (size_t)n);
	}
	zip_fclose(zf);
	return rc == ZIPREAD_STOP ? 0 : rc;
}

int
zipread_stream(struct zipread *zr, size_t i,
    int (*fn)(void *, const char *, size_t), void *arg, struct err *e)
{
	return zipread_run(zr, i, ZIPREAD_CHUNK, fn, arg, e);
}

/* Keeps what fits; says when more came than max. */
static int
zipread_keep(void *arg, const char *data, size_t n)
{
	struct zipread_sink	*s = arg;
	size_t			 room;

	room = s->max - s->len;
	if (n > room) {
		memcpy(s->data + s->len, data, room);
		s->len = s->max;
		s->over = 1;
		return ZIPREAD_STOP;
	}
	memcpy(s->data + s->len, data, n);
	s->len += n;
	return s->enough && s->len == s->max ? ZIPREAD_STOP : 0;
}

int
zipread_head(struct zipread *zr, size_t i, unsigned char *out, size_t n,
    size_t *got, struct err *e)
{
	struct zipread_sink	s;
	int			rc;

	*got = 0;
	if (n == 0)
		return 0;
	s.data = (char *)out;
	s.len = 0;
	s.max = n;
	s.enough = 1;
	s.over = 0;
	rc = zipread_run(zr, i, n < ZIPREAD_CHUNK ? n : ZIPREAD_CHUNK,
	    zipread_keep, &s, e);
	*got = s.len;
	return rc;
}

int
zipread_whole(struct zipread *zr, size_t i, size_t max, char **out,
    size_t *outlen, struct err *e)
{
	struct zipread_sink	s;
	zip_stat_t		st;
	char			w[32];
	int			rc;

	*out = NULL;
	*outlen = 0;
	if ((rc = zipread_stat(zr, i, &st, e)) != 0)
		return rc;
	if (st.size > max || st.size > zr->lim.entry)
		return zipread_fail(e, ERR_TOO_LARGE, "%s unpacks to more "
		    "than %s", zipread_label(zr, i), zipread_words(
		    max < zr->lim.entry ? max : zr->lim.entry, w));
	if (zipread_bomb(zr, st.size, st.comp_size))
		return zipread_fail(e, ERR_TOO_LARGE, "%s unpacks to more than "
		    "%u times its packed size", zipread_label(zr, i),
		    zr->lim.ratio);
	s.max = (size_t)st.size;
	s.len = 0;
	s.enough = 0;
	s.over = 0;
	if ((s.data = malloc(s.max + 1)) == NULL)
		return zipread_fail(e, ERR_TOO_LARGE, "no memory to unpack %zu "
		    "bytes", s.max);
	rc = zipread_run(zr, i, ZIPREAD_CHUNK, zipread_keep, &s, e);
	if (rc == 0 && (s.over || s.len != s.max))
		rc = zipread_fail(e, ERR_INVALID, "%s is damaged (it does "
		    "not unpack to the size it states)", zipread_label(zr, i));
	if (rc != 0) {
		free(s.data);
		return rc;
	}
	s.data[s.len] = '\0';
	*out = s.data;
	*outlen = s.len;
	return 0;
}
