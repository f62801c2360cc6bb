/*
 * thumbs.c -- thumbnails embedded in G-code files (see thumbs.h).
 *
 * One pass over the comment lines of the first THUMBS_SCAN_BYTES finds
 * the blocks (header, where the base64 lines start and end); the best
 * candidates are then decoded in order of preference until one decodes
 * to an image of its type.  Nothing is allocated; every index is checked
 * against the buffer's length.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "parse/thumbs.h"

struct block {
	enum thumb_type	 type;	/* THUMB_NONE: plain, PNG by default */
	int		 w, h;
	long		 b64len;	/* as stated */
	size_t		 start, end;	/* the data lines */
};

const char *
thumbs_mime(enum thumb_type t)
{
	switch (t) {
	case THUMB_PNG:	return "image/png";
	case THUMB_JPG:	return "image/jpeg";
	case THUMB_QOI:	return "image/qoi";
	default:	return NULL;
	}
}

enum thumb_type
thumbs_sniff(const unsigned char *p, size_t n)
{
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return THUMB_PNG;
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return THUMB_JPG;
	if (n >= 4 && memcmp(p, "qoif", 4) == 0)
		return THUMB_QOI;
	return THUMB_NONE;
}

/* A decimal number of at most max; advances *s.  -1 when none. */
static long
thumbs_num(const char **s, const char *end, long max)
{
	long	v = 0;
	int	any = 0;

	while (*s < end && **s >= '0' && **s <= '9') {
		if (v > (max - (**s - '0')) / 10)
			return -1;
		v = v * 10 + (**s - '0');
		(*s)++;
		any = 1;
	}
	return any ? v : -1;
}

/*
 * The header of a block: "; thumbnail[_T] begin WxH LEN".  Returns 1 and
 * fills b, 0 when the line is no header.  Sets *is_end for an end line.
 */
static int
thumbs_header(const char *s, const char *end, struct block *b, int *is_end)
{
	*is_end = 0;
	if (s < end && *s == ';')
		s++;
	while (s < end && *s == ' ')
		s++;
	if ((size_t)(end - s) < 9 || memcmp(s, "thumbnail", 9) != 0)
		return 0;
	s += 9;
	b->type = THUMB_NONE;
	if (s < end && *s == '_') {
		if ((size_t)(end - s) >= 4 && memcmp(s, "_PNG", 4) == 0)
			b->type = THUMB_PNG;
		else if ((size_t)(end - s) >= 4 && memcmp(s, "_JPG", 4) == 0)
			b->type = THUMB_JPG;
		else if ((size_t)(end - s) >= 4 && memcmp(s, "_QOI", 4) == 0)
			b->type = THUMB_QOI;
		else
			return 0;
		s += 4;
	}
	if (s >= end || *s != ' ')
		return 0;
	s++;
	if ((size_t)(end - s) >= 3 && memcmp(s, "end", 3) == 0) {
		*is_end = 1;
		return 0;
	}
	if ((size_t)(end - s) < 6 || memcmp(s, "begin ", 6) != 0)
		return 0;
	s += 6;
	if ((b->w = (int)thumbs_num(&s, end, THUMBS_MAX_SIDE)) <= 0 ||
	    s >= end || *s++ != 'x' ||
	    (b->h = (int)thumbs_num(&s, end, THUMBS_MAX_SIDE)) <= 0 ||
	    s >= end || *s++ != ' ' ||
	    (b->b64len = thumbs_num(&s, end, LONG_MAX / 8)) <= 0)
		return 0;
	return 1;
}

static int
thumbs_b64(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes the base64 in the comment lines buf[start..end) into out;
 * returns the length or -1 (bad character, too large).
 */
static long
thumbs_decode(const char *buf, size_t start, size_t end, unsigned char *out,
    size_t outmax)
{
	size_t		 i, n = 0;
	unsigned	 acc = 0;
	int		 bits = 0, v, pad = 0, bol = 1;
	unsigned char	 c;

	for (i = start; i < end; i++) {
		c = (unsigned char)buf[i];
		if (c == '\n' || c == '\r') {
			bol = 1;
			continue;
		}
		if (bol && c == ';') {
			bol = 0;
			continue;
		}
		bol = 0;
		if (c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = thumbs_b64(c)) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= outmax)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1U << bits) - 1;
		}
	}
	if (pad > 2)
		return -1;
	return (long)n;
}

/* PNG before JPEG before anything else, then more pixels first. */
static int
thumbs_better(const struct block *a, const struct block *b)
{
	int	ra = a->type == THUMB_JPG ? 1 : 2;
	int	rb = b->type == THUMB_JPG ? 1 : 2;

	if (ra != rb)
		return ra > rb;
	return (long)a->w * a->h > (long)b->w * b->h;
}

int
thumbs_gcode(const char *buf, size_t len, unsigned char *out, size_t outmax,
    struct thumb *t, struct err *e)
{
	struct block	 bl[THUMBS_MAX_BLOCKS], cur, tmp;
	size_t		 nb = 0, pos, eol, i, j;
	int		 in = 0, is_end;
	long		 n;
	enum thumb_type	 got;

	memset(t, 0, sizeof(*t));
	memset(&cur, 0, sizeof(cur));
	if (len > (size_t)THUMBS_SCAN_BYTES)
		len = (size_t)THUMBS_SCAN_BYTES;
	for (pos = 0; pos < len; pos = eol + 1) {
		const char *nl = memchr(buf + pos, '\n', len - pos);

		eol = nl != NULL ? (size_t)(nl - buf) : len;
		if (buf[pos] != ';')
			continue;
		if (!in) {
			if (thumbs_header(buf + pos, buf + eol, &cur,
			    &is_end)) {
				in = 1;
				cur.start = eol + 1 < len ? eol + 1 : len;
				t->blocks++;
			}
			continue;
		}
		if (thumbs_header(buf + pos, buf + eol, &tmp, &is_end)) {
			/* a new header without an end: drop the open one */
			cur = tmp;
			cur.start = eol + 1 < len ? eol + 1 : len;
			t->blocks++;
			continue;
		}
		if (!is_end)
			continue;
		in = 0;
		cur.end = pos;
		if (cur.type == THUMB_QOI || nb >= THUMBS_MAX_BLOCKS ||
		    (size_t)cur.b64len / 4 * 3 > outmax + 3)
			continue;
		bl[nb++] = cur;
	}
	/* best first: a small insertion sort */
	for (i = 1; i < nb; i++)
		for (j = i; j > 0 && thumbs_better(&bl[j], &bl[j - 1]); j--) {
			tmp = bl[j];
			bl[j] = bl[j - 1];
			bl[j - 1] = tmp;
		}
	for (i = 0; i < nb; i++) {
		n = thumbs_decode(buf, bl[i].start, bl[i].end, out, outmax);
		if (n <= 0)
			continue;
		got = thumbs_sniff(out, (size_t)n);
		if (got == THUMB_QOI || got == THUMB_NONE ||
		    (bl[i].type != THUMB_NONE && got != bl[i].type))
			continue;
		t->type = got;
		t->width = bl[i].w;
		t->height = bl[i].h;
		t->len = (size_t)n;
		return 0;
	}
	if (nb > 0) {
		if (e != NULL)
			err_set(e, ERR_INVALID, "the thumbnail blocks are "
			    "damaged");
		return ERR_INVALID;
	}
	if (e != NULL)
		err_set(e, ERR_NOT_FOUND, "the file holds no thumbnail that "
		    "can be shown");
	return ERR_NOT_FOUND;
}
