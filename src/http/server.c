/*
 * server.c -- the FastCGI worker loop and the one request path:
 *
 *   reset arena -> parse -> route -> read body -> authenticate -> authorise
 *   -> CSRF -> validate -> transaction (+ Idempotency-Key) -> handler ->
 *   commit -> render JSON or template -> write -> access log -> metrics
 *
 * Nothing else writes to the socket.  Only this folder includes fcgiapp.h.
 */
#include <sys/socket.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "core/arena.h"
#include "core/json.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/log.h"
#include "db/db.h"
#include "domain/outbox.h"
#include "http/auth.h"
#include "http/metrics.h"
#include "http/parse.h"
#include "http/req.h"
#include "http/router.h"
#include "http/server.h"
#include "integrations/live.h"
#include "view/format.h"
#include "view/view.h"

#define OUT_MAX		(16 * 1024 * 1024)
#define HEADERS_MAX	(16 * 1024)
#define FINISH_DRAIN_MS	2000	/* waiting for nginx to hang up */

struct app	*the_app;

static const struct stmt st_idem_claim = { "idem_claim",
	"INSERT INTO idempotency_keys (principal, key, route, request_hash, "
	"status, response) VALUES ($1, $2, $3, $4, 0, '') "
	"ON CONFLICT DO NOTHING RETURNING key", 4 };
static const struct stmt st_idem_get = { "idem_get",
	"SELECT route, request_hash, status, response FROM idempotency_keys "
	"WHERE principal = $1 AND key = $2", 2 };
static const struct stmt st_idem_store = { "idem_store",
	"UPDATE idempotency_keys SET status = $3, response = $4 "
	"WHERE principal = $1 AND key = $2", 4 };
static const struct stmt st_audit = { "audit_insert",
	"INSERT INTO audit_log (actor_user_id, actor, action, entity, "
	"entity_id, before, after, request_id) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8 };

static int
template_exists(const char *name)
{
	return view_has(the_app->view, name);
}

/* Converts the YAML API description into JSON once at start. */
int	openapi_load(struct arena *, const char *path, json_t **,
	    struct err *);

static const struct stmt *const server_stmts[] = { &st_idem_claim,
    &st_idem_get, &st_idem_store, &st_audit };

void
req_register(void)
{
	size_t	i;

	for (i = 0; i < sizeof(server_stmts) / sizeof(server_stmts[0]); i++)
		db_register(server_stmts[i], 1);
	for (i = 0; i < nresources; i++)
		if (resources[i]->nstmts > 0)
			db_register(resources[i]->stmts, resources[i]->nstmts);
}

void
req_background(struct req *r, struct arena *a, const struct config *cfg,
    struct db *db, const char *actor)
{
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->cfg = cfg;
	r->db = db;
	r->method = "JOB";
	r->uri = r->path = "";
	r->lang = "en";
	r->who.kind = AUTH_NONE;
	r->who.username = actor;
	r->who.role = ROLE_OWNER;
	r->who.role_name = "owner";
	r->who.can_write = 1;
}

int
server_prepare(struct app *app, struct err *e)
{

	the_app = app;
	if (view_load(&app->view, app->proc, app->cfg->template_dir, e) != 0)
		return e->code;
	if (router_init(template_exists, e) != 0)
		return e->code;
	if (openapi_load(app->proc, app->cfg->openapi_file, &app->openapi,
	    e) != 0)
		return e->code;
	req_register();
	live_init(app->cfg->nchan_publish_url);
	format_set_timezone(app->cfg->timezone);
	auth_register();
	outbox_register();	/* requests queue mail (outbox_queue) */
	return 0;
}

int
server_listen(const char *listen, struct err *e)
{
	const char	*path;
	int		 fd;
	mode_t		 old;

	if (strncmp(listen, "unix:", 5) == 0) {
		path = listen + 5;
		unlink(path);
		old = umask(0);
		/* Local nginx runs as another user; the folder guards access. */
		fd = FCGX_OpenSocket(path, 128);
		chmod(path, 0666);
		umask(old);
	} else
		fd = FCGX_OpenSocket(listen, 128);
	if (fd < 0)
		err_set(e, ERR_INTERNAL, "cannot listen on %s: %s", listen,
		    strerror(errno));
	return fd;
}

/* ---- request helpers used by handlers ---- */

long long
req_int(struct req *r, const char *k, long long def)
{
	json_t	*v;

	v = json_object_get(r->args, k);
	return json_is_integer(v) ? json_integer_value(v) : def;
}

const char *
req_str(struct req *r, const char *k)
{
	return json_string_value(json_object_get(r->args, k));
}

int
req_bool(struct req *r, const char *k, int def)
{
	json_t	*v;

	v = json_object_get(r->args, k);
	return json_is_boolean(v) ? json_is_true(v) : def;
}

int
req_has(struct req *r, const char *k)
{
	return json_object_get(r->args, k) != NULL;
}

void
req_json(struct req *r, int status, json_t *body)
{
	r->status = status;
	if (r->out != NULL)
		json_decref(r->out);
	r->out = body;
	r->out_json = NULL;
}

void
req_json_text(struct req *r, int status, const char *json)
{
	req_json(r, status, NULL);
	r->out_json = json;
}

void
req_redirect(struct req *r, const char *loc)
{
	r->status = 303;
	r->location = arena_strdup(r->arena, loc);
}

void
req_header(struct req *r, const char *name, const char *val)
{
	buf_printf(&r->headers, "%s: %s\r\n", name, val);
}

void
req_cookie(struct req *r, const char *name, const char *val, long max_age,
    int http_only)
{
	buf_printf(&r->headers, "Set-Cookie: %s=%s; Path=/; Max-Age=%ld; "
	    "SameSite=Lax%s%s\r\n", name, val, max_age,
	    http_only ? "; HttpOnly" : "",
	    strncmp(r->cfg->public_url, "https:", 6) == 0 ? "; Secure" : "");
}

/* What a stored path may hold: the store's own names, never "..". */
#define STORE_PATH_CHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-"

int
req_send_file(struct req *r, const char *rel, const char *name)
{
	struct stat	 st;
	char		*n, *q;

	if (rel == NULL || rel[0] == '/' || rel[0] == '\0' ||
	    strstr(rel, "..") != NULL || strspn(rel, STORE_PATH_CHARS) !=
	    strlen(rel))
		return err_set(&r->err, ERR_INTERNAL, "a stored file path is "
		    "not inside the file store");
	if (stat(arena_printf(r->arena, "%s/%s", r->cfg->file_store, rel),
	    &st) != 0 || !S_ISREG(st.st_mode))
		return err_set(&r->err, ERR_NOT_FOUND, "the stored copy is "
		    "missing from the file store");
	n = arena_strdup(r->arena, name != NULL ? name : "download");
	for (q = n; *q != '\0'; q++)
		if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20 ||
		    *q == 0x7f)
			*q = '_';
	r->status = 200;
	r->content_type_out = "application/octet-stream";
	req_header(r, "Content-Disposition", arena_printf(r->arena,
	    "attachment; filename=\"%s\"", n));
	req_header(r, "X-Accel-Redirect", arena_printf(r->arena,
	    "/_files/%s", rel));
	return 0;
}

