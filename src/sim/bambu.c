/*
 * bambu.c -- simulated Bambu Lab printers: a real broker and a client.
 *
 * At start a test CA and, per printer, a server certificate whose name
 * (CN and DNS subjectAltName) is the serial are made with the openssl
 * command under RUN_DIR/tls.  Each printer gets its own mosquitto on
 * loopback (TLS, user bblp, password = the access code it accepts), as
 * each real printer is its own broker; the simulated printer itself is
 * a libmosquitto client of that broker (chain checked against the test
 * CA, name not checked) driven from the one poll() loop.  It publishes
 * a report on device/SERIAL/report every second (P1 style: only what
 * changed; X1 style: everything), a full one on pushall, and obeys
 * pause/resume/stop/project_file on device/SERIAL/request when Developer
 * Mode is on (print.fun without bit 0x20000000); without it, control
 * commands are refused.  Going offline stops the printer's broker, so
 * clients see the connection close and then refused; coming back
 * starts it again on the same port.  A hung printer's broker is stopped
 * (SIGSTOP): connections stay open and silent until SIGCONT.  A flooding
 * printer publishes fifty reports a second.
 *
 * Shared-broker mode (s->shared_broker, for the telemetry benchmark):
 * one mosquitto serves every Bambu printer on one TLS port, with one
 * certificate that names every serial (DNS subjectAltNames; the file
 * SERIAL.crt of each printer links to it, so FTPS serves it too) and
 * one access code (the first Bambu printer's, given to all).  Topics
 * still carry each serial.  Scenarios that act on a printer's own
 * broker (offline, hang, badauth) are refused in this mode.  With
 * s->stamp_path each report's number (1, 2, ...) goes into layer_num
 * and a line "SERIAL NUMBER EPOCH_SECONDS" is appended to that file
 * when the report is handed to the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "sim/sim.h"

#define FUN_BASE	0x3EC18FFF9CFFULL
#define FUN_SIGNATURE	0x20000000ULL	/* MQTT signature required */
#define ERR_CANCELLED	50348044	/* 0300_400C */
#define ERR_HEATBED	50364421	/* 0300_8005 */

static int	lib_ready;
static int	shared;		/* one broker for all (s->shared_broker) */
static FILE	*stamp_log;	/* s->stamp_path, or NULL */

/*
 * Runs a program (the arguments after log, NULL-terminated) with its
 * output appended to log; 0 when it exited 0.
 */
