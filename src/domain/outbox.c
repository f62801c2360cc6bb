/*
 * outbox.c -- queueing mail in a business transaction, delivering it
 * from the jobs worker.
 *
 * Taking rows is a lease, not a held lock: one statement picks due rows
 * with FOR UPDATE SKIP LOCKED, counts the attempt and moves their
 * next_attempt_at OUTBOX_LEASE_S ahead, and commits at once.  No
 * transaction stays open while a mail server is slow, several workers
 * never take the same row, and a row whose worker died comes back when
 * the lease ends (it may then go out twice; its Message-ID, fixed on the
 * first attempt, lets the receiver tell).
 */
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "db/db.h"
#include "domain/jobs.h"
#include "domain/outbox.h"
#include "integrations/mail.h"

/* Only to check a mail before it is queued or sent: the other side's. */
#define CHECK_FROM	"check@printyard.invalid"
#define CHECK_ID	"<check@printyard.invalid>"

static const struct stmt outbox_stmts[] = {
	{ "outbox_insert",
	  "INSERT INTO mail_outbox (to_address, to_name, subject, text_body, "
	  "html_body, entity, entity_id) VALUES ($1, $2, $3, $4, $5, $6, $7) "
	  "RETURNING id", 7 },
	/* a one-off run besides the recurring one, at most one waiting */
	{ "outbox_kick",
	  "INSERT INTO jobs (kind, unique_key) VALUES ('deliver_mail', "
	  "'deliver_mail:now') ON CONFLICT DO NOTHING", 0 },
	/* $1 rows, $2 the sender's domain for new Message-IDs, $3 lease */
	{ "outbox_take",
	  "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = "
	  "now() + make_interval(secs => $3::int), message_id = "
	  "coalesce(message_id, '<' || gen_random_uuid() || '@' || $2 || "
	  "'>') WHERE id IN (SELECT id FROM mail_outbox WHERE state = "
	  "'queued' AND next_attempt_at <= now() ORDER BY next_attempt_at, "
	  "id LIMIT $1::int FOR UPDATE SKIP LOCKED) RETURNING id, "
	  "to_address, to_name, subject, text_body, html_body, entity, "
	  "entity_id, message_id, attempts", 3 },
	{ "outbox_sent",
	  "UPDATE mail_outbox SET state = 'sent', sent_at = now(), "
	  "last_error = NULL WHERE id = $1 AND state = 'queued'", 1 },
	/* $3 true: permanent; a temporary one fails after $4 attempts */
	{ "outbox_not_sent",
	  "UPDATE mail_outbox SET state = CASE WHEN $3::boolean OR attempts "
	  ">= $4::int THEN 'failed' ELSE 'queued' END::mail_state, "
	  "last_error = left($2, 2000), next_attempt_at = now() + "
	  "make_interval(secs => least($5::int, 30 * power(2, attempts - "
	  "1))) WHERE id = $1 AND state = 'queued' RETURNING state::text AS "
	  "state", 5 },
	{ "outbox_disabled",
	  "WITH u AS (UPDATE mail_outbox SET last_error = $1 WHERE state = "
	  "'queued' AND last_error IS DISTINCT FROM $1 RETURNING 1) SELECT "
	  "(SELECT count(*) FROM mail_outbox WHERE state = 'queued') AS n, "
	  "(SELECT count(*) FROM u) AS marked", 1 },
	{ "outbox_audit",
	  "INSERT INTO audit_log (actor, action, entity, entity_id, after) "
	  "VALUES ('jobs', $1, 'mail_outbox', $2, $3::jsonb)", 3 },
};

enum { ST_INSERT, ST_KICK, ST_TAKE, ST_SENT, ST_NOT_SENT, ST_DISABLED,
    ST_AUDIT };

enum outcome { SENT, RETRYING, FAILED };

void
outbox_register(void)
{
	db_register(outbox_stmts, sizeof(outbox_stmts) /
	    sizeof(outbox_stmts[0]));
}

