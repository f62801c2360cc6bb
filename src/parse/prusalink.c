/*
 * prusalink.c -- PrusaLink (v1 API) bodies to the normalised printer
 * state (see printers.h; protocol facts: shared docs/protocols.md
 * section 2).
 *
 * Mapping: printer.state IDLE, READY idle; BUSY preparing; PRINTING
 * printing; PAUSED paused; FINISHED finished; STOPPED failed; ERROR and
 * ATTENTION (a dialog on the printer waits for someone) error; UNKNOWN
 * and anything else idle.  temp_nozzle, target_nozzle, temp_bed,
 * target_bed, speed (percent) from printer; progress and time_remaining
 * from the job (of /api/v1/job when given, else of the status); the job
 * name is the file's display_name, else its name.  Fans are reported in
 * RPM, not percent, so fan_pct stays unknown.
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "parse/printer.h"
#include "parse/printers.h"

static const struct {
	const char		*name;
	enum printer_status	 status;
} prusalink_states[] = {
	{ "IDLE", PRINTER_IDLE },
	{ "READY", PRINTER_IDLE },
	{ "BUSY", PRINTER_PREPARING },
	{ "PRINTING", PRINTER_PRINTING },
	{ "PAUSED", PRINTER_PAUSED },
	{ "FINISHED", PRINTER_FINISHED },
	{ "STOPPED", PRINTER_FAILED },
	{ "ERROR", PRINTER_ERROR },
	{ "ATTENTION", PRINTER_ERROR },
	{ NULL, PRINTER_IDLE }
};

static enum printer_status
prusalink_status(const char *s)
{
	size_t	i;

	for (i = 0; prusalink_states[i].name != NULL; i++)
		if (strcasecmp(prusalink_states[i].name, s) == 0)
			return prusalink_states[i].status;
	return PRINTER_IDLE;
}

/* progress and time_remaining of a job object, when it has them. */
static void
prusalink_job(struct printer_state *st, const json_t *job)
{
	double	v;
	long	s;

	v = printer_pct(printer_num(job, "progress"));
	if (!isnan(v))
		st->progress = v;
	if ((s = printer_seconds(printer_num(job, "time_remaining"))) >= 0)
		st->remaining_s = s;
}

int
prusalink_state(const char *status, size_t status_len, const char *job,
    size_t job_len, struct printer_state *st, struct err *e)
{
	json_t		*sr, *jr, *printer, *file;
	const char	*state, *name;
	int		 rc;

	printer_state_init(st);
	jr = NULL;
	rc = printer_json_load(status, status_len, PRINTER_MAX_BODY,
	    "PrusaLink status", &sr, e);
	if (rc != 0)
		return rc;
	if (job != NULL && (rc = printer_json_load(job, job_len,
	    PRINTER_MAX_BODY, "PrusaLink job", &jr, e)) != 0) {
		json_decref(sr);
		return rc;
	}
	printer = json_object_get(sr, "printer");
	if ((state = printer_str(printer, "state")) == NULL) {
		json_decref(sr);
		json_decref(jr);
		if (e != NULL)
			err_set(e, ERR_INVALID, "the PrusaLink status has no "
			    "printer.state");
		return ERR_INVALID;
	}
	st->status = prusalink_status(state);
	st->nozzle_c = printer_temp(printer_num(printer, "temp_nozzle"));
	st->nozzle_target_c = printer_temp(printer_num(printer,
	    "target_nozzle"));
	st->bed_c = printer_temp(printer_num(printer, "temp_bed"));
	st->bed_target_c = printer_temp(printer_num(printer, "target_bed"));
	st->speed_pct = printer_int(printer_num(printer, "speed"), 1,
	    PRINTER_MAX_SPEED);
	prusalink_job(st, json_object_get(sr, "job"));
	if (jr != NULL) {
		prusalink_job(st, jr);
		file = json_object_get(jr, "file");
		name = printer_str(file, "display_name");
		if (name == NULL || name[0] == '\0')
			name = printer_str(file, "name");
		printer_copy(st->job, sizeof(st->job), name);
	}
	if (st->status == PRINTER_ERROR)
		printer_add_error(st, state, strcasecmp(state, "ATTENTION") ==
		    0 ? "The printer waits for someone at its screen" :
		    "The printer reports an error");
	json_decref(sr);
	json_decref(jr);
	return 0;
}
