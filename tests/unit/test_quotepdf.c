/*
 * test_quotepdf.c -- the PDF of an instant quote (export/quotepdf.c) and
 * the preview pictures drawn when a file brings none (export/silhouette.c).
 *
 * Pictures are checked pixel by pixel: a cube covers the area its
 * projection has, its faces are shaded apart, winding does not matter,
 * a finely cut sphere shows no cracks, bad triangles are skipped and a
 * hostile mesh stops at the work budget.  PDFs are read back with
 * poppler's pdftotext and pdfinfo, the tools a person would trust: the
 * quote number, each part, the VAT line and the total are printed, in
 * English and in German, over several pages when there are many parts,
 * and a damaged thumbnail neither stops nor crashes the document.  PNG
 * files are made here with an uncompressed encoder.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "unit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "export/pdf.h"
#include "export/quotepdf.h"
#include "export/silhouette.h"

/* ---- meshes ---- */

/* The 12 outward triangles of a box from o to o + d. */
static void
box(void (*tri)(void *, const double *, const double *, const double *),
    void *ctx, const double o[3], const double d[3], int reverse)
{
	static const int	 quads[6][4] = { { 0, 1, 3, 2 }, { 4, 6, 7, 5 },
	    { 0, 4, 5, 1 }, { 2, 3, 7, 6 }, { 0, 2, 6, 4 }, { 1, 5, 7, 3 } };
	double			 v[8][3];
	int			 k, i;

	for (k = 0; k < 8; k++) {
		v[k][0] = o[0] + ((k >> 2) & 1) * d[0];
		v[k][1] = o[1] + ((k >> 1) & 1) * d[1];
		v[k][2] = o[2] + (k & 1) * d[2];
	}
	for (i = 0; i < 6; i++) {
		if (reverse) {
			tri(ctx, v[quads[i][0]], v[quads[i][2]],
			    v[quads[i][1]]);
			tri(ctx, v[quads[i][0]], v[quads[i][3]],
			    v[quads[i][2]]);
		} else {
			tri(ctx, v[quads[i][0]], v[quads[i][1]],
			    v[quads[i][2]]);
			tri(ctx, v[quads[i][0]], v[quads[i][2]],
			    v[quads[i][3]]);
		}
	}
}

static size_t
covered(const struct silhouette *s)
{
	size_t	i, n = 0;

	for (i = 0; i < (size_t)s->w * (size_t)s->h; i++)
		if (!isinf(s->depth[i]))
			n++;
	return n;
}

static int
blank(const struct silhouette *s)
{
	size_t	i;

	for (i = 0; i < (size_t)s->w * (size_t)s->h * 3; i++)
		if (s->rgb[i] != 0xff)
			return 0;
	return 1;
}

/* Where the picture shows point p (pixel column and row). */
static void
seen_at(const struct silhouette *s, const double p[3], int *x, int *y)
{
	double	d[3], r = 0, u = 0;
	int	i;

	for (i = 0; i < 3; i++) {
		d[i] = p[i] - s->centre[i];
		r += d[i] * s->right[i];
		u += d[i] * s->up[i];
	}
	*x = (int)(s->ox + s->scale * r);
	*y = (int)(s->oy - s->scale * u);
}

static int
brightness(const struct silhouette *s, int x, int y)
{
	const unsigned char	*px = s->rgb + ((size_t)y * (size_t)s->w +
	    (size_t)x) * 3;

	return px[0] + px[1] + px[2];
}

static const double	cube_lo[3] = { 0, 0, 0 }, cube_d[3] = { 20, 20, 20 };
static const unsigned char	grey[3] = { 128, 128, 128 };

