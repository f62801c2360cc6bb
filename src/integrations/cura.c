/*
 * cura.c -- one CuraEngine run: the settings, the process, its summary.
 *
 * The command line, found by trying CuraEngine 4.13:
 *
 *   CURA_ENGINE_SEARCH_PATH=DIR/definitions:DIR/extruders \
 *   CuraEngine slice -v -j DIR/definitions/creality_ender3.def.json \
 *       -s key=value ... -l model.stl -o out.gcode
 *
 * The search path lets -j follow the definition's "inherits" chain
 * (creality_ender3 -> creality_base -> fdmprinter) and find its extruder
 * (creality_base_extruder_0 -> fdmextruder).  Only with -v does the
 * engine print its summary, on stderr:
 *
 *   Print time (s): 2596
 *   Filament (mm^3): 4554
 *
 * The G-code header carries placeholders (";TIME:6666") that the Cura
 * application fills in later, so the summary is what counts.  Settings
 * given with -s before -l apply to the whole print.
 *
 * The process: its own process group, stdin from /dev/null, stdout and
 * stderr into one pipe that is read line by line into a fixed buffer
 * (longer lines are cut; the engine's one very long line echoes every
 * setting), at most CURA_OUTPUT_MAX bytes and the job's timeout, after
 * either of which the group is killed.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "integrations/cura.h"

/*
 * Typical settings of common filaments on a Bowden-fed 0.4 mm machine:
 * Cura's generic profiles and the makers' data sheets (densities:
 * PLA 1.24, PETG 1.27, ABS 1.04, TPU 95A 1.21 g/cm3).
 */
static const struct cura_material cura_materials[] = {
	{ "PLA", 1.24, 200, 60, 50, 1, 5, 45 },
	{ "PETG", 1.27, 235, 80, 40, 1, 5, 40 },
	{ "ABS", 1.04, 245, 100, 45, 0, 5, 45 },
	{ "TPU", 1.21, 225, 50, 25, 1, 2, 25 },
};
#define CURA_NMATERIALS	(sizeof(cura_materials) / sizeof(cura_materials[0]))

/* What is kept of the engine's output. */
struct cura_out {
	double	seconds;
	double	mm3;
	int	have_seconds;
	int	have_mm3;
	char	version[32];
	char	error[240];	/* the last "[ERROR] ..." */
	char	line[256];
	size_t	len;
};

const struct cura_material *
cura_material(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < CURA_NMATERIALS; i++)
		if (strcasecmp(cura_materials[i].name, name) == 0)
			return &cura_materials[i];
	return NULL;
}

const struct cura_material *
cura_material_at(size_t i)
{
	return i < CURA_NMATERIALS ? &cura_materials[i] : NULL;
}

/*
 * Settings no job changes: creality_base's timing (Cura would set them
 * from the definition's formulas, the engine alone does not), a skirt,
 * retraction with combing, supports from the build plate where an
 * overhang passes 50 degrees, and Cura's usual overlaps.
 */
static const char *const cura_fixed[][2] = {
	{ "machine_acceleration", "500" },
	{ "machine_max_acceleration_x", "500" },
	{ "machine_max_acceleration_y", "500" },
	{ "machine_max_acceleration_z", "100" },
	{ "machine_max_acceleration_e", "5000" },
	{ "machine_max_feedrate_x", "500" },
	{ "machine_max_feedrate_y", "500" },
	{ "machine_max_feedrate_z", "10" },
	{ "machine_max_feedrate_e", "50" },
	{ "machine_max_jerk_xy", "10" },
	{ "machine_max_jerk_z", "0.4" },
	{ "machine_max_jerk_e", "5" },
	{ "acceleration_enabled", "false" },
	{ "jerk_enabled", "false" },
	{ "skin_overlap", "10" },
	{ "infill_wipe_dist", "0" },
	{ "wall_0_wipe_dist", "0" },
	{ "speed_travel", "150" },
	{ "speed_travel_layer_0", "100" },
	{ "adhesion_type", "skirt" },
	{ "skirt_line_count", "3" },
	{ "skirt_gap", "10" },
	{ "retraction_enable", "true" },
	{ "retraction_combing", "noskin" },
	{ "retraction_combing_max_distance", "30" },
	{ "retraction_min_travel", "1.5" },
	{ "support_enable", "true" },
	{ "support_type", "buildplate" },
	{ "support_angle", "50" },
	{ "support_pattern", "zigzag" },
	{ "support_infill_rate", "15" },
	{ "meshfix_maximum_resolution", "0.25" },
};

