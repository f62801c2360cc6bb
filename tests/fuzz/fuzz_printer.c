/*
 * fuzz_printer.c -- libFuzzer target for the printer normalisers
 * (parse/bambu.c, parse/prusalink.c, parse/octoprint.c,
 * parse/moonraker.c, parse/printer.c).
 *
 * The first byte picks the normaliser ('b' Bambu, 'p' PrusaLink, 'o'
 * OctoPrint, 'm' Moonraker, 'r' a Bambu command reply; any other byte
 * modulo 5), the rest holds one or more bodies separated by a 0xff byte
 * (never valid in JSON text): every Bambu body is merged into one cache
 * in turn, the HTTP kinds take the first two bodies as their two
 * endpoints.  Invariants checked: return codes are 0, ERR_INVALID or
 * ERR_TOO_LARGE; the state has a valid status, bounded numbers, counts
 * within their arrays and terminated strings; a Bambu report that
 * jansson reads as an object (with "print" an object, if any, and not
 * nested deeper than the scanner goes) is never refused by bambu_merge's
 * own scanner; nothing crashes, leaks or reads past the input.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "parse/bambu.h"
#include "parse/printer.h"
#include "parse/printers.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_rc(int rc)
{
	if (rc != 0 && rc != ERR_INVALID && rc != ERR_TOO_LARGE)
		abort();
}

static void
fuzz_str(const char *s, size_t size)
{
	if (memchr(s, '\0', size) == NULL)
		abort();
}

static void
fuzz_check(const struct printer_state *st)
{
	size_t	i;

	if (printer_status_name(st->status) == NULL)
		abort();
	if (!isnan(st->progress) && !(st->progress >= 0 &&
	    st->progress <= 100))
		abort();
	if (st->remaining_s < -1 || st->remaining_s > PRINTER_MAX_SECONDS)
		abort();
	if (st->layer < -1 || st->total_layers < -1 || st->layer >
	    PRINTER_MAX_LAYERS || st->total_layers > PRINTER_MAX_LAYERS)
		abort();
	if (st->fan_pct < -1 || st->fan_pct > 100 || st->speed_pct < -1 ||
	    st->speed_pct > PRINTER_MAX_SPEED)
		abort();
	if (st->control_ok < -1 || st->control_ok > 1)
		abort();
	if (!isnan(st->nozzle_c) && (st->nozzle_c < PRINTER_MIN_TEMP ||
	    st->nozzle_c > PRINTER_MAX_TEMP))
		abort();
	if (!isnan(st->bed_target_c) && (st->bed_target_c <
	    PRINTER_MIN_TEMP || st->bed_target_c > PRINTER_MAX_TEMP))
		abort();
	fuzz_str(st->job, sizeof(st->job));
	if (st->nslots > PRINTER_MAX_SLOTS || st->nerrors >
	    PRINTER_MAX_ERRORS)
		abort();
	for (i = 0; i < st->nslots; i++) {
		fuzz_str(st->slots[i].type, sizeof(st->slots[i].type));
		fuzz_str(st->slots[i].color, sizeof(st->slots[i].color));
		fuzz_str(st->slots[i].tag_uid, sizeof(st->slots[i].tag_uid));
		if (st->slots[i].slot < 1 || st->slots[i].slot > 64 ||
		    st->slots[i].remaining_pct < -1 ||
		    st->slots[i].remaining_pct > 100)
			abort();
	}
	for (i = 0; i < st->nerrors; i++) {
		fuzz_str(st->errors[i].code, sizeof(st->errors[i].code));
		fuzz_str(st->errors[i].text, sizeof(st->errors[i].text));
	}
}

static int
fuzz_depth(const json_t *j)
{
	const char	*key;
	json_t		*v;
	size_t		 i;
	int		 d, max;

	max = 0;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, v)
			if ((d = fuzz_depth(v)) > max)
				max = d;
		return max + 1;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if ((d = fuzz_depth(v)) > max)
				max = d;
		return max + 1;
	}
	return 0;
}

/*
 * bambu_merge refused p[0..n): jansson must refuse it too.  Not checked
 * when the input holds a NUL byte: jansson 2.14 drops one that follows
 * a number ("1\0,") and accepts what is not JSON.
 */
static void
fuzz_refused(const char *p, size_t n)
{
	json_t	*j, *print;

	if (memchr(p, '\0', n) != NULL ||
	    (j = json_loadb(p, n, 0, NULL)) == NULL)
		return;
	print = json_object_get(j, "print");
	if (json_is_object(j) && (print == NULL || json_is_object(print)) &&
	    fuzz_depth(j) <= 60)
		abort();
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct printer_state	 st;
	struct bambu_cache	 c;
	struct bambu_reply	 r;
	struct err		 e;
	const char		*body[2], *p, *end, *sep;
	size_t			 len[2], n;
	int			 kind, rc;

	if (size < 1)
		return 0;
	memset(&e, 0, sizeof(e));
	switch (data[0]) {
	case 'b':
		kind = 0;
		break;
	case 'p':
		kind = 1;
		break;
	case 'o':
		kind = 2;
		break;
	case 'm':
		kind = 3;
		break;
	case 'r':
		kind = 4;
		break;
	default:
		kind = data[0] % 5;
		break;
	}
	p = (const char *)data + 1;
	end = (const char *)data + size;
	if (kind == 0) {
		bambu_cache_init(&c);
		while (p <= end) {
			sep = memchr(p, 0xff, (size_t)(end - p));
			n = (size_t)((sep != NULL ? sep : end) - p);
			rc = bambu_merge(&c, p, n, &e);
			fuzz_rc(rc);
			if (rc == ERR_INVALID)
				fuzz_refused(p, n);
			bambu_state(&c, &st);
			fuzz_check(&st);
			p += n + 1;
		}
		bambu_cache_free(&c);
		err_clear(&e);
		return 0;
	}
	if (kind == 4) {
		fuzz_rc(bambu_reply(p, (size_t)(end - p), &r, &e));
		fuzz_str(r.sequence_id, sizeof(r.sequence_id));
		fuzz_str(r.reason, sizeof(r.reason));
		if (r.result < -1 || r.result > 1)
			abort();
		err_clear(&e);
		return 0;
	}
	body[0] = body[1] = NULL;
	len[0] = len[1] = 0;
	for (n = 0; n < 2 && p <= end; n++) {
		sep = memchr(p, 0xff, (size_t)(end - p));
		body[n] = p;
		len[n] = (size_t)((sep != NULL ? sep : end) - p);
		p += len[n] + 1;
	}
	if (kind == 1)
		fuzz_rc(prusalink_state(body[0], len[0], body[1], len[1], &st,
		    &e));
	else if (kind == 2)
		fuzz_rc(octoprint_state(body[0], len[0], body[1], len[1], &st,
		    &e));
	else
		fuzz_rc(moonraker_state(body[0], len[0], &st, &e));
	fuzz_check(&st);
	err_clear(&e);
	return 0;
}