static int
run(const char *log, ...)
{
	va_list		 ap;
	char		*argv[40];
	const char	*arg;
	pid_t		 pid;
	int		 status, fd, n = 0;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		va_start(ap, log);
		while (n < 39 && (arg = va_arg(ap, const char *)) != NULL)
			argv[n++] = strdup(arg);
		va_end(ap);
		argv[n] = NULL;
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
write_file(const char *path, const char *text)
{
	FILE	*f;
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int
free_port(const char *host)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int
port_open(const char *host, int port)
{
	struct sockaddr_in	sa;
	int			fd, ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/*
 * A key and a certificate BASE.key/.crt under the TLS directory, signed
 * by the test CA, with common name cn and the subjectAltName list san
 * ("DNS:A,DNS:B").
 */
static int
make_cert(struct sim *s, const char *base, const char *cn, const char *san,
    int serialno)
{
	char	key[700], csr[700], crt[700], ext[700], log[700], subj[80];
	char	sn[32], cakey[700], *text;
	size_t	len;
	int	rc;

	snprintf(key, sizeof(key), "%s/%s.key", s->tls_dir, base);
	snprintf(csr, sizeof(csr), "%s/%s.csr", s->tls_dir, base);
	snprintf(crt, sizeof(crt), "%s/%s.crt", s->tls_dir, base);
	snprintf(ext, sizeof(ext), "%s/%s.ext", s->tls_dir, base);
	snprintf(log, sizeof(log), "%s/openssl.log", s->tls_dir);
	snprintf(cakey, sizeof(cakey), "%s/ca.key", s->tls_dir);
	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	snprintf(sn, sizeof(sn), "%d", 1000 + serialno);
	len = strlen(san) + 256;
	if ((text = malloc(len)) == NULL)
		return -1;
	snprintf(text, len, "basicConstraints=critical,CA:FALSE\n"
	    "keyUsage=critical,digitalSignature\n"
	    "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n", san);
	rc = write_file(ext, text);
	free(text);
	if (rc != 0 ||
	    run(log, "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
	    csr, "-subj", subj, (char *)NULL) != 0 ||
	    run(log, "openssl", "x509", "-req", "-in", csr, "-CA", s->ca_file,
	    "-CAkey", cakey, "-set_serial", sn, "-days", "825", "-extfile",
	    ext, "-out", crt, (char *)NULL) != 0)
		return -1;
	unlink(csr);
	return 0;
}

static int
make_certs(struct sim *s, struct sim_printer *p, int serialno)
{
	char	san[64];

	snprintf(san, sizeof(san), "DNS:%s", p->serial);
	return make_cert(s, p->serial, p->serial, san, serialno);
}

/* BASE.pw and BASE.conf: a broker on host:port with BASE.crt/.key. */
static int
broker_files(struct sim *s, const char *base, const char *title,
    const char *accepted, const char *host, int port)
{
	char		 pw[700], conf[700], log[700], text[4096];
	struct passwd	*me;

	snprintf(pw, sizeof(pw), "%s/%s.pw", s->tls_dir, base);
	snprintf(conf, sizeof(conf), "%s/%s.conf", s->tls_dir, base);
	snprintf(log, sizeof(log), "%s/%s.log", s->tls_dir, base);
	unlink(pw);
	if (run(log, "mosquitto_passwd", "-c", "-b", pw, "bblp", accepted,
	    (char *)NULL) != 0)
		return -1;
	me = getpwuid(geteuid());
	snprintf(text, sizeof(text),
	    "# written by printyard sim for %s\n"
	    "persistence false\n"
	    "per_listener_settings false\n"
	    "allow_anonymous false\n"
	    "password_file %s\n"
	    "user %s\n"
	    "log_dest stderr\n"
	    "log_type error\nlog_type warning\nlog_type notice\n"
	    "listener %d %s\n"
	    "cafile %s\n"
	    "certfile %s/%s.crt\n"
	    "keyfile %s/%s.key\n",
	    title, pw, me != NULL ? me->pw_name : "root",
	    port, host, s->ca_file, s->tls_dir, base, s->tls_dir, base);
	return write_file(conf, text);
}

static int
make_broker_files(struct sim *s, struct sim_printer *p)
{
	return broker_files(s, p->serial, p->name, p->accepted, p->host,
	    p->bound_port);
}

/* Starts mosquitto with BASE.conf; *out its pid once the port answers. */
static int
broker_run(struct sim *s, const char *base, const char *host, int port,
    pid_t *out)
{
	char	conf[700], log[700];
	pid_t	pid;
	int	fd, i, status;

	snprintf(conf, sizeof(conf), "%s/%s.conf", s->tls_dir, base);
	snprintf(log, sizeof(log), "%s/%s.log", s->tls_dir, base);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	*out = pid;
	for (i = 0; i < 100; i++) {
		if (port_open(host, port))
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			*out = -1;
			return -1;
		}
		usleep(50000);
	}
	return -1;
}

static int
broker_start(struct sim *s, struct sim_printer *p)
{
	return broker_run(s, p->serial, p->host, p->bound_port, &p->broker);
}

/* Stops a broker (SIGTERM, SIGKILL after two seconds); *pid = -1. */
static void
broker_kill(pid_t *pid)
{
	int	status, i;

	if (*pid > 0) {
		kill(*pid, SIGTERM);
		for (i = 0; i < 100; i++) {
			if (waitpid(*pid, &status, WNOHANG) == *pid)
				break;
			usleep(20000);
		}
		if (i == 100) {
			kill(*pid, SIGKILL);
			waitpid(*pid, &status, 0);
		}
	}
	*pid = -1;
}

void
bambu_stop(struct sim_printer *p)
{
	if (p->mosq != NULL && p->mqtt_up) {
		mosquitto_disconnect(p->mosq);
		mosquitto_loop_write(p->mosq, 1);
	}
	p->mqtt_up = 0;
	if (p->broker > 0 && p->hung_seen)
		kill(p->broker, SIGCONT);
	p->hung_seen = 0;
	broker_kill(&p->broker);
	if (p->mosq != NULL)
		mosquitto_loop_read(p->mosq, 1);	/* notices the close */
}

/* ---- reports ---- */

static const char *
gcode_state(const struct sim_printer *p)
{
	switch (p->state) {
	case SIM_IDLE:		return "IDLE";
	case SIM_PREPARING:	return "PREPARE";
	case SIM_PRINTING:	return "RUNNING";
	case SIM_PAUSED:	return "PAUSE";
	case SIM_FINISHED:	return "FINISH";
	default:		return "FAILED";
	}
}

static int
stage(const struct sim_printer *p)
{
	switch (p->state) {
	case SIM_PREPARING:
		return p->bed < p->bed_target - 5 ? 2 : 1;
	case SIM_PRINTING:
		return 0;
	case SIM_PAUSED:
		return 16;
	default:
		return p->report_full ? -1 : 255;
	}
}

static json_t *
ams(const struct sim_printer *p)
{
	int	printing = p->state == SIM_PRINTING ||
	    p->state == SIM_PREPARING || p->state == SIM_PAUSED;
	int	black = 87 - (int)(sim_progress(p) / 10);

	return json_pack("{s:[{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:[s], "
	    "s:s, s:s, s:s, s:i, s:s, s:s}, {s:s, s:s, s:s, s:[s], s:s, "
	    "s:s, s:s, s:i, s:s, s:s}, {s:s, s:s, s:s, s:[s], s:s, s:s, "
	    "s:s, s:i, s:s, s:s}, {s:s}]}], s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:i}",
	    "ams", "id", "0", "humidity", "4", "temp", "24.1", "tray",
	    "id", "0", "tray_type", "PLA", "tray_color", "161616FF", "cols",
	    "161616FF", "tray_info_idx", "GFA00", "tag_uid",
	    "5C1F3A2B00000100", "tray_weight", "1000", "remain", black,
	    "nozzle_temp_min", "190", "nozzle_temp_max", "230",
	    "id", "1", "tray_type", "PETG", "tray_color", "FFFFFFFF", "cols",
	    "FFFFFFFF", "tray_info_idx", "GFG00", "tag_uid",
	    "5C1F3A2B00000200", "tray_weight", "1000", "remain", 55,
	    "nozzle_temp_min", "220", "nozzle_temp_max", "260",
	    "id", "2", "tray_type", "PLA", "tray_color", "C12E1FFF", "cols",
	    "C12E1FFF", "tray_info_idx", "GFL99", "tag_uid",
	    "0000000000000000", "tray_weight", "0", "remain", -1,
	    "nozzle_temp_min", "190", "nozzle_temp_max", "240",
	    "id", "3",
	    "ams_exist_bits", "1", "tray_exist_bits", "7",
	    "tray_is_bbl_bits", "3", "tray_read_done_bits", "7",
	    "tray_reading_bits", "0", "tray_now", printing ? "0" : "255",
	    "tray_tar", printing ? "0" : "255", "version", 4);
}

static json_t *
full_report(struct sim_printer *p, double now)
{
	json_t		*pr, *hms;
	char		 fun[32], start[32], file[160];
	int		 err = 0, printing;
	unsigned long long f;
	double		 chamber;

	chamber = !p->report_full ? 5.0 : p->bed_target > 0 ? 34.0 : 26.0;
	f = FUN_BASE | (p->developer_mode ? 0 : FUN_SIGNATURE);
	snprintf(fun, sizeof(fun), "%llX", f);
	snprintf(start, sizeof(start), "%.0f", p->job_started);
	snprintf(file, sizeof(file), "%s", p->report_full && p->job[0] ?
	    "/data/Metadata/plate_1.gcode" : p->job);
	hms = json_array();
	if (p->state == SIM_ERROR) {
		err = ERR_HEATBED;
		json_array_append_new(hms, json_pack("{s:i, s:i}", "attr",
		    50331904, "code", 65543));
	} else if (p->state == SIM_STOPPED && now < p->cancel_shown)
		err = ERR_CANCELLED;
	printing = p->state == SIM_PRINTING;
	pr = json_pack("{s:s, s:i, s:s, s:i, s:i, s:i, s:i, s:f, s:f, s:f, "
	    "s:f, s:f, s:s, s:s, s:s, s:s, s:i, s:s, s:o, s:i, s:s, s:i, "
	    "s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, "
	    "s:i, s:s}",
	    "command", "push_status", "msg", 0, "gcode_state", gcode_state(p),
	    "mc_percent", (int)sim_progress(p),
	    "mc_remaining_time", (int)((sim_remaining(p) + 59) / 60),
	    "layer_num", sim_layer(p), "total_layer_num",
	    sim_has_job(p) ? p->layers : 0,
	    "nozzle_temper", round(p->nozzle * 16) / 16,
	    "nozzle_target_temper", p->nozzle_target,
	    "bed_temper", round(p->bed * 16) / 16,
	    "bed_target_temper", p->bed_target,
	    "chamber_temper", chamber,
	    "subtask_name", p->job, "gcode_file", file,
	    "gcode_file_prepare_percent", "100", "gcode_start_time", start,
	    "print_error", err, "mc_print_error_code", "0", "hms", hms,
	    "stg_cur", stage(p), "mc_print_stage", printing ? "2" : "1",
	    "spd_lvl", 2, "spd_mag", 100, "print_type",
	    sim_has_job(p) ? "local" : "idle", "project_id", "0",
	    "profile_id", "0", "task_id", "0", "subtask_id", "0",
	    "cooling_fan_speed", printing ? "15" : "0",
	    "big_fan1_speed", "0", "big_fan2_speed", printing ? "6" : "0",
	    "heatbreak_fan_speed", p->nozzle > 50 ? "15" : "0",
	    "wifi_signal", "-45dBm", "sdcard", 1, "home_flag", 0x180,
	    "fun", fun);
	json_object_set_new(pr, "lights_report", json_pack("[{s:s, s:s}]",
	    "node", "chamber_light", "mode", "on"));
	json_object_set_new(pr, "ams", ams(p));
	json_object_set_new(pr, "vt_tray", json_pack("{s:s, s:s, s:s, s:i}",
	    "id", "254", "tray_type", "", "tray_color", "00000000",
	    "remain", -1));
	return pr;
}

static void
publish(struct sim_printer *p, json_t *msg)
{
	char	 topic[96], *text;

	snprintf(topic, sizeof(topic), "device/%s/report", p->serial);
	text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(10));
	json_decref(msg);
	if (text == NULL)
		return;
	mosquitto_publish(p->mosq, NULL, topic, (int)strlen(text), text, 0,
	    false);
	free(text);
}

/* A report: full, or (P1 style) only the keys that changed. */
static void
report(struct sim_printer *p, double now, int full, const char *seq)
{
	json_t		*cur, *out, *v;
	const char	*k;
	char		 sq[32];
	struct timespec	 ts;

	cur = full_report(p, now);
	if (stamp_log != NULL)
		json_object_set_new(cur, "layer_num",
		    json_integer(++p->stamp_n));
	if (seq == NULL) {
		snprintf(sq, sizeof(sq), "%d", ++p->seq);
		seq = sq;
	}
	if (full || p->report_full || p->last_report == NULL) {
		out = json_deep_copy(cur);
	} else {
		out = json_object();
		json_object_foreach(cur, k, v)
			if (!json_equal(v, json_object_get(p->last_report, k)))
				json_object_set(out, k, v);
		json_object_set_new(out, "command", json_string(
		    "push_status"));
		json_object_set_new(out, "msg", json_integer(1));
	}
	json_object_set_new(out, "sequence_id", json_string(seq));
	json_decref(p->last_report);
	p->last_report = cur;
	publish(p, json_pack("{s:o}", "print", out));
	if (stamp_log != NULL) {
		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stamp_log, "%s %d %lld.%06ld\n", p->serial, p->stamp_n,
		    (long long)ts.tv_sec, ts.tv_nsec / 1000);
	}
}

