/*
 * quote_gen.c -- writes the closed test meshes of bench/quote.sh: a
 * torus as a binary STL and as a 3MF package, each finely tessellated.
 *
 *   quote_gen stl FILE TRIANGLES
 *   quote_gen 3mf FILE TRIANGLES
 *
 * TRIANGLES must be even; the torus has TRIANGLES / 2 quads, 500 round
 * the tube.  Deterministic: the same arguments give the same bytes, so
 * that runs on different days measure the same file.  The corners are
 * computed once per grid point, so that every triangle sharing a corner
 * holds the same bits and the surface is closed (watertight) for
 * Printyard and for admesh alike.
 *
 * The 3MF is laid out as slicers write it: [Content_Types].xml,
 * _rels/.rels and 3D/3dmodel.model (deflated), one object, one build
 * item with a transform, coordinates with six decimals.
 */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#define TUBE		500	/* segments round the tube */
#define MAJOR_R		40.0	/* mm, centre of the tube */
#define MINOR_R		15.0	/* mm, the tube */

struct torus {
	size_t		 nu, nv;	/* round the ring, round the tube */
	float		*p;		/* (x, y, z) per grid point */
};

static void
die(const char *what)
{
	fprintf(stderr, "quote_gen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
torus_make(struct torus *t, unsigned long triangles)
{
	size_t	i, j;
	double	u, v;

	t->nv = TUBE;
	t->nu = triangles / 2 / TUBE;
	if (triangles % (2 * TUBE) != 0 || t->nu < 3) {
		fprintf(stderr, "quote_gen: TRIANGLES must be a multiple of "
		    "%d, at least %d\n", 2 * TUBE, 6 * TUBE);
		exit(2);
	}
	if ((t->p = malloc(t->nu * t->nv * 3 * sizeof(float))) == NULL)
		die("malloc");
	for (i = 0; i < t->nu; i++)
		for (j = 0; j < t->nv; j++) {
			u = 2 * M_PI * (double)i / (double)t->nu;
			v = 2 * M_PI * (double)j / (double)t->nv;
			t->p[(i * t->nv + j) * 3] = (float)((MAJOR_R +
			    MINOR_R * cos(v)) * cos(u));
			t->p[(i * t->nv + j) * 3 + 1] = (float)((MAJOR_R +
			    MINOR_R * cos(v)) * sin(u));
			t->p[(i * t->nv + j) * 3 + 2] = (float)(MINOR_R *
			    sin(v));
		}
}

/* The two triangles of quad (i, j), outward, as grid point numbers. */
static void
torus_quad(const struct torus *t, size_t i, size_t j, size_t tri[2][3])
{
	size_t	i1 = (i + 1) % t->nu, j1 = (j + 1) % t->nv;
	size_t	a = i * t->nv + j, b = i1 * t->nv + j;
	size_t	c = i1 * t->nv + j1, d = i * t->nv + j1;

	tri[0][0] = a;
	tri[0][1] = b;
	tri[0][2] = c;
	tri[1][0] = a;
	tri[1][1] = c;
	tri[1][2] = d;
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static void
write_stl(const char *path, unsigned long triangles)
{
	struct torus	 t;
	unsigned char	 head[84], rec[50];
	size_t		 i, j, tri[2][3];
	int		 h, k;
	FILE		*f;

	torus_make(&t, triangles);
	if ((f = fopen(path, "wb")) == NULL)
		die(path);
	memset(head, 0, sizeof(head));
	snprintf((char *)head, 80, "printyard bench torus");
	put_le32(head + 80, (uint32_t)triangles);
	fwrite(head, 1, sizeof(head), f);
	memset(rec, 0, sizeof(rec));
	for (i = 0; i < t.nu; i++)
		for (j = 0; j < t.nv; j++) {
			torus_quad(&t, i, j, tri);
			for (h = 0; h < 2; h++) {
				/* normals left at zero, as many writers do */
				for (k = 0; k < 3; k++)
					memcpy(rec + 12 + k * 12, t.p +
					    tri[h][k] * 3, 12);
				fwrite(rec, 1, sizeof(rec), f);
			}
		}
	if (fclose(f) != 0)
		die(path);
	free(t.p);
}

static const char content_types[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "content-types\"><Default Extension=\"rels\" ContentType=\"application/"
    "vnd.openxmlformats-package.relationships+xml\"/><Default Extension="
    "\"model\" ContentType=\"application/vnd.ms-package.3dmanufacturing-"
    "3dmodel+xml\"/></Types>\n";

static const char rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\"><Relationship Target=\"/3D/3dmodel.model\" Id=\"rel0\" "
    "Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/>"
    "</Relationships>\n";

/* Appends to a growing malloc'd text. */
struct text {
	char	*s;
	size_t	 len, cap;
};

static void
text_add(struct text *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
text_add(struct text *x, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(x->s + x->len, x->cap - x->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < x->cap - x->len)
			break;
		x->cap = x->cap == 0 ? 1 << 20 : x->cap * 2;
		if ((x->s = realloc(x->s, x->cap)) == NULL)
			die("realloc");
	}
	x->len += (size_t)n;
}

static void
add_entry(zip_t *z, const char *name, const char *data, size_t len,
    int keep)
{
	zip_source_t	*src;
	zip_int64_t	 i;

	if ((src = zip_source_buffer(z, data, len, keep ? 0 : 1)) == NULL ||
	    (i = zip_file_add(z, name, src, ZIP_FL_OVERWRITE)) < 0) {
		fprintf(stderr, "quote_gen: %s: %s\n", name,
		    zip_strerror(z));
		exit(1);
	}
	zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_DEFLATE, 6);
}

static void
write_3mf(const char *path, unsigned long triangles)
{
	struct torus	 t;
	struct text	 m = { NULL, 0, 0 };
	size_t		 i, j, tri[2][3];
	zip_t		*z;
	int		 h, err;

	torus_make(&t, triangles);
	text_add(&m, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<model unit=\"millimeter\" xml:lang=\"en-US\" xmlns="
	    "\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\">\n"
	    " <metadata name=\"Application\">printyard bench</metadata>\n"
	    " <resources>\n  <object id=\"1\" name=\"torus\" type=\"model\">\n"
	    "   <mesh>\n    <vertices>\n");
	for (i = 0; i < t.nu * t.nv; i++)
		text_add(&m, "     <vertex x=\"%.6f\" y=\"%.6f\" "
		    "z=\"%.6f\"/>\n", (double)t.p[i * 3],
		    (double)t.p[i * 3 + 1], (double)t.p[i * 3 + 2]);
	text_add(&m, "    </vertices>\n    <triangles>\n");
	for (i = 0; i < t.nu; i++)
		for (j = 0; j < t.nv; j++) {
			torus_quad(&t, i, j, tri);
			for (h = 0; h < 2; h++)
				text_add(&m, "     <triangle v1=\"%zu\" "
				    "v2=\"%zu\" v3=\"%zu\"/>\n", tri[h][0],
				    tri[h][1], tri[h][2]);
		}
	text_add(&m, "    </triangles>\n   </mesh>\n  </object>\n"
	    " </resources>\n <build>\n  <item objectid=\"1\" transform=\"1 0 "
	    "0 0 1 0 0 0 1 128 128 15\" printable=\"1\"/>\n </build>\n"
	    "</model>\n");
	remove(path);
	if ((z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err)) == NULL) {
		fprintf(stderr, "quote_gen: %s: cannot create (%d)\n", path,
		    err);
		exit(1);
	}
	add_entry(z, "[Content_Types].xml", content_types,
	    strlen(content_types), 1);
	add_entry(z, "_rels/.rels", rels, strlen(rels), 1);
	add_entry(z, "3D/3dmodel.model", m.s, m.len, 0);
	if (zip_close(z) != 0) {
		fprintf(stderr, "quote_gen: %s: %s\n", path, zip_strerror(z));
		exit(1);
	}
	fprintf(stderr, "quote_gen: %s: 3D/3dmodel.model inflates to %zu "
	    "bytes\n", path, m.len);
	free(t.p);
}

int
main(int argc, char **argv)
{
	unsigned long	 n;
	char		*end;

	if (argc != 4 || (strcmp(argv[1], "stl") != 0 &&
	    strcmp(argv[1], "3mf") != 0)) {
		fprintf(stderr, "usage: quote_gen stl|3mf FILE TRIANGLES\n");
		return 2;
	}
	n = strtoul(argv[3], &end, 10);
	if (*end != '\0' || n == 0 || n > UINT32_MAX) {
		fprintf(stderr, "quote_gen: bad triangle count \"%s\"\n",
		    argv[3]);
		return 2;
	}
	if (strcmp(argv[1], "stl") == 0)
		write_stl(argv[2], n);
	else
		write_3mf(argv[2], n);
	return 0;
}
