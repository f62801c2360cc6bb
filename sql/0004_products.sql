-- 0004_products.sql -- products, their print profiles (plates with the
-- filament per slot) and their bills of materials.
--
-- Rules kept here, so that they hold for every writer:
--   * a product's SKU is unique (case-insensitively) and its VAT rate is
--     one of the names in business_settings.vat_rates;
--   * a BOM line is exactly one of: filament (a filament, or a material
--     with an optional colour, with grams), item (with a quantity) or
--     sub-product (with a quantity);
--   * no product contains itself at any depth: a trigger walks the BOM
--     below a new sub-product line and refuses a cycle (SQLSTATE 23514);
--     BOM writers that add sub-products are serialised by an advisory
--     lock so two concurrent lines cannot close a cycle between them;
--   * a product used in another product's BOM cannot be deleted.

CREATE TABLE products (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	sku		text NOT NULL
			CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	description	text CHECK (length(description) <= 5000),
	-- sale price including VAT, minor units of the business currency
	price_gross_cents bigint NOT NULL DEFAULT 0
			CHECK (price_gross_cents BETWEEN 0 AND 100000000000),
	vat_rate	text NOT NULL DEFAULT 'standard'
			CHECK (length(vat_rate) BETWEEN 1 AND 40),
	-- hands-on work per unit (post-processing, packing)
	labour_minutes	integer NOT NULL DEFAULT 0
			CHECK (labour_minutes BETWEEN 0 AND 100000),
	active		boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX products_sku ON products (lower(sku));

CREATE FUNCTION products_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM business_settings s,
	    jsonb_array_elements(s.vat_rates) r
	    WHERE r->>'name' = NEW.vat_rate) THEN
		RAISE EXCEPTION 'no VAT rate is named "%"', NEW.vat_rate
		    USING ERRCODE = '23514', COLUMN = 'vat_rate',
		    HINT = 'use a rate name from the business settings';
	END IF;
	NEW.updated_at := now();
	RETURN NEW;
END $$;
CREATE TRIGGER products_check BEFORE INSERT OR UPDATE ON products
	FOR EACH ROW EXECUTE FUNCTION products_check();

-- ---- print profiles ----

CREATE TABLE product_plates (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	product_id	bigint NOT NULL REFERENCES products (id)
			ON DELETE CASCADE,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	-- the print file in the file store (all NULL: none uploaded)
	file_name	text CHECK (length(file_name) BETWEEN 1 AND 200),
	file_path	text CHECK (length(file_path) <= 500),
	file_sha256	text CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
	file_size	bigint CHECK (file_size >= 0),
	slicer		text CHECK (length(slicer) <= 40),
	print_seconds	integer NOT NULL DEFAULT 0
			CHECK (print_seconds BETWEEN 0 AND 31622400),
	-- 'gcode': read from the file's comments; 'manual': typed in
	time_source	text NOT NULL DEFAULT 'manual'
			CHECK (time_source IN ('gcode', 'manual')),
	units		integer NOT NULL DEFAULT 1
			CHECK (units BETWEEN 1 AND 10000),
	nozzle_mm	numeric(4,2) NOT NULL DEFAULT 0.4
			CHECK (nozzle_mm > 0 AND nozzle_mm <= 3),
	-- NULL: needed when a slot holds ABS, ASA, PC or PA
	enclosure_override boolean,
	min_x_mm	numeric(7,1) NOT NULL DEFAULT 0
			CHECK (min_x_mm BETWEEN 0 AND 10000),
	min_y_mm	numeric(7,1) NOT NULL DEFAULT 0
			CHECK (min_y_mm BETWEEN 0 AND 10000),
	min_z_mm	numeric(7,1) NOT NULL DEFAULT 0
			CHECK (min_z_mm BETWEEN 0 AND 10000),
	created_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((file_path IS NULL) = (file_sha256 IS NULL))
);
CREATE INDEX product_plates_product ON product_plates (product_id, id);

