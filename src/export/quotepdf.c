/*
 * quotepdf.c -- the PDF of an instant quote, laid out on A4 with the
 * small writer of pdf.c.
 *
 * Layout is a cursor running down the page: each block asks for the
 * height it needs (qp_room) and a new page is begun, with a short
 * header and the table's column titles where they apply, when it does
 * not fit.  Page numbers are drawn last, when the count is known.
 *
 * Invariants: every figure shown is a field of the quote JSON; money is
 * shown with format_money in the quote's currency; the words are the
 * two tables below, chosen once per document; text from the quote and
 * the business (names, terms, warnings) is never used as a format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "domain/money.h"
#include "export/pdf.h"
#include "export/quotepdf.h"
#include "view/format.h"

/* A4 and its margins, mm. */
#define QP_PAGE_W	210.0
#define QP_PAGE_H	297.0
#define QP_LEFT		20.0
#define QP_RIGHT	190.0
#define QP_BOTTOM	274.0	/* content ends here; the footer is below */
#define QP_FOOT_Y	288.0
/* The parts table: picture, description, quantity, unit price, amount. */
#define QP_PIC		28.0
#define QP_DESC_X	52.0
#define QP_DESC_W	76.0
#define QP_QTY_X	137.0	/* right edges of the figures */
#define QP_UNIT_X	165.0
#define QP_ROW_MIN	(QP_PIC + 4.0)
#define QP_LINE		4.2	/* leading at 9 pt */
#define QP_SMALL_LINE	3.5	/* at 7.5 pt */
#define QP_GREY		"#666666"
#define QP_RULE		"#BBBBBB"
#define QP_FRAME	"#DDDDDD"
#define QP_NO_PICTURE	"#F2F2F2"

/* The words of the document in one language. */
struct qp_words {
	const char	*title;
	const char	*number;
	const char	*date;
	const char	*valid_until;
	const char	*vat_id;
	const char	*part;
	const char	*qty;
	const char	*unit;
	const char	*amount;
	const char	*quality;
	const char	*layers;
	const char	*infill;
	const char	*size;
	const char	*each_gross;
	const char	*tier;
	const char	*breakdown;
	const char	*material;
	const char	*machine;
	const char	*labour;
	const char	*setup;
	const char	*overhead;
	const char	*discount;
	const char	*minimum;
	const char	*net;
	const char	*vat;
	const char	*total;
	const char	*terms;
	const char	*page;
	const char	*of;
	const char	*expired;
	const char	*declined;
	const char	*accepted;
	const char	*order;
	const char	*review;
	const char	*consumer;
	const char	*business;
};

static const struct qp_words qp_en = {
	.title = "Quote",
	.number = "Quote number",
	.date = "Date",
	.valid_until = "Valid until",
	.vat_id = "VAT ID",
	.part = "Part",
	.qty = "Qty",
	.unit = "Unit price net",
	.amount = "Amount net",
	.quality = "Quality",
	.layers = "layer height",
	.infill = "infill",
	.size = "Size",
	.each_gross = "incl. VAT, per piece",
	.tier = "Quantity discount",
	.breakdown = "Price breakdown",
	.material = "Material",
	.machine = "Printing time",
	.labour = "Handling",
	.setup = "Setup",
	.overhead = "Overhead and margin",
	.discount = "Quantity discount",
	.minimum = "Minimum order surcharge",
	.net = "Net total",
	.vat = "VAT",
	.total = "Total",
	.terms = "Terms",
	.page = "Page",
	.of = "of",
	.expired = "This quote expired on",
	.declined = "This quote was declined.",
	.accepted = "This quote was accepted.",
	.order = "Order",
	.review = "A person checks this price before it holds.",
	.consumer = "Prices per part are net; the total includes VAT.",
	.business = "Prices are net; VAT is added to the total.",
};

