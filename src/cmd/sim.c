/*
 * sim.c -- printyard sim: printer simulators for tests and the demo farm.
 *
 *   printyard sim --config FILE [--run-dir DIR]
 *   printyard sim --printer kind=octoprint,scenario=print,... [...]
 *   printyard sim --demo DIR
 *
 * One process and one poll() loop serve every simulated printer (see
 * sim/sim.h).  When every printer listens, RUN_DIR/farm.json describes
 * the farm as a client sees it: kind, address, port, credentials, and
 * for Bambu the serial (the TLS name) and the test CA; it is written
 * atomically, so its appearance means "ready".  Without --run-dir (or
 * --demo) the run directory is a fresh temporary one, removed at exit.
 * SIGINT or SIGTERM stops the brokers and exits 0.
 *
 * Files uploaded to the printers live in RUN_DIR/uploads/N (N: the
 * printer's place in farm.json, from 1), emptied at start (sim/ftps.c).
 *
 * --bambu-shared-broker (or "shared_broker": true in the configuration)
 * serves every Bambu printer from one broker on one port, for farms of
 * hundreds (the telemetry benchmark); --stamp-log FILE numbers the
 * reports in layer_num and logs when each was sent (sim/bambu.c).
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/crypto.h"
#include "core/log.h"
#include "cmd/cmd.h"
#include "sim/sim.h"

#define SIM_MAX_PRINTERS	2000

static volatile sig_atomic_t	stop;

static void
on_signal(int sig)
{
	stop = 1;
}

/* ---- configuration ---- */

struct opts {
	double		 factor;
	int		 loop;
	int		 base_port;
	const char	*host;
};

static const char *const printer_keys[] = {
	"kind", "name", "model", "serial", "port", "password",
	"access_code", "api_key", "scenario", "time_factor", "loop",
	"print_seconds", "prepare_seconds", "idle_seconds", "rest_seconds",
	"fail_at", "offline_seconds", "layers", "job", "report",
	"developer_mode", "count", "ftp_port", "report_interval", "upload_max",
	NULL
};

/* A number from a JSON number or a numeric string; -1 when not one. */
static int
get_num(json_t *o, const char *key, double *out)
{
	json_t		*v = json_object_get(o, key);
	const char	*s;
	char		*ep;

	if (v == NULL)
		return 0;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	errno = 0;
	*out = strtod(s, &ep);
	return errno != 0 || ep == s || *ep != '\0' ? -1 : 0;
}

static int
get_bool(json_t *o, const char *key, int *out)
{
	json_t		*v = json_object_get(o, key);
	const char	*s;

	if (v == NULL)
		return 0;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	s = json_string_value(v);
	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 ||
	    strcmp(s, "1") == 0)) {
		*out = 1;
		return 0;
	}
	if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 ||
	    strcmp(s, "0") == 0)) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int
get_str(json_t *o, const char *key, char *out, size_t outlen)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= outlen)
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* Fills p from o (the idx-th printer of the farm); 0 or -1 with why. */
static int
load_printer(json_t *o, const struct opts *op, size_t idx,
    struct sim_printer *p, char *why, size_t whylen)
{
	const char	*key, *kind, *sc;
	json_t		*v;
	enum sim_kind	 k;
	char		 report[16];
	double		 d;
	size_t		 i;