START_TEST(test_a_cube_covers_the_area_of_its_projection)
{
	struct arena		*a = arena_new(1 << 16);
	struct silhouette	 s;
	double			 side, expect;
	size_t			 i, painted = 0;

	silhouette_init(&s, a, SILHOUETTE_SIDE, SILHOUETTE_SIDE, cube_lo,
	    cube_d, grey);
	box(silhouette_triangle, &s, cube_lo, cube_d, 0);
	silhouette_finish(&s);
	ck_assert_uint_eq(s.drawn, 12);
	ck_assert_uint_eq(s.skipped, 0);
	/*
	 * Seen along a diagonal a cube is a regular hexagon of area
	 * sqrt(3) * a^2, whose height (sqrt(8/3) * a) fills the picture
	 * less its margins.
	 */
	side = SILHOUETTE_SIDE * (1 - 2 * SILHOUETTE_MARGIN) / sqrt(8.0 / 3);
	expect = sqrt(3.0) * side * side;
	ck_assert_msg(fabs((double)covered(&s) - expect) < 0.03 * expect,
	    "covered %zu, expected about %.0f", covered(&s), expect);
	for (i = 0; i < (size_t)s.w * (size_t)s.h; i++)
		if (memcmp(s.rgb + i * 3, "\xff\xff\xff", 3) != 0)
			painted++;
	ck_assert_uint_eq(painted, covered(&s));
	arena_free(a);
}
END_TEST

START_TEST(test_the_three_faces_of_a_cube_are_shaded_apart)
{
	struct arena		*a = arena_new(1 << 16);
	struct silhouette	 s;
	static const double	 top[3] = { 10, 10, 20 }, front[3] = { 10, 0,
	    10 }, right[3] = { 20, 10, 10 };
	int			 x, y, bt, bf, br;

	silhouette_init(&s, a, SILHOUETTE_SIDE, SILHOUETTE_SIDE, cube_lo,
	    cube_d, grey);
	box(silhouette_triangle, &s, cube_lo, cube_d, 0);
	seen_at(&s, top, &x, &y);
	bt = brightness(&s, x, y);
	seen_at(&s, front, &x, &y);
	bf = brightness(&s, x, y);
	seen_at(&s, right, &x, &y);
	br = brightness(&s, x, y);
	/* lit from above and the left: top, then front, then right */
	ck_assert_msg(bt > bf + 30 && bf > br + 30, "top %d front %d right %d",
	    bt, bf, br);
	arena_free(a);
}
END_TEST

START_TEST(test_winding_does_not_change_the_picture)
{
	struct arena		*a = arena_new(1 << 16);
	struct silhouette	 s1, s2;

	silhouette_init(&s1, a, 120, 90, cube_lo, cube_d, NULL);
	silhouette_init(&s2, a, 120, 90, cube_lo, cube_d, NULL);
	box(silhouette_triangle, &s1, cube_lo, cube_d, 0);
	box(silhouette_triangle, &s2, cube_lo, cube_d, 1);
	silhouette_finish(&s1);
	silhouette_finish(&s2);
	ck_assert_int_eq(memcmp(s1.rgb, s2.rgb, 120 * 90 * 3), 0);
	ck_assert(!blank(&s1));
	arena_free(a);
}
END_TEST

START_TEST(test_no_triangles_leave_the_picture_blank)
{
	struct arena		*a = arena_new(1 << 16);
	struct silhouette	 s;
	static const double	 zero[3] = { 0, 0, 0 };

	silhouette_init(&s, a, SILHOUETTE_SIDE, SILHOUETTE_SIDE, cube_lo,
	    cube_d, grey);
	silhouette_finish(&s);
	ck_assert(blank(&s));
	ck_assert_uint_eq(covered(&s), 0);
	/* an empty mesh measures a box of nothing: blank, and no trouble */
	silhouette_init(&s, a, 2000, 1, zero, zero, NULL);
	ck_assert_int_eq(s.w, SILHOUETTE_MAX_SIDE);
	ck_assert_int_eq(s.h, SILHOUETTE_MIN_SIDE);
	box(silhouette_triangle, &s, cube_lo, cube_d, 0);
	silhouette_finish(&s);
	ck_assert(blank(&s));
	ck_assert_uint_eq(s.skipped, 12);
	arena_free(a);
}
END_TEST

