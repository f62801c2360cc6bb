/*
 * stock.h -- the stock ledger: every movement of filament or parts.
 *
 * Each operation runs inside the caller's transaction (the request's, or
 * a worker's), locks the spool or item row first (SELECT ... FOR UPDATE),
 * checks the amounts against the locked balance and appends one ledger
 * row per movement; the migration's trigger keeps the stored balances
 * equal to the sum of the ledger, and CHECK constraints keep them from
 * going negative whoever writes.  Results are jansson values registered
 * on the arena; errors come back as codes with the record filled:
 * ERR_NOT_FOUND (no such spool or item), ERR_INVALID (a bad amount,
 * naming the field) and ERR_CONFLICT (not enough stock, naming what is
 * there; archived spool).
 *
 * The rest are helpers the inventory resources share: numbers from JSON
 * or form text, and one validator that turns a record's fields into
 * statement parameters.
 */
#ifndef PY_DOMAIN_STOCK_H
#define PY_DOMAIN_STOCK_H

#include <stddef.h>
#include <jansson.h>

struct arena;
struct db;
struct err;
struct stmt;

/* Who moves stock (user 0: a process, such as the telemetry worker). */
struct stock_actor {
	long long	 user_id;
	const char	*name;
};

/* Why: free text plus an optional link, e.g. "print_job" 42. */
struct stock_why {
	const char	*reason;
	const char	*ref_kind;
	long long	 ref_id;	/* 0: none */
};

/* The statements below; registered by res/stock.c for `serve`. */
#define STOCK_NSTMTS	15
extern const struct stmt	stock_stmts[STOCK_NSTMTS];
/* Registers them for other processes (workers). */
void	stock_register(void);

/*
 * Consumes grams (or, with stock_spool_use_mm, a length of filament
 * converted with the filament's density and diameter) from a spool.
 * More than remains is ERR_CONFLICT naming the remaining grams.  *move
 * gets the ledger row.
 */
int	stock_spool_use(struct db *, struct arena *, long long spool_id,
	    double grams, const struct stock_why *, const struct stock_actor *,
	    json_t **move, struct err *);
int	stock_spool_use_mm(struct db *, struct arena *, long long spool_id,
	    double mm, const struct stock_why *, const struct stock_actor *,
	    json_t **move, struct err *);
/* Weighs a spool: one adjustment so remaining = gross - empty spool. */
int	stock_spool_measure(struct db *, struct arena *, long long spool_id,
	    double gross_g, const struct stock_why *,
	    const struct stock_actor *, json_t **move, struct err *);
/* A correction by delta grams (positive or negative). */
int	stock_spool_adjust(struct db *, struct arena *, long long spool_id,
	    double delta_g, const struct stock_why *,
	    const struct stock_actor *, json_t **move, struct err *);
/*
 * Sets grams of a spool aside (grams > 0: a reservation row, up to what
 * is free) or gives them back (grams < 0: a release row, up to what is
 * reserved).  Production orders reserve through their own requirements
 * (sql/0005_orders.sql); this is the hand-made kind.
 */
int	stock_spool_reserve(struct db *, struct arena *, long long spool_id,
	    double grams, const struct stock_why *,
	    const struct stock_actor *, json_t **move, struct err *);
/* The first receipt of a new spool (its initial net weight). */
int	stock_spool_receive(struct db *, struct arena *, long long spool_id,
	    double grams, const struct stock_why *,
	    const struct stock_actor *, json_t **move, struct err *);
/* Puts a spool somewhere else (location 0: nowhere); a transfer row. */
int	stock_spool_move(struct db *, struct arena *, long long spool_id,
	    long long location_id, const struct stock_why *,
	    const struct stock_actor *, json_t **move, struct err *);
/* Archives a spool (idempotent); *spool gets id and archived_at. */
int	stock_spool_archive(struct db *, struct arena *, long long spool_id,
	    json_t **spool, struct err *);

/* Kinds of item movement. */
enum stock_item_kind {
	STOCK_RECEIVE, STOCK_CONSUME, STOCK_ADJUST, STOCK_TRANSFER,
	STOCK_RESERVE, STOCK_RELEASE
};

struct stock_item_op {
	enum stock_item_kind	 kind;
	long long		 item_id;
	long long		 location_id;	/* transfer: from */
	long long		 to_location_id; /* transfer only */
	double			 qty;		/* adjust: signed delta */
	double			 unit_cost_cents; /* receive; < 0: none */
};

/* Moves an item; *moves gets the ledger rows (two for a transfer). */
int	stock_item_move(struct db *, struct arena *,
	    const struct stock_item_op *, const struct stock_why *,
	    const struct stock_actor *, json_t **moves, struct err *);

/*
 * Stock levels (rows registered on the arena): by "filament",
 * "material_color", "item" or "location" -- on hand, reserved, available
 * and value at cost (spools pro rata of their purchase price, or of the
 * filament's price per kg; items at their moving average cost).
 */
int	stock_levels(struct db *, struct arena *, const char *by,
	    json_t **rows, struct err *);
/*
 * What is below its threshold (per filament, per material and colour,
 * per item), with days left at the last 30 days' consumption.
 */
int	stock_low(struct db *, struct arena *, json_t **rows, struct err *);
/* Thresholds per material and colour; min_g < 0 removes one. */
int	stock_thresholds(struct db *, struct arena *, json_t **rows,
	    struct err *);
int	stock_threshold_set(struct db *, struct arena *, const char *material,
	    const char *color, double min_g, json_t **row, struct err *);

/* grams = density * pi * (d / 2)^2 * mm / 1000 */
double	stock_mm_to_grams(double mm, double density_g_cm3,
	    double diameter_mm);

/* A JSON number, or text that reads as one ("1.24", "1,24"): 0 or -1. */
int	stock_number(json_t *, double *out);
/* A number as statement text with at most 3 decimals (arena). */
const char *stock_fmt3(struct arena *, double);

/* The type of a record field, for stock_record. */
enum stock_field_type {
	SF_TEXT, SF_INT, SF_NUM, SF_ID, SF_ENUM, SF_HEX, SF_DATE, SF_CUR
};

struct stock_field {
	const char		*name;
	enum stock_field_type	 type;
	int			 required;
	double			 min;		/* SF_TEXT: length */
	double			 max;
	int			 min_excl;	/* SF_NUM: value must be > min */
	const char		*choices;	/* SF_ENUM: "a|b|c" */
};

/*
 * Merges input over cur (the stored record, or NULL for a new one),
 * validates every field and fills params[i] with the statement text of
 * fields[i] (NULL for SQL NULL).  Empty text counts as no value.  Every
 * bad field gets a message; returns 0 or ERR_INVALID.  *merged (if not
 * NULL) gets the merged record, registered on the arena.
 */
int	stock_record(struct arena *, const struct stock_field *, size_t n,
	    json_t *cur, json_t *input, const char **params, json_t **merged,
	    struct err *);

/*
 * Parses ?sort=a,-b against allowed ("name|created_at"); keys[0] and
 * keys[1] get "a", "-b" or the default/NULL.  ERR_BAD_REQUEST naming a
 * key that is not allowed.
 */
int	stock_sort(struct arena *, const char *sort, const char *allowed,
	    const char *def, const char **keys, struct err *);

#endif
