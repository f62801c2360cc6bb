/*
 * test_etsy.c -- Etsy answers to structs (parse/etsy.c) and the PKCE
 * helpers (core/crypto.c).  Receipts are built here with small builder
 * functions shaped like the ShopReceipt of the Etsy OpenAPI document;
 * the other answers are written inline.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "unit.h"
#include "core/arena.h"
#include "core/crypto.h"
#include "core/err.h"
#include "parse/etsy.h"

static struct arena	*a;
static struct err	 e;
static struct etsy_page	 page;

static void
setup(void)
{
	a = arena_new(64 * 1024);
	memset(&e, 0, sizeof(e));
	memset(&page, 0, sizeof(page));
}

static void
teardown(void)
{
	err_clear(&e);
	arena_free(a);
}

/* ---- builders: each returns a new reference ---- */

static json_t *
money(long long amount, int divisor, const char *currency)
{
	return json_pack("{sI sI ss}", "amount", (json_int_t)amount,
	    "divisor", (json_int_t)divisor, "currency_code", currency);
}

static json_t *
variation(long long property, long long value, const char *name,
    const char *text)
{
	return json_pack("{sI sI ss ss}", "property_id", (json_int_t)property,
	    "value_id", (json_int_t)value, "formatted_name", name,
	    "formatted_value", text);
}

/* A transaction; variations is stolen (NULL: none). */
static json_t *
transaction(long long id, const char *sku, int quantity, long long price,
    json_t *variations)
{
	return json_pack("{sI sI sI ss ss si so so so sb sI}",
	    "transaction_id", (json_int_t)id, "listing_id", (json_int_t)(id +
	    1000), "product_id", (json_int_t)(id + 2000), "sku", sku,
	    "title", "Gear box", "quantity", quantity, "price",
	    money(price, 100, "EUR"), "shipping_cost", money(0, 100, "EUR"),
	    "variations", variations != NULL ? variations : json_array(),
	    "is_digital", 0, "expected_ship_date", (json_int_t)1767225600);
}

/* A receipt; transactions is stolen (NULL: one plain transaction). */
static json_t *
receipt(long long id, const char *status, json_t *transactions)
{
	if (transactions == NULL)
		transactions = json_pack("[o]", transaction(id * 10, "GB-1",
		    1, 1999, NULL));
	return json_pack("{sI si sI sI ss ss ss sn ss sn ss ss ss ss sb sb "
	    "sI sI sI sI sb ss so so so so so so so so so so so}",
	    "receipt_id", (json_int_t)id, "receipt_type", 0,
	    "seller_user_id", (json_int_t)11, "buyer_user_id", (json_int_t)22,
	    "buyer_email", "anna@example.com", "name", "Anna Muster",
	    "first_line", "Hauptstr. 1", "second_line", "city", "Berlin",
	    "state", "zip", "10115", "country_iso", "DE",
	    "formatted_address", "Anna Muster\nHauptstr. 1\n10115 Berlin",
	    "status", status, "is_paid", 1, "is_shipped", 0,
	    "create_timestamp", (json_int_t)1767000000,
	    "created_timestamp", (json_int_t)1767000000,
	    "update_timestamp", (json_int_t)1767003600,
	    "updated_timestamp", (json_int_t)1767003600,
	    "is_gift", 0, "gift_message", "",
	    "grandtotal", money(2498, 100, "EUR"),
	    "subtotal", money(1999, 100, "EUR"),
	    "total_price", money(1999, 100, "EUR"),
	    "total_shipping_cost", money(499, 100, "EUR"),
	    "total_tax_cost", money(0, 100, "EUR"),
	    "total_vat_cost", money(399, 100, "EUR"),
	    "discount_amt", money(0, 100, "EUR"),
	    "gift_wrap_price", money(0, 100, "EUR"),
	    "shipments", json_array(), "refunds", json_array(),
	    "transactions", transactions);
}

/* Parses {"count": n, "results": results} (stolen) into page. */
static int
page_of(json_t *results)
{
	json_t	*j;
	char	*s;
	int	 rc;

	j = json_pack("{sI so}", "count", (json_int_t)json_array_size(results),
	    "results", results);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	err_clear(&e);
	rc = etsy_receipts_page(s, strlen(s), a, &page, &e);
	free(s);
	return rc;
}

/* A page of the one receipt r (stolen); 0 when it was read. */
static int
one(json_t *r)
{
	ck_assert_int_eq(page_of(json_pack("[o]", r)), 0);
	return page.nreceipts == 1 ? 0 : -1;
}

static int
page_text(const char *s)
{
	err_clear(&e);
	return etsy_receipts_page(s, strlen(s), a, &page, &e);
}

/* ---- receipts ---- */