START_TEST(test_nan_infinite_and_degenerate_triangles_are_skipped)
{
	struct arena		*a = arena_new(1 << 16);
	struct silhouette	 s;
	double			 p[3] = { 1, 2, 3 }, q[3] = { 5, 2, 3 },
				 r[3] = { 1, 7, 3 }, bad[3] = { NAN, 0, 0 },
				 inf[3] = { 0, INFINITY, 0 }, line[3] = { 9, 2,
				 3 }, huge[3] = { 1e300, -1e300, 1e300 };

	silhouette_init(&s, a, 64, 64, cube_lo, cube_d, grey);
	silhouette_triangle(&s, bad, q, r);
	silhouette_triangle(&s, p, inf, r);
	silhouette_triangle(&s, p, p, r);	/* two corners alike */
	silhouette_triangle(&s, p, q, line);	/* on one line */
	ck_assert_uint_eq(s.skipped, 4);
	ck_assert_uint_eq(s.drawn, 0);
	ck_assert(blank(&s));
	/* far outside the box: skipped or clipped, never a crash */
	silhouette_triangle(&s, huge, q, r);
	silhouette_triangle(&s, p, q, r);
	ck_assert_uint_ge(s.drawn, 1);
	ck_assert(!blank(&s));
	arena_free(a);
}
END_TEST

/* A sphere of radius 10 cut into about 2 * n * n triangles. */
static void
sphere(struct silhouette *s, int n)
{
	double	v[4][3], th[2], ph[2];
	int	i, j, k;

	for (i = 0; i < n; i++)
		for (j = 0; j < 2 * n; j++) {
			th[0] = M_PI * i / n;
			th[1] = M_PI * (i + 1) / n;
			ph[0] = M_PI * j / n;
			ph[1] = M_PI * (j + 1) / n;
			for (k = 0; k < 4; k++) {
				v[k][0] = 10 * sin(th[k >> 1]) * cos(ph[k & 1]);
				v[k][1] = 10 * sin(th[k >> 1]) * sin(ph[k & 1]);
				v[k][2] = 10 * cos(th[k >> 1]);
			}
			silhouette_triangle(s, v[0], v[2], v[3]);
			silhouette_triangle(s, v[0], v[3], v[1]);
		}
}

START_TEST(test_a_finely_cut_sphere_shows_no_cracks)
{
	struct arena		*a = arena_new(1 << 16);
	struct silhouette	 s;
	static const double	 lo[3] = { -10, -10, -10 }, hi[3] = { 10, 10,
	    10 }, mid[3] = { 0, 0, 0 };
	double			 r, d;
	int			 x, y, cx, cy, holes = 0, spill = 0;

	silhouette_init(&s, a, SILHOUETTE_SIDE, SILHOUETTE_SIDE, lo, hi,
	    grey);
	sphere(&s, 300);	/* 180,000 triangles, most under a pixel */
	silhouette_finish(&s);
	seen_at(&s, mid, &cx, &cy);
	/* the outline of a sphere is a circle of its radius, any view */
	r = 10 * s.scale;
	for (y = 0; y < s.h; y++)
		for (x = 0; x < s.w; x++) {
			d = hypot(x + 0.5 - s.ox, y + 0.5 - s.oy);
			if (d < r - 1.5 && isinf(s.depth[y * s.w + x]))
				holes++;
			if (d > r + 1.5 && !isinf(s.depth[y * s.w + x]))
				spill++;
		}
	ck_assert_int_eq(holes, 0);
	ck_assert_int_eq(spill, 0);
	ck_assert(abs(cx - s.w / 2) <= 1 && abs(cy - s.h / 2) <= 1);
	arena_free(a);
}
END_TEST

START_TEST(test_huge_overlapping_triangles_stop_at_the_work_budget)
{
	struct arena		*a = arena_new(1 << 16);
	struct silhouette	 s;
	static const double	 p[3] = { 0, 0, 0 }, q[3] = { 20, 0, 20 },
				 r[3] = { 0, 20, 20 };
	int			 i;

	silhouette_init(&s, a, SILHOUETTE_SIDE, SILHOUETTE_SIDE, cube_lo,
	    cube_d, grey);
	for (i = 0; i < 100000; i++)
		silhouette_triangle(&s, p, q, r);
	ck_assert(s.truncated);
	ck_assert_uint_lt(s.drawn, 100000);
	ck_assert_uint_eq(s.drawn + s.skipped, 100000);
	ck_assert(s.work <= SILHOUETTE_MAX_WORK);
	arena_free(a);
}
END_TEST

/* ---- PNG files, stored (not compressed) ---- */

static uint32_t
crc32_of(const unsigned char *d, size_t n, uint32_t c)
{
	size_t	i;
	int	k;

	c = ~c;
	for (i = 0; i < n; i++) {
		c ^= d[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1)));
	}
	return ~c;
}