-- The filament of one slot (extruder or AMS slot) of a plate.
CREATE TABLE product_plate_slots (
	plate_id	bigint NOT NULL REFERENCES product_plates (id)
			ON DELETE CASCADE,
	slot		integer NOT NULL CHECK (slot BETWEEN 1 AND 16),
	material	text NOT NULL CHECK (length(material) BETWEEN 1 AND 40),
	color_name	text CHECK (length(color_name) BETWEEN 1 AND 100),
	grams		numeric(12,3) NOT NULL DEFAULT 0
			CHECK (grams BETWEEN 0 AND 1000000),
	grams_source	text NOT NULL DEFAULT 'manual'
			CHECK (grams_source IN ('gcode', 'manual')),
	PRIMARY KEY (plate_id, slot)
);

-- Does a material need a closed printer?  ABS, ASA, PC and PA (nylon)
-- and their blends (PA-CF, PC-ABS), not PCTG or PETG.
CREATE FUNCTION material_needs_enclosure(m text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT upper(m) ~ '^(ABS|ASA|PC|PA)([^A-Z]|$)'
$$;

CREATE FUNCTION plate_needs_enclosure(p_plate bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT enclosure_override FROM product_plates
	    WHERE id = p_plate), EXISTS (SELECT 1 FROM product_plate_slots
	    WHERE plate_id = p_plate AND material_needs_enclosure(material)))
$$;

-- ---- bills of materials ----

CREATE TABLE product_bom (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	product_id	bigint NOT NULL REFERENCES products (id)
			ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind IN ('filament', 'item',
			    'product')),
	filament_id	bigint REFERENCES filaments (id),
	material	text CHECK (length(material) BETWEEN 1 AND 40),
	color_name	text CHECK (length(color_name) BETWEEN 1 AND 100),
	grams		numeric(12,3) CHECK (grams > 0 AND grams <= 1000000),
	item_id		bigint REFERENCES items (id),
	component_id	bigint REFERENCES products (id),
	qty		numeric(12,3) CHECK (qty > 0 AND qty <= 1000000),
	note		text CHECK (length(note) <= 500),
	created_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT product_bom_shape CHECK (CASE kind
	    WHEN 'filament' THEN grams IS NOT NULL AND item_id IS NULL AND
		component_id IS NULL AND qty IS NULL AND
		((filament_id IS NULL) <> (material IS NULL)) AND
		(color_name IS NULL OR material IS NOT NULL)
	    WHEN 'item' THEN item_id IS NOT NULL AND qty IS NOT NULL AND
		filament_id IS NULL AND material IS NULL AND
		color_name IS NULL AND grams IS NULL AND component_id IS NULL
	    ELSE component_id IS NOT NULL AND qty IS NOT NULL AND
		filament_id IS NULL AND material IS NULL AND
		color_name IS NULL AND grams IS NULL AND item_id IS NULL
	    END)
);
CREATE INDEX product_bom_product ON product_bom (product_id, id);
CREATE INDEX product_bom_component ON product_bom (component_id)
	WHERE component_id IS NOT NULL;
CREATE INDEX product_bom_item ON product_bom (item_id)
	WHERE item_id IS NOT NULL;
CREATE INDEX product_bom_filament ON product_bom (filament_id)
	WHERE filament_id IS NOT NULL;

-- Refuses a sub-product line that would make a product contain itself.
CREATE FUNCTION product_bom_no_cycle() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	name_of	text;
BEGIN
	IF NEW.component_id IS NULL THEN
		RETURN NEW;
	END IF;
	-- One writer of sub-product lines at a time (any product).
	PERFORM pg_advisory_xact_lock(7265837);
	IF NEW.component_id = NEW.product_id OR EXISTS (
	    WITH RECURSIVE below (id) AS (
		SELECT NEW.component_id
		UNION
		SELECT b.component_id FROM product_bom b
		    JOIN below ON b.product_id = below.id
		    WHERE b.component_id IS NOT NULL AND b.id IS DISTINCT
		    FROM NEW.id)
	    SELECT 1 FROM below WHERE id = NEW.product_id) THEN
		SELECT sku INTO name_of FROM products
		    WHERE id = NEW.component_id;
		RAISE EXCEPTION 'BOM line with sub-product % (%) makes product % contain itself',
		    NEW.component_id, name_of, NEW.product_id
		    USING ERRCODE = '23514', COLUMN = 'component_id',
		    HINT = 'a product cannot contain itself at any depth';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER product_bom_no_cycle BEFORE INSERT OR UPDATE ON product_bom
	FOR EACH ROW EXECUTE FUNCTION product_bom_no_cycle();
