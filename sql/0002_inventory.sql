-- 0002_inventory.sql -- locations, vendors, filaments, spools, items and
-- the stock ledger through which every movement of stock goes.
--
-- Rules kept here, so that they hold for every writer:
--   * stock_moves is append-only: a mistake is corrected by a new
--     adjustment row, never by editing or deleting one.
--   * spools.remaining_g / reserved_g, item_stock.on_hand and
--     items.reserved are running balances kept by the ledger trigger in
--     the same transaction as the move; they always equal the sum of the
--     moves and cannot be written any other way.
--   * no balance is ever negative (CHECK constraints).

CREATE TYPE location_kind AS ENUM ('shelf', 'dry_box', 'printer', 'other');

CREATE TABLE locations (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL UNIQUE
			CHECK (length(name) BETWEEN 1 AND 100),
	kind		location_kind NOT NULL DEFAULT 'shelf',
	note		text CHECK (length(note) <= 1000),
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vendors (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL UNIQUE
			CHECK (length(name) BETWEEN 1 AND 100),
	website		text CHECK (length(website) <= 300),
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE filaments (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	vendor_id	bigint REFERENCES vendors (id),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	material	text NOT NULL CHECK (length(material) BETWEEN 1 AND 40),
	color_name	text CHECK (length(color_name) <= 100),
	color_hex	text CHECK (color_hex ~ '^#[0-9A-F]{6}$'),
	diameter_mm	numeric(5,3) NOT NULL DEFAULT 1.75
			CHECK (diameter_mm > 0),
	density		numeric(6,3) NOT NULL CHECK (density > 0),
	net_weight_g	numeric(12,3) NOT NULL DEFAULT 1000
			CHECK (net_weight_g > 0),
	spool_weight_g	numeric(12,3) CHECK (spool_weight_g >= 0),
	price_per_kg_cents bigint CHECK (price_per_kg_cents >= 0),
	currency	text NOT NULL DEFAULT 'EUR'
			CHECK (currency ~ '^[A-Z]{3}$'),
	extruder_temp	integer CHECK (extruder_temp BETWEEN 0 AND 600),
	bed_temp	integer CHECK (bed_temp BETWEEN 0 AND 200),
	article_number	text CHECK (length(article_number) <= 100),
	-- Low-stock threshold for this filament (grams on hand).
	low_stock_g	numeric(12,3) CHECK (low_stock_g >= 0),
	-- The catalogue product it was created from (one filament per product).
	catalog_id	text UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX filaments_vendor ON filaments (vendor_id);
CREATE INDEX filaments_material_color ON filaments (material, color_name);

-- Low-stock thresholds per material and colour ('' = any colour).
CREATE TABLE stock_thresholds (
	material	text NOT NULL CHECK (length(material) BETWEEN 1 AND 40),
	color_name	text NOT NULL DEFAULT '',
	min_g		numeric(12,3) NOT NULL CHECK (min_g >= 0),
	PRIMARY KEY (material, color_name)
);

-- A short code to write on a spool or scan: 6 characters of base32.
CREATE FUNCTION spool_new_code() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	abc	constant text := 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	c	text;
BEGIN
	LOOP
		c := '';
		FOR i IN 1..6 LOOP
			c := c || substr(abc, 1 + floor(random() * 32)::int, 1);
		END LOOP;
		EXIT WHEN NOT EXISTS (SELECT 1 FROM spools WHERE code = c);
	END LOOP;
	RETURN c;
END $$;

CREATE TABLE spools (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	code		text NOT NULL UNIQUE CHECK (code ~ '^[A-Z2-7]{6}$'),
	filament_id	bigint NOT NULL REFERENCES filaments (id),
	initial_weight_g numeric(12,3) NOT NULL CHECK (initial_weight_g > 0),
	spool_weight_g	numeric(12,3) NOT NULL DEFAULT 0
			CHECK (spool_weight_g >= 0),
	-- Running balances, written only by the ledger trigger.
	remaining_g	numeric(12,3) NOT NULL DEFAULT 0
			CONSTRAINT spools_remaining_not_negative
			CHECK (remaining_g >= 0),
	reserved_g	numeric(12,3) NOT NULL DEFAULT 0
			CHECK (reserved_g >= 0),
	location_id	bigint REFERENCES locations (id),
	lot		text CHECK (length(lot) <= 100),
	price_cents	bigint CHECK (price_cents >= 0),
	currency	text NOT NULL DEFAULT 'EUR'
			CHECK (currency ~ '^[A-Z]{3}$'),
	purchased_on	date,
	first_used_at	timestamptz,
	last_used_at	timestamptz,
	archived_at	timestamptz,
	note		text CHECK (length(note) <= 1000),
	created_at	timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE spools ALTER COLUMN code SET DEFAULT spool_new_code();
CREATE INDEX spools_filament ON spools (filament_id);
CREATE INDEX spools_location ON spools (location_id);

CREATE TABLE items (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL UNIQUE
			CHECK (length(name) BETWEEN 1 AND 200),
	unit		text NOT NULL DEFAULT 'pcs'
			CHECK (length(unit) BETWEEN 1 AND 20),
	sku		text CHECK (length(sku) <= 100),
	-- Moving average cost of one unit, in cents (fractions kept: a
	-- magnet can cost 1.7 cents); amounts derived from it are rounded
	-- to whole cents.
	unit_cost_cents	numeric(16,4) NOT NULL DEFAULT 0
			CHECK (unit_cost_cents >= 0),
	currency	text NOT NULL DEFAULT 'EUR'
			CHECK (currency ~ '^[A-Z]{3}$'),
	reserved	numeric(12,3) NOT NULL DEFAULT 0 CHECK (reserved >= 0),
	low_stock_qty	numeric(12,3) CHECK (low_stock_qty >= 0),
	note		text CHECK (length(note) <= 1000),
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- Units of an item on hand per location (NULL: no particular place).
CREATE TABLE item_stock (
	item_id		bigint NOT NULL REFERENCES items (id),
	location_id	bigint REFERENCES locations (id),
	on_hand		numeric(12,3) NOT NULL DEFAULT 0
			CONSTRAINT item_stock_not_negative CHECK (on_hand >= 0)
);
CREATE UNIQUE INDEX item_stock_place
	ON item_stock (item_id, (coalesce(location_id, 0)));

CREATE TYPE stock_move_kind AS ENUM ('receipt', 'consumption', 'adjustment',
    'transfer', 'reservation', 'release');

-- The stock ledger: one row per movement of a spool or an item.
CREATE TABLE stock_moves (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	kind		stock_move_kind NOT NULL,
	spool_id	bigint REFERENCES spools (id),
	item_id		bigint REFERENCES items (id),
	location_id	bigint REFERENCES locations (id),
	-- Change of the amount on hand (grams for spools, units for items).
	qty		numeric(12,3) NOT NULL DEFAULT 0,
	-- Change of the amount reserved.
	reserved_qty	numeric(12,3) NOT NULL DEFAULT 0,
	-- Item receipts: cost of one unit in cents.
	unit_cost_cents	numeric(16,4) CHECK (unit_cost_cents >= 0),
	-- Balance after this move (spool: remaining; item: at the location).
	balance		numeric(12,3),
	reason		text CHECK (length(reason) <= 500),
	ref_kind	text CHECK (length(ref_kind) <= 40),
	ref_id		bigint,
	actor_user_id	bigint REFERENCES users (id) ON DELETE SET NULL,
	actor		text NOT NULL DEFAULT 'system',
	CHECK ((spool_id IS NULL) <> (item_id IS NULL))
);
CREATE INDEX stock_moves_spool ON stock_moves (spool_id, id)
	WHERE spool_id IS NOT NULL;
CREATE INDEX stock_moves_item ON stock_moves (item_id, id)
	WHERE item_id IS NOT NULL;
CREATE INDEX stock_moves_consumption ON stock_moves (at)
	WHERE kind = 'consumption';

-- Applies a move to the balances before the row is stored.
CREATE FUNCTION stock_moves_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	total	numeric;
BEGIN
	IF NEW.spool_id IS NOT NULL THEN
		UPDATE spools SET remaining_g = remaining_g + NEW.qty,
		    reserved_g = reserved_g + NEW.reserved_qty,
		    first_used_at = CASE WHEN NEW.kind = 'consumption'
			THEN coalesce(first_used_at, NEW.at)
			ELSE first_used_at END,
		    last_used_at = CASE WHEN NEW.kind = 'consumption'
			THEN NEW.at ELSE last_used_at END
		    WHERE id = NEW.spool_id
		    RETURNING remaining_g INTO NEW.balance;
		RETURN NEW;
	END IF;
	-- Items: the item row serialises every move of that item.
	PERFORM 1 FROM items WHERE id = NEW.item_id FOR UPDATE;
	IF NEW.kind = 'receipt' AND NEW.qty > 0 AND
	    NEW.unit_cost_cents IS NOT NULL THEN
		SELECT coalesce(sum(on_hand), 0) INTO total FROM item_stock
		    WHERE item_id = NEW.item_id;
		UPDATE items SET unit_cost_cents = round((unit_cost_cents *
		    total + NEW.unit_cost_cents * NEW.qty) / (total + NEW.qty),
		    4) WHERE id = NEW.item_id;
	END IF;
	IF NEW.reserved_qty <> 0 THEN
		UPDATE items SET reserved = reserved + NEW.reserved_qty
		    WHERE id = NEW.item_id;
	END IF;
	-- Update first: a CHECK is tested on an INSERT's row even when
	-- ON CONFLICT would turn it into an update.  The item lock above
	-- keeps two first moves at one place from racing.
	IF NEW.qty <> 0 THEN
		UPDATE item_stock SET on_hand = on_hand + NEW.qty
		    WHERE item_id = NEW.item_id AND coalesce(location_id, 0) =
		    coalesce(NEW.location_id, 0)
		    RETURNING on_hand INTO NEW.balance;
		IF NOT FOUND THEN
			INSERT INTO item_stock (item_id, location_id, on_hand)
			    VALUES (NEW.item_id, NEW.location_id, NEW.qty)
			    RETURNING on_hand INTO NEW.balance;
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER stock_moves_apply BEFORE INSERT ON stock_moves
	FOR EACH ROW EXECUTE FUNCTION stock_moves_apply();

CREATE FUNCTION stock_moves_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	-- Removing a user clears the link to them and nothing else.
	IF TG_OP = 'UPDATE' AND NEW.actor_user_id IS NULL AND
	    (to_jsonb(NEW) - 'actor_user_id') =
	    (to_jsonb(OLD) - 'actor_user_id') THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'the stock ledger is append-only'
	    USING HINT = 'record a correction as an adjustment';
END $$;
CREATE TRIGGER stock_moves_append_only BEFORE UPDATE OR DELETE
	ON stock_moves FOR EACH ROW
	EXECUTE FUNCTION stock_moves_append_only();

-- Balances change only from inside the ledger trigger (depth 2).  Each
-- table's fields are read in their own IF: PL/pgSQL plans an expression
-- as a whole, and NEW of one table lacks the other tables' columns.
CREATE FUNCTION stock_balance_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF pg_trigger_depth() >= 2 THEN
		RETURN NEW;
	END IF;
	IF TG_TABLE_NAME = 'item_stock' THEN
		RAISE EXCEPTION 'item stock changes only through the stock '
		    'ledger';
	ELSIF TG_TABLE_NAME = 'items' THEN
		IF NEW.reserved <> OLD.reserved THEN
			RAISE EXCEPTION 'reservations change only through '
			    'the stock ledger';
		END IF;
	ELSIF TG_OP = 'INSERT' THEN
		IF NEW.remaining_g <> 0 OR NEW.reserved_g <> 0 THEN
			RAISE EXCEPTION 'a new spool starts empty; its '
			    'weight arrives as a receipt in the stock ledger';
		END IF;
	ELSE
		IF NEW.remaining_g <> OLD.remaining_g OR
		    NEW.reserved_g <> OLD.reserved_g THEN
			RAISE EXCEPTION 'the remaining weight of a spool '
			    'changes only through the stock ledger';
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER spools_balance_guard BEFORE INSERT OR UPDATE ON spools
	FOR EACH ROW EXECUTE FUNCTION stock_balance_guard();
CREATE TRIGGER items_balance_guard BEFORE UPDATE ON items
	FOR EACH ROW EXECUTE FUNCTION stock_balance_guard();
CREATE TRIGGER item_stock_balance_guard BEFORE INSERT OR UPDATE
	ON item_stock FOR EACH ROW EXECUTE FUNCTION stock_balance_guard();
