-- bench/orders-data.sql: fills an empty, migrated Printyard database with
-- the data bench/orders.sh measures, generated here rather than committed.
--
--   psql -v ON_ERROR_STOP=1 [-v orders=N -v moves=N -v spools=N] -f bench/orders-data.sql
--
-- Sizes (psql variables, defaults): 10 vendors, 50 filaments in 40
-- material and colour pairs (6 materials, 12 colours; ten pairs come from
-- two vendors), 5 locations, :spools (2000) spools of which
-- one in ten archived, 300 customers, 200 products, :orders (10000) sales
-- orders of 1 to 4 lines in every status, :moves (1000000) stock ledger
-- rows spread over the spools.
--
-- Invariants kept, the same as every other writer has to:
--   * every stock movement is an INSERT into stock_moves, so the ledger
--     trigger keeps spools.remaining_g equal to the sum of its moves; a
--     spool's receipt comes first, and what is taken afterwards is bounded
--     (at most 90 % of the receipt, plus adjustments of at most 1 g each,
--     one row in fifty) so no balance goes below zero;
--   * lines are written while their order is a draft (the trigger allows
--     nothing else), and the amounts and totals are computed the way
--     orders_totals() in src/domain/orders.c does: amount = quantity x
--     unit price less discount_bp rounded half away from zero; per VAT
--     rate the sum of amounts; VAT out of the gross sum when prices
--     include VAT, else on the net sum; vat_breakdown in the order the
--     rates first appear; bench/orders.sh compares a few orders with the
--     same lines posted through the API;
--   * numbers are SO-YYYY-NNNNN without gaps per year, and the counters
--     are moved on so that the API continues after them;
--   * the generator is deterministic (setseed), so runs load the same data.
\set ON_ERROR_STOP 1
\if :{?orders}
\else
\set orders 10000
\endif
\if :{?moves}
\else
\set moves 1000000
\endif
\if :{?spools}
\else
\set spools 2000
\endif

SELECT setseed(0.42);

