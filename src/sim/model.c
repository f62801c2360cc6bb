/*
 * model.c -- the simulated device: a print moving through its scenario.
 *
 * Time is simulated: every tick adds real seconds times the printer's
 * factor.  A job goes preparing (heating) -> printing -> finished; the
 * scenario may pause it at 30 % (resuming two simulated minutes later),
 * fail it at fail_at % with an error, or take the printer off the network
 * at 50 % for offline_s while the print goes on (or, hang, stay
 * reachable but answer nothing for that long).  With loop set, a new
 * job starts rest_s after the last one ended.  Commands (pause, resume,
 * stop, start, select) apply in any scenario and refuse what the state
 * does not allow.  No I/O here.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

static const char *const kind_names[] = {
	"bambu", "prusalink", "octoprint", "moonraker"
};
static const char *const scenario_names[] = {
	"idle", "print", "pause", "fail", "offline", "badauth", "hang",
	"flood"
};

#define AMBIENT_C	24.0

const char *
sim_kind_name(enum sim_kind k)
{
	return kind_names[k];
}

int
sim_kind_parse(const char *s, enum sim_kind *k)
{
	size_t	i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum sim_kind)i;
			return 0;
		}
	return -1;
}

const char *
sim_scenario_name(enum sim_scenario s)
{
	return scenario_names[s];
}

int
sim_scenario_parse(const char *s, enum sim_scenario *sc)
{
	size_t	i;

	for (i = 0; i < sizeof(scenario_names) / sizeof(scenario_names[0]);
	    i++)
		if (strcmp(s, scenario_names[i]) == 0) {
			*sc = (enum sim_scenario)i;
			return 0;
		}
	return -1;
}

double
sim_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sim_printer_defaults(struct sim_printer *p, enum sim_kind kind, size_t n)
{
	static const char *const models[] = { "P1S", "MK4", "Ender-3 V2",
	    "Voron 2.4" };
	static const char *const files[] = { "benchy.gcode.3mf",
	    "benchy_0.4n_0.2mm_PLA_MK4_1h2m.bgcode", "benchy.gcode",
	    "benchy_voron.gcode" };

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->scenario = SCN_PRINT;
	snprintf(p->name, sizeof(p->name), "%s-%zu", kind_names[kind], n + 1);
	snprintf(p->model, sizeof(p->model), "%s", models[kind]);
	snprintf(p->serial, sizeof(p->serial), "01S00SIM%07zu", n + 1);
	snprintf(p->job_file, sizeof(p->job_file), "%s", files[kind]);
	switch (kind) {
	case SIM_BAMBU:
		snprintf(p->secret, sizeof(p->secret), "%08zu",
		    12345678 + n * 1111);
		break;
	case SIM_PRUSALINK:
		snprintf(p->secret, sizeof(p->secret), "sim-prusa-%zu", n + 1);
		break;
	default:
		snprintf(p->secret, sizeof(p->secret),
		    "SIMKEY%026zu", n + 1);
		break;
	}
	p->factor = 1;
	p->print_s = 1800;
	p->prepare_s = 60;
	p->idle_s = 5;
	p->rest_s = 120;
	p->fail_at = 40;
	p->offline_s = 120;
	p->layers = 150;
	p->report_s = 1;
	p->developer_mode = 1;
	p->upload_max = SIM_UPLOAD_MAX;
	p->nozzle = p->bed = AMBIENT_C;
	p->listen_fd = -1;
	p->broker = -1;
	snprintf(p->host, sizeof(p->host), "127.0.0.1");
}

static void
set_state(struct sim_printer *p, enum sim_state s)
{
	p->state = s;
	p->phase_t = 0;
	switch (s) {
	case SIM_PREPARING:
	case SIM_PRINTING:
	case SIM_PAUSED:
		p->nozzle_target = p->kind == SIM_BAMBU ? 220 : 215;
		p->bed_target = p->kind == SIM_BAMBU ? 55 : 60;
		break;
	default:
		p->nozzle_target = 0;
		p->bed_target = 0;
		break;
	}
}

static void
start_job(struct sim_printer *p, const char *file)
{
	snprintf(p->job, sizeof(p->job), "%s",
	    file != NULL && *file != '\0' ? file : p->job_file);
	p->jobs_started++;
	p->job_id = 100 + p->jobs_started;
	p->printed_s = 0;
	p->pause_left = 0;
	p->paused_once = p->failed_once = p->offline_once = 0;
	p->error[0] = '\0';
	p->job_started = (double)time(NULL);
	set_state(p, SIM_PREPARING);
}

static double
approach(double cur, double target, double dt)
{
	double	goal, k;

	goal = target > 0 ? target : AMBIENT_C;
	k = dt / 15.0;
	if (k > 1)
		k = 1;
	return cur + (goal - cur) * k;
}

void
sim_tick(struct sim_printer *p, double real_dt)
{
	double	dt = real_dt * p->factor;

	p->phase_t += dt;
	p->nozzle = approach(p->nozzle, p->nozzle_target, dt);
	p->bed = approach(p->bed, p->bed_target, dt / 3);
	if (p->offline || p->hung) {
		p->offline_left -= dt;
		if (p->offline_left <= 0)
			p->offline = p->hung = 0;
	}
	switch (p->state) {
	case SIM_IDLE:
		if (p->scenario != SCN_IDLE && p->jobs_started == 0 &&
		    p->phase_t >= p->idle_s)
			start_job(p, NULL);
		break;
	case SIM_PREPARING:
		if (p->phase_t >= p->prepare_s)
			set_state(p, SIM_PRINTING);
		break;
	case SIM_PRINTING:
		p->printed_s += dt;
		if (p->scenario == SCN_PAUSE && !p->paused_once &&
		    sim_progress(p) >= 30) {
			p->paused_once = 1;
			p->pause_left = 120;
			set_state(p, SIM_PAUSED);
		} else if (p->scenario == SCN_FAIL && !p->failed_once &&
		    sim_progress(p) >= p->fail_at) {
			p->failed_once = 1;
			snprintf(p->error, sizeof(p->error),
			    "Heatbed temperature malfunction");
			set_state(p, SIM_ERROR);
		} else if (p->printed_s >= p->print_s) {
			p->printed_s = p->print_s;
			set_state(p, SIM_FINISHED);
		}
		if ((p->scenario == SCN_OFFLINE || p->scenario == SCN_HANG) &&
		    !p->offline_once && sim_progress(p) >= 50) {
			p->offline_once = 1;
			if (p->scenario == SCN_OFFLINE)
				p->offline = 1;
			else
				p->hung = 1;
			p->offline_left = p->offline_s;
		}
		break;
	case SIM_PAUSED:
		if (p->pause_left > 0) {
			p->pause_left -= dt;
			if (p->pause_left <= 0)
				set_state(p, SIM_PRINTING);
		}
		break;
	case SIM_FINISHED:
	case SIM_STOPPED:
	case SIM_ERROR:
		if (p->loop && p->scenario != SCN_IDLE &&
		    p->phase_t >= p->rest_s)
			start_job(p, NULL);
		break;
	}
}

int
sim_command(struct sim_printer *p, const char *cmd, const char *arg)
{
	if (strcmp(cmd, "pause") == 0) {
		if (p->state != SIM_PRINTING && p->state != SIM_PREPARING)
			return -1;
		p->pause_left = 0;
		set_state(p, SIM_PAUSED);
		return 0;
	}
	if (strcmp(cmd, "resume") == 0) {
		if (p->state != SIM_PAUSED)
			return -1;
		set_state(p, p->printed_s > 0 ? SIM_PRINTING : SIM_PREPARING);
		return 0;
	}
	if (strcmp(cmd, "stop") == 0) {
		if (p->state != SIM_PRINTING && p->state != SIM_PREPARING &&
		    p->state != SIM_PAUSED)
			return -1;
		snprintf(p->error, sizeof(p->error), "Cancelled by the user");
		p->cancel_shown = sim_now() + 3;
		set_state(p, SIM_STOPPED);
		return 0;
	}
	if (strcmp(cmd, "start") == 0) {
		if (sim_busy(p))
			return -1;
		start_job(p, arg);
		return 0;
	}
	if (strcmp(cmd, "select") == 0) {
		if (sim_busy(p) || arg == NULL || *arg == '\0')
			return -1;
		snprintf(p->job, sizeof(p->job), "%s", arg);
		return 0;
	}
	return -1;
}

int
sim_has_job(const struct sim_printer *p)
{
	return p->state != SIM_IDLE;
}

int
sim_busy(const struct sim_printer *p)
{
	return p->state == SIM_PREPARING || p->state == SIM_PRINTING ||
	    p->state == SIM_PAUSED;
}

double
sim_progress(const struct sim_printer *p)
{
	double	v;

	if (!sim_has_job(p) || p->print_s <= 0)
		return 0;
	v = p->printed_s / p->print_s * 100;
	return v > 100 ? 100 : floor(v * 10) / 10;
}

int
sim_layer(const struct sim_printer *p)
{
	int	l;

	if (!sim_has_job(p) || p->state == SIM_PREPARING)
		return 0;
	l = (int)ceil(p->printed_s / p->print_s * p->layers);
	if (l < 1)
		l = 1;
	return l > p->layers ? p->layers : l;
}

long
sim_remaining(const struct sim_printer *p)
{
	double	r;

	switch (p->state) {
	case SIM_PREPARING:
		r = p->print_s + (p->prepare_s - p->phase_t);
		break;
	case SIM_PRINTING:
	case SIM_PAUSED:
		r = p->print_s - p->printed_s;
		break;
	default:
		r = 0;
		break;
	}
	return r < 0 ? 0 : (long)r;
}

long
sim_elapsed(const struct sim_printer *p)
{
	if (!sim_has_job(p))
		return 0;
	if (p->state == SIM_PREPARING)
		return (long)p->phase_t;
	return (long)(p->printed_s + p->prepare_s);
}
