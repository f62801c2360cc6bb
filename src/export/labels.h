/*
 * labels.h -- printable labels for spools and items, as PDF.
 *
 * A label is a QR code (the absolute URL of the thing's page), an optional
 * colour swatch, three lines of text and a short code printed large, laid
 * out for one of the label sizes below.  labels_pdf makes one page per
 * label at the label's own size (for label printers); labels_sheet puts
 * as many labels as fit on A4 pages in a grid (for office printers and
 * sticker sheets).  Both append the PDF to a bounded buffer and keep all
 * their memory on the arena.
 */
#ifndef PY_LABELS_H
#define PY_LABELS_H

#include <stddef.h>

struct arena;
struct buf;
struct err;

enum labels_size { LABELS_40X30, LABELS_62X29 };

struct label {
	const char	*url;		/* QR code content */
	const char	*title;		/* material or item name, bold */
	const char	*line2;		/* vendor or SKU, or NULL */
	const char	*line3;		/* colour name or unit, or NULL */
	const char	*code;		/* short code, printed large */
	int		 swatch;	/* draw the colour box */
	const char	*color_hex;	/* "#RRGGBB", or NULL: an empty box */
};

/* "40x30" or "62x29"; returns 0, or -1 for anything else. */
int	labels_size_parse(const char *, enum labels_size *);

int	labels_pdf(struct arena *, enum labels_size, const struct label *,
	    size_t n, struct buf *out, struct err *);
int	labels_sheet(struct arena *, enum labels_size, const struct label *,
	    size_t n, struct buf *out, struct err *);

#endif