/* Composes m for nothing but its errors (the message is thrown away). */
static int
outbox_check(struct mail *m, struct err *e)
{
	struct buf	b;
	int		rc;

	m->message_id = CHECK_ID;
	buf_init(&b, MAIL_MESSAGE_MAX);
	rc = mail_compose(m, &b, e);
	buf_free(&b);
	return rc;
}

int
outbox_queue(struct db *db, struct arena *a, const char *to,
    const char *to_name, const char *subject, const char *text,
    const char *html, const char *entity, const char *entity_id,
    struct err *e)
{
	struct mail	 m;
	const char	*p[7];

	if ((entity == NULL) != (entity_id == NULL))
		return err_set(e, ERR_INVALID, "a mail is about an entity and "
		    "its id, or about nothing");
	memset(&m, 0, sizeof(m));
	m.from = CHECK_FROM;
	m.to = to;
	m.to_name = to_name;
	m.subject = subject;
	m.text = text;
	m.html = html;
	if (outbox_check(&m, e) != 0)
		return e->code;
	p[0] = to;
	p[1] = to_name != NULL && *to_name != '\0' ? to_name : NULL;
	p[2] = subject;
	p[3] = text;
	p[4] = html != NULL && *html != '\0' ? html : NULL;
	p[5] = entity;
	p[6] = entity_id;
	if (db_exec(db, a, &outbox_stmts[ST_INSERT], p, NULL, e) != 0 ||
	    db_exec(db, a, &outbox_stmts[ST_KICK], NULL, NULL, e) != 0)
		return e->code;
	return 0;
}

/* What the audit row and the log say about one mail. */
static json_t *
outbox_summary(struct arena *a, json_t *row, const char *error)
{
	json_t	*s;

	s = arena_json(a, json_pack("{s:O, s:O, s:O, s:O}", "to",
	    json_object_get(row, "to_address"), "subject",
	    json_object_get(row, "subject"), "message_id",
	    json_object_get(row, "message_id"), "attempts",
	    json_object_get(row, "attempts")));
	if (json_row_str(row, "entity") != NULL)
		json_object_set_new(s, "about", json_pack("{s:O, s:O}",
		    "entity", json_object_get(row, "entity"), "id",
		    json_object_get(row, "entity_id")));
	if (error != NULL)
		json_object_set_new(s, "error", json_string(error));
	return s;
}

/* Writes what became of one mail, with its audit row, in one transaction. */
static int
outbox_record(struct job *j, json_t *row, const struct err *why,
    enum outcome *out, struct err *e)
{
	const char	*p[5], *id, *state;
	json_t		*res;

	id = arena_printf(j->arena, "%lld", json_row_int(row, "id"));
	if (db_begin(j->db, e) != 0)
		return e->code;
	if (why == NULL) {
		*out = SENT;
		if (db_exec(j->db, j->arena, &outbox_stmts[ST_SENT], &id, NULL,
		    e) != 0)
			goto fail;
	} else {
		p[0] = id;
		p[1] = why->message;
		p[2] = why->code == ERR_INVALID ? "true" : "false";
		p[3] = arena_printf(j->arena, "%d", OUTBOX_MAX_ATTEMPTS);
		p[4] = arena_printf(j->arena, "%d", OUTBOX_BACKOFF_MAX_S);
		if (db_one(j->db, j->arena, &outbox_stmts[ST_NOT_SENT], p,
		    &res, e) != 0)
			goto fail;
		state = res != NULL ? json_row_str(res, "state") : "failed";
		*out = strcmp(state, "queued") == 0 ? RETRYING : FAILED;
	}
	if (*out != RETRYING) {
		p[0] = *out == SENT ? "mail_sent" : "mail_failed";
		p[1] = id;
		p[2] = arena_json_text(j->arena, outbox_summary(j->arena, row,
		    why != NULL ? why->message : NULL));
		if (db_exec(j->db, j->arena, &outbox_stmts[ST_AUDIT], p, NULL,
		    e) != 0)
			goto fail;
	}
	if (db_commit(j->db, e) != 0)
		goto fail;
	log_kv(*out == SENT ? LOG_INFO : LOG_WARN, *out == SENT ? "mail sent" :
	    *out == RETRYING ? "mail will be retried" : "mail failed",
	    "mail_id", id, "job_id", arena_printf(j->arena, "%lld", j->id),
	    "error", why != NULL ? why->message : "", NULL);
	return 0;
fail:
	db_rollback(j->db);
	return e->code;
}