/* Groups of settings that take one value each. */
static const char *const cura_widths[] = {
	"line_width", "wall_line_width_0", "wall_line_width_x",
	"skin_line_width", "infill_line_width", "support_line_width", NULL
};
static const char *const cura_layers[] = {
	"layer_height", "layer_height_0", "infill_sparse_thickness", NULL
};
static const char *const cura_skins[] = {
	"top_bottom_thickness", "top_thickness", "bottom_thickness", NULL
};
static const char *const cura_skin_layers[] = {
	"top_layers", "bottom_layers", "initial_bottom_layers", NULL
};
static const char *const cura_print_speeds[] = {
	"speed_print", "speed_infill", NULL
};
static const char *const cura_half_speeds[] = {
	"speed_wall", "speed_wall_0", "speed_wall_x", "speed_topbottom",
	"speed_roofing", "speed_support", "speed_support_infill",
	"speed_support_interface", NULL
};
static const char *const cura_first_speeds[] = {
	"speed_layer_0", "speed_print_layer_0", "skirt_brim_speed", NULL
};
static const char *const cura_temperatures[] = {
	"material_print_temperature", "material_initial_print_temperature",
	"material_final_print_temperature", NULL
};
static const char *const cura_beds[] = {
	"material_bed_temperature", "material_bed_temperature_layer_0", NULL
};
static const char *const cura_retractions[] = {
	"retraction_speed", "retraction_retract_speed",
	"retraction_prime_speed", NULL
};
static const char *const cura_support_gaps[] = {
	"support_z_distance", "support_top_distance",
	"support_bottom_distance", NULL
};
static const char *const cura_support_lines[] = {
	"support_line_distance", "support_initial_layer_line_distance", NULL
};

/* Appends "key=value"; -1 when the list or the entry is full. */
static int
cura_set(struct cura_settings *st, const char *key, const char *value)
{
	int	n;

	if (st->n == CURA_SETTINGS_MAX)
		return -1;
	n = snprintf(st->kv[st->n], CURA_SETTING_LEN, "%s=%s", key, value);
	if (n < 0 || n >= CURA_SETTING_LEN)
		return -1;
	st->n++;
	return 0;
}

/* Appends key=v, the number as %g writes it. */
static int
cura_num(struct cura_settings *st, const char *key, double v)
{
	char	num[32];

	snprintf(num, sizeof(num), "%g", v);
	return cura_set(st, key, num);
}

/* Appends key=v for every key of the NULL-terminated list. */
static int
cura_set_all(struct cura_settings *st, const char *const *keys, double v)
{
	int	bad = 0;

	for (; *keys != NULL; keys++)
		bad |= cura_num(st, *keys, v);
	return bad;
}

int
cura_settings(const struct cura_job *job, struct cura_settings *st,
    struct err *e)
{
	const struct cura_material	*mat;
	double				 l = job->layer_mm, line, tb, v, first;
	size_t				 i;
	int				 walls, infill, bad = 0;
	const char			*pattern;

	memset(st, 0, sizeof(*st));
	if ((mat = cura_material(job->material)) == NULL)
		return err_set(e, ERR_INVALID, "no slicer settings for "
		    "material \"%s\"", job->material ? job->material : "");
	if (!(l >= 0.04 && l <= 1))
		return err_set(e, ERR_INVALID, "layer height %g mm is not "
		    "from 0.04 to 1", l);
	walls = job->walls > 0 ? job->walls : 2;
	line = job->line_mm > 0 ? job->line_mm : 0.4;
	tb = job->top_bottom_mm > 0 ? job->top_bottom_mm : 0.8;
	infill = job->infill_pct < 0 ? 0 : job->infill_pct > 100 ? 100 :
	    job->infill_pct;
	v = mat->print_mm_s;
	first = v / 2 < 20 ? v / 2 : 20;
	/*
	 * Cura's infill is cubic up to 50 %, then lines; the line distance
	 * is what its formula makes of the density (cubic lays three
	 * directions at once).  At 100 % the top and bottom keep their
	 * usual layers, so the inside prints as infill.
	 */
	pattern = infill > 50 ? "lines" : "cubic";

