/*
 * labels.c -- label layouts for spools and items, drawn with export/pdf.
 *
 * Invariants: every size has one fixed layout in millimetres (the table
 * below), so a label looks the same on a label printer and on a sheet;
 * text never leaves its box (pdf_text shrinks and cuts it); the QR code
 * keeps its quiet zone inside its square.  Sheets are A4 with a margin
 * of at least SHEET_MARGIN on every side and SHEET_GAP between labels,
 * and the grid is centred; a new page starts when one is full.
 */
#include <string.h>

#include "core/err.h"
#include "export/labels.h"
#include "export/pdf.h"

#define LABEL_PAD	1.5	/* mm from the label's edge */
#define SWATCH_H	7.0	/* mm */
#define SHEET_W		210.0	/* A4, mm */
#define SHEET_H		297.0
#define SHEET_MARGIN	10.0
#define SHEET_GAP	2.0
#define CUT_GREY	"#BBBBBB"

struct labels_layout {
	const char	*name;
	double		 w, h;
	double		 qr;		/* side of the QR square at the pad */
	double		 col_x, col_w;	/* text column: swatch and lines */
	double		 code_x, code_y, code_w, code_pt;
	enum pdf_align	 code_align;
};

static const struct labels_layout labels_layouts[] = {
	/* 40x30: the code sits under the QR code, centred. */
	{ "40x30", 40, 30, 20, 23, 15.5, 11.5, 27.6, 20, 12, PDF_CENTER },
	/* 62x29: the code sits at the foot of the text column. */
	{ "62x29", 62, 29, 26, 29.5, 31, 29.5, 26.8, 31, 16, PDF_LEFT },
};

int
labels_size_parse(const char *s, enum labels_size *out)
{
	size_t	i;

	for (i = 0; s != NULL && i < sizeof(labels_layouts) /
	    sizeof(labels_layouts[0]); i++)
		if (strcmp(s, labels_layouts[i].name) == 0) {
			*out = (enum labels_size)i;
			return 0;
		}
	return -1;
}

static void
labels_grid(enum labels_size size, size_t *cols, size_t *rows)
{
	const struct labels_layout	*l = &labels_layouts[size];

	*cols = (size_t)((SHEET_W - 2 * SHEET_MARGIN + SHEET_GAP) /
	    (l->w + SHEET_GAP));
	*rows = (size_t)((SHEET_H - 2 * SHEET_MARGIN + SHEET_GAP) /
	    (l->h + SHEET_GAP));
}

/* Draws one label with its top left corner at (x, y) of the page. */
static int
labels_draw(struct pdf *p, const struct labels_layout *l, double x,
    double y, const struct label *lb, struct err *e)
{
	double	ty;

	if (pdf_qr(p, x + LABEL_PAD, y + LABEL_PAD, l->qr, lb->url) != 0)
		return e->code;
	ty = y + LABEL_PAD;
	if (lb->swatch) {
		if (pdf_rect(p, x + l->col_x, ty, l->col_w, SWATCH_H,
		    pdf_is_hex(lb->color_hex) ? lb->color_hex : NULL,
		    "#000000", 0.5) != 0)
			return e->code;
		ty += SWATCH_H + 1;
	}
	if (pdf_text(p, x + l->col_x, ty + 3.4, l->col_w, PDF_SANS_BOLD, 9,
	    6, PDF_LEFT, lb->title) != 0 ||
	    pdf_text(p, x + l->col_x, ty + 6.4, l->col_w, PDF_SANS, 7, 5,
	    PDF_LEFT, lb->line2) != 0 ||
	    pdf_text(p, x + l->col_x, ty + 9.4, l->col_w, PDF_SANS, 7, 5,
	    PDF_LEFT, lb->line3) != 0 ||
	    pdf_text(p, x + l->code_x, y + l->code_y, l->code_w,
	    PDF_MONO_BOLD, l->code_pt, 7, l->code_align, lb->code) != 0)
		return e->code;
	return 0;
}

int
labels_pdf(struct arena *a, enum labels_size size, const struct label *lb,
    size_t n, struct buf *out, struct err *e)
{
	const struct labels_layout	*l = &labels_layouts[size];
	struct pdf			*p;
	size_t				 i;

	if (pdf_new(a, e, &p) != 0)
		return e->code;
	for (i = 0; i < n; i++)
		if (pdf_page(p, l->w, l->h) != 0 ||
		    labels_draw(p, l, 0, 0, &lb[i], e) != 0)
			return e->code;
	return pdf_save(p, out);
}

int
labels_sheet(struct arena *a, enum labels_size size, const struct label *lb,
    size_t n, struct buf *out, struct err *e)
{
	const struct labels_layout	*l = &labels_layouts[size];
	struct pdf			*p;
	size_t				 i, cols, rows, k, per;
	double				 ox, oy, x, y;

	labels_grid(size, &cols, &rows);
	per = cols * rows;
	ox = (SHEET_W - (cols * l->w + (cols - 1) * SHEET_GAP)) / 2;
	oy = (SHEET_H - (rows * l->h + (rows - 1) * SHEET_GAP)) / 2;
	if (pdf_new(a, e, &p) != 0)
		return e->code;
	for (i = 0; i < n; i++) {
		k = i % per;
		if (k == 0 && pdf_page(p, SHEET_W, SHEET_H) != 0)
			return e->code;
		x = ox + (double)(k % cols) * (l->w + SHEET_GAP);
		y = oy + (double)(k / cols) * (l->h + SHEET_GAP);
		if (pdf_rect(p, x, y, l->w, l->h, NULL, CUT_GREY, 0.25) != 0 ||
		    labels_draw(p, l, x, y, &lb[i], e) != 0)
			return e->code;
	}
	return pdf_save(p, out);
}
