/*
 * bambu.c -- watches Bambu Lab printers: MQTT over TLS with libmosquitto,
 * driven by the worker's loop (no mosquitto thread).
 *
 * One connection per printer: user "bblp", password the access code,
 * subscribed to device/<serial>/report; a pushall request on connect and
 * at most every BAMBU_PUSHALL_S afterwards asks for a full report.  Every
 * report is merged into the printer's cache (parse/bambu.c) and the
 * normalised state handed to the worker as a poll result.  The server's
 * certificate must chain to the configured CA file and carry the serial
 * as its name (the address is only where to connect), so OpenSSL is
 * used here to set the expected name on the TLS context.
 *
 * A connection ends (bambu_watch_ended) on a refused CONNACK (reported
 * as POLL_AUTH for bad credentials), a lost connection, a handshake that
 * takes longer than BAMBU_CONNECT_S or a silence longer than
 * BAMBU_SILENT_S (POLL_UNREACHABLE); the worker then frees it outside
 * any mosquitto callback and reconnects with its backoff.
 *
 * Trust on first use (tls_mode 'tofu'): the certificate is accepted
 * without the CA and name checks, its SHA-256 is handed to the worker
 * to pin (p->tls_pin_new) and a later certificate with another
 * fingerprint is refused (p->tls_changed).  A verify callback records
 * why a handshake failed in words.  Commands (printers/control.c) are
 * published over the watch session (bambu_watch_send) and their replies
 * matched by sequence_id; a connection test is a session of its own
 * (bambu_probe_*) that ends at the CONNACK.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <mosquitto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/err.h"
#include "parse/bambu.h"
#include "printers/telemetry.h"

#define BAMBU_PUSHALL_S		300
#define BAMBU_CONNECT_S		10
#define BAMBU_SILENT_S		15
#define BAMBU_KEEPALIVE_S	30

/* What the certificate check saw (the SSL_CTX's app data). */
struct bambu_tls {
	char		 serial[40];
	int		 tofu;
	char		 pin[68];	/* tofu: the pinned fingerprint */
	char		 seen[68];	/* the server certificate's */
	const char	*code;		/* why it failed: tls_name, ... */
	char		 why[256];
};

struct bambu_conn {
	struct tel_printer	*p;
	struct mosquitto	*m;
	SSL_CTX			*ctx;
	struct bambu_cache	 cache;
	struct bambu_tls	 tls;
	poll_done_fn		 done;
	void			*arg;
	int			 connected;
	int			 ended;
	double			 started, last_msg, last_pushall;
	char			 report[80], request[80];
};

static int	lib_ready;

/*
 * Records the server certificate's fingerprint and why a check failed;
 * in tofu mode accepts any chain and name but refuses a certificate
 * other than the pinned one.
 */
static int
bambu_verify(int ok, X509_STORE_CTX *x)
{
	struct bambu_tls	*t;
	SSL			*ssl;
	X509			*leaf;
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 n, i;
	int			 err;

	ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl))) ==
	    NULL)
		return ok;
	if ((leaf = X509_STORE_CTX_get0_cert(x)) != NULL &&
	    X509_digest(leaf, EVP_sha256(), md, &n) == 1 && n == 32)
		for (i = 0; i < n; i++)
			snprintf(t->seen + 2 * i, 3, "%02x", md[i]);
	if (t->tofu) {
		if (X509_STORE_CTX_get_error_depth(x) != 0 || t->pin[0] ==
		    '\0' || strcmp(t->pin, t->seen) == 0)
			return 1;
		t->code = "cert_changed";
		snprintf(t->why, sizeof(t->why), "certificate changed since "
		    "it was trusted (was %s, now %s)", t->pin, t->seen);
		return 0;
	}
	if (ok || t->code != NULL)
		return ok;
	err = X509_STORE_CTX_get_error(x);
	if (err == X509_V_ERR_HOSTNAME_MISMATCH) {
		t->code = "tls_name";
		snprintf(t->why, sizeof(t->why), "TLS name mismatch: the "
		    "printer's certificate is not issued to serial %s",
		    t->serial);
	} else {
		t->code = "untrusted";
		snprintf(t->why, sizeof(t->why), "untrusted certificate: %s",
		    X509_verify_cert_error_string(err));
	}
	return 0;
}

