/*
 * profiles.c -- print profiles of products: the plates of a product,
 * each with its print file, print time, units per plate, nozzle,
 * enclosure and minimum build volume, and the filament per slot.
 * GET/POST /api/v1/products/{id}/plates, GET/PATCH/DELETE
 * /api/v1/products/{id}/plates/{plate_id}.
 *
 * POST takes either the print file itself (any Content-Type but JSON,
 * the raw body, ?name=file.gcode) or a JSON plate typed in by hand.  An
 * uploaded file is stored content-addressed in the file store as
 * products/<id>/<sha256>.<ext> (written to a temporary name, then
 * renamed, so a reader never sees half a file) and its SHA-256 is kept;
 * a G-code file's comments fill the print time and grams per slot
 * (parse/gcode.c), and so do those of a plate inside a sliced 3MF file
 * (parse/threemf.c, ?plate= picks it).  Whether a plate needs an
 * enclosure is decided by SQL (plate_needs_enclosure) unless the plate
 * overrides it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/fs.h"
#include "core/json.h"
#include "db/db.h"
#include "domain/stock.h"
#include "http/req.h"
#include "parse/gcode.h"
#include "parse/threemf.h"
#include "res/profiles.h"

#define PLATE_COLS \
	"pl.id, pl.product_id, pl.name, pl.file_name, pl.file_sha256, " \
	"pl.file_size, pl.slicer, pl.print_seconds, round(pl.print_seconds " \
	"/ 60.0, 1)::float8 AS print_minutes, pl.time_source, pl.units, " \
	"pl.nozzle_mm::float8 AS nozzle_mm, pl.enclosure_override, " \
	"plate_needs_enclosure(pl.id) AS enclosure_needed, " \
	"pl.min_x_mm::float8 AS min_x_mm, pl.min_y_mm::float8 AS min_y_mm, " \
	"pl.min_z_mm::float8 AS min_z_mm, pl.created_at, (SELECT " \
	"coalesce(json_agg(json_build_object('slot', s.slot, 'material', " \
	"s.material, 'color_name', s.color_name, 'grams', s.grams::float8, " \
	"'grams_source', s.grams_source) ORDER BY s.slot), '[]') FROM " \
	"product_plate_slots s WHERE s.plate_id = pl.id) AS slots"
#define PLATE_VALUES \
	"$3, coalesce($4::integer, 0), coalesce($5, 'manual'), " \
	"coalesce($6::integer, 1), coalesce($7::numeric, 0.4), " \
	"$8::boolean, coalesce($9::numeric, 0), coalesce($10::numeric, 0), " \
	"coalesce($11::numeric, 0)"

/* Nominal filament diameter for grams from a length (1.75 mm). */
#define PROFILES_DIAMETER_MM	1.75
#define PROFILES_MAX_SLOTS	16
#define PROFILES_EXT_MAX	10

static const struct stmt profiles_stmts[] = {
	{ "profiles_list",
	  "SELECT " PLATE_COLS " FROM product_plates pl WHERE pl.product_id = "
	  "$1 ORDER BY pl.id", 1 },
	{ "profiles_show",
	  "SELECT " PLATE_COLS " FROM product_plates pl WHERE pl.product_id = "
	  "$1 AND pl.id = $2", 2 },
	{ "profiles_product",
	  "SELECT id FROM products WHERE id = $1", 1 },
	{ "profiles_create",
	  "INSERT INTO product_plates (product_id, name, print_seconds, "
	  "time_source, units, nozzle_mm, enclosure_override, min_x_mm, "
	  "min_y_mm, min_z_mm, file_name, file_path, file_sha256, file_size, "
	  "slicer) VALUES ($1, $2, coalesce($3::integer, 0), coalesce($4, "
	  "'manual'), coalesce($5::integer, 1), coalesce($6::numeric, 0.4), "
	  "$7::boolean, coalesce($8::numeric, 0), coalesce($9::numeric, 0), "
	  "coalesce($10::numeric, 0), $11, $12, $13, $14::bigint, $15) "
	  "RETURNING id", 15 },
	{ "profiles_update",
	  "UPDATE product_plates SET (name, print_seconds, time_source, "
	  "units, nozzle_mm, enclosure_override, min_x_mm, min_y_mm, "
	  "min_z_mm) = (" PLATE_VALUES ") WHERE product_id = $1 AND id = $2 "
	  "RETURNING id", 11 },
	{ "profiles_slots_clear",
	  "DELETE FROM product_plate_slots WHERE plate_id = $1", 1 },
	{ "profiles_slot_add",
	  "INSERT INTO product_plate_slots (plate_id, slot, material, "
	  "color_name, grams, grams_source) VALUES ($1, $2::integer, $3, $4, "
	  "$5::numeric, $6)", 6 },
	{ "profiles_delete",
	  "DELETE FROM product_plates WHERE product_id = $1 AND id = $2 "
	  "RETURNING id, name, file_name, file_sha256", 2 },
};