	if (!json_is_object(o)) {
		snprintf(why, whylen, "printer %zu: not an object", idx + 1);
		return -1;
	}
	json_object_foreach(o, key, v) {
		for (i = 0; printer_keys[i] != NULL; i++)
			if (strcmp(printer_keys[i], key) == 0)
				break;
		if (printer_keys[i] == NULL) {
			snprintf(why, whylen, "printer %zu: unknown key "
			    "\"%s\"", idx + 1, key);
			return -1;
		}
	}
	kind = json_string_value(json_object_get(o, "kind"));
	if (kind == NULL || sim_kind_parse(kind, &k) != 0) {
		snprintf(why, whylen, "printer %zu: kind must be bambu, "
		    "prusalink, octoprint or moonraker", idx + 1);
		return -1;
	}
	sim_printer_defaults(p, k, idx);
	p->factor = op->factor;
	p->loop = op->loop;
	snprintf(p->host, sizeof(p->host), "%s", op->host);
	if (op->base_port > 0)
		p->port = op->base_port + (int)idx;
#define BAD(field) do { snprintf(why, whylen, "printer %zu: bad %s", \
	idx + 1, field); return -1; } while (0)
	if (get_str(o, "name", p->name, sizeof(p->name)) != 0)
		BAD("name");
	if (get_str(o, "model", p->model, sizeof(p->model)) != 0)
		BAD("model");
	if (get_str(o, "serial", p->serial, sizeof(p->serial)) != 0 ||
	    p->serial[0] == '\0' || strspn(p->serial,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(p->serial))
		BAD("serial (upper-case letters and digits)");
	if (get_str(o, "password", p->secret, sizeof(p->secret)) != 0 ||
	    get_str(o, "access_code", p->secret, sizeof(p->secret)) != 0 ||
	    get_str(o, "api_key", p->secret, sizeof(p->secret)) != 0)
		BAD("password, access_code or api_key");
	if (get_str(o, "job", p->job_file, sizeof(p->job_file)) != 0 ||
	    p->job_file[0] == '\0' || strchr(p->job_file, '/') != NULL)
		BAD("job (a file name)");
	d = p->port;
	if (get_num(o, "port", &d) != 0 || d < 0 || d > 65535)
		BAD("port");
	p->port = (int)d;
	d = p->ftp_port;
	if (get_num(o, "ftp_port", &d) != 0 || d < 0 || d > 65535)
		BAD("ftp_port");
	p->ftp_port = (int)d;
	sc = json_string_value(json_object_get(o, "scenario"));
	if (json_object_get(o, "scenario") != NULL && (sc == NULL ||
	    sim_scenario_parse(sc, &p->scenario) != 0))
		BAD("scenario (idle, print, pause, fail, offline, badauth, "
		    "hang, flood)");
	if (get_num(o, "time_factor", &p->factor) != 0 || p->factor <= 0 ||
	    p->factor > 100000)
		BAD("time_factor");
	if (get_bool(o, "loop", &p->loop) != 0)
		BAD("loop");
	if (get_num(o, "print_seconds", &p->print_s) != 0 || p->print_s < 1)
		BAD("print_seconds");
	if (get_num(o, "prepare_seconds", &p->prepare_s) != 0 ||
	    p->prepare_s < 0)
		BAD("prepare_seconds");
	if (get_num(o, "idle_seconds", &p->idle_s) != 0 || p->idle_s < 0)
		BAD("idle_seconds");
	if (get_num(o, "rest_seconds", &p->rest_s) != 0 || p->rest_s < 0)
		BAD("rest_seconds");
	if (get_num(o, "fail_at", &p->fail_at) != 0 || p->fail_at < 0 ||
	    p->fail_at > 100)
		BAD("fail_at");
	if (get_num(o, "offline_seconds", &p->offline_s) != 0 ||
	    p->offline_s < 0)
		BAD("offline_seconds");
	d = p->layers;
	if (get_num(o, "layers", &d) != 0 || d < 1 || d > 100000)
		BAD("layers");
	p->layers = (int)d;
	snprintf(report, sizeof(report), "partial");
	if (get_str(o, "report", report, sizeof(report)) != 0 ||
	    (strcmp(report, "partial") != 0 && strcmp(report, "full") != 0))
		BAD("report (partial or full)");
	p->report_full = strcmp(report, "full") == 0;
	if (get_num(o, "report_interval", &p->report_s) != 0 ||
	    p->report_s < 0.02 || p->report_s > 3600)
		BAD("report_interval (0.02 to 3600 seconds)");
	if (get_bool(o, "developer_mode", &p->developer_mode) != 0)
		BAD("developer_mode");
	d = SIM_UPLOAD_MAX;
	if (get_num(o, "upload_max", &d) != 0 || d < 1 || d > SIM_UPLOAD_MAX)
		BAD("upload_max (1 to 67108864 bytes)");
	p->upload_max = (size_t)d;
#undef BAD
	if (p->scenario == SCN_BADAUTH)
		snprintf(p->accepted, sizeof(p->accepted), "%s",
		    k == SIM_BAMBU ? (strcmp(p->secret, "87654321") == 0 ?
		    "11223344" : "87654321") : "changed-on-the-printer");
	else
		snprintf(p->accepted, sizeof(p->accepted), "%s", p->secret);
	crypto_random(p->nonce_key, sizeof(p->nonce_key));
	return 0;
}

