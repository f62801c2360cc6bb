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
 * after an error the document is not usable any more (pdf_image_png's
 * ERR_INVALID aside: a picture it cannot read leaves the document as
 * it was).
 */
#ifndef PY_PDF_H
#define PY_PDF_H

#include <stddef.h>

struct arena;
struct buf;
struct err;
struct pdf;

#define PDF_MM		(72.0 / 25.4)	/* points per millimetre */

/* Pictures larger than this on either side are refused (memory). */
#define PDF_IMAGE_MAX_SIDE	2048

/* Built-in fonts. */
enum pdf_font { PDF_SANS, PDF_SANS_BOLD, PDF_MONO_BOLD, PDF_SANS_OBLIQUE };
/*
 * Horizontal placement of text at x (PDF_CENTER: x is the middle,
 * PDF_RIGHT: x is where it ends).
 */
enum pdf_align { PDF_LEFT, PDF_CENTER, PDF_RIGHT };

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
/*
 * Width in mm of utf8 in a font and size, as pdf_text draws it when it
 * need not shrink it (for laying out and wrapping text).
 */
double	 pdf_text_width(struct pdf *, enum pdf_font, double size,
	    const char *utf8);
/* The colour of the text drawn next ("#RRGGBB"; NULL: black again). */
void	 pdf_text_colour(struct pdf *, const char *hex);
/* A straight line in stroke ("#RRGGBB") of width points. */
int	 pdf_line(struct pdf *, double x1, double y1, double x2, double y2,
	    const char *stroke, double width);
/*
 * A picture of pw x ph RGB pixels (3 bytes each, top row first), drawn
 * as large as fits in the box w x h at x, y without distorting it, and
 * centred in it.
 */
int	 pdf_image_rgb(struct pdf *, double x, double y, double w, double h,
	    const unsigned char *rgb, int pw, int ph);
/*
 * A PNG picture from memory, placed as pdf_image_rgb places its pixels;
 * transparent parts are laid on white.  It is decoded here (libpng's
 * checked reader), so damaged bytes are an error and never reach
 * libharu's own PNG reader, which aborts the process on them.  Returns
 * ERR_INVALID, with the document still usable, for bytes that are not
 * a readable PNG or a picture past PDF_IMAGE_MAX_SIDE.
 */
int	 pdf_image_png(struct pdf *, double x, double y, double w, double h,
	    const void *png, size_t len);
/* The number of pages so far. */
int	 pdf_pages(const struct pdf *);
/*
 * Makes page index (from 0) the current one again, to draw on it after
 * later pages were added (page numbers "1 of n", say).
 */
int	 pdf_goto(struct pdf *, int index);
/* The title and author a PDF viewer shows (either may be NULL). */
int	 pdf_info(struct pdf *, const char *title, const char *author);
/* Appends the finished document to out (ERR_TOO_LARGE past its ceiling). */
int	 pdf_save(struct pdf *, struct buf *out);

/* 1 when s is "#RRGGBB" (either case). */
int	 pdf_is_hex(const char *s);

#endif
