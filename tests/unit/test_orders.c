/*
 * test_orders.c -- the pure rules of orders (domain/orders.c): what lines
 * add up to (discounts rounded half away from zero once per line, VAT
 * once per rate, from the gross sum or the net sum), the limits that are
 * refused, and the three status tables.
 *
 * Every expected figure is worked out by hand in the comment next to it.
 */
#include <stddef.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "domain/orders.h"
#include "domain/pricing.h"

static struct orders_totals	t;

static struct orders_line
line(long long qty, long long unit, long long discount_bp, const char *rate,
    long long vat_bp)
{
	struct orders_line	l;

	memset(&l, 0, sizeof(l));
	l.quantity = qty;
	l.unit_price_cents = unit;
	l.discount_bp = discount_bp;
	l.vat_rate = rate;
	l.vat_bp = vat_bp;
	l.amount_cents = -1;
	return l;
}

/* The rate named `name` in t, or NULL. */
static const struct orders_rate *
rate(const char *name, long long bp)
{
	size_t	i;

	for (i = 0; i < t.nrates; i++)
		if (strcmp(t.rates[i].name, name) == 0 && t.rates[i].bp == bp)
			return &t.rates[i];
	return NULL;
}

START_TEST(no_lines_add_up_to_zero)
{
	memset(&t, 0x55, sizeof(t));
	ck_assert_int_eq(orders_totals(NULL, 0, 1, &t), 0);
	ck_assert_int_eq(t.net_cents, 0);
	ck_assert_int_eq(t.vat_cents, 0);
	ck_assert_int_eq(t.gross_cents, 0);
	ck_assert_uint_eq(t.nrates, 0);
}
END_TEST

START_TEST(line_amount_less_rounded_discount)
{
	struct orders_line	l[6];

	/* 3 x 23.80 = 71.40, no discount */
	l[0] = line(3, 2380, 0, "standard", 1900);
	/* 5 x 5.95 = 29.75; 10 % is 2.975 -> 2.98 off -> 26.77 */
	l[1] = line(5, 595, 1000, "standard", 1900);
	/* 1 x 0.05 at 50 %: 2.5 off rounds away from zero to 3 -> 2 */
	l[2] = line(1, 5, 5000, "standard", 1900);
	/* 1 x 0.15 at 10 %: 1.5 off -> 2 -> 13 */
	l[3] = line(1, 15, 1000, "standard", 1900);
	/* 1 x 0.14 at 10 %: 1.4 off -> 1 -> 13 */
	l[4] = line(1, 14, 1000, "standard", 1900);
	/* a full discount leaves nothing */
	l[5] = line(7, 999, 10000, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 6, 1, &t), 0);
	ck_assert_int_eq(l[0].amount_cents, 7140);
	ck_assert_int_eq(l[1].amount_cents, 2677);
	ck_assert_int_eq(l[2].amount_cents, 2);
	ck_assert_int_eq(l[3].amount_cents, 13);
	ck_assert_int_eq(l[4].amount_cents, 13);
	ck_assert_int_eq(l[5].amount_cents, 0);
}
END_TEST

START_TEST(largest_line_with_discount_is_exact)
{
	struct orders_line	l[1];

	/* 100000 x 10^11 = 10^16 less 99.99 % = 10^12 (no overflow) */
	l[0] = line(100000, 100000000000LL, 9999, "standard", 0);
	ck_assert_int_eq(orders_totals(l, 1, 0, &t), 0);
	ck_assert_int_eq(l[0].amount_cents, 1000000000000LL);
	ck_assert_int_eq(t.gross_cents, 1000000000000LL);
}
END_TEST