/*
 * What every MQTT session with a printer sets: MQTT 3.1.1, our TLS
 * context (its callback checks the certificate names the serial, so
 * libmosquitto's own check against the address is off), user bblp with
 * the access code.
 */
static void
bambu_client_options(struct mosquitto *m, SSL_CTX *ctx, const char *secret)
{
	mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_void_option(m, MOSQ_OPT_SSL_CTX, ctx);
	mosquitto_int_option(m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
	mosquitto_tls_insecure_set(m, true);
	mosquitto_username_pw_set(m, "bblp", secret != NULL ? secret : "");
}

/* A TLS context that checks as tls says; NULL with why filled. */
static SSL_CTX *
bambu_tls_ctx(struct bambu_tls *tls, const char *ca_file, char *why,
    size_t whylen)
{
	SSL_CTX	*ctx;

	if (!tls->tofu && ca_file == NULL) {
		snprintf(why, whylen, "no CA file for Bambu printers is "
		    "configured (--bambu-ca)");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	SSL_CTX_set_app_data(ctx, tls);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, bambu_verify);
	if (tls->tofu)
		return ctx;
	if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1 ||
	    X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx),
	    tls->serial, 0) != 1) {
		snprintf(why, whylen, "cannot read the CA file %s", ca_file);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Copies what the certificate check learnt to the printer. */
static void
bambu_tls_note(struct bambu_conn *b)
{
	struct tel_printer	*p = b->p;

	snprintf(p->tls_seen, sizeof(p->tls_seen), "%s", b->tls.seen);
	snprintf(p->tls_why, sizeof(p->tls_why), "%s", b->tls.why);
	if (b->tls.code != NULL && strcmp(b->tls.code, "cert_changed") == 0)
		p->tls_changed = 1;
}

static void
bambu_end(struct bambu_conn *b, enum poll_outcome o, const char *why)
{
	struct poll_result	r;

	if (b->ended)
		return;
	b->ended = 1;
	bambu_tls_note(b);
	memset(&r, 0, sizeof(r));
	printer_state_init(&r.state);
	r.outcome = o;
	snprintf(r.error, sizeof(r.error), "%s", b->tls.why[0] != '\0' &&
	    !b->connected ? b->tls.why : why);
	b->done(b->p, &r, b->arg);
}

static void
bambu_pushall(struct bambu_conn *b, double now)
{
	static const char	msg[] = "{\"pushing\": {\"sequence_id\": \"0\", "
	    "\"command\": \"pushall\", \"version\": 1, \"push_target\": 1}}";

	mosquitto_publish(b->m, NULL, b->request, (int)strlen(msg), msg, 0,
	    false);
	b->last_pushall = now;
}

static void
on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct bambu_conn	*b = obj;
	char			 why[160];

	if (rc == 4 || rc == 5) {
		bambu_end(b, POLL_AUTH, "the printer refused the access code");
		return;
	}
	if (rc != 0) {
		snprintf(why, sizeof(why), "the printer refused the "
		    "connection: %s", mosquitto_connack_string(rc));
		bambu_end(b, POLL_UNREACHABLE, why);
		return;
	}
	b->connected = 1;
	b->last_msg = tel_now();
	bambu_tls_note(b);
	if (b->tls.tofu && b->tls.pin[0] == '\0' && b->tls.seen[0] != '\0')
		b->p->tls_pin_new = 1;
	mosquitto_subscribe(m, NULL, b->report, 0);
	bambu_pushall(b, b->last_msg);
}

static void
on_disconnect(struct mosquitto *m, void *obj, int rc)
{
	struct bambu_conn	*b = obj;

	bambu_end(b, POLL_UNREACHABLE, b->connected ? "the printer closed "
	    "the connection" : "cannot connect to the printer (TLS "
	    "handshake or certificate check failed)");
}

