/*
 * printer.h -- the normalised state of a printer, whatever its kind.
 *
 * The pure normalisers (parse/bambu.c, parse/prusalink.c,
 * parse/octoprint.c, parse/moonraker.c) turn what a printer sends into
 * this struct; the telemetry worker stores it (table printer_state) and
 * publishes it.  Fields a printer did not report keep their "unknown"
 * value: NAN for numbers, -1 for counts and percentages, "" for text.
 * Every string is NUL-terminated and cut to its array.
 */
#ifndef PY_PARSE_PRINTER_H
#define PY_PARSE_PRINTER_H

#include <stddef.h>

enum printer_status {
	PRINTER_OFFLINE,	/* no connection */
	PRINTER_IDLE,
	PRINTER_PREPARING,	/* heating, levelling, downloading */
	PRINTER_PRINTING,
	PRINTER_PAUSED,
	PRINTER_FINISHED,	/* the last job ended well; not yet cleared */
	PRINTER_FAILED,		/* the last job failed or was stopped */
	PRINTER_ERROR		/* the printer needs attention */
};

/* Material slots: an AMS has 4 per unit, up to 4 units; +1 external. */
#define PRINTER_MAX_SLOTS	17
#define PRINTER_MAX_ERRORS	8

struct printer_slot {
	int	 slot;			/* 1-based; external spool last */
	char	 type[24];		/* "PLA", "PETG-CF" */
	char	 color[8];		/* "#RRGGBB" or "" */
	int	 remaining_pct;		/* -1: unknown */
	char	 tag_uid[40];		/* RFID tag of the spool, or "" */
	int	 active;		/* the slot feeding the nozzle now */
};

struct printer_error {
	char	 code[32];		/* "0300_0100_0001_0007", "E1234" */
	char	 text[160];		/* in words, when known */
};

struct printer_state {
	enum printer_status	 status;
	char			 job[256];	/* file or job name */
	double			 progress;	/* 0..100, NAN: unknown */
	int			 layer;		/* -1: unknown */
	int			 total_layers;
	long			 remaining_s;	/* -1: unknown */
	double			 nozzle_c, nozzle_target_c;
	double			 bed_c, bed_target_c;
	double			 chamber_c;
	int			 fan_pct;	/* part cooling, -1: unknown */
	int			 speed_pct;	/* speed level as %, -1 */
	int			 control_ok;	/* commands accepted (Bambu:
						   Developer Mode), -1 */
	struct printer_slot	 slots[PRINTER_MAX_SLOTS];
	size_t			 nslots;
	struct printer_error	 errors[PRINTER_MAX_ERRORS];
	size_t			 nerrors;
};

/* Sets every field to "unknown" and the status to offline. */
void		 printer_state_init(struct printer_state *);
/* "idle", "printing", ... as stored and sent; NULL for a bad value. */
const char	*printer_status_name(enum printer_status);

#endif