/* Appends the printers of one description, expanding "count". */
static int
add_printers(struct sim *s, json_t *o, const struct opts *op, char *why,
    size_t whylen)
{
	double			 count = 1;
	size_t			 i;
	struct sim_printer	*p;
	char			 base_name[64], base_serial[32];
	int			 has_serial;

	if (get_num(o, "count", &count) != 0 || count < 1 ||
	    count > SIM_MAX_PRINTERS) {
		snprintf(why, whylen, "printer %zu: bad count", s->n + 1);
		return -1;
	}
	if (s->n + (size_t)count > SIM_MAX_PRINTERS) {
		snprintf(why, whylen, "at most %d printers", SIM_MAX_PRINTERS);
		return -1;
	}
	has_serial = json_object_get(o, "serial") != NULL;
	for (i = 0; i < (size_t)count; i++) {
		p = &s->printers[s->n];
		if (load_printer(o, op, s->n, p, why, whylen) != 0)
			return -1;
		if (count > 1) {
			snprintf(base_name, sizeof(base_name), "%s", p->name);
			if (snprintf(p->name, sizeof(p->name), "%.56s-%zu",
			    base_name, i + 1) >= (int)sizeof(p->name)) {
				snprintf(why, whylen, "name too long");
				return -1;
			}
			if (has_serial) {
				snprintf(base_serial, sizeof(base_serial),
				    "%s", p->serial);
				if (snprintf(p->serial, sizeof(p->serial),
				    "%.24s%05zu", base_serial, i + 1) >=
				    (int)sizeof(p->serial)) {
					snprintf(why, whylen, "serial too "
					    "long");
					return -1;
				}
			}
			if (p->port != 0)
				p->port += (int)i;
			if (p->ftp_port != 0)
				p->ftp_port += (int)i;
		}
		s->n++;
	}
	return 0;
}

/* "kind=bambu,name=X1,port=0" as a JSON object of strings. */
static json_t *
parse_spec(const char *spec)
{
	json_t	*o = json_object();
	char	*copy, *tok, *save, *eq;

	copy = strdup(spec);
	if (copy == NULL)
		return o;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq == NULL) {
			json_object_set_new(o, tok, json_null());
			continue;
		}
		*eq = '\0';
		json_object_set_new(o, tok, json_string(eq + 1));
	}
	free(copy);
	return o;
}

