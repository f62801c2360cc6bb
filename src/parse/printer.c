/*
 * printer.c -- the normalised printer state (printer.h) and the helpers
 * the normalisers share (printers.h).
 *
 * Invariants: a state from printer_state_init says "unknown" in every
 * field (NAN, -1, "") and offline; the helpers never read past a JSON
 * string's terminator and never produce a non-finite number.  Numbers in
 * strings are read by hand (no locale, no exponent, at most 32 bytes).
 */
#include <math.h>
#include <string.h>

#include "core/err.h"
#include "parse/printer.h"
#include "parse/printers.h"

void
printer_state_init(struct printer_state *s)
{
	memset(s, 0, sizeof(*s));
	s->status = PRINTER_OFFLINE;
	s->progress = NAN;
	s->layer = -1;
	s->total_layers = -1;
	s->remaining_s = -1;
	s->nozzle_c = s->nozzle_target_c = NAN;
	s->bed_c = s->bed_target_c = NAN;
	s->chamber_c = NAN;
	s->fan_pct = -1;
	s->speed_pct = -1;
	s->control_ok = -1;
}

const char *
printer_status_name(enum printer_status st)
{
	switch (st) {
	case PRINTER_OFFLINE:
		return "offline";
	case PRINTER_IDLE:
		return "idle";
	case PRINTER_PREPARING:
		return "preparing";
	case PRINTER_PRINTING:
		return "printing";
	case PRINTER_PAUSED:
		return "paused";
	case PRINTER_FINISHED:
		return "finished";
	case PRINTER_FAILED:
		return "failed";
	case PRINTER_ERROR:
		return "error";
	}
	return NULL;
}

int
printer_json_load(const char *buf, size_t len, size_t max, const char *what,
    json_t **out, struct err *e)
{
	json_error_t	 je;
	json_t		*j;

	*out = NULL;
	if (len > max) {
		if (e != NULL)
			err_set(e, ERR_TOO_LARGE, "the %s is larger than %zu "
			    "bytes", what, max);
		return ERR_TOO_LARGE;
	}
	if (buf == NULL || len == 0) {
		if (e != NULL)
			err_set(e, ERR_INVALID, "the %s is empty", what);
		return ERR_INVALID;
	}
	j = json_loadb(buf, len, 0, &je);
	if (j == NULL) {
		if (e != NULL)
			err_set(e, ERR_INVALID, "the %s is not JSON: %s at "
			    "byte %d", what, je.text, je.position);
		return ERR_INVALID;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		if (e != NULL)
			err_set(e, ERR_INVALID, "the %s is not a JSON object",
			    what);
		return ERR_INVALID;
	}
	*out = j;
	return 0;
}

/* A decimal number filling the whole string: "-12", "215.50", " 3 ". */
static int
printer_str_num(const char *s, double *v)
{
	double	n, scale;
	int	neg, digits;

	if (strlen(s) > 32)
		return -1;
	while (*s == ' ')
		s++;
	neg = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	n = 0;
	digits = 0;
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		n = n * 10 + (*s - '0');
	if (*s == '.')
		for (s++, scale = 0.1; *s >= '0' && *s <= '9';
		    s++, scale /= 10, digits++)
			n += (*s - '0') * scale;
	while (*s == ' ')
		s++;
	if (digits == 0 || *s != '\0')
		return -1;
	*v = neg ? -n : n;
	return 0;
}

int
printer_json_num(const json_t *j, double *v)
{
	double	d;

	if (json_is_integer(j)) {
		*v = (double)json_integer_value(j);
		return 0;
	}
	if (json_is_real(j)) {
		d = json_real_value(j);
		if (!isfinite(d))
			return -1;
		*v = d;
		return 0;
	}
	if (json_is_string(j))
		return printer_str_num(json_string_value(j), v);
	return -1;
}

double
printer_num(const json_t *obj, const char *key)
{
	double	v;

	if (!json_is_object(obj) ||
	    printer_json_num(json_object_get(obj, key), &v) != 0)
		return NAN;
	return v;
}

const char *
printer_str(const json_t *obj, const char *key)
{
	if (!json_is_object(obj))
		return NULL;
	return json_string_value(json_object_get(obj, key));
}

double
printer_temp(double t)
{
	if (!(t >= PRINTER_MIN_TEMP && t <= PRINTER_MAX_TEMP))
		return NAN;
	return t;
}

double
printer_pct(double p)
{
	if (!(p >= 0 && p <= 100))
		return NAN;
	return p;
}

long
printer_seconds(double s)
{
	if (!(s >= 0 && s <= (double)PRINTER_MAX_SECONDS))
		return -1;
	return (long)(s + 0.5);
}

int
printer_int(double v, int lo, int hi)
{
	if (!(v >= lo && v <= hi))
		return -1;
	return (int)lrint(v);
}

/* Bytes of the UTF-8 character that starts with c (1 for a stray byte). */
static size_t
printer_utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

void
printer_copy(char *dst, size_t size, const char *src)
{
	size_t	i, o, n, k;

	if (size == 0)
		return;
	o = 0;
	if (src != NULL) {
		for (i = 0; src[i] != '\0'; i += n) {
			n = printer_utf8_len((unsigned char)src[i]);
			for (k = 1; k < n; k++)
				if (((unsigned char)src[i + k] & 0xc0) != 0x80)
					break;
			if (k < n)
				n = k;	/* broken sequence: skip its bytes */
			else if (o + n >= size)
				break;
			else if (n > 1 || ((unsigned char)src[i] >= 0x20 &&
			    src[i] != 0x7f && (unsigned char)src[i] < 0x80)) {
				memcpy(dst + o, src + i, n);
				o += n;
			}
		}
	}
	dst[o] = '\0';
}

void
printer_add_error(struct printer_state *s, const char *code,
    const char *text)
{
	struct printer_error	*pe;

	if (s->nerrors >= PRINTER_MAX_ERRORS)
		return;
	pe = &s->errors[s->nerrors++];
	printer_copy(pe->code, sizeof(pe->code), code);
	printer_copy(pe->text, sizeof(pe->text), text);
}