START_TEST(a_page_of_three_receipts_keeps_personalisation_apart)
{
	struct etsy_receipt	*r;
	struct etsy_transaction	*t;
	json_t			*shipments, *refunds, *r1, *r2, *r3;

	r3 = receipt(303, "completed", json_pack("[ooo]",
	    transaction(31, "A", 1, 100, NULL),
	    transaction(32, "B", 2, 200, NULL),
	    transaction(33, "C", 3, 300, NULL)));
	shipments = json_pack("[{sI sI ss ss}]", "receipt_shipping_id",
	    (json_int_t)9001, "shipment_notification_timestamp",
	    (json_int_t)1767100000, "carrier_name", "dhl", "tracking_code",
	    "00340434161094042557");
	json_object_set_new(r3, "shipments", shipments);
	json_object_set_new(r3, "is_shipped", json_true());
	refunds = json_pack("[{so si} {so si}]",
	    "amount", money(150, 100, "EUR"), "created_timestamp", 1767200000,
	    "amount", money(1250, 1000, "EUR"), "created_timestamp",
	    1767300000);
	json_object_set_new(r3, "refunds", refunds);
	json_object_set_new(r3, "status", json_string("partially refunded"));

	r1 = receipt(101, "paid", json_pack("[oo]",
	    transaction(11, "GB-RED-L", 2, 1999, json_pack("[ooo]",
	    variation(200, 1, "Colour", "Red"),
	    variation(513, 0, "Personalization (optional)",
	    "For Anna\nwith love"),
	    variation(62809790395, 2, "Size", "Large"))),
	    transaction(12, "GB-BLUE-S", 1, 1499, NULL)));
	r2 = receipt(202, "open", json_pack("[o]", transaction(21, "NAME-TAG",
	    1, 899, json_pack("[o]", variation(513, 0, "  personalisation",
	    "Jonas")))));
	ck_assert_int_eq(page_of(json_pack("[ooo]", r1, r2, r3)), 0);

	ck_assert_int_eq(page.count, 3);
	ck_assert_uint_eq(page.nreceipts, 3);
	ck_assert_uint_eq(page.nbad, 0);

	r = &page.receipts[0];
	ck_assert_int_eq(r->receipt_id, 101);
	ck_assert_int_eq(r->status, ETSY_PAID);
	ck_assert_str_eq(etsy_status_name(r->status), "paid");
	ck_assert_str_eq(r->name, "Anna Muster");
	ck_assert_str_eq(r->city, "Berlin");
	ck_assert_str_eq(r->second_line, "");
	ck_assert_str_eq(r->state, "");
	ck_assert_str_eq(r->country_iso, "DE");
	ck_assert_str_eq(r->formatted_address,
	    "Anna Muster\nHauptstr. 1\n10115 Berlin");
	ck_assert_str_eq(r->buyer_email, "anna@example.com");
	ck_assert_int_eq(r->seller_user_id, 11);
	ck_assert_int_eq(r->buyer_user_id, 22);
	ck_assert_int_eq(r->is_paid, 1);
	ck_assert_int_eq(r->is_shipped, 0);
	ck_assert_int_eq(r->created, 1767000000);
	ck_assert_int_eq(r->updated, 1767003600);
	ck_assert_int_eq(r->grandtotal.amount, 2498);
	ck_assert_int_eq(r->grandtotal.divisor, 100);
	ck_assert_str_eq(r->grandtotal.currency, "EUR");
	ck_assert_int_eq(r->total_vat_cost.amount, 399);
	ck_assert_int_eq(r->refunds.amount, 0);
	ck_assert_int_eq(r->truncated, 0);
	ck_assert_uint_eq(r->ntransactions, 2);

	t = &r->transactions[0];
	ck_assert_int_eq(t->transaction_id, 11);
	ck_assert_int_eq(t->listing_id, 1011);
	ck_assert_int_eq(t->product_id, 2011);
	ck_assert_str_eq(t->sku, "GB-RED-L");
	ck_assert_str_eq(t->title, "Gear box");
	ck_assert_int_eq(t->quantity, 2);
	ck_assert_int_eq(t->price.amount, 1999);
	ck_assert_int_eq(t->expected_ship_date, 1767225600);
	ck_assert_uint_eq(t->nvariations, 2);
	ck_assert_str_eq(t->variations[0].name, "Colour");
	ck_assert_str_eq(t->variations[0].value, "Red");
	ck_assert_int_eq(t->variations[0].property_id, 200);
	ck_assert_str_eq(t->variations[1].name, "Size");
	ck_assert_int_eq(t->variations[1].property_id, 62809790395);
	ck_assert_str_eq(t->personalisation, "For Anna\nwith love");
	ck_assert_uint_eq(r->transactions[1].nvariations, 0);
	ck_assert_str_eq(r->transactions[1].personalisation, "");

	r = &page.receipts[1];
	ck_assert_int_eq(r->status, ETSY_OPEN);
	ck_assert_uint_eq(r->transactions[0].nvariations, 0);
	ck_assert_str_eq(r->transactions[0].personalisation, "Jonas");

	r = &page.receipts[2];
	ck_assert_int_eq(r->status, ETSY_PARTIALLY_REFUNDED);
	ck_assert_int_eq(r->is_shipped, 1);
	ck_assert_uint_eq(r->ntransactions, 3);
	ck_assert_int_eq(r->transactions[2].quantity, 3);
	ck_assert_uint_eq(r->nshipments, 1);
	ck_assert_int_eq(r->shipments[0].receipt_shipping_id, 9001);
	ck_assert_int_eq(r->shipments[0].notified, 1767100000);
	ck_assert_str_eq(r->shipments[0].carrier_name, "dhl");
	ck_assert_str_eq(r->shipments[0].tracking_code,
	    "00340434161094042557");
	/* 1.50 + 1.250 on the larger divisor */
	ck_assert_int_eq(r->refunds.amount, 2750);
	ck_assert_int_eq(r->refunds.divisor, 1000);
	ck_assert_str_eq(r->refunds.currency, "EUR");
}
END_TEST

