/*
 * fuzz_model3mf.c -- libFuzzer target for parse/model3mf.c.
 *
 * When the first input byte's high bit is clear, the rest is a 3MF file
 * as uploaded.  When it is set, the rest is the text of the root model,
 * a 0x01 byte and the text of 3D/Objects/object_1.model, packed here
 * with libzip (stored, with _rels/.rels) into a valid package, so that
 * mutations reach the XML readers and the p:path objects instead of
 * dying at the ZIP's checks.  Invariants: those of fuzz_model3mf.h, and
 * a packed input is never refused as a damaged archive; nothing
 * crashes, leaks or reads past the input.
 *
 * Seeds: tests/fuzz/corpus/model3mf/, written by the unit test
 * (MODEL3MF_SEEDS=tests/fuzz/corpus build-dbg/tests/unit/test_model3mf).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "fuzz_model3mf.h"

static const char fuzz_rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\"><Relationship Target=\"/3D/3dmodel.model\" Id=\"r\" "
    "Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/>"
    "</Relationships>";

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Adds name (len bytes of data, stored) to za; 0 or -1. */
static int
fuzz_add(zip_t *za, const char *name, const void *data, size_t len)
{
	zip_source_t	*s;
	zip_int64_t	 i;

	if ((s = zip_source_buffer(za, data, len, 0)) == NULL)
		return -1;
	if ((i = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8)) < 0) {
		zip_source_free(s);
		return -1;
	}
	return zip_set_file_compression(za, (zip_uint64_t)i, ZIP_CM_STORE, 0);
}

/* The package of root and object texts; malloc'd, or NULL. */
static char *
fuzz_pack(const uint8_t *root, size_t rlen, const uint8_t *obj, size_t olen,
    size_t *len)
{
	zip_source_t	*src;
	zip_stat_t	 st;
	zip_t		*za;
	char		*out = NULL;

	if ((src = zip_source_buffer_create(NULL, 0, 0, NULL)) == NULL)
		return NULL;
	zip_source_keep(src);
	if ((za = zip_open_from_source(src, ZIP_TRUNCATE, NULL)) == NULL)
		goto done;
	if (fuzz_add(za, "_rels/.rels", fuzz_rels, strlen(fuzz_rels)) != 0 ||
	    fuzz_add(za, "3D/3dmodel.model", root, rlen) != 0 ||
	    fuzz_add(za, "3D/Objects/object_1.model", obj, olen) != 0 ||
	    zip_close(za) != 0) {
		zip_discard(za);
		goto done;
	}
	if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0)
		goto done;
	if ((out = malloc(st.size)) != NULL &&
	    zip_source_read(src, out, st.size) != (zip_int64_t)st.size) {
		free(out);
		out = NULL;
	}
	*len = st.size;
	zip_source_close(src);
done:
	zip_source_free(src);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* what the ZIP layer says of an archive it cannot read */
	static const char *const broken[] = {
		"the file is not a ZIP", "the file cannot be read",
		"the archive is damaged", "_rels/.rels is damaged",
		"_rels/.rels cannot", "3D/3dmodel.model is damaged",
		"3D/3dmodel.model cannot",
		"3D/Objects/object_1.model is damaged",
		"3D/Objects/object_1.model cannot",
	};
	struct model3mf	 m;
	struct err	 e;
	const uint8_t	*sep, *obj;
	char		*zip;
	size_t		 len, i;
	int		 rc;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	memset(&e, 0, sizeof(e));
	if ((data[0] & 0x80) == 0) {
		rc = model3mf_read((const char *)data + 1, size - 1,
		    &fuzz_limits, &m, &e);
		fuzz_model3mf_check(rc, &m, &e);
		model3mf_free(&m);
		return 0;
	}
	sep = memchr(data + 1, 0x01, size - 1);
	obj = sep != NULL ? sep + 1 : data + size;
	if ((zip = fuzz_pack(data + 1, (size_t)((sep != NULL ? sep :
	    data + size) - (data + 1)), obj, (size_t)(data + size - obj),
	    &len)) == NULL)
		return 0;
	rc = model3mf_read(zip, len, &fuzz_limits, &m, &e);
	free(zip);
	fuzz_model3mf_check(rc, &m, &e);
	for (i = 0; rc != 0 && i < sizeof(broken) / sizeof(broken[0]); i++)
		if (strncmp(e.message, broken[i], strlen(broken[i])) == 0)
			abort();	/* the package was whole */
	model3mf_free(&m);
	return 0;
}