static void
answer(struct sim_printer *p, const char *cls, const char *cmd,
    json_t *seq, const char *result, const char *why)
{
	json_t	*o;

	o = json_pack("{s:s, s:o, s:s, s:s, s:s}", "command", cmd,
	    "sequence_id", seq != NULL ? json_incref(seq) : json_string("0"),
	    "param", "",
	    "result", result, "reason", why);
	publish(p, json_pack("{s:o}", cls, o));
}

static void
on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
	struct sim_printer	*p = obj;
	json_t			*j, *body, *seq;
	const char		*cmd, *what, *file;
	char			 sq[32];

	j = json_loadb(msg->payload, (size_t)msg->payloadlen, 0, NULL);
	if (j == NULL)
		return;
	if ((body = json_object_get(j, "pushing")) != NULL) {
		cmd = json_string_value(json_object_get(body, "command"));
		if (cmd != NULL && (strcmp(cmd, "pushall") == 0 ||
		    strcmp(cmd, "start") == 0)) {
			seq = json_object_get(body, "sequence_id");
			snprintf(sq, sizeof(sq), "%s", json_is_string(seq) ?
			    json_string_value(seq) : "0");
			report(p, sim_now(), 1, sq);
		}
	} else if ((body = json_object_get(j, "info")) != NULL) {
		seq = json_object_get(body, "sequence_id");
		publish(p, json_pack("{s:{s:s, s:o, s:[{s:s, s:s, s:s, s:s}, "
		    "{s:s, s:s, s:s, s:s}], s:s, s:s}}", "info", "command",
		    "get_version", "sequence_id", seq != NULL ?
		    json_incref(seq) : json_string("0"),
		    "module", "name", "ota", "sw_ver", "01.08.02.00",
		    "hw_ver", "OTA", "sn", p->serial, "name", "mc", "sw_ver",
		    "00.00.28.55", "hw_ver", "MC07", "sn", p->serial,
		    "result", "success", "reason", ""));
	} else if ((body = json_object_get(j, "print")) != NULL &&
	    (cmd = json_string_value(json_object_get(body, "command"))) !=
	    NULL && strcmp(cmd, "push_status") != 0) {
		seq = json_object_get(body, "sequence_id");
		what = NULL;
		file = NULL;
		if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0 ||
		    strcmp(cmd, "stop") == 0)
			what = cmd;
		else if (strcmp(cmd, "project_file") == 0 ||
		    strcmp(cmd, "gcode_file") == 0) {
			what = "start";
			file = json_string_value(json_object_get(body,
			    "subtask_name"));
			if (file == NULL)
				file = json_string_value(json_object_get(body,
				    "param"));
		}
		if (!p->developer_mode)
			answer(p, "print", cmd, seq, "fail",
			    "mqtt message verify failed");
		else if (what == NULL)
			answer(p, "print", cmd, seq, "success", "");
		else if (sim_command(p, what, file) != 0)
			answer(p, "print", cmd, seq, "fail",
			    "the printer's state does not allow it");
		else {
			answer(p, "print", cmd, seq, "success", "");
			p->next_report = 0;
		}
	}
	json_decref(j);
}