/* UTF-8 spelled out, so the file stays ASCII. */
static const struct qp_words qp_de = {
	.title = "Angebot",
	.number = "Angebotsnummer",
	.date = "Datum",
	.valid_until = "G\xc3\xbcltig bis",
	.vat_id = "USt-IdNr.",
	.part = "Teil",
	.qty = "Menge",
	.unit = "Einzelpreis netto",
	.amount = "Betrag netto",
	.quality = "Qualit\xc3\xa4t",
	.layers = "Schichth\xc3\xb6he",
	.infill = "F\xc3\xbcllung",
	.size = "Gr\xc3\xb6\xc3\x9f" "e",
	.each_gross = "inkl. MwSt., je St\xc3\xbc" "ck",
	.tier = "Mengenrabatt",
	.breakdown = "Preiszusammensetzung",
	.material = "Material",
	.machine = "Druckzeit",
	.labour = "Handhabung",
	.setup = "Einrichtung",
	.overhead = "Gemeinkosten und Marge",
	.discount = "Mengenrabatt",
	.minimum = "Mindermengenzuschlag",
	.net = "Nettosumme",
	.vat = "MwSt.",
	.total = "Gesamtbetrag",
	.terms = "Bedingungen",
	.page = "Seite",
	.of = "von",
	.expired = "Dieses Angebot ist abgelaufen am",
	.declined = "Dieses Angebot wurde abgelehnt.",
	.accepted = "Dieses Angebot wurde angenommen.",
	.order = "Auftrag",
	.review = "Ein Mensch pr\xc3\xbc" "ft diesen Preis, bevor er gilt.",
	.consumer = "Preise je Teil netto; der Gesamtbetrag enth\xc3\xa4lt "
	    "die MwSt.",
	.business = "Preise netto; die MwSt. kommt zum Gesamtbetrag hinzu.",
};

struct qp {
	struct arena		*a;
	struct pdf		*p;
	const struct qp_words	*t;
	const char		*lang;
	const char		*currency;
	const json_t		*quote;
	const json_t		*company;
	double			 y;	/* the cursor, mm from the top */
};

/* ---- reading the JSON ---- */

