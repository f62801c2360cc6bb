-- 0005_orders.sql -- sales orders and their lines, production orders with
-- their material requirements, and print jobs.
--
-- Rules kept here, so that they hold for every writer:
--   * document numbers (SO-…, PO-…) come from next_document_number() in
--     the transaction that stores the document: no gaps;
--   * an order's external id is unique per source (Etsy receipt, quote);
--   * an order's lines change only while it is a draft;
--   * reservations for a production order are ledger rows whose ref is
--     the requirement ('production_requirement', id), so what is reserved
--     for a requirement is always the sum of its ledger rows;
--   * a customer with orders cannot be deleted (customer_has_documents),
--     and anonymising a customer clears the shipping addresses of their
--     orders while the amounts, numbers and dates stay.
-- Which status may follow which is decided in one place, in C
-- (src/domain/orders.c); totals are computed there too.

CREATE TYPE sales_order_status AS ENUM ('draft', 'confirmed',
    'in_production', 'ready', 'shipped', 'completed', 'cancelled');
CREATE TYPE production_status AS ENUM ('planned', 'in_progress', 'done',
    'cancelled');
CREATE TYPE print_job_status AS ENUM ('queued', 'started', 'completed',
    'failed', 'cancelled');

CREATE TABLE sales_orders (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	number		text NOT NULL UNIQUE
			CHECK (number ~ '^SO-[0-9]{4}-[0-9]{5,}$'),
	customer_id	bigint NOT NULL REFERENCES customers (id),
	source		customer_source NOT NULL DEFAULT 'manual',
	external_id	text CHECK (length(external_id) BETWEEN 1 AND 100),
	status		sales_order_status NOT NULL DEFAULT 'draft',
	currency	text NOT NULL REFERENCES currencies (code),
	-- unit prices include VAT (shops) or not (business customers)
	prices_include_vat boolean NOT NULL DEFAULT true,
	order_date	date NOT NULL,
	due_date	date,
	ship_name	text CHECK (length(ship_name) BETWEEN 1 AND 200),
	ship_street	text CHECK (length(ship_street) BETWEEN 1 AND 200),
	ship_postal_code text CHECK (length(ship_postal_code) BETWEEN 1 AND 16),
	ship_city	text CHECK (length(ship_city) BETWEEN 1 AND 100),
	ship_country	text REFERENCES countries (code),
	carrier		text CHECK (length(carrier) BETWEEN 1 AND 60),
	tracking_number	text CHECK (length(tracking_number) BETWEEN 1 AND 100),
	notes		text CHECK (length(notes) BETWEEN 1 AND 4000),
	-- written with the lines by orders_totals() (src/domain/orders.c)
	net_cents	bigint NOT NULL DEFAULT 0,
	vat_cents	bigint NOT NULL DEFAULT 0,
	gross_cents	bigint NOT NULL DEFAULT 0,
	vat_breakdown	jsonb NOT NULL DEFAULT '[]',
	line_count	integer NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	confirmed_at	timestamptz,
	in_production_at timestamptz,
	ready_at	timestamptz,
	shipped_at	timestamptz,
	completed_at	timestamptz,
	cancelled_at	timestamptz,
	CHECK (due_date IS NULL OR due_date >= order_date)
);
CREATE UNIQUE INDEX sales_orders_source_external ON sales_orders (source,
	external_id) WHERE external_id IS NOT NULL;
CREATE INDEX sales_orders_created ON sales_orders (created_at DESC, id DESC);
CREATE INDEX sales_orders_status ON sales_orders (status, created_at DESC);
CREATE INDEX sales_orders_customer ON sales_orders (customer_id);

-- How many orders are in each status, kept by a trigger, so that a list's
-- total costs a lookup of seven rows instead of a count of every order.
CREATE TABLE sales_order_counts (
	status		sales_order_status PRIMARY KEY,
	n		bigint NOT NULL DEFAULT 0 CHECK (n >= 0)
);
INSERT INTO sales_order_counts (status)
	SELECT unnest(enum_range(NULL::sales_order_status));