static void
on_connect(struct mosquitto *m, void *obj, int rc)
{
	struct sim_printer	*p = obj;
	char			 topic[96];

	if (rc != 0)
		return;
	p->mqtt_up = 1;
	snprintf(topic, sizeof(topic), "device/%s/request", p->serial);
	mosquitto_subscribe(m, NULL, topic, 1);
	json_decref(p->last_report);
	p->last_report = NULL;
	p->next_report = 0;
	/* many printers: spread their reports over the interval */
	if (shared)
		p->next_report = sim_now() + p->report_s *
		    ((double)random() / RAND_MAX);
}

static void
on_disconnect(struct mosquitto *m, void *obj, int rc)
{
	struct sim_printer	*p = obj;

	p->mqtt_up = 0;
}

static int
client_new(struct sim *s, struct sim_printer *p)
{
	char	id[64];

	snprintf(id, sizeof(id), "printer-%s", p->serial);
	p->mosq = mosquitto_new(id, true, p);
	if (p->mosq == NULL)
		return -1;
	mosquitto_username_pw_set(p->mosq, "bblp", p->accepted);
	if (mosquitto_tls_set(p->mosq, s->ca_file, NULL, NULL, NULL, NULL) !=
	    MOSQ_ERR_SUCCESS)
		return -1;
	mosquitto_tls_insecure_set(p->mosq, true);
	mosquitto_connect_callback_set(p->mosq, on_connect);
	mosquitto_disconnect_callback_set(p->mosq, on_disconnect);
	mosquitto_message_callback_set(p->mosq, on_message);
	return 0;
}