START_TEST(vat_from_gross_when_prices_include_it)
{
	struct orders_line	l[2];

	/* 71.40 at 19 %: net 71.40 / 1.19 = 60.00, VAT 11.40 */
	l[0] = line(3, 2380, 0, "standard", 1900);
	/* 26.77 at 7 %: net 25.0187 -> 25.02, VAT 1.75 */
	l[1] = line(5, 595, 1000, "reduced", 700);
	ck_assert_int_eq(orders_totals(l, 2, 1, &t), 0);
	ck_assert_uint_eq(t.nrates, 2);
	ck_assert_ptr_nonnull(rate("standard", 1900));
	ck_assert_int_eq(rate("standard", 1900)->gross_cents, 7140);
	ck_assert_int_eq(rate("standard", 1900)->net_cents, 6000);
	ck_assert_int_eq(rate("standard", 1900)->vat_cents, 1140);
	ck_assert_ptr_nonnull(rate("reduced", 700));
	ck_assert_int_eq(rate("reduced", 700)->gross_cents, 2677);
	ck_assert_int_eq(rate("reduced", 700)->net_cents, 2502);
	ck_assert_int_eq(rate("reduced", 700)->vat_cents, 175);
	ck_assert_int_eq(t.gross_cents, 9817);
	ck_assert_int_eq(t.net_cents, 8502);
	ck_assert_int_eq(t.vat_cents, 1315);
	ck_assert_int_eq(t.net_cents + t.vat_cents, t.gross_cents);
}
END_TEST

START_TEST(vat_from_net_when_prices_exclude_it)
{
	struct orders_line	l[2];

	/* 10.00 net at 19 %: VAT 1.90, gross 11.90 */
	l[0] = line(1, 1000, 0, "standard", 1900);
	/* 0.05 net at 10 %: VAT 0.5 cents rounds up to 1 */
	l[1] = line(1, 5, 0, "ten", 1000);
	ck_assert_int_eq(orders_totals(l, 2, 0, &t), 0);
	ck_assert_int_eq(rate("standard", 1900)->net_cents, 1000);
	ck_assert_int_eq(rate("standard", 1900)->vat_cents, 190);
	ck_assert_int_eq(rate("standard", 1900)->gross_cents, 1190);
	ck_assert_int_eq(rate("ten", 1000)->net_cents, 5);
	ck_assert_int_eq(rate("ten", 1000)->vat_cents, 1);
	ck_assert_int_eq(rate("ten", 1000)->gross_cents, 6);
	ck_assert_int_eq(t.net_cents, 1005);
	ck_assert_int_eq(t.vat_cents, 191);
	ck_assert_int_eq(t.gross_cents, 1196);
}
END_TEST

START_TEST(vat_is_rounded_once_per_rate_not_per_line)
{
	struct orders_line	l[3];
	int			i;

	/*
	 * Three lines of 0.03 net at 19 %: per line 0.57 cents would round
	 * to 1 each (3); once on the sum, 0.09 x 19 % = 1.71 -> 2.
	 */
	for (i = 0; i < 3; i++)
		l[i] = line(1, 3, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 3, 0, &t), 0);
	ck_assert_uint_eq(t.nrates, 1);
	ck_assert_int_eq(t.net_cents, 9);
	ck_assert_int_eq(t.vat_cents, 2);
	ck_assert_int_eq(t.gross_cents, 11);

	/*
	 * From gross: three lines of 0.10 at 19 %; the net of one would be
	 * 8.40 -> 8 (VAT 2 each, 6); of the sum 30 / 1.19 = 25.21 -> 25,
	 * VAT 5.
	 */
	for (i = 0; i < 3; i++)
		l[i] = line(1, 10, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 3, 1, &t), 0);
	ck_assert_int_eq(t.net_cents, 25);
	ck_assert_int_eq(t.vat_cents, 5);
	ck_assert_int_eq(t.gross_cents, 30);
}
END_TEST

START_TEST(net_of_gross_rounds_half_away_from_zero)
{
	struct orders_line	l[1];

	/* 0.03 gross at 20 %: net 2.5 -> 3, VAT 0 */
	l[0] = line(1, 3, 0, "twenty", 2000);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), 0);
	ck_assert_int_eq(t.net_cents, 3);
	ck_assert_int_eq(t.vat_cents, 0);
	ck_assert_int_eq(t.gross_cents, 3);
}
END_TEST