	for (i = 0; i < sizeof(cura_fixed) / sizeof(cura_fixed[0]); i++)
		bad |= cura_set(st, cura_fixed[i][0], cura_fixed[i][1]);
	bad |= cura_set_all(st, cura_widths, line);
	bad |= cura_set_all(st, cura_layers, l);
	bad |= cura_num(st, "wall_line_count", walls);
	bad |= cura_num(st, "wall_thickness", walls * line);
	bad |= cura_set_all(st, cura_skins, tb);
	bad |= cura_set_all(st, cura_skin_layers, ceil(tb / l - 1e-6));
	bad |= cura_num(st, "infill_sparse_density", infill);
	bad |= cura_set(st, "infill_pattern", pattern);
	bad |= cura_num(st, "infill_line_distance", infill == 0 ? 0 :
	    line * 100 / infill * (infill > 50 ? 1 : 3));
	bad |= cura_set(st, "infill_overlap", infill < 95 ? "30" : "0");
	/* walls, skin and supports at half the print speed */
	bad |= cura_set_all(st, cura_print_speeds, v);
	bad |= cura_set_all(st, cura_half_speeds, v / 2);
	bad |= cura_set_all(st, cura_first_speeds, first);
	bad |= cura_set_all(st, cura_temperatures, mat->nozzle_c);
	bad |= cura_num(st, "material_print_temperature_layer_0",
	    mat->nozzle_c + 5);
	bad |= cura_set_all(st, cura_beds, mat->bed_c);
	bad |= cura_set(st, "cool_fan_enabled", mat->fan ? "true" : "false");
	bad |= cura_num(st, "cool_min_layer_time",
	    job->min_layer_s > 0 ? job->min_layer_s : 10);
	bad |= cura_num(st, "cool_min_speed",
	    job->min_speed_mm_s > 0 ? job->min_speed_mm_s : 10);
	bad |= cura_num(st, "retraction_amount", mat->retract_mm);
	bad |= cura_set_all(st, cura_retractions, mat->retract_mm_s);
	/* Cura: one layer of gap around supports, two when layers are thin */
	bad |= cura_set_all(st, cura_support_gaps, l >= 0.16 ? l : 2 * l);
	bad |= cura_set_all(st, cura_support_lines, line * 100 / 15);
	bad |= cura_num(st, "support_xy_distance", 2 * line);
	if (bad)
		return err_set(e, ERR_INTERNAL, "more slicer settings than "
		    "fit in %d", CURA_SETTINGS_MAX);
	return 0;
}

/* Takes one complete line of the engine's output. */
static void
cura_line(struct cura_out *o)
{
	const char	*p;
	char		*end;

	if (strncmp(o->line, "Print time (s): ", 16) == 0) {
		o->seconds = strtod(o->line + 16, &end);
		o->have_seconds = end != o->line + 16;
	} else if (strncmp(o->line, "Filament (mm^3): ", 17) == 0) {
		o->mm3 = strtod(o->line + 17, &end);
		o->have_mm3 = end != o->line + 17;
	} else if ((p = strstr(o->line, "Cura_SteamEngine version ")) !=
	    NULL)
		snprintf(o->version, sizeof(o->version), "%s", p + 25);
	else if ((p = strstr(o->line, "[ERROR]")) != NULL)
		snprintf(o->error, sizeof(o->error), "%s", p);
}

static void
cura_feed(struct cura_out *o, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			o->line[o->len] = '\0';
			cura_line(o);
			o->len = 0;
		} else if (o->len + 1 < sizeof(o->line))
			o->line[o->len++] = p[i];
	}
}

