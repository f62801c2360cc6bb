/*
 * record.h -- list, show, create, change and delete for a simple record
 * resource (locations, vendors): everything but the SQL, the fields and
 * the words lives here once.
 *
 * The resource's statements come in this order: list ($1 q, $2 filter,
 * $3/$4 sort keys, $5 limit, $6 offset), count ($1, $2), show ($1 id),
 * create ($1.. fields), update ($1 id, $2.. fields), delete ($1 id).
 */
#ifndef PY_RES_RECORD_H
#define PY_RES_RECORD_H

#include <stddef.h>

#include <jansson.h>

#include "domain/stock.h"

struct req;
struct stmt;

/*
 * One key of a fixed ORDER BY: when parameter p holds "key" sort by expr
 * ascending, when it holds "-key" descending (see stock_sort).
 */
#define RECORD_SORT_BY(p, key, expr) \
	"CASE WHEN " p " = '" key "' THEN " expr " END, " \
	"CASE WHEN " p " = '-" key "' THEN " expr " END DESC, "


enum { RECORD_LIST, RECORD_COUNT, RECORD_SHOW, RECORD_CREATE,
    RECORD_UPDATE, RECORD_DELETE, RECORD__STMTS };

struct record {
	const char			*entity;	/* "location": audit, messages */
	const struct stmt		*stmts;		/* RECORD__STMTS of them */
	const struct stock_field	*fields;	/* first one is the name */
	size_t				 nfields;
	const char			*sort_allowed;	/* "name|created_at|id" */
	const char			*filter;	/* query parameter for $2, or NULL */
	const char			*in_use;	/* why a delete is refused */
	const char			*in_use_hint;
};

/*
 * Runs a list statement and its count with the same parameters and
 * answers {"items": [...], "total": N}.  Returns 0 or the error.
 */
int	record_page(struct req *, const struct stmt *list,
	    const struct stmt *count, const char *const *params);
/*
 * As record_page, for a list statement that answers one row whose
 * "items" is the JSON array of the page as text (json_agg): the rows go
 * to the client without passing through jansson.
 */
int	record_page_text(struct req *, const struct stmt *list,
	    const struct stmt *count, const char *const *params);
/*
 * Reads the row of id with a one-parameter statement; no row is
 * ERR_NOT_FOUND "no such <noun>: <id>".  The row lives on the arena.
 */
int	record_find(struct req *, const struct stmt *show, long long id,
	    const char *noun, json_t **row);

/* The person (or API key) of the request, as the stock ledger names them. */
void	record_actor(struct req *, struct stock_actor *);

/* The path's {id} as statement text. */
const char	*record_id(struct req *);

/* Answers the row of the path's {id} (record_find), as a show route does. */
int	record_answer(struct req *, const struct stmt *show, const char *noun);

/*
 * Audits each status change a domain operation reports ({entity, id,
 * from, to}) as "status_<to>", skipping skip_entity (NULL: none), which
 * the caller audits itself.
 */
int	record_audit_changes(struct req *, json_t *changes,
	    const char *skip_entity);

/*
 * Money for a page: cents in a currency (NULL: EUR) as the request's
 * language writes it ("€1,234.56", "1.234,56 €"), on the arena.
 */
/* "2026-03-01" as "1 Mar 2026" (en) or "01.03.2026" (de); NULL stays. */
const char	*record_date(struct req *, const char *date);
const char	*record_money(struct req *, long long cents,
	    const char *currency);

/*
 * Reads the decimal form field `field` (money_parse with `digits` places,
 * at most max) into changes[target] as an integer of 10^-digits units;
 * absent leaves changes alone, a bad one is a field error saying why.
 */
void	record_form_number(struct req *, json_t *changes, const char *field,
	    const char *target, int digits, long long max, const char *why);
/* v as statement text ("42"), on the request's arena. */
const char	*record_int(struct req *, long long v);
/*
 * v (units of 10^-digits) as a form shows it in the request's language:
 * "12.5" (en) or "12,5" (de); with trim set, trailing zero places go.
 * On the arena.
 */
const char	*record_decimal(struct req *, long long v, int digits,
	    int trim);
/*
 * Audits an update of one row with only the keys whose values differ
 * between before and after (skip: "a|b" keys never compared, or NULL).
 * Nothing changed: no row.  Returns 0 or the error.
 */
int	record_audit_changed(struct req *, const char *entity, const char *id,
	    json_t *before, json_t *after, const char *skip);

/*
 * Pages of a simple record: the list (r->out gets rows, has_rows, q,
 * can_edit and the title) and the form that adds one (then a flash and
 * a redirect to back).  Form errors come back through the framework.
 */
int	record_page_list(struct req *, const struct record *,
	    const char *title_key);
int	record_page_create(struct req *, const struct record *,
	    const char *flash_key, const char *back);

/* Each answers the request as the route's handler; returns 0 or an error. */
int	record_list(struct req *, const struct record *);
int	record_show(struct req *, const struct record *);
int	record_create(struct req *, const struct record *);
int	record_update(struct req *, const struct record *);
int	record_delete(struct req *, const struct record *);

#endif
