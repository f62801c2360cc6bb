/*
 * req.h -- the request, the route table and the handler contract.
 *
 * By the time a handler runs, the framework has parsed the request,
 * authenticated the caller, checked the route's role and scope, validated
 * path, query and body parameters into r->args, and (for unsafe methods)
 * opened the transaction.  A handler reads r->args, talks to the database
 * through r->db, fills r->out (JSON answer or page view) and returns 0 or
 * an error code with r->err filled.  It never writes to the socket.
 */
#ifndef PY_REQ_H
#define PY_REQ_H

#include <stddef.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

struct arena;
struct config;
struct db;
struct secret;
struct req;

/* Roles as bits so a route can name several. */
#define ROLE_OWNER	0x01
#define ROLE_STAFF	0x02
#define ROLE_ACCOUNTANT	0x04
#define ROLE_ANY	(ROLE_OWNER | ROLE_STAFF | ROLE_ACCOUNTANT)
#define ROLE_PUBLIC	0x80	/* no login needed */

/* Route flags. */
#define ROUTE_PAGE	0x01	/* answers HTML from a template */
#define ROUTE_IDEMPOTENT 0x02	/* honours Idempotency-Key */
#define ROUTE_NO_TX	0x04	/* unsafe method that manages its own writes */
#define ROUTE_NO_DB	0x08	/* answers without the database */
#define ROUTE_FORM	0x10	/* body is a urlencoded form, not JSON */
#define ROUTE_RAW	0x20	/* body unparsed; the handler may write the answer */
#define ROUTE_UPLOAD	0x40	/* body is a file: up to upload_max bytes */

enum param_in { IN_PATH, IN_QUERY, IN_BODY };
enum param_type { P_INT, P_STR, P_BOOL, P_ENUM, P_STRLIST, P_ANY };

struct param {
	const char	*name;
	enum param_in	 in;
	enum param_type	 type;
	int		 required;
	long long	 min;		/* P_INT: value; P_STR: length */
	long long	 max;
	const char	*choices;	/* P_ENUM and P_STRLIST: "a|b|c" */
};

/* Rules many routes share. */
#define PARAM_END	{ NULL, 0, 0, 0, 0, 0, NULL }
#define PARAM_PAGE	{ "limit", IN_QUERY, P_INT, 0, 1, 500, NULL }, \
			{ "offset", IN_QUERY, P_INT, 0, 0, 1000000000, NULL }
#define PARAM_ID	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }
/* A positive {id} in the path: the whole rule list of most item routes. */
extern const struct param	params_id[];
/* {id}, ?limit= and ?offset=: the rules of lists that belong to an item. */
extern const struct param	params_id_page[];
/* ?limit= and ?offset= alone: the rule list of plain list routes. */
extern const struct param	params_page[];

struct route {
	const char		*method;
	const char		*path;	/* "/api/v1/apikeys/{id}/revoke" */
	int			(*handler)(struct req *);
	unsigned		 roles;
	unsigned		 flags;
	const struct param	*params;	/* ends with a NULL name */
	const char		*template;	/* ROUTE_PAGE: template name */
};

struct stmt;

struct resource {
	const char		*name;
	const struct route	*routes;
	size_t			 nroutes;
	const struct stmt	*stmts;		/* prepared at connect */
	size_t			 nstmts;
};

enum auth_kind { AUTH_NONE, AUTH_COOKIE, AUTH_BEARER, AUTH_APIKEY };

struct principal {
	enum auth_kind	 kind;
	long long	 user_id;
	const char	*username;
	unsigned	 role;		/* one ROLE_ bit */
	const char	*role_name;
	const char	*locale;	/* user's choice or NULL */
	const char	*session_id;	/* cookie and bearer logins */
	int		 can_write;	/* API keys without the write scope: 0 */
	long long	 apikey_id;
	json_t		*user;		/* the user's public fields, as read */
};

struct kv {
	const char	*key;
	const char	*val;
};

