/*
 * pdf.c -- a small PDF writer for labels, sheets and quotes, on libharu,
 * libqrencode and libpng (all three are used nowhere else).
 *
 * Invariants: the HPDF_Doc is registered on the arena the moment it
 * exists, so it is freed exactly once whatever happens after; libharu's
 * error handler only records the error (no longjmp), and every libharu
 * call's status is checked and turned into an error record; the QR code
 * from libqrencode is freed before pdf_qr returns.  The document never
 * touches a file: pdf_save reads libharu's memory stream into a bounded
 * buffer.  PNG bytes are decoded by libpng's simplified reader (which
 * catches its own errors) and handed to libharu as raw pixels: libharu's
 * PNG loader lets libpng abort the process on a damaged file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>
#include <png.h>
#include <qrencode.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "export/pdf.h"

struct pdf {
	struct arena	*arena;
	struct err	*err;
	HPDF_Doc	 doc;
	HPDF_Page	 page;
	double		 page_h;	/* mm, of the current page */
	int		 npages;
	const char	*text_hex;	/* colour of text, NULL: black */
	HPDF_STATUS	 status;	/* the last error libharu reported */
	HPDF_STATUS	 detail;
};

static const char *const pdf_font_names[] = {
	"Helvetica", "Helvetica-Bold", "Courier-Bold", "Helvetica-Oblique"
};

/* Characters of WinAnsi (CP1252) between 0x80 and 0x9F. */
static const struct {
	uint32_t	cp;
	unsigned char	c;
} pdf_winansi[] = {
	{ 0x20ac, 0x80 }, { 0x201a, 0x82 }, { 0x0192, 0x83 },
	{ 0x201e, 0x84 }, { 0x2026, 0x85 }, { 0x2020, 0x86 },
	{ 0x2021, 0x87 }, { 0x02c6, 0x88 }, { 0x2030, 0x89 },
	{ 0x0160, 0x8a }, { 0x2039, 0x8b }, { 0x0152, 0x8c },
	{ 0x017d, 0x8e }, { 0x2018, 0x91 }, { 0x2019, 0x92 },
	{ 0x201c, 0x93 }, { 0x201d, 0x94 }, { 0x2022, 0x95 },
	{ 0x2013, 0x96 }, { 0x2014, 0x97 }, { 0x02dc, 0x98 },
	{ 0x2122, 0x99 }, { 0x0161, 0x9a }, { 0x203a, 0x9b },
	{ 0x0153, 0x9c }, { 0x017e, 0x9e }, { 0x0178, 0x9f },
};

#define PDF_ELLIPSIS	'\x85'

static void
pdf_on_error(HPDF_STATUS status, HPDF_STATUS detail, void *data)
{
	struct pdf	*p = data;

	p->status = status;
	p->detail = detail;
}

static void
pdf_free_doc(void *doc)
{
	HPDF_Free((HPDF_Doc)doc);
}

/* Turns the last libharu error into the error record. */
static int
pdf_fail(struct pdf *p, const char *what)
{
	return err_set(p->err, ERR_INTERNAL, "could not make the PDF (%s: "
	    "libharu error 0x%04X, detail %u)", what, (unsigned)p->status,
	    (unsigned)p->detail);
}

int
pdf_new(struct arena *a, struct err *e, struct pdf **out)
{
	struct pdf	*p;

	*out = NULL;
	p = arena_calloc(a, 1, sizeof(*p));
	p->arena = a;
	p->err = e;
	p->doc = HPDF_New(pdf_on_error, p);
	if (p->doc == NULL)
		return err_set(e, ERR_INTERNAL, "could not start a PDF");
	arena_defer(a, pdf_free_doc, p->doc);
	if (HPDF_SetCompressionMode(p->doc, HPDF_COMP_ALL) != HPDF_OK)
		return pdf_fail(p, "compression");
	*out = p;
	return 0;
}