/* Seconds on a clock nobody sets; a deadline a second late is fine. */
static time_t
cura_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Kills the engine's process group and reaps it. */
static void
cura_kill(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* A writable copy of s for an argument vector; -1 when too long. */
static int
cura_copy(char *to, size_t size, const char *s)
{
	int	n = snprintf(to, size, "%s", s);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* In the child: becomes the engine, or exits 127. */
static void
cura_exec(const char *engine, char **argv, int out, const char *search)
{
	int	fd;

	setpgid(0, 0);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	dup2(out, 1);
	dup2(out, 2);
	setenv("CURA_ENGINE_SEARCH_PATH", search, 1);
	execvp(engine, argv);
	_exit(127);
}

/*
 * Reads the engine's output until it ends and the engine exits, within
 * the deadline.  0 with *status, or the error's code once the engine is
 * killed (too slow, too much output).
 */
static int
cura_wait(pid_t pid, int fd, time_t deadline, int timeout_s,
    const char *stl, struct cura_out *o, int *status, struct err *e)
{
	struct pollfd	pfd;
	char		chunk[4096];
	size_t		total = 0;
	ssize_t		n;
	int		open_fd = 1;

	for (;;) {
		if (cura_now() >= deadline) {
			cura_kill(pid);
			return err_set(e, ERR_UNAVAILABLE, "CuraEngine took "
			    "longer than %d s on %s", timeout_s, stl);
		}
		if (!open_fd) {
			/* output closed: the engine is about to exit */
			if (waitpid(pid, status, WNOHANG) == pid)
				return 0;
			usleep(10000);
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (o->len > 0) {
				o->line[o->len] = '\0';
				cura_line(o);
				o->len = 0;
			}
			open_fd = 0;
			continue;
		}
		total += (size_t)n;
		if (total > CURA_OUTPUT_MAX) {
			cura_kill(pid);
			return err_set(e, ERR_INVALID, "CuraEngine wrote more "
			    "than %d MB on %s", CURA_OUTPUT_MAX >> 20, stl);
		}
		cura_feed(o, chunk, (size_t)n);
	}
}

int
cura_slice(const struct cura_job *job, struct cura_result *res,
    struct err *e)
{
	struct cura_settings		 st;
	const struct cura_material	*mat;
	struct cura_out			 o;
	char				 def[PATH_MAX], search[PATH_MAX];
	char				 eng[PATH_MAX], stl[PATH_MAX];
	char				 out[PATH_MAX], w_slice[] = "slice";
	char				 w_v[] = "-v", w_j[] = "-j";
	char				 w_s[] = "-s", w_l[] = "-l";
	char				 w_o[] = "-o";
	char				*argv[2 * CURA_SETTINGS_MAX + 12];
	const char			*engine, *printer;
	size_t				 i, n = 0;
	pid_t				 pid;
	int				 fds[2], status, timeout_s, rc;

	memset(res, 0, sizeof(*res));
	memset(&o, 0, sizeof(o));
	if (cura_settings(job, &st, e) != 0)
		return e->code;
	mat = cura_material(job->material);
	engine = job->engine != NULL ? job->engine : CURA_ENGINE;
	printer = job->printer != NULL ? job->printer : CURA_PRINTER;
	timeout_s = job->timeout_s > 0 ? job->timeout_s : CURA_TIMEOUT_S;
	if (job->definitions == NULL || job->stl == NULL)
		return err_set(e, ERR_INVALID, "a slice needs the definitions "
		    "directory and an STL file");
	rc = snprintf(def, sizeof(def), "%s/definitions/%s.def.json",
	    job->definitions, printer);
	if (rc < 0 || (size_t)rc >= sizeof(def) ||
	    (rc = snprintf(search, sizeof(search), "%s/definitions:%s/"
	    "extruders", job->definitions, job->definitions)) < 0 ||
	    (size_t)rc >= sizeof(search))
		return err_set(e, ERR_INVALID, "definitions path too long");
	if (access(def, R_OK) != 0) {
		err_set(e, ERR_UNAVAILABLE, "no printer definition %s: %s",
		    def, strerror(errno));
		err_hint(e, "scripts/cura-definitions %s unpacks Cura's "
		    "definitions there", job->definitions);
		return e->code;
	}
	if (cura_copy(eng, sizeof(eng), engine) != 0 ||
	    cura_copy(stl, sizeof(stl), job->stl) != 0 ||
	    cura_copy(out, sizeof(out), job->gcode != NULL ? job->gcode :
	    "/dev/null") != 0)
		return err_set(e, ERR_INVALID, "path too long");
	argv[n++] = eng;
	argv[n++] = w_slice;
	argv[n++] = w_v;	/* the summary comes only with -v */
	argv[n++] = w_j;
	argv[n++] = def;
	for (i = 0; i < st.n; i++) {
		argv[n++] = w_s;
		argv[n++] = st.kv[i];
	}
	argv[n++] = w_l;
	argv[n++] = stl;
	argv[n++] = w_o;
	argv[n++] = out;
	argv[n] = NULL;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return err_set(e, ERR_INTERNAL, "pipe: %s", strerror(errno));
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set(e, ERR_INTERNAL, "fork: %s", strerror(errno));
	}
	if (pid == 0)
		cura_exec(engine, argv, fds[1], search);
	/* both sides, so that a kill cannot miss a group not yet made */
	setpgid(pid, pid);
	close(fds[1]);
	rc = cura_wait(pid, fds[0], cura_now() + timeout_s, timeout_s,
	    job->stl, &o, &status, e);
	close(fds[0]);
	if (rc != 0)
		return e->code;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
	    o.version[0] == '\0') {
		err_set(e, ERR_UNAVAILABLE, "%s could not be run", engine);
		err_hint(e, "apt-get install cura-engine");
		return e->code;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			err_set(e, ERR_INVALID, "CuraEngine died of signal %d "
			    "on %s", WTERMSIG(status), job->stl);
		else
			err_set(e, ERR_INVALID, "CuraEngine failed on %s "
			    "(exit %d)", job->stl, WEXITSTATUS(status));
		err_detail(e, "%s", o.error);
		return e->code;
	}
	if (!o.have_mm3 || !o.have_seconds || !(o.mm3 > 0)) {
		err_set(e, ERR_INVALID, "CuraEngine printed nothing for %s",
		    job->stl);
		err_detail(e, "%s", o.error);
		return e->code;
	}
	res->seconds = o.seconds;
	res->mm3 = o.mm3;
	res->grams = o.mm3 * (job->density > 0 ? job->density :
	    mat->density) / 1000;
	res->minutes = o.seconds / 60;
	snprintf(res->version, sizeof(res->version), "%s", o.version);
	return 0;
}

