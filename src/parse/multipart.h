/*
 * multipart.h -- a multipart/form-data body, split (pure, no I/O, no
 * allocation): the parts point into the body.
 */
#ifndef PY_PARSE_MULTIPART_H
#define PY_PARSE_MULTIPART_H

#include <stddef.h>

#define FORM_PARTS_MAX	20		/* parts a caller should allow */
#define FORM_HEAD_MAX	16384		/* bytes of one part's headers */

struct form_part {
	char		 name[64];	/* the form field */
	char		 filename[256];	/* as sent */
	int		 has_filename;
	char		 ctype[128];	/* its Content-Type, "" if none */
	const char	*data;		/* into the body */
	size_t		 len;
};

/*
 * Splits body by the boundary of content type ctype into at most max
 * parts.  Returns the number of parts, or -1 with why in plain words (the
 * answer is a 400, or a 413 for too many parts).
 */
int	form_split(const char *ctype, const char *body, size_t len,
	    struct form_part *parts, size_t max, char *why, size_t whylen);

/* The first of the n parts named name, or NULL. */
const struct form_part *form_field(const struct form_part *, int n,
	    const char *name);

#endif