const char *
req_cookie_get(struct req *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->ncookies; i++)
		if (strcmp(r->cookies[i].key, name) == 0)
			return r->cookies[i].val;
	return NULL;
}

void
req_flash(struct req *r, const char *kind, const char *key)
{
	req_cookie(r, "py_flash", arena_printf(r->arena, "%s.%s", kind, key),
	    60, 1);
}

void
req_localize_times(struct req *r, json_t *rows)
{
	json_t		*row, *v;
	const char	*key;
	char		 text[64];
	size_t		 i, n;
	void		*tmp;

	json_array_foreach(rows, i, row) {
		json_object_foreach_safe(row, tmp, key, v) {
			n = strlen(key);
			if (n < 4 || strcmp(key + n - 3, "_at") != 0 ||
			    !json_is_string(v))
				continue;
			json_object_set(row, arena_printf(r->arena, "%s_iso",
			    key), v);
			json_object_set_new(row, key, json_string(
			    format_datetime(text, sizeof(text),
			    json_string_value(v), r->lang)));
		}
	}
}

int
req_invalid(struct req *r, const char *what)
{
	const char	*key, *list;
	json_t		*v;

	list = NULL;
	json_object_foreach(r->err.fields, key, v)
		list = list == NULL ? key : arena_printf(r->arena, "%s, %s",
		    list, key);
	return err_set(&r->err, ERR_INVALID, "invalid %s: %s", what,
	    list != NULL ? list : "see fields");
}

const char *
req_t(struct req *r, const char *key)
{
	const char	*s;

	if (the_app == NULL)		/* a background request */
		return key;
	s = json_string_value(json_object_get(view_catalog(the_app->view,
	    r->lang), key));
	return s != NULL ? s : key;
}


const char *
req_actor(struct req *r)
{
	return r->who.kind == AUTH_APIKEY ? arena_printf(r->arena,
	    "%s (API key %lld)", r->who.username, r->who.apikey_id) :
	    r->who.username != NULL ? r->who.username : "anonymous";
}

