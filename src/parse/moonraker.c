/*
 * moonraker.c -- a Moonraker printer objects query to the normalised
 * printer state (see printers.h; protocol facts: shared
 * docs/protocols.md section 4).
 *
 * Mapping: webhooks.state startup preparing, shutdown and error error
 * (Klipper is not ready: its state_message becomes the error); else
 * print_stats.state standby idle, printing printing, paused paused,
 * complete finished, cancelled failed, error error (with its message).
 * progress from display_status (0..1; it falls back to the file position
 * itself), else virtual_sdcard; remaining time is not sent by Klipper
 * and is estimated from print_duration and progress while a job runs.
 * print_stats.info layers, extruder and heater_bed temperatures, fan.speed
 * (0..1) as percent, gcode_move.speed_factor as percent when queried.
 */
#include <math.h>
#include <string.h>

#include "core/err.h"
#include "parse/printer.h"
#include "parse/printers.h"

static const struct {
	const char		*name;
	enum printer_status	 status;
} moonraker_states[] = {
	{ "standby", PRINTER_IDLE },
	{ "printing", PRINTER_PRINTING },
	{ "paused", PRINTER_PAUSED },
	{ "complete", PRINTER_FINISHED },
	{ "cancelled", PRINTER_FAILED },
	{ "error", PRINTER_ERROR },
	{ NULL, PRINTER_IDLE }
};

static enum printer_status
moonraker_status(const char *s)
{
	size_t	i;

	if (s == NULL)
		return PRINTER_IDLE;
	for (i = 0; moonraker_states[i].name != NULL; i++)
		if (strcmp(moonraker_states[i].name, s) == 0)
			return moonraker_states[i].status;
	return PRINTER_IDLE;
}

static void
moonraker_fill(struct printer_state *st, const json_t *status)
{
	const json_t	*ps, *info, *hooks, *ext, *bed;
	const char	*ws, *msg;
	double		 p, d, f;

	ps = json_object_get(status, "print_stats");
	st->status = moonraker_status(printer_str(ps, "state"));
	printer_copy(st->job, sizeof(st->job), printer_str(ps, "filename"));
	if (st->status == PRINTER_ERROR)
		printer_add_error(st, "print_stats", printer_str(ps,
		    "message"));
	hooks = json_object_get(status, "webhooks");
	ws = printer_str(hooks, "state");
	msg = printer_str(hooks, "state_message");
	if (ws != NULL && strcmp(ws, "startup") == 0)
		st->status = PRINTER_PREPARING;
	else if (ws != NULL && (strcmp(ws, "shutdown") == 0 ||
	    strcmp(ws, "error") == 0)) {
		st->status = PRINTER_ERROR;
		printer_add_error(st, ws[0] == 's' ? "klippy_shutdown" :
		    "klippy_error", msg);
	}
	p = printer_num(json_object_get(status, "display_status"),
	    "progress");
	if (!(p >= 0 && p <= 1))
		p = printer_num(json_object_get(status, "virtual_sdcard"),
		    "progress");
	st->progress = p >= 0 && p <= 1 ? p * 100 : (double)NAN;
	d = printer_num(ps, "print_duration");
	if ((st->status == PRINTER_PRINTING || st->status == PRINTER_PAUSED) &&
	    p > 0.001 && p < 1 && d >= 0)
		st->remaining_s = printer_seconds(d * (1 - p) / p);
	else if (st->status == PRINTER_FINISHED)
		st->remaining_s = 0;
	info = json_object_get(ps, "info");
	st->layer = printer_int(printer_num(info, "current_layer"), 0,
	    PRINTER_MAX_LAYERS);
	st->total_layers = printer_int(printer_num(info, "total_layer"), 0,
	    PRINTER_MAX_LAYERS);
	ext = json_object_get(status, "extruder");
	st->nozzle_c = printer_temp(printer_num(ext, "temperature"));
	st->nozzle_target_c = printer_temp(printer_num(ext, "target"));
	bed = json_object_get(status, "heater_bed");
	st->bed_c = printer_temp(printer_num(bed, "temperature"));
	st->bed_target_c = printer_temp(printer_num(bed, "target"));
	f = printer_num(json_object_get(status, "fan"), "speed");
	if (f >= 0 && f <= 1)
		st->fan_pct = (int)lrint(f * 100);
	f = printer_num(json_object_get(status, "gcode_move"),
	    "speed_factor");
	if (f > 0 && f * 100 <= PRINTER_MAX_SPEED)
		st->speed_pct = (int)lrint(f * 100);
}

int
moonraker_state(const char *body, size_t len, struct printer_state *st,
    struct err *e)
{
	json_t		*root, *res, *status, *error;
	const char	*msg;
	int		 rc;

	printer_state_init(st);
	rc = printer_json_load(body, len, PRINTER_MAX_BODY, "Moonraker answer",
	    &root, e);
	if (rc != 0)
		return rc;
	if ((error = json_object_get(root, "error")) != NULL) {
		msg = printer_str(error, "message");
		if (e != NULL)
			err_set(e, ERR_INVALID, "Moonraker answered an error: "
			    "%.180s", msg != NULL ? msg : "(no message)");
		json_decref(root);
		return ERR_INVALID;
	}
	res = json_object_get(root, "result");
	if (!json_is_object(res))
		res = root;
	status = json_object_get(res, "status");
	if (!json_is_object(status)) {
		if (e != NULL)
			err_set(e, ERR_INVALID, "the Moonraker answer has no "
			    "status object");
		json_decref(root);
		return ERR_INVALID;
	}
	moonraker_fill(st, status);
	json_decref(root);
	return 0;
}
