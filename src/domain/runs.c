/*
 * runs.c -- when a printer's reports begin or end a print run (see
 * runs.h).
 *
 * A run is open from the first report that shows a job being prepared,
 * printed or paused.  An error never opens one (a finished printer may
 * raise an alert long after its print); whether it ends one depends on
 * the kind of printer: Klipper and OctoPrint drop the job on an error,
 * so the print failed, while a Bambu Lab or Prusa printer holds it (an
 * empty AMS or a clogged nozzle pauses a print, it does not end it).  It
 * ends with the printer's own verdict, finished or failed, or when the
 * printer shows something else than the open file: idle, another file,
 * or the same file starting over.  Then how far it got decides: at or
 * above RUNS_DONE_PCT it is taken as completed, below as failed.  An
 * offline printer ends nothing; it may come back mid-print.
 */
#include <math.h>
#include <string.h>

#include "domain/runs.h"

static int
runs_active(const struct printer_state *s)
{
	switch (s->status) {
	case PRINTER_PREPARING:
	case PRINTER_PRINTING:
	case PRINTER_PAUSED:
		return s->job[0] != '\0';
	default:
		return 0;
	}
}

static enum runs_result
runs_inferred(double last_pct)
{
	return !isnan(last_pct) && last_pct >= RUNS_DONE_PCT ?
	    RUNS_COMPLETED : RUNS_FAILED;
}

void
runs_decide(const char *open_file, double last_pct,
    const struct printer_state *s, int error_ends, struct runs_step *out)
{
	int	same;

	memset(out, 0, sizeof(*out));
	out->action = RUNS_KEEP;
	if (open_file == NULL) {
		if (runs_active(s))
			out->action = RUNS_OPEN;
		return;
	}
	same = s->job[0] == '\0' || strcmp(s->job, open_file) == 0;
	switch (s->status) {
	case PRINTER_OFFLINE:
		return;
	case PRINTER_ERROR:
		if (!error_ends)
			return;
		/* FALLTHROUGH */
	case PRINTER_FINISHED:
	case PRINTER_FAILED:
		out->action = RUNS_CLOSE;
		if (same) {
			out->seen_end = 1;
			out->result = s->status == PRINTER_FINISHED ?
			    RUNS_COMPLETED : RUNS_FAILED;
		} else
			out->result = runs_inferred(last_pct);
		return;
	case PRINTER_IDLE:
		out->action = RUNS_CLOSE;
		out->result = runs_inferred(last_pct);
		return;
	default:
		break;
	}
	if (!runs_active(s))
		return;
	if (!same || (!isnan(last_pct) && !isnan(s->progress) &&
	    s->progress + RUNS_RESTART_DROP_PCT < last_pct)) {
		out->action = RUNS_CLOSE_OPEN;
		out->result = runs_inferred(last_pct);
	}
}

const char *
runs_result_name(enum runs_result r)
{
	return r == RUNS_COMPLETED ? "completed" : "failed";
}