-- costing_muldiv(): a x num / den rounded half away from zero.
CREATE FUNCTION pg_temp.muldiv(a bigint, num bigint, den bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN a * num < 0 THEN -((2 * -(a * num) + den) / (2 * den))
	    ELSE (2 * (a * num) + den) / (2 * den) END
$$;

BEGIN;

-- ---- inventory ----
INSERT INTO vendors (name, website)
SELECT 'Bench vendor ' || v, 'https://vendor' || v || '.example'
FROM generate_series(1, 10) v;

INSERT INTO locations (name, kind)
SELECT 'Bench shelf ' || l, CASE WHEN l <= 3 THEN 'shelf' ELSE 'dry_box' END
    ::location_kind
FROM generate_series(1, 5) l;

WITH m(k, material, density) AS (VALUES (0, 'PLA', 1.24), (1, 'PETG', 1.27),
    (2, 'ABS', 1.04), (3, 'ASA', 1.07), (4, 'TPU', 1.21), (5, 'PA', 1.14)),
c(k, color_name, color_hex) AS (VALUES (0, 'Black', '#000000'),
    (1, 'White', '#FFFFFF'), (2, 'Grey', '#808080'), (3, 'Red', '#C0392B'),
    (4, 'Blue', '#2E86C1'), (5, 'Green', '#28B463'), (6, 'Yellow', '#F4D03F'),
    (7, 'Orange', '#E67E22'), (8, 'Purple', '#8E44AD'),
    (9, 'Natural', '#F5F0E1'), (10, 'Silver', '#C0C0C0'),
    (11, 'Galaxy Black', '#1B1B2F'))
INSERT INTO filaments (vendor_id, name, material, color_name, color_hex,
    density, net_weight_g, spool_weight_g, price_per_kg_cents, extruder_temp,
    bed_temp, low_stock_g)
SELECT (SELECT min(id) FROM vendors) + f / 5 % 10,
    m.material || ' ' || c.color_name || ' (line ' || f || ')', m.material,
    c.color_name, c.color_hex, m.density, 1000, 200, 1800 + (f * 137) % 2200,
    200 + 10 * m.k, 60, CASE WHEN f % 3 = 0 THEN 500 END
FROM generate_series(0, 49) f
JOIN m ON m.k = f % 40 % 6
JOIN c ON c.k = (f % 40 / 6 + f % 40) % 12;

INSERT INTO stock_thresholds (material, color_name, min_g)
VALUES ('PLA', '', 5000), ('PLA', 'Black', 3000), ('PETG', 'Black', 2000),
    ('PETG', '', 2500), ('ASA', 'White', 1000);

-- spool s: filament s mod 50; 1 kg spools, every fifth a 2 kg one.
CREATE TEMP TABLE bench_spools AS
SELECT s, (SELECT min(id) FROM filaments) + s % 50 AS filament_id,
    CASE WHEN s % 5 = 0 THEN 2000 ELSE 1000 END AS initial_g,
    -- the share of the spool that will be used: 0 to 60 %
    (s * 7919 % 600) / 1000.0 AS used_share,
    now() - interval '400 days' + s * interval '3 hours' AS bought
FROM generate_series(1, :spools) s;

INSERT INTO spools (filament_id, initial_weight_g, spool_weight_g,
    location_id, lot, price_cents, purchased_on, created_at)
SELECT b.filament_id, b.initial_g, 200,
    (SELECT min(id) FROM locations) + b.s % 5, 'LOT-' || (b.s % 97),
    CASE WHEN b.s % 2 = 0 THEN 2000 + b.s % 1500 END, b.bought::date,
    b.bought
FROM bench_spools b ORDER BY b.s;
ALTER TABLE bench_spools ADD COLUMN spool_id bigint;
UPDATE bench_spools b SET spool_id = x.id
FROM (SELECT id, row_number() OVER (ORDER BY id) AS s FROM spools) x
WHERE x.s = b.s;

-- The ledger: one receipt per spool, then per spool its share of the
-- other moves in time order.  A consumption takes between 0.5 and 1.5
-- times initial x used_share / moves per spool, so all of them together
-- take at most 1.5 x 60 % = 90 % of the receipt.
INSERT INTO stock_moves (at, kind, spool_id, qty, reason, actor)
SELECT b.bought, 'receipt', b.spool_id, b.initial_g, 'bench: bought',
    'bench'
FROM bench_spools b ORDER BY b.s;

COMMIT;

-- The other moves, in batches of 25 rounds over all spools, each its own
-- transaction: the trigger updates the spool row once per move, and the
-- versions of a row written in one transaction cannot be pruned before it
-- commits (one transaction of a million rows spends its time walking
-- chains of dead row versions).
CREATE PROCEDURE pg_temp.bench_ledger(p_moves integer, p_spools integer)
LANGUAGE plpgsql AS $$
DECLARE
	per	integer := (p_moves - p_spools) / p_spools;
	lo	integer := 1;
BEGIN
	WHILE lo <= per LOOP
		INSERT INTO stock_moves (at, kind, spool_id, qty, reason,
		    ref_kind, ref_id, actor)
		SELECT b.bought + (now() - b.bought) * n / (per + 1),
		    CASE WHEN n % 50 = 0 THEN 'adjustment' ELSE 'consumption'
		    END::stock_move_kind, b.spool_id,
		    CASE WHEN n % 50 = 0 THEN round((random() * 2 - 1)::numeric,
		    3) ELSE -round((b.initial_g * b.used_share / per *
		    (0.5 + random()))::numeric, 3) END,
		    CASE WHEN n % 50 = 0 THEN 'bench: weighed' END,
		    CASE WHEN n % 50 <> 0 THEN 'print_job' END,
		    CASE WHEN n % 50 <> 0 THEN b.s::bigint * 1000 + n END,
		    'bench'
		FROM bench_spools b
		CROSS JOIN generate_series(lo, least(lo + 24, per)) n
		ORDER BY n, b.s;
		COMMIT;
		lo := lo + 25;
	END LOOP;
END $$;
CALL pg_temp.bench_ledger(:moves, :spools);

BEGIN;
UPDATE spools SET archived_at = now() - interval '1 day'
WHERE id IN (SELECT spool_id FROM bench_spools WHERE s % 10 = 0);

-- ---- customers and products ----
INSERT INTO customers (name, email, shipping_street, shipping_postal_code,
    shipping_city, shipping_country, billing_country, source, external_id,
    created_at)
SELECT 'Bench Customer ' || c, 'customer' || c || '@bench.example',
    'Teststraße ' || c, lpad((10000 + c * 37)::text, 5, '0'),
    (ARRAY['Berlin', 'Hamburg', 'Wien', 'Paris', 'Amsterdam'])[1 + c % 5],
    (ARRAY['DE', 'DE', 'AT', 'FR', 'NL'])[1 + c % 5],
    (ARRAY['DE', 'DE', 'AT', 'FR', 'NL'])[1 + c % 5],
    CASE WHEN c % 3 = 0 THEN 'etsy' ELSE 'manual' END::customer_source,
    CASE WHEN c % 3 = 0 THEN 'etsy-buyer-' || c END,
    now() - interval '800 days'
FROM generate_series(1, 300) c;

INSERT INTO products (sku, name, price_gross_cents, vat_rate, labour_minutes)
SELECT 'BENCH-' || lpad(p::text, 4, '0'), 'Bench product ' || p,
    500 + (p * 7321) % 14500,
    CASE WHEN p % 10 = 0 THEN 'reduced' ELSE 'standard' END, p % 20
FROM generate_series(1, 200) p;

-- ---- sales orders ----
-- Order i was created (10000 - i) x 1.5 hours ago: about 21 months.
CREATE TEMP TABLE bench_orders AS
SELECT i, now() - (:orders - i) * interval '90 minutes' AS created,
    (SELECT min(id) FROM customers) + (i * 31) % 300 AS customer_id,
    i % 10 <> 3 AS incl,
    CASE WHEN i % 5 < 2 THEN 'etsy' ELSE 'manual' END::customer_source
    AS source
FROM generate_series(1, :orders) i;

INSERT INTO sales_orders (number, customer_id, source, external_id,
    currency, prices_include_vat, order_date, due_date, ship_name,
    ship_street, ship_postal_code, ship_city, ship_country, notes,
    created_at, updated_at)
SELECT 'SO-' || y || '-' || lpad((row_number() OVER (PARTITION BY y
    ORDER BY o.i))::text, 5, '0'), o.customer_id, o.source,
    CASE WHEN o.source = 'etsy' THEN 'receipt-' || o.i END, 'EUR', o.incl,
    o.created::date, o.created::date + 14, c.name, c.shipping_street,
    c.shipping_postal_code, c.shipping_city, c.shipping_country,
    CASE WHEN o.i % 7 = 0 THEN 'gift wrap, please' END, o.created, o.created
FROM bench_orders o
JOIN customers c ON c.id = o.customer_id
CROSS JOIN LATERAL (SELECT extract(year FROM o.created AT TIME ZONE
    (SELECT timezone FROM business_settings))::integer AS y) yy
ORDER BY o.i;

INSERT INTO document_counters (kind, year, last_value)
SELECT 'SO', substr(number, 4, 4)::integer, max(substr(number, 9)::integer)
FROM sales_orders GROUP BY 2
ON CONFLICT (kind, year) DO UPDATE SET last_value =
    greatest(document_counters.last_value, excluded.last_value);

-- 1 to 4 lines; the default price of the product (net of VAT when the
-- order's prices exclude it), every sixth line 10 % off.
INSERT INTO sales_order_lines (order_id, position, product_id, sku,
    description, quantity, unit_price_cents, vat_rate, vat_bp, discount_bp)
SELECT so.id, n, p.id, p.sku, p.name, 1 + (o.i * n) % 7 / 5,
    CASE WHEN o.incl THEN p.price_gross_cents
    ELSE pg_temp.muldiv(p.price_gross_cents, 10000, 10000 + r.bp) END,
    p.vat_rate, r.bp, CASE WHEN (o.i + n) % 6 = 0 THEN 1000 ELSE 0 END
FROM bench_orders o
JOIN sales_orders so ON so.created_at = o.created AND
    so.customer_id = o.customer_id
CROSS JOIN LATERAL generate_series(1, 1 + (o.i * 2654435761) % 4) n
JOIN products p ON p.sku = 'BENCH-' || lpad((1 + (o.i * 13 + n * 71) %
    200)::text, 4, '0')
CROSS JOIN LATERAL (SELECT (x->>'rate_bp')::integer AS bp FROM
    business_settings s, jsonb_array_elements(s.vat_rates) x
    WHERE x->>'name' = p.vat_rate) r
ORDER BY so.id, n;

UPDATE sales_order_lines SET amount_cents = v - (v / 10000 * discount_bp +
    pg_temp.muldiv(v % 10000, discount_bp, 10000))
FROM (SELECT id AS lid, quantity::bigint * unit_price_cents AS v
    FROM sales_order_lines) a
WHERE id = a.lid;

WITH rate AS (
	SELECT l.order_id, l.vat_rate, l.vat_bp, min(l.position) AS first,
	    sum(l.amount_cents)::bigint AS amount, o.prices_include_vat AS incl
	FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id
	GROUP BY l.order_id, l.vat_rate, l.vat_bp, o.prices_include_vat
), split AS (
	SELECT order_id, vat_rate, vat_bp, first,
	    CASE WHEN incl THEN pg_temp.muldiv(amount, 10000, 10000 + vat_bp)
	    ELSE amount END AS net,
	    CASE WHEN incl THEN amount - pg_temp.muldiv(amount, 10000,
	    10000 + vat_bp) ELSE pg_temp.muldiv(amount, vat_bp, 10000) END
	    AS vat
	FROM rate
), tot AS (
	SELECT order_id, sum(net)::bigint AS net, sum(vat)::bigint AS vat,
	    jsonb_agg(jsonb_build_object('vat_rate', vat_rate, 'vat_bp',
	    vat_bp, 'net_cents', net, 'vat_cents', vat, 'gross_cents',
	    net + vat) ORDER BY first) AS breakdown
	FROM split GROUP BY order_id
)
UPDATE sales_orders o SET net_cents = t.net, vat_cents = t.vat,
    gross_cents = t.net + t.vat, vat_breakdown = t.breakdown,
    line_count = (SELECT count(*) FROM sales_order_lines l
    WHERE l.order_id = o.id)
FROM tot t WHERE t.order_id = o.id;

-- Statuses: older orders are further along.  Drafts and open orders are
-- the newest; one in ten is cancelled.
UPDATE sales_orders o SET status = s.st, confirmed_at = CASE WHEN s.st NOT IN
    ('draft', 'cancelled') THEN o.created_at + interval '1 hour' END,
    in_production_at = CASE WHEN s.st IN ('in_production', 'ready',
    'shipped', 'completed') THEN o.created_at + interval '1 day' END,
    ready_at = CASE WHEN s.st IN ('ready', 'shipped', 'completed') THEN
    o.created_at + interval '3 days' END,
    shipped_at = CASE WHEN s.st IN ('shipped', 'completed') THEN
    o.created_at + interval '4 days' END,
    completed_at = CASE WHEN s.st = 'completed' THEN
    o.created_at + interval '14 days' END,
    cancelled_at = CASE WHEN s.st = 'cancelled' THEN
    o.created_at + interval '2 days' END,
    carrier = CASE WHEN s.st IN ('shipped', 'completed') THEN 'DHL' END,
    tracking_number = CASE WHEN s.st IN ('shipped', 'completed') THEN
    'JJD' || lpad(o.id::text, 12, '0') END
FROM (SELECT id, CASE WHEN id % 10 = 7 THEN 'cancelled'
    WHEN rk < 100 THEN 'draft' WHEN rk < 250 THEN 'confirmed'
    WHEN rk < 400 THEN 'in_production' WHEN rk < 500 THEN 'ready'
    WHEN rk < 800 THEN 'shipped' ELSE 'completed' END::sales_order_status
    AS st FROM (SELECT id, row_number() OVER (ORDER BY created_at DESC)
    AS rk FROM sales_orders) r) s
WHERE s.id = o.id AND s.st <> 'draft';

COMMIT;

-- Every move above rewrote its spool's row, a million times over 2,000
-- rows in a few dozen transactions, which leaves spools at about 130 MB.
-- In use one move is one transaction and page pruning and autovacuum keep
-- the table near its live size; rewriting it once puts the benchmark in
-- that state rather than measuring an artefact of the bulk load.
VACUUM FULL spools;
VACUUM ANALYZE;