START_TEST(money_converts_to_minor_units_only_when_exact)
{
	struct etsy_money	m = { 1999, 100, "EUR" };
	int64_t			v;

	ck_assert_int_eq(etsy_money_minor(&m, 2, &v), 0);
	ck_assert_int_eq(v, 1999);
	ck_assert_int_eq(etsy_money_minor(&m, 0, &v), -1);	/* JPY */
	ck_assert_int_eq(etsy_money_minor(&m, 3, &v), 0);	/* KWD */
	ck_assert_int_eq(v, 19990);

	m.amount = 1500;
	m.divisor = 1;
	ck_assert_int_eq(etsy_money_minor(&m, 0, &v), 0);
	ck_assert_int_eq(v, 1500);
	ck_assert_int_eq(etsy_money_minor(&m, 2, &v), 0);
	ck_assert_int_eq(v, 150000);

	m.amount = 12345;
	m.divisor = 1000;
	ck_assert_int_eq(etsy_money_minor(&m, 2, &v), -1);
	ck_assert_int_eq(etsy_money_minor(&m, 4, &v), 0);
	ck_assert_int_eq(v, 123450);
	m.amount = 12340;
	ck_assert_int_eq(etsy_money_minor(&m, 2, &v), 0);
	ck_assert_int_eq(v, 1234);

	m.amount = -200;
	m.divisor = 100;
	ck_assert_int_eq(etsy_money_minor(&m, 0, &v), 0);
	ck_assert_int_eq(v, -2);
	m.amount = -250;
	ck_assert_int_eq(etsy_money_minor(&m, 0, &v), -1);

	ck_assert_int_eq(etsy_money_minor(&m, 5, &v), -1);
	ck_assert_int_eq(etsy_money_minor(&m, -1, &v), -1);
	m.divisor = 3;
	ck_assert_int_eq(etsy_money_minor(&m, 2, &v), -1);
}
END_TEST

/* A receipt whose grandtotal is g (stolen) must be refused for reason. */
static void
bad_total(json_t *g, const char *reason)
{
	json_t	*r;

	r = receipt(77, "paid", NULL);
	json_object_set_new(r, "grandtotal", g);
	ck_assert_int_eq(page_of(json_pack("[o]", r)), 0);
	ck_assert_uint_eq(page.nreceipts, 0);
	ck_assert_uint_eq(page.nbad, 1);
	ck_assert_int_eq(page.bad[0].receipt_id, 77);
	ck_assert_msg(strstr(page.bad[0].reason, reason) != NULL,
	    "reason \"%s\" lacks \"%s\"", page.bad[0].reason, reason);
}

START_TEST(bad_money_is_refused_with_its_field)
{
	bad_total(json_pack("{sf si ss}", "amount", 19.99, "divisor", 100,
	    "currency_code", "EUR"), "grandtotal.amount is not a whole");
	bad_total(money(1999, 3, "EUR"), "grandtotal.divisor 3 is not a "
	    "power of ten");
	bad_total(money(1999, 100000, "EUR"), "grandtotal.divisor is out");
	bad_total(money(100000000000000LL, 100, "EUR"),
	    "grandtotal.amount is out of range");
	bad_total(money(1999, 100, "eur"), "grandtotal.currency_code");
	bad_total(money(1999, 100, "EURO"), "grandtotal.currency_code");
	bad_total(json_pack("{si}", "amount", 5), "grandtotal.divisor is "
	    "missing");
	bad_total(json_string("19.99"), "grandtotal is not a Money object");
	bad_total(json_null(), "grandtotal is missing");

}
END_TEST

START_TEST(absent_and_null_optional_fields_are_empty)
{
	struct etsy_receipt	*r;
	json_t			*j;

	j = receipt(78, "paid", NULL);
	json_object_del(j, "discount_amt");
	json_object_set_new(j, "gift_wrap_price", json_null());
	json_object_set_new(j, "total_tax_cost", json_pack("{si si}",
	    "amount", 0, "divisor", 100));
	json_object_set_new(j, "name", json_null());
	json_object_set_new(j, "first_line", json_null());
	json_object_set_new(j, "city", json_null());
	json_object_set_new(j, "country_iso", json_null());
	json_object_set_new(j, "formatted_address", json_null());
	json_object_set_new(j, "buyer_email", json_null());
	json_object_set_new(j, "is_gift", json_null());
	json_object_del(j, "zip");
	json_object_del(j, "shipments");
	json_object_set_new(j, "refunds", json_null());
	ck_assert_int_eq(one(j), 0);
	r = &page.receipts[0];
	ck_assert_str_eq(r->name, "");
	ck_assert_str_eq(r->first_line, "");
	ck_assert_str_eq(r->city, "");
	ck_assert_str_eq(r->zip, "");
	ck_assert_str_eq(r->country_iso, "");
	ck_assert_str_eq(r->formatted_address, "");
	ck_assert_str_eq(r->buyer_email, "");
	ck_assert_int_eq(r->is_gift, 0);
	ck_assert_int_eq(r->discount_amt.amount, 0);
	ck_assert_int_eq(r->gift_wrap_price.amount, 0);
	ck_assert_str_eq(r->gift_wrap_price.currency, "");
	ck_assert_str_eq(r->total_tax_cost.currency, "");
	ck_assert_uint_eq(r->nshipments, 0);
	ck_assert_int_eq(r->refunds.amount, 0);
	ck_assert_str_eq(r->refunds.currency, "EUR");
}
END_TEST