static void
put32(struct buf *b, uint32_t v)
{
	unsigned char	x[4] = { (unsigned char)(v >> 24),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	    (unsigned char)v };

	buf_add(b, x, 4);
}

static void
chunk(struct buf *b, const char *type, const unsigned char *d, size_t n)
{
	size_t	at;

	put32(b, (uint32_t)n);
	at = b->len;
	buf_add(b, type, 4);
	if (n > 0)
		buf_add(b, d, n);
	put32(b, crc32_of((const unsigned char *)b->data + at, n + 4, 0));
}

/*
 * A w x h RGBA PNG: red and transparent stripes.  The zlib stream is
 * made of stored blocks, so no compressor is needed.
 */
static void
png_make(struct buf *b, uint32_t w, uint32_t h)
{
	struct buf	 z;
	unsigned char	 ihdr[13], *raw, hdr[5];
	size_t		 n, i, at, blk;
	uint32_t	 s1 = 1, s2 = 0, x, y;

	n = (size_t)h * (1 + (size_t)w * 4);
	raw = calloc(1, n);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			at = (size_t)y * (1 + (size_t)w * 4) + 1 +
			    (size_t)x * 4;
			raw[at] = 200;
			raw[at + 1] = 40;
			raw[at + 2] = 40;
			raw[at + 3] = (x / 4 + y / 4) % 2 ? 255 : 0;
		}
	buf_init(&z, n + n / 1000 + 64);
	buf_add(&z, "\x78\x01", 2);
	for (i = 0; i < n; i += blk) {
		blk = n - i < 65535 ? n - i : 65535;
		hdr[0] = i + blk == n;
		hdr[1] = (unsigned char)blk;
		hdr[2] = (unsigned char)(blk >> 8);
		hdr[3] = (unsigned char)~blk;
		hdr[4] = (unsigned char)(~blk >> 8);
		buf_add(&z, hdr, 5);
		buf_add(&z, raw + i, blk);
	}
	for (i = 0; i < n; i++) {
		s1 = (s1 + raw[i]) % 65521;
		s2 = (s2 + s1) % 65521;
	}
	put32(&z, (s2 << 16) | s1);
	buf_add(b, "\x89PNG\r\n\x1a\n", 8);
	memset(ihdr, 0, sizeof(ihdr));
	for (i = 0; i < 4; i++) {
		ihdr[i] = (unsigned char)(w >> (24 - 8 * i));
		ihdr[4 + i] = (unsigned char)(h >> (24 - 8 * i));
	}
	ihdr[8] = 8;	/* bits */
	ihdr[9] = 6;	/* RGBA */
	chunk(b, "IHDR", ihdr, sizeof(ihdr));
	chunk(b, "IDAT", (unsigned char *)z.data, z.len);
	chunk(b, "IEND", NULL, 0);
	buf_free(&z);
	free(raw);
}

START_TEST(test_png_pictures_are_decoded_and_bad_ones_refused)
{
	struct arena	*a = arena_new(1 << 16);
	struct err	 e;
	struct pdf	*p;
	struct buf	 png, big, out;
	char		*bad;

	memset(&e, 0, sizeof(e));
	buf_init(&png, 1 << 20);
	buf_init(&big, 1 << 24);
	buf_init(&out, 1 << 24);
	png_make(&png, 64, 48);
	png_make(&big, PDF_IMAGE_MAX_SIDE + 1, 2);
	ck_assert_int_eq(pdf_new(a, &e, &p), 0);
	ck_assert_int_eq(pdf_page(p, 100, 100), 0);
	ck_assert_int_eq(pdf_image_png(p, 10, 10, 40, 40, png.data, png.len),
	    0);
	/* a flipped bit in the pixels: refused, and the document goes on */
	bad = malloc(png.len);
	memcpy(bad, png.data, png.len);
	bad[png.len - 30] ^= 0x5a;
	ck_assert_int_eq(pdf_image_png(p, 10, 10, 40, 40, bad, png.len),
	    ERR_INVALID);
	ck_assert_int_eq(pdf_image_png(p, 10, 10, 40, 40, png.data, 40),
	    ERR_INVALID);
	ck_assert_int_eq(pdf_image_png(p, 10, 10, 40, 40, "GIF89a", 6),
	    ERR_INVALID);
	ck_assert_int_eq(pdf_image_png(p, 10, 10, 40, 40, big.data, big.len),
	    ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "more than"));
	err_clear(&e);
	ck_assert_int_eq(pdf_text(p, 10, 80, 0, PDF_SANS, 10, 10, PDF_LEFT,
	    "still here"), 0);
	ck_assert_int_eq(pdf_save(p, &out), 0);
	ck_assert_int_eq(memcmp(out.data, "%PDF-", 5), 0);
	free(bad);
	buf_free(&png);
	buf_free(&big);
	buf_free(&out);
	arena_free(a);
}
END_TEST