enum {
	ST_LIST, ST_SHOW, ST_PRODUCT, ST_CREATE, ST_UPDATE, ST_SLOTS_CLEAR,
	ST_SLOT_ADD, ST_DELETE
};

/* Typical densities (g/cm3) for grams from a G-code length. */
static const struct {
	const char	*material;
	double		 density;
} profiles_densities[] = {
	{ "PLA", 1.24 }, { "PETG", 1.27 }, { "ABS", 1.04 }, { "ASA", 1.07 },
	{ "PC", 1.20 }, { "PA", 1.14 }, { "TPU", 1.21 }, { "PVA", 1.23 },
	{ "HIPS", 1.04 },
};

static double
profiles_density(const char *material)
{
	size_t	i, n;

	for (i = 0; i < sizeof(profiles_densities) /
	    sizeof(profiles_densities[0]); i++) {
		n = strlen(profiles_densities[i].material);
		if (strncasecmp(material, profiles_densities[i].material, n) ==
		    0)
			return profiles_densities[i].density;
	}
	return 1.24;
}

static int
profiles_product(struct req *r, const char **pid)
{
	json_t	*row;

	*pid = arena_printf(r->arena, "%lld", req_int(r, "id", 0));
	if (db_one(r->db, r->arena, &profiles_stmts[ST_PRODUCT], pid, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "no such product: %s",
		    *pid);
	return 0;
}

static int
profiles_get(struct req *r, const char *pid, long long plate, json_t **row)
{
	const char	*p[2];

	p[0] = pid;
	p[1] = arena_printf(r->arena, "%lld", plate);
	if (db_one(r->db, r->arena, &profiles_stmts[ST_SHOW], p, row,
	    &r->err) != 0)
		return r->err.code;
	if (*row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "product %s has no "
		    "plate %s", pid, p[1]);
	return 0;
}

static int
profiles_list(struct req *r)
{
	const char	*pid;
	json_t		*rows;

	if (profiles_product(r, &pid) != 0 || db_exec(r->db, r->arena,
	    &profiles_stmts[ST_LIST], &pid, &rows, &r->err) != 0)
		return r->err.code;
	req_json(r, 200, json_pack("{s:O, s:I}", "items", rows, "total",
	    (json_int_t)json_array_size(rows)));
	return 0;
}

static int
profiles_show(struct req *r)
{
	const char	*pid;
	json_t		*row;

	if (profiles_product(r, &pid) != 0 || profiles_get(r, pid,
	    req_int(r, "plate_id", 0), &row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

/* A number within [min, max] from JSON or text, as statement text. */
static int
profiles_num(struct req *r, json_t *in, const char *name, double min,
    double max, const char **out)
{
	json_t	*v;
	double	 d;

	v = json_object_get(in, name);
	if (v == NULL || json_is_null(v))
		return 0;
	if (stock_number(v, &d) != 0 || d < min || d > max) {
		err_field(&r->err, name, "must be a number from %g to %g", min,
		    max);
		return ERR_INVALID;
	}
	*out = stock_fmt3(r->arena, d);
	return 0;
}

/*
 * The fields of a plate from a JSON object merged over cur (or NULL)
 * into p[2..10]: name, seconds, time source, units, nozzle, enclosure,
 * build volume.  Unknown keys are errors.
 */
static int
profiles_fields(struct req *r, json_t *cur, json_t *in, const char **p)
{
	static const char *const known[] = { "name", "print_minutes",
	    "units", "nozzle_mm", "enclosure_override", "min_x_mm",
	    "min_y_mm", "min_z_mm", "slots" };
	const char	*key, *s;
	json_t		*v;
	size_t		 i;
	double		 d;
	int		 ok;

	json_object_foreach(in, key, v) {
		ok = 0;
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(known[i], key) == 0)
				ok = 1;
		if (!ok)
			err_field(&r->err, key, "is not a known field");
	}
	if (r->err.fields != NULL)
		return err_set(&r->err, ERR_INVALID, "the body has unknown "
		    "fields");
	p[2] = json_string_value(json_object_get(cur, "name"));
	if ((v = json_object_get(in, "name")) != NULL) {
		s = json_string_value(v);
		if (s == NULL || *s == '\0' || strlen(s) > 200)
			err_field(&r->err, "name", "must be text of 1 to 200 "
			    "characters");
		p[2] = s;
	}
	if (p[2] == NULL && cur == NULL && json_object_get(in, "name") ==
	    NULL)
		err_field(&r->err, "name", "is required");
	p[3] = cur != NULL ? arena_printf(r->arena, "%lld",
	    (long long)json_integer_value(json_object_get(cur,
	    "print_seconds"))) : NULL;
	p[4] = json_string_value(json_object_get(cur, "time_source"));
	if ((v = json_object_get(in, "print_minutes")) != NULL) {
		if (stock_number(v, &d) != 0 || d < 0 || d > 527040)
			err_field(&r->err, "print_minutes", "must be a number "
			    "of minutes from 0 to 527040");
		else {
			p[3] = arena_printf(r->arena, "%lld",
			    (long long)(d * 60 + 0.5));
			p[4] = "manual";
		}
	}
	p[5] = cur != NULL ? arena_printf(r->arena, "%lld",
	    (long long)json_integer_value(json_object_get(cur, "units"))) :
	    NULL;
	if ((v = json_object_get(in, "units")) != NULL) {
		if (stock_number(v, &d) != 0 || d < 1 || d > 10000 ||
		    d != (double)(long long)d)
			err_field(&r->err, "units", "must be a whole number "
			    "from 1 to 10000");
		else
			p[5] = arena_printf(r->arena, "%lld", (long long)d);
	}
	p[6] = cur != NULL ? stock_fmt3(r->arena, json_number_value(
	    json_object_get(cur, "nozzle_mm"))) : NULL;
	profiles_num(r, in, "nozzle_mm", 0.1, 3, &p[6]);
	v = json_object_get(in, "enclosure_override");
	if (v == NULL)
		v = json_object_get(cur, "enclosure_override");
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v))
		err_field(&r->err, "enclosure_override", "must be true, false "
		    "or null (decided by the materials)");
	p[7] = json_is_true(v) ? "true" : json_is_false(v) ? "false" : NULL;
	p[8] = cur != NULL ? stock_fmt3(r->arena, json_number_value(
	    json_object_get(cur, "min_x_mm"))) : NULL;
	p[9] = cur != NULL ? stock_fmt3(r->arena, json_number_value(
	    json_object_get(cur, "min_y_mm"))) : NULL;
	p[10] = cur != NULL ? stock_fmt3(r->arena, json_number_value(
	    json_object_get(cur, "min_z_mm"))) : NULL;
	profiles_num(r, in, "min_x_mm", 0, 10000, &p[8]);
	profiles_num(r, in, "min_y_mm", 0, 10000, &p[9]);
	profiles_num(r, in, "min_z_mm", 0, 10000, &p[10]);
	if (r->err.fields != NULL)
		return err_set(&r->err, ERR_INVALID, "some plate fields are "
		    "not valid");
	return 0;
}

/* Checks "slots": [{slot?, material, color_name?, grams}] without writing. */
static int
profiles_slots_check(struct req *r, json_t *slots)
{
	json_t		*s, *v;
	const char	*t;
	size_t		 i;
	double		 d;

	if (slots == NULL)
		return 0;
	if (!json_is_array(slots) || json_array_size(slots) >
	    PROFILES_MAX_SLOTS)
		return err_field(&r->err, "slots", "must be a list of at most "
		    "%d slots", PROFILES_MAX_SLOTS), err_set(&r->err,
		    ERR_INVALID, "the slots are not valid");
	json_array_foreach(slots, i, s) {
		t = json_string_value(json_object_get(s, "material"));
		if (!json_is_object(s) || t == NULL || *t == '\0' ||
		    strlen(t) > 40)
			err_field(&r->err, arena_printf(r->arena,
			    "slots[%zu].material", i), "is required (1 to 40 "
			    "characters)");
		v = json_object_get(s, "color_name");
		if (v != NULL && !json_is_null(v) && (!json_is_string(v) ||
		    json_string_length(v) < 1 || json_string_length(v) > 100))
			err_field(&r->err, arena_printf(r->arena,
			    "slots[%zu].color_name", i), "must be text of 1 "
			    "to 100 characters");
		if (stock_number(json_object_get(s, "grams"), &d) != 0 ||
		    d < 0 || d > 1e6)
			err_field(&r->err, arena_printf(r->arena,
			    "slots[%zu].grams", i), "must be a number of "
			    "grams, 0 or more");
		v = json_object_get(s, "slot");
		if (v != NULL && (!json_is_integer(v) ||
		    json_integer_value(v) < 1 || json_integer_value(v) > 16))
			err_field(&r->err, arena_printf(r->arena,
			    "slots[%zu].slot", i), "must be 1 to 16");
	}
	if (r->err.fields != NULL)
		return err_set(&r->err, ERR_INVALID, "the slots are not valid");
	return 0;
}

/* Replaces the slots of a plate by a checked list. */
static int
profiles_slots_store(struct req *r, const char *plate, json_t *slots,
    const char *source)
{
	const char	*p[6];
	json_t		*s, *v;
	size_t		 i;
	double		 d;

	if (db_exec(r->db, r->arena, &profiles_stmts[ST_SLOTS_CLEAR], &plate,
	    NULL, &r->err) != 0)
		return r->err.code;
	json_array_foreach(slots, i, s) {
		p[0] = plate;
		v = json_object_get(s, "slot");
		p[1] = arena_printf(r->arena, "%lld", v != NULL ?
		    (long long)json_integer_value(v) : (long long)i + 1);
		p[2] = json_string_value(json_object_get(s, "material"));
		p[3] = json_string_value(json_object_get(s, "color_name"));
		stock_number(json_object_get(s, "grams"), &d);
		p[4] = stock_fmt3(r->arena, d);
		p[5] = source;
		if (db_exec(r->db, r->arena, &profiles_stmts[ST_SLOT_ADD], p,
		    NULL, &r->err) != 0) {
			if (r->err.code == ERR_CONFLICT)
				err_field(&r->err, "slots", "name each slot "
				    "once");
			return r->err.code;
		}
	}
	return 0;
}

/* ".gcode" of "part.GCODE", lower case; NULL when unfit. */
static const char *
profiles_ext(struct req *r, const char *name)
{
	const char	*dot;
	char		*e;
	size_t		 i, n;

	if ((dot = strrchr(name, '.')) == NULL)
		return NULL;
	n = strlen(dot + 1);
	if (n < 1 || n > PROFILES_EXT_MAX)
		return NULL;
	e = arena_strdup(r->arena, dot + 1);
	for (i = 0; i < n; i++) {
		if (e[i] >= 'A' && e[i] <= 'Z')
			e[i] = (char)(e[i] - 'A' + 'a');
		if (!((e[i] >= 'a' && e[i] <= 'z') || (e[i] >= '0' &&
		    e[i] <= '9')))
			return NULL;
	}
	return e;
}

/* Writes the body to <store>/<rel> through a temporary file. */
static int
profiles_store(struct req *r, const char *dir, const char *rel)
{
	if (fs_mkdirs(arena_printf(r->arena, "%s/%s", r->cfg->file_store,
	    dir)) == 0 && fs_write_atomic(arena_printf(r->arena, "%s/%s",
	    r->cfg->file_store, rel), r->body, r->body_len) == 0)
		return 0;
	err_set(&r->err, ERR_INTERNAL, "the file store cannot keep the file");
	err_detail(&r->err, "%s: %s", r->cfg->file_store, strerror(errno));
	return ERR_INTERNAL;
}

/*
 * The slots of an uploaded G-code file: grams as stated, or from the
 * length at the material's typical density; material from the file, or
 * from ?material=.
 */
static json_t *
profiles_gcode_slots(struct req *r, const struct gcode_meta *m)
{
	json_t		*slots, *s;
	const char	*mat, *color;
	double		 g;
	int		 i;

	slots = json_array();
	arena_json(r->arena, slots);
	color = req_str(r, "color_name");
	for (i = 0; i < m->nslots; i++) {
		mat = m->material[i][0] != '\0' ? m->material[i] :
		    req_str(r, "material");
		g = m->grams[i];
		if (g <= 0 && m->length_mm[i] <= 0)
			continue;
		if (mat == NULL) {
			err_field(&r->err, "material", "the file names no "
			    "filament type for slot %d; give ?material=",
			    i + 1);
			err_set(&r->err, ERR_INVALID, "say which material "
			    "the file prints with");
			return NULL;
		}
		if (g < 0)
			g = stock_mm_to_grams(m->length_mm[i],
			    profiles_density(mat), PROFILES_DIAMETER_MM);
		if (g <= 0)
			continue;
		s = json_pack("{s:i, s:s, s:f}", "slot", i + 1, "material",
		    arena_strdup(r->arena, mat), "grams", g);
		if (color != NULL)
			json_object_set_new(s, "color_name",
			    json_string(color));
		json_array_append_new(slots, s);
	}
	return slots;
}

/* Print time, nozzle and slots of a plate from what its file stated. */
static int
profiles_meta(struct req *r, const struct gcode_meta *m, const char **p,
    json_t **slots)
{
	p[15] = gcode_slicer_name(m->slicer);
	if (m->seconds >= 0) {
		p[3] = arena_printf(r->arena, "%ld", m->seconds);
		p[4] = "gcode";
	}
	if (m->nozzle_mm > 0)
		p[6] = stock_fmt3(r->arena, m->nozzle_mm);
	if ((*slots = profiles_gcode_slots(r, m)) == NULL)
		return r->err.code;
	return 0;
}

/*
 * A 3MF file: the plate of ?plate= (or the lowest) when the file holds
 * sliced plates; none is fine (a project: values typed in later).  A
 * file that is no ZIP archive, or a plate that is not there, is refused.
 */
static int
profiles_threemf(struct req *r, const char *name, const char **p,
    json_t **slots)
{
	struct threemf_meta	 t;
	struct err		 e;
	const char		*list;
	int			 rc, k;

	memset(&e, 0, sizeof(e));
	rc = threemf_parse(r->body, r->body_len, (int)req_int(r, "plate", 0),
	    &t, &e);
	if (rc == ERR_NOT_FOUND && t.nplates == 0 && !req_has(r, "plate")) {
		err_clear(&e);
		return 0;
	}
	if (rc == ERR_NOT_FOUND) {
		list = "";
		for (k = 1; k <= THREEMF_MAX_PLATES; k++)
			if (t.plates & ((uint64_t)1 << (k - 1)))
				list = arena_printf(r->arena, "%s%s%d", list,
				    *list != '\0' ? ", " : "", k);
		err_field(&r->err, "plate", "the file holds %s%s", t.nplates >
		    0 ? "plates " : "no sliced plate", list);
		err_set(&r->err, ERR_INVALID, "%s", e.message);
		err_clear(&e);
		return ERR_INVALID;
	}
	if (rc != 0) {
		err_field(&r->err, "body", "must be a 3MF file (a ZIP "
		    "archive): %s", e.message);
		err_set(&r->err, ERR_INVALID, "the 3MF file cannot be read");
		err_clear(&e);
		return ERR_INVALID;
	}
	err_clear(&e);
	if (t.nplates > 1 && strlen(name) <= 180)
		p[2] = arena_printf(r->arena, "%s (plate %d)", name, t.plate);
	if (t.gcode.seconds < 0 && t.gcode.nslots == 0)
		return 0;
	return profiles_meta(r, &t.gcode, p, slots);
}

static int
profiles_upload(struct req *r, const char *pid, const char **p,
    json_t **slots)
{
	struct gcode_meta	 m;
	const char		*name, *ext, *dir, *rel;
	char			 sha[65];
	json_t			*in;
	int			 threemf;

	name = req_str(r, "name");
	if (name == NULL)
		return err_field(&r->err, "name", "give the file name as "
		    "?name=part.gcode"), err_set(&r->err, ERR_INVALID,
		    "the file needs a name");
	if (strchr(name, '/') != NULL || (ext = profiles_ext(r, name)) ==
	    NULL)
		return err_field(&r->err, "name", "must be a file name with "
		    "an extension, such as part.gcode"), err_set(&r->err,
		    ERR_INVALID, "the file name is not usable");
	if (r->body_len == 0)
		return err_field(&r->err, "body", "is empty"),
		    err_set(&r->err, ERR_INVALID, "send the file as the body");
	threemf = strcmp(ext, "3mf") == 0;
	if (req_has(r, "plate") && !threemf)
		return err_field(&r->err, "plate", "only a 3MF file holds "
		    "plates to choose from"), err_set(&r->err, ERR_INVALID,
		    "?plate= is for 3MF files");
	in = json_object();
	arena_json(r->arena, in);
	json_object_set_new(in, "name", json_string(name));
	if (req_has(r, "units"))
		json_object_set_new(in, "units", json_integer(req_int(r,
		    "units", 1)));
	if (profiles_fields(r, NULL, in, p) != 0)
		return r->err.code;
	sha256_hex(r->body, r->body_len, sha);
	dir = arena_printf(r->arena, "products/%s", pid);
	rel = arena_printf(r->arena, "%s/%s.%s", dir, sha, ext);
	p[11] = name;
	p[12] = rel;
	p[13] = arena_strdup(r->arena, sha);
	p[14] = arena_printf(r->arena, "%zu", r->body_len);
	p[15] = NULL;
	*slots = NULL;
	if (threemf) {
		if (profiles_threemf(r, name, p, slots) != 0)
			return r->err.code;
	} else if (strcmp(ext, "gcode") == 0 || strcmp(ext, "gco") == 0 ||
	    strcmp(ext, "g") == 0) {
		if (gcode_parse(r->body, r->body_len, &m, NULL) == 0 &&
		    profiles_meta(r, &m, p, slots) != 0)
			return r->err.code;
	}
	return profiles_store(r, dir, rel);
}

/*
 * Stores a plate of product pid: typed in (in, a JSON object) or, with in
 * NULL, the uploaded file of the request body.  *row gets the plate.
 */
static int
profiles_store_plate(struct req *r, const char *pid, json_t *in,
    json_t **row)
{
	const char	*p[16], *plate, *source;
	json_t		*slots, *made;

	memset(p, 0, sizeof(p));
	p[0] = pid;
	source = "manual";
	if (in != NULL) {
		slots = json_object_get(in, "slots");
		profiles_fields(r, NULL, in, p);
		profiles_slots_check(r, slots);
		if (r->err.code != ERR_OK)
			return r->err.code;
	} else {
		if (profiles_upload(r, pid, p, &slots) != 0)
			return r->err.code;
		source = "gcode";
	}
	p[1] = pid;
	if (db_one(r->db, r->arena, &profiles_stmts[ST_CREATE], p + 1, &made,
	    &r->err) != 0)
		return r->err.code;
	plate = arena_printf(r->arena, "%lld", (long long)json_integer_value(
	    json_object_get(made, "id")));
	if (slots != NULL && profiles_slots_store(r, plate, slots, source) !=
	    0)
		return r->err.code;
	if (profiles_get(r, pid, json_integer_value(json_object_get(made,
	    "id")), row) != 0 || req_audit(r, "plate_add", "product", pid,
	    NULL, *row) != 0)
		return r->err.code;
	return 0;
}

int
profiles_insert(struct req *r, json_t *in, json_t **row)
{
	const char	*pid;

	if (profiles_product(r, &pid) != 0)
		return r->err.code;
	return profiles_store_plate(r, pid, in, row);
}

static int
profiles_create(struct req *r)
{
	const char	*pid;
	json_t		*in, *row;
	json_error_t	 je;

	if (profiles_product(r, &pid) != 0)
		return r->err.code;
	in = NULL;
	if (r->content_type != NULL && strncmp(r->content_type,
	    "application/json", 16) == 0) {
		in = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES,
		    &je);
		if (in == NULL || !json_is_object(in)) {
			json_decref(in);
			return err_set(&r->err, ERR_BAD_REQUEST, "the body is "
			    "not a JSON object: %s", je.text);
		}
		arena_json(r->arena, in);
	}
	if (profiles_store_plate(r, pid, in, &row) != 0)
		return r->err.code;
	req_json(r, 201, json_incref(row));
	return 0;
}