int
pdf_page(struct pdf *p, double w, double h)
{
	p->page = HPDF_AddPage(p->doc);
	if (p->page == NULL)
		return pdf_fail(p, "page");
	if (HPDF_Page_SetWidth(p->page, (HPDF_REAL)(w * PDF_MM)) != HPDF_OK ||
	    HPDF_Page_SetHeight(p->page, (HPDF_REAL)(h * PDF_MM)) != HPDF_OK)
		return pdf_fail(p, "page size");
	p->page_h = h;
	p->npages++;
	return 0;
}

int
pdf_is_hex(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] != '#' || strlen(s) != 7)
		return 0;
	for (i = 1; i < 7; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return 0;
	return 1;
}

static double
pdf_hex_part(const char *s)
{
	unsigned	v;
	int		i, d;

	v = 0;
	for (i = 0; i < 2; i++) {
		d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 :
		    s[i] - 'A' + 10;
		v = v * 16 + (unsigned)d;
	}
	return v / 255.0;
}

/* Sets fill or stroke colour from "#RRGGBB" (anything else: black). */
static HPDF_STATUS
pdf_colour(struct pdf *p, const char *hex, int stroke)
{
	double	r, g, b;

	r = g = b = 0;
	if (pdf_is_hex(hex)) {
		r = pdf_hex_part(hex + 1);
		g = pdf_hex_part(hex + 3);
		b = pdf_hex_part(hex + 5);
	}
	if (stroke)
		return HPDF_Page_SetRGBStroke(p->page, (HPDF_REAL)r,
		    (HPDF_REAL)g, (HPDF_REAL)b);
	return HPDF_Page_SetRGBFill(p->page, (HPDF_REAL)r, (HPDF_REAL)g,
	    (HPDF_REAL)b);
}

