/*
 * record.c -- the routine handlers of a simple record resource.
 *
 * Names are unique (a unique violation becomes "a <entity> named ... exists
 * already" on the name field); a delete that a foreign key refuses becomes
 * the resource's own 409 with its hint.  Every write is audited.
 */
#include <string.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/str.h"
#include "domain/money.h"
#include "db/db.h"
#include "http/req.h"
#include "res/quotes.h"
#include "res/record.h"
#include "view/format.h"

#define RECORD_MAX_FIELDS	16

const char *
record_money(struct req *r, long long cents, const char *currency)
{
	char	buf[64];

	format_money(buf, sizeof(buf), cents, currency != NULL ? currency :
	    "EUR", r->lang);
	return arena_strdup(r->arena, buf);
}

/* "2026-03-01" as "1 Mar 2026" (en) or "01.03.2026" (de); NULL stays. */
const char *
record_date(struct req *r, const char *s)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	long	 y, m, d;

	if (s == NULL || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return s;
	y = strtol(s, NULL, 10);
	m = strtol(s + 5, NULL, 10);
	d = strtol(s + 8, NULL, 10);
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return s;
	if (strcmp(r->lang, "de") == 0)
		return arena_printf(r->arena, "%02ld.%02ld.%04ld", d, m, y);
	return arena_printf(r->arena, "%ld %s %04ld", d, mon[m - 1], y);
}

void
record_form_number(struct req *r, json_t *changes, const char *field,
    const char *target, int digits, long long max, const char *why)
{
	const char	*s;
	long long	 v;

	s = req_str(r, field);
	if (s == NULL)
		return;
	if (money_parse(s, digits, max, &v) != 0) {
		err_field(&r->err, field, "%s", why);
		return;
	}
	json_object_set_new(changes, target, json_integer(v));
}

const char *
record_int(struct req *r, long long v)
{
	return arena_printf(r->arena, "%lld", v);
}

const char *
record_decimal(struct req *r, long long v, int digits, int trim)
{
	char	 buf[48], *dot;

	money_text(buf, sizeof(buf), v, digits, trim);
	if (strcmp(r->lang, "de") == 0 && (dot = strchr(buf, '.')) != NULL)
		*dot = ',';
	return arena_strdup(r->arena, buf);
}

int
record_audit_changed(struct req *r, const char *entity, const char *id,
    json_t *before, json_t *after, const char *skip)
{
	json_t		*ob, *oa, *v;
	const char	*key;

	ob = arena_json(r->arena, json_object());
	oa = arena_json(r->arena, json_object());
	json_object_foreach(after, key, v) {
		if ((skip != NULL && str_in_choices(skip, key)) ||
		    json_equal(json_object_get(before, key), v))
			continue;
		json_object_set(ob, key, json_object_get(before, key));
		json_object_set(oa, key, v);
	}
	if (json_object_size(oa) == 0)
		return 0;
	return req_audit(r, "update", entity, id, ob, oa);
}

int
record_page(struct req *r, const struct stmt *list, const struct stmt *count,
    const char *const *params)
{
	json_t	*rows, *cnt;

	if (db_exec(r->db, r->arena, list, params, &rows, &r->err) != 0 ||
	    db_one(r->db, r->arena, count, params, &cnt, &r->err) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:O}", "items", rows, "total",
	    json_object_get(cnt, "n")));
	return 0;
}

int
record_page_text(struct req *r, const struct stmt *list,
    const struct stmt *count, const char *const *params)
{
	json_t	*row, *cnt;

	if (db_one(r->db, r->arena, list, params, &row, &r->err) != 0 ||
	    db_one(r->db, r->arena, count, params, &cnt, &r->err) != 0)
		return r->err.code;
	req_json_text(r, 200, arena_printf(r->arena, "{\"items\":%s,"
	    "\"total\":%lld}", json_string_value(json_object_get(row,
	    "items")), (long long)json_integer_value(json_object_get(cnt,
	    "n"))));
	return 0;
}

int
record_find(struct req *r, const struct stmt *show, long long id,
    const char *noun, json_t **row)
{
	const char	*p;

	p = arena_printf(r->arena, "%lld", id);
	if (db_one(r->db, r->arena, show, &p, row, &r->err) != 0)
		return r->err.code;
	if (*row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such %s: %s", noun,
		    p);
	return 0;
}

int
record_audit_changes(struct req *r, json_t *changes, const char *skip)
{
	json_t		*c;
	const char	*entity;
	size_t		 i;

	json_array_foreach(changes, i, c) {
		entity = json_string_value(json_object_get(c, "entity"));
		if (entity != NULL && strcmp(entity, "order") == 0)
			quotes_order_moved(r, (long long)json_integer_value(
			    json_object_get(c, "id")));
		if (entity == NULL || (skip != NULL && strcmp(entity, skip) ==
		    0))
			continue;
		if (req_audit(r, arena_printf(r->arena, "status_%s",
		    json_string_value(json_object_get(c, "to"))), entity,
		    arena_printf(r->arena, "%lld", (long long)
		    json_integer_value(json_object_get(c, "id"))), NULL, c) !=
		    0)
			return r->err.code;
	}
	return 0;
}