struct req {
	struct arena		*arena;
	const struct config	*cfg;
	const struct secret	*secret;
	struct db		*db;

	/* Parsed request. */
	const char		*method;
	const char		*uri;
	const char		*path;
	const char		*query;
	const char		*request_id;
	const char		*remote_addr;
	const char		*user_agent;
	const char		*accept_language;
	const char		*content_type;
	const char		*authorization;
	const char		*csrf_header;
	const char		*cookie_header;
	const char		*idem_key;
	const char		*body;
	size_t			 body_len;
	struct kv		*cookies;
	size_t			 ncookies;
	json_t			*input;		/* JSON or form body, or NULL */
	json_t			*args;		/* validated parameters */

	/* Resolved by the framework. */
	const struct route	*route;
	int			 route_index;
	struct principal	 who;
	const char		*lang;

	/* The answer. */
	int			 status;
	json_t			*out;		/* JSON body or page view */
	const char		*out_json;	/* or a JSON body as text */
	const char		*template;	/* overrides route->template */
	const char		*location;	/* redirect target */
	const char		*content_type_out;
	struct buf		 headers;	/* extra header lines */
	struct buf		 body_out;	/* ROUTE_RAW handlers */
	struct err		 err;
};

/* Accessors for validated parameters (absent optional ones: def / NULL). */
long long	 req_int(struct req *, const char *, long long def);
const char	*req_str(struct req *, const char *);
int		 req_bool(struct req *, const char *, int def);
int		 req_has(struct req *, const char *);

/* Answer helpers for handlers. */
void		 req_json(struct req *, int status, json_t *body);
/* Answers JSON text made elsewhere (by the database), sent as it is. */
void		 req_json_text(struct req *, int status, const char *json);
void		 req_redirect(struct req *, const char *location);
void		 req_header(struct req *, const char *name, const char *val);
void		 req_cookie(struct req *, const char *name, const char *val,
		    long max_age, int http_only);
const char	*req_cookie_get(struct req *, const char *name);
/*
 * Answers with the file at rel inside the file store as a download named
 * name: nginx sends the bytes (X-Accel-Redirect to /_files/, see
 * nginx/printyard.conf.in), of any size.  ERR_NOT_FOUND when the file is
 * missing; ERR_INTERNAL for a path that could leave the store.
 */
int		 req_send_file(struct req *, const char *rel, const char *name);
/* Sets a one-shot flash message (catalog key) shown on the next page. */
void		 req_flash(struct req *, const char *kind, const char *key);
/*
 * For pages: every "..._at" time in each row object becomes display text
 * in the business time zone and the request's language; the original
 * stays as "..._at_iso" (for <time datetime=...>).
 */
void		 req_localize_times(struct req *, json_t *rows);
/*
 * Ends a validation that collected field errors: ERR_INVALID with the
 * message "invalid <what>: <field>, <field>".
 */
int		 req_invalid(struct req *, const char *what);
/* A small text for a catalog key in the request's language. */
const char	*req_t(struct req *, const char *key);

/* Who acts, as audit and ledger rows name them ("anna (API key 3)"). */
const char	*req_actor(struct req *);

/* Writes an audit row in the request's transaction. */
int		 req_audit(struct req *, const char *action, const char *entity,
		    const char *entity_id, json_t *before, json_t *after);

/*
 * Publishes a JSON event (with its "type") to a live channel, best effort
 * and logged; takes the event's reference.
 */
void		 req_publish(struct req *, const char *channel, json_t *event);

/*
 * Registers the statements of the framework and of every resource, which
 * a process that answers requests, or makes them (req_background),
 * prepares when its database connects.
 */
void		 req_register(void);
/*
 * A request made by a background process (the jobs worker) so that it
 * can run a resource's own code: no HTTP, the arena, configuration and
 * database given, acting as actor (audit rows name it) with the owner's
 * rights, in English.
 */
void		 req_background(struct req *, struct arena *,
		    const struct config *, struct db *, const char *actor);

#endif