/*
 * The shared broker: every Bambu printer takes the first one's access
 * code and host; one certificate names every serial; SERIAL.crt and
 * SERIAL.key link to it for the FTPS server.
 */
static int
shared_setup(struct sim *s, char *why, size_t whylen)
{
	struct sim_printer	*p, *first = NULL;
	struct buf		 san;
	char			 from[700], to[700];
	size_t			 i;

	buf_init(&san, 64 * 1024);
	for (i = 0; i < s->n; i++) {
		p = &s->printers[i];
		if (p->kind != SIM_BAMBU)
			continue;
		if (p->scenario == SCN_OFFLINE || p->scenario == SCN_HANG ||
		    p->scenario == SCN_BADAUTH) {
			snprintf(why, whylen, "%s: scenario %s needs a broker "
			    "of its own (not with a shared broker)", p->name,
			    sim_scenario_name(p->scenario));
			buf_free(&san);
			return -1;
		}
		if (first == NULL)
			first = p;
		else {
			memcpy(p->secret, first->secret, sizeof(p->secret));
			memcpy(p->accepted, first->accepted,
			    sizeof(p->accepted));
			memcpy(p->host, first->host, sizeof(p->host));
		}
		buf_printf(&san, "%sDNS:%s", san.len > 0 ? "," : "",
		    p->serial);
	}
	if (first == NULL) {
		buf_free(&san);
		return 0;
	}
	s->broker_port = first->port != 0 ? first->port :
	    free_port(first->host);
	if (make_cert(s, "broker", "Printyard Simulator Broker", san.data,
	    0) != 0) {
		snprintf(why, whylen, "cannot make the shared broker's "
		    "certificate (see %s/openssl.log)", s->tls_dir);
		buf_free(&san);
		return -1;
	}
	buf_free(&san);
	for (i = 0; i < s->n; i++) {
		p = &s->printers[i];
		if (p->kind != SIM_BAMBU)
			continue;
		snprintf(from, sizeof(from), "%s/%s.crt", s->tls_dir,
		    p->serial);
		snprintf(to, sizeof(to), "%s/%s.key", s->tls_dir, p->serial);
		unlink(from);
		unlink(to);
		if (symlink("broker.crt", from) != 0 ||
		    symlink("broker.key", to) != 0) {
			snprintf(why, whylen, "%s: %s", from, strerror(errno));
			return -1;
		}
	}
	if (broker_files(s, "broker", "the shared broker", first->accepted,
	    first->host, s->broker_port) != 0) {
		snprintf(why, whylen, "cannot write the shared broker's files "
		    "(is mosquitto_passwd installed? Debian package "
		    "mosquitto)");
		return -1;
	}
	if (broker_run(s, "broker", first->host, s->broker_port,
	    &s->broker) != 0) {
		snprintf(why, whylen, "mosquitto did not start on %s:%d (see "
		    "%s/broker.log)", first->host, s->broker_port, s->tls_dir);
		return -1;
	}
	return 0;
}