static json_t *
demo_farm(void)
{
	return json_pack("[{s:s, s:s, s:s, s:s, s:s, s:i, s:s}, "
	    "{s:s, s:s, s:s, s:s, s:s, s:i, s:i}, "
	    "{s:s, s:s, s:s, s:s, s:s, s:b}, "
	    "{s:s, s:s, s:s, s:s, s:i}, "
	    "{s:s, s:s, s:s, s:s, s:i, s:i}, "
	    "{s:s, s:s, s:s, s:s, s:i}, "
	    "{s:s, s:s, s:s, s:s, s:i, s:i}, "
	    "{s:s, s:s, s:s, s:s}]",
	    "kind", "bambu", "name", "X1C Bay 1", "model", "X1C",
	    "serial", "00M09A3A0100123", "scenario", "print",
	    "print_seconds", 2400, "report", "full",
	    "kind", "bambu", "name", "P1S Bay 2", "model", "P1S",
	    "serial", "01P00A4B1200456", "scenario", "fail",
	    "print_seconds", 1800, "fail_at", 60,
	    "kind", "bambu", "name", "A1 mini Bay 3", "model", "A1 mini",
	    "serial", "0309DA5C1000789", "scenario", "idle",
	    "developer_mode", 0,
	    "kind", "prusalink", "name", "MK4 Left", "model", "MK4",
	    "scenario", "pause", "print_seconds", 2100,
	    "kind", "prusalink", "name", "Core One", "model", "Core One",
	    "scenario", "offline", "print_seconds", 1500,
	    "offline_seconds", 300,
	    "kind", "octoprint", "name", "Ender 3 V2", "model", "Ender-3 V2",
	    "scenario", "print", "print_seconds", 1200,
	    "kind", "moonraker", "name", "Voron 2.4", "model", "Voron 2.4",
	    "scenario", "print", "print_seconds", 2700, "layers", 240,
	    "kind", "octoprint", "name", "Ender 5 Spare", "model", "Ender-5",
	    "scenario", "badauth");
}

/* ---- the farm description ---- */

static json_t *
farm_entry(const struct sim *s, const struct sim_printer *p)
{
	json_t	*o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:f}", "name", p->name,
	    "kind", sim_kind_name(p->kind), "model", p->model, "host",
	    p->host, "port", p->bound_port, "scenario",
	    sim_scenario_name(p->scenario), "time_factor", p->factor);
	switch (p->kind) {
	case SIM_BAMBU:
		json_object_set_new(o, "serial", json_string(p->serial));
		json_object_set_new(o, "tls_name", json_string(p->serial));
		json_object_set_new(o, "username", json_string("bblp"));
		json_object_set_new(o, "access_code", json_string(p->secret));
		json_object_set_new(o, "ca_file", json_string(s->ca_file));
		json_object_set_new(o, "report", json_string(p->report_full ?
		    "full" : "partial"));
		json_object_set_new(o, "developer_mode",
		    json_boolean(p->developer_mode));
		json_object_set_new(o, "ftp_port", json_integer(p->ftp_port));
		break;
	case SIM_PRUSALINK:
		json_object_set_new(o, "username", json_string("maker"));
		json_object_set_new(o, "password", json_string(p->secret));
		break;
	default:
		json_object_set_new(o, "api_key", json_string(p->secret));
		break;
	}
	return o;
}