START_TEST(rates_are_told_apart_by_name_and_basis_points)
{
	struct orders_line	l[4];

	l[0] = line(1, 100, 0, "standard", 1900);
	l[1] = line(2, 100, 0, "standard", 1900);
	/* the same name at another rate (a rate changed) is its own sum */
	l[2] = line(1, 100, 0, "standard", 1600);
	/* a zero rate is a rate */
	l[3] = line(1, 100, 0, "zero", 0);
	ck_assert_int_eq(orders_totals(l, 4, 0, &t), 0);
	ck_assert_uint_eq(t.nrates, 3);
	ck_assert_int_eq(rate("standard", 1900)->net_cents, 300);
	ck_assert_int_eq(rate("standard", 1900)->vat_cents, 57);
	ck_assert_int_eq(rate("standard", 1600)->net_cents, 100);
	ck_assert_int_eq(rate("standard", 1600)->vat_cents, 16);
	ck_assert_int_eq(rate("zero", 0)->vat_cents, 0);
	ck_assert_int_eq(rate("zero", 0)->gross_cents, 100);
	ck_assert_int_eq(t.vat_cents, 73);
	ck_assert_int_eq(t.gross_cents, 573);
}
END_TEST

START_TEST(at_most_max_rates)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f",
	    "g", "h", "i" };
	struct orders_line	l[ORDERS_MAX_RATES + 1];
	int			i;

	for (i = 0; i <= ORDERS_MAX_RATES; i++)
		l[i] = line(1, 100, 0, names[i], 100 * i);
	ck_assert_int_eq(orders_totals(l, ORDERS_MAX_RATES, 0, &t), 0);
	ck_assert_uint_eq(t.nrates, ORDERS_MAX_RATES);
	ck_assert_int_eq(orders_totals(l, ORDERS_MAX_RATES + 1, 0, &t), -1);
	/* a further line of a rate already there is fine */
	l[ORDERS_MAX_RATES] = line(1, 100, 0, names[0], 0);
	ck_assert_int_eq(orders_totals(l, ORDERS_MAX_RATES + 1, 0, &t), 0);
	ck_assert_uint_eq(t.nrates, ORDERS_MAX_RATES);
	ck_assert_int_eq(rate("a", 0)->net_cents, 200);
}
END_TEST