START_TEST(one_bad_receipt_leaves_the_others)
{
	json_t	*bad, *noid, *t;

	t = transaction(5, "X", 1, 100, NULL);
	json_object_set_new(t, "price", money(100, 7, "EUR"));
	bad = receipt(222, "paid", json_pack("[o]", t));
	noid = receipt(1, "paid", NULL);
	json_object_del(noid, "receipt_id");
	ck_assert_int_eq(page_of(json_pack("[o o s o o]", receipt(111, "paid",
	    NULL), bad, "not a receipt", noid, receipt(333, "completed",
	    NULL))), 0);
	ck_assert_uint_eq(page.nreceipts, 2);
	ck_assert_int_eq(page.receipts[0].receipt_id, 111);
	ck_assert_int_eq(page.receipts[1].receipt_id, 333);
	ck_assert_uint_eq(page.nbad, 3);
	ck_assert_uint_eq(page.bad[0].index, 1);
	ck_assert_int_eq(page.bad[0].receipt_id, 222);
	ck_assert_str_eq(page.bad[0].reason, "transactions[0].price.divisor "
	    "7 is not a power of ten from 1 to 10000");
	ck_assert_uint_eq(page.bad[1].index, 2);
	ck_assert_int_eq(page.bad[1].receipt_id, 0);
	ck_assert_str_eq(page.bad[1].reason, "result is not an object");
	ck_assert_int_eq(page.bad[2].receipt_id, 0);
	ck_assert_str_eq(page.bad[2].reason, "receipt_id is missing");
}
END_TEST

/* r (stolen) must be refused with a reason holding reason. */
static void
refused(json_t *r, const char *reason)
{
	ck_assert_int_eq(page_of(json_pack("[o]", r)), 0);
	ck_assert_uint_eq(page.nreceipts, 0);
	ck_assert_uint_eq(page.nbad, 1);
	ck_assert_msg(strstr(page.bad[0].reason, reason) != NULL,
	    "reason \"%s\" lacks \"%s\"", page.bad[0].reason, reason);
}

START_TEST(malformed_receipts_are_refused_with_a_reason)
{
	json_t	*j, *many;
	char	 sku[ETSY_SKU_MAX + 2];
	int	 i;

	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "is_paid", json_string("yes"));
	refused(j, "is_paid is not true or false");
	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "receipt_id", json_integer(0));
	refused(j, "receipt_id is out of range");
	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "name", json_integer(5));
	refused(j, "name is not a string");
	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "country_iso", json_string("deu"));
	refused(j, "country_iso is not two capital letters");
	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "transactions", json_object());
	refused(j, "transactions is not an array");
	j = receipt(1, "paid", json_pack("[o]", transaction(9, "A", 0, 100,
	    NULL)));
	refused(j, "transactions[0].quantity is out of range (0)");
	j = receipt(1, "paid", json_pack("[i]", 3));
	refused(j, "transactions[0] is not an object");

	many = json_array();
	for (i = 0; i <= ETSY_TRANSACTIONS_MAX; i++)
		json_array_append_new(many, transaction(i + 1, "A", 1, 100,
		    NULL));
	refused(receipt(1, "paid", many), "transactions has 251 entries, "
	    "more than 250");
	many = json_array();
	for (i = 0; i <= ETSY_VARIATIONS_MAX; i++)
		json_array_append_new(many, variation(i, i, "Colour", "Red"));
	refused(receipt(1, "paid", json_pack("[o]", transaction(9, "A", 1,
	    100, many))), "transactions[0].variations has 17 entries");

	memset(sku, 'S', sizeof(sku) - 1);
	sku[sizeof(sku) - 1] = '\0';
	refused(receipt(1, "paid", json_pack("[o]", transaction(9, sku, 1,
	    100, NULL))), "transactions[0].sku is longer than 64 bytes");

	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "refunds", json_pack("[{so}]", "amount",
	    money(100, 100, "USD")));
	refused(j, "refunds[0].amount is in USD, the receipt in EUR");
	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "shipments", json_pack("[{si}]",
	    "shipment_notification_timestamp", -5));
	refused(j, "shipments[0].shipment_notification_timestamp is out");
}
END_TEST

START_TEST(unknown_status_is_refused_known_ones_in_any_case)
{
	refused(receipt(44, "shipped", NULL),
	    "status \"shipped\" is not a known status");
	ck_assert_int_eq(page.bad[0].receipt_id, 44);
	refused(json_pack("{sI so}", "receipt_id", (json_int_t)45,
	    "grandtotal", money(1, 1, "EUR")), "status is missing");
	ck_assert_int_eq(one(receipt(46, "Payment Processing", NULL)), 0);
	ck_assert_int_eq(page.receipts[0].status, ETSY_PAYMENT_PROCESSING);
	ck_assert_int_eq(one(receipt(47, "fully refunded", NULL)), 0);
	ck_assert_int_eq(page.receipts[0].status, ETSY_FULLY_REFUNDED);
	ck_assert_int_eq(one(receipt(48, "canceled", NULL)), 0);
	ck_assert_str_eq(etsy_status_name(page.receipts[0].status),
	    "canceled");
	ck_assert_ptr_null(etsy_status_name((enum etsy_status)99));
}
END_TEST