/* Decodes one UTF-8 sequence at s; returns its length (0 at the end). */
static size_t
pdf_utf8(const unsigned char *s, uint32_t *cp)
{
	size_t		n, i;
	uint32_t	c;

	if (s[0] == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		*cp = '?';
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = '?';
			return i;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

/* UTF-8 to WinAnsi on the arena; control characters become spaces. */
static char *
pdf_winansi_text(struct arena *a, const char *utf8)
{
	const unsigned char	*s;
	char			*out;
	uint32_t		 cp;
	size_t			 n, o, i;

	s = (const unsigned char *)utf8;
	out = arena_alloc(a, strlen(utf8) + 1);
	o = 0;
	while ((n = pdf_utf8(s, &cp)) > 0) {
		s += n;
		if (cp < 0x20 || cp == 0x7f)
			out[o++] = ' ';
		else if (cp < 0x80 || (cp >= 0xa0 && cp <= 0xff))
			out[o++] = (char)cp;
		else {
			out[o] = '?';
			for (i = 0; i < sizeof(pdf_winansi) /
			    sizeof(pdf_winansi[0]); i++)
				if (pdf_winansi[i].cp == cp)
					out[o] = (char)pdf_winansi[i].c;
			o++;
		}
	}
	out[o] = '\0';
	return out;
}

/* Width of text in mm at the page's current font and size. */
static double
pdf_width(struct pdf *p, const char *text)
{
	return (double)HPDF_Page_TextWidth(p->page, text) / PDF_MM;
}

int
pdf_text(struct pdf *p, double x, double y, double maxw, enum pdf_font f,
    double size, double minsize, enum pdf_align align, const char *utf8)
{
	HPDF_Font	 font;
	char		*text;
	size_t		 len;
	double		 w;

	if (utf8 == NULL || utf8[0] == '\0')
		return 0;
	text = pdf_winansi_text(p->arena, utf8);
	font = HPDF_GetFont(p->doc, pdf_font_names[f], "WinAnsiEncoding");
	if (font == NULL)
		return pdf_fail(p, "font");
	if (minsize > size)
		minsize = size;
	for (;;) {
		if (HPDF_Page_SetFontAndSize(p->page, font, (HPDF_REAL)size) !=
		    HPDF_OK)
			return pdf_fail(p, "font size");
		w = pdf_width(p, text);
		if (maxw <= 0 || w <= maxw || size - 0.5 < minsize)
			break;
		size -= 0.5;
	}
	/* Still too wide at the smallest size: cut it short. */
	len = strlen(text);
	while (maxw > 0 && w > maxw && len > 1) {
		text[--len] = '\0';
		while (len > 1 && text[len - 1] == ' ')
			text[--len] = '\0';
		text[len - 1] = PDF_ELLIPSIS;
		w = pdf_width(p, text);
	}
	if (align == PDF_CENTER)
		x -= w / 2;
	else if (align == PDF_RIGHT)
		x -= w;
	if (pdf_colour(p, p->text_hex, 0) != HPDF_OK ||
	    HPDF_Page_BeginText(p->page) != HPDF_OK ||
	    HPDF_Page_TextOut(p->page, (HPDF_REAL)(x * PDF_MM),
	    (HPDF_REAL)((p->page_h - y) * PDF_MM), text) != HPDF_OK ||
	    HPDF_Page_EndText(p->page) != HPDF_OK)
		return pdf_fail(p, "text");
	return 0;
}

int
pdf_rect(struct pdf *p, double x, double y, double w, double h,
    const char *fill, const char *stroke, double width)
{
	HPDF_STATUS	st;

	if (fill == NULL && stroke == NULL)
		return 0;
	st = HPDF_OK;
	if (fill != NULL)
		st = pdf_colour(p, fill, 0);
	if (st == HPDF_OK && stroke != NULL) {
		st = pdf_colour(p, stroke, 1);
		if (st == HPDF_OK)
			st = HPDF_Page_SetLineWidth(p->page, (HPDF_REAL)width);
	}
	if (st == HPDF_OK)
		st = HPDF_Page_Rectangle(p->page, (HPDF_REAL)(x * PDF_MM),
		    (HPDF_REAL)((p->page_h - y - h) * PDF_MM),
		    (HPDF_REAL)(w * PDF_MM), (HPDF_REAL)(h * PDF_MM));
	if (st == HPDF_OK)
		st = fill != NULL && stroke != NULL ?
		    HPDF_Page_FillStroke(p->page) : fill != NULL ?
		    HPDF_Page_Fill(p->page) : HPDF_Page_Stroke(p->page);
	if (st != HPDF_OK)
		return pdf_fail(p, "rectangle");
	return 0;
}

/* Adds the dark modules of a QR code to the path, a row's run at a time. */
static HPDF_STATUS
pdf_qr_path(struct pdf *p, const QRcode *qr, double x, double y, double m)
{
	HPDF_STATUS	st;
	int		row, col, start, w;

	w = qr->width;
	st = HPDF_OK;
	for (row = 0; row < w && st == HPDF_OK; row++) {
		col = 0;
		while (col < w && st == HPDF_OK) {
			if (!(qr->data[row * w + col] & 1)) {
				col++;
				continue;
			}
			start = col;
			while (col < w && (qr->data[row * w + col] & 1))
				col++;
			st = HPDF_Page_Rectangle(p->page,
			    (HPDF_REAL)((x + (start + 2) * m) * PDF_MM),
			    (HPDF_REAL)((p->page_h - y - (row + 3) * m) *
			    PDF_MM), (HPDF_REAL)((col - start) * m * PDF_MM),
			    (HPDF_REAL)(m * PDF_MM));
		}
	}
	return st;
}

int
pdf_qr(struct pdf *p, double x, double y, double size, const char *text)
{
	QRcode		*qr;
	HPDF_STATUS	 st;
	int		 rc;

	qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (qr == NULL)
		return err_set(p->err, errno == ERANGE ? ERR_TOO_LARGE :
		    ERR_INTERNAL, "could not make a QR code of %zu bytes",
		    strlen(text));
	rc = pdf_rect(p, x, y, size, size, "#FFFFFF", NULL, 0);
	if (rc == 0) {
		st = HPDF_Page_SetRGBFill(p->page, 0, 0, 0);
		if (st == HPDF_OK)
			st = pdf_qr_path(p, qr, x, y, size / (qr->width + 4));
		if (st == HPDF_OK)
			st = HPDF_Page_Fill(p->page);
		if (st != HPDF_OK)
			rc = pdf_fail(p, "QR code");
	}
	QRcode_free(qr);
	return rc;
}

double
pdf_text_width(struct pdf *p, enum pdf_font f, double size, const char *utf8)
{
	HPDF_TextWidth	 tw;
	HPDF_Font	 font;
	char		*text;

	if (utf8 == NULL || utf8[0] == '\0')
		return 0;
	font = HPDF_GetFont(p->doc, pdf_font_names[f], "WinAnsiEncoding");
	if (font == NULL)
		return 0;
	text = pdf_winansi_text(p->arena, utf8);
	tw = HPDF_Font_TextWidth(font, (const HPDF_BYTE *)text,
	    (HPDF_UINT)strlen(text));
	/* glyph widths are in thousandths of the font size */
	return (double)tw.width * size / 1000.0 / PDF_MM;
}

void
pdf_text_colour(struct pdf *p, const char *hex)
{
	p->text_hex = hex;
}

int
pdf_line(struct pdf *p, double x1, double y1, double x2, double y2,
    const char *stroke, double width)
{
	HPDF_STATUS	st;

	st = pdf_colour(p, stroke, 1);
	if (st == HPDF_OK)
		st = HPDF_Page_SetLineWidth(p->page, (HPDF_REAL)width);
	if (st == HPDF_OK)
		st = HPDF_Page_MoveTo(p->page, (HPDF_REAL)(x1 * PDF_MM),
		    (HPDF_REAL)((p->page_h - y1) * PDF_MM));
	if (st == HPDF_OK)
		st = HPDF_Page_LineTo(p->page, (HPDF_REAL)(x2 * PDF_MM),
		    (HPDF_REAL)((p->page_h - y2) * PDF_MM));
	if (st == HPDF_OK)
		st = HPDF_Page_Stroke(p->page);
	if (st != HPDF_OK)
		return pdf_fail(p, "line");
	return 0;
}

int
pdf_image_rgb(struct pdf *p, double x, double y, double w, double h,
    const unsigned char *rgb, int pw, int ph)
{
	HPDF_Image	 img;
	double		 scale, dw, dh;

	if (rgb == NULL || pw < 1 || ph < 1 || pw > PDF_IMAGE_MAX_SIDE ||
	    ph > PDF_IMAGE_MAX_SIDE)
		return err_set(p->err, ERR_INVALID, "a picture of %d x %d "
		    "pixels cannot be placed", pw, ph);
	img = HPDF_LoadRawImageFromMem(p->doc, rgb, (HPDF_UINT)pw,
	    (HPDF_UINT)ph, HPDF_CS_DEVICE_RGB, 8);
	if (img == NULL)
		return pdf_fail(p, "picture");
	scale = w / pw < h / ph ? w / pw : h / ph;
	dw = pw * scale;
	dh = ph * scale;
	x += (w - dw) / 2;
	y += (h - dh) / 2;
	if (HPDF_Page_DrawImage(p->page, img, (HPDF_REAL)(x * PDF_MM),
	    (HPDF_REAL)((p->page_h - y - dh) * PDF_MM),
	    (HPDF_REAL)(dw * PDF_MM), (HPDF_REAL)(dh * PDF_MM)) != HPDF_OK)
		return pdf_fail(p, "picture");
	return 0;
}

int
pdf_image_png(struct pdf *p, double x, double y, double w, double h,
    const void *png, size_t len)
{
	png_image	 img;
	png_color	 white = { 255, 255, 255 };
	unsigned char	*px;
	int		 rc;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (png == NULL || !png_image_begin_read_from_memory(&img, png, len))
		return err_set(p->err, ERR_INVALID, "the picture is not a "
		    "readable PNG (%s)", img.message[0] != '\0' ? img.message :
		    "no bytes");
	if (img.width < 1 || img.height < 1 ||
	    img.width > PDF_IMAGE_MAX_SIDE || img.height > PDF_IMAGE_MAX_SIDE) {
		png_image_free(&img);
		return err_set(p->err, ERR_INVALID, "the picture is %u x %u "
		    "pixels, more than %d on a side", (unsigned)img.width,
		    (unsigned)img.height, PDF_IMAGE_MAX_SIDE);
	}
	img.format = PNG_FORMAT_RGB;
	/*
	 * malloc, not the arena: a quote holds many pictures and each one's
	 * pixels are needed only until libharu has copied them.
	 */
	if ((px = malloc(PNG_IMAGE_SIZE(img))) == NULL) {
		png_image_free(&img);
		return err_set(p->err, ERR_INTERNAL, "no memory for a picture "
		    "of %u x %u pixels", (unsigned)img.width,
		    (unsigned)img.height);
	}
	if (!png_image_finish_read(&img, &white, px, 0, NULL)) {
		free(px);
		png_image_free(&img);
		return err_set(p->err, ERR_INVALID, "the picture is not a "
		    "readable PNG (%s)", img.message);
	}
	rc = pdf_image_rgb(p, x, y, w, h, px, (int)img.width,
	    (int)img.height);
	free(px);
	png_image_free(&img);
	return rc;
}

int
pdf_pages(const struct pdf *p)
{
	return p->npages;
}

int
pdf_goto(struct pdf *p, int index)
{
	HPDF_Page	page;

	if (index < 0 || index >= p->npages ||
	    (page = HPDF_GetPageByIndex(p->doc, (HPDF_UINT)index)) == NULL)
		return err_set(p->err, ERR_INTERNAL, "the PDF has no page %d "
		    "of %d", index + 1, p->npages);
	p->page = page;
	p->page_h = (double)HPDF_Page_GetHeight(page) / PDF_MM;
	return 0;
}

int
pdf_info(struct pdf *p, const char *title, const char *author)
{
	if ((title != NULL && HPDF_SetInfoAttr(p->doc, HPDF_INFO_TITLE,
	    pdf_winansi_text(p->arena, title)) != HPDF_OK) ||
	    (author != NULL && HPDF_SetInfoAttr(p->doc, HPDF_INFO_AUTHOR,
	    pdf_winansi_text(p->arena, author)) != HPDF_OK))
		return pdf_fail(p, "document information");
	return 0;
}

int
pdf_save(struct pdf *p, struct buf *out)
{
	HPDF_BYTE	chunk[16384];
	HPDF_UINT32	total, got, n;
	HPDF_STATUS	st;

	if (HPDF_SaveToStream(p->doc) != HPDF_OK)
		return pdf_fail(p, "save");
	total = HPDF_GetStreamSize(p->doc);
	if (out->len + total > out->max)
		return err_set(p->err, ERR_TOO_LARGE, "the PDF would be %u "
		    "bytes, more than the %zu allowed", (unsigned)total,
		    out->max - out->len);
	got = 0;
	while (got < total) {
		n = sizeof(chunk);
		st = HPDF_ReadFromStream(p->doc, chunk, &n);
		if (st != HPDF_OK && st != HPDF_STREAM_EOF)
			return pdf_fail(p, "read");
		if (n == 0)
			break;
		if (buf_add(out, chunk, n) != 0)
			return err_set(p->err, ERR_TOO_LARGE, "the PDF is "
			    "larger than the %zu bytes allowed", out->max);
		got += n;
	}
	if (got != total)
		return err_set(p->err, ERR_INTERNAL, "the PDF came out short "
		    "(%u of %u bytes)", (unsigned)got, (unsigned)total);
	HPDF_ResetError(p->doc);
	return 0;
}