static int
write_farm(const struct sim *s, int has_bambu)
{
	json_t	*top, *list;
	char	 path[600], tmp[640];
	size_t	 i;
	int	 rc;

	list = json_array();
	for (i = 0; i < s->n; i++)
		json_array_append_new(list, farm_entry(s, &s->printers[i]));
	top = json_pack("{s:I, s:s?, s:o}", "started_at",
	    (json_int_t)time(NULL), "ca_file", has_bambu ? s->ca_file : NULL,
	    "printers", list);
	if (s->shared_broker && has_bambu)
		json_object_set_new(top, "shared_broker", json_true());
	snprintf(path, sizeof(path), "%s/farm.json", s->run_dir);
	snprintf(tmp, sizeof(tmp), "%s/.farm.json.%d", s->run_dir,
	    (int)getpid());
	rc = json_dump_file(top, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(top);
	if (rc != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

/* ---- the loop ---- */

static void
serve(struct sim *s)
{
	struct pollfd		*pfd;
	void			**tags;
	struct sim_printer	**owner;
	size_t			 max, n, i, k;
	double			 now, last;
	char			 why[256];
	struct sim_printer	*p;

	max = s->n * 66 + 1;
	pfd = calloc(max, sizeof(*pfd));
	tags = calloc(max, sizeof(*tags));
	owner = calloc(max, sizeof(*owner));
	if (pfd == NULL || tags == NULL || owner == NULL)
		abort();
	last = sim_now();
	while (!stop) {
		n = 0;
		for (i = 0; i < s->n; i++) {
			p = &s->printers[i];
			if (p->kind == SIM_BAMBU)
				k = bambu_pollfds(p, pfd + n, max - n);
			else
				k = http_pollfds(p, pfd + n, max - n,
				    tags + n);
			while (k-- > 0)
				owner[n++] = p;
		}
		if (poll(pfd, n, 100) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (owner[i]->kind == SIM_BAMBU)
				bambu_ready(owner[i], pfd[i].revents);
			else
				http_ready(owner[i], tags[i], pfd[i].revents);
		}
		now = sim_now();
		for (i = 0; i < s->n; i++) {
			p = &s->printers[i];
			sim_tick(p, now - last);
			if (p->kind == SIM_BAMBU) {
				bambu_step(s, p, now);
				continue;
			}
			if (p->hung != p->hung_seen) {
				/* a hang ends: what waited gets its answer */
				if (!p->hung)
					http_resume(p);
				p->hung_seen = p->hung;
				log_info("sim: %s %s", p->name, p->hung ?
				    "hangs" : "answers again");
			}
			if (p->offline && p->listen_fd >= 0) {
				http_close(p);
				log_info("sim: %s went offline", p->name);
			} else if (!p->offline && p->listen_fd < 0) {
				if (http_listen(p, why, sizeof(why)) == 0)
					log_info("sim: %s is back", p->name);
			}
		}
		last = now;
	}
	free(pfd);
	free(tags);
	free(owner);
}

static int
sim_run(struct cmd_ctx *c, int argc, char **argv)
{
	struct sim		 s;
	struct opts		 op;
	json_t			*conf = NULL, *specs, *list, *o;
	json_error_t		 je;
	const char		*config = NULL, *demo = NULL, *run_dir = NULL;
	char			 why[512], abs_dir[PATH_MAX], *ep;
	char			 uploads[sizeof(s.run_dir) + 8];
	size_t			 i;
	int			 a, rc = 1, made_dir = 0, has_bambu = 0;
	struct sigaction	 sa;

	memset(&s, 0, sizeof(s));
	memset(&op, 0, sizeof(op));
	op.factor = 1;
	op.host = "127.0.0.1";
	specs = json_array();
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--bambu-shared-broker") == 0) {
			s.shared_broker = 1;
			continue;
		}
		if (a + 1 >= argc) {
			json_decref(specs);
			return cmd_fail("sim: %s needs a value (see printyard "
			    "sim --help)", argv[a]);
		}
		if (strcmp(argv[a], "--config") == 0)
			config = argv[++a];
		else if (strcmp(argv[a], "--demo") == 0)
			demo = argv[++a];
		else if (strcmp(argv[a], "--run-dir") == 0)
			run_dir = argv[++a];
		else if (strcmp(argv[a], "--printer") == 0)
			json_array_append_new(specs, parse_spec(argv[++a]));
		else if (strcmp(argv[a], "--host") == 0)
			op.host = argv[++a];
		else if (strcmp(argv[a], "--stamp-log") == 0)
			s.stamp_path = argv[++a];
		else if (strcmp(argv[a], "--time-factor") == 0) {
			op.factor = strtod(argv[++a], &ep);
			if (*ep != '\0' || op.factor <= 0) {
				json_decref(specs);
				return cmd_fail("sim: bad --time-factor");
			}
		} else if (strcmp(argv[a], "--base-port") == 0) {
			op.base_port = (int)strtol(argv[++a], &ep, 10);
			if (*ep != '\0' || op.base_port < 1 ||
			    op.base_port > 65000) {
				json_decref(specs);
				return cmd_fail("sim: bad --base-port");
			}
		} else {
			json_decref(specs);
			return cmd_fail("sim: unknown argument %s (see "
			    "printyard sim --help)", argv[a]);
		}
	}
	if ((config != NULL) + (demo != NULL) + (json_array_size(specs) > 0)
	    != 1) {
		json_decref(specs);
		return cmd_fail("sim: give exactly one of --config FILE, "
		    "--printer SPEC... or --demo DIR");
	}
	if (demo != NULL) {
		op.factor = op.factor != 1 ? op.factor : 10;
		op.loop = 1;
		list = demo_farm();
		run_dir = demo;
	} else if (config != NULL) {
		conf = json_load_file(config, 0, &je);
		if (conf == NULL) {
			json_decref(specs);
			return cmd_fail("sim: %s:%d: %s", config, je.line,
			    je.text);
		}
		if (get_num(conf, "time_factor", &op.factor) != 0 ||
		    op.factor <= 0 || get_bool(conf, "loop", &op.loop) != 0 ||
		    get_bool(conf, "shared_broker", &s.shared_broker) != 0) {
			json_decref(conf);
			json_decref(specs);
			return cmd_fail("sim: %s: bad time_factor, loop or "
			    "shared_broker", config);
		}
		if (json_string_value(json_object_get(conf, "host")) != NULL)
			op.host = json_string_value(json_object_get(conf,
			    "host"));
		list = json_incref(json_object_get(conf, "printers"));
		if (!json_is_array(list) || json_array_size(list) == 0) {
			json_decref(list);
			json_decref(conf);
			json_decref(specs);
			return cmd_fail("sim: %s: \"printers\" must be a "
			    "non-empty list", config);
		}
	} else
		list = json_incref(specs);
	s.printers = calloc(SIM_MAX_PRINTERS, sizeof(*s.printers));
	if (s.printers == NULL)
		abort();
	json_array_foreach(list, i, o)
		if (add_printers(&s, o, &op, why, sizeof(why)) != 0) {
			cmd_fail("sim: %s", why);
			goto out;
		}
	for (i = 0; i < s.n; i++)
		if (s.printers[i].kind == SIM_BAMBU)
			has_bambu = 1;

	if (run_dir != NULL) {
		if (mkdir(run_dir, 0700) != 0 && errno != EEXIST) {
			cmd_fail("sim: %s: %s", run_dir, strerror(errno));
			goto out;
		}
		if (realpath(run_dir, abs_dir) == NULL ||
		    strlen(abs_dir) >= sizeof(s.run_dir)) {
			cmd_fail("sim: %s: %s", run_dir, strerror(errno));
			goto out;
		}
		snprintf(s.run_dir, sizeof(s.run_dir), "%s", abs_dir);
	} else {
		snprintf(s.run_dir, sizeof(s.run_dir),
		    "/tmp/printyard-sim.XXXXXX");
		if (mkdtemp(s.run_dir) == NULL) {
			cmd_fail("sim: cannot make a temporary directory: %s",
			    strerror(errno));
			goto out;
		}
		made_dir = 1;
	}
	snprintf(s.tls_dir, sizeof(s.tls_dir), "%s/tls", s.run_dir);
	snprintf(s.ca_file, sizeof(s.ca_file), "%s/ca.crt", s.tls_dir);
	/* uploads last as long as the simulator: a start is a fresh farm */
	snprintf(uploads, sizeof(uploads), "%s/uploads", s.run_dir);
	nftw(uploads, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < s.n; i++)
		snprintf(s.printers[i].upload_dir,
		    sizeof(s.printers[i].upload_dir), "%s/%zu", uploads, i + 1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_set_prefix("proc=sim");

	for (i = 0; i < s.n; i++)
		if (s.printers[i].kind != SIM_BAMBU &&
		    http_listen(&s.printers[i], why, sizeof(why)) != 0) {
			cmd_fail("sim: %s", why);
			goto out;
		}
	if (bambu_setup(&s, why, sizeof(why)) != 0) {
		cmd_fail("sim: %s", why);
		goto out;
	}
	if (ftps_setup(&s, why, sizeof(why)) != 0) {
		cmd_fail("sim: %s", why);
		goto out;
	}
	/* settle the first states (idle -> preparing -> printing at once) */
	for (i = 0; i < s.n; i++) {
		sim_tick(&s.printers[i], 0);
		sim_tick(&s.printers[i], 0);
	}
	if (write_farm(&s, has_bambu) != 0) {
		cmd_fail("sim: cannot write %s/farm.json: %s", s.run_dir,
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < s.n; i++)
		printf("%-10s %-24s %s:%d %s\n",
		    sim_kind_name(s.printers[i].kind), s.printers[i].name,
		    s.printers[i].host, s.printers[i].bound_port,
		    sim_scenario_name(s.printers[i].scenario));
	fflush(stdout);
	log_info("sim: %zu printers ready; farm in %s/farm.json", s.n,
	    s.run_dir);
	serve(&s);
	log_info("sim: stopping");
	rc = 0;
out:
	for (i = 0; i < s.n; i++)
		if (s.printers[i].kind != SIM_BAMBU)
			http_close(&s.printers[i]);
	ftps_cleanup(&s);
	bambu_cleanup(&s);
	if (made_dir)
		nftw(s.run_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(s.printers);
	json_decref(list);
	json_decref(conf);
	json_decref(specs);
	return rc;
}

const struct command cmd_sim = {
	"sim",
	"simulated printers (Bambu, PrusaLink, OctoPrint, Moonraker)",
	"usage: printyard sim --config FILE [--run-dir DIR]\n"
	"       printyard sim --printer SPEC [--printer SPEC ...] "
	"[--run-dir DIR]\n"
	"       printyard sim --demo DIR\n\n"
	"Serves simulated printers that answer like the real devices:\n"
	"PrusaLink, OctoPrint and Moonraker over HTTP, Bambu Lab over MQTT\n"
	"with TLS (one mosquitto per printer, a test CA made at start) and\n"
	"implicit FTPS for their print files.  Each takes uploads as the\n"
	"real device does (RUN_DIR/uploads/N holds them while it runs).\n"
	"When all listen, RUN_DIR/farm.json tells how to reach each one.\n\n"
	"  --config FILE     JSON: {\"time_factor\": 10, \"loop\": false,\n"
	"                    \"printers\": [{\"kind\": \"octoprint\", ...}]}\n"
	"  --printer SPEC    one printer as key=value,...: kind, name, model,\n"
	"                    serial, port, password|access_code|api_key,\n"
	"                    scenario (idle print pause fail offline\n"
	"                    badauth hang flood), time_factor, loop,\n"
	"                    print_seconds, prepare_seconds, idle_seconds,\n"
	"                    rest_seconds, fail_at, offline_seconds, layers,\n"
	"                    job, report (partial|full), developer_mode,\n"
	"                    count, ftp_port (Bambu FTPS), report_interval\n"
	"                    (Bambu: seconds between reports, 1),\n"
	"                    upload_max (bytes per uploaded file, 64 MiB)\n"
	"  --demo DIR        the demo farm (8 printers, time factor 10,\n"
	"                    looping); DIR holds farm.json and the test CA\n"
	"  --run-dir DIR     where farm.json and the certificates go\n"
	"                    (default: a temporary directory, removed at "
	"exit)\n"
	"  --time-factor N   simulated seconds per real second (default 1)\n"
	"  --base-port N     printers without a port get N, N+1, ...\n"
	"                    (default: any free port)\n"
	"  --host ADDR       address to listen on (default 127.0.0.1)\n"
	"  --bambu-shared-broker\n"
	"                    one broker (one port, one access code, one\n"
	"                    certificate naming every serial) for all Bambu\n"
	"                    printers; config: \"shared_broker\": true\n"
	"  --stamp-log FILE  Bambu: report N of a printer carries layer_num\n"
	"                    N; FILE gets \"SERIAL N EPOCH_SECONDS\" per "
	"report\n\n"
	"docs/internals/sim.md describes the scenarios and farm.json.\n",
	sim_run,
};