int
bambu_setup(struct sim *s, char *why, size_t whylen)
{
	char	 cakey[700], log[700];
	size_t	 i, nb = 0;
	struct sim_printer *p;

	for (i = 0; i < s->n; i++)
		if (s->printers[i].kind == SIM_BAMBU)
			nb++;
	if (nb == 0)
		return 0;
	snprintf(cakey, sizeof(cakey), "%s/ca.key", s->tls_dir);
	snprintf(log, sizeof(log), "%s/openssl.log", s->tls_dir);
	if (mkdir(s->tls_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(why, whylen, "%s: %s", s->tls_dir, strerror(errno));
		return -1;
	}
	if (run(log, "openssl", "req", "-x509", "-new", "-newkey", "ec",
	    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
	    cakey, "-out", s->ca_file, "-subj", "/CN=Printyard Simulator CA",
	    "-days", "3650", (char *)NULL) != 0) {
		snprintf(why, whylen, "cannot make the test CA with the "
		    "openssl command (see %s)", log);
		return -1;
	}
	if (!lib_ready) {
		mosquitto_lib_init();
		lib_ready = 1;
	}
	shared = s->shared_broker;
	s->broker = -1;
	if (s->stamp_path != NULL && (stamp_log = fopen(s->stamp_path,
	    "w")) == NULL) {
		snprintf(why, whylen, "%s: %s", s->stamp_path,
		    strerror(errno));
		return -1;
	}
	if (shared && shared_setup(s, why, whylen) != 0)
		return -1;
	for (i = 0; i < s->n; i++) {
		p = &s->printers[i];
		if (p->kind != SIM_BAMBU)
			continue;
		if (shared) {
			if (client_new(s, p) != 0) {
				snprintf(why, whylen, "%s: cannot make its "
				    "MQTT client", p->name);
				return -1;
			}
			p->bound_port = s->broker_port;
			mosquitto_connect(p->mosq, p->host, p->bound_port, 30);
			p->next_connect = sim_now() + 1;
			continue;
		}
		p->bound_port = p->port != 0 ? p->port : free_port(p->host);
		if (make_certs(s, p, (int)i) != 0) {
			snprintf(why, whylen, "%s: cannot make its certificate "
			    "(see %s)", p->name, log);
			return -1;
		}
		if (make_broker_files(s, p) != 0) {
			snprintf(why, whylen, "%s: cannot write the broker "
			    "files (is mosquitto_passwd installed? Debian "
			    "package mosquitto)", p->name);
			return -1;
		}
		if (broker_start(s, p) != 0) {
			snprintf(why, whylen, "%s: mosquitto did not start on "
			    "%s:%d (see %s/%s.log)", p->name, p->host,
			    p->bound_port, s->tls_dir, p->serial);
			return -1;
		}
		if (client_new(s, p) != 0) {
			snprintf(why, whylen, "%s: cannot make its MQTT "
			    "client", p->name);
			return -1;
		}
		mosquitto_connect(p->mosq, p->host, p->bound_port, 30);
		p->next_connect = sim_now() + 1;
	}
	return 0;
}

void
bambu_step(struct sim *s, struct sim_printer *p, double now)
{
	int	status, n;

	if (p->offline) {
		if (p->broker > 0)
			bambu_stop(p);
		return;
	}
	if (p->hung != p->hung_seen && p->broker > 0) {
		kill(p->broker, p->hung ? SIGSTOP : SIGCONT);
		p->hung_seen = p->hung;
	}
	if (p->hung)
		return;
	if (shared) {
		/* the shared broker: checked once a second, not per printer */
		if (now >= s->broker_check) {
			s->broker_check = now + 1;
			if (s->broker > 0 && waitpid(s->broker, &status,
			    WNOHANG) == s->broker)
				s->broker = -1;
			if (s->broker < 0)
				broker_run(s, "broker", p->host,
				    s->broker_port, &s->broker);
		}
	} else if (p->broker > 0 && waitpid(p->broker, &status, WNOHANG) ==
	    p->broker)
		p->broker = -1;		/* died: start it again */
	if (!shared && p->broker < 0) {
		if (now < p->next_connect)
			return;
		p->next_connect = now + 1;
		if (broker_start(s, p) != 0)
			return;
	}
	if (p->mosq == NULL)
		return;
	if (mosquitto_socket(p->mosq) < 0) {
		if (now >= p->next_connect) {
			p->next_connect = now + 1;
			mosquitto_reconnect(p->mosq);
		}
		return;
	}
	mosquitto_loop_misc(p->mosq);
	if (p->mqtt_up && now >= p->next_report) {
		report(p, now, 0, NULL);
		p->next_report = now + p->report_s;
		/* flood: fifty a second (the loop wakes ten times a second) */
		for (n = 1; p->scenario == SCN_FLOOD && n < 5; n++)
			report(p, now, 0, NULL);
		if (p->scenario == SCN_FLOOD)
			p->next_report = now;
	}
}

size_t
bambu_pollfds(struct sim_printer *p, void *pfdv, size_t max)
{
	struct pollfd	*pfd = pfdv;
	int		 fd;

	if (p->mosq == NULL || max == 0 || (fd = mosquitto_socket(p->mosq)) <
	    0)
		return 0;
	pfd->fd = fd;
	pfd->events = POLLIN | (mosquitto_want_write(p->mosq) ? POLLOUT : 0);
	return 1;
}

void
bambu_ready(struct sim_printer *p, short revents)
{
	if (p->mosq == NULL)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		mosquitto_loop_read(p->mosq, 1);
	if ((revents & POLLOUT) && mosquitto_socket(p->mosq) >= 0)
		mosquitto_loop_write(p->mosq, 1);
}

void
bambu_cleanup(struct sim *s)
{
	struct sim_printer	*p;
	size_t			 i;

	for (i = 0; i < s->n; i++) {
		p = &s->printers[i];
		if (p->kind != SIM_BAMBU)
			continue;
		bambu_stop(p);
		if (p->mosq != NULL)
			mosquitto_destroy(p->mosq);
		p->mosq = NULL;
		json_decref(p->last_report);
		p->last_report = NULL;
	}
	if (shared)
		broker_kill(&s->broker);
	shared = 0;
	if (stamp_log != NULL)
		fclose(stamp_log);
	stamp_log = NULL;
	if (lib_ready)
		mosquitto_lib_cleanup();
	lib_ready = 0;
}
