/*
 * fuzz_model3mf_xml.c -- libFuzzer target for the XML layer of
 * parse/model3mf.c, without the ZIP around it.
 *
 * The first input byte is the size of the pieces the XML is handed to
 * the parser in (0: the usual 64 KB), so that every token boundary gets
 * split somewhere; the rest is the root model.  Invariants: those of
 * fuzz_model3mf.h; nothing crashes, leaks or reads past the input.
 *
 * Seeds: tests/fuzz/corpus/model3mf_xml/, written by the unit test
 * (MODEL3MF_SEEDS=tests/fuzz/corpus build-dbg/tests/unit/test_model3mf).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_model3mf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model3mf	m;
	struct err	e;
	int		rc;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	memset(&e, 0, sizeof(e));
	rc = model3mf_read_xml((const char *)data + 1, size - 1, data[0],
	    &fuzz_limits, &m, &e);
	fuzz_model3mf_check(rc, &m, &e);
	model3mf_free(&m);
	return 0;
}
