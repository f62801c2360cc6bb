/*
 * fuzz_multipart.c -- libFuzzer target for parse/multipart.c.
 *
 * The first line of the input (up to a newline) is the Content-Type, the
 * rest the body.  Invariants checked: form_split returns -1 with a reason
 * or a part count within the maximum; every part lies inside the body,
 * parts do not overlap and come in order; names and file names are
 * NUL-terminated within their arrays.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse/multipart.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form_part	 parts[FORM_PARTS_MAX];
	char			 ctype[256], why[256];
	const char		*body, *nl, *prev;
	size_t			 cl, blen;
	int			 n, i;

	nl = memchr(data, '\n', size);
	cl = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	if (cl >= sizeof(ctype))
		return 0;
	memcpy(ctype, data, cl);
	ctype[cl] = '\0';
	body = nl != NULL ? nl + 1 : (const char *)data + size;
	blen = size - (size_t)(body - (const char *)data);
	why[0] = '\0';
	n = form_split(ctype, body, blen, parts, FORM_PARTS_MAX, why,
	    sizeof(why));
	if (n < 0) {
		if (why[0] == '\0')
			abort();
		return 0;
	}
	if (n > FORM_PARTS_MAX)
		abort();
	prev = body;
	for (i = 0; i < n; i++) {
		if (parts[i].data < prev || parts[i].len > blen ||
		    parts[i].data + parts[i].len > body + blen)
			abort();
		prev = parts[i].data + parts[i].len;
		if (memchr(parts[i].name, '\0', sizeof(parts[i].name)) ==
		    NULL || memchr(parts[i].filename, '\0',
		    sizeof(parts[i].filename)) == NULL ||
		    memchr(parts[i].ctype, '\0', sizeof(parts[i].ctype)) ==
		    NULL)
			abort();
	}
	return 0;
}
