/*
 * test_model3mf.c -- parse/model3mf.c and parse/meshobj.c on files built
 * here with known answers.
 *
 * 3MF packages are written in memory with libzip: a 10 mm cube, two
 * objects as two parts, build-item and component transforms (scale,
 * move, mirror), units (inch, micron), a Bambu Studio style package
 * whose components name objects in 3D/Objects/object_1.model, a root
 * model found through _rels/.rels; and what must be refused: not a ZIP,
 * no model, cut-short XML, NaN, an index out of range, cycles, deep
 * nesting, DOCTYPEs, ZIP bombs by ratio and by size (with lowered
 * limits, so the test stays small), too many entries, archives inside
 * the archive and entry names that climb out of it.  OBJ files: a cube
 * of quads, negative and slashed corners, malformed lines.  A triangle
 * sink sees what is measured, in millimetres.  The fast reader of plain
 * vertices and triangles reads random numbers of every spelling bit for
 * bit as strtod does, in pieces of any size, leaves CDATA and comments
 * alone, and what it leaves to expat is refused with the right line.
 *
 * With MODEL3MF_SEEDS=DIR in the environment the fuzzers' seed inputs
 * are written to DIR/model3mf/ and DIR/model3mf_xml/ (see
 * tests/fuzz/fuzz_model3mf.c for their first byte).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <zip.h>

#include "unit.h"
#include "volsink.h"
#include "core/buf.h"
#include "core/err.h"
#include "parse/mesh.h"
#include "parse/model3mf.h"

#define MS_3MF	"http://schemas.microsoft.com/3dmanufacturing/"
#define CORE_NS	MS_3MF "core/2015/02"
#define PROD_NS	MS_3MF "production/2015/06"
#define IDENT	"1 0 0 0 1 0 0 0 1 0 0 0"

/* One entry of an archive to build; len 0: strlen(data). */
struct ent {
	const char	*name;
	const char	*data;
	size_t		 len;
	int		 store;		/* no compression */
};

