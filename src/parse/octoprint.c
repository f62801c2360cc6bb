/*
 * octoprint.c -- OctoPrint bodies to the normalised printer state (see
 * printers.h; protocol facts: shared docs/protocols.md section 3).
 *
 * The state flags of /api/printer decide, the state text only when the
 * flags are missing (as OctoPrint advises):
 *   error                                   error
 *   closedOrError without operational       offline
 *   cancelling                              failed (the job is stopped)
 *   paused or pausing                       paused
 *   printing, resuming or finishing         printing
 *   operational, text "Starting..."         preparing
 *   operational                             idle, or finished when the
 *                                           selected job is at 100 %
 * No /api/printer body (it answered 409: the printer is not connected)
 * is offline, unless /api/job's state says Error (the connection dropped
 * on an error).  tool0 and bed (and chamber) temperatures from
 * /api/printer; file, completion and printTimeLeft from /api/job.
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "parse/printer.h"
#include "parse/printers.h"

static const struct {
	const char		*text;
	enum printer_status	 status;
} octoprint_texts[] = {
	{ "Operational", PRINTER_IDLE },
	{ "Printing", PRINTER_PRINTING },
	{ "Printing from SD", PRINTER_PRINTING },
	{ "Sending file to SD", PRINTER_PRINTING },
	{ "Finishing", PRINTER_PRINTING },
	{ "Resuming", PRINTER_PRINTING },
	{ "Pausing", PRINTER_PAUSED },
	{ "Paused", PRINTER_PAUSED },
	{ "Cancelling", PRINTER_FAILED },
	{ "Error", PRINTER_ERROR },
	{ "Offline after error", PRINTER_ERROR },
	{ "Offline", PRINTER_OFFLINE },
	{ NULL, PRINTER_IDLE }
};

static enum printer_status
octoprint_text(const char *s)
{
	size_t	i;

	if (strncasecmp(s, "Starting", 8) == 0)
		return PRINTER_PREPARING;
	if (strncasecmp(s, "Opening", 7) == 0 || strncasecmp(s, "Detecting",
	    9) == 0 || strncasecmp(s, "Connecting", 10) == 0)
		return PRINTER_OFFLINE;
	for (i = 0; octoprint_texts[i].text != NULL; i++)
		if (strcasecmp(octoprint_texts[i].text, s) == 0)
			return octoprint_texts[i].status;
	return PRINTER_IDLE;
}

static int
octoprint_flag(const json_t *flags, const char *key)
{
	return json_is_true(json_object_get(flags, key));
}

static enum printer_status
octoprint_flags(const json_t *flags, const char *text)
{
	if (octoprint_flag(flags, "error"))
		return PRINTER_ERROR;
	if (!octoprint_flag(flags, "operational"))
		return PRINTER_OFFLINE;
	if (octoprint_flag(flags, "cancelling"))
		return PRINTER_FAILED;
	if (octoprint_flag(flags, "paused") || octoprint_flag(flags,
	    "pausing"))
		return PRINTER_PAUSED;
	if (octoprint_flag(flags, "printing") || octoprint_flag(flags,
	    "resuming") || octoprint_flag(flags, "finishing"))
		return PRINTER_PRINTING;
	if (text != NULL && strncasecmp(text, "Starting", 8) == 0)
		return PRINTER_PREPARING;
	return PRINTER_IDLE;
}

static void
octoprint_temps(const json_t *t, const char *key, double *now,
    double *target)
{
	const json_t	*h;

	h = json_object_get(t, key);
	*now = printer_temp(printer_num(h, "actual"));
	if (target != NULL)
		*target = printer_temp(printer_num(h, "target"));
}

int
octoprint_state(const char *printer, size_t printer_len, const char *job,
    size_t job_len, struct printer_state *st, struct err *e)
{
	json_t		*pr, *jr, *state, *flags, *j, *file, *prog;
	const char	*text, *name, *err;
	int		 rc, have;

	printer_state_init(st);
	pr = jr = NULL;
	if (printer != NULL && (rc = printer_json_load(printer, printer_len,
	    PRINTER_MAX_BODY, "OctoPrint printer answer", &pr, e)) != 0)
		return rc;
	if (job != NULL && (rc = printer_json_load(job, job_len,
	    PRINTER_MAX_BODY, "OctoPrint job answer", &jr, e)) != 0) {
		json_decref(pr);
		return rc;
	}
	have = 0;
	if (pr != NULL) {
		state = json_object_get(pr, "state");
		flags = json_object_get(state, "flags");
		text = printer_str(state, "text");
		if (json_is_object(flags)) {
			st->status = octoprint_flags(flags, text);
			have = 1;
		} else if (text != NULL) {
			st->status = octoprint_text(text);
			have = 1;
		} else if ((text = printer_str(jr, "state")) != NULL) {
			st->status = octoprint_text(text);
			have = 1;
		}
		octoprint_temps(json_object_get(pr, "temperature"), "tool0",
		    &st->nozzle_c, &st->nozzle_target_c);
		octoprint_temps(json_object_get(pr, "temperature"), "bed",
		    &st->bed_c, &st->bed_target_c);
		octoprint_temps(json_object_get(pr, "temperature"), "chamber",
		    &st->chamber_c, NULL);
	} else
		have = 1;	/* 409: OctoPrint has no printer: offline */
	if (!have) {
		json_decref(pr);
		json_decref(jr);
		if (e != NULL)
			err_set(e, ERR_INVALID, "the OctoPrint answers hold no "
			    "printer state");
		return ERR_INVALID;
	}
	if (jr != NULL) {
		j = json_object_get(jr, "job");
		file = json_object_get(j, "file");
		name = printer_str(file, "display");
		if (name == NULL || name[0] == '\0')
			name = printer_str(file, "name");
		printer_copy(st->job, sizeof(st->job), name);
		prog = json_object_get(jr, "progress");
		st->progress = printer_pct(printer_num(prog, "completion"));
		st->remaining_s = printer_seconds(printer_num(prog,
		    "printTimeLeft"));
		if (st->status == PRINTER_IDLE && st->job[0] != '\0' &&
		    st->progress >= 100)
			st->status = PRINTER_FINISHED;
		if ((err = printer_str(jr, "error")) != NULL && err[0] != '\0')
			printer_add_error(st, "octoprint", err);
		/* no printer answer, but the job says why: an error, not gone */
		if (pr == NULL && (text = printer_str(jr, "state")) != NULL &&
		    octoprint_text(text) == PRINTER_ERROR)
			st->status = PRINTER_ERROR;
	}
	json_decref(pr);
	json_decref(jr);
	return 0;
}