START_TEST(either_name_of_a_timestamp_is_read)
{
	json_t	*j;

	j = receipt(1, "paid", NULL);
	json_object_del(j, "created_timestamp");
	json_object_del(j, "updated_timestamp");
	ck_assert_int_eq(one(j), 0);
	ck_assert_int_eq(page.receipts[0].created, 1767000000);
	ck_assert_int_eq(page.receipts[0].updated, 1767003600);

	j = receipt(1, "paid", NULL);
	json_object_del(j, "create_timestamp");
	json_object_set_new(j, "update_timestamp", json_null());
	ck_assert_int_eq(one(j), 0);
	ck_assert_int_eq(page.receipts[0].created, 1767000000);
	ck_assert_int_eq(page.receipts[0].updated, 1767003600);

	/* Both sent and different: the newer name wins. */
	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "create_timestamp", json_integer(5));
	json_object_set_new(j, "updated_timestamp", json_integer(1767009999));
	ck_assert_int_eq(one(j), 0);
	ck_assert_int_eq(page.receipts[0].created, 1767000000);
	ck_assert_int_eq(page.receipts[0].updated, 1767009999);

	j = receipt(1, "paid", NULL);
	json_object_del(j, "create_timestamp");
	json_object_del(j, "created_timestamp");
	ck_assert_int_eq(one(j), 0);
	ck_assert_int_eq(page.receipts[0].created, 0);

	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "created_timestamp", json_real(1.5));
	refused(j, "created_timestamp is not a whole number");
}
END_TEST

START_TEST(long_text_is_cut_on_a_character_and_flagged)
{
	struct etsy_receipt	*r;
	json_t			*j;
	char			 name[ETSY_NAME_MAX + 8];
	size_t			 i;

	/* "é" is two bytes: 254 + 2 would pass the 255-byte limit */
	memset(name, 'a', 254);
	for (i = 254; i + 2 < sizeof(name); i += 2)
		memcpy(name + i, "\xc3\xa9", 2);
	name[i] = '\0';
	j = receipt(1, "paid", NULL);
	json_object_set_new(j, "name", json_string(name));
	json_object_set_new(j, "city", json_string("Ber\tlin\x01"));
	json_object_set_new(j, "message_from_buyer",
	    json_string("Hi,\r\nthanks\tlots\x7f"));
	ck_assert_int_eq(one(j), 0);
	r = &page.receipts[0];
	ck_assert_int_eq(r->truncated, 1);
	ck_assert_uint_eq(strlen(r->name), 254);
	ck_assert_str_eq(r->city, "Ber lin ");
	ck_assert_str_eq(r->message_from_buyer, "Hi,\nthanks\tlots ");

	ck_assert_int_eq(one(receipt(2, "paid", NULL)), 0);
	ck_assert_int_eq(page.receipts[0].truncated, 0);
}
END_TEST

