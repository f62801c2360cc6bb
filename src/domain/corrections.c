/*
 * corrections.c -- fits the quote corrections from recent actuals.
 *
 * The actuals arrive ordered by material and printer class, newest
 * first; each run of one (material, class) is a group of at most
 * ESTIMATE_CORRECTION_MAX pairs (the newest), fitted twice: grams and
 * minutes.  A group holds a correction only when both fits keep enough
 * pairs and both factors lie within what the table allows (0.1 to 10: a
 * factor past that says the data is wrong, not the estimate).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/corrections.h"
#include "domain/estimate.h"

static const struct stmt corrections_stmts[] = {
	{ "corrections_actuals",
	  "SELECT material, printer_class, est_grams::float8 AS est_grams, "
	  "est_minutes::float8 AS est_minutes, actual_grams::float8 AS "
	  "actual_grams, actual_minutes::float8 AS actual_minutes FROM "
	  "quote_actuals WHERE recorded_at > now() - make_interval(days => "
	  "$1::integer) ORDER BY material, printer_class, recorded_at DESC, "
	  "print_job_id DESC", 1 },
	{ "corrections_clear", "DELETE FROM quote_corrections", 0 },
	{ "corrections_insert",
	  "INSERT INTO quote_corrections (material, printer_class, "
	  "grams_factor, minutes_factor, samples, dropped) VALUES ($1, $2, "
	  "$3::numeric, $4::numeric, $5::integer, $6::integer)", 6 },
	{ "corrections_audit",
	  "INSERT INTO audit_log (actor, action, entity, entity_id, after) "
	  "VALUES ('jobs', 'fit', 'quote_corrections', NULL, $1::jsonb)", 1 },
};

enum { ST_ACTUALS, ST_CLEAR, ST_INSERT, ST_AUDIT };

void
corrections_register(void)
{
	db_register(corrections_stmts, sizeof(corrections_stmts) /
	    sizeof(corrections_stmts[0]));
}

/* The pairs of one group, newest first. */
struct corrections_group {
	const char	*material;
	const char	*class;
	size_t		 n;		/* rows in the group */
	double		 est_g[ESTIMATE_CORRECTION_MAX];
	double		 act_g[ESTIMATE_CORRECTION_MAX];
	double		 est_min[ESTIMATE_CORRECTION_MAX];
	double		 act_min[ESTIMATE_CORRECTION_MAX];
	size_t		 m;		/* pairs kept for fitting */
};

/* Fits group g and stores it when it holds; adds it to fitted. */
static int
corrections_group_fit(struct db *db, struct arena *a,
    const struct corrections_group *g, json_t *fitted, struct err *e)
{
	const char	*p[6];
	double		 kg, km;
	size_t		 keep_g, keep_m;

	if (estimate_correction(g->est_g, g->act_g, g->m, &kg, &keep_g) !=
	    0 || estimate_correction(g->est_min, g->act_min, g->m, &km,
	    &keep_m) != 0 || !(kg >= 0.1 && kg <= 10 && km >= 0.1 &&
	    km <= 10)) {
		json_array_append_new(fitted, json_pack("{s:s, s:s, s:I, "
		    "s:b}", "material", g->material, "printer_class",
		    g->class, "pairs", (json_int_t)g->n, "holds", 0));
		return 0;
	}
	p[0] = g->material;
	p[1] = g->class;
	p[2] = arena_printf(a, "%.4f", kg);
	p[3] = arena_printf(a, "%.4f", km);
	p[4] = arena_printf(a, "%zu", keep_g < keep_m ? keep_g : keep_m);
	p[5] = arena_printf(a, "%zu", g->m - (keep_g < keep_m ? keep_g :
	    keep_m));
	if (db_exec(db, a, &corrections_stmts[ST_INSERT], p, NULL, e) != 0)
		return e->code;
	json_array_append_new(fitted, json_pack("{s:s, s:s, s:I, s:b, s:f, "
	    "s:f, s:I, s:I}", "material", g->material, "printer_class",
	    g->class, "pairs", (json_int_t)g->n, "holds", 1, "grams_factor",
	    round(kg * 10000) / 10000, "minutes_factor",
	    round(km * 10000) / 10000, "kept_grams", (json_int_t)keep_g,
	    "kept_minutes", (json_int_t)keep_m));
	return 0;
}

int
corrections_fit(struct db *db, struct arena *a, json_t **result,
    struct err *e)
{
	struct corrections_group	*g;
	const char			*p, *mat, *cls;
	json_t				*rows, *row, *fitted;
	size_t				 i;

	p = arena_printf(a, "%d", CORRECTIONS_DAYS);
	if (db_exec(db, a, &corrections_stmts[ST_ACTUALS], &p, &rows, e) != 0)
		return e->code;
	g = arena_calloc(a, 1, sizeof(*g));
	fitted = arena_json(a, json_array());
	if (db_begin(db, e) != 0)
		return e->code;
	if (db_exec(db, a, &corrections_stmts[ST_CLEAR], NULL, NULL, e) != 0)
		goto fail;
	json_array_foreach(rows, i, row) {
		mat = json_row_str(row, "material");
		cls = json_row_str(row, "printer_class");
		if (g->material != NULL && (strcmp(g->material, mat) != 0 ||
		    strcmp(g->class, cls) != 0)) {
			if (corrections_group_fit(db, a, g, fitted, e) != 0)
				goto fail;
			memset(g, 0, sizeof(*g));
		}
		g->material = mat;
		g->class = cls;
		g->n++;
		if (g->m == ESTIMATE_CORRECTION_MAX)
			continue;	/* the newest are enough */
		g->est_g[g->m] = json_row_num(row, "est_grams");
		g->act_g[g->m] = json_row_num(row, "actual_grams");
		g->est_min[g->m] = json_row_num(row, "est_minutes");
		g->act_min[g->m++] = json_row_num(row, "actual_minutes");
	}
	if (g->material != NULL && corrections_group_fit(db, a, g, fitted,
	    e) != 0)
		goto fail;
	p = arena_json_text(a, arena_json(a, json_pack("{s:I, s:O}",
	    "actuals", (json_int_t)json_array_size(rows), "groups", fitted)));
	if (db_exec(db, a, &corrections_stmts[ST_AUDIT], &p, NULL, e) != 0 ||
	    db_commit(db, e) != 0)
		goto fail;
	*result = json_pack("{s:I, s:O}", "actuals",
	    (json_int_t)json_array_size(rows), "groups", fitted);
	return 0;
fail:
	if (db_in_tx(db))
		db_rollback(db);
	return e->code;
}