/* A reply to the command awaited (same sequence_id, with a result). */
static void
bambu_ctl_reply(struct tel_printer *p, const void *data, size_t len)
{
	struct bambu_reply	 r;
	struct err		 e = { 0 };

	if (bambu_reply(data, len, &r, &e) != 0) {
		err_clear(&e);
		return;
	}
	if (r.result < 0 || strcmp(r.command, "push_status") == 0 ||
	    strcmp(r.sequence_id, p->ctl_seq) != 0)
		return;
	p->ctl_answer = r.result == 1 ? 1 : -1;
	snprintf(p->ctl_reason, sizeof(p->ctl_reason), "%s", r.reason);
	p->ctl_seq[0] = '\0';
}

static void
on_message(struct mosquitto *m, void *obj,
    const struct mosquitto_message *msg)
{
	struct bambu_conn	*b = obj;
	struct poll_result	 r;
	struct err		 e = { 0 };

	if (b->ended || msg->payloadlen <= 0)
		return;
	b->last_msg = tel_now();
	if (b->p->ctl_seq[0] != '\0')
		bambu_ctl_reply(b->p, msg->payload,
		    (size_t)msg->payloadlen);
	memset(&r, 0, sizeof(r));
	if (bambu_merge(&b->cache, msg->payload, (size_t)msg->payloadlen,
	    &e) != 0) {
		r.outcome = POLL_BAD;
		snprintf(r.error, sizeof(r.error), "the printer sent a "
		    "report that cannot be read: %s", e.message);
		err_clear(&e);
		printer_state_init(&r.state);
		b->done(b->p, &r, b->arg);
		return;
	}
	if (b->cache.print == NULL)
		return;
	r.outcome = POLL_OK;
	bambu_state(&b->cache, &r.state);
	b->done(b->p, &r, b->arg);
}