START_TEST(whole_page_failures)
{
	json_t	*many;
	char	*big;
	int	 i;

	ck_assert_int_eq(page_text("<html>502</html>"), ERR_INVALID);
	ck_assert_msg(strstr(e.message, "not JSON") != NULL, "%s", e.message);
	ck_assert_int_eq(page_text("[]"), ERR_INVALID);
	ck_assert_int_eq(page_text(""), ERR_INVALID);
	ck_assert_int_eq(page_text("{\"count\":1}"), ERR_INVALID);
	ck_assert_str_eq(e.message, "the Etsy receipts page has no results "
	    "array");
	ck_assert_int_eq(page_text("{\"count\":1,\"results\":{}}"),
	    ERR_INVALID);
	ck_assert_int_eq(page_text("{\"count\":-1,\"results\":[]}"),
	    ERR_INVALID);
	ck_assert_int_eq(page_text("{\"count\":\"3\",\"results\":[]}"),
	    ERR_INVALID);
	ck_assert_int_eq(page_text("{\"results\":[]}"), ERR_INVALID);
	ck_assert_msg(strstr(e.message, "count") != NULL, "%s", e.message);
	ck_assert_uint_eq(page.nreceipts, 0);

	ck_assert_int_eq(page_text("{\"count\":0,\"results\":[]}"), 0);
	ck_assert_int_eq(page.count, 0);
	ck_assert_uint_eq(page.nreceipts, 0);

	many = json_array();
	for (i = 0; i <= ETSY_PAGE_MAX; i++)
		json_array_append_new(many, json_object());
	ck_assert_int_eq(page_of(many), ERR_INVALID);
	ck_assert_str_eq(e.message, "the Etsy receipts page has 101 results, "
	    "more than 100");

	big = malloc(ETSY_BODY_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', ETSY_BODY_MAX + 1);
	big[0] = '{';
	err_clear(&e);
	ck_assert_int_eq(etsy_receipts_page(big, ETSY_BODY_MAX + 1, a, &page,
	    &e), ERR_TOO_LARGE);
	free(big);
}
END_TEST

START_TEST(a_single_receipt_is_read_or_refused)
{
	struct etsy_receipt	 r;
	json_t			*j;
	char			*s;

	j = receipt(9, "completed", NULL);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	ck_assert_int_eq(etsy_receipt_parse(s, strlen(s), a, &r, &e), 0);
	free(s);
	ck_assert_int_eq(r.receipt_id, 9);
	ck_assert_uint_eq(r.ntransactions, 1);
	ck_assert_int_eq(r.transactions[0].transaction_id, 90);

	ck_assert_int_eq(etsy_receipt_parse("{\"receipt_id\":9}", 16, a, &r,
	    &e), ERR_INVALID);
	ck_assert_str_eq(e.message, "status is missing");
	ck_assert_str_eq(r.name, "");
	ck_assert_int_eq(etsy_receipt_parse("{", 1, a, &r, NULL), ERR_INVALID);
}
END_TEST

/* ---- OAuth and the small answers ---- */

static int
token(const char *s, struct etsy_token *t)
{
	err_clear(&e);
	return etsy_token_parse(s, strlen(s), t, &e);
}

START_TEST(tokens_are_read_and_checked)
{
	struct etsy_token	t;
	char			long_body[700];

	ck_assert_int_eq(token("{\"access_token\":\"12345678.abc-DEF_g~\","
	    "\"token_type\":\"Bearer\",\"expires_in\":3600,"
	    "\"refresh_token\":\"12345678.xyz/+=\"}", &t), 0);
	ck_assert_str_eq(t.access_token, "12345678.abc-DEF_g~");
	ck_assert_str_eq(t.refresh_token, "12345678.xyz/+=");
	ck_assert_int_eq(t.expires_in, 3600);
	ck_assert_int_eq(t.user_id, 12345678);

	ck_assert_int_eq(token("{\"access_token\":\"1.a\",\"token_type\":"
	    "\"bearer\",\"expires_in\":999999,\"refresh_token\":\"1.b\"}",
	    &t), 0);
	ck_assert_int_eq(t.expires_in, ETSY_EXPIRES_MAX);

	ck_assert_int_eq(token("{\"access_token\":\"1.a\",\"token_type\":"
	    "\"mac\",\"expires_in\":3600,\"refresh_token\":\"1.b\"}", &t),
	    ERR_INVALID);
	ck_assert_str_eq(e.message, "the Etsy token_type is not Bearer");
	ck_assert_int_eq(token("{\"access_token\":\"1.a\",\"token_type\":"
	    "\"Bearer\",\"expires_in\":3600}", &t), ERR_INVALID);
	ck_assert_msg(strstr(e.message, "refresh_token") != NULL, "%s",
	    e.message);
	ck_assert_int_eq(token("{\"access_token\":\"1.a\",\"token_type\":"
	    "\"Bearer\",\"expires_in\":3600,\"refresh_token\":\"2.b\"}",
	    &t), ERR_INVALID);
	ck_assert_int_eq(token("{\"access_token\":\"1.a\",\"token_type\":"
	    "\"Bearer\",\"expires_in\":0,\"refresh_token\":\"1.b\"}", &t),
	    ERR_INVALID);
	ck_assert_int_eq(token("{\"access_token\":\"1.a\",\"token_type\":"
	    "\"Bearer\",\"expires_in\":\"3600\",\"refresh_token\":"
	    "\"1.b\"}", &t), ERR_INVALID);
	ck_assert_int_eq(token("{\"access_token\":\"abc.def\",\"token_type\""
	    ":\"Bearer\",\"expires_in\":60,\"refresh_token\":\"1.b\"}", &t),
	    ERR_INVALID);
	ck_assert_int_eq(token("{\"access_token\":\"123.\",\"token_type\":"
	    "\"Bearer\",\"expires_in\":60,\"refresh_token\":\"1.b\"}", &t),
	    ERR_INVALID);
	ck_assert_int_eq(token("{\"access_token\":\"0.a\",\"token_type\":"
	    "\"Bearer\",\"expires_in\":60,\"refresh_token\":\"0.b\"}", &t),
	    ERR_INVALID);
	ck_assert_int_eq(token("{\"access_token\":\"1.a b\",\"token_type\":"
	    "\"Bearer\",\"expires_in\":60,\"refresh_token\":\"1.b\"}", &t),
	    ERR_INVALID);
	ck_assert_int_eq(token("{\"access_token\":\"99999999999999999999.a\","
	    "\"token_type\":\"Bearer\",\"expires_in\":60,"
	    "\"refresh_token\":\"1.b\"}", &t), ERR_INVALID);
	ck_assert_int_eq(token("not json", &t), ERR_INVALID);
	ck_assert_str_eq(t.access_token, "");

	/* 513 characters: one too many */
	snprintf(long_body, sizeof(long_body), "{\"access_token\":\"1.%0511d"
	    "\",\"token_type\":\"Bearer\",\"expires_in\":60,"
	    "\"refresh_token\":\"1.b\"}", 0);
	ck_assert_int_eq(token(long_body, &t), ERR_INVALID);
	snprintf(long_body, sizeof(long_body), "{\"access_token\":\"1.%0510d"
	    "\",\"token_type\":\"Bearer\",\"expires_in\":60,"
	    "\"refresh_token\":\"1.b\"}", 0);
	ck_assert_int_eq(token(long_body, &t), 0);
	ck_assert_uint_eq(strlen(t.access_token), ETSY_TOKEN_MAX);
}
END_TEST

static enum etsy_err_kind
kind(const char *body, int refresh, struct etsy_error *out, int rc)
{
	ck_assert_int_eq(etsy_error_parse(body, strlen(body), refresh, out),
	    rc);
	return out->kind;
}

START_TEST(errors_are_classified)
{
	struct etsy_error	x;

	ck_assert_int_eq(kind("{\"error\":\"invalid_grant\","
	    "\"error_description\":\"refresh_token is revoked\"}", 0, &x, 0),
	    ETSY_ERR_REVOKED);
	ck_assert_str_eq(x.code, "invalid_grant");
	ck_assert_str_eq(x.description, "refresh_token is revoked");
	ck_assert_int_eq(kind("{\"error\":\"invalid_grant\","
	    "\"error_description\":\"refresh token expired\"}", 1, &x, 0),
	    ETSY_ERR_REVOKED);
	ck_assert_int_eq(kind("{\"error\":\"invalid_grant\","
	    "\"error_description\":\"code has expired\"}", 0, &x, 0),
	    ETSY_ERR_OTHER);
	ck_assert_int_eq(kind("{\"error\":\"invalid_token\","
	    "\"error_description\":\"access token is expired\"}", 0, &x, 0),
	    ETSY_ERR_INVALID_TOKEN);
	ck_assert_int_eq(kind("{\"error\":\"access token is expired\"}", 0,
	    &x, 0), ETSY_ERR_INVALID_TOKEN);
	ck_assert_str_eq(x.description, "access token is expired");
	ck_assert_int_eq(kind("{\"error\":\"Invalid API key\"}", 0, &x, 0),
	    ETSY_ERR_OTHER);
	ck_assert_str_eq(x.code, "Invalid API key");
	ck_assert_str_eq(x.description, "Invalid API key");

	ck_assert_int_eq(kind("<html>\r\n<body>Bad gateway</body>", 0, &x,
	    ERR_INVALID), ETSY_ERR_OTHER);
	ck_assert_str_eq(x.code, "");
	ck_assert_str_eq(x.description, "<html>");
	ck_assert_int_eq(kind("{\"error\":5}", 1, &x, ERR_INVALID),
	    ETSY_ERR_OTHER);
	ck_assert_str_eq(x.description, "{\"error\":5}");
	ck_assert_int_eq(kind("", 1, &x, ERR_INVALID), ETSY_ERR_OTHER);
	ck_assert_str_eq(x.description, "");
	ck_assert_int_eq(kind("bad \xff byte\x01", 0, &x, ERR_INVALID),
	    ETSY_ERR_OTHER);
	ck_assert_str_eq(x.description, "bad ? byte ");
}
END_TEST

START_TEST(me_and_listing_are_read)
{
	struct etsy_me		me;
	struct etsy_listing	l;
	const char		*s;

	s = "{\"user_id\":12345678,\"shop_id\":87654321}";
	ck_assert_int_eq(etsy_me_parse(s, strlen(s), &me, &e), 0);
	ck_assert_int_eq(me.user_id, 12345678);
	ck_assert_int_eq(me.shop_id, 87654321);
	s = "{\"user_id\":12345678}";
	ck_assert_int_eq(etsy_me_parse(s, strlen(s), &me, &e), ERR_INVALID);
	ck_assert_str_eq(e.message, "shop_id is missing");
	s = "{\"user_id\":0,\"shop_id\":1}";
	ck_assert_int_eq(etsy_me_parse(s, strlen(s), &me, &e), ERR_INVALID);

	s = "{\"listing_id\":1234,\"title\":\"Gear box\",\"state\":"
	    "\"active\",\"skus\":[\"GB-1\",\"GB-2\"],\"has_variations\":"
	    "true,\"is_personalizable\":false,\"price\":{\"amount\":1999,"
	    "\"divisor\":100,\"currency_code\":\"EUR\"}}";
	ck_assert_int_eq(etsy_listing_parse(s, strlen(s), a, &l, &e), 0);
	ck_assert_int_eq(l.listing_id, 1234);
	ck_assert_str_eq(l.title, "Gear box");
	ck_assert_str_eq(l.state, "active");
	ck_assert_uint_eq(l.nskus, 2);
	ck_assert_str_eq(l.skus[1], "GB-2");
	ck_assert_int_eq(l.has_variations, 1);
	ck_assert_int_eq(l.is_personalizable, 0);
	ck_assert_int_eq(l.price.amount, 1999);
	s = "{\"listing_id\":1234,\"skus\":[\"GB-1\",7]}";
	ck_assert_int_eq(etsy_listing_parse(s, strlen(s), a, &l, &e),
	    ERR_INVALID);
	ck_assert_str_eq(e.message, "skus[1] is not a string");
}
END_TEST

/* ---- rate limits and retries ---- */

START_TEST(rate_headers_are_read_in_any_case)
{
	struct etsy_rate	r;

	etsy_rate_init(&r);
	ck_assert_int_eq(r.per_second, -1);
	ck_assert_int_eq(r.remaining_day, -1);
	ck_assert_int_eq(r.retry_after_s, -1);
	ck_assert_int_eq(etsy_rate_header(&r, "X-Limit-Per-Second: 10\r\n"),
	    1);
	ck_assert_int_eq(etsy_rate_header(&r, "x-remaining-this-second:9"), 1);
	ck_assert_int_eq(etsy_rate_header(&r, "X-LIMIT-PER-DAY: 10000"), 1);
	ck_assert_int_eq(etsy_rate_header(&r, "x-remaining-today: 9500 \r\n"),
	    1);
	ck_assert_int_eq(r.per_second, 10);
	ck_assert_int_eq(r.remaining_second, 9);
	ck_assert_int_eq(r.per_day, 10000);
	ck_assert_int_eq(r.remaining_day, 9500);
	ck_assert_int_eq(etsy_rate_header(&r, "Retry-After: 30\r\n"), 1);
	ck_assert_int_eq(r.retry_after_s, 30);
	ck_assert_int_eq(etsy_rate_header(&r,
	    "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"), -1);
	ck_assert_int_eq(r.retry_after_s, -1);
	ck_assert_int_eq(etsy_rate_header(&r, "retry-after: 999999"), 1);
	ck_assert_int_eq(r.retry_after_s, ETSY_RETRY_AFTER_MAX);
	ck_assert_int_eq(etsy_rate_header(&r, "x-limit-per-day: -5"), -1);
	ck_assert_int_eq(r.per_day, -1);
	ck_assert_int_eq(etsy_rate_header(&r, "x-remaining-today: "
	    "99999999999999999999"), -1);
	ck_assert_int_eq(r.remaining_day, -1);
	ck_assert_int_eq(etsy_rate_header(&r, "x-remaining-today:"), -1);
	ck_assert_int_eq(etsy_rate_header(&r, "Content-Type: application/json"),
	    0);
	ck_assert_int_eq(etsy_rate_header(&r, "x-limit-per-second-x: 4"), 0);
	ck_assert_int_eq(etsy_rate_header(&r, "HTTP/1.1 429 Too Many"), 0);
	ck_assert_int_eq(r.per_second, 10);
}
END_TEST

START_TEST(backoff_grows_is_capped_and_honours_retry_after)
{
	struct etsy_rate	r;
	long			prev, d;
	int			i;

	ck_assert_int_eq(etsy_backoff_ms(0, UINT_MAX), ETSY_BACKOFF_BASE_MS);
	ck_assert_int_eq(etsy_backoff_ms(1, UINT_MAX), 2000);
	ck_assert_int_eq(etsy_backoff_ms(3, UINT_MAX), 8000);
	ck_assert_int_eq(etsy_backoff_ms(0, 0), 0);
	ck_assert_int_eq(etsy_backoff_ms(-3, UINT_MAX), ETSY_BACKOFF_BASE_MS);
	prev = 0;
	for (i = 0; i < 100; i++) {
		d = etsy_backoff_ms(i, UINT_MAX / 2);
		ck_assert_int_ge(d, prev);
		ck_assert_int_le(d, ETSY_BACKOFF_CAP_MS);
		ck_assert_int_le(etsy_backoff_ms(i, UINT_MAX),
		    ETSY_BACKOFF_CAP_MS);
		ck_assert_int_le(etsy_backoff_ms(i, 12345u * (unsigned)i),
		    ETSY_BACKOFF_CAP_MS);
		prev = d;
	}
	ck_assert_int_eq(etsy_backoff_ms(6, UINT_MAX), ETSY_BACKOFF_CAP_MS);
	ck_assert_int_eq(etsy_backoff_ms(INT_MAX, UINT_MAX),
	    ETSY_BACKOFF_CAP_MS);

	etsy_rate_init(&r);
	ck_assert_int_eq(etsy_retry_delay_ms(&r, 2, UINT_MAX), 4000);
	ck_assert_int_eq(etsy_retry_delay_ms(NULL, 2, UINT_MAX), 4000);
	ck_assert_int_eq(etsy_rate_header(&r, "Retry-After: 120"), 1);
	for (i = 0; i < 50; i++) {
		d = etsy_retry_delay_ms(&r, 0, 7919u * (unsigned)i);
		ck_assert_int_ge(d, 120000);
		ck_assert_int_le(d, 121000);
	}
}
END_TEST

/* ---- PKCE ---- */

START_TEST(pkce_matches_the_rfc_7636_vector)
{
	const char	*v, *w, *c;
	size_t		 i;

	/* RFC 7636 appendix B */
	ck_assert_str_eq(pkce_challenge(a,
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
	    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	v = pkce_verifier(a);
	w = pkce_verifier(a);
	ck_assert_uint_eq(strlen(v), 64);
	ck_assert_str_ne(v, w);
	for (i = 0; v[i] != '\0'; i++)
		ck_assert_ptr_nonnull(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-._~", v[i]));
	c = pkce_challenge(a, v);
	ck_assert_uint_eq(strlen(c), 43);
	ck_assert_str_eq(c, pkce_challenge(a, v));
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("etsy");
	tc = tcase_create("etsy");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_page_of_three_receipts_keeps_personalisation_apart);
	tcase_add_test(tc, money_converts_to_minor_units_only_when_exact);
	tcase_add_test(tc, bad_money_is_refused_with_its_field);
	tcase_add_test(tc, absent_and_null_optional_fields_are_empty);
	tcase_add_test(tc, one_bad_receipt_leaves_the_others);
	tcase_add_test(tc, malformed_receipts_are_refused_with_a_reason);
	tcase_add_test(tc, unknown_status_is_refused_known_ones_in_any_case);
	tcase_add_test(tc, either_name_of_a_timestamp_is_read);
	tcase_add_test(tc, long_text_is_cut_on_a_character_and_flagged);
	tcase_add_test(tc, whole_page_failures);
	tcase_add_test(tc, a_single_receipt_is_read_or_refused);
	tcase_add_test(tc, tokens_are_read_and_checked);
	tcase_add_test(tc, errors_are_classified);
	tcase_add_test(tc, me_and_listing_are_read);
	tcase_add_test(tc, rate_headers_are_read_in_any_case);
	tcase_add_test(tc, backoff_grows_is_capped_and_honours_retry_after);
	tcase_add_test(tc, pkce_matches_the_rfc_7636_vector);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