static const char *
qp_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
qp_int(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* ---- words and figures ---- */

/* v with places decimals, with a decimal comma in German. */
static const char *
qp_num(struct qp *q, double v, int places)
{
	char	*s, *dot;

	s = arena_printf(q->a, "%.*f", places, v);
	if (strcmp(q->lang, "de") == 0 && (dot = strchr(s, '.')) != NULL)
		*dot = ',';
	return s;
}

static const char *
qp_money(struct qp *q, long long cents)
{
	char	buf[64];

	format_money(buf, sizeof(buf), cents, q->currency, q->lang);
	return arena_strdup(q->a, buf);
}

/* A rate in basis points as people write it: "19", "7,5". */
static const char *
qp_rate(struct qp *q, long long bp)
{
	char	 buf[32], *dot;

	money_text(buf, sizeof(buf), bp, 2, 1);
	if (strcmp(q->lang, "de") == 0 && (dot = strchr(buf, '.')) != NULL)
		*dot = ',';
	return arena_printf(q->a, "%s %%", buf);
}

/* "2026-12-05" as "5 Dec 2026" or "05.12.2026"; other text as it is. */
static const char *
qp_date(struct qp *q, const char *iso)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int	 y, m, d, n;

	if (iso == NULL)
		return "";
	if (sscanf(iso, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    m < 1 || m > 12 || d < 1 || d > 31)
		return iso;
	if (strcmp(q->lang, "de") == 0)
		return arena_printf(q->a, "%02d.%02d.%04d", d, m, y);
	return arena_printf(q->a, "%d %s %04d", d, months[m - 1], y);
}

/* The day of an RFC 3339 time in the business's time zone. */
static const char *
qp_day(struct qp *q, const char *rfc3339)
{
	char	 buf[64], *comma;

	format_datetime(buf, sizeof(buf), rfc3339, q->lang);
	/* format_datetime writes "<day>, <time>"; the day is wanted */
	if ((comma = strrchr(buf, ',')) != NULL)
		*comma = '\0';
	return arena_strdup(q->a, buf);
}

/*
 * Cuts text into lines no wider than w (mm) in a font and size: at
 * spaces, and at every line break the text has.  A word wider than w
 * is a line of its own (pdf_text then shrinks or cuts it).  Returns the
 * number of lines; *out gets them, on the arena.
 */
static size_t
qp_wrap(struct qp *q, const char *text, enum pdf_font f, double size,
    double w, const char ***out)
{
	const char	**lines, *s, *end, *word, *cand, *line;
	size_t		  n, max, wl;

	n = 0;
	max = 8;
	lines = arena_calloc(q->a, max, sizeof(*lines));
	s = text != NULL ? text : "";
	while (*s != '\0') {
		end = s + strcspn(s, "\n");
		line = NULL;
		while (s < end) {
			while (s < end && (*s == ' ' || *s == '\t' ||
			    *s == '\r'))
				s++;
			if (s == end)
				break;
			word = s;
			while (s < end && *s != ' ' && *s != '\t' && *s != '\r')
				s++;
			wl = (size_t)(s - word);
			cand = line == NULL ? arena_strndup(q->a, word, wl) :
			    arena_printf(q->a, "%s %.*s", line, (int)wl, word);
			if (line != NULL &&
			    pdf_text_width(q->p, f, size, cand) > w) {
				if (n == max) {
					max *= 2;
					lines = memcpy(arena_calloc(q->a, max,
					    sizeof(*lines)), lines, n *
					    sizeof(*lines));
				}
				lines[n++] = line;
				cand = arena_strndup(q->a, word, wl);
			}
			line = cand;
		}
		if (n == max) {
			max *= 2;
			lines = memcpy(arena_calloc(q->a, max, sizeof(*lines)),
			    lines, n * sizeof(*lines));
		}
		/* an empty line of the text stays: it parts paragraphs */
		lines[n++] = line != NULL ? line : "";
		s = *end == '\n' ? end + 1 : end;
	}
	*out = lines;
	return n;
}

/* ---- pages ---- */

static int	qp_page(struct qp *, int table);

/* Makes sure h mm fit below the cursor, else starts a page. */
static int
qp_room(struct qp *q, double h, int table)
{
	if (q->y + h <= QP_BOTTOM)
		return 0;
	return qp_page(q, table);
}

static int
qp_table_head(struct qp *q)
{
	const struct qp_words	*t = q->t;
	double			 y = q->y + 4;
	int			 rc;

	pdf_text_colour(q->p, QP_GREY);
	if ((rc = pdf_text(q->p, QP_LEFT, y, 0, PDF_SANS_BOLD, 8, 8, PDF_LEFT,
	    t->part)) != 0 ||
	    (rc = pdf_text(q->p, QP_QTY_X, y, 0, PDF_SANS_BOLD, 8, 8,
	    PDF_RIGHT, t->qty)) != 0 ||
	    (rc = pdf_text(q->p, QP_UNIT_X, y, 0, PDF_SANS_BOLD, 8, 8,
	    PDF_RIGHT, t->unit)) != 0 ||
	    (rc = pdf_text(q->p, QP_RIGHT, y, 0, PDF_SANS_BOLD, 8, 8,
	    PDF_RIGHT, t->amount)) != 0 ||
	    (rc = pdf_line(q->p, QP_LEFT, y + 2, QP_RIGHT, y + 2, QP_RULE,
	    0.6)) != 0)
		return rc;
	pdf_text_colour(q->p, NULL);
	q->y = y + 2;
	return 0;
}

/* A page after the first: who and which quote, then the table's head. */
static int
qp_page(struct qp *q, int table)
{
	int	rc;

	if ((rc = pdf_page(q->p, QP_PAGE_W, QP_PAGE_H)) != 0)
		return rc;
	pdf_text_colour(q->p, QP_GREY);
	if ((rc = pdf_text(q->p, QP_LEFT, 18, 110, PDF_SANS_BOLD, 9, 7,
	    PDF_LEFT, qp_str(q->company, "business_name"))) != 0 ||
	    (rc = pdf_text(q->p, QP_RIGHT, 18, 60, PDF_SANS, 9, 7, PDF_RIGHT,
	    arena_printf(q->a, "%s %s", q->t->title, qp_str(q->quote,
	    "number")))) != 0 ||
	    (rc = pdf_line(q->p, QP_LEFT, 21, QP_RIGHT, 21, QP_RULE,
	    0.4)) != 0)
		return rc;
	pdf_text_colour(q->p, NULL);
	q->y = 26;
	return table ? qp_table_head(q) : 0;
}

/* ---- page one ---- */

static int
qp_header(struct qp *q)
{
	const struct qp_words	*t = q->t;
	const json_t		*c = q->company;
	const char		*addr[4], *city, *k[3], *v[3];
	double			 y;
	size_t			 i, n = 0;
	int			 rc;

	if ((rc = pdf_page(q->p, QP_PAGE_W, QP_PAGE_H)) != 0 ||
	    (rc = pdf_text(q->p, QP_LEFT, 24, 105, PDF_SANS_BOLD, 15, 10,
	    PDF_LEFT, qp_str(c, "business_name"))) != 0)
		return rc;
	if (qp_str(c, "business_street") != NULL)
		addr[n++] = qp_str(c, "business_street");
	city = arena_printf(q->a, "%s %s", qp_str(c, "business_postal_code") !=
	    NULL ? qp_str(c, "business_postal_code") : "",
	    qp_str(c, "business_city") != NULL ? qp_str(c, "business_city") :
	    "");
	if (strcmp(city, " ") != 0)
		addr[n++] = city[0] == ' ' ? city + 1 : city;
	if (qp_str(c, "business_country") != NULL)
		addr[n++] = qp_str(c, "business_country");
	if (qp_str(c, "business_vat_id") != NULL)
		addr[n++] = arena_printf(q->a, "%s %s", t->vat_id, qp_str(c,
		    "business_vat_id"));
	y = 30.5;
	for (i = 0; i < n; i++, y += QP_LINE)
		if ((rc = pdf_text(q->p, QP_LEFT, y, 105, PDF_SANS, 9, 7,
		    PDF_LEFT, addr[i])) != 0)
			return rc;

	if ((rc = pdf_text(q->p, QP_RIGHT, 25, 70, PDF_SANS_BOLD, 22, 14,
	    PDF_RIGHT, t->title)) != 0)
		return rc;
	k[0] = t->number;
	v[0] = qp_str(q->quote, "number");
	k[1] = t->date;
	v[1] = qp_day(q, qp_str(q->quote, "created_at"));
	k[2] = t->valid_until;
	v[2] = qp_date(q, qp_str(q->quote, "valid_until"));
	for (i = 0, y = 33; i < 3; i++, y += QP_LINE) {
		pdf_text_colour(q->p, QP_GREY);
		rc = pdf_text(q->p, 128, y, 30, PDF_SANS, 9, 7, PDF_LEFT, k[i]);
		pdf_text_colour(q->p, NULL);
		if (rc != 0 || (rc = pdf_text(q->p, QP_RIGHT, y, 40,
		    i == 0 ? PDF_SANS_BOLD : PDF_SANS, 9, 7, PDF_RIGHT,
		    v[i])) != 0)
			return rc;
	}
	if ((rc = pdf_line(q->p, QP_LEFT, 51, QP_RIGHT, 51, QP_RULE, 0.6)) !=
	    0)
		return rc;
	q->y = 51;
	return 0;
}

/* What the customer must know before the figures. */
static int
qp_notes(struct qp *q)
{
	const struct qp_words	*t = q->t;
	const char		*status, *notes[4];
	const json_t		*order;
	size_t			 i, n = 0;
	int			 rc;

	status = qp_str(q->quote, "status");
	order = json_object_get(q->quote, "order");
	if (status != NULL && strcmp(status, "expired") == 0)
		notes[n++] = arena_printf(q->a, "%s %s.", t->expired,
		    qp_date(q, qp_str(q->quote, "valid_until")));
	else if (status != NULL && strcmp(status, "rejected") == 0)
		notes[n++] = t->declined;
	else if (status != NULL && (strcmp(status, "accepted") == 0 ||
	    strcmp(status, "converted") == 0))
		notes[n++] = qp_str(order, "number") != NULL ?
		    arena_printf(q->a, "%s %s %s.", t->accepted, t->order,
		    qp_str(order, "number")) : t->accepted;
	if (json_is_true(json_object_get(q->quote, "review_required")))
		notes[n++] = t->review;
	notes[n++] = qp_str(q->quote, "customer_kind") != NULL &&
	    strcmp(qp_str(q->quote, "customer_kind"), "business") == 0 ?
	    t->business : t->consumer;
	q->y += 2;
	for (i = 0; i < n; i++) {
		q->y += QP_LINE;
		if ((rc = pdf_text(q->p, QP_LEFT, q->y, QP_RIGHT - QP_LEFT,
		    i + 1 < n ? PDF_SANS_BOLD : PDF_SANS, 9, 7, PDF_LEFT,
		    notes[i])) != 0)
			return rc;
	}
	q->y += 3;
	return 0;
}

/* ---- parts ---- */

/* The picture of a part in its frame; an unreadable PNG is not fatal. */
static int
qp_picture(struct qp *q, const struct quotepdf_image *img, double y,
    struct err *e)
{
	int	rc;

	if ((rc = pdf_rect(q->p, QP_LEFT, y, QP_PIC, QP_PIC, img == NULL ||
	    (img->png == NULL && img->rgb == NULL) ? QP_NO_PICTURE : NULL,
	    QP_FRAME, 0.4)) != 0 || img == NULL)
		return rc;
	if (img->png != NULL) {
		rc = pdf_image_png(q->p, QP_LEFT + 0.5, y + 0.5, QP_PIC - 1,
		    QP_PIC - 1, img->png, img->png_len);
		if (rc != ERR_INVALID)
			return rc;
		/* a broken thumbnail: the pixels, else the frame */
		err_clear(e);
	}
	if (img->rgb != NULL)
		return pdf_image_rgb(q->p, QP_LEFT + 0.5, y + 0.5, QP_PIC - 1,
		    QP_PIC - 1, img->rgb, img->w, img->h);
	return 0;
}

/* The lines that describe a part (at most what fits a page's height). */
#define QP_DESC_MAX	40

struct qp_desc {
	const char	*text[QP_DESC_MAX];
	enum pdf_font	 font[QP_DESC_MAX];
	double		 size[QP_DESC_MAX];
	size_t		 n;
};

static void
qp_desc_add(struct qp_desc *d, const char *text, enum pdf_font f,
    double size)
{
	if (d->n < QP_DESC_MAX && text != NULL &&
	    text[0] != '\0') {
		d->text[d->n] = text;
		d->font[d->n] = f;
		d->size[d->n++] = size;
	}
}

static void
qp_describe(struct qp *q, const json_t *part, struct qp_desc *d)
{
	const struct qp_words	*t = q->t;
	const json_t		*mesh, *price, *w, *lo, *hi;
	const char		*s, *colour, **lines;
	size_t			 i, k, n;
	int			 axis;

	memset(d, 0, sizeof(*d));
	qp_desc_add(d, qp_str(part, "name"), PDF_SANS_BOLD, 9);
	colour = qp_str(part, "color_name");
	s = qp_str(part, "material");
	qp_desc_add(d, colour != NULL && s != NULL ? arena_printf(q->a,
	    "%s \xc2\xb7 %s", s, colour) : s, PDF_SANS, 8.5);
	s = arena_printf(q->a, "%s: %s \xc2\xb7 %s %s mm \xc2\xb7 %s %lld %%",
	    t->quality, qp_str(part, "quality") != NULL ? qp_str(part,
	    "quality") : "", t->layers, qp_num(q, json_number_value(
	    json_object_get(part, "layer_mm")), 2), t->infill, qp_int(part,
	    "infill_pct"));
	qp_desc_add(d, s, PDF_SANS, 8);
	mesh = json_object_get(part, "mesh");
	lo = json_object_get(mesh, "min");
	hi = json_object_get(mesh, "max");
	if (json_array_size(lo) == 3 && json_array_size(hi) == 3) {
		s = t->size;
		for (axis = 0; axis < 3; axis++)
			s = arena_printf(q->a, "%s%s%s", s, axis == 0 ? ": " :
			    " \xc3\x97 ", qp_num(q, json_number_value(
			    json_array_get(hi, (size_t)axis)) -
			    json_number_value(json_array_get(lo,
			    (size_t)axis)), 1));
		qp_desc_add(d, arena_printf(q->a, "%s mm", s), PDF_SANS, 8);
	}
	price = json_object_get(part, "price");
	if (qp_str(q->quote, "customer_kind") == NULL ||
	    strcmp(qp_str(q->quote, "customer_kind"), "business") != 0)
		qp_desc_add(d, arena_printf(q->a, "%s %s", qp_money(q,
		    qp_int(price, "unit_gross_cents")), t->each_gross),
		    PDF_SANS, 8);
	if (qp_int(price, "discount_bp") > 0)
		qp_desc_add(d, arena_printf(q->a, "%s %s: \xe2\x80\x93%s",
		    t->tier, qp_rate(q, qp_int(price, "discount_bp")),
		    qp_money(q, qp_int(price, "discount_cents"))), PDF_SANS, 8);
	json_array_foreach(json_object_get(part, "warnings"), i, w) {
		n = qp_wrap(q, qp_str(w, "text") != NULL ? qp_str(w, "text") :
		    qp_str(w, "code"), PDF_SANS_OBLIQUE, 7.5, QP_DESC_W,
		    &lines);
		for (k = 0; k < n; k++)
			qp_desc_add(d, lines[k], PDF_SANS_OBLIQUE, 7.5);
	}
}

static int
qp_part(struct qp *q, const json_t *part, const struct quotepdf_image *img,
    struct err *e)
{
	struct qp_desc	 d;
	const json_t	*price;
	double		 h, y, top;
	size_t		 i;
	int		 rc;

	qp_describe(q, part, &d);
	h = 3;
	for (i = 0; i < d.n; i++)
		h += d.size[i] >= 8.5 ? QP_LINE : QP_SMALL_LINE;
	if (h < QP_ROW_MIN)
		h = QP_ROW_MIN;
	if ((rc = qp_room(q, h + 1, 1)) != 0)
		return rc;
	top = q->y + 2;
	if ((rc = qp_picture(q, img, top, e)) != 0)
		return rc;
	price = json_object_get(part, "price");
	y = top + 3.5;
	if ((rc = pdf_text(q->p, QP_QTY_X, y, 0, PDF_SANS, 9, 9, PDF_RIGHT,
	    arena_printf(q->a, "%lld", qp_int(part, "quantity")))) != 0 ||
	    (rc = pdf_text(q->p, QP_UNIT_X, y, 0, PDF_SANS, 9, 9, PDF_RIGHT,
	    qp_money(q, qp_int(price, "unit_cents")))) != 0 ||
	    (rc = pdf_text(q->p, QP_RIGHT, y, 0, PDF_SANS_BOLD, 9, 9,
	    PDF_RIGHT, qp_money(q, qp_int(price, "amount_cents")))) != 0)
		return rc;
	for (i = 0; i < d.n; i++) {
		if (i > 0)
			y += d.size[i] >= 8.5 ? QP_LINE : QP_SMALL_LINE;
		if (d.font[i] == PDF_SANS_OBLIQUE)
			pdf_text_colour(q->p, "#8A4B00");
		rc = pdf_text(q->p, QP_DESC_X, y, QP_DESC_W, d.font[i],
		    d.size[i], 6, PDF_LEFT, d.text[i]);
		pdf_text_colour(q->p, NULL);
		if (rc != 0)
			return rc;
	}
	q->y = top + h;
	return pdf_line(q->p, QP_LEFT, q->y, QP_RIGHT, q->y, QP_FRAME, 0.4);
}

/* ---- totals and terms ---- */

static int
qp_totals(struct qp *q)
{
	const struct qp_words	*t = q->t;
	const json_t		*b = json_object_get(q->quote, "breakdown");
	const char		*k[10];
	long long		 v[10];
	double			 x = 112;
	size_t			 i, n = 0;
	int			 rc;

	k[n] = t->material;
	v[n++] = qp_int(b, "material_cents");
	k[n] = t->machine;
	v[n++] = qp_int(b, "machine_cents");
	k[n] = t->labour;
	v[n++] = qp_int(b, "labour_cents");
	k[n] = t->setup;
	v[n++] = qp_int(b, "setup_cents");
	/* a customer reads these two as one: what the shop adds */
	k[n] = t->overhead;
	v[n++] = qp_int(b, "overhead_cents") + qp_int(b, "margin_cents");
	if (qp_int(b, "discount_cents") != 0) {
		k[n] = t->discount;
		v[n++] = -qp_int(b, "discount_cents");
	}
	if (qp_int(b, "minimum_cents") != 0) {
		k[n] = t->minimum;
		v[n++] = qp_int(b, "minimum_cents");
	}
	if ((rc = qp_room(q, 10 + (double)n * QP_LINE + 22, 0)) != 0)
		return rc;
	q->y += 8;
	if ((rc = pdf_text(q->p, x, q->y, 0, PDF_SANS_BOLD, 9, 9, PDF_LEFT,
	    t->breakdown)) != 0)
		return rc;
	q->y += 1.5;
	for (i = 0; i < n; i++) {
		q->y += QP_LINE;
		if ((rc = pdf_text(q->p, x, q->y, 50, PDF_SANS, 9, 7, PDF_LEFT,
		    k[i])) != 0 || (rc = pdf_text(q->p, QP_RIGHT, q->y, 0,
		    PDF_SANS, 9, 9, PDF_RIGHT, qp_money(q, v[i]))) != 0)
			return rc;
	}
	q->y += 2;
	if ((rc = pdf_line(q->p, x, q->y, QP_RIGHT, q->y, QP_RULE, 0.4)) != 0)
		return rc;
	q->y += QP_LINE + 0.5;
	if ((rc = pdf_text(q->p, x, q->y, 50, PDF_SANS, 9, 7, PDF_LEFT,
	    t->net)) != 0 || (rc = pdf_text(q->p, QP_RIGHT, q->y, 0, PDF_SANS,
	    9, 9, PDF_RIGHT, qp_money(q, qp_int(b, "net_cents")))) != 0)
		return rc;
	q->y += QP_LINE;
	if ((rc = pdf_text(q->p, x, q->y, 50, PDF_SANS, 9, 7, PDF_LEFT,
	    arena_printf(q->a, "%s %s", t->vat, qp_rate(q, qp_int(b,
	    "vat_bp"))))) != 0 || (rc = pdf_text(q->p, QP_RIGHT, q->y, 0,
	    PDF_SANS, 9, 9, PDF_RIGHT, qp_money(q, qp_int(b,
	    "vat_cents")))) != 0)
		return rc;
	q->y += 2.5;
	if ((rc = pdf_line(q->p, x, q->y, QP_RIGHT, q->y, "#000000", 0.8)) != 0)
		return rc;
	q->y += 6;
	if ((rc = pdf_text(q->p, x, q->y, 50, PDF_SANS_BOLD, 11, 8, PDF_LEFT,
	    t->total)) != 0 || (rc = pdf_text(q->p, QP_RIGHT, q->y, 0,
	    PDF_SANS_BOLD, 11, 11, PDF_RIGHT, qp_money(q, qp_int(b,
	    "gross_cents")))) != 0)
		return rc;
	q->y += 4;
	return 0;
}

static int
qp_terms(struct qp *q)
{
	const json_t	*opts = json_object_get(q->quote, "options");
	const char	**lines;
	size_t		  i, n;
	int		  rc;

	if (qp_str(opts, "terms") == NULL || qp_str(opts, "terms")[0] == '\0')
		return 0;
	n = qp_wrap(q, qp_str(opts, "terms"), PDF_SANS, 8, QP_RIGHT - QP_LEFT,
	    &lines);
	/* the heading never ends a page on its own */
	if ((rc = qp_room(q, 10 + QP_SMALL_LINE * (n < 2 ? (double)n : 2),
	    0)) != 0)
		return rc;
	q->y += 8;
	if ((rc = pdf_text(q->p, QP_LEFT, q->y, 0, PDF_SANS_BOLD, 9, 9,
	    PDF_LEFT, q->t->terms)) != 0)
		return rc;
	q->y += 0.5;
	for (i = 0; i < n; i++) {
		if ((rc = qp_room(q, QP_SMALL_LINE, 0)) != 0)
			return rc;
		q->y += QP_SMALL_LINE;
		if ((rc = pdf_text(q->p, QP_LEFT, q->y, QP_RIGHT - QP_LEFT,
		    PDF_SANS, 8, 6, PDF_LEFT, lines[i])) != 0)
			return rc;
	}
	return 0;
}

/* "Page i of n" on every page, now that n is known. */
static int
qp_footers(struct qp *q)
{
	const char	*who;
	int		 i, n, rc;

	n = pdf_pages(q->p);
	who = qp_str(q->company, "business_name");
	who = arena_printf(q->a, "%s%s%s %s", who != NULL ? who : "",
	    who != NULL ? " \xc2\xb7 " : "", q->t->title,
	    qp_str(q->quote, "number"));
	for (i = 0; i < n; i++) {
		if ((rc = pdf_goto(q->p, i)) != 0)
			return rc;
		pdf_text_colour(q->p, QP_GREY);
		rc = pdf_line(q->p, QP_LEFT, QP_FOOT_Y - 4, QP_RIGHT,
		    QP_FOOT_Y - 4, QP_FRAME, 0.4);
		if (rc == 0)
			rc = pdf_text(q->p, QP_LEFT, QP_FOOT_Y, 120, PDF_SANS,
			    7.5, 6, PDF_LEFT, who);
		if (rc == 0)
			rc = pdf_text(q->p, QP_RIGHT, QP_FOOT_Y, 40, PDF_SANS,
			    7.5, 6, PDF_RIGHT, arena_printf(q->a, "%s %d %s %d",
			    q->t->page, i + 1, q->t->of, n));
		pdf_text_colour(q->p, NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
quotepdf_render(struct arena *a, const json_t *quote, const json_t *company,
    const char *lang, const struct quotepdf_image *images, size_t nimages,
    struct buf *out, struct err *e)
{
	struct qp	 q;
	const json_t	*parts, *part;
	size_t		 i;
	int		 rc;

	parts = json_object_get(quote, "parts");
	if (qp_str(quote, "number") == NULL || json_array_size(parts) == 0)
		return err_set(e, ERR_INVALID, "a quote needs a number and at "
		    "least one part to be printed");
	if (json_array_size(parts) > QUOTEPDF_MAX_PARTS)
		return err_set(e, ERR_TOO_LARGE, "a quote of %zu parts is more "
		    "than the %d one PDF shows", json_array_size(parts),
		    QUOTEPDF_MAX_PARTS);
	memset(&q, 0, sizeof(q));
	q.a = a;
	q.lang = lang != NULL && strcmp(lang, "de") == 0 ? "de" : "en";
	q.t = strcmp(q.lang, "de") == 0 ? &qp_de : &qp_en;
	q.quote = quote;
	q.company = company;
	q.currency = qp_str(quote, "currency") != NULL ?
	    qp_str(quote, "currency") : "EUR";
	if ((rc = pdf_new(a, e, &q.p)) != 0 ||
	    (rc = pdf_info(q.p, arena_printf(a, "%s %s", q.t->title,
	    qp_str(quote, "number")), qp_str(company, "business_name"))) != 0 ||
	    (rc = qp_header(&q)) != 0 || (rc = qp_notes(&q)) != 0 ||
	    (rc = qp_table_head(&q)) != 0)
		return rc;
	json_array_foreach(parts, i, part)
		if ((rc = qp_part(&q, part, images != NULL && i < nimages ?
		    &images[i] : NULL, e)) != 0)
			return rc;
	if ((rc = qp_totals(&q)) != 0 || (rc = qp_terms(&q)) != 0 ||
	    (rc = qp_footers(&q)) != 0)
		return rc;
	return pdf_save(q.p, out);
}

/* "#RRGGBB" into three bytes; 0, or -1 for anything else. */
static int
qp_hex(const char *s, unsigned char rgb[3])
{
	char	part[3];
	int	i;

	if (!pdf_is_hex(s))
		return -1;
	for (i = 0; i < 3; i++) {
		memcpy(part, s + 1 + 2 * i, 2);
		part[2] = '\0';
		rgb[i] = (unsigned char)strtoul(part, NULL, 16);
	}
	return 0;
}

int
quotepdf_part_view(const json_t *quote, size_t i, double min[3],
    double max[3], unsigned char rgb[3])
{
	const json_t	*part, *lo, *hi, *m, *c;
	const char	*mat, *colour;
	size_t		 k, j;
	int		 axis;

	rgb[0] = rgb[1] = rgb[2] = 0x9a;
	part = json_array_get(json_object_get(quote, "parts"), i);
	lo = json_object_get(json_object_get(part, "mesh"), "min");
	hi = json_object_get(json_object_get(part, "mesh"), "max");
	if (json_array_size(lo) != 3 || json_array_size(hi) != 3)
		return -1;
	for (axis = 0; axis < 3; axis++) {
		min[axis] = json_number_value(json_array_get(lo,
		    (size_t)axis));
		max[axis] = json_number_value(json_array_get(hi,
		    (size_t)axis));
	}
	mat = qp_str(part, "material");
	colour = qp_str(part, "color_name");
	if (mat == NULL || colour == NULL)
		return 0;
	json_array_foreach(json_object_get(json_object_get(quote, "options"),
	    "materials"), k, m) {
		if (qp_str(m, "material") == NULL ||
		    strcmp(qp_str(m, "material"), mat) != 0)
			continue;
		json_array_foreach(json_object_get(m, "colors"), j, c)
			if (qp_str(c, "name") != NULL &&
			    strcmp(qp_str(c, "name"), colour) == 0)
				qp_hex(qp_str(c, "hex"), rgb);
	}
	return 0;
}