START_TEST(out_of_range_values_are_refused)
{
	struct orders_line	l[1];

	l[0] = line(1, 100, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), 0);
	l[0] = line(0, 100, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	l[0] = line(-1, 100, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	l[0] = line(100000, 1, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), 0);
	l[0] = line(100001, 1, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	l[0] = line(1, -1, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	l[0] = line(1, 100000000000LL, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), 0);
	l[0] = line(1, 100000000001LL, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	l[0] = line(1, 100, -1, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	l[0] = line(1, 100, 10001, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	l[0] = line(1, 100, 0, "standard", -1);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	l[0] = line(1, 100, 0, "standard", 10001);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	l[0] = line(1, 100, 0, NULL, 1900);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
}
END_TEST

START_TEST(totals_above_the_maximum_are_refused)
{
	struct orders_line	l[2];

	/* 100 x 10^11 = 10^13 = ORDERS_MAX_CENTS exactly, VAT 0 */
	l[0] = line(100, 100000000000LL, 0, "zero", 0);
	ck_assert_int_eq(orders_totals(l, 1, 0, &t), 0);
	ck_assert_int_eq(t.gross_cents, ORDERS_MAX_CENTS);
	/* one cent more in the same rate */
	l[1] = line(1, 1, 0, "zero", 0);
	ck_assert_int_eq(orders_totals(l, 2, 0, &t), -1);
	/* one cent more in another rate: the order's sum is too large */
	l[1] = line(1, 1, 0, "other", 0);
	ck_assert_int_eq(orders_totals(l, 2, 0, &t), -1);
	/* the largest single line (10^16) alone */
	l[0] = line(100000, 100000000000LL, 0, "zero", 0);
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), -1);
	/* a net sum within bounds whose VAT takes the gross above them */
	l[0] = line(90, 100000000000LL, 0, "standard", 1900);
	ck_assert_int_eq(orders_totals(l, 1, 0, &t), -1);
	/* the same as gross is fine: the VAT is inside it */
	ck_assert_int_eq(orders_totals(l, 1, 1, &t), 0);
	ck_assert_int_eq(t.gross_cents, 9000000000000LL);
	ck_assert_int_eq(t.net_cents + t.vat_cents, t.gross_cents);
	/* two rates of 6 x 10^12 each: each fine, together too much */
	l[0] = line(60, 100000000000LL, 0, "a", 0);
	l[1] = line(60, 100000000000LL, 0, "b", 0);
	ck_assert_int_eq(orders_totals(l, 1, 0, &t), 0);
	ck_assert_int_eq(orders_totals(l, 2, 0, &t), -1);
}
END_TEST

/* Every state of a machine and the exact list allowed after it. */
struct edge {
	const char	*from;
	const char	*next;
};

static const struct edge sales[] = {
	{ "draft", "confirmed|cancelled" },
	{ "confirmed", "in_production|ready|cancelled" },
	{ "in_production", "ready|cancelled" },
	{ "ready", "shipped|cancelled" },
	{ "shipped", "completed" },
	{ "completed", "" },
	{ "cancelled", "" },
};
static const struct edge production[] = {
	{ "planned", "in_progress|done|cancelled" },
	{ "in_progress", "done|cancelled" },
	{ "done", "" },
	{ "cancelled", "" },
};
static const struct edge job[] = {
	{ "queued", "started|cancelled" },
	{ "started", "completed|failed|cancelled" },
	{ "completed", "" },
	{ "failed", "" },
	{ "cancelled", "" },
};

/* 1 when word is one of the '|'-separated words of list. */
static int
listed(const char *list, const char *word)
{
	size_t		 n;
	const char	*p, *bar;

	n = strlen(word);
	for (p = list; *p != '\0'; p = *bar != '\0' ? bar + 1 : bar) {
		bar = strchr(p, '|');
		if (bar == NULL)
			bar = p + strlen(p);
		if ((size_t)(bar - p) == n && strncmp(p, word, n) == 0)
			return 1;
	}
	return 0;
}

/* Checks orders_next/orders_can/orders_known against the whole table. */
static void
check_machine(enum orders_machine m, const struct edge *e, size_t n)
{
	size_t	i, k;

	for (i = 0; i < n; i++) {
		ck_assert_msg(orders_known(m, e[i].from), "%s known",
		    e[i].from);
		ck_assert_ptr_nonnull(orders_next(m, e[i].from));
		ck_assert_str_eq(orders_next(m, e[i].from), e[i].next);
		for (k = 0; k < n; k++)
			ck_assert_msg(orders_can(m, e[i].from, e[k].from) ==
			    listed(e[i].next, e[k].from), "%s -> %s",
			    e[i].from, e[k].from);
		/* never to itself, never to nothing */
		ck_assert_int_eq(orders_can(m, e[i].from, e[i].from), 0);
		ck_assert_int_eq(orders_can(m, e[i].from, ""), 0);
		ck_assert_int_eq(orders_can(m, e[i].from, NULL), 0);
	}
}

START_TEST(sales_order_table)
{
	check_machine(ORDERS_SALES, sales, sizeof(sales) / sizeof(sales[0]));
	/* the states of another machine are not sales order states */
	ck_assert_int_eq(orders_known(ORDERS_SALES, "planned"), 0);
	ck_assert_int_eq(orders_can(ORDERS_SALES, "draft", "started"), 0);
}
END_TEST

START_TEST(production_order_table)
{
	check_machine(ORDERS_PRODUCTION, production,
	    sizeof(production) / sizeof(production[0]));
	ck_assert_int_eq(orders_known(ORDERS_PRODUCTION, "draft"), 0);
	ck_assert_int_eq(orders_can(ORDERS_PRODUCTION, "planned",
	    "confirmed"), 0);
}
END_TEST

START_TEST(print_job_table)
{
	check_machine(ORDERS_JOB, job, sizeof(job) / sizeof(job[0]));
	ck_assert_int_eq(orders_known(ORDERS_JOB, "done"), 0);
	/* a queued job cannot fail or complete without starting */
	ck_assert_int_eq(orders_can(ORDERS_JOB, "queued", "failed"), 0);
	ck_assert_int_eq(orders_can(ORDERS_JOB, "queued", "completed"), 0);
}
END_TEST

START_TEST(unknown_states_have_no_next)
{
	ck_assert_ptr_null(orders_next(ORDERS_SALES, "nonsense"));
	ck_assert_ptr_null(orders_next(ORDERS_SALES, ""));
	ck_assert_ptr_null(orders_next(ORDERS_SALES, NULL));
	ck_assert_ptr_null(orders_next(ORDERS_JOB, "Queued"));
	ck_assert_ptr_null(orders_next(ORDERS_PRODUCTION, "planned "));
	ck_assert_int_eq(orders_known(ORDERS_JOB, NULL), 0);
	ck_assert_int_eq(orders_can(ORDERS_SALES, "nonsense", "confirmed"),
	    0);
	ck_assert_int_eq(orders_can(ORDERS_SALES, NULL, "confirmed"), 0);
	/* parts and runs of the allowed words are not words */
	ck_assert_int_eq(orders_can(ORDERS_SALES, "draft", "confirm"), 0);
	ck_assert_int_eq(orders_can(ORDERS_SALES, "draft",
	    "confirmed|cancelled"), 0);
	ck_assert_int_eq(orders_can(ORDERS_SALES, "draft", "confirmed|"), 0);
	/* a machine that does not exist knows nothing */
	ck_assert_ptr_null(orders_next((enum orders_machine)42, "draft"));
	ck_assert_int_eq(orders_can((enum orders_machine)42, "draft",
	    "confirmed"), 0);
}
END_TEST

/* ---- quote pricing ---- */

static void
shop(struct pricing_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->machine_rate_cents = 250;	/* 2.50 an hour */
	s->labour_rate_cents = 3000;
	s->setup_fee_cents = 300;
	s->handling_minutes = 3;
	s->overhead_bp = 1000;
	s->margin_bp = 3000;
	s->minimum_cents = 1500;
	s->rounding_cents = 10;
	s->tier_qty[0] = 10;
	s->tier_bp[0] = 500;
	s->tier_qty[1] = 50;
	s->tier_bp[1] = 1000;
	s->ntiers = 2;
	s->vat_rate = "standard";
	s->vat_bp = 1900;
}

static void
piece(struct pricing_part *p, double grams, double minutes, long long qty)
{
	memset(p, 0, sizeof(*p));
	p->grams = grams;
	p->minutes = minutes;
	p->quantity = qty;
	p->cost_per_kg_cents = 2200;
	p->markup_bp = 5000;
	p->override_unit_cents = -1;
}

/* The lines of a price, summed. */
static long long
lines_sum(const struct pricing_lines *l)
{
	return l->material_cents + l->machine_cents + l->labour_cents +
	    l->setup_cents + l->overhead_cents + l->margin_cents -
	    l->discount_cents;
}

/* Every line of the breakdown adds up to the totals, to the cent. */
static void
adds_up(const struct pricing_part *p, size_t n,
    const struct pricing_total *tot)
{
	long long	sum = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(lines_sum(&p[i].lines), p[i].amount_cents);
		sum += p[i].amount_cents;
	}
	ck_assert_int_eq(lines_sum(&tot->lines) + tot->minimum_cents,
	    tot->net_cents);
	ck_assert_int_eq(sum + tot->minimum_cents, tot->net_cents);
	ck_assert_int_eq(tot->net_cents + tot->vat_cents, tot->gross_cents);
}

START_TEST(quote_lines_add_up_and_follow_the_settings)
{
	struct pricing_settings	s;
	struct pricing_part	p[2];
	struct pricing_total	tot;

	shop(&s);
	piece(&p[0], 40.0, 120.0, 3);
	piece(&p[1], 7.5, 33.0, 12);
	ck_assert_int_eq(pricing_quote(&s, p, 2, &tot), 0);
	/* 40 g x 3 at 22.00/kg + 50 % = 3.96; 2 h x 3 x 2.50 = 15.00 */
	ck_assert_int_eq(p[0].lines.material_cents, 396);
	ck_assert_int_eq(p[0].lines.machine_cents, 1500);
	ck_assert_int_eq(p[0].lines.labour_cents, 450);
	ck_assert_int_eq(p[0].lines.setup_cents, 300);
	ck_assert_int_eq(p[0].lines.overhead_cents, 265);
	/* (2646 + 265) / 0.7 / 3 = 1386.19 -> 13.90 */
	ck_assert_int_eq(p[0].unit_cents, 1390);
	ck_assert_int_eq(p[0].discount_bp, 0);
	ck_assert_int_eq(p[0].unit_gross_cents, 1654);
	/* twelve pieces reach the 10-piece tier */
	ck_assert_int_eq(p[1].discount_bp, 500);
	ck_assert_int_gt(p[1].lines.discount_cents, 0);
	ck_assert_int_eq(p[1].unit_cents % 10, 0);
	ck_assert_int_eq(tot.minimum_cents, 0);
	adds_up(p, 2, &tot);
	ck_assert_int_eq(tot.vat_cents, (tot.net_cents * 1900 + 5000) / 10000);
}
END_TEST

START_TEST(small_quotes_reach_the_minimum_and_overrides_win)
{
	struct pricing_settings	s;
	struct pricing_part	p[1];
	struct pricing_total	tot;

	shop(&s);
	piece(&p[0], 2.0, 10.0, 1);
	ck_assert_int_eq(pricing_quote(&s, p, 1, &tot), 0);
	ck_assert_int_lt(p[0].amount_cents, 1500);
	ck_assert_int_eq(tot.net_cents, 1500);
	ck_assert_int_eq(tot.minimum_cents, 1500 - p[0].amount_cents);
	adds_up(p, 1, &tot);
	/* a price below cost shows as a negative margin, still exact */
	piece(&p[0], 200.0, 600.0, 2);
	p[0].override_unit_cents = 100;
	ck_assert_int_eq(pricing_quote(&s, p, 1, &tot), 0);
	ck_assert_int_eq(p[0].unit_cents, 100);
	ck_assert_int_lt(p[0].lines.margin_cents, 0);
	adds_up(p, 1, &tot);
	/* out of range */
	piece(&p[0], -1.0, 10.0, 1);
	ck_assert_int_eq(pricing_quote(&s, p, 1, &tot), -1);
	piece(&p[0], 1.0, 10.0, 0);
	ck_assert_int_eq(pricing_quote(&s, p, 1, &tot), -1);
	piece(&p[0], 1e30, 10.0, 1);
	ck_assert_int_eq(pricing_quote(&s, p, 1, &tot), -1);
	s.margin_bp = 10000;
	piece(&p[0], 1.0, 10.0, 1);
	ck_assert_int_eq(pricing_quote(&s, p, 1, &tot), -1);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("orders");
	tc = tcase_create("totals");
	tcase_add_test(tc, no_lines_add_up_to_zero);
	tcase_add_test(tc, line_amount_less_rounded_discount);
	tcase_add_test(tc, largest_line_with_discount_is_exact);
	tcase_add_test(tc, vat_from_gross_when_prices_include_it);
	tcase_add_test(tc, vat_from_net_when_prices_exclude_it);
	tcase_add_test(tc, vat_is_rounded_once_per_rate_not_per_line);
	tcase_add_test(tc, net_of_gross_rounds_half_away_from_zero);
	tcase_add_test(tc, rates_are_told_apart_by_name_and_basis_points);
	tcase_add_test(tc, at_most_max_rates);
	tcase_add_test(tc, out_of_range_values_are_refused);
	tcase_add_test(tc, totals_above_the_maximum_are_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("states");
	tcase_add_test(tc, sales_order_table);
	tcase_add_test(tc, production_order_table);
	tcase_add_test(tc, print_job_table);
	tcase_add_test(tc, unknown_states_have_no_next);
	suite_add_tcase(s, tc);
	tc = tcase_create("pricing");
	tcase_add_test(tc, quote_lines_add_up_and_follow_the_settings);
	tcase_add_test(tc, small_quotes_reach_the_minimum_and_overrides_win);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