static int
profiles_update(struct req *r)
{
	const char	*pid, *p[11];
	json_t		*cur, *row, *slots;

	if (profiles_product(r, &pid) != 0 || profiles_get(r, pid,
	    req_int(r, "plate_id", 0), &cur) != 0)
		return r->err.code;
	p[0] = pid;
	p[1] = arena_printf(r->arena, "%lld", req_int(r, "plate_id", 0));
	slots = json_object_get(r->input, "slots");
	profiles_fields(r, cur, r->input, p);
	profiles_slots_check(r, slots);
	if (r->err.code != ERR_OK)
		return r->err.code;
	if (db_exec(r->db, r->arena, &profiles_stmts[ST_UPDATE], p, NULL,
	    &r->err) != 0)
		return r->err.code;
	if (slots != NULL && profiles_slots_store(r, p[1], slots, "manual") !=
	    0)
		return r->err.code;
	if (profiles_get(r, pid, req_int(r, "plate_id", 0), &row) != 0 ||
	    req_audit(r, "plate_update", "product", pid, cur, row) != 0)
		return r->err.code;
	req_json(r, 200, json_incref(row));
	return 0;
}

static int
profiles_delete(struct req *r)
{
	const char	*pid, *p[2];
	json_t		*row;

	if (profiles_product(r, &pid) != 0)
		return r->err.code;
	p[0] = pid;
	p[1] = arena_printf(r->arena, "%lld", req_int(r, "plate_id", 0));
	if (db_one(r->db, r->arena, &profiles_stmts[ST_DELETE], p, &row,
	    &r->err) != 0)
		return r->err.code;
	if (row == NULL)
		return err_set(&r->err, ERR_NOT_FOUND, "product %s has no "
		    "plate %s", p[0], p[1]);
	if (req_audit(r, "plate_remove", "product", pid, row, NULL) != 0)
		return r->err.code;
	r->status = 204;
	return 0;
}