/* ---- quotes ---- */

static const char	quote_json[] =
    "{\"number\": \"Q-2026-00042\", \"token\": \"tok\", \"status\": \"draft\","
    " \"currency\": \"EUR\", \"valid_until\": \"2026-12-05\","
    " \"customer_kind\": \"consumer\", \"review_required\": true,"
    " \"created_at\": \"2026-11-21T11:59:00Z\", \"order\": null,"
    " \"breakdown\": {\"material_cents\": 30000, \"machine_cents\": 40000,"
    "  \"labour_cents\": 9000, \"setup_cents\": 1000, \"overhead_cents\":"
    "  8000, \"margin_cents\": 16000, \"discount_cents\": 400,"
    "  \"minimum_cents\": 0, \"net_cents\": 103600, \"vat_cents\": 19684,"
    "  \"vat_bp\": 1900, \"gross_cents\": 123284},"
    " \"parts\": [{\"position\": 1, \"name\": \"gear-housing.3mf\","
    "  \"material\": \"PLA\", \"color_name\": \"Signal Red\", \"quality\":"
    "  \"standard\", \"layer_mm\": 0.2, \"infill_pct\": 20, \"quantity\": 3,"
    "  \"mesh\": {\"min\": [0, 0, 0], \"max\": [42.5, 30, 12.26]},"
    "  \"warnings\": [], \"price\": {\"unit_cents\": 20000,"
    "  \"unit_gross_cents\": 23800, \"discount_bp\": 0, \"discount_cents\":"
    "  0, \"amount_cents\": 60000}},"
    "  {\"position\": 2, \"name\": \"bracket.stl\", \"material\": \"PETG\","
    "  \"color_name\": \"Wei\xc3\x9f\", \"quality\": \"fine\", \"layer_mm\":"
    "  0.12, \"infill_pct\": 15, \"quantity\": 10, \"mesh\": {\"min\":"
    "  [0, 0, 0], \"max\": [20, 20, 20]}, \"warnings\": [{\"code\":"
    "  \"not_watertight\", \"text\": \"The model is not watertight (3 open"
    "  edges): its volume is uncertain, so the price is checked by a"
    "  person before it holds.\"}], \"price\": {\"unit_cents\": 4400,"
    "  \"unit_gross_cents\": 5236, \"discount_bp\": 500, \"discount_cents\":"
    "  400, \"amount_cents\": 43600}}],"
    " \"options\": {\"materials\": [{\"material\": \"PETG\", \"colors\":"
    "  [{\"name\": \"Wei\xc3\x9f\", \"hex\": \"#F4F4F0\"}]}],"
    "  \"terms\": \"Prices include the material, printing and handling of"
    " each piece.\\nColours may vary slightly between batches.\"}}";

static const char	company_json[] =
    "{\"business_name\": \"M\xc3\xbcller Druckwerk GmbH\","
    " \"business_street\": \"Hauptstra\xc3\x9f" "e 1\","
    " \"business_postal_code\": \"10115\", \"business_city\": \"Berlin\","
    " \"business_country\": \"DE\","
    " \"business_vat_id\": \"DE123456789\"}";