CREATE FUNCTION sales_order_counts_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.status = OLD.status THEN
		RETURN NULL;
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE sales_order_counts SET n = n - 1
		    WHERE status = OLD.status;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE sales_order_counts SET n = n + 1
		    WHERE status = NEW.status;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER sales_order_counts_keep AFTER INSERT OR DELETE OR
	UPDATE OF status ON sales_orders FOR EACH ROW
	EXECUTE FUNCTION sales_order_counts_keep();

CREATE TABLE sales_order_lines (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	order_id	bigint NOT NULL REFERENCES sales_orders (id)
			ON DELETE CASCADE,
	position	integer NOT NULL CHECK (position BETWEEN 1 AND 1000),
	-- NULL: a line without a product (shipping, a service)
	product_id	bigint REFERENCES products (id),
	sku		text CHECK (length(sku) <= 64),
	description	text NOT NULL
			CHECK (length(description) BETWEEN 1 AND 500),
	quantity	integer NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
	unit_price_cents bigint NOT NULL
			CHECK (unit_price_cents BETWEEN 0 AND 100000000000),
	vat_rate	text NOT NULL CHECK (length(vat_rate) BETWEEN 1 AND 40),
	vat_bp		integer NOT NULL CHECK (vat_bp BETWEEN 0 AND 10000),
	discount_bp	integer NOT NULL DEFAULT 0
			CHECK (discount_bp BETWEEN 0 AND 10000),
	-- quantity x unit price less discount, rounded (orders_totals)
	amount_cents	bigint NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sales_order_lines_order ON sales_order_lines (order_id,
	position);
CREATE INDEX sales_order_lines_product ON sales_order_lines (product_id);

-- Lines belong to drafts: a confirmed order's lines are what was sold.
CREATE FUNCTION sales_order_lines_draft_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	st	sales_order_status;
	oid	bigint;
BEGIN
	oid := CASE WHEN TG_OP = 'DELETE' THEN OLD.order_id
	    ELSE NEW.order_id END;
	SELECT status INTO st FROM sales_orders WHERE id = oid;
	-- the order itself is being deleted (cascade): let it go
	IF NOT FOUND THEN
		RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	END IF;
	-- totals are written back to the line after the amounts change
	IF TG_OP = 'UPDATE' AND st <> 'draft' AND
	    (to_jsonb(NEW) - 'amount_cents') = (to_jsonb(OLD) -
	    'amount_cents') THEN
		RETURN NEW;
	END IF;
	IF st <> 'draft' THEN
		RAISE EXCEPTION 'the lines of a % order cannot change', st
		    USING HINT = 'only a draft order''s lines can be edited';
	END IF;
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER sales_order_lines_draft_only BEFORE INSERT OR UPDATE OR
	DELETE ON sales_order_lines FOR EACH ROW
	EXECUTE FUNCTION sales_order_lines_draft_only();

CREATE FUNCTION sales_orders_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END $$;
CREATE TRIGGER sales_orders_touch BEFORE UPDATE ON sales_orders
	FOR EACH ROW EXECUTE FUNCTION sales_orders_touch();

-- ---- production ----

CREATE TABLE production_orders (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	number		text NOT NULL UNIQUE
			CHECK (number ~ '^PO-[0-9]{4}-[0-9]{5,}$'),
	sales_order_id	bigint NOT NULL REFERENCES sales_orders (id),
	line_id		bigint NOT NULL UNIQUE
			REFERENCES sales_order_lines (id),
	product_id	bigint NOT NULL REFERENCES products (id),
	quantity	integer NOT NULL CHECK (quantity > 0),
	status		production_status NOT NULL DEFAULT 'planned',
	created_at	timestamptz NOT NULL DEFAULT now(),
	started_at	timestamptz,
	done_at		timestamptz,
	cancelled_at	timestamptz
);
CREATE INDEX production_orders_order ON production_orders (sales_order_id);
CREATE INDEX production_orders_status ON production_orders (status, id);

-- What a production order needs: grams of a filament (a specific one,
-- or a material with an optional colour) or units of an item.
CREATE TABLE production_requirements (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	production_order_id bigint NOT NULL REFERENCES production_orders (id),
	kind		text NOT NULL CHECK (kind IN ('filament', 'item')),
	filament_id	bigint REFERENCES filaments (id),
	material	text,
	color_name	text,
	item_id		bigint REFERENCES items (id),
	qty		numeric(12,3) NOT NULL CHECK (qty > 0),
	CHECK (CASE kind WHEN 'item' THEN item_id IS NOT NULL
	    ELSE item_id IS NULL AND (filament_id IS NOT NULL OR
	    material IS NOT NULL) END)
);
CREATE INDEX production_requirements_po ON production_requirements
	(production_order_id);

CREATE TABLE print_jobs (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	production_order_id bigint NOT NULL REFERENCES production_orders (id),
	product_id	bigint NOT NULL REFERENCES products (id),
	-- the plate printed (kept as a copy should the plate be removed)
	plate_id	bigint REFERENCES product_plates (id) ON DELETE SET NULL,
	plate_name	text NOT NULL,
	file_sha256	text,
	seq		integer NOT NULL CHECK (seq > 0),
	units		integer NOT NULL CHECK (units > 0),
	status		print_job_status NOT NULL DEFAULT 'queued',
	priority	integer NOT NULL DEFAULT 0
			CHECK (priority BETWEEN -100 AND 100),
	-- printer it runs on (printers arrive with telemetry)
	printer_id	bigint,
	scheduled_start	timestamptz,
	nozzle_mm	numeric(4,2),
	needs_enclosure	boolean NOT NULL DEFAULT false,
	est_seconds	integer NOT NULL DEFAULT 0 CHECK (est_seconds >= 0),
	est_grams	numeric(12,3) NOT NULL DEFAULT 0,
	actual_seconds	integer CHECK (actual_seconds >= 0),
	actual_grams	numeric(12,3),
	started_at	timestamptz,
	ended_at	timestamptz,
	failure_reason	text CHECK (length(failure_reason) BETWEEN 1 AND 500),
	wasted_grams	numeric(12,3),
	replaces_job_id	bigint REFERENCES print_jobs (id),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX print_jobs_po ON print_jobs (production_order_id, seq);
CREATE INDEX print_jobs_queue ON print_jobs (priority DESC, id)
	WHERE status = 'queued';
CREATE INDEX print_jobs_status ON print_jobs (status, id);

-- The filament of one slot of a job: estimated grams, then the spool it
-- came from and the grams used.
CREATE TABLE print_job_slots (
	job_id		bigint NOT NULL REFERENCES print_jobs (id)
			ON DELETE CASCADE,
	slot		integer NOT NULL CHECK (slot BETWEEN 1 AND 16),
	material	text NOT NULL,
	color_name	text,
	est_grams	numeric(12,3) NOT NULL DEFAULT 0,
	spool_id	bigint REFERENCES spools (id),
	used_grams	numeric(12,3),
	PRIMARY KEY (job_id, slot)
);

CREATE TRIGGER print_jobs_touch BEFORE UPDATE ON print_jobs
	FOR EACH ROW EXECUTE FUNCTION sales_orders_touch();

-- What the ledger holds for a production requirement or a print job.
CREATE INDEX stock_moves_ref ON stock_moves (ref_kind, ref_id)
	WHERE ref_id IS NOT NULL;

-- Does a spool hold the filament a requirement asks for?
CREATE FUNCTION requirement_matches(r production_requirements,
    f filaments) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN r.filament_id IS NOT NULL THEN r.filament_id = f.id
	    ELSE lower(f.material) = lower(r.material) AND
	    (r.color_name IS NULL OR lower(f.color_name) = lower(r.color_name))
	    END
$$;

-- Reserves what a requirement still lacks from the spools (opened ones
-- first, then the smallest) or the item's free stock.  Returns the
-- amount reserved now.
CREATE FUNCTION production_reserve(p_req bigint, p_user bigint,
    p_actor text) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
	r	production_requirements;
	s	record;
	have	numeric;
	need	numeric;
	free	numeric;
	take	numeric;
	total	numeric := 0;
BEGIN
	SELECT * INTO r FROM production_requirements WHERE id = p_req;
	SELECT coalesce(sum(reserved_qty), 0) INTO have FROM stock_moves
	    WHERE ref_kind = 'production_requirement' AND ref_id = p_req;
	need := r.qty - have;
	IF need <= 0 THEN
		RETURN 0;
	END IF;
	IF r.kind = 'item' THEN
		PERFORM 1 FROM items WHERE id = r.item_id FOR UPDATE;
		SELECT coalesce((SELECT sum(on_hand) FROM item_stock
		    WHERE item_id = i.id), 0) - i.reserved INTO free
		    FROM items i WHERE i.id = r.item_id;
		take := least(need, greatest(free, 0));
		IF take > 0 THEN
			INSERT INTO stock_moves (kind, item_id, reserved_qty,
			    reason, ref_kind, ref_id, actor_user_id, actor)
			    VALUES ('reservation', r.item_id, take,
			    'production', 'production_requirement', p_req,
			    p_user, p_actor);
		END IF;
		RETURN take;
	END IF;
	FOR s IN SELECT sp.id FROM spools sp JOIN filaments f ON
	    f.id = sp.filament_id WHERE sp.archived_at IS NULL AND
	    requirement_matches(r, f) AND sp.remaining_g > sp.reserved_g
	    ORDER BY sp.first_used_at IS NULL, sp.remaining_g - sp.reserved_g,
	    sp.id FOR UPDATE OF sp LOOP
		EXIT WHEN need <= 0;
		SELECT remaining_g - reserved_g INTO free FROM spools
		    WHERE id = s.id;
		take := least(need, free);
		CONTINUE WHEN take <= 0;
		INSERT INTO stock_moves (kind, spool_id, reserved_qty, reason,
		    ref_kind, ref_id, actor_user_id, actor)
		    VALUES ('reservation', s.id, take, 'production',
		    'production_requirement', p_req, p_user, p_actor);
		need := need - take;
		total := total + take;
	END LOOP;
	RETURN total;
END $$;

-- Gives back up to p_qty (NULL: all) of a requirement's reservation,
-- from p_spool first when given.  Returns the amount released.
CREATE FUNCTION production_release(p_req bigint, p_qty numeric,
    p_spool bigint, p_user bigint, p_actor text) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
	h	record;
	left_	numeric := p_qty;
	take	numeric;
	total	numeric := 0;
BEGIN
	FOR h IN SELECT spool_id, item_id, sum(reserved_qty) AS held
	    FROM stock_moves WHERE ref_kind = 'production_requirement' AND
	    ref_id = p_req GROUP BY spool_id, item_id
	    HAVING sum(reserved_qty) > 0
	    ORDER BY spool_id IS DISTINCT FROM p_spool, spool_id, item_id LOOP
		EXIT WHEN left_ IS NOT NULL AND left_ <= 0;
		take := CASE WHEN left_ IS NULL THEN h.held
		    ELSE least(h.held, left_) END;
		IF h.spool_id IS NOT NULL THEN
			PERFORM 1 FROM spools WHERE id = h.spool_id FOR UPDATE;
		END IF;
		INSERT INTO stock_moves (kind, spool_id, item_id, reserved_qty,
		    reason, ref_kind, ref_id, actor_user_id, actor)
		    VALUES ('release', h.spool_id, h.item_id, -take,
		    'production', 'production_requirement', p_req, p_user,
		    p_actor);
		left_ := left_ - take;
		total := total + take;
	END LOOP;
	RETURN total;
END $$;

-- A finished production order takes its items out of stock: releases
-- each item requirement's reservation and consumes the required units,
-- from the places holding most first (as many as are there).  Returns
-- the units consumed.
CREATE FUNCTION production_take_items(p_po bigint, p_user bigint,
    p_actor text) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
	r	record;
	st	record;
	need	numeric;
	take	numeric;
	total	numeric := 0;
BEGIN
	FOR r IN SELECT * FROM production_requirements
	    WHERE production_order_id = p_po AND kind = 'item' ORDER BY id LOOP
		PERFORM production_release(r.id, NULL, NULL, p_user, p_actor);
		need := r.qty;
		FOR st IN SELECT location_id, on_hand FROM item_stock
		    WHERE item_id = r.item_id AND on_hand > 0
		    ORDER BY on_hand DESC, location_id NULLS FIRST LOOP
			EXIT WHEN need <= 0;
			take := least(need, st.on_hand);
			INSERT INTO stock_moves (kind, item_id, location_id, qty,
			    reason, ref_kind, ref_id, actor_user_id, actor)
			    VALUES ('consumption', r.item_id, st.location_id,
			    -take, 'production', 'production_order', p_po,
			    p_user, p_actor);
			need := need - take;
			total := total + take;
		END LOOP;
	END LOOP;
	RETURN total;
END $$;

-- Plans production for every line of a confirmed order whose product
-- (or a sub-product) has print plates: a production order per line,
-- its requirements (BOM filament lines, else the plates' slots; BOM
-- items), reservations, and print jobs -- one per plate and run,
-- ceil(units needed / units per plate) runs.  Returns the number of
-- production orders made.
CREATE FUNCTION production_plan(p_order bigint, p_user bigint,
    p_actor text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	l	record;
	n	record;
	pl	record;
	po	bigint;
	made	integer := 0;
	runs	integer;
	need	numeric;
	seq	integer;
	job	bigint;
	rq	record;
BEGIN
	FOR l IN SELECT * FROM sales_order_lines WHERE order_id = p_order
	    AND product_id IS NOT NULL ORDER BY position, id LOOP
		IF to_regclass('pg_temp.plan_tree') IS NULL THEN
			CREATE TEMP TABLE plan_tree (product_id bigint,
			    mult numeric) ON COMMIT DROP;
			CREATE TEMP TABLE plan_need (filament_id bigint,
			    material text, color_name text, item_id bigint,
			    qty numeric) ON COMMIT DROP;
		END IF;
		TRUNCATE plan_tree;
		INSERT INTO plan_tree
		    WITH RECURSIVE tree (product_id, mult, depth, path) AS (
			SELECT l.product_id, 1::numeric, 0, ARRAY[l.product_id]
			UNION ALL
			SELECT b.component_id, t.mult * b.qty, t.depth + 1,
			    t.path || b.component_id
			    FROM tree t JOIN product_bom b ON
			    b.product_id = t.product_id AND b.kind = 'product'
			    WHERE t.depth < 16 AND
			    NOT b.component_id = ANY (t.path))
		    SELECT product_id, mult FROM tree;
		CONTINUE WHEN NOT EXISTS (SELECT 1 FROM plan_tree t JOIN
		    product_plates p ON p.product_id = t.product_id);
		INSERT INTO production_orders (number, sales_order_id, line_id,
		    product_id, quantity)
		    VALUES (next_document_number('PO', now()), p_order, l.id,
		    l.product_id, l.quantity) RETURNING id INTO po;
		made := made + 1;
		seq := 0;
		TRUNCATE plan_need;
		FOR n IN SELECT product_id, mult FROM plan_tree LOOP
			FOR pl IN SELECT * FROM product_plates WHERE
			    product_id = n.product_id ORDER BY id LOOP
				need := l.quantity * n.mult;
				runs := ceil(need / pl.units)::integer;
				FOR i IN 1..runs LOOP
					seq := seq + 1;
					INSERT INTO print_jobs (
					    production_order_id, product_id,
					    plate_id, plate_name, file_sha256,
					    seq, units, nozzle_mm,
					    needs_enclosure, est_seconds,
					    est_grams)
					    VALUES (po, n.product_id, pl.id,
					    pl.name, pl.file_sha256, seq,
					    least(pl.units, ceil(need -
					    (i - 1) * pl.units)::integer),
					    pl.nozzle_mm,
					    plate_needs_enclosure(pl.id),
					    pl.print_seconds, coalesce((SELECT
					    sum(grams) FROM product_plate_slots
					    WHERE plate_id = pl.id), 0))
					    RETURNING id INTO job;
					INSERT INTO print_job_slots (job_id,
					    slot, material, color_name,
					    est_grams)
					    SELECT job, slot, material,
					    color_name, grams FROM
					    product_plate_slots WHERE
					    plate_id = pl.id;
				END LOOP;
				-- filament from the plates unless the BOM
				-- names it
				IF NOT EXISTS (SELECT 1 FROM product_bom WHERE
				    product_id = n.product_id AND
				    kind = 'filament') THEN
					INSERT INTO plan_need (material,
					    color_name, qty)
					    SELECT material, color_name,
					    grams * runs FROM
					    product_plate_slots WHERE
					    plate_id = pl.id AND grams > 0;
				END IF;
			END LOOP;
			INSERT INTO plan_need (filament_id, material,
			    color_name, item_id, qty)
			    SELECT filament_id, CASE WHEN filament_id IS NULL
			    THEN material END, CASE WHEN filament_id IS NULL
			    THEN color_name END, item_id, coalesce(grams, qty) *
			    l.quantity * n.mult FROM product_bom WHERE
			    product_id = n.product_id AND kind IN ('filament',
			    'item');
		END LOOP;
		FOR rq IN SELECT filament_id, min(material) AS material,
		    min(color_name) AS color_name, item_id,
		    round(sum(qty), 3) AS qty FROM plan_need
		    GROUP BY filament_id, lower(material),
		    lower(coalesce(color_name, '')), item_id
		    HAVING round(sum(qty), 3) > 0
		    ORDER BY item_id NULLS FIRST, filament_id, 2, 3 LOOP
			WITH made_req AS (
				INSERT INTO production_requirements (
				    production_order_id, kind, filament_id,
				    material, color_name, item_id, qty)
				    VALUES (po, CASE WHEN rq.item_id IS NULL
				    THEN 'filament' ELSE 'item' END,
				    rq.filament_id, rq.material,
				    rq.color_name, rq.item_id, rq.qty)
				    RETURNING id)
			SELECT production_reserve(id, p_user, p_actor)
			    INTO need FROM made_req;
		END LOOP;
	END LOOP;
	RETURN made;
END $$;

-- A customer with orders keeps their row (anonymise instead).
CREATE OR REPLACE FUNCTION customer_has_documents(p_id bigint)
RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM sales_orders WHERE customer_id = p_id)
$$;

-- The personal fields of an order (and of its audit rows).
CREATE FUNCTION order_personal_fields() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['customer_name', 'ship_name', 'ship_street',
	    'ship_postal_code', 'ship_city', 'notes', 'tracking_number']
$$;

-- Anonymising a customer clears where their orders were sent.
CREATE FUNCTION customers_anonymise_orders() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE sales_orders SET ship_name = NULL, ship_street = NULL,
	    ship_postal_code = NULL, ship_city = NULL, notes = NULL,
	    tracking_number = NULL WHERE customer_id = NEW.id;
	UPDATE audit_log SET before = before - order_personal_fields(),
	    after = after - order_personal_fields()
	    WHERE entity = 'order' AND entity_id IN (SELECT id::text FROM
	    sales_orders WHERE customer_id = NEW.id);
	RETURN NEW;
END $$;
CREATE TRIGGER customers_anonymise_orders AFTER UPDATE OF anonymised_at
	ON customers FOR EACH ROW
	WHEN (OLD.anonymised_at IS NULL AND NEW.anonymised_at IS NOT NULL)
	EXECUTE FUNCTION customers_anonymise_orders();

-- Every ledger move rewrites its spool's row; room on each page keeps
-- those rewrites on the page (HOT updates), so the table stays small.
ALTER TABLE spools SET (fillfactor = 70);