int
req_audit(struct req *r, const char *action, const char *entity,
    const char *entity_id, json_t *before, json_t *after)
{
	const char	*p[8];

	p[0] = r->who.user_id > 0 ? arena_printf(r->arena, "%lld",
	    r->who.user_id) : NULL;
	p[1] = req_actor(r);
	p[2] = action;
	p[3] = entity;
	p[4] = entity_id;
	p[5] = arena_json_text(r->arena, before);
	p[6] = arena_json_text(r->arena, after);
	p[7] = r->request_id;
	return db_exec(r->db, r->arena, &st_audit, p, NULL, &r->err);
}

void
req_publish(struct req *r, const char *channel, json_t *event)
{
	live_publish(channel, event);
	json_decref(event);
}

/* ---- the request path ---- */

static int
is_unsafe(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

static int
wants_html(struct req *r)
{
	return r->route != NULL ? (r->route->flags & ROUTE_PAGE) != 0 :
	    strncmp(r->path, "/api/", 5) != 0 && strcmp(r->path, "/metrics")
	    != 0;
}

static json_t *
error_json(const struct err *e)
{
	json_t	*o;

	o = json_pack("{s:s, s:s}", "code", err_name(e->code), "message",
	    e->message[0] ? e->message : err_name(e->code));
	if (e->detail[0])
		json_object_set_new(o, "detail", json_string(e->detail));
	if (e->hint[0])
		json_object_set_new(o, "hint", json_string(e->hint));
	if (e->fields != NULL)
		json_object_set(o, "fields", e->fields);
	if (e->allowed[0] == '=')
		json_object_set_new(o, "allowed", json_words(e->allowed + 1));
	return json_pack("{s:o}", "error", o);
}

/*
 * The page key of a template: its last path part, except that a folder's
 * "index" is the folder ("settings/index" -> "settings").
 */
static const char *
page_key(struct req *r, const char *tpl, int *in_settings)
{
	const char	*slash;

	*in_settings = strncmp(tpl, "settings/", 9) == 0;
	if ((slash = strrchr(tpl, '/')) == NULL)
		return tpl;
	if (strcmp(slash + 1, "index") == 0)
		return arena_strndup(r->arena, tpl, (size_t)(slash - tpl));
	return slash + 1;
}

/* The base view every page gets (see docs/ui.md). */
static json_t *
page_view(struct req *r)
{
	json_t		*v;
	const char	*flash, *dot, *page;
	int		 in_settings;

	v = json_object();
	json_object_set(v, "t", view_catalog(the_app->view, r->lang));
	json_object_set_new(v, "lang", json_string(r->lang));
	json_object_set_new(v, arena_printf(r->arena, "lang_%s", r->lang),
	    json_true());
	json_object_set_new(v, "version", json_string(the_app->version));
	if (r->who.kind != AUTH_NONE) {
		json_object_set_new(v, "user", json_pack("{s:I, s:s, s:s, s:s}",
		    "id", (json_int_t)r->who.user_id, "username",
		    r->who.username, "role", r->who.role_name, "role_label",
		    req_t(r, arena_printf(r->arena, "role_%s",
		    r->who.role_name))));
		json_object_set_new(v, "is_owner",
		    json_boolean(r->who.role == ROLE_OWNER));
		json_object_set_new(v, "live_url",
		    json_string("/live/sub/dashboard"));
	}
	if (r->who.session_id != NULL)
		json_object_set_new(v, "csrf", json_string(auth_csrf_token(
		    r->arena, r->secret, r->who.session_id)));
	if ((flash = req_cookie_get(r, "py_flash")) != NULL &&
	    (dot = strchr(flash, '.')) != NULL &&
	    json_object_get(view_catalog(the_app->view, r->lang), dot + 1)) {
		json_object_set_new(v, "flash", json_pack("[{s:s%, s:s}]",
		    "kind", flash, (size_t)(dot - flash), "text",
		    req_t(r, dot + 1)));
		req_cookie(r, "py_flash", "", 0, 1);
	}
	page = page_key(r, r->route != NULL && r->route->template != NULL &&
	    r->err.code == ERR_OK ? r->route->template : "error",
	    &in_settings);
	json_object_set_new(v, "page", json_string(page));
	json_object_set_new(v, arena_printf(r->arena, "nav_%s", page),
	    json_true());
	if (in_settings)
		json_object_set_new(v, "nav_settings", json_true());
	json_object_set_new(v, "title", json_string(req_t(r,
	    arena_printf(r->arena, "page_%s", page))));
	arena_json(r->arena, v);
	return v;
}

static void
render_error(struct req *r)
{
	json_t	*v, *ej;
	int	 status;

	status = err_http_status(r->err.code);
	r->status = status;
	buf_reset(&r->body_out);
	if (r->err.code == ERR_UNAVAILABLE)
		req_header(r, "Retry-After", arena_printf(r->arena, "%ld",
		    r->cfg->db_retry_after));
	ej = error_json(&r->err);
	arena_json(r->arena, ej);
	if (wants_html(r) && the_app->view != NULL) {
		v = page_view(r);
		json_object_set_new(v, "status", json_integer(status));
		json_object_set(v, "error", json_object_get(ej, "error"));
		r->content_type_out = "text/html; charset=utf-8";
		if (view_render(the_app->view, "error", v, &r->body_out,
		    &r->err) == 0)
			return;
		buf_reset(&r->body_out);
	}
	r->content_type_out = "application/json";
	buf_addstr(&r->body_out, arena_json_text(r->arena, ej));
}

/* Reads the request's pieces from the CGI-style parameters. */
static void
req_begin(struct req *r, struct app *app)
{
	r->cfg = app->cfg;
	r->secret = &app->secret;
	r->db = app->db;
	r->status = 200;
	r->route_index = -1;
	r->args = json_object();
	arena_json(r->arena, r->args);
	buf_init(&r->headers, HEADERS_MAX);
	buf_on_arena(&r->headers, r->arena);
	buf_init(&r->body_out, OUT_MAX);
	buf_on_arena(&r->body_out, r->arena);
	err_clear(&r->err);
}

static int
split_uri(struct req *r)
{
	const char	*q;
	char		*path;

	if (r->uri == NULL || r->uri[0] != '/')
		return err_set(&r->err, ERR_BAD_REQUEST, "bad request URI");
	q = strchr(r->uri, '?');
	if (http_urldecode(r->arena, r->uri, q ? (size_t)(q - r->uri) :
	    strlen(r->uri), 0, &path, &r->err) != 0)
		return r->err.code;
	r->path = path;
	if (r->query == NULL)
		r->query = q ? q + 1 : "";
	return 0;
}

static int
read_input(struct req *r)
{
	const char	*ct;

	if (r->body_len == 0 || !is_unsafe(r->method))
		return 0;
	ct = r->content_type != NULL ? r->content_type : "";
	if (r->route->flags & ROUTE_RAW)
		return 0;
	if (strncmp(ct, "application/x-www-form-urlencoded", 33) == 0)
		return http_parse_form(r->arena, r->body, r->body_len,
		    &r->input, &r->err);
	if (strncmp(ct, "application/json", 16) != 0 && ct[0] != '\0')
		return err_set(&r->err, ERR_BAD_REQUEST,
		    "send the body as application/json");
	return http_parse_json(r->arena, r->body, r->body_len, &r->input,
	    &r->err);
}

static int
authorise(struct req *r)
{
	const struct route	*rt = r->route;

	if (rt->roles & ROLE_PUBLIC)
		return 0;
	if (r->who.kind == AUTH_NONE) {
		if (rt->flags & ROUTE_PAGE) {
			req_redirect(r, arena_printf(r->arena, "/login?next=%s",
			    r->path));
			return -1;
		}
		return err_set(&r->err, ERR_UNAUTHORIZED,
		    "log in or send an API key");
	}
	if (!(rt->roles & r->who.role))
		return err_set(&r->err, ERR_FORBIDDEN,
		    "your role (%s) may not do this", r->who.role_name);
	if (is_unsafe(r->method) && !r->who.can_write)
		return err_set(&r->err, ERR_FORBIDDEN,
		    "this API key may only read");
	return 0;
}

static const char *
principal_name(struct req *r)
{
	return r->who.kind == AUTH_APIKEY ?
	    arena_printf(r->arena, "key:%lld", r->who.apikey_id) :
	    r->who.user_id > 0 ? arena_printf(r->arena, "user:%lld",
	    r->who.user_id) : arena_printf(r->arena, "anon:%s",
	    r->remote_addr ? r->remote_addr : "");
}

/*
 * Claims the key inside the request's transaction.  A second request with
 * the same key waits on the row lock until the first commits, then reads
 * its stored answer.  Returns 1 when the stored answer was replayed.
 */
static int
idem_claim(struct req *r, const char **hash)
{
	json_t		*row;
	const char	*p[4];
	char		 h[65];
	struct buf	 all;

	if (strlen(r->idem_key) > 255 || r->idem_key[0] == '\0') {
		err_set(&r->err, ERR_BAD_REQUEST,
		    "Idempotency-Key must be 1 to 255 characters");
		return -1;
	}
	buf_init(&all, r->body_len + strlen(r->method) + strlen(r->path) + 8);
	buf_printf(&all, "%s %s\n", r->method, r->path);
	buf_add(&all, r->body, r->body_len);
	sha256_hex(all.data, all.len, h);
	buf_free(&all);
	*hash = arena_strdup(r->arena, h);
	p[0] = principal_name(r);
	p[1] = r->idem_key;
	p[2] = r->route->path;
	p[3] = *hash;
	if (db_one(r->db, r->arena, &st_idem_claim, p, &row, &r->err) != 0)
		return -1;
	if (row != NULL)
		return 0;
	if (db_one(r->db, r->arena, &st_idem_get, p, &row, &r->err) != 0)
		return -1;
	if (row == NULL) {
		err_set(&r->err, ERR_CONFLICT,
		    "a request with this Idempotency-Key is in progress");
		return -1;
	}
	if (strcmp(json_string_value(json_object_get(row, "request_hash")),
	    *hash) != 0) {
		err_set(&r->err, ERR_INVALID, "this Idempotency-Key was used "
		    "for a different request");
		err_hint(&r->err, "use a new key for a new request");
		return -1;
	}
	r->status = (int)json_integer_value(json_object_get(row, "status"));
	req_json(r, r->status, json_loads(json_string_value(json_object_get(row,
	    "response")), JSON_DECODE_ANY, NULL));
	req_header(r, "Idempotent-Replayed", "true");
	return 1;
}

static int
run_handler(struct req *r)
{
	const char	*hash, *p[4];
	int		 tx, rc, tries, replay;

	tx = is_unsafe(r->method) && !(r->route->flags & (ROUTE_NO_TX |
	    ROUTE_NO_DB));
	for (tries = 0; tries < 2; tries++) {
		if (tx && db_begin(r->db, &r->err) != 0)
			return r->err.code;
		if (tx && r->idem_key != NULL &&
		    (r->route->flags & ROUTE_IDEMPOTENT)) {
			replay = idem_claim(r, &hash);
			if (replay != 0) {
				db_rollback(r->db);
				return replay > 0 ? 0 : r->err.code;
			}
		} else
			hash = NULL;
		rc = r->route->handler(r);
		if (rc == 0 && tx && hash != NULL) {
			/* Store the answer in the same transaction. */
			p[0] = principal_name(r);
			p[1] = r->idem_key;
			p[2] = arena_printf(r->arena, "%d", r->status);
			p[3] = arena_json_text(r->arena, r->out != NULL ? r->out :
			    json_null());
			rc = db_exec(r->db, r->arena, &st_idem_store, p, NULL,
			    &r->err);
		}
		if (rc == 0 && tx)
			rc = db_commit(r->db, &r->err);
		if (rc == 0)
			return 0;
		if (tx)
			db_rollback(r->db);
		if (!(tx && db_should_retry(r->db)))
			return rc;
		/* Serialization failure: run the whole handler once more. */
		err_clear(&r->err);
		buf_reset(&r->headers);
		req_json(r, 200, NULL);
	}
	return r->err.code;
}

static void
render_ok(struct req *r)
{
	json_t		*v, *base;
	const char	*key;
	json_t		*val;

	if (r->location != NULL || r->status == 204)
		return;
	/* a raw route wrote its own body, or answers JSON like any other */
	if ((r->route->flags & ROUTE_RAW) && (r->content_type_out != NULL ||
	    r->body_out.len > 0))
		return;
	if (r->route->flags & ROUTE_PAGE) {
		base = page_view(r);
		v = r->out;
		if (v != NULL)
			json_object_foreach(v, key, val)
				json_object_set(base, key, val);
		r->content_type_out = "text/html; charset=utf-8";
		if (view_render(the_app->view, r->template != NULL ?
		    r->template : r->route->template, base, &r->body_out,
		    &r->err) != 0)
			render_error(r);
		return;
	}
	r->content_type_out = "application/json";
	if (r->out_json != NULL)
		buf_addstr(&r->body_out, r->out_json);
	else if (r->out == NULL)
		buf_addstr(&r->body_out, "{}");
	else if (json_to_buf(&r->body_out, r->out) != 0) {
		buf_reset(&r->body_out);
		err_set(&r->err, ERR_TOO_LARGE, "the answer is larger than "
		    "this server sends");
		render_error(r);
	}
}

/*
 * A field message in the request's language: the catalog's
 * "error: <message>" when it has one (fixed messages such as "is
 * required"), else the message as it is.
 */
static json_t *
form_message(struct req *r, json_t *msg)
{
	json_t	*cat, *t;

	cat = view_catalog(the_app->view, r->lang);
	t = json_object_get(cat, arena_printf(r->arena, "error: %s",
	    json_string_value(msg) != NULL ? json_string_value(msg) : ""));
	return json_is_string(t) ? json_incref(t) : json_incref(msg);
}

/*
 * A form that failed validation or hit a conflict is shown again: the GET
 * handler of the same path fills the page, and the view gets the message
 * as an error flash, the per-field messages as `errors` and the submitted
 * values (never passwords or the CSRF token) as `form`.  Returns 0 when
 * the page was rendered.
 */
static int
form_redisplay(struct req *r)
{
	const struct route	*post = r->route, *get;
	struct err		 saved;
	const char		*allow, *key;
	json_t			*form, *val, *errors, *msg;
	int			 idx, status;

	if ((post->flags & (ROUTE_PAGE | ROUTE_FORM)) !=
	    (ROUTE_PAGE | ROUTE_FORM) || (r->err.code != ERR_INVALID &&
	    r->err.code != ERR_CONFLICT) || r->who.kind == AUTH_NONE)
		return -1;
	saved = r->err;
	r->err.fields = NULL;
	err_clear(&r->err);
	/* The GET route's own rules type its path parameters ({id}). */
	if (router_match(r->arena, "GET", r->path, r->args, &idx, &allow,
	    &r->err) != 0 || (get = router_entry((size_t)idx)->route) ==
	    NULL || !(get->roles & r->who.role) || get->template == NULL ||
	    strcmp(get->template, post->template) != 0 ||
	    params_validate(get, NULL, NULL, r->args, &r->err) != 0) {
		err_clear(&r->err);
		r->err = saved;
		return -1;
	}
	if (r->out != NULL)
		json_decref(r->out);
	r->out = NULL;
	if (get->handler(r) != 0 || r->out == NULL) {
		err_clear(&r->err);
		r->err = saved;
		return -1;
	}
	form = json_object();
	json_object_foreach(r->input, key, val)
		if (strcmp(key, "_csrf") != 0 && strstr(key, "password") ==
		    NULL)
			json_object_set(form, key, val);
	json_object_set_new(r->out, "form", form);
	if (saved.fields != NULL) {
		errors = json_object();
		json_object_foreach(saved.fields, key, val)
			json_object_set_new(errors, key, form_message(r, val));
		json_object_set_new(r->out, "errors", errors);
	}
	/*
	 * The message above the form: in the catalog's words when it has
	 * them; else, in a language other than the messages' English, one
	 * sentence that points at the marked fields.
	 */
	val = json_string(saved.message);
	msg = form_message(r, val);
	json_decref(val);
	json_object_set_new(r->out, "flash", json_pack("[{s:s, s:o}]", "kind",
	    "error", "text", saved.fields != NULL && strcmp(
	    json_string_value(msg), saved.message) == 0 && strcmp(r->lang,
	    "en") != 0 ? json_string(req_t(r, "form_has_errors")) : msg));
	status = err_http_status(saved.code);
	json_decref(saved.fields);
	render_ok(r);
	r->status = status;
	return 0;
}

void
server_handle(struct app *app, struct req *r)
{
	const char	*allow;
	json_t		*query;
	long		 limit;
	int		 rc;

	req_begin(r, app);
	if (r->method == NULL)
		r->method = "GET";
	r->lang = view_pick_lang(r->accept_language);
	if (split_uri(r) != 0)
		goto fail;
	http_parse_cookies(r->arena, r->cookie_header, &r->cookies,
	    &r->ncookies);
	if (http_parse_form(r->arena, r->query, strlen(r->query), &query,
	    &r->err) != 0)
		goto fail;
	if (router_match(r->arena, r->method, r->path, r->args,
	    &r->route_index, &allow, &r->err) != 0) {
		if (allow != NULL)
			req_header(r, "Allow", allow);
		goto fail;
	}
	r->route = router_entry((size_t)r->route_index)->route;
	limit = r->route->flags & ROUTE_UPLOAD ? r->cfg->upload_max :
	    r->cfg->body_max;
	if (r->body_len > (size_t)limit) {
		err_set(&r->err, ERR_TOO_LARGE, "the body is larger than %ld "
		    "bytes", limit);
		goto fail;
	}
	if (!(r->route->flags & ROUTE_NO_DB) && !db_ready(r->db, &r->err))
		goto fail;
	if (read_input(r) != 0)
		goto fail;
	if (!(r->route->flags & ROUTE_NO_DB) && auth_authenticate(r) != 0)
		goto fail;
	if (r->who.locale != NULL)
		r->lang = r->who.locale;
	else if (req_cookie_get(r, "py_lang") != NULL &&
	    strcmp(req_cookie_get(r, "py_lang"), "de") == 0)
		r->lang = "de";
	else if (req_cookie_get(r, "py_lang") != NULL)
		r->lang = "en";
	if ((rc = authorise(r)) != 0) {
		if (rc < 0)
			goto done;
		goto fail;
	}
	if (is_unsafe(r->method) && (r->who.kind == AUTH_COOKIE ||
	    ((r->route->flags & ROUTE_FORM) && r->who.kind == AUTH_NONE)) &&
	    auth_check_csrf(r) != 0)
		goto fail;
	if (params_validate(r->route, query, r->input, r->args, &r->err) != 0)
		goto fail;
	if (run_handler(r) != 0)
		goto fail;
	render_ok(r);
	goto done;
fail:
	if (r->route != NULL && form_redisplay(r) == 0)
		goto done;
	render_error(r);
done:
	return;
}

/* ---- the FastCGI loop ---- */

static const char *
status_text(int s)
{
	switch (s) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return s >= 500 ? "Internal Server Error" : "OK";
	}
}