#define ID_PATH	{ "id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }
#define PLATE_PATH { "plate_id", IN_PATH, P_INT, 1, 1, INT64_MAX, NULL }
static const struct param upload_params[] = {
	ID_PATH,
	{ "name", IN_QUERY, P_STR, 0, 1, 200, NULL },
	{ "material", IN_QUERY, P_STR, 0, 1, 40, NULL },
	{ "color_name", IN_QUERY, P_STR, 0, 1, 100, NULL },
	{ "units", IN_QUERY, P_INT, 0, 1, 10000, NULL },
	{ "plate", IN_QUERY, P_INT, 0, 1, THREEMF_MAX_PLATES, NULL },
	PARAM_END,
};
static const struct param plate_params[] = {
	ID_PATH,
	PLATE_PATH,
	PARAM_END,
};
static const struct param update_params[] = {
	ID_PATH,
	PLATE_PATH,
	{ "name", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "print_minutes", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "units", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "nozzle_mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "enclosure_override", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "min_x_mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "min_y_mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "min_z_mm", IN_BODY, P_ANY, 0, 0, 0, NULL },
	{ "slots", IN_BODY, P_ANY, 0, 0, 0, NULL },
	PARAM_END,
};

#define WRITERS	(ROLE_OWNER | ROLE_STAFF)

static const struct route profiles_routes[] = {
	{ "GET", "/api/v1/products/{id}/plates", profiles_list, ROLE_ANY, 0,
	    params_id, NULL },
	{ "POST", "/api/v1/products/{id}/plates", profiles_create, WRITERS,
	    ROUTE_RAW | ROUTE_UPLOAD, upload_params, NULL },
	{ "GET", "/api/v1/products/{id}/plates/{plate_id}", profiles_show,
	    ROLE_ANY, 0, plate_params, NULL },
	{ "PATCH", "/api/v1/products/{id}/plates/{plate_id}",
	    profiles_update, WRITERS, 0, update_params, NULL },
	{ "DELETE", "/api/v1/products/{id}/plates/{plate_id}",
	    profiles_delete, WRITERS, 0, plate_params, NULL },
};

const struct resource profiles_resource = {
	"profiles", profiles_routes,
	sizeof(profiles_routes) / sizeof(profiles_routes[0]),
	profiles_stmts, sizeof(profiles_stmts) / sizeof(profiles_stmts[0]),
};
