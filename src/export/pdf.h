/*
 * pdf.h -- a small PDF writer for labels and sheets (libharu inside).
 *
 * A document is made in memory only and lives on the request arena: the
 * libharu document is released when the arena resets, so an error path
 * leaks nothing and callers never free it.  Positions and sizes are in
 * millimetres from the top left corner of the current page; font sizes
 * are in points.  Text is UTF-8 and is drawn with the built-in fonts in
 * WinAnsi encoding (Latin-1 and a few more; anything else becomes '?').
 * Every call returns 0 or an error code with the error record filled;
 * after an error the document is not usable any more.
 */
#ifndef PY_PDF_H
#define PY_PDF_H

#include <stddef.h>

struct arena;
struct buf;
struct err;
struct pdf;

#define PDF_MM		(72.0 / 25.4)	/* points per millimetre */

/* Built-in fonts. */
enum pdf_font { PDF_SANS, PDF_SANS_BOLD, PDF_MONO_BOLD };
/* Horizontal placement of text at x (PDF_CENTER: x is the middle). */
enum pdf_align { PDF_LEFT, PDF_CENTER };

/* A new empty document; *out is NULL on error. */
int	 pdf_new(struct arena *, struct err *, struct pdf **out);
/* Adds a page of w x h millimetres and makes it the current one. */
int	 pdf_page(struct pdf *, double w, double h);
/*
 * Text with its baseline at y.  A text wider than maxw (0: no limit) is
 * drawn smaller, down to minsize, and then cut short with an ellipsis.
 */
int	 pdf_text(struct pdf *, double x, double y, double maxw,
	    enum pdf_font, double size, double minsize, enum pdf_align,
	    const char *utf8);
/*
 * A rectangle filled with fill ("#RRGGBB", NULL: not filled) and outlined
 * in stroke (NULL: no outline) with a line of width points.
 */
int	 pdf_rect(struct pdf *, double x, double y, double w, double h,
	    const char *fill, const char *stroke, double width);
/*
 * A QR code of text as a black-on-white square of side size, with a
 * quiet zone of two modules inside that square.
 */
int	 pdf_qr(struct pdf *, double x, double y, double size,
	    const char *text);
/* Appends the finished document to out (ERR_TOO_LARGE past its ceiling). */
int	 pdf_save(struct pdf *, struct buf *out);

/* 1 when s is "#RRGGBB" (either case). */
int	 pdf_is_hex(const char *s);

#endif