/* Parameters are copied: libfcgi frees them when the request finishes. */
static const char *
param(struct arena *a, FCGX_Request *fr, const char *name)
{
	const char	*v;

	v = FCGX_GetParam(name, fr->envp);
	return v != NULL ? arena_strdup(a, v) : NULL;
}

/*
 * Reads the body into body, up to its ceiling; a longer body is refused
 * unread.  body lives as long as the worker and keeps its memory between
 * requests: a 50 MB upload would otherwise map 50 MB afresh each time,
 * and fault it in page by page as it is read.
 */
static void
read_body(struct req *r, FCGX_Request *fr, struct buf *body)
{
	const char	*cl;
	char		*end, *p;
	long long	 n;
	int		 got, want;
	size_t		 have;

	cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp);
	if (cl == NULL || *cl == '\0')
		return;
	n = strtoll(cl, &end, 10);
	if (*end != '\0' || n < 0)
		return;
	buf_reset(body);
	if ((unsigned long long)n > body->max ||
	    buf_reserve(body, (size_t)n) != 0) {
		r->body_len = (size_t)n;	/* server_handle answers 413 */
		r->body = "";
		return;
	}
	p = body->data;
	for (have = 0; have < (size_t)n; have += (size_t)got) {
		want = (int)((size_t)n - have);
		got = FCGX_GetStr(p + have, want, fr->in);
		if (got <= 0)
			break;
	}
	p[have] = '\0';
	r->body = p;
	r->body_len = have;
}