int
bambu_watch_start(struct tel_printer *p, const char *ca_file,
    poll_done_fn done, void *arg, char *why, size_t whylen)
{
	struct bambu_conn	*b;
	char			 id[64];
	int			 rc;

	if (!lib_ready) {
		mosquitto_lib_init();
		lib_ready = 1;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	b->p = p;
	b->done = done;
	b->arg = arg;
	b->started = tel_now();
	bambu_cache_init(&b->cache);
	snprintf(b->tls.serial, sizeof(b->tls.serial), "%s", p->serial);
	b->tls.tofu = p->tls_tofu;
	snprintf(b->tls.pin, sizeof(b->tls.pin), "%s", p->tls_pin);
	snprintf(b->report, sizeof(b->report), "device/%s/report", p->serial);
	snprintf(b->request, sizeof(b->request), "device/%s/request",
	    p->serial);
	snprintf(id, sizeof(id), "printyard-%d-%lld", (int)getpid(), p->id);
	p->mq = b;
	if ((b->m = mosquitto_new(id, true, b)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if ((b->ctx = bambu_tls_ctx(&b->tls, ca_file, why, whylen)) == NULL)
		return -1;
	bambu_client_options(b->m, b->ctx, p->secret);
	mosquitto_connect_callback_set(b->m, on_connect);
	mosquitto_disconnect_callback_set(b->m, on_disconnect);
	mosquitto_message_callback_set(b->m, on_message);
	rc = mosquitto_connect_async(b->m, p->host, p->port,
	    BAMBU_KEEPALIVE_S);
	if (rc == MOSQ_ERR_TLS) {
		bambu_tls_note(b);
		if (b->tls.why[0] != '\0')
			snprintf(why, whylen, "%s", b->tls.why);
		else
			snprintf(why, whylen, "the TLS handshake with the "
			    "printer failed: its certificate is not signed by "
			    "the configured CA or not issued to serial %s",
			    p->serial);
		return -1;
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(why, whylen, "cannot reach the printer at %s port "
		    "%d: %s", p->host, p->port, rc == MOSQ_ERR_ERRNO ?
		    "connection refused or no route" : mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}

void
bambu_watch_forget(struct tel_printer *p)
{
	struct bambu_conn	*b = p->mq;

	if (b == NULL)
		return;
	b->ended = 1;		/* nothing more to report */
	if (b->m != NULL) {
		mosquitto_disconnect(b->m);
		mosquitto_destroy(b->m);
	}
	if (b->ctx != NULL)
		SSL_CTX_free(b->ctx);
	bambu_cache_free(&b->cache);
	free(b);
	p->mq = NULL;
}

int
bambu_watch_ended(const struct tel_printer *p)
{
	return p->mq != NULL && p->mq->ended;
}

int
bambu_watch_fd(const struct tel_printer *p, short *events)
{
	int	fd;

	if (p->mq == NULL || p->mq->ended || (fd = mosquitto_socket(
	    p->mq->m)) < 0)
		return -1;
	*events = POLLIN;
	if (!p->mq->connected || mosquitto_want_write(p->mq->m))
		*events |= POLLOUT;
	return fd;
}

void
bambu_watch_io(struct tel_printer *p, short revents)
{
	struct bambu_conn	*b = p->mq;
	int			 rc;

	if (b == NULL || b->ended)
		return;
	rc = MOSQ_ERR_SUCCESS;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		rc = mosquitto_loop_read(b->m, 1);
	if (!b->ended && rc == MOSQ_ERR_SUCCESS && (revents & POLLOUT) &&
	    mosquitto_socket(b->m) >= 0)
		rc = mosquitto_loop_write(b->m, 1);
	if (!b->ended && rc != MOSQ_ERR_SUCCESS)
		bambu_end(b, POLL_UNREACHABLE, rc == MOSQ_ERR_CONN_LOST ||
		    rc == MOSQ_ERR_NO_CONN ? "the connection to the printer "
		    "was lost" : "cannot talk to the printer (TLS handshake "
		    "or certificate check failed)");
}

void
bambu_watch_tick(struct tel_printer *p, double now)
{
	struct bambu_conn	*b = p->mq;

	if (b == NULL || b->ended)
		return;
	mosquitto_loop_misc(b->m);
	if (b->ended)
		return;
	if (!b->connected && now - b->started > BAMBU_CONNECT_S)
		bambu_end(b, POLL_UNREACHABLE, "the printer did not complete "
		    "the TLS and MQTT handshake in time");
	else if (b->connected && now - b->last_msg > BAMBU_SILENT_S)
		bambu_end(b, POLL_UNREACHABLE, "the printer stopped sending "
		    "reports");
	else if (b->connected && now - b->last_pushall >= BAMBU_PUSHALL_S)
		bambu_pushall(b, now);
}

int
bambu_watch_send(struct tel_printer *p, const char *json, const char *seq)
{
	struct bambu_conn	*b = p->mq;

	if (b == NULL || b->ended || !b->connected)
		return -1;
	p->ctl_answer = 0;
	p->ctl_reason[0] = '\0';
	snprintf(p->ctl_seq, sizeof(p->ctl_seq), "%s", seq != NULL ? seq :
	    "");
	if (mosquitto_publish(b->m, NULL, b->request, (int)strlen(json), json,
	    1, false) != MOSQ_ERR_SUCCESS) {
		p->ctl_seq[0] = '\0';
		return -1;
	}
	return 0;
}

/* ---- connection tests ---- */

struct bambu_probe {
	struct mosquitto	*m;
	SSL_CTX			*ctx;
	struct bambu_tls	 tls;
	char			 host[256];
	int			 port;
	double			 started;
	double			 connected;	/* CONNACK accepted, 0: not yet */
	char			 ok[512];	/* the OK words, without version */
	const char		*code;	/* set when it ended */
	char			 why[512];
};

#define BAMBU_VERSION_S		3	/* wait for get_version's reply */

#define BAMBU_GET_VERSION \
	"{\"info\": {\"sequence_id\": \"1\", \"command\": \"get_version\"}}"

static void
probe_end(struct bambu_probe *b, const char *code, const char *why)
{
	if (b->code != NULL)
		return;
	if (b->tls.code != NULL && strcmp(code, "ok") != 0 &&
	    strcmp(code, "access_code") != 0) {
		code = b->tls.code;
		why = b->tls.why;
	}
	b->code = code;
	snprintf(b->why, sizeof(b->why), "%s", why);
}

static void
probe_connect(struct mosquitto *m, void *obj, int rc)
{
	struct bambu_probe	*b = obj;
	char			 why[512];

	if (rc == 4 || rc == 5)
		probe_end(b, "access_code", "wrong access code: the printer "
		    "refused user bblp with the stored access code");
	else if (rc != 0) {
		snprintf(why, sizeof(why), "the printer refused the "
		    "connection: %s", mosquitto_connack_string(rc));
		probe_end(b, "refused", why);
	} else {
		snprintf(b->ok, sizeof(b->ok), "OK: connected to %s port %d, "
		    "certificate %s (SHA-256 %.16s...), access code accepted",
		    b->host, b->port, b->tls.tofu ? (b->tls.pin[0] != '\0' ?
		    "matches the pinned one" : "not pinned yet") :
		    "issued to the serial by a trusted CA", b->tls.seen);
		/* Ask for the firmware; OK without it after a while. */
		b->connected = tel_now();
		snprintf(why, sizeof(why), "device/%s/report", b->tls.serial);
		mosquitto_subscribe(m, NULL, why, 0);
		snprintf(why, sizeof(why), "device/%s/request", b->tls.serial);
		mosquitto_publish(m, NULL, why, (int)strlen(BAMBU_GET_VERSION),
		    BAMBU_GET_VERSION, 0, false);
	}
}

/* The reply to get_version: the firmware of module "ota". */
static void
probe_message(struct mosquitto *m, void *obj,
    const struct mosquitto_message *msg)
{
	struct bambu_probe	*b = obj;
	json_t			*j, *mods, *mod;
	const char		*cmd, *ver, *hw;
	char			 why[600];
	size_t			 i;

	if (b->code != NULL || msg->payloadlen <= 0 || msg->payloadlen >
	    65536 || (j = json_loadb(msg->payload,
	    (size_t)msg->payloadlen, 0, NULL)) == NULL)
		return;
	cmd = json_string_value(json_object_get(json_object_get(j, "info"),
	    "command"));
	mods = json_object_get(json_object_get(j, "info"), "module");
	ver = hw = NULL;
	json_array_foreach(mods, i, mod)
		if (json_is_string(json_object_get(mod, "name")) &&
		    strcmp(json_string_value(json_object_get(mod, "name")),
		    "ota") == 0) {
			ver = json_string_value(json_object_get(mod, "sw_ver"));
			hw = json_string_value(json_object_get(mod, "hw_ver"));
		}
	if (cmd != NULL && strcmp(cmd, "get_version") == 0) {
		snprintf(why, sizeof(why), "%s, firmware %s%s%s", b->ok,
		    ver != NULL ? ver : "unknown", hw != NULL ? ", hardware " :
		    "", hw != NULL ? hw : "");
		probe_end(b, "ok", why);
	}
	json_decref(j);
}

static void
probe_disconnect(struct mosquitto *m, void *obj, int rc)
{
	struct bambu_probe	*b = obj;
	char			 why[512];

	if (b->connected > 0) {
		probe_end(b, "ok", b->ok);
		return;
	}
	snprintf(why, sizeof(why), "unreachable: %s port %d closed the "
	    "connection during the TLS or MQTT handshake", b->host, b->port);
	probe_end(b, "unreachable", why);
}

struct bambu_probe *
bambu_probe_start(const struct tel_printer *p, const char *ca_file)
{
	struct bambu_probe	*b;
	char			 id[64], why[512];
	int			 rc;

	if (!lib_ready) {
		mosquitto_lib_init();
		lib_ready = 1;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->started = tel_now();
	snprintf(b->host, sizeof(b->host), "%s", p->host);
	b->port = p->port;
	snprintf(b->tls.serial, sizeof(b->tls.serial), "%s", p->serial);
	b->tls.tofu = p->tls_tofu;
	snprintf(b->tls.pin, sizeof(b->tls.pin), "%s", p->tls_pin);
	snprintf(id, sizeof(id), "printyard-test-%d-%lld", (int)getpid(),
	    p->id);
	if ((b->m = mosquitto_new(id, true, b)) == NULL) {
		probe_end(b, "failed", "out of memory");
		return b;
	}
	if ((b->ctx = bambu_tls_ctx(&b->tls, ca_file, why, sizeof(why))) ==
	    NULL) {
		probe_end(b, "failed", why);
		return b;
	}
	bambu_client_options(b->m, b->ctx, p->secret);
	mosquitto_connect_callback_set(b->m, probe_connect);
	mosquitto_disconnect_callback_set(b->m, probe_disconnect);
	mosquitto_message_callback_set(b->m, probe_message);
	rc = mosquitto_connect_async(b->m, b->host, b->port,
	    BAMBU_KEEPALIVE_S);
	if (rc == MOSQ_ERR_TLS) {
		snprintf(why, sizeof(why), "the TLS handshake with %s port %d "
		    "failed", b->host, b->port);
		probe_end(b, "untrusted", why);
	} else if (rc != MOSQ_ERR_SUCCESS) {
		snprintf(why, sizeof(why), "unreachable: cannot connect to %s "
		    "port %d (%s)", b->host, b->port, rc == MOSQ_ERR_ERRNO ?
		    "connection refused or no route" : mosquitto_strerror(rc));
		probe_end(b, "unreachable", why);
	}
	return b;
}

int
bambu_probe_step(struct bambu_probe *b, double now, const char **code,
    char *why, size_t whylen)
{
	struct pollfd	pfd;
	char		msg[512];
	int		rc;

	if (b->code == NULL && (pfd.fd = mosquitto_socket(b->m)) >= 0) {
		pfd.events = POLLIN | POLLOUT;
		pfd.revents = 0;
		rc = MOSQ_ERR_SUCCESS;
		if (poll(&pfd, 1, 0) > 0) {
			if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
				rc = mosquitto_loop_read(b->m, 1);
			if (b->code == NULL && rc == MOSQ_ERR_SUCCESS &&
			    (pfd.revents & POLLOUT) &&
			    mosquitto_socket(b->m) >= 0)
				rc = mosquitto_loop_write(b->m, 1);
		}
		if (b->code == NULL && rc != MOSQ_ERR_SUCCESS) {
			snprintf(msg, sizeof(msg), "unreachable: the "
			    "connection to %s port %d failed during the "
			    "handshake (%s)", b->host, b->port,
			    mosquitto_strerror(rc));
			probe_end(b, "unreachable", msg);
		}
		if (b->code == NULL)
			mosquitto_loop_misc(b->m);
	}
	if (b->code == NULL && b->connected > 0 && now - b->connected >
	    BAMBU_VERSION_S)
		probe_end(b, "ok", b->ok);
	if (b->code == NULL && now - b->started > BAMBU_CONNECT_S) {
		snprintf(msg, sizeof(msg), "unreachable: no answer from %s "
		    "port %d within %d s", b->host, b->port, BAMBU_CONNECT_S);
		probe_end(b, "unreachable", msg);
	}
	if (b->code == NULL)
		return 0;
	*code = b->code;
	snprintf(why, whylen, "%s", b->why);
	return 1;
}

void
bambu_probe_free(struct bambu_probe *b)
{
	if (b == NULL)
		return;
	b->code = b->code != NULL ? b->code : "failed";
	if (b->m != NULL) {
		mosquitto_disconnect(b->m);
		mosquitto_destroy(b->m);
	}
	if (b->ctx != NULL)
		SSL_CTX_free(b->ctx);
	free(b);
}