/* Runs a poppler tool on the PDF and returns its output (malloc'd). */
static char *
poppler(const char *tool, const struct buf *pdf)
{
	char	 path[] = "/tmp/test_quotepdf_XXXXXX", cmd[256], *text;
	FILE	*f;
	size_t	 n, cap = 1 << 20;
	int	 fd, st;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, pdf->data, pdf->len), (ssize_t)pdf->len);
	close(fd);
	/* pdftotext writes to a file unless told "-"; pdfinfo to stdout */
	snprintf(cmd, sizeof(cmd), "%s '%s'%s 2>&1", tool, path,
	    strncmp(tool, "pdftotext", 9) == 0 ? " -" : "");
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	text = calloc(1, cap);
	n = fread(text, 1, cap - 1, f);
	text[n] = '\0';
	st = pclose(f);
	unlink(path);
	ck_assert_msg(st == 0, "%s failed (is poppler-utils installed?): %s",
	    tool, text);
	return text;
}

/* Renders the quote; images: part 1 a PNG, part 2 a silhouette. */
static void
render(struct arena *a, json_t *q, const char *lang, struct buf *out,
    struct buf *png)
{
	struct quotepdf_image	 img[2];
	struct silhouette	 s;
	struct err		 e;
	json_t			*c;
	double			 lo[3], hi[3];
	unsigned char		 rgb[3];

