/*
 * quotepdf.h -- an instant quote as a PDF for its customer (A4, English
 * or German).
 *
 * The document is made from the very JSON the public quote route
 * answers (GET /api/v1/public/quotes/{token}: number, valid_until,
 * customer_kind, breakdown, parts[], options.terms, ...), so the PDF and
 * the page never disagree: this file rounds nothing and adds up nothing,
 * it only shows the cents it is given.  Page one carries the business's
 * name, address and VAT ID, the quote number, date and validity; then a
 * row per part (picture, name, material and colour, quality, size,
 * quantity, warnings, unit price and amount), the price breakdown down
 * to VAT and the total, and the shop's terms.  Parts run over as many
 * pages as they need; every page is numbered "n of m".
 */
#ifndef PY_QUOTEPDF_H
#define PY_QUOTEPDF_H

#include <stddef.h>

#include <jansson.h>

struct arena;
struct buf;
struct err;

#define QUOTEPDF_MAX_PARTS	100

/*
 * The picture of one part: the PNG when there is one (a sliced 3MF's
 * plate thumbnail), else the RGB pixels (a struct silhouette's rgb, w
 * and h), else neither (an empty frame is drawn).  A PNG that cannot be
 * read falls back to the pixels, then to the frame.
 */
struct quotepdf_image {
	const void		*png;
	size_t			 png_len;
	const unsigned char	*rgb;		/* w * h * 3, top row first */
	int			 w, h;
};

/*
 * Appends the PDF of quote to out.
 *   quote    the public quote JSON as quotes_public() makes it;
 *   company  the business settings row (business_name, business_street,
 *            business_postal_code, business_city, business_country,
 *            business_vat_id; any may be missing or null);
 *   lang     "de" for German, anything else English (the parts'
 *            warnings[].text are shown as given: pass the same language
 *            the quote JSON was made in);
 *   images   nimages pictures, images[i] for parts[i] (NULL, or fewer
 *            than the parts: the rest get empty frames).
 * All memory is on the arena.  Returns 0, or ERR_INVALID for a quote
 * without a number or parts, ERR_TOO_LARGE past QUOTEPDF_MAX_PARTS parts
 * or out's ceiling, ERR_INTERNAL when libharu fails.
 */
int	quotepdf_render(struct arena *, const json_t *quote,
	    const json_t *company, const char *lang,
	    const struct quotepdf_image *images, size_t nimages,
	    struct buf *out, struct err *);

/*
 * What a silhouette of parts[i] needs: its bounding box (mesh.min and
 * mesh.max, mm) and its colour, the hex the shop lists for its material
 * and colour name in quote.options.materials (a neutral grey when there
 * is none).  Returns 0, or -1 when there is no such part or it has no
 * box.
 */
int	quotepdf_part_view(const json_t *quote, size_t i, double min[3],
	    double max[3], unsigned char rgb[3]);

#endif
