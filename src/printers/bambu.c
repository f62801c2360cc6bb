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
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

struct bambu_conn {
	struct tel_printer	*p;
	struct mosquitto	*m;
	SSL_CTX			*ctx;
	struct bambu_cache	 cache;
	poll_done_fn		 done;
	void			*arg;
	int			 connected;
	int			 ended;
	double			 started, last_msg, last_pushall;
	char			 report[80], request[80];
};

static int	lib_ready;

static void
bambu_end(struct bambu_conn *b, enum poll_outcome o, const char *why)
{
	struct poll_result	r;

	if (b->ended)
		return;
	b->ended = 1;
	memset(&r, 0, sizeof(r));
	printer_state_init(&r.state);
	r.outcome = o;
	snprintf(r.error, sizeof(r.error), "%s", why);
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

	if (ca_file == NULL) {
		snprintf(why, whylen, "no CA file for Bambu printers is "
		    "configured (--bambu-ca)");
		return -1;
	}
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
	snprintf(b->report, sizeof(b->report), "device/%s/report", p->serial);
	snprintf(b->request, sizeof(b->request), "device/%s/request",
	    p->serial);
	snprintf(id, sizeof(id), "printyard-%d-%lld", (int)getpid(), p->id);
	p->mq = b;
	if ((b->m = mosquitto_new(id, true, b)) == NULL ||
	    (b->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	SSL_CTX_set_verify(b->ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(b->ctx, ca_file, NULL) != 1 ||
	    X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(b->ctx),
	    p->serial, 0) != 1) {
		snprintf(why, whylen, "cannot read the CA file %s", ca_file);
		return -1;
	}
	mosquitto_int_option(b->m, MOSQ_OPT_PROTOCOL_VERSION,
	    MQTT_PROTOCOL_V311);
	mosquitto_void_option(b->m, MOSQ_OPT_SSL_CTX, b->ctx);
	mosquitto_int_option(b->m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
	/* The name is checked against the serial above, not the address. */
	mosquitto_tls_insecure_set(b->m, true);
	mosquitto_username_pw_set(b->m, "bblp", p->secret != NULL ?
	    p->secret : "");
	mosquitto_connect_callback_set(b->m, on_connect);
	mosquitto_disconnect_callback_set(b->m, on_disconnect);
	mosquitto_message_callback_set(b->m, on_message);
	rc = mosquitto_connect_async(b->m, p->host, p->port,
	    BAMBU_KEEPALIVE_S);
	if (rc == MOSQ_ERR_TLS) {
		snprintf(why, whylen, "the TLS handshake with the printer "
		    "failed: its certificate is not signed by the configured "
		    "CA or not issued to serial %s", p->serial);
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