	memset(&e, 0, sizeof(e));
	memset(img, 0, sizeof(img));
	png_make(png, 96, 64);
	img[0].png = png->data;
	img[0].png_len = png->len;
	ck_assert_int_eq(quotepdf_part_view(q, 1, lo, hi, rgb), 0);
	ck_assert(rgb[0] == 0xf4 && rgb[1] == 0xf4 && rgb[2] == 0xf0);
	ck_assert(hi[0] == 20 && lo[2] == 0);
	silhouette_init(&s, a, SILHOUETTE_SIDE, SILHOUETTE_SIDE, lo, hi, rgb);
	box(silhouette_triangle, &s, lo, hi, 0);
	silhouette_finish(&s);
	img[1].rgb = s.rgb;
	img[1].w = s.w;
	img[1].h = s.h;
	c = json_loads(company_json, 0, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_msg(quotepdf_render(a, q, c, lang, img, 2, out, &e) == 0,
	    "%s", e.message);
	json_decref(c);
}

static void
assert_pdf(const struct buf *out)
{
	const char	*end;

	ck_assert_uint_gt(out->len, 1000);
	ck_assert_int_eq(memcmp(out->data, "%PDF-1.", 7), 0);
	end = out->data + out->len;
	while (end > out->data && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	ck_assert_int_eq(memcmp(end - 5, "%%EOF", 5), 0);
}

static void
assert_has(const char *text, const char *what)
{
	ck_assert_msg(strstr(text, what) != NULL, "\"%s\" is not in:\n%s",
	    what, text);
}

START_TEST(test_an_english_quote_prints_its_number_parts_vat_and_total)
{
	struct arena	*a = arena_new(1 << 16);
	struct buf	 out, png;
	json_t		*q;
	char		*text, *info;

	q = json_loads(quote_json, 0, NULL);
	ck_assert_ptr_nonnull(q);
	buf_init(&out, 8 << 20);
	buf_init(&png, 1 << 20);
	render(a, q, "en", &out, &png);
	assert_pdf(&out);
	info = poppler("pdfinfo", &out);
	ck_assert_ptr_nonnull(strstr(info, "Pages:"));
	ck_assert_int_eq(strtol(strstr(info, "Pages:") + 6, NULL, 10), 1);
	assert_has(info, "(A4)");
	assert_has(info, "Quote Q-2026-00042");
	text = poppler("pdftotext -layout", &out);
	assert_has(text, "Quote");
	assert_has(text, "Q-2026-00042");
	assert_has(text, "M\xc3\xbcller Druckwerk GmbH");
	assert_has(text, "Hauptstra\xc3\x9f" "e 1");
	assert_has(text, "VAT ID DE123456789");
	assert_has(text, "5 Dec 2026");
	assert_has(text, "gear-housing.3mf");
	assert_has(text, "bracket.stl");
	assert_has(text, "PETG \xc2\xb7 Wei\xc3\x9f");
	assert_has(text, "42.5 \xc3\x97 30.0 \xc3\x97 12.3 mm");
	assert_has(text, "\xe2\x82\xac" "600.00");
	assert_has(text, "\xe2\x82\xac" "52.36 incl. VAT, per piece");
	assert_has(text, "Quantity discount 5 %");
	assert_has(text, "not watertight");
	assert_has(text, "VAT 19 %");
	assert_has(text, "\xe2\x82\xac" "196.84");
	assert_has(text, "Net total");
	assert_has(text, "\xe2\x82\xac" "1,036.00");
	assert_has(text, "\xe2\x82\xac" "1,232.84");
	assert_has(text, "A person checks this price");
	assert_has(text, "Colours may vary slightly");
	assert_has(text, "Page 1 of 1");
	free(text);
	free(info);
	json_decref(q);
	buf_free(&out);
	buf_free(&png);
	arena_free(a);
}
END_TEST

START_TEST(test_a_german_quote_says_angebot_with_decimal_commas)
{
	struct arena	*a = arena_new(1 << 16);
	struct buf	 out, png;
	json_t		*q;
	char		*text;

	q = json_loads(quote_json, 0, NULL);
	ck_assert_ptr_nonnull(q);
	buf_init(&out, 8 << 20);
	buf_init(&png, 1 << 20);
	render(a, q, "de", &out, &png);
	assert_pdf(&out);
	text = poppler("pdftotext -layout", &out);
	assert_has(text, "Angebot");
	assert_has(text, "Angebotsnummer");
	assert_has(text, "Q-2026-00042");
	assert_has(text, "G\xc3\xbcltig bis");
	assert_has(text, "05.12.2026");
	assert_has(text, "21.11.2026");
	assert_has(text, "USt-IdNr. DE123456789");
	assert_has(text, "bracket.stl");
	assert_has(text, "42,5 \xc3\x97 30,0 \xc3\x97 12,3 mm");
	assert_has(text, "Schichth\xc3\xb6he 0,20 mm");
	assert_has(text, "MwSt. 19 %");
	assert_has(text, "196,84 \xe2\x82\xac");
	assert_has(text, "1.232,84 \xe2\x82\xac");
	assert_has(text, "Gesamtbetrag");
	assert_has(text, "Mengenrabatt");
	assert_has(text, "Seite 1 von 1");
	ck_assert_ptr_null(strstr(text, "1,232.84"));
	free(text);
	json_decref(q);
	buf_free(&out);
	buf_free(&png);
	arena_free(a);
}
END_TEST

START_TEST(test_fifty_parts_run_over_numbered_pages)
{
	struct arena	*a = arena_new(1 << 16);
	struct err	 e;
	struct buf	 out;
	json_t		*q, *parts, *first, *p;
	char		*text, *info, want[64];
	int		 i, pages;

	memset(&e, 0, sizeof(e));
	q = json_loads(quote_json, 0, NULL);
	ck_assert_ptr_nonnull(q);
	parts = json_object_get(q, "parts");
	first = json_deep_copy(json_array_get(parts, 1));
	json_array_clear(parts);
	for (i = 0; i < 50; i++) {
		p = json_deep_copy(first);
		snprintf(want, sizeof(want), "part-%02d.stl", i + 1);
		json_object_set_new(p, "name", json_string(want));
		json_array_append_new(parts, p);
	}
	json_decref(first);
	buf_init(&out, 8 << 20);
	/* no pictures at all: every part gets an empty frame */
	ck_assert_msg(quotepdf_render(a, q, NULL, "en", NULL, 0, &out, &e) ==
	    0, "%s", e.message);
	assert_pdf(&out);
	info = poppler("pdfinfo", &out);
	ck_assert_ptr_nonnull(strstr(info, "Pages:"));
	pages = (int)strtol(strstr(info, "Pages:") + 6, NULL, 10);
	ck_assert_int_ge(pages, 6);
	text = poppler("pdftotext -layout", &out);
	for (i = 0; i < 50; i++) {
		snprintf(want, sizeof(want), "part-%02d.stl", i + 1);
		assert_has(text, want);
	}
	snprintf(want, sizeof(want), "Page %d of %d", pages, pages);
	assert_has(text, want);
	assert_has(text, "Page 2 of");
	assert_has(text, "\xe2\x82\xac" "1,232.84");
	free(text);
	free(info);
	json_decref(q);
	buf_free(&out);
	arena_free(a);
}
END_TEST

START_TEST(test_a_damaged_thumbnail_leaves_a_frame_and_a_good_pdf)
{
	struct arena		*a = arena_new(1 << 16);
	struct quotepdf_image	 img[2];
	struct err		 e;
	struct buf		 out, png;
	json_t			*q;
	char			*text;

	memset(&e, 0, sizeof(e));
	memset(img, 0, sizeof(img));
	q = json_loads(quote_json, 0, NULL);
	buf_init(&out, 8 << 20);
	buf_init(&png, 1 << 20);
	png_make(&png, 32, 32);
	png.data[png.len - 40] ^= 0x33;
	img[0].png = png.data;
	img[0].png_len = png.len;
	img[1].png = "\x89PNG\r\n\x1a\n";
	img[1].png_len = 8;
	ck_assert_msg(quotepdf_render(a, q, NULL, "en", img, 2, &out, &e) == 0,
	    "%s", e.message);
	ck_assert_int_eq(e.code, 0);
	assert_pdf(&out);
	text = poppler("pdftotext -layout", &out);
	assert_has(text, "bracket.stl");
	free(text);
	json_decref(q);
	buf_free(&out);
	buf_free(&png);
	arena_free(a);
}
END_TEST

START_TEST(test_a_quote_without_parts_or_with_too_many_is_refused)
{
	struct arena	*a = arena_new(1 << 16);
	struct err	 e;
	struct buf	 out;
	json_t		*q, *parts, *first;
	int		 i;

	memset(&e, 0, sizeof(e));
	buf_init(&out, 8 << 20);
	q = json_loads(quote_json, 0, NULL);
	parts = json_object_get(q, "parts");
	first = json_deep_copy(json_array_get(parts, 0));
	json_array_clear(parts);
	ck_assert_int_eq(quotepdf_render(a, q, NULL, "en", NULL, 0, &out, &e),
	    ERR_INVALID);
	for (i = 0; i <= QUOTEPDF_MAX_PARTS; i++)
		json_array_append(parts, first);
	err_clear(&e);
	ck_assert_int_eq(quotepdf_render(a, q, NULL, "en", NULL, 0, &out, &e),
	    ERR_TOO_LARGE);
	ck_assert_uint_eq(out.len, 0);
	/* a ceiling too low for the document */
	json_array_clear(parts);
	json_array_append(parts, first);
	buf_free(&out);
	buf_init(&out, 512);
	err_clear(&e);
	ck_assert_int_eq(quotepdf_render(a, q, NULL, "en", NULL, 0, &out, &e),
	    ERR_TOO_LARGE);
	ck_assert_int_eq(quotepdf_part_view(q, 7, NULL, NULL,
	    (unsigned char[3]){ 0, 0, 0 }), -1);
	json_decref(first);
	json_decref(q);
	buf_free(&out);
	arena_free(a);
}
END_TEST

static Suite *
quotepdf_suite(void)
{
	Suite	*s = suite_create("quotepdf");
	TCase	*t;

	t = tcase_create("silhouette");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_a_cube_covers_the_area_of_its_projection);
	tcase_add_test(t, test_the_three_faces_of_a_cube_are_shaded_apart);
	tcase_add_test(t, test_winding_does_not_change_the_picture);
	tcase_add_test(t, test_no_triangles_leave_the_picture_blank);
	tcase_add_test(t,
	    test_nan_infinite_and_degenerate_triangles_are_skipped);
	tcase_add_test(t, test_a_finely_cut_sphere_shows_no_cracks);
	tcase_add_test(t,
	    test_huge_overlapping_triangles_stop_at_the_work_budget);
	suite_add_tcase(s, t);
	t = tcase_create("pdf");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_png_pictures_are_decoded_and_bad_ones_refused);
	tcase_add_test(t,
	    test_an_english_quote_prints_its_number_parts_vat_and_total);
	tcase_add_test(t, test_a_german_quote_says_angebot_with_decimal_commas);
	tcase_add_test(t, test_fifty_parts_run_over_numbered_pages);
	tcase_add_test(t,
	    test_a_damaged_thumbnail_leaves_a_frame_and_a_good_pdf);
	tcase_add_test(t,
	    test_a_quote_without_parts_or_with_too_many_is_refused);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	/* dates are shown in the business's zone; the test pins one */
	setenv("TZ", "Europe/Berlin", 1);
	return unit_run(quotepdf_suite());
}
