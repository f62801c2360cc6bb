/*
 * model3mf.c -- the meshes of a 3MF file, measured (see model3mf.h).
 *
 * The only file that uses expat.  Reading goes in three steps:
 *
 *   1. The package: every entry name is checked (no absolute name, no
 *      "..", no archive inside the archive, by name or by its first
 *      bytes), then _rels/.rels names the root model.
 *   2. The model files, each streamed from zipread into an expat parser
 *      piece by piece: the root first, then every file a component's
 *      p:path names.  Handlers append to package-wide arrays, each a
 *      struct buf with a ceiling: vertices (already in millimetres),
 *      triangles (indices local to their object, checked when the
 *      object closes), objects, components and build items.  An object
 *      is known by (model file, id).
 *   3. The build: each item's object is placed, with its components
 *      followed depth first (a path of the objects above stops cycles),
 *      into one indexed mesh per item, which mesh_indexed measures.
 *
 * What keeps memory bounded although the input is hostile: inflated
 * bytes are counted by zipread; expat never holds more than one token
 * (MODEL3MF_XML_TOKEN) or MODEL3MF_XML_DEPTH open elements, and a
 * DOCTYPE (entities) is refused; every array has a ceiling; placing
 * counts objects placed, so that components that fan out cannot
 * multiply work without end, and placed triangles and vertices, so that
 * one mesh used many times cannot either.
 *
 * Transforms follow the 3MF core specification: twelve numbers m00 m01
 * m02 m10 m11 m12 m20 m21 m22 m30 m31 m32, the last three the
 * translation, a point being the row (x y z 1) times the matrix.  They
 * are kept as p' = a p + t, with t in millimetres, so that a file's unit
 * applies where its numbers are read.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>

#include "core/buf.h"
#include "core/err.h"
#include "parse/mesh.h"
#include "parse/model3mf.h"
#include "parse/zipread.h"

#define MS_3MF		"http://schemas.microsoft.com/3dmanufacturing/"
#define NS_CORE		MS_3MF "core/2015/02"
#define NS_PROD		MS_3MF "production/2015/06"
#define REL_MODEL	MS_3MF "2013/01/3dmodel"
#define NS_RELS		"http://schemas.openxmlformats.org/package/2006/" \
			"relationships"
#define ROOT_DEFAULT	"3D/3dmodel.model"
#define RELS_ENTRY	"_rels/.rels"
#define PATH_MAX_LEN	1024	/* a part name in the package */
#define PLACE_DEPTH_CAP	64	/* lim->depth is honoured up to this */
#define FAST_CARRY	1024	/* an element cut by a piece's end, kept */
#define FAST_ATTS	8	/* attributes of one element, read fast */
#define FAST_NUMBER	64	/* characters of a number, read fast */

/* What an open XML element is; only the ones read are told apart. */
enum mx {
	MX_TOP, MX_OTHER, MX_MODEL, MX_RESOURCES, MX_OBJECT, MX_MESH,
	MX_VERTICES, MX_VERTEX, MX_TRIANGLES, MX_TRIANGLE, MX_COMPONENTS,
	MX_COMPONENT, MX_BUILD, MX_ITEM, MX_RELATIONSHIPS, MX_RELATIONSHIP
};

static const struct {
	enum mx		 parent;
	const char	*ns;
	const char	*name;
	enum mx		 kind;
} mx_table[] = {
	{ MX_TOP, NS_CORE, "model", MX_MODEL },
	{ MX_MODEL, NS_CORE, "resources", MX_RESOURCES },
	{ MX_MODEL, NS_CORE, "build", MX_BUILD },
	{ MX_RESOURCES, NS_CORE, "object", MX_OBJECT },
	{ MX_OBJECT, NS_CORE, "mesh", MX_MESH },
	{ MX_OBJECT, NS_CORE, "components", MX_COMPONENTS },
	{ MX_MESH, NS_CORE, "vertices", MX_VERTICES },
	{ MX_MESH, NS_CORE, "triangles", MX_TRIANGLES },
	{ MX_VERTICES, NS_CORE, "vertex", MX_VERTEX },
	{ MX_TRIANGLES, NS_CORE, "triangle", MX_TRIANGLE },
	{ MX_COMPONENTS, NS_CORE, "component", MX_COMPONENT },
	{ MX_BUILD, NS_CORE, "item", MX_ITEM },
	{ MX_TOP, NS_RELS, "Relationships", MX_RELATIONSHIPS },
	{ MX_RELATIONSHIPS, NS_RELS, "Relationship", MX_RELATIONSHIP },
};

static const struct {
	const char	*name;
	double		 mm;
} units[] = {
	{ "micron", 0.001 }, { "millimeter", 1 }, { "centimeter", 10 },
	{ "inch", 25.4 }, { "foot", 304.8 }, { "meter", 1000 },
};

/* A placement: p' = a p + t (t in millimetres). */
struct xf {
	double	a[3][3];
	double	t[3];
};

enum { OBJ_EMPTY, OBJ_MESH, OBJ_COMPONENTS };

struct mobject {
	size_t		 file;		/* the model file defining it */
	uint32_t	 id;
	int		 kind;
	size_t		 name;		/* offset in names + 1; 0: none */
	size_t		 v0, nv;	/* its vertices */
	size_t		 t0, nt;	/* its triangles */
	size_t		 c0, nc;	/* its components */
};

/* A component or a build item: an object, placed. */
struct mref {
	size_t		 file;
	uint32_t	 id;
	struct xf	 m;
};

/* Everything read from the package, and the running totals. */
struct pkg {
	const struct model3mf_limits *lim;
	struct err	*e;
	struct buf	 v;		/* double[3] per vertex, mm */
	struct buf	 t;		/* uint32_t[3] per triangle, local */
	struct buf	 obj;		/* struct mobject */
	struct buf	 comp;		/* struct mref */
	struct buf	 item;		/* struct mref */
	struct buf	 names;		/* NUL-terminated object names */
	struct buf	 paths;		/* NUL-terminated model file names */
	struct buf	 files;		/* size_t offsets in paths */
	size_t		 nv, nt, nobj, ncomp, nitem, nfiles;
	size_t		*order;		/* objects by (file, id) */
	double		 unit;		/* the root model's, in mm */
	/* placing */
	size_t		 placed, placed_v, placed_t;
};

/* One model file (or _rels/.rels) being parsed. */
struct xmlread {
	XML_Parser	 p;
	struct pkg	*pk;
	const char	*entry;		/* its name, for messages */
	size_t		 file;
	double		 scale;		/* its unit, in mm */
	int		 depth;
	enum mx		 open[MODEL3MF_XML_DEPTH];
	size_t		 obj;		/* the object open, when one is */
	int		 rc;
	long long	 seen;		/* where the last event began */
	long long	 fed;		/* bytes handed to expat */
	char		*target;	/* _rels/.rels: the root model */
	int		 found;
	/* the fast path (see "the fast path" below) */
	unsigned char	 plain[MODEL3MF_XML_DEPTH];	/* tag unprefixed */
	long long	 done;		/* where the last event ended */
	int		 clean;		/* expat holds at most blanks after it */
	int		 cdata;		/* inside a CDATA section */
	unsigned long	 lines;		/* line breaks expat never saw */
	size_t		 ncarry;
	char		 carry[2 * FAST_CARRY];	/* an element cut in two */
};