/* Header block built with our own formatter; libfcgi's printf is partial. */
static void
write_answer(struct req *r, FCGX_Request *fr)
{
	struct buf	h;
	int		head;

	head = strcmp(r->method, "HEAD") == 0;
	buf_init(&h, HEADERS_MAX * 2);
	buf_printf(&h, "Status: %d %s\r\n", r->status,
	    status_text(r->status));
	if (r->location != NULL)
		buf_printf(&h, "Location: %s\r\n", r->location);
	if (r->content_type_out != NULL)
		buf_printf(&h, "Content-Type: %s\r\n", r->content_type_out);
	if (r->path != NULL && strncmp(r->path, "/api/", 5) == 0)
		buf_addstr(&h, "Cache-Control: no-store\r\n");
	if (r->headers.len > 0)
		buf_add(&h, r->headers.data, r->headers.len);
	buf_printf(&h, "Content-Length: %zu\r\n\r\n", head ? 0 :
	    r->body_out.len);
	FCGX_PutStr(h.data, (int)h.len, fr->out);
	buf_free(&h);
	if (!head && r->body_out.len > 0)
		FCGX_PutStr(r->body_out.data, (int)r->body_out.len, fr->out);
}

static double
now_seconds(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Waits for a connection and hands it to libfcgi.  The wait is a poll(),
 * which a signal always interrupts, so a worker told to stop while idle
 * stops at once; once a connection is accepted, reads and writes are never
 * interrupted (the worker's handlers use SA_RESTART), so a reload or stop
 * never cuts a request short.  The listening socket is non-blocking:
 * when another worker wins the race for a connection, accept() says
 * EAGAIN and this one waits again.  Returns 0 when fr holds a request.
 */
static int
next_connection(int fd, volatile sig_atomic_t *stop, FCGX_Request *fr)
{
	struct pollfd	pfd;
	int		c;

	pfd.fd = fd;
	pfd.events = POLLIN;
	if (*stop || poll(&pfd, 1, 1000) <= 0 || *stop)
		return -1;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return -1;
	/* A connection already in place is read instead of accepting one. */
	fr->ipcFd = c;
	fr->keepConnection = 1;
	if (FCGX_Accept_r(fr) < 0) {
		if (fr->ipcFd >= 0)
			close(fr->ipcFd);
		fr->ipcFd = -1;
		return -1;
	}
	return 0;
}

/*
 * Ends the request.  Closing a socket whose input still holds bytes makes
 * the kernel reset the connection, on a unix socket as over TCP: nginx
 * then fails with "Connection reset by peer while reading upstream"
 * although the whole answer was written, and its client gets the headers
 * without the body.  Bytes are often still there: the record that ends
 * the request body, or a body the worker refused unread.  So libfcgi
 * flushes the answer without closing (keepConnection), this side is shut
 * for writing, and what nginx still sends is read and dropped until nginx
 * hangs up (it does on the end of the answer, fastcgi_keep_conn off), for
 * at most FINISH_DRAIN_MS.
 */
static void
finish_connection(FCGX_Request *fr)
{
	struct pollfd	pfd;
	char		trash[4096];
	double		end;
	int		fd, left;

	fr->keepConnection = 1;
	FCGX_Finish_r(fr);
	fd = fr->ipcFd;
	fr->ipcFd = -1;
	if (fd < 0)
		return;
	if (shutdown(fd, SHUT_WR) == 0) {
		end = now_seconds() + FINISH_DRAIN_MS / 1000.0;
		pfd.fd = fd;
		pfd.events = POLLIN;
		while ((left = (int)((end - now_seconds()) * 1000)) > 0 &&
		    poll(&pfd, 1, left) > 0 &&
		    read(fd, trash, sizeof(trash)) > 0)
			;
	}
	close(fd);
}

void
server_worker(struct app *app, int fd, volatile sig_atomic_t *stop,
    long max_requests)
{
	FCGX_Request	 fr;
	struct req	 r;
	struct buf	 body;
	struct arena	*a;
	unsigned long	 dberr, dberr_seen;
	double		 t0, took;
	long		 served;
	char		 status[8], ms[32];

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	FCGX_Init();
	FCGX_InitRequest(&fr, fd, 0);
	a = arena_new(64 * 1024);
	buf_init(&body, (size_t)(app->cfg->upload_max > app->cfg->body_max ?
	    app->cfg->upload_max : app->cfg->body_max));
	dberr_seen = 0;
	for (served = 0; !*stop && (max_requests == 0 ||
	    served < max_requests); served++) {
		if (next_connection(fd, stop, &fr) != 0) {
			served--;
			continue;
		}
		t0 = now_seconds();
		memset(&r, 0, sizeof(r));
		r.arena = a;
		r.method = param(a, &fr, "REQUEST_METHOD");
		r.uri = param(a, &fr, "REQUEST_URI");
		r.query = param(a, &fr, "QUERY_STRING");
		r.request_id = param(a, &fr, "REQUEST_ID");
		r.remote_addr = param(a, &fr, "REMOTE_ADDR");
		r.user_agent = param(a, &fr, "HTTP_USER_AGENT");
		r.accept_language = param(a, &fr, "HTTP_ACCEPT_LANGUAGE");
		r.content_type = param(a, &fr, "CONTENT_TYPE");
		r.authorization = param(a, &fr, "HTTP_AUTHORIZATION");
		r.csrf_header = param(a, &fr, "HTTP_X_CSRF_TOKEN");
		r.idem_key = param(a, &fr, "HTTP_IDEMPOTENCY_KEY");
		r.cookie_header = param(a, &fr, "HTTP_COOKIE");
		read_body(&r, &fr, &body);
		server_handle(app, &r);
		write_answer(&r, &fr);
		finish_connection(&fr);
		took = now_seconds() - t0;
		metrics_request(r.route_index, r.status, took);
		dberr = db_error_count(app->db);
		metrics_db_errors(dberr - dberr_seen);
		dberr_seen = dberr;
		snprintf(status, sizeof(status), "%d", r.status);
		snprintf(ms, sizeof(ms), "%.2f", took * 1000);
		log_kv(r.status >= 500 ? LOG_WARN : LOG_INFO, "request",
		    "request_id", r.request_id ? r.request_id : "",
		    "method", r.method ? r.method : "",
		    "path", r.path ? r.path : (r.uri ? r.uri : ""),
		    "status", status, "ms", ms,
		    "user", r.who.username ? r.who.username : "-",
		    r.err.code >= ERR_INTERNAL ? "error" : NULL,
		    r.err.message, NULL);
		arena_reset(a);
	}
	arena_free(a);
	buf_free(&body);
}