static const char content_types[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "content-types\"><Default Extension=\"rels\" ContentType=\"application/"
    "vnd.openxmlformats-package.relationships+xml\"/><Default Extension="
    "\"model\" ContentType=\"application/vnd.ms-package.3dmanufacturing-"
    "3dmodel+xml\"/></Types>\n";

static const char rels_default[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\"><Relationship Target=\"/3D/3dmodel.model\" Id=\"rel0\" "
    "Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/>"
    "</Relationships>\n";

/* The archive of entries e[0..n), malloc'd, *len bytes. */
static char *
pack(const struct ent *e, size_t n, size_t *len)
{
	zip_error_t	 ze;
	zip_source_t	*src, *part;
	zip_stat_t	 st;
	zip_t		*za;
	zip_int64_t	 idx;
	char		*out;
	size_t		 i;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	ck_assert_ptr_nonnull(src);
	zip_source_keep(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	ck_assert_ptr_nonnull(za);
	for (i = 0; i < n; i++) {
		part = zip_source_buffer(za, e[i].data, e[i].len > 0 ?
		    e[i].len : strlen(e[i].data), 0);
		ck_assert_ptr_nonnull(part);
		idx = zip_file_add(za, e[i].name, part, ZIP_FL_ENC_UTF_8);
		ck_assert_msg(idx >= 0, "cannot add %s", e[i].name);
		ck_assert_int_eq(zip_set_file_compression(za, (zip_uint64_t)idx,
		    e[i].store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 9), 0);
	}
	ck_assert_int_eq(zip_close(za), 0);
	ck_assert_int_eq(zip_source_stat(src, &st), 0);
	ck_assert_int_eq(zip_source_open(src), 0);
	out = malloc(st.size > 0 ? st.size : 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(zip_source_read(src, out, st.size),
	    (zip_int64_t)st.size);
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
	*len = st.size;
	return out;
}

/* Writes a fuzzer seed when MODEL3MF_SEEDS names a folder. */
static void
seed(const char *kind, const char *name, unsigned char first,
    const void *data, size_t len)
{
	const char	*dir = getenv("MODEL3MF_SEEDS");
	char		 path[1024];
	FILE		*f;

	if (dir == NULL || dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, kind, name);
	f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputc(first, f);	/* a mode (model3mf) or chunk size (_xml) */
	fwrite(data, 1, len, f);
	fclose(f);
}

static void
text(struct buf *b, const char *s)
{
	ck_assert_int_eq(buf_addstr(b, s), 0);
}

/* An axis-aligned box of sizes s at o as an <object>, outward facing. */
static void
box_object(struct buf *b, unsigned id, const char *name, const double o[3],
    const double s[3])
{
	static const int quad[6][4] = {
		{ 0, 2, 3, 1 }, { 4, 5, 7, 6 }, { 0, 1, 5, 4 },
		{ 2, 6, 7, 3 }, { 0, 4, 6, 2 }, { 1, 3, 7, 5 },
	};
	int	i;

	ck_assert_int_eq(buf_printf(b, "<object id=\"%u\" type=\"model\"", id),
	    0);
	if (name != NULL)
		ck_assert_int_eq(buf_printf(b, " name=\"%s\"", name), 0);
	text(b, "><mesh><vertices>\n");
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(buf_printf(b, "<vertex x=\"%g\" y=\"%g\" "
		    "z=\"%g\"/>\n", o[0] + ((i & 1) ? s[0] : 0), o[1] +
		    ((i & 2) ? s[1] : 0), o[2] + ((i & 4) ? s[2] : 0)), 0);
	text(b, "</vertices><triangles>\n");
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(buf_printf(b, "<triangle v1=\"%d\" v2=\"%d\" "
		    "v3=\"%d\"/>\n<triangle v1=\"%d\" v2=\"%d\" v3=\"%d\"/>\n",
		    quad[i][0], quad[i][1], quad[i][2], quad[i][0], quad[i][2],
		    quad[i][3]), 0);
	text(b, "</triangles></mesh></object>\n");
}

static void
cube_object(struct buf *b, unsigned id, const char *name, double side)
{
	const double	o[3] = { 0, 0, 0 }, s[3] = { side, side, side };

	box_object(b, id, name, o, s);
}

/* A whole model document: unit ("" for none), resources, build items. */
static char *
model(const char *unit, const char *resources, const char *build)
{
	struct buf	b;

	buf_init(&b, 64 << 20);
	ck_assert_int_eq(buf_printf(&b, "<?xml version=\"1.0\" encoding="
	    "\"UTF-8\"?>\n<model%s%s%s xml:lang=\"en-US\" xmlns=\"" CORE_NS
	    "\" xmlns:p=\"" PROD_NS "\">\n<resources>\n%s</resources>\n"
	    "<build>\n%s</build>\n</model>\n", unit[0] != '\0' ? " unit=\"" :
	    "", unit, unit[0] != '\0' ? "\"" : "", resources, build), 0);
	return b.data;
}

/* A model of one cube of side `side`, as object 1, built once. */
static char *
cube_model(const char *unit, double side)
{
	struct buf	 r;
	char		*m;

	buf_init(&r, 1 << 20);
	cube_object(&r, 1, "cube", side);
	m = model(unit, r.data, "<item objectid=\"1\"/>\n");
	buf_free(&r);
	return m;
}

/* Reads a package of the usual three entries around the model text. */
static int
read_model(const char *xml, const struct model3mf_limits *lim,
    struct model3mf *out, struct err *e)
{
	const struct ent	 ents[] = {
		{ "[Content_Types].xml", content_types, 0, 0 },
		{ "_rels/.rels", rels_default, 0, 0 },
		{ "3D/3dmodel.model", xml, 0, 0 },
	};
	char			*zip;
	size_t			 len;
	int			 rc;

	zip = pack(ents, 3, &len);
	memset(e, 0, sizeof(*e));
	rc = model3mf_read(zip, len, lim, out, e);
	free(zip);
	return rc;
}

/* Like read_model, but any entries. */
static int
read_ents(const struct ent *ents, size_t n,
    const struct model3mf_limits *lim, struct model3mf *out, struct err *e)
{
	char	*zip;
	size_t	 len;
	int	 rc;

	zip = pack(ents, n, &len);
	memset(e, 0, sizeof(*e));
	rc = model3mf_read(zip, len, lim, out, e);
	free(zip);
	return rc;
}

static void
assert_refused(int rc, int want, const struct err *e, const char *words)
{
	ck_assert_int_eq(rc, want);
	ck_assert_msg(strstr(e->message, words) != NULL, "\"%s\" not in \"%s\"",
	    words, e->message);
}

/* ---- 3MF: what is read ---- */

START_TEST(a_10mm_cube_is_1000_mm3_with_600_mm2_of_surface)
{
	struct model3mf	 m;
	struct err	 e;
	char		*xml, *zip;
	size_t		 len;
	const struct ent ents[] = {
		{ "[Content_Types].xml", content_types, 0, 0 },
		{ "_rels/.rels", rels_default, 0, 0 },
		{ "3D/3dmodel.model", NULL, 0, 0 },
	};
	struct ent	 mine[3];
	int		 d;

	xml = cube_model("millimeter", 10);
	memcpy(mine, ents, sizeof(ents));
	mine[2].data = xml;
	ck_assert_int_eq(read_ents(mine, 3, NULL, &m, &e), 0);
	ck_assert_uint_eq(m.nparts, 1);
	ck_assert_str_eq(m.parts[0].name, "cube");
	ck_assert_uint_eq(m.parts[0].objects, 1);
	ck_assert_uint_eq(m.parts[0].stats.triangles, 12);
	ck_assert_uint_eq(m.parts[0].stats.vertices, 8);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1000, 1e-9);
	ck_assert_double_eq_tol(m.parts[0].stats.area, 600, 1e-9);
	ck_assert_int_eq(m.parts[0].stats.watertight, 1);
	ck_assert_uint_eq(m.parts[0].stats.shells, 1);
	for (d = 0; d < 3; d++) {
		ck_assert_double_eq(m.parts[0].stats.min[d], 0);
		ck_assert_double_eq(m.parts[0].stats.max[d], 10);
	}
	ck_assert_double_eq(m.unit_mm, 1);
	model3mf_free(&m);
	ck_assert_ptr_null(m.parts);
	/* the same package as a seed for the fuzzers */
	zip = pack(mine, 3, &len);
	seed("model3mf", "cube", 0x00, zip, len);
	seed("model3mf_xml", "cube", 0x00, xml, strlen(xml));
	seed("model3mf_xml", "cube_bytewise", 0x01, xml, strlen(xml));
	free(zip);
	free(xml);
}
END_TEST

START_TEST(two_objects_are_two_parts_with_their_own_volumes)
{
	const double	 o[3] = { 50, 0, 0 }, s[3] = { 20, 10, 5 };
	struct model3mf	 m;
	struct err	 e;
	struct buf	 r;
	char		*xml;

	buf_init(&r, 1 << 20);
	cube_object(&r, 1, "small cube", 10);
	box_object(&r, 2, NULL, o, s);
	xml = model("", r.data, "<item objectid=\"1\"/>\n"
	    "<item objectid=\"2\"/>\n");
	ck_assert_int_eq(read_model(xml, NULL, &m, &e), 0);
	ck_assert_uint_eq(m.nparts, 2);
	ck_assert_str_eq(m.parts[0].name, "small cube");
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1000, 1e-9);
	/* an object without a name is called by its id */
	ck_assert_str_eq(m.parts[1].name, "object 2");
	ck_assert_double_eq_tol(m.parts[1].stats.volume, 1000, 1e-9);
	ck_assert_double_eq_tol(m.parts[1].stats.area, 2 * (200 + 100 + 50),
	    1e-9);
	ck_assert_double_eq(m.parts[1].stats.min[0], 50);
	ck_assert_double_eq(m.parts[1].stats.max[0], 70);
	model3mf_free(&m);
	free(xml);
	buf_free(&r);
}
END_TEST

START_TEST(a_build_item_transform_scales_and_moves_the_part)
{
	struct model3mf	 m;
	struct err	 e;
	struct buf	 r;
	char		*xml;

	buf_init(&r, 1 << 20);
	cube_object(&r, 1, "cube", 10);
	/* twice as large, then moved by (5, 6, 7) */
	xml = model("", r.data, "<item objectid=\"1\" transform=\"2 0 0 0 2 0 "
	    "0 0 2 5 6 7\"/>\n");
	ck_assert_int_eq(read_model(xml, NULL, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 8000, 1e-9);
	ck_assert_double_eq_tol(m.parts[0].stats.area, 2400, 1e-9);
	ck_assert_double_eq(m.parts[0].stats.min[0], 5);
	ck_assert_double_eq(m.parts[0].stats.min[1], 6);
	ck_assert_double_eq(m.parts[0].stats.min[2], 7);
	ck_assert_double_eq(m.parts[0].stats.max[0], 25);
	ck_assert_double_eq(m.parts[0].stats.max[2], 27);
	model3mf_free(&m);
	free(xml);
	/* a quarter turn about z: x' = -y, y' = x (rows m00.. as the spec) */
	xml = model("", r.data, "<item objectid=\"1\" transform=\"0 1 0 -1 0 0 "
	    "0 0 1 0 0 0\"/>\n");
	ck_assert_int_eq(read_model(xml, NULL, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1000, 1e-9);
	ck_assert_double_eq(m.parts[0].stats.min[0], -10);
	ck_assert_double_eq(m.parts[0].stats.max[0], 0);
	ck_assert_double_eq(m.parts[0].stats.min[1], 0);
	ck_assert_double_eq(m.parts[0].stats.max[1], 10);
	model3mf_free(&m);
	free(xml);
	buf_free(&r);
}
END_TEST

START_TEST(component_transforms_compose_with_the_item_and_mirrors_stay_closed)
{
	struct model3mf	 m;
	struct err	 e;
	struct buf	 r;
	char		*xml, *zip;
	size_t		 len;
	const struct ent ents[] = {
		{ "[Content_Types].xml", content_types, 0, 0 },
		{ "_rels/.rels", rels_default, 0, 0 },
		{ "3D/3dmodel.model", NULL, 0, 0 },
	};
	struct ent	 mine[3];

	buf_init(&r, 1 << 20);
	cube_object(&r, 1, "cube", 10);
	/*
	 * object 2: the cube as it is, the cube doubled and moved to x =
	 * 100, and the cube mirrored in x (so at -10..0): 1000 + 8000 +
	 * 1000 mm3, three closed shells however the mirror is written.
	 */
	text(&r, "<object id=\"2\" name=\"assembly\"><components>\n"
	    "<component objectid=\"1\"/>\n"
	    "<component objectid=\"1\" transform=\"2 0 0 0 2 0 0 0 2 100 0 "
	    "0\"/>\n"
	    "<component objectid=\"1\" transform=\"-1 0 0 0 1 0 0 0 1 0 0 "
	    "0\"/>\n</components></object>\n");
	xml = model("", r.data, "<item objectid=\"2\" transform=\"1 0 0 0 1 0 "
	    "0 0 1 0 50 0\"/>\n");
	ck_assert_int_eq(read_model(xml, NULL, &m, &e), 0);
	ck_assert_str_eq(m.parts[0].name, "assembly");
	ck_assert_uint_eq(m.parts[0].objects, 3);
	ck_assert_uint_eq(m.parts[0].stats.triangles, 36);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 10000, 1e-9);
	ck_assert_uint_eq(m.parts[0].stats.shells, 3);
	ck_assert_int_eq(m.parts[0].stats.watertight, 1);
	ck_assert_double_eq(m.parts[0].stats.min[0], -10);
	ck_assert_double_eq(m.parts[0].stats.max[0], 120);
	ck_assert_double_eq(m.parts[0].stats.min[1], 50);
	ck_assert_double_eq(m.parts[0].stats.max[1], 70);
	model3mf_free(&m);
	memcpy(mine, ents, sizeof(ents));
	mine[2].data = xml;
	zip = pack(mine, 3, &len);
	seed("model3mf", "components", 0x00, zip, len);
	seed("model3mf_xml", "components", 0x07, xml, strlen(xml));
	free(zip);
	free(xml);
	buf_free(&r);
}
END_TEST

START_TEST(units_scale_to_millimetres)
{
	struct model3mf	 m;
	struct err	 e;
	struct buf	 r;
	char		*xml;

	xml = cube_model("inch", 1);
	ck_assert_int_eq(read_model(xml, NULL, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 16387.064, 1e-6);
	ck_assert_double_eq_tol(m.parts[0].stats.max[0], 25.4, 1e-12);
	ck_assert_double_eq(m.unit_mm, 25.4);
	model3mf_free(&m);
	free(xml);
	xml = cube_model("micron", 1000);
	ck_assert_int_eq(read_model(xml, NULL, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1, 1e-9);
	model3mf_free(&m);
	free(xml);
	xml = cube_model("centimeter", 1);
	ck_assert_int_eq(read_model(xml, NULL, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1000, 1e-9);
	model3mf_free(&m);
	free(xml);
	/* a translation is in the model's unit too: 1 inch along x */
	buf_init(&r, 1 << 20);
	cube_object(&r, 1, "cube", 1);
	xml = model("inch", r.data, "<item objectid=\"1\" transform=\"1 0 0 0 "
	    "1 0 0 0 1 1 0 0\"/>\n");
	ck_assert_int_eq(read_model(xml, NULL, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.min[0], 25.4, 1e-12);
	ck_assert_double_eq_tol(m.parts[0].stats.max[0], 50.8, 1e-12);
	model3mf_free(&m);
	free(xml);
	xml = cube_model("furlong", 1);
	assert_refused(read_model(xml, NULL, &m, &e), ERR_INVALID, &e,
	    "unknown unit \"furlong\"");
	ck_assert_ptr_null(m.parts);
	free(xml);
	buf_free(&r);
}
END_TEST

/*
 * Bambu Studio writes the meshes into 3D/Objects/object_N.model and
 * places them from the root model with p:path components.
 */
START_TEST(bambu_style_objects_in_another_model_file_are_followed)
{
	struct model3mf	 m;
	struct err	 e;
	struct buf	 r, o;
	char		*root, *objects, *zip;
	size_t		 len;
	struct ent	 ents[] = {
		{ "[Content_Types].xml", content_types, 0, 0 },
		{ "_rels/.rels", rels_default, 0, 0 },
		{ "3D/3dmodel.model", NULL, 0, 0 },
		{ "3D/Objects/object_1.model", NULL, 0, 0 },
		{ "Metadata/plate_1.png", "\211PNG\r\n\032\n", 8, 1 },
	};

	buf_init(&o, 1 << 20);
	cube_object(&o, 1, NULL, 10);
	cube_object(&o, 2, NULL, 5);
	objects = model("millimeter", o.data, "");
	buf_init(&r, 1 << 20);
	text(&r, "<object id=\"3\" p:UUID=\"00000001-61cb-4c03-9d28-"
	    "80fed5dfa1dc\" type=\"model\" name=\"Bracket\"><components>\n"
	    "<component p:path=\"/3D/Objects/object_1.model\" objectid=\"1\" "
	    "transform=\"" IDENT "\"/>\n"
	    "<component p:path=\"/3D/Objects/object_1.model\" objectid=\"2\" "
	    "transform=\"1 0 0 0 1 0 0 0 1 0 0 10\"/>\n"
	    "</components></object>\n");
	root = model("millimeter", r.data, "<item objectid=\"3\" "
	    "transform=\"1 0 0 0 1 0 0 0 1 128 128 0\" printable=\"1\"/>\n");
	ents[2].data = root;
	ents[3].data = objects;
	ck_assert_int_eq(read_ents(ents, 5, NULL, &m, &e), 0);
	ck_assert_uint_eq(m.nparts, 1);
	ck_assert_str_eq(m.parts[0].name, "Bracket");
	ck_assert_uint_eq(m.parts[0].objects, 2);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1125, 1e-9);
	ck_assert_double_eq(m.parts[0].stats.min[0], 128);
	ck_assert_double_eq(m.parts[0].stats.max[2], 15);
	model3mf_free(&m);
	zip = pack(ents, 5, &len);
	seed("model3mf", "bambu", 0x00, zip, len);
	free(zip);
	/* the packed form of the fuzzer: 0x80, root, 0x01, object file */
	if (getenv("MODEL3MF_SEEDS") != NULL) {
		struct buf	s;

		buf_init(&s, 1 << 20);
		text(&s, root);
		ck_assert_int_eq(buf_addc(&s, '\001'), 0);
		text(&s, objects);
		seed("model3mf", "bambu_packed", 0x80, s.data, s.len);
		buf_free(&s);
	}
	/* the object file missing: said so, by name */
	ents[3].name = "3D/Objects/object_9.model";
	assert_refused(read_ents(ents, 5, NULL, &m, &e), ERR_INVALID, &e,
	    "3D/Objects/object_1.model");
	free(root);
	free(objects);
	buf_free(&r);
	buf_free(&o);
}
END_TEST

START_TEST(the_root_model_is_found_through_the_relationships)
{
	static const char rels[] =
	    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/"
	    "2006/relationships\"><Relationship Target=\"/3D/Thumb.png\" "
	    "Id=\"a\" Type=\"http://schemas.openxmlformats.org/package/2006/"
	    "relationships/metadata/thumbnail\"/><Relationship Target=\"/3D/"
	    "main.model\" Id=\"b\" Type=\"http://schemas.microsoft.com/"
	    "3dmanufacturing/2013/01/3dmodel\"/></Relationships>";
	struct model3mf	 m;
	struct err	 e;
	char		*big, *small;
	struct ent	 ents[] = {
		{ "_rels/.rels", rels, 0, 0 },
		{ "3D/3dmodel.model", NULL, 0, 0 },
		{ "3D/main.model", NULL, 0, 0 },
	};

	small = cube_model("", 1);
	big = cube_model("", 10);
	ents[1].data = small;
	ents[2].data = big;
	ck_assert_int_eq(read_ents(ents, 3, NULL, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1000, 1e-9);
	model3mf_free(&m);
	/* no relationships at all: the usual name */
	ck_assert_int_eq(read_ents(ents + 1, 2, NULL, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1, 1e-9);
	model3mf_free(&m);
	free(small);
	free(big);
}
END_TEST

START_TEST(the_xml_may_arrive_in_pieces_of_any_size)
{
	struct model3mf	 m;
	struct err	 e = { 0 };
	char		*xml;
	size_t		 chunk;

	xml = cube_model("inch", 1);
	for (chunk = 1; chunk < 40; chunk += 3) {
		ck_assert_int_eq(model3mf_read_xml(xml, strlen(xml), chunk,
		    NULL, &m, &e), 0);
		ck_assert_double_eq_tol(m.parts[0].stats.volume, 16387.064,
		    1e-6);
		model3mf_free(&m);
	}
	free(xml);
}
END_TEST

/* ---- 3MF: what is refused ---- */

START_TEST(what_is_not_a_3mf_model_is_refused_in_words)
{
	struct model3mf	 m;
	struct err	 e = { 0 };
	struct ent	 ents[] = {
		{ "[Content_Types].xml", content_types, 0, 0 },
		{ "_rels/.rels", rels_default, 0, 0 },
	};
	char		*xml, *zip;
	size_t		 len;

	assert_refused(model3mf_read("solid x\nendsolid x\n", 19, NULL, &m,
	    &e), ERR_INVALID, &e, "not a ZIP archive");
	/* libzip takes an empty file for an empty archive */
	assert_refused(model3mf_read("", 0, NULL, &m, &e), ERR_INVALID, &e,
	    "no 3D model");
	/* a package without its model */
	assert_refused(read_ents(ents, 2, NULL, &m, &e), ERR_INVALID, &e,
	    "no 3D model");
	/* the archive cut short */
	xml = cube_model("", 10);
	{
		struct ent	whole[] = {
			{ "_rels/.rels", rels_default, 0, 0 },
			{ "3D/3dmodel.model", xml, 0, 0 },
		};

		zip = pack(whole, 2, &len);
	}
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(model3mf_read(zip, len / 2, NULL, &m, &e),
	    ERR_INVALID);
	free(zip);
	/* the XML cut short */
	xml[strlen(xml) / 2] = '\0';
	assert_refused(read_model(xml, NULL, &m, &e), ERR_INVALID, &e,
	    "XML error: ");
	ck_assert_ptr_nonnull(strstr(e.message, "3D/3dmodel.model line"));
	free(xml);
	assert_refused(read_model("<?xml version=\"1.0\"?><other/>", NULL, &m,
	    &e), ERR_INVALID, &e, "root element is not <model>");
	assert_refused(read_model("<?xml version=\"1.0\"?><!DOCTYPE model ["
	    "<!ENTITY a \"aaaaaaaaaa\">]><model/>", NULL, &m, &e), ERR_INVALID,
	    &e, "DOCTYPE");
	xml = model("", "", "");
	assert_refused(read_model(xml, NULL, &m, &e), ERR_INVALID, &e,
	    "places nothing");
	free(xml);
	ck_assert_ptr_null(m.parts);
}
END_TEST

#define TRIANGLE_VERTICES "<vertices><vertex x=\"0\" y=\"0\" z=\"0\"/>" \
	"<vertex x=\"1\" y=\"0\" z=\"0\"/><vertex x=\"0\" y=\"1\" z=\"0\"/>" \
	"</vertices>"

/*
 * Models that must be refused, and the words that must say why.  When
 * cube is set, a unit cube with that id comes before the resources.
 */
static const struct {
	unsigned	 cube;
	const char	*resources;
	const char	*build;
	const char	*words;
} malformed[] = {
	{ 0, "<object id=\"1\"><mesh><vertices><vertex x=\"0\" y=\"0\" "
	    "z=\"0\"/><vertex x=\"1\" y=\"0\" z=\"0\"/><vertex x=\"NaN\" "
	    "y=\"1\" z=\"0\"/></vertices></mesh></object>",
	    "<item objectid=\"1\"/>",
	    "3D/3dmodel.model line 4: vertex 3 of object 1: x is not a finite "
	    "number" },
	{ 0, "<object id=\"1\"><mesh><vertices><vertex x=\"0\" y=\"0\" "
	    "z=\"1e999\"/></vertices></mesh></object>",
	    "<item objectid=\"1\"/>", "z is not a finite number" },
	{ 0, "<object id=\"1\"><mesh><vertices><vertex x=\"0\" y=\"0\" "
	    "z=\"zero\"/></vertices></mesh></object>",
	    "<item objectid=\"1\"/>", "z is missing or not a number" },
	{ 0, "<object id=\"7\"><mesh><vertices><vertex x=\"0\" y=\"0\"/>"
	    "</vertices></mesh></object>",
	    "<item objectid=\"7\"/>", "z is missing or not a number" },
	{ 0, "<object id=\"7\"><mesh>" TRIANGLE_VERTICES "<triangles>"
	    "<triangle v1=\"0\" v2=\"1\" v3=\"2\"/><triangle v1=\"0\" "
	    "v2=\"3\" v3=\"2\"/></triangles></mesh></object>",
	    "<item objectid=\"7\"/>",
	    "triangle 2 of object 7 names vertex 3, but the object has 3" },
	{ 0, "<object id=\"7\"><mesh>" TRIANGLE_VERTICES "<triangles>"
	    "<triangle v1=\"0\" v2=\"-1\" v3=\"0\"/></triangles></mesh>"
	    "</object>",
	    "<item objectid=\"7\"/>", "v2 is missing or not a vertex index" },
	{ 1, "", "<item objectid=\"1\" transform=\"1 0 0 0 1 0 0 0 1 0 0\"/>",
	    "not twelve finite numbers" },
	{ 1, "", "<item objectid=\"1\" transform=\"1 0 0 0 1 0 0 0 1 0 0 "
	    "inf\"/>", "not twelve finite numbers" },
	{ 1, "", "<item objectid=\"2\"/>",
	    "names object 2, which 3D/3dmodel.model does not define" },
	{ 1, "<object id=\"1\"/>", "<item objectid=\"1\"/>",
	    "defines object 1 twice" },
	{ 0, "<object><mesh/></object>", "", "an object without a numeric id" },
	{ 1, "", "<item/>", "no numeric objectid" },
	{ 0, "<object id=\"1\"><mesh/><components/></object>", "",
	    "object 1 has more than one mesh or set of components" },
	{ 0, "<object id=\"1\"><mesh>" TRIANGLE_VERTICES "<triangles/></mesh>"
	    "</object>", "<item objectid=\"1\"/>",
	    "build item 1 (object 1) places no triangles" },
	{ 1, "<object id=\"2\"><components><component objectid=\"1\"/>"
	    "<component objectid=\"3\"/></components></object><object "
	    "id=\"3\"><components><component objectid=\"2\"/></components>"
	    "</object>", "<item objectid=\"2\"/>",
	    "object 2 holds itself through its components" },
	{ 0, "<object id=\"1\"><components><component objectid=\"1\"/>"
	    "</components></object>", "<item objectid=\"1\"/>",
	    "object 1 holds itself" },
	{ 1, "<object id=\"2\"><components><component objectid=\"9\"/>"
	    "</components></object>", "<item objectid=\"2\"/>",
	    "object 2 names object 9, which 3D/3dmodel.model does not define" },
};

START_TEST(malformed_models_are_refused_with_their_place)
{
	struct model3mf	 m;
	struct err	 e;
	struct buf	 r;
	char		*xml;
	size_t		 i;
	int		 rc;

	buf_init(&r, 1 << 20);
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		buf_reset(&r);
		text(&r, "");	/* r.data a string, even if empty */
		if (malformed[i].cube != 0)
			cube_object(&r, malformed[i].cube, NULL, 1);
		text(&r, malformed[i].resources);
		xml = model("", r.data, malformed[i].build);
		rc = read_model(xml, NULL, &m, &e);
		ck_assert_msg(rc == ERR_INVALID && strstr(e.message,
		    malformed[i].words) != NULL, "case %zu: %d \"%s\"", i, rc,
		    e.message);
		ck_assert_ptr_null(m.parts);
		free(xml);
	}
	buf_free(&r);
}
END_TEST

START_TEST(deep_nesting_is_refused)
{
	struct model3mf		 m;
	struct model3mf_limits	 lim = MODEL3MF_LIMITS;
	struct err		 e;
	struct buf		 r;
	char			*xml;
	int			 i;

	/* a chain of 20 objects, each holding the next: 19 levels deep */
	buf_init(&r, 1 << 20);
	cube_object(&r, 20, NULL, 1);
	for (i = 1; i < 20; i++)
		ck_assert_int_eq(buf_printf(&r, "<object id=\"%d\"><components>"
		    "<component objectid=\"%d\"/></components></object>", i,
		    i + 1), 0);
	xml = model("", r.data, "<item objectid=\"1\"/>");
	assert_refused(read_model(xml, NULL, &m, &e), ERR_INVALID, &e,
	    "nest deeper than 16 levels");
	lim.depth = 19;
	ck_assert_int_eq(read_model(xml, &lim, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1, 1e-12);
	ck_assert_uint_eq(m.parts[0].objects, 1);
	model3mf_free(&m);
	free(xml);
	/* XML nested past its own limit */
	buf_reset(&r);
	for (i = 0; i < 100; i++)
		text(&r, "<a>");
	for (i = 0; i < 100; i++)
		text(&r, "</a>");
	xml = model("", r.data, "");
	assert_refused(read_model(xml, NULL, &m, &e), ERR_INVALID, &e,
	    "nest deeper than 64 levels");
	free(xml);
	buf_free(&r);
}
END_TEST

START_TEST(triangle_and_vertex_ceilings_count_what_is_read_and_placed)
{
	struct model3mf		 m;
	struct model3mf_limits	 lim = MODEL3MF_LIMITS;
	struct err		 e;
	struct buf		 r;
	char			*xml;

	buf_init(&r, 1 << 20);
	cube_object(&r, 1, NULL, 1);
	xml = model("", r.data, "<item objectid=\"1\"/>");
	lim.triangles = 11;
	assert_refused(read_model(xml, &lim, &m, &e), ERR_TOO_LARGE, &e,
	    "more than 11 triangles");
	lim = (struct model3mf_limits)MODEL3MF_LIMITS;
	lim.vertices = 7;
	assert_refused(read_model(xml, &lim, &m, &e), ERR_TOO_LARGE, &e,
	    "more than 7 vertices");
	free(xml);
	/* 12 triangles read, 36 placed: the placing counts */
	xml = model("", r.data, "<item objectid=\"1\"/><item objectid=\"1\" "
	    "transform=\"1 0 0 0 1 0 0 0 1 5 0 0\"/><item objectid=\"1\"/>");
	lim = (struct model3mf_limits)MODEL3MF_LIMITS;
	lim.triangles = 30;
	assert_refused(read_model(xml, &lim, &m, &e), ERR_TOO_LARGE, &e,
	    "the build places more than 30 triangles");
	lim.triangles = 36;
	ck_assert_int_eq(read_model(xml, &lim, &m, &e), 0);
	ck_assert_uint_eq(m.nparts, 3);
	ck_assert_double_eq(m.parts[1].stats.min[0], 5);
	model3mf_free(&m);
	lim.items = 2;
	assert_refused(read_model(xml, &lim, &m, &e), ERR_TOO_LARGE, &e,
	    "more than 2 build items");
	free(xml);
	buf_free(&r);
}
END_TEST

START_TEST(zip_bombs_are_stopped_while_they_inflate)
{
	struct model3mf		 m;
	struct model3mf_limits	 lim = MODEL3MF_LIMITS;
	struct err		 e;
	struct buf		 b;
	char			*cube;
	struct ent		 ents[] = {
		{ "_rels/.rels", rels_default, 0, 0 },
		{ "3D/3dmodel.model", NULL, 0, 0 },
	};

	/* a model padded with 8 MB of blanks: about 1000 to 1 */
	cube = cube_model("", 10);
	buf_init(&b, 16 << 20);
	text(&b, cube);
	b.data[b.len - strlen("</model>\n")] = '\0';
	b.len = strlen(b.data);
	while (b.len < (8 << 20))
		text(&b, "                                                "
		    "                                                ");
	text(&b, "</model>\n");
	ents[1].data = b.data;
	assert_refused(read_ents(ents, 2, NULL, &m, &e), ERR_TOO_LARGE, &e,
	    "3D/3dmodel.model unpacks to more than 100 times its packed size");
	/* stored, it is no bomb: 8 MB of blanks are read */
	ents[1].store = 1;
	ck_assert_int_eq(read_ents(ents, 2, NULL, &m, &e), 0);
	ck_assert_double_eq_tol(m.parts[0].stats.volume, 1000, 1e-9);
	model3mf_free(&m);
	/* the same past a lowered total, and a lowered entry ceiling */
	lim.inflated = 1 << 20;
	assert_refused(read_ents(ents, 2, &lim, &m, &e), ERR_TOO_LARGE, &e,
	    "the archive inflates past 1 MB");
	lim = (struct model3mf_limits)MODEL3MF_LIMITS;
	lim.entry = 512 << 10;
	assert_refused(read_ents(ents, 2, &lim, &m, &e), ERR_TOO_LARGE, &e,
	    "3D/3dmodel.model unpacks to more than 512 KB");
	/* one tag of 5 MB: expat would have to hold it whole */
	buf_reset(&b);
	text(&b, "<model xmlns=\"" CORE_NS "\"><resources><object id=\"1\" "
	    "name=\"");
	while (b.len < (5 << 20))
		text(&b, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn");
	text(&b, "\"/></resources></model>");
	assert_refused(model3mf_read_xml(b.data, b.len, 0, NULL, &m, &e),
	    ERR_TOO_LARGE, &e, "one tag, comment or text runs past");
	buf_free(&b);
	free(cube);
}
END_TEST

START_TEST(more_than_200_entries_are_refused)
{
	struct model3mf	 m;
	struct err	 e;
	struct ent	*ents;
	char		*xml, (*names)[32];
	int		 i;

	ents = calloc(201, sizeof(*ents));
	names = calloc(201, sizeof(*names));
	ck_assert_ptr_nonnull(ents);
	ck_assert_ptr_nonnull(names);
	xml = cube_model("", 10);
	ents[0].name = "3D/3dmodel.model";
	ents[0].data = xml;
	for (i = 1; i < 201; i++) {
		snprintf(names[i], sizeof(names[i]), "Metadata/n%d.txt", i);
		ents[i].name = names[i];
		ents[i].data = "x";
	}
	assert_refused(read_ents(ents, 201, NULL, &m, &e), ERR_TOO_LARGE, &e,
	    "more than 200 entries");
	ck_assert_int_eq(read_ents(ents, 200, NULL, &m, &e), 0);
	model3mf_free(&m);
	free(xml);
	free(ents);
	free(names);
}
END_TEST

START_TEST(archives_inside_and_names_outside_the_package_are_refused)
{
	static const char *const bad[] = {
		"../x", "/abs", "a/../../x", "C:/x", "\\x", "Metadata/..\\x",
	};
	struct model3mf	 m;
	struct err	 e;
	char		*xml, *inner;
	size_t		 i, ilen;
	struct ent	 ents[] = {
		{ "3D/3dmodel.model", NULL, 0, 0 },
		{ "Metadata/extra.bin", NULL, 0, 0 },
	};

	xml = cube_model("", 10);
	ents[0].data = xml;
	ents[1].data = "harmless";
	ck_assert_int_eq(read_ents(ents, 2, NULL, &m, &e), 0);
	model3mf_free(&m);
	/* a ZIP by its first bytes, whatever it is called */
	inner = pack(ents, 1, &ilen);
	ents[1].data = inner;
	ents[1].len = ilen;
	assert_refused(read_ents(ents, 2, NULL, &m, &e), ERR_INVALID, &e,
	    "\"Metadata/extra.bin\" is a ZIP archive inside the archive");
	/* or by its name */
	ents[1].data = "not really";
	ents[1].len = 0;
	ents[1].name = "Metadata/inner.3mf";
	assert_refused(read_ents(ents, 2, NULL, &m, &e), ERR_INVALID, &e,
	    "archive inside the archive");
	ents[1].name = "parts.ZIP";
	assert_refused(read_ents(ents, 2, NULL, &m, &e), ERR_INVALID, &e,
	    "archive inside the archive");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ents[1].name = bad[i];
		ck_assert_int_eq(read_ents(ents, 2, NULL, &m, &e), ERR_INVALID);
		ck_assert_msg(strstr(e.message, "absolute name") != NULL ||
		    strstr(e.message, "climbs out of the package") != NULL,
		    "%s: %s", bad[i], e.message);
	}
	ents[1].name = "Metadata/..hidden/x";	/* a name, not a climb */
	ck_assert_int_eq(read_ents(ents, 2, NULL, &m, &e), 0);
	model3mf_free(&m);
	free(inner);
	free(xml);
}
END_TEST

/* ---- OBJ ---- */

static const char obj_cube[] =
    "# a 10 mm cube of quads\n"
    "o cube\n"
    "v 0 0 0\nv 10 0 0\nv 0 10 0\nv 10 10 0\n"
    "v 0 0 10\nv 10 0 10\nv 0 10 10\nv 10 10 10\n"
    "vn 0 0 1\nvt 0 0\n"
    "usemtl none\ns off\n"
    "f 1 3 4 2\nf 5 6 8 7\nf 1 2 6 5\nf 3 7 8 4\nf 1 5 7 3\nf 2 4 8 6\n";

START_TEST(obj_a_cube_of_quads_is_1000_mm3)
{
	struct mesh_stats	st;
	struct err		e = { 0 };

	ck_assert_int_eq(mesh_obj(obj_cube, strlen(obj_cube), 0, &st, &e), 0);
	ck_assert_uint_eq(st.triangles, 12);
	ck_assert_uint_eq(st.vertices, 8);
	ck_assert_double_eq_tol(st.volume, 1000, 1e-9);
	ck_assert_double_eq_tol(st.area, 600, 1e-9);
	ck_assert_int_eq(st.watertight, 1);
	ck_assert_double_eq(st.max[2], 10);
}
END_TEST

START_TEST(obj_negative_and_slashed_corners_name_the_same_vertices)
{
	static const char obj[] =
	    "v 0 0 0\r\nv 10 0 0\r\nv 0 10 0\r\nv 10 10 0\r\n"
	    "v 0 0 10\r\nv 10 0 10\r\nv 0 10 10\r\nv 10 10 10\r\n"
	    "f -8/1/1 -6/1/1 -5/1/1 -7/1/1\r\n"
	    "f 5//2 6//2 8//2 7//2\r\n"
	    "f\t1/3 2/3 6/3 5/3\r\n"
	    "f -6 -2 -1 -5\r\nf 1 5 7 3\r\nf 2 4 8 6";
	static const char fan[] = "v 0 0 0\nv 1 0 0\nv 2 1 0\nv 1 2 0\n"
	    "v 0 2 0\nv -1 1 0\nf 1 2 3 4 5 6\n";
	struct mesh_stats	st;
	struct err		e = { 0 };

	ck_assert_int_eq(mesh_obj(obj, strlen(obj), 0, &st, &e), 0);
	ck_assert_double_eq_tol(st.volume, 1000, 1e-9);
	ck_assert_int_eq(st.watertight, 1);
	/* one fan of six corners: four triangles */
	ck_assert_int_eq(mesh_obj(fan, strlen(fan), 0, &st, &e), 0);
	ck_assert_uint_eq(st.triangles, 4);
	ck_assert_double_eq_tol(st.area, 4, 1e-12);
}
END_TEST

/* OBJ files that must be refused, and the words that must say why. */
static const struct {
	const char	*text;
	const char	*words;
} obj_malformed[] = {
	{ "v 0 0 0\nv 1 0 0\nf 1 2\n", "line 3: a face needs three corners" },
	{ "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n",
	    "line 4: the face names vertex 4, but 3 vertices come before it" },
	{ "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", "names vertex 0" },
	{ "v 0 0 0\nv 1 0 0\nv 0 1 0\nf -4 1 2\n", "names vertex -4" },
	{ "f 1 2 3\nv 0 0 0\nv 1 0 0\nv 0 1 0\n", "line 1" },
	{ "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 x\n",
	    "\"x\" is not a vertex reference" },
	{ "v 0 0\n", "line 1: a vertex needs three numbers" },
	{ "v 0 0 nan\n", "not a finite number" },
	{ "v 0 0 1e999\n", "not a finite number" },
	{ "v 0 0 1.5.2\n", "\"1.5.2\" is not a number" },
	{ "# nothing\nv 1 2 3\n", "no faces" },
	{ "", "no faces" },
};

START_TEST(obj_malformed_files_are_refused_with_the_line)
{
	struct mesh_stats	st;
	struct err		e = { 0 };
	const char		*t;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(obj_malformed) / sizeof(obj_malformed[0]);
	    i++) {
		t = obj_malformed[i].text;
		memset(&e, 0, sizeof(e));
		rc = mesh_obj(t, strlen(t), 0, &st, &e);
		ck_assert_msg(rc == ERR_INVALID && strstr(e.message,
		    obj_malformed[i].words) != NULL, "case %zu: %d \"%s\"", i,
		    rc, e.message);
	}
	/* ceilings: triangles, and three vertices per triangle */
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(mesh_obj(obj_cube, strlen(obj_cube), 11, &st, &e),
	    ERR_TOO_LARGE);
	ck_assert_ptr_nonnull(strstr(e.message, "more than 11 triangles"));
	ck_assert_int_eq(mesh_obj(obj_cube, strlen(obj_cube), 2, &st, &e),
	    ERR_TOO_LARGE);
	ck_assert_ptr_nonnull(strstr(e.message, "more than 6 vertices"));
}
END_TEST


/* ---- 3MF: a triangle sink, and the fast reader ---- */

START_TEST(a_sink_sees_every_placed_triangle_in_millimetres)
{
	struct model3mf_limits	 lim = MODEL3MF_LIMITS;
	struct vol_sink		 v;
	struct mesh_sink	 sink = { vol_triangle, &v };
	struct mesh_stats	 st;
	struct model3mf		 m;
	struct err		 e = { 0 };
	struct buf		 r;
	char			*xml;

	lim.sink = &sink;
	buf_init(&r, 1 << 20);
	cube_object(&r, 1, "cube", 1);
	/* inches; twice as long along x, then 1 inch along x */
	xml = model("inch", r.data, "<item objectid=\"1\" transform=\"2 0 0 0 "
	    "1 0 0 0 1 1 0 0\"/>\n");
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(read_model(xml, &lim, &m, &e), 0);
	ck_assert_uint_eq(v.n, 12);
	ck_assert_double_eq(v.six / 6, m.parts[0].stats.volume);
	ck_assert_double_eq_tol(v.six / 6, 2 * 16387.064, 1e-6);
	ck_assert_double_eq_tol(v.min_x, 25.4, 1e-12);
	model3mf_free(&m);
	free(xml);
	/* a mirror: the sink sees the triangles turned back, facing out */
	xml = model("", r.data, "<item objectid=\"1\" transform=\"-1 0 0 0 1 "
	    "0 0 0 1 0 0 0\"/>\n");
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(read_model(xml, &lim, &m, &e), 0);
	ck_assert_double_eq(v.six / 6, m.parts[0].stats.volume);
	ck_assert_double_eq_tol(v.six / 6, 1, 1e-12);
	model3mf_free(&m);
	free(xml);
	buf_free(&r);
	/* OBJ */
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(mesh_obj_sink(obj_cube, strlen(obj_cube), 0, &sink,
	    &st, &e), 0);
	ck_assert_uint_eq(v.n, 12);
	ck_assert_double_eq(v.six / 6, st.volume);
	ck_assert_double_eq_tol(st.volume, 1000, 1e-9);
}
END_TEST

/* A pseudo-random decimal, as writers spell them: many forms. */
static void
random_number(struct buf *b, uint32_t *seed)
{
	uint32_t	 r;
	int		 digits, point, i;

	*seed = *seed * 1103515245 + 12345;
	r = *seed >> 8;
	if (r & 1)
		text(b, (r & 2) ? "-" : "+");
	digits = 1 + (int)((r >> 2) % 18);
	point = (int)((r >> 7) % (unsigned)(digits + 2)) - 1;
	for (i = 0; i < digits; i++) {
		if (i == point)
			text(b, ".");
		*seed = *seed * 1103515245 + 12345;
		ck_assert_int_eq(buf_addc(b, (char)('0' + (*seed >> 16) % 10)),
		    0);
	}
	if ((r >> 12) % 4 == 0)
		ck_assert_int_eq(buf_printf(b, "e%d", (int)((r >> 14) % 61) -
		    30), 0);
	else if ((r >> 12) % 4 == 1)
		ck_assert_int_eq(buf_printf(b, "E+%d", (int)((r >> 14) % 25)),
		    0);
}

/*
 * A model of n random vertices and a strip of triangles over them.  With
 * odd set, every vertex and triangle carries a prefixed attribute, which
 * the fast reader leaves to expat and the handlers skip.
 */
static char *
random_model(int n, int odd)
{
	struct buf	 b;
	uint32_t	 seed = 7;
	const char	*tail = odd ? " q:a=\"1\"/>\n" : "/>\n";
	int		 i, k;

	buf_init(&b, 64 << 20);
	ck_assert_int_eq(buf_printf(&b, "<?xml version=\"1.0\"?>\n<model "
	    "unit=\"millimeter\" xmlns=\"" CORE_NS "\" xmlns:q=\"urn:q\">\n"
	    "<resources><object id=\"1\"><mesh>\n<vertices>\n"), 0);
	for (i = 0; i < n; i++) {
		text(&b, i % 3 == 0 ? "<vertex\tx=\"" : "  <vertex x='");
		for (k = 0; k < 3; k++) {
			random_number(&b, &seed);
			if (k < 2)
				text(&b, i % 3 == 0 ? "\" \r\n   " : "' ");
			text(&b, k == 0 ? (i % 3 == 0 ? "y=\"" : "y='") :
			    k == 1 ? (i % 3 == 0 ? "z=\"" : "z='") : "");
		}
		text(&b, i % 3 == 0 ? "\"" : "'");
		text(&b, i % 5 == 0 ? " paint_color=\"4\"" : "");
		text(&b, tail);
	}
	text(&b, "</vertices>\n<triangles>\n");
	for (i = 0; i + 2 < n; i++) {
		ck_assert_int_eq(buf_printf(&b, "<triangle v1=\"%d\" v2=\"%d\" "
		    "v3=\"%d\"", i, i + 1, i + 2), 0);
		text(&b, i % 7 == 0 ? " paint_color=\"8\"" : "");
		text(&b, tail);
	}
	text(&b, "</triangles>\n</mesh></object></resources>\n<build><item "
	    "objectid=\"1\"/></build>\n</model>\n");
	return b.data;
}

START_TEST(the_fast_reader_reads_exactly_what_expat_reads)
{
	struct model3mf	 fast, slow;
	struct err	 e = { 0 };
	char		*plain, *odd;
	size_t		 chunks[] = { 0, 1, 7, 100, 1023, 1025, 4099 }, i;

	plain = random_model(3000, 0);
	odd = random_model(3000, 1);
	ck_assert_int_eq(model3mf_read_xml(odd, strlen(odd), 0, NULL, &slow,
	    &e), 0);
	ck_assert_uint_eq(slow.parts[0].stats.triangles, 2998);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		ck_assert_int_eq(model3mf_read_xml(plain, strlen(plain),
		    chunks[i], NULL, &fast, &e), 0);
		/* every coordinate read alike, bit for bit */
		ck_assert_msg(memcmp(&fast.parts[0].stats,
		    &slow.parts[0].stats, sizeof(struct mesh_stats)) == 0,
		    "pieces of %zu bytes", chunks[i]);
		model3mf_free(&fast);
	}
	model3mf_free(&slow);
	free(plain);
	free(odd);
}
END_TEST

/* Models that must still be refused, with the words and the line. */
static const struct {
	const char	*vertices;
	const char	*words;
} fast_refused[] = {
	{ "<vertex x=\"0\" y=\"0\" z=\"0\"/>\n<vertex x=\"1\" y=\"0\" "
	    "z=\"0\"/>\n<vertex x=\"nan\" y=\"1\" z=\"0\"/>\n",
	    "line 7: vertex 3 of object 1: x is not a finite number" },
	{ "<vertex x=\"0\" y=\"0\" z=\"0\"/>\r\n<vertex x=\"1\" y=\"0\" "
	    "z=\"0\"/>\r\n<vertex\r\nx=\"1\" y=\"1\"/>\r\n",
	    "line 7: vertex 3 of object 1: z is missing" },
	{ "<vertex x=\"0\" y=\"0\" z=\"0\"/>\n<vertex x=\"1\" x=\"2\" y=\"0\" "
	    "z=\"0\"/>\n", "line 6: XML error: duplicate attribute" },
	{ "<vertex x=\"0\" y=\"0\" z=\"0\"/>\n<vertex x=\"1\" y=\"0\" z=\"0\" "
	    "s:paint=\"1\"/>\n", "line 6: XML error: unbound prefix" },
	{ "<vertex x=\"0\" y=\"0\" z=\"0\"/>\n<vertex x=\"1\" y=\"0\" "
	    "z=\"0\"/>\n<vertex x=\"1\"y=\"0\" z=\"0\"/>\n",
	    "line 7: XML error: " },
	{ "<vertex x=\"0\" y=\"0\" z=\"0\"/>\n<vertex x=\"1\" y=\"0\" "
	    "z=\"0\"/>\n<vertex x=\"1\" y=\"0\" z=\"0\"", "XML error: " },
};

START_TEST(what_the_fast_reader_leaves_to_expat_is_refused_as_before)
{
	struct model3mf	 m;
	struct err	 e;
	struct buf	 b;
	size_t		 i, chunk;
	int		 rc;

	for (i = 0; i < sizeof(fast_refused) / sizeof(fast_refused[0]); i++)
		for (chunk = 1; chunk < 100; chunk += 33) {
			buf_init(&b, 1 << 20);
			ck_assert_int_eq(buf_printf(&b, "<?xml version=\"1.0\"?>"
			    "\n<model xmlns=\"" CORE_NS "\">\n<resources>\n"
			    "<object id=\"1\"><mesh><vertices>\n%s", fast_refused[
			    i].vertices), 0);
			if (strchr(fast_refused[i].words, ':') != NULL &&
			    strstr(fast_refused[i].vertices, "z=\"0\"\"") ==
			    NULL)
				text(&b, "</vertices></mesh></object>\n"
				    "</resources>\n<build><item objectid=\"1\"/>"
				    "</build></model>\n");
			memset(&e, 0, sizeof(e));
			rc = model3mf_read_xml(b.data, b.len, chunk, NULL, &m,
			    &e);
			ck_assert_msg(rc == ERR_INVALID && strstr(e.message,
			    fast_refused[i].words) != NULL, "case %zu, pieces "
			    "of %zu: %d \"%s\"", i, chunk, rc, e.message);
			buf_free(&b);
		}
}
END_TEST

START_TEST(text_that_looks_like_vertices_is_not_read_as_vertices)
{
	struct model3mf	 m;
	struct err	 e = { 0 };
	struct buf	 b;
	size_t		 chunk;

	for (chunk = 1; chunk < 200; chunk += 41) {
		buf_init(&b, 1 << 20);
		text(&b, "<?xml version=\"1.0\"?>\n<model xmlns=\"" CORE_NS
		    "\"><resources>");
		box_object(&b, 1, "box", (const double[]){ 0, 0, 0 },
		    (const double[]){ 1, 2, 3 });
		/* the same box with a CDATA section and a comment inside */
		ck_assert_ptr_nonnull(strstr(b.data, "<vertices>"));
		b.len = (size_t)(strstr(b.data, "<vertices>") - b.data);
		text(&b, "<vertices>\n<![CDATA[\n<vertex x=\"9\" y=\"9\" "
		    "z=\"9\"/>\n]]>\n<!-- <vertex x=\"-9\" y=\"9\" z=\"9\"/> -->"
		    "\n");
		{
			int	i;

			for (i = 0; i < 8; i++)
				ck_assert_int_eq(buf_printf(&b, "<vertex x=\"%d\" "
				    "y=\"%d\" z=\"%d\"/>\n", (i & 1) ? 1 : 0,
				    (i & 2) ? 2 : 0, (i & 4) ? 3 : 0), 0);
		}
		text(&b, "</vertices><triangles>\n<triangle v1=\"0\" v2=\"2\" "
		    "v3=\"3\"/><triangle v1=\"0\" v2=\"3\" v3=\"1\"/>\n"
		    "<triangle v1=\"4\" v2=\"5\" v3=\"7\"/><triangle v1=\"4\" "
		    "v2=\"7\" v3=\"6\"/>\n<triangle v1=\"0\" v2=\"1\" v3=\"5\"/>"
		    "<triangle v1=\"0\" v2=\"5\" v3=\"4\"/>\n<triangle v1=\"2\" "
		    "v2=\"6\" v3=\"7\"/><triangle v1=\"2\" v2=\"7\" v3=\"3\"/>\n"
		    "<triangle v1=\"0\" v2=\"4\" v3=\"6\"/><triangle v1=\"0\" "
		    "v2=\"6\" v3=\"2\"/>\n<triangle v1=\"1\" v2=\"3\" v3=\"7\"/>"
		    "<triangle v1=\"1\" v2=\"7\" v3=\"5\"/>\n</triangles></mesh>"
		    "</object></resources><build><item objectid=\"1\"/></build>"
		    "</model>\n");
		ck_assert_int_eq(model3mf_read_xml(b.data, b.len, chunk, NULL,
		    &m, &e), 0);
		ck_assert_uint_eq(m.parts[0].stats.vertices, 8);
		ck_assert_double_eq_tol(m.parts[0].stats.volume, 6, 1e-12);
		ck_assert_double_eq(m.parts[0].stats.max[0], 1);
		ck_assert_double_eq(m.parts[0].stats.min[0], 0);
		ck_assert_int_eq(m.parts[0].stats.watertight, 1);
		model3mf_free(&m);
		buf_free(&b);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("model3mf");
	TCase	*tc = tcase_create("model3mf");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_10mm_cube_is_1000_mm3_with_600_mm2_of_surface);
	tcase_add_test(tc, two_objects_are_two_parts_with_their_own_volumes);
	tcase_add_test(tc, a_build_item_transform_scales_and_moves_the_part);
	tcase_add_test(tc,
	    component_transforms_compose_with_the_item_and_mirrors_stay_closed);
	tcase_add_test(tc, units_scale_to_millimetres);
	tcase_add_test(tc,
	    bambu_style_objects_in_another_model_file_are_followed);
	tcase_add_test(tc, the_root_model_is_found_through_the_relationships);
	tcase_add_test(tc, the_xml_may_arrive_in_pieces_of_any_size);
	tcase_add_test(tc, what_is_not_a_3mf_model_is_refused_in_words);
	tcase_add_test(tc, malformed_models_are_refused_with_their_place);
	tcase_add_test(tc, deep_nesting_is_refused);
	tcase_add_test(tc,
	    triangle_and_vertex_ceilings_count_what_is_read_and_placed);
	tcase_add_test(tc, zip_bombs_are_stopped_while_they_inflate);
	tcase_add_test(tc, more_than_200_entries_are_refused);
	tcase_add_test(tc,
	    archives_inside_and_names_outside_the_package_are_refused);
	tcase_add_test(tc, obj_a_cube_of_quads_is_1000_mm3);
	tcase_add_test(tc,
	    obj_negative_and_slashed_corners_name_the_same_vertices);
	tcase_add_test(tc, obj_malformed_files_are_refused_with_the_line);
	tcase_add_test(tc, a_sink_sees_every_placed_triangle_in_millimetres);
	tcase_add_test(tc, the_fast_reader_reads_exactly_what_expat_reads);
	tcase_add_test(tc,
	    what_the_fast_reader_leaves_to_expat_is_refused_as_before);
	tcase_add_test(tc,
	    text_that_looks_like_vertices_is_not_read_as_vertices);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