/* The mesh one build item places. */
struct place {
	struct buf	 v, t;
	size_t		 nv, nt, objects;
	size_t		 path[PLACE_DEPTH_CAP + 1];
};

static void	xml_fail(struct xmlread *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	xml_unprefixed(struct xmlread *, const char *);

/* ---- small pieces ---- */

/* n things of size bytes, as a buf ceiling that cannot overflow. */
static size_t
ceiling(size_t n, size_t size)
{
	return n > (SIZE_MAX / 2) / size ? SIZE_MAX / 2 : n * size;
}

static struct mobject *
objects(const struct pkg *pk)
{
	return (struct mobject *)(void *)pk->obj.data;
}

static struct mref *
refs(const struct buf *b)
{
	return (struct mref *)(void *)b->data;
}

static const char *
file_path(const struct pkg *pk, size_t file)
{
	const size_t	*off = (const size_t *)(const void *)pk->files.data;

	return pk->paths.data + off[file];
}

/* Copies s into dst[max], cut on a UTF-8 character boundary. */
static void
name_copy(char *dst, size_t max, const char *s)
{
	size_t	n;

	n = strlen(s);
	if (n > max - 1) {
		n = max - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* A number filling s: 0, -1 when it is not one, -2 when not finite. */
static int
number(const char *s, double *out)
{
	char	*end;

	*out = strtod(s, &end);
	if (end == s)
		return -1;
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (*end != '\0')
		return -1;
	return isfinite(*out) ? 0 : -2;
}

/* An unsigned 32-bit decimal filling s; -1 when it is not one. */
static int
index_of(const char *s, uint32_t *out)
{
	uint64_t	n;

	if (*s < '0' || *s > '9')
		return -1;
	for (n = 0; *s >= '0' && *s <= '9'; s++)
		if ((n = n * 10 + (uint64_t)(*s - '0')) > UINT32_MAX)
			return -1;
	*out = (uint32_t)n;
	return *s == '\0' ? 0 : -1;
}

static void
xf_identity(struct xf *m)
{
	memset(m, 0, sizeof(*m));
	m->a[0][0] = m->a[1][1] = m->a[2][2] = 1;
}

/* The twelve numbers of a transform attribute; 0 or -1. */
static int
xf_parse(const char *s, double scale, struct xf *m)
{
	double	 v[12];
	char	*end;
	int	 k, r, c;

	for (k = 0; k < 12; k++) {
		v[k] = strtod(s, &end);
		if (end == s || !isfinite(v[k]))
			return -1;
		s = end;
	}
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (*s != '\0')
		return -1;
	/* row r of the specification's matrix multiplies coordinate r */
	for (r = 0; r < 3; r++)
		for (c = 0; c < 3; c++)
			m->a[c][r] = v[r * 3 + c];
	for (c = 0; c < 3; c++)
		m->t[c] = v[9 + c] * scale;
	return 0;
}

/* out = outer after inner (inner applied first). */
static void
xf_compose(const struct xf *outer, const struct xf *inner, struct xf *out)
{
	int	r, c, k;

	for (r = 0; r < 3; r++) {
		for (c = 0; c < 3; c++) {
			out->a[r][c] = 0;
			for (k = 0; k < 3; k++)
				out->a[r][c] += outer->a[r][k] * inner->a[k][c];
		}
		out->t[r] = outer->t[r];
		for (k = 0; k < 3; k++)
			out->t[r] += outer->a[r][k] * inner->t[k];
	}
}

static double
xf_det(const struct xf *m)
{
	return m->a[0][0] * (m->a[1][1] * m->a[2][2] - m->a[1][2] *
	    m->a[2][1]) - m->a[0][1] * (m->a[1][0] * m->a[2][2] -
	    m->a[1][2] * m->a[2][0]) + m->a[0][2] * (m->a[1][0] *
	    m->a[2][1] - m->a[1][1] * m->a[2][0]);
}

/* ---- the package's contents ---- */

static void
pkg_init(struct pkg *pk, const struct model3mf_limits *lim, struct err *e)
{
	memset(pk, 0, sizeof(*pk));
	pk->lim = lim;
	pk->e = e;
	pk->unit = 1;
	buf_init(&pk->v, ceiling(lim->vertices, 3 * sizeof(double)));
	buf_init(&pk->t, ceiling(lim->triangles, 3 * sizeof(uint32_t)));
	buf_init(&pk->obj, ceiling(MODEL3MF_MAX_OBJECTS,
	    sizeof(struct mobject)));
	buf_init(&pk->comp, ceiling(MODEL3MF_MAX_COMPONENTS,
	    sizeof(struct mref)));
	buf_init(&pk->item, ceiling(lim->items, sizeof(struct mref)));
	buf_init(&pk->names, ceiling(MODEL3MF_MAX_OBJECTS, MODEL3MF_NAME_MAX));
	buf_init(&pk->paths, ceiling(lim->entries + 1, PATH_MAX_LEN + 1));
	buf_init(&pk->files, ceiling(lim->entries + 1, sizeof(size_t)));
}

static void
pkg_free(struct pkg *pk)
{
	buf_free(&pk->v);
	buf_free(&pk->t);
	buf_free(&pk->obj);
	buf_free(&pk->comp);
	buf_free(&pk->item);
	buf_free(&pk->names);
	buf_free(&pk->paths);
	buf_free(&pk->files);
	free(pk->order);
}

/*
 * The number of the model file called path (a leading "/" dropped),
 * added when it is new.  Returns 0 with *file set, or -1 when there
 * would be more files than entries or the name is too long.
 */
static int
pkg_file(struct pkg *pk, const char *path, size_t *file)
{
	size_t	k, off;

	if (*path == '/')
		path++;
	for (k = 0; k < pk->nfiles; k++)
		if (strcmp(file_path(pk, k), path) == 0) {
			*file = k;
			return 0;
		}
	if (pk->nfiles > pk->lim->entries || strlen(path) > PATH_MAX_LEN)
		return -1;
	off = pk->paths.len;
	if (buf_add(&pk->paths, path, strlen(path) + 1) != 0 ||
	    buf_add(&pk->files, &off, sizeof(off)) != 0)
		return -1;
	*file = pk->nfiles++;
	return 0;
}

/* ---- XML ---- */

/* The line expat is on, counting the lines it was never given. */
static unsigned long
xml_line(const struct xmlread *x)
{
	return (unsigned long)XML_GetCurrentLineNumber(x->p) + x->lines;
}

/* Notes where an event began and ended, in the bytes expat was given. */
static void
xml_event(struct xmlread *x)
{
	long long	at, end;

	at = (long long)XML_GetCurrentByteIndex(x->p);
	end = at + XML_GetCurrentByteCount(x->p);
	x->seen = at;
	if (end > x->done)
		x->done = end;
}

/* Sets the error (file and line first) and stops the parser. */
static void
xml_fail(struct xmlread *x, int code, const char *fmt, ...)
{
	va_list	ap;
	char	msg[200];

	if (x->rc != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->rc = err_set(x->pk->e, code, "%s line %lu: %s", x->entry,
	    xml_line(x), msg);
	XML_StopParser(x->p, XML_FALSE);
}

/* Is the expanded name (namespace, space, local name) ns:local? */
static int
xml_named(const char *name, const char *ns, const char *local)
{
	size_t	n;

	if (strcmp(name, local) == 0)
		return 1;	/* no namespace: taken as the expected one */
	n = strlen(ns);
	return strncmp(name, ns, n) == 0 && name[n] == ' ' &&
	    strcmp(name + n + 1, local) == 0;
}

/* The value of attribute name (namespaced: "ns local"), or NULL. */
static const char *
xml_attr(const XML_Char **atts, const char *name)
{
	for (; atts[0] != NULL; atts += 2)
		if (strcmp(atts[0], name) == 0)
			return atts[1];
	return NULL;
}

static enum mx
xml_kind(enum mx parent, const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(mx_table) / sizeof(mx_table[0]); i++)
		if (mx_table[i].parent == parent &&
		    xml_named(name, mx_table[i].ns, mx_table[i].name))
			return mx_table[i].kind;
	return MX_OTHER;
}

static void
on_model(struct xmlread *x, const XML_Char **atts)
{
	const char	*unit;
	size_t		 i;

	if ((unit = xml_attr(atts, "unit")) == NULL)
		return;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(unit, units[i].name) == 0) {
			x->scale = units[i].mm;
			if (x->file == 0)
				x->pk->unit = x->scale;
			return;
		}
	xml_fail(x, ERR_INVALID, "unknown unit \"%.40s\" (3MF knows micron, "
	    "millimeter, centimeter, inch, foot and meter)", unit);
}

static void
on_object(struct xmlread *x, const XML_Char **atts)
{
	struct pkg	*pk = x->pk;
	struct mobject	 o;
	const char	*id, *name;
	char		 cut[MODEL3MF_NAME_MAX];

	memset(&o, 0, sizeof(o));
	if ((id = xml_attr(atts, "id")) == NULL || index_of(id, &o.id) != 0) {
		xml_fail(x, ERR_INVALID, "an object without a numeric id");
		return;
	}
	if (pk->nobj >= MODEL3MF_MAX_OBJECTS) {
		xml_fail(x, ERR_TOO_LARGE, "the model holds more than %d "
		    "objects", MODEL3MF_MAX_OBJECTS);
		return;
	}
	o.file = x->file;
	o.v0 = pk->nv;
	o.t0 = pk->nt;
	o.c0 = pk->ncomp;
	if ((name = xml_attr(atts, "name")) != NULL && name[0] != '\0') {
		name_copy(cut, sizeof(cut), name);
		o.name = pk->names.len + 1;
		if (buf_add(&pk->names, cut, strlen(cut) + 1) != 0)
			o.name = 0;
	}
	buf_add(&pk->obj, &o, sizeof(o));
	x->obj = pk->nobj++;
}

/* A second <mesh> or <components> in one object is refused. */
static void
on_body(struct xmlread *x, int kind)
{
	struct mobject	*o = objects(x->pk) + x->obj;

	if (o->kind != OBJ_EMPTY)
		xml_fail(x, ERR_INVALID, "object %u has more than one mesh or "
		    "set of components", o->id);
	o->kind = kind;
}

static void
on_vertex(struct xmlread *x, const XML_Char **atts)
{
	static const char *const axis[3] = { "x", "y", "z" };
	struct pkg	*pk = x->pk;
	const char	*s;
	double		 p[3];
	int		 k, rc;

	if (pk->nv >= pk->lim->vertices) {
		xml_fail(x, ERR_TOO_LARGE, "the model holds more than %zu "
		    "vertices", pk->lim->vertices);
		return;
	}
	for (k = 0; k < 3; k++) {
		if ((s = xml_attr(atts, axis[k])) == NULL ||
		    (rc = number(s, &p[k])) == -1) {
			xml_fail(x, ERR_INVALID, "vertex %zu of object %u: %s "
			    "is missing or not a number",
			    pk->nv - objects(pk)[x->obj].v0 + 1,
			    objects(pk)[x->obj].id, axis[k]);
			return;
		}
		p[k] *= x->scale;
		if (rc != 0 || !isfinite(p[k])) {
			xml_fail(x, ERR_INVALID, "vertex %zu of object %u: %s "
			    "is not a finite number",
			    pk->nv - objects(pk)[x->obj].v0 + 1,
			    objects(pk)[x->obj].id, axis[k]);
			return;
		}
	}
	buf_add(&pk->v, p, sizeof(p));
	pk->nv++;
}

static void
on_triangle(struct xmlread *x, const XML_Char **atts)
{
	static const char *const corner[3] = { "v1", "v2", "v3" };
	struct pkg	*pk = x->pk;
	const char	*s;
	uint32_t	 t[3];
	int		 k;

	if (pk->nt >= pk->lim->triangles) {
		xml_fail(x, ERR_TOO_LARGE, "the model holds more than %zu "
		    "triangles", pk->lim->triangles);
		return;
	}
	for (k = 0; k < 3; k++)
		if ((s = xml_attr(atts, corner[k])) == NULL ||
		    index_of(s, &t[k]) != 0) {
			xml_fail(x, ERR_INVALID, "triangle %zu of object %u: "
			    "%s is missing or not a vertex index",
			    pk->nt - objects(pk)[x->obj].t0 + 1,
			    objects(pk)[x->obj].id, corner[k]);
			return;
		}
	buf_add(&pk->t, t, sizeof(t));
	pk->nt++;
}

/* Closes the open object: its counts, and its triangles checked. */
static void
on_object_end(struct xmlread *x)
{
	struct pkg	*pk = x->pk;
	struct mobject	*o = objects(pk) + x->obj;
	const uint32_t	*t;
	size_t		 i;

	o->nv = pk->nv - o->v0;
	o->nt = pk->nt - o->t0;
	o->nc = pk->ncomp - o->c0;
	t = (const uint32_t *)(const void *)pk->t.data;
	for (i = o->t0 * 3; i < pk->nt * 3; i++)
		if (t[i] >= o->nv) {
			xml_fail(x, ERR_INVALID, "triangle %zu of object %u "
			    "names vertex %u, but the object has %zu (0 to "
			    "%zu)", i / 3 - o->t0 + 1, o->id, t[i], o->nv,
			    o->nv > 0 ? o->nv - 1 : 0);
			return;
		}
}

/* A <component> or build <item>: which object, and where. */
static void
on_ref(struct xmlread *x, const XML_Char **atts, struct buf *b,
    size_t *n, size_t max, const char *what)
{
	struct mref	 r;
	const char	*s;

	if (*n >= max) {
		xml_fail(x, ERR_TOO_LARGE, "the model holds more than %zu %s",
		    max, what);
		return;
	}
	if ((s = xml_attr(atts, "objectid")) == NULL ||
	    index_of(s, &r.id) != 0) {
		xml_fail(x, ERR_INVALID, "one of the %s has no numeric "
		    "objectid", what);
		return;
	}
	xf_identity(&r.m);
	if ((s = xml_attr(atts, "transform")) != NULL &&
	    xf_parse(s, x->scale, &r.m) != 0) {
		xml_fail(x, ERR_INVALID, "the transform of one of the %s is "
		    "not twelve finite numbers", what);
		return;
	}
	/*
	 * Only the root model may name other model files (production
	 * extension); elsewhere a path can only mean the file itself.
	 */
	r.file = x->file;
	if (x->file == 0 && (s = xml_attr(atts, NS_PROD " path")) != NULL &&
	    pkg_file(x->pk, s, &r.file) != 0) {
		xml_fail(x, ERR_INVALID, "the model names too many model "
		    "files, or one with too long a name");
		return;
	}
	buf_add(b, &r, sizeof(r));
	(*n)++;
}

static void
on_relationship(struct xmlread *x, const XML_Char **atts)
{
	const char	*type, *target;

	if (x->found || (type = xml_attr(atts, "Type")) == NULL ||
	    strcmp(type, REL_MODEL) != 0 ||
	    (target = xml_attr(atts, "Target")) == NULL ||
	    strlen(target) > PATH_MAX_LEN)
		return;
	memcpy(x->target, target, strlen(target) + 1);
	x->found = 1;
}

static void
xml_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xmlread	*x = ud;
	struct pkg	*pk = x->pk;
	enum mx		 kind;

	if (x->rc != 0)
		return;
	xml_event(x);
	if (x->depth >= MODEL3MF_XML_DEPTH) {
		xml_fail(x, ERR_INVALID, "elements nest deeper than %d levels",
		    MODEL3MF_XML_DEPTH);
		return;
	}
	kind = xml_kind(x->depth > 0 ? x->open[x->depth - 1] : MX_TOP, name);
	x->plain[x->depth] = (kind == MX_VERTICES || kind == MX_TRIANGLES) &&
	    xml_unprefixed(x, kind == MX_VERTICES ? "<vertices" : "<triangles");
	x->open[x->depth++] = kind;
	if (x->depth == 1 && kind != (x->target != NULL ? MX_RELATIONSHIPS :
	    MX_MODEL)) {
		xml_fail(x, ERR_INVALID, "the root element is not <%s>",
		    x->target != NULL ? "Relationships" : "model");
		return;
	}
	switch (kind) {
	case MX_MODEL:
		on_model(x, atts);
		break;
	case MX_OBJECT:
		on_object(x, atts);
		break;
	case MX_MESH:
		on_body(x, OBJ_MESH);
		break;
	case MX_COMPONENTS:
		on_body(x, OBJ_COMPONENTS);
		break;
	case MX_VERTEX:
		on_vertex(x, atts);
		break;
	case MX_TRIANGLE:
		on_triangle(x, atts);
		break;
	case MX_COMPONENT:
		on_ref(x, atts, &pk->comp, &pk->ncomp,
		    MODEL3MF_MAX_COMPONENTS, "components");
		break;
	case MX_ITEM:
		/* a build outside the root model is not the package's */
		if (x->file == 0)
			on_ref(x, atts, &pk->item, &pk->nitem, pk->lim->items,
			    "build items");
		break;
	case MX_RELATIONSHIP:
		on_relationship(x, atts);
		break;
	default:
		break;
	}
}

static void
xml_end(void *ud, const XML_Char *name)
{
	struct xmlread	*x = ud;

	if (x->rc != 0 || x->depth == 0)
		return;
	xml_event(x);
	if (x->open[--x->depth] == MX_OBJECT)
		on_object_end(x);
}

/* Text, comments and the rest: only where the parser has got to. */
static void
xml_text(void *ud, const XML_Char *s, int len)
{
	xml_event(ud);
}

static void
xml_cdata_start(void *ud)
{
	struct xmlread	*x = ud;

	xml_event(x);
	x->cdata = 1;
}

static void
xml_cdata_end(void *ud)
{
	struct xmlread	*x = ud;

	xml_event(x);
	x->cdata = 0;
}

static void
xml_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int internal)
{
	xml_fail(ud, ERR_INVALID, "a DOCTYPE, which 3MF does not use, is "
	    "refused");
}

