/*
 * printers.h -- the normalisers of the HTTP printer kinds (PrusaLink,
 * OctoPrint, Moonraker) and the helpers every normaliser shares.
 *
 * Each normaliser is pure: bytes of the bodies the telemetry worker
 * fetched go in, one struct printer_state comes out; no I/O, no globals,
 * no state kept between calls.  Bodies are bounded by PRINTER_MAX_BODY.
 * Every function fills *state in every case: on an error it holds the
 * "unknown" values of printer_state_init (status offline) and e (may be
 * NULL) says why.  Values outside their plausible range are dropped to
 * "unknown" rather than passed on (see the PRINTER_MAX_* limits).
 * Numbers sent as strings ("215.5") are read like numbers.
 */
#ifndef PY_PARSE_PRINTERS_H
#define PY_PARSE_PRINTERS_H

#include <stddef.h>

#include <jansson.h>

#include "parse/printer.h"

struct err;

#define PRINTER_MAX_BODY	(256 * 1024)	/* bytes of one body */
#define PRINTER_MIN_TEMP	(-50.0)		/* degrees C, plausible */
#define PRINTER_MAX_TEMP	600.0
#define PRINTER_MAX_SECONDS	(366L * 24 * 3600)
#define PRINTER_MAX_LAYERS	1000000
#define PRINTER_MAX_SPEED	1000		/* percent */

/*
 * PrusaLink: status is the body of GET /api/v1/status (required); job
 * the body of GET /api/v1/job, or NULL when it answered 204 (no job).
 * Returns 0, ERR_INVALID (not JSON, or no printer.state) or
 * ERR_TOO_LARGE.
 */
int	prusalink_state(const char *status, size_t status_len,
	    const char *job, size_t job_len, struct printer_state *,
	    struct err *);

/*
 * OctoPrint: printer is the body of GET /api/printer, or NULL when it
 * answered 409 (OctoPrint runs but the printer is not connected: status
 * offline); job the body of GET /api/job, or NULL.  Returns 0,
 * ERR_INVALID or ERR_TOO_LARGE.
 */
int	octoprint_state(const char *printer, size_t printer_len,
	    const char *job, size_t job_len, struct printer_state *,
	    struct err *);

/*
 * Moonraker: the body of GET /printer/objects/query?print_stats&
 * virtual_sdcard&extruder&heater_bed&fan&display_status&webhooks, with
 * or without the {"result": ...} wrapper.  Returns 0, ERR_INVALID (not
 * JSON, an {"error": ...} answer, no status object) or ERR_TOO_LARGE.
 */
int	moonraker_state(const char *body, size_t len, struct printer_state *,
	    struct err *);

/* ---- helpers shared by the normalisers (parse/printer.c) ---- */

/*
 * Parses buf[0..len) (at most max bytes) as one JSON object into *out (a
 * new reference the caller drops).  0, ERR_INVALID or ERR_TOO_LARGE.
 */
int	printer_json_load(const char *buf, size_t len, size_t max,
	    const char *what, json_t **out, struct err *);
/* A number, or a string holding only a decimal number: 0 and *v. */
int	printer_json_num(const json_t *, double *v);
/* The number at key of obj (NULL allowed), or NAN. */
double	printer_num(const json_t *obj, const char *key);
/* The string at key of obj, or NULL. */
const char *printer_str(const json_t *obj, const char *key);
/* A temperature within the plausible range, else NAN. */
double	printer_temp(double);
/* A percentage 0..100, else NAN. */
double	printer_pct(double);
/* Seconds 0..PRINTER_MAX_SECONDS rounded, else -1. */
long	printer_seconds(double);
/* A whole number within [lo, hi], else -1. */
int	printer_int(double, int lo, int hi);
/*
 * Copies src into dst[size], cut on a UTF-8 character boundary and
 * without control characters; NULL copies "".
 */
void	printer_copy(char *dst, size_t size, const char *src);
/* Appends an error when there is room; text may be NULL. */
void	printer_add_error(struct printer_state *, const char *code,
	    const char *text);

#endif
