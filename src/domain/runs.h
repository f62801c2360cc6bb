/*
 * runs.h -- when a printer's reports begin or end a print run.
 *
 * Pure: given what is known of the run that is open on a printer (if
 * any) and the state the printer reports now, runs_decide() says whether
 * to keep it, close it (and how it ended), open one, or close one and
 * open the next.  The telemetry worker (printers/runs.c) does the
 * writing.  The same rules serve a worker that just started and finds a
 * run left open by its predecessor, so nothing here depends on having
 * seen the states in between.
 */
#ifndef PY_DOMAIN_RUNS_H
#define PY_DOMAIN_RUNS_H

#include "parse/printer.h"

/* Last progress at or above which a print seen to stop counts as done. */
#define RUNS_DONE_PCT		95.0
/* Progress falling this far within one file: the file started again. */
#define RUNS_RESTART_DROP_PCT	20.0

enum runs_action {
	RUNS_KEEP,		/* nothing to write */
	RUNS_OPEN,		/* a print began */
	RUNS_CLOSE,		/* the open run ended (result) */
	RUNS_CLOSE_OPEN		/* it ended and another began */
};

enum runs_result {
	RUNS_COMPLETED,
	RUNS_FAILED
};

struct runs_step {
	enum runs_action	 action;
	enum runs_result	 result;	/* CLOSE, CLOSE_OPEN */
	int			 seen_end;	/* the printer said how it ended;
						   0: inferred from progress */
};

/*
 * open_file: the open run's file, NULL when none is open; last_pct its
 * last progress (NAN: unknown); s: what the printer reports now;
 * error_ends: an error status means the print is over (Moonraker,
 * OctoPrint), else it is held (Bambu Lab, PrusaLink).
 */
void	runs_decide(const char *open_file, double last_pct,
	    const struct printer_state *s, int error_ends, struct runs_step *);

/* "completed" or "failed", as print_run_result and print job status. */
const char	*runs_result_name(enum runs_result);

#endif