static int
xml_begin(struct xmlread *x, struct pkg *pk, const char *entry,
    size_t file, char *target)
{
	memset(x, 0, sizeof(*x));
	x->pk = pk;
	x->entry = entry;
	x->file = file;
	x->scale = 1;
	x->target = target;
	x->clean = 1;
	if ((x->p = XML_ParserCreateNS(NULL, ' ')) == NULL)
		return err_set(pk->e, ERR_INTERNAL, "out of memory");
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, xml_start, xml_end);
	XML_SetCharacterDataHandler(x->p, xml_text);
	XML_SetDefaultHandlerExpand(x->p, xml_text);
	XML_SetCdataSectionHandler(x->p, xml_cdata_start, xml_cdata_end);
	XML_SetStartDoctypeDeclHandler(x->p, xml_doctype);
	return 0;
}

/* What went wrong in expat, unless a handler said so already. */
static int
xml_error(struct xmlread *x)
{
	if (x->rc != 0)
		return x->rc;
	return x->rc = err_set(x->pk->e, ERR_INVALID, "%s line %lu: XML "
	    "error: %s", x->entry, xml_line(x),
	    XML_ErrorString(XML_GetErrorCode(x->p)));
}

/*
 * ---- the fast path ----
 *
 * Almost all of a model file is <vertex x= y= z=/> and <triangle v1= v2=
 * v3=/> elements, and expat spends far more on each (namespaces,
 * attribute arrays, a handler call) than reading one needs.  So the
 * bytes go through xml_scan before expat: where expat stands inside a
 * <vertices> or <triangles> element, between two of its children, each
 * following child that has the plain form below is read here and not
 * given to expat at all; anything else goes to expat as before, which
 * then reads it, or refuses it, in its own words.  The plain form is a
 * strict subset of well-formed XML, so that expat, had it seen those
 * bytes, could only have accepted them and called on_vertex or
 * on_triangle with the same values:
 *
 *   - the parent's start tag has no prefix (checked on its raw bytes),
 *     so that an unprefixed child is in the parent's namespace, and expat
 *     has handed out every event before the child but blanks, outside
 *     any CDATA section (struct xmlread's done, clean and cdata);
 *   - blanks, "<vertex" or "<triangle", then attributes each after a
 *     blank: an ASCII name with no prefix and not starting "xml", "=",
 *     a quoted value of printable ASCII without "<" or "&", then "/>";
 *     at most FAST_ATTS attributes, none twice, all three coordinates
 *     or corners present; other attributes (paint_color, pid, ...) are
 *     skipped, as the handlers skip them;
 *   - each coordinate a number number() would read alike (fast_number,
 *     else number() itself), finite once scaled, each corner a plain
 *     index; the ceilings not reached.
 *
 * Line numbers stay right: the line breaks of the bytes read here are
 * counted (xml_line).  An element cut by the end of a piece is kept
 * (at most FAST_CARRY bytes) and read with the head of the next one.
 */

