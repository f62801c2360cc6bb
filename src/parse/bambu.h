/*
 * bambu.h -- Bambu Lab MQTT reports to the normalised printer state.
 *
 * The X1 series sends the whole "print" object in every report; the P1
 * and A1 series send only what changed.  So each printer gets a struct
 * bambu_cache, and each report is merged into it (bambu_merge): a key
 * that is absent stays as it was, objects merge key by key, and arrays
 * of objects with an "id" (AMS units, their trays) merge element by
 * element; a tray that comes with only its "id" is an emptied slot.
 * bambu_state then reads the merged object into a struct printer_state.
 *
 * Pure: no I/O, no globals.  Reports are bounded by BAMBU_MAX_BYTES and
 * the cache cannot grow without bound: only the top-level keys that
 * bambu_state reads are kept, an object takes at most BAMBU_MAX_KEYS
 * keys and an id-array at most BAMBU_MAX_IDS elements, and merging stops
 * at depth BAMBU_MERGE_DEPTH (deeper values are replaced whole).
 * Merging the same value twice changes nothing, which is what lets
 * bambu_merge skip a top-level value whose text equals the last one.
 */
#ifndef PY_PARSE_BAMBU_H
#define PY_PARSE_BAMBU_H

#include <stddef.h>

#include <jansson.h>

#include "parse/printer.h"

struct err;

#define BAMBU_MAX_BYTES		(256 * 1024)
#define BAMBU_MAX_KEYS		128
#define BAMBU_MAX_IDS		32
#define BAMBU_MERGE_DEPTH	8

/* print.fun bit: commands need a signature (Developer Mode is off). */
#define BAMBU_FUN_SIGNED	0x20000000ULL
/* print_error sent for a print the user cancelled; not an error. */
#define BAMBU_ERROR_CANCELLED	0x0300400C

/* Top-level keys remembered as text (at least the kept keys). */
#define BAMBU_MEMO_KEYS		24
#define BAMBU_MEMO_MIN		32	/* shorter values are not kept */

struct bambu_cache {
	json_t		*print;		/* merged "print" object, or NULL */
	unsigned long	 reports;	/* status reports merged */
	/*
	 * The text of the value each kept key had in the last report that
	 * sent it (NULL when short): an X1 sends its whole AMS every second,
	 * and an unchanged value need not be parsed and merged again.
	 */
	char		*memo[BAMBU_MEMO_KEYS];
	size_t		 memo_len[BAMBU_MEMO_KEYS];
};

/* An empty cache (nothing reported yet). */
void	bambu_cache_init(struct bambu_cache *);
/* Drops what the cache holds; it is empty again afterwards. */
void	bambu_cache_free(struct bambu_cache *);

/*
 * Merges one message of the report topic.  Only a "print" object whose
 * command is "push_status" (or absent) is merged; other messages
 * (replies, "info", ...) are accepted and leave the cache as it was.
 * Returns 0; ERR_INVALID (not JSON, not an object, "print" not an
 * object) or ERR_TOO_LARGE, and then the cache is unchanged.
 */
int	bambu_merge(struct bambu_cache *, const char *payload, size_t len,
	    struct err *);

/*
 * The normalised state of what the cache holds.  An empty cache gives
 * the "unknown" state (offline).  Never fails.
 */
void	bambu_state(const struct bambu_cache *, struct printer_state *);

/* The reply to a command (same class, command and sequence_id). */
struct bambu_reply {
	char	 kind[16];		/* "print", "system", "info", ... */
	char	 command[32];		/* "pause", "project_file", ... */
	char	 sequence_id[32];
	int	 result;		/* 1 success, 0 fail, -1 none */
	char	 reason[160];
};

/*
 * Reads the envelope of a message: its class object and in it
 * sequence_id, command, result and reason.  0 when the message has a
 * class object with a sequence_id; ERR_INVALID otherwise (and for bad
 * JSON); ERR_TOO_LARGE.
 */
int	bambu_reply(const char *payload, size_t len, struct bambu_reply *,
	    struct err *);

/*
 * The text for an HMS code "AAAA_BBBB_CCCC_DDDD" from attr and code: from
 * a small table of common alerts (partial by design), else the module
 * and severity in words.  Writes at most size bytes into text.
 */
void	bambu_hms_text(unsigned long attr, unsigned long code, char *text,
	    size_t size);

#endif