/* Composes and sends one taken row; *why is cleared when it went out. */
static void
outbox_deliver(struct job *j, const struct mail_server *srv, json_t *row,
    struct err *why)
{
	const struct config	*cfg = j->cfg;
	struct mail		 m;
	struct buf		 b;

	memset(&m, 0, sizeof(m));
	m.from = cfg->smtp_from;
	m.from_name = cfg->smtp_from_name;
	m.to = json_row_str(row, "to_address");
	m.to_name = json_row_str(row, "to_name");
	m.subject = json_row_str(row, "subject");
	m.text = json_row_str(row, "text_body");
	m.html = json_row_str(row, "html_body");
	m.message_id = json_row_str(row, "message_id");
	m.date = time(NULL);
	buf_init(&b, MAIL_MESSAGE_MAX);
	/* a mail that cannot be composed never will be: permanent */
	if (mail_compose(&m, &b, why) == 0)
		mail_send(srv, m.from, m.to, b.data, b.len, why);
	else
		why->code = ERR_INVALID;
	buf_free(&b);
}

int
mail_job(struct job *j, json_t **result, struct err *e)
{
	const struct config	*cfg = j->cfg;
	struct mail_server	 srv;
	struct mail		 m;
	struct err		 why;
	enum outcome		 out = FAILED;
	json_t			*rows, *row;
	const char		*p[3], *at;
	size_t			 i;
	long			 n[3] = { 0, 0, 0 };
	int			 total, server_down;

	if (cfg == NULL || cfg->smtp_url[0] == '\0') {
		p[0] = "not sent: mail is off (smtp_url is not set)";
		if (db_one(j->db, j->arena, &outbox_stmts[ST_DISABLED], p,
		    &row, e) != 0)
			return e->code;
		*result = json_pack("{s:b, s:O}", "disabled", 1, "queued",
		    json_object_get(row, "n"));
		return 0;
	}
	/*
	 * A sender that cannot be composed is the shop's to fix: the job
	 * fails and the mail stays queued, rather than every row failing.
	 */
	memset(&why, 0, sizeof(why));
	memset(&m, 0, sizeof(m));
	m.from = cfg->smtp_from;
	m.from_name = cfg->smtp_from_name;
	m.to = CHECK_FROM;
	m.subject = "check";
	m.text = "check";
	if (outbox_check(&m, &why) != 0)
		return err_set(e, ERR_INVALID, "smtp_from or smtp_from_name "
		    "cannot be sent: %s", why.message);
	memset(&srv, 0, sizeof(srv));
	srv.url = cfg->smtp_url;
	srv.user = cfg->smtp_user;
	srv.password = cfg->smtp_password;
	srv.starttls = cfg->smtp_starttls != 0;
	at = strchr(cfg->smtp_from, '@');
	p[0] = arena_printf(j->arena, "%d", OUTBOX_BATCH);
	p[1] = at != NULL ? at + 1 : "printyard.invalid";
	p[2] = arena_printf(j->arena, "%d", OUTBOX_LEASE_S);
	total = 0;
	server_down = 0;
	while (total < OUTBOX_PER_RUN && !server_down) {
		if (db_exec(j->db, j->arena, &outbox_stmts[ST_TAKE], p, &rows,
		    e) != 0)
			return e->code;
		if (json_array_size(rows) == 0)
			break;
		json_array_foreach(rows, i, row) {
			memset(&why, 0, sizeof(why));
			outbox_deliver(j, &srv, row, &why);
			if (outbox_record(j, row, why.code != 0 ? &why : NULL,
			    &out, e) != 0)
				return e->code;
			n[out]++;
			total++;
			/* the rest of this batch is tried; no more are taken */
			if (why.code == ERR_UNAVAILABLE)
				server_down = 1;
		}
	}
	*result = json_pack("{s:i, s:i, s:i}", "sent", (int)n[SENT],
	    "retrying", (int)n[RETRYING], "failed", (int)n[FAILED]);
	return 0;
}