int
record_list(struct req *r, const struct record *rec)
{
	const char	*p[6];

	p[0] = req_str(r, "q");
	p[1] = rec->filter != NULL ? req_str(r, rec->filter) : NULL;
	if (stock_sort(r->arena, req_str(r, "sort"), rec->sort_allowed,
	    "name", &p[2], &r->err) != 0)
		return r->err.code;
	p[4] = arena_printf(r->arena, "%lld", req_int(r, "limit", 50));
	p[5] = arena_printf(r->arena, "%lld", req_int(r, "offset", 0));
	return record_page(r, &rec->stmts[RECORD_LIST],
	    &rec->stmts[RECORD_COUNT], p);
}

static int
record_get(struct req *r, const struct record *rec, json_t **row)
{
	return record_find(r, &rec->stmts[RECORD_SHOW], req_int(r, "id", 0),
	    rec->entity, row);
}

void
record_actor(struct req *r, struct stock_actor *who)
{
	who->user_id = r->who.user_id;
	who->name = req_actor(r);
}

const char *
record_id(struct req *r)
{
	return arena_printf(r->arena, "%lld", req_int(r, "id", 0));
}

int
record_answer(struct req *r, const struct stmt *show, const char *noun)
{
	json_t	*row;

	if (record_find(r, show, req_int(r, "id", 0), noun, &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

int
record_show(struct req *r, const struct record *rec)
{
	return record_answer(r, &rec->stmts[RECORD_SHOW], rec->entity);
}

/* A unique-name conflict, said in words. */
static int
record_dupe(struct req *r, const struct record *rec, const char *name)
{
	if (r->err.code == ERR_CONFLICT) {
		err_set(&r->err, ERR_CONFLICT, "a %s named \"%s\" exists "
		    "already", rec->entity, name);
		err_field(&r->err, "name", "is taken");
	}
	return r->err.code;
}

/* Validates in, stores it and audits; *row gets the stored record. */
static int
record_insert(struct req *r, const struct record *rec, json_t *in,
    json_t **row)
{
	const char	*p[RECORD_MAX_FIELDS];

	if (stock_record(r->arena, rec->fields, rec->nfields, NULL, in, p,
	    NULL, &r->err) != 0)
		return req_invalid(r, rec->entity);
	if (db_one(r->db, r->arena, &rec->stmts[RECORD_CREATE], p, row,
	    &r->err) != 0)
		return record_dupe(r, rec, p[0]);
	return req_audit(r, "create", rec->entity, arena_printf(r->arena,
	    "%lld", (long long)json_integer_value(json_object_get(*row,
	    "id"))), NULL, *row);
}

int
record_create(struct req *r, const struct record *rec)
{
	json_t	*row;

	if (record_insert(r, rec, r->input, &row) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

int
record_page_list(struct req *r, const struct record *rec,
    const char *title_key)
{
	json_t		*rows;
	const char	*p[6];

	p[0] = req_str(r, "q");
	p[1] = NULL;
	p[2] = "name";
	p[3] = NULL;
	p[4] = "500";
	p[5] = "0";
	if (db_exec(r->db, r->arena, &rec->stmts[RECORD_LIST], p, &rows,
	    &r->err) != 0)
		return r->err.code;
	r->out = json_pack("{s:O, s:b, s:s*, s:b, s:b, s:s}", "rows", rows,
	    "has_rows", json_array_size(rows) > 0, "q", p[0], "can_edit",
	    r->who.role != ROLE_ACCOUNTANT, "nav_inventory", 1, "title",
	    arena_printf(r->arena, "%s · %s", req_t(r, title_key), req_t(r,
	    "page_inventory")));
	return 0;
}

int
record_page_create(struct req *r, const struct record *rec,
    const char *flash_key, const char *back)
{
	json_t	*in, *row;

	in = json_deep_copy(r->input);
	arena_json(r->arena, in);
	json_object_del(in, "_csrf");
	if (record_insert(r, rec, in, &row) != 0)
		return r->err.code;
	req_flash(r, "ok", flash_key);
	req_redirect(r, back);
	return 0;
}

int
record_update(struct req *r, const struct record *rec)
{
	const char	*p[RECORD_MAX_FIELDS + 1];
	json_t		*cur, *row;

	if (record_get(r, rec, &cur) != 0)
		return r->err.code;
	p[0] = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (stock_record(r->arena, rec->fields, rec->nfields, cur, r->input,
	    p + 1, NULL, &r->err) != 0)
		return r->err.code;
	if (db_one(r->db, r->arena, &rec->stmts[RECORD_UPDATE], p, &row,
	    &r->err) != 0)
		return record_dupe(r, rec, p[1]);
	if (req_audit(r, "update", rec->entity, p[0], cur, row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

int
record_delete(struct req *r, const struct record *rec)
{
	const char	*p;
	json_t		*row;

	p = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &rec->stmts[RECORD_DELETE], &p, &row,
	    &r->err) != 0) {
		if (r->err.code != ERR_INVALID)
			return r->err.code;
		err_clear(&r->err);
		err_set(&r->err, ERR_CONFLICT, "%s %s %s", rec->entity, p,
		    rec->in_use);
		err_hint(&r->err, "%s", rec->in_use_hint);
		return ERR_CONFLICT;
	}
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such %s: %s",
		    rec->entity, p);
	if (req_audit(r, "delete", rec->entity, p, row, NULL) != 0)
		return r->err.code;
	r->status = 204;
	return 0;
}