static int
xml_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The line breaks in s[0..n), as expat counts them (\n, \r\n, \r). */
static unsigned long
fast_lines(const char *s, size_t n)
{
	unsigned long	lines = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == n ||
		    s[i + 1] != '\n')))
			lines++;
	return lines;
}

/* Is the start tag being reported written as tag, with no prefix? */
static int
xml_unprefixed(struct xmlread *x, const char *tag)
{
	const char	*ctx;
	int		 off, size;
	size_t		 n = strlen(tag);

	if ((ctx = XML_GetInputContext(x->p, &off, &size)) == NULL ||
	    off < 0 || (size_t)(size - off) <= n)
		return 0;
	ctx += off;
	return memcmp(ctx, tag, n) == 0 && (xml_blank(ctx[n]) ||
	    ctx[n] == '>' || ctx[n] == '/');
}

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * A decimal number filling s[0..n), read exactly as strtod reads it,
 * when that can be done with one rounding: at most 15 significant
 * digits (so the digits make an integer a double holds) and a power of
 * ten of at most 22 either way (so it is a double too), whose product
 * or quotient IEEE arithmetic rounds correctly (Clinger's fast path).
 * Returns 0, or -1 for anything else, which number() then reads.
 */
static int
fast_number(const char *s, size_t n, double *out)
{
	const char	*end = s + n;
	uint64_t	 m = 0;
	int		 neg = 0, digits = 0, sig = 0, exp = 0, e = 0, eneg;

	if (s < end && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	for (; s < end && *s >= '0' && *s <= '9'; s++, digits++) {
		sig += m != 0 || *s != '0';	/* leading zeros do not count */
		m = m * 10 + (uint64_t)(*s - '0');
		if (sig > 15)
			return -1;
	}
	if (s < end && *s == '.')
		for (s++; s < end && *s >= '0' && *s <= '9'; s++, digits++) {
			sig += m != 0 || *s != '0';
			m = m * 10 + (uint64_t)(*s - '0');
			exp--;
			if (sig > 15)
				return -1;
		}
	if (digits == 0)
		return -1;
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		eneg = s < end && *s == '-';
		if (s < end && (*s == '-' || *s == '+'))
			s++;
		if (s == end)
			return -1;
		for (; s < end && *s >= '0' && *s <= '9'; s++)
			if ((e = e * 10 + (*s - '0')) > 1000)
				return -1;
		exp += eneg ? -e : e;
	}
	if (s != end)
		return -1;
	if (m == 0)
		*out = 0;
	else if (exp >= 0 && exp <= 22)
		*out = (double)m * pow10_exact[exp];
	else if (exp < 0 && exp >= -22)
		*out = (double)m / pow10_exact[-exp];
	else
		return -1;
	if (neg)
		*out = -*out;
	return 0;
}

/* A coordinate: fast_number, else number() on a copy; 0 or -1. */
static int
fast_coordinate(const char *s, size_t n, double *out)
{
	char	copy[FAST_NUMBER];

	if (fast_number(s, n, out) == 0)
		return 0;
	if (n >= sizeof(copy))
		return -1;
	memcpy(copy, s, n);
	copy[n] = '\0';
	return number(copy, out) == 0 ? 0 : -1;
}

/* A corner: a plain decimal of at most 32 bits; 0 or -1. */
static int
fast_index(const char *s, size_t n, uint32_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
fast_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
fast_name_char(char c)
{
	return fast_name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	    c == '.';
}

enum { FAST_NO, FAST_OK, FAST_SHORT };

/*
 * Reads one plain child of the open <vertices> or <triangles> at s, up
 * to end: FAST_OK with *next past it (and the vertex or triangle
 * added), FAST_SHORT when end cuts it, FAST_NO when it is not plain
 * (nothing done).
 */
static int
fast_element(struct xmlread *x, const char *s, const char *end,
    const char **next)
{
	struct pkg	*pk = x->pk;
	const char	*q = s, *name[FAST_ATTS], *val;
	size_t		 nlen[FAST_ATTS], len, natt = 0, i, vlen;
	int		 vertex, k, seen = 0;
	double		 p[3];
	uint32_t	 t[3];
	char		 quote;

	vertex = x->open[x->depth - 1] == MX_VERTICES;
	if (vertex ? pk->nv >= pk->lim->vertices :
	    pk->nt >= pk->lim->triangles)
		return FAST_NO;		/* the handler says so */
	while (q < end && xml_blank(*q))
		q++;
	len = vertex ? 8 : 10;		/* "<vertex" and a blank */
	if ((size_t)(end - q) < len)
		return FAST_SHORT;
	/* constant lengths: the compiler compares them in place */
	if ((vertex ? memcmp(q, "<vertex", 7) : memcmp(q, "<triangle", 9)) !=
	    0 || !xml_blank(q[len - 1]))
		return FAST_NO;
	q += len;
	for (;;) {
		while (q < end && xml_blank(*q))
			q++;
		if (end - q < 2)
			return FAST_SHORT;
		if (q[0] == '/') {
			if (q[1] != '>')
				return FAST_NO;
			q += 2;
			break;
		}
		/* a blank must come before each attribute */
		if (!xml_blank(q[-1]) || !fast_name_start(*q) ||
		    natt == FAST_ATTS)
			return FAST_NO;
		name[natt] = q;
		while (q < end && fast_name_char(*q))
			q++;
		nlen[natt] = (size_t)(q - name[natt]);
		while (q < end && xml_blank(*q))
			q++;
		if (end - q < 2)
			return FAST_SHORT;
		if (*q++ != '=')
			return FAST_NO;
		while (q < end && xml_blank(*q))
			q++;
		if (q == end)
			return FAST_SHORT;
		if (*q != '"' && *q != '\'')
			return FAST_NO;
		quote = *q++;
		val = q;
		while (q < end && *q != quote) {
			if (*q < 0x20 || *q > 0x7e || *q == '<' || *q == '&')
				return FAST_NO;
			q++;
		}
		if (q == end)
			return FAST_SHORT;
		vlen = (size_t)(q++ - val);
		if (nlen[natt] >= 3 && strncasecmp(name[natt], "xml", 3) == 0)
			return FAST_NO;
		for (i = 0; i < natt; i++)
			if (nlen[i] == nlen[natt] &&
			    memcmp(name[i], name[natt], nlen[i]) == 0)
				return FAST_NO;		/* expat refuses it */
		/* which of the three this is: x y z, or v1 v2 v3 */
		k = -1;
		if (vertex && nlen[natt] == 1 && *name[natt] >= 'x' &&
		    *name[natt] <= 'z')
			k = *name[natt] - 'x';
		else if (!vertex && nlen[natt] == 2 && name[natt][0] == 'v' &&
		    name[natt][1] >= '1' && name[natt][1] <= '3')
			k = name[natt][1] - '1';
		natt++;
		if (k < 0)
			continue;
		if (vertex ? fast_coordinate(val, vlen, &p[k]) != 0 :
		    fast_index(val, vlen, &t[k]) != 0)
			return FAST_NO;
		seen |= 1 << k;
	}
	if (seen != 7)
		return FAST_NO;
	if (vertex) {
		for (k = 0; k < 3; k++)
			if (!isfinite(p[k] *= x->scale))
				return FAST_NO;
		buf_add(&pk->v, p, sizeof(p));
		pk->nv++;
	} else {
		buf_add(&pk->t, t, sizeof(t));
		pk->nt++;
	}
	x->lines += fast_lines(s, (size_t)(q - s));
	*next = q;
	return FAST_OK;
}

/* May the bytes that come next be read here? */
static int
fast_ready(const struct xmlread *x)
{
	return x->rc == 0 && x->clean && !x->cdata && x->depth > 0 &&
	    x->plain[x->depth - 1] && (x->open[x->depth - 1] == MX_VERTICES ||
	    x->open[x->depth - 1] == MX_TRIANGLES);
}

/* Hands s[0..n) to expat and notes what it holds back. */
static int
xml_give(struct xmlread *x, const char *s, size_t n)
{
	long long	from = x->fed;
	size_t		i;

	if (n == 0)
		return 0;
	if (XML_Parse(x->p, s, (int)n, XML_FALSE) != XML_STATUS_OK)
		return xml_error(x);
	x->fed += (long long)n;
	/* expat keeps an unfinished token whole: keep it small */
	if (x->fed - x->seen > MODEL3MF_XML_TOKEN)
		return x->rc = err_set(x->pk->e, ERR_TOO_LARGE, "%s line %lu: "
		    "one tag, comment or text runs past %ld bytes", x->entry,
		    xml_line(x), MODEL3MF_XML_TOKEN);
	/* blanks after the last event are all expat may hold back */
	if (x->done >= from) {
		x->clean = 1;
		i = x->done >= x->fed ? n : (size_t)(x->done - from);
	} else
		i = 0;
	for (; x->clean && i < n; i++)
		x->clean = xml_blank(s[i]);
	return 0;
}

/* The next "<" at or after s that may begin a plain child, or end. */
static const char *
fast_next(const char *s, const char *end)
{
	const char	*lt;

	while ((lt = memchr(s, '<', (size_t)(end - s))) != NULL) {
		if (lt + 1 == end || lt[1] == 'v' || lt[1] == 't')
			return lt;
		s = lt + 1;
	}
	return end;
}

/* Reads s[0..n): plain children here, the rest through expat. */
static int
xml_scan(struct xmlread *x, const char *s, size_t n)
{
	const char	*end = s + n, *next;
	int		 rc, r;

	while (s < end) {
		r = fast_ready(x) ? fast_element(x, s, end, &next) : FAST_NO;
		if (r == FAST_OK) {
			s = next;
			continue;
		}
		if (r == FAST_SHORT && (size_t)(end - s) <= FAST_CARRY) {
			/* s may lie in carry itself */
			memmove(x->carry, s, (size_t)(end - s));
			x->ncarry = (size_t)(end - s);
			return 0;
		}
		/* expat takes it, up to where a plain child may begin */
		next = fast_next(s + 1, end);
		if ((rc = xml_give(x, s, (size_t)(next - s))) != 0)
			return rc;
		s = next;
	}
	return x->rc;
}

/* A zipread callback: the next piece of the XML. */
static int
xml_feed(void *arg, const char *data, size_t n)
{
	struct xmlread	*x = arg;
	size_t		 head;
	int		 rc;

	/* an element cut last time: read it with the head of this piece */
	while (x->ncarry > 0 && n > 0) {
		head = n < FAST_CARRY ? n : FAST_CARRY;
		memcpy(x->carry + x->ncarry, data, head);
		n -= head;
		data += head;
		head += x->ncarry;
		x->ncarry = 0;
		if ((rc = xml_scan(x, x->carry, head)) != 0)
			return rc;
	}
	return n > 0 ? xml_scan(x, data, n) : 0;
}

/* Ends the document; 0 when it was whole and well formed. */
static int
xml_end_doc(struct xmlread *x, int rc)
{
	/* an element cut by the end of the document: expat says why */
	if (rc == 0 && x->ncarry > 0) {
		rc = xml_give(x, x->carry, x->ncarry);
		x->ncarry = 0;
	}
	if (rc == 0 && XML_Parse(x->p, "", 0, XML_TRUE) != XML_STATUS_OK)
		rc = xml_error(x);
	XML_ParserFree(x->p);
	x->p = NULL;
	return rc;
}

/* Parses model file `file` from entry i of the archive. */
static int
read_entry(struct pkg *pk, struct zipread *zr, size_t i, size_t file,
    char *target)
{
	struct xmlread	 x;
	int		 rc;

	if ((rc = xml_begin(&x, pk, zipread_name(zr, i), file, target)) != 0)
		return rc;
	rc = zipread_stream(zr, i, xml_feed, &x, pk->e);
	rc = xml_end_doc(&x, rc);
	if (rc == 0 && target != NULL && !x.found)
		target[0] = '\0';
	return rc;
}

/* ---- the package ---- */

static int
ends_with(const char *s, const char *tail)
{
	size_t	n = strlen(s), m = strlen(tail);

	return n >= m && strcasecmp(s + n - m, tail) == 0;
}

/* Refuses names that point outside the package or hold archives. */
static int
check_entry(struct zipread *zr, size_t i, struct err *e)
{
	const char	*name, *p;
	unsigned char	 head[4];
	size_t		 got;
	int		 rc;

	if ((name = zipread_name(zr, i)) == NULL)
		return err_set(e, ERR_INVALID, "an entry of the archive has "
		    "no name");
	if (name[0] == '/' || name[0] == '\\' || (((name[0] | 0x20) >= 'a' &&
	    (name[0] | 0x20) <= 'z') && name[1] == ':'))
		return err_set(e, ERR_INVALID, "the entry \"%.100s\" has an "
		    "absolute name", name);
	for (p = name; *p != '\0'; p += strcspn(p, "/\\"), p += *p != '\0')
		if (p[0] == '.' && p[1] == '.' && (p[2] == '\0' ||
		    p[2] == '/' || p[2] == '\\'))
			return err_set(e, ERR_INVALID, "the entry \"%.100s\" "
			    "climbs out of the package (..)", name);
	if (ends_with(name, ".zip") || ends_with(name, ".3mf"))
		return err_set(e, ERR_INVALID, "the entry \"%.100s\" is an "
		    "archive inside the archive (refused)", name);
	if ((rc = zipread_head(zr, i, head, sizeof(head), &got, e)) != 0)
		return rc;
	if (got == 4 && memcmp(head, "PK\003\004", 4) == 0)
		return err_set(e, ERR_INVALID, "the entry \"%.100s\" is a ZIP "
		    "archive inside the archive (refused)", name);
	return 0;
}

/* The entry of the root model, from _rels/.rels or the usual name. */
static int
find_root(struct pkg *pk, struct zipread *zr, size_t *root)
{
	char	 target[PATH_MAX_LEN + 1];
	size_t	 i;
	int	 rc;

	target[0] = '\0';
	if (zipread_find(zr, RELS_ENTRY, &i) == 0 &&
	    (rc = read_entry(pk, zr, i, 0, target)) != 0)
		return rc;
	if (target[0] != '\0' && zipread_find(zr, target + (target[0] == '/'),
	    root) == 0)
		return 0;
	if (zipread_find(zr, ROOT_DEFAULT, root) == 0)
		return 0;
	return err_set(pk->e, ERR_INVALID, "the file holds no 3D model (no "
	    "%s)", target[0] != '\0' ? target : ROOT_DEFAULT);
}

static int
missing_file(struct pkg *pk, size_t file)
{
	return err_set(pk->e, ERR_INVALID, "the model names the model file "
	    "%.100s, which the 3MF file does not hold", file_path(pk, file));
}

/* The root model (entry root) and every model file it names. */
static int
read_models(struct pkg *pk, struct zipread *zr, size_t root)
{
	size_t	file, i;
	int	rc;

	if (pkg_file(pk, zipread_name(zr, root), &file) != 0)
		return err_set(pk->e, ERR_INVALID, "the model's name is too "
		    "long");
	if ((rc = read_entry(pk, zr, root, 0, NULL)) != 0)
		return rc;
	/* reading file k may not add files: only the root names them */
	for (file = 1; file < pk->nfiles; file++) {
		if (zipread_find(zr, file_path(pk, file), &i) != 0)
			return missing_file(pk, file);
		if ((rc = read_entry(pk, zr, i, file, NULL)) != 0)
			return rc;
	}
	return 0;
}

/* ---- placing ---- */

static int
order_cmp(const void *a, const void *b, void *arg)
{
	const struct mobject	*o = arg;
	const struct mobject	*x = o + *(const size_t *)a;
	const struct mobject	*y = o + *(const size_t *)b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sorts the objects by (file, id); an id twice in a file is refused. */
static int
index_objects(struct pkg *pk)
{
	const struct mobject	*o = objects(pk);
	size_t			 i;

	if ((pk->order = malloc((pk->nobj + 1) * sizeof(size_t))) == NULL)
		return err_set(pk->e, ERR_INTERNAL, "out of memory");
	for (i = 0; i < pk->nobj; i++)
		pk->order[i] = i;
	qsort_r(pk->order, pk->nobj, sizeof(size_t), order_cmp, pk->obj.data);
	for (i = 1; i < pk->nobj; i++)
		if (order_cmp(&pk->order[i - 1], &pk->order[i],
		    pk->obj.data) == 0)
			return err_set(pk->e, ERR_INVALID, "%.100s defines "
			    "object %u twice", file_path(pk,
			    o[pk->order[i]].file), o[pk->order[i]].id);
	return 0;
}

/* The object (file, id): 0 with *obj set, -1 when there is none. */
static int
find_object(const struct pkg *pk, size_t file, uint32_t id, size_t *obj)
{
	const struct mobject	*o = objects(pk), *m;
	size_t			 lo = 0, hi = pk->nobj, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		m = o + pk->order[mid];
		if (m->file < file || (m->file == file && m->id < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == pk->nobj || o[pk->order[lo]].file != file ||
	    o[pk->order[lo]].id != id)
		return -1;
	*obj = pk->order[lo];
	return 0;
}

/* Adds object obj's own mesh to pl, placed by m. */
static int
place_mesh(struct pkg *pk, struct place *pl, const struct mobject *o,
    const struct xf *m)
{
	const double	*v = (const double *)(const void *)pk->v.data;
	const uint32_t	*t = (const uint32_t *)(const void *)pk->t.data;
	double		 p[3];
	uint32_t	 tri[3], base;
	size_t		 i;
	int		 r, flip;

	if (o->nt > pk->lim->triangles - pk->placed_t)
		return err_set(pk->e, ERR_TOO_LARGE, "the build places more "
		    "than %zu triangles", pk->lim->triangles);
	if (o->nv > pk->lim->vertices - pk->placed_v)
		return err_set(pk->e, ERR_TOO_LARGE, "the build places more "
		    "than %zu vertices", pk->lim->vertices);
	pk->placed_t += o->nt;
	pk->placed_v += o->nv;
	base = (uint32_t)pl->nv;
	for (i = o->v0; i < o->v0 + o->nv; i++) {
		for (r = 0; r < 3; r++)
			p[r] = m->a[r][0] * v[i * 3] + m->a[r][1] *
			    v[i * 3 + 1] + m->a[r][2] * v[i * 3 + 2] + m->t[r];
		buf_add(&pl->v, p, sizeof(p));
	}
	/* a mirror turns the triangles inside out; turn them back */
	flip = xf_det(m) < 0;
	for (i = o->t0; i < o->t0 + o->nt; i++) {
		tri[0] = base + t[i * 3];
		tri[1] = base + t[i * 3 + (flip ? 2 : 1)];
		tri[2] = base + t[i * 3 + (flip ? 1 : 2)];
		buf_add(&pl->t, tri, sizeof(tri));
	}
	pl->nv += o->nv;
	pl->nt += o->nt;
	pl->objects++;
	return 0;
}

/* Places object obj by m, and its components; depth: path's length. */
static int
place(struct pkg *pk, struct place *pl, size_t obj, const struct xf *m,
    int depth)
{
	const struct mobject	*o = objects(pk) + obj;
	const struct mref	*c;
	struct xf		 sub;
	size_t			 i, k;
	int			 j, rc;

	if (++pk->placed > MODEL3MF_MAX_PLACED)
		return err_set(pk->e, ERR_TOO_LARGE, "the build places objects "
		    "more than %d times", MODEL3MF_MAX_PLACED);
	if (o->nt > 0 && (rc = place_mesh(pk, pl, o, m)) != 0)
		return rc;
	for (i = o->c0; i < o->c0 + o->nc; i++) {
		c = refs(&pk->comp) + i;
		if (find_object(pk, c->file, c->id, &k) != 0)
			return err_set(pk->e, ERR_INVALID, "object %u names "
			    "object %u, which %.100s does not define", o->id,
			    c->id, file_path(pk, c->file));
		for (j = 0; j <= depth; j++)
			if (pl->path[j] == k)
				return err_set(pk->e, ERR_INVALID, "object %u "
				    "holds itself through its components",
				    objects(pk)[k].id);
		if (depth >= pk->lim->depth || depth >= PLACE_DEPTH_CAP)
			return err_set(pk->e, ERR_INVALID, "components nest "
			    "deeper than %d levels", pk->lim->depth);
		pl->path[depth + 1] = k;
		xf_compose(m, &c->m, &sub);
		if ((rc = place(pk, pl, k, &sub, depth + 1)) != 0)
			return rc;
	}
	return 0;
}

/* Measures build item n into part. */
static int
build_part(struct pkg *pk, size_t n, struct model3mf_part *part)
{
	const struct mref	*it = refs(&pk->item) + n;
	const struct mobject	*o;
	struct place		 pl;
	size_t			 obj;
	int			 rc;

	if (find_object(pk, it->file, it->id, &obj) != 0)
		return err_set(pk->e, ERR_INVALID, "build item %zu names "
		    "object %u, which %.100s does not define", n + 1, it->id,
		    file_path(pk, it->file));
	o = objects(pk) + obj;
	if (o->name != 0)
		name_copy(part->name, sizeof(part->name), pk->names.data +
		    o->name - 1);
	else
		snprintf(part->name, sizeof(part->name), "object %u", o->id);
	memset(&pl, 0, sizeof(pl));
	buf_init(&pl.v, ceiling(pk->lim->vertices, 3 * sizeof(double)));
	buf_init(&pl.t, ceiling(pk->lim->triangles, 3 * sizeof(uint32_t)));
	pl.path[0] = obj;
	rc = place(pk, &pl, obj, &it->m, 0);
	if (rc == 0 && pl.nt == 0)
		rc = err_set(pk->e, ERR_INVALID, "build item %zu (%s) places "
		    "no triangles", n + 1, part->name);
	if (rc == 0) {
		rc = mesh_indexed_sink((const double *)(const void *)pl.v.data,
		    pl.nv, (const uint32_t *)(const void *)pl.t.data, pl.nt,
		    pk->lim->sink, &part->stats, pk->e);
		if (rc != 0)
			err_detail(pk->e, "in build item %zu (%s)", n + 1,
			    part->name);
	}
	part->objects = pl.objects;
	buf_free(&pl.v);
	buf_free(&pl.t);
	return rc;
}

/* Step 3: every build item measured into out. */
static int
build(struct pkg *pk, struct model3mf *out)
{
	size_t	i;
	int	rc;

	if (pk->nitem == 0)
		return err_set(pk->e, ERR_INVALID, "the model's build places "
		    "nothing");
	if ((rc = index_objects(pk)) != 0)
		return rc;
	if ((out->parts = calloc(pk->nitem, sizeof(*out->parts))) == NULL)
		return err_set(pk->e, ERR_INTERNAL, "out of memory");
	out->nparts = pk->nitem;
	out->unit_mm = pk->unit;
	for (i = 0; i < pk->nitem; i++)
		if ((rc = build_part(pk, i, out->parts + i)) != 0)
			return rc;
	return 0;
}

/* ---- the entry points ---- */

/* The start of both entry points: defaults, and out emptied. */
static void
begin(struct model3mf *out, const struct model3mf_limits **lim,
    struct err **e, struct err *scratch)
{
	static const struct model3mf_limits defaults = MODEL3MF_LIMITS;

	memset(out, 0, sizeof(*out));
	if (*lim == NULL)
		*lim = &defaults;
	if (*e == NULL) {
		memset(scratch, 0, sizeof(*scratch));
		*e = scratch;
	}
}

int
model3mf_read(const char *buf, size_t len, const struct model3mf_limits *lim,
    struct model3mf *out, struct err *e)
{
	struct zipread_limits	 zl;
	struct zipread		*zr;
	struct pkg		 pk;
	struct err		 scratch;
	size_t			 i, root;
	int			 rc;

	begin(out, &lim, &e, &scratch);
	zl.entries = lim->entries;
	zl.entry = lim->entry;
	zl.total = lim->inflated;
	zl.ratio = lim->ratio;
	zl.ratio_free = MODEL3MF_RATIO_FREE;
	if ((rc = zipread_open(buf, len, &zl, &zr, e)) != 0)
		return rc;
	for (i = 0; i < zipread_count(zr); i++)
		if ((rc = check_entry(zr, i, e)) != 0) {
			zipread_close(zr);
			return rc;
		}
	pkg_init(&pk, lim, e);
	if ((rc = find_root(&pk, zr, &root)) == 0 &&
	    (rc = read_models(&pk, zr, root)) == 0)
		rc = build(&pk, out);
	pkg_free(&pk);
	zipread_close(zr);
	if (rc != 0)
		model3mf_free(out);
	return rc;
}

int
model3mf_read_xml(const char *xml, size_t len, size_t chunk,
    const struct model3mf_limits *lim, struct model3mf *out, struct err *e)
{
	struct xmlread	 x;
	struct pkg	 pk;
	struct err	 scratch;
	size_t		 off, n, file;
	int		 rc;

	begin(out, &lim, &e, &scratch);
	if (chunk == 0 || chunk > ZIPREAD_CHUNK)
		chunk = ZIPREAD_CHUNK;
	pkg_init(&pk, lim, e);
	pkg_file(&pk, ROOT_DEFAULT, &file);
	if ((rc = xml_begin(&x, &pk, ROOT_DEFAULT, 0, NULL)) == 0) {
		for (off = 0; rc == 0 && off < len; off += n) {
			n = len - off < chunk ? len - off : chunk;
			rc = xml_feed(&x, xml + off, n);
		}
		rc = xml_end_doc(&x, rc);
	}
	if (rc == 0 && pk.nfiles > 1)
		rc = missing_file(&pk, 1);
	if (rc == 0)
		rc = build(&pk, out);
	pkg_free(&pk);
	if (rc != 0)
		model3mf_free(out);
	return rc;
}

void
model3mf_free(struct model3mf *out)
{
	free(out->parts);
	memset(out, 0, sizeof(*out));
}