/* ---- the engine's input ---- */

int
cura_stl_open(struct cura_stl *s, const double shift[3], struct err *e)
{
	static const char	header[80] = "binary STL written by Printyard "
				    "for CuraEngine";
	const char		*dir = getenv("TMPDIR");
	unsigned char		 count[4] = { 0, 0, 0, 0 };
	int			 fd, n;

	memset(s, 0, sizeof(*s));
	memcpy(s->shift, shift, sizeof(s->shift));
	n = snprintf(s->path, sizeof(s->path), "%s/printyard-slice-XXXXXX.stl",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(s->path))
		return err_set(e, ERR_INTERNAL, "TMPDIR is too long");
	/* the engine knows a model's format by its file name */
	if ((fd = mkstemps(s->path, 4)) < 0) {
		err_set(e, ERR_INTERNAL, "cannot create %s: %s", s->path,
		    strerror(errno));
		s->path[0] = '\0';
		return e->code;
	}
	if ((s->f = fdopen(fd, "wb")) == NULL) {
		close(fd);
		cura_stl_remove(s);
		return err_set(e, ERR_INTERNAL, "fdopen: %s", strerror(errno));
	}
	if (fwrite(header, 1, sizeof(header), s->f) != sizeof(header) ||
	    fwrite(count, 1, sizeof(count), s->f) != sizeof(count))
		s->failed = 1;
	return 0;
}

/* Puts v as a little-endian 32-bit float at p. */
static void
cura_le_float(unsigned char *p, double v)
{
	float		f = (float)v;
	uint32_t	u;

	memcpy(&u, &f, sizeof(u));
	p[0] = (unsigned char)u;
	p[1] = (unsigned char)(u >> 8);
	p[2] = (unsigned char)(u >> 16);
	p[3] = (unsigned char)(u >> 24);
}

void
cura_stl_triangle(void *ctx, const double a[3], const double b[3],
    const double c[3])
{
	struct cura_stl		*s = ctx;
	const double		*corner[3] = { a, b, c };
	unsigned char		 rec[50];
	int			 k, d;

	if (s->f == NULL || s->failed)
		return;
	memset(rec, 0, sizeof(rec));	/* normal and attribute: zero */
	for (k = 0; k < 3; k++)
		for (d = 0; d < 3; d++)
			cura_le_float(rec + 12 + 12 * k + 4 * d,
			    corner[k][d] + s->shift[d]);
	if (fwrite(rec, 1, sizeof(rec), s->f) != sizeof(rec) ||
	    s->n == 0xffffffffUL)
		s->failed = 1;
	s->n++;
}

int
cura_stl_close(struct cura_stl *s, struct err *e)
{
	unsigned char	count[4];
	int		rc;

	if (s->f == NULL)
		return err_set(e, ERR_INTERNAL, "%s is not open", s->path);
	count[0] = (unsigned char)s->n;
	count[1] = (unsigned char)(s->n >> 8);
	count[2] = (unsigned char)(s->n >> 16);
	count[3] = (unsigned char)(s->n >> 24);
	if (fseek(s->f, 80, SEEK_SET) != 0 ||
	    fwrite(count, 1, sizeof(count), s->f) != sizeof(count))
		s->failed = 1;
	rc = fclose(s->f);
	s->f = NULL;
	if (rc != 0 || s->failed)
		return err_set(e, ERR_INTERNAL, "cannot write %s: %s",
		    s->path, strerror(errno));
	if (s->n == 0)
		return err_set(e, ERR_INVALID, "the mesh has no triangles");
	return 0;
}

void
cura_stl_remove(struct cura_stl *s)
{
	if (s->f != NULL) {
		fclose(s->f);
		s->f = NULL;
	}
	if (s->path[0] != '\0')
		unlink(s->path);
	s->path[0] = '\0';
}
