-- 0010_quotes.sql -- instant quotes: what the shop charges for printing a
-- customer's own files, the quotes with their parts, and what became of
-- them.
--
-- Rules kept here, so that they hold for every writer:
--   * one row of quote_settings holds the pricing that is not per
--     material (machine rate, setup fee, handling minutes, minimum order,
--     quantity tiers, validity, rounding, quality presets); labour rate,
--     overhead, target margin and VAT come from business_settings;
--   * quote_materials are the materials a customer may pick, with cost,
--     density and markup; colours are the filaments of that material;
--   * a quote's number is Q-YYYY-NNNNN from next_document_number() in the
--     transaction that stores the quote; its token is random and the only
--     key the public routes take;
--   * states move draft -> sent -> accepted -> converted, and draft or
--     sent -> expired or rejected; converted quotes name their sales
--     order and every part its product; nothing else changes a converted
--     quote's parts (quote_parts_frozen).
--   * money is minor units of the currency; the numbers a part was priced
--     with (grams, minutes, each cost line) are stored with it, so a
--     quote shows what it said even after the settings change.

CREATE TABLE quote_settings (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	-- machine time per hour of printing
	machine_rate_cents bigint NOT NULL DEFAULT 250
			CHECK (machine_rate_cents BETWEEN 0 AND 100000000),
	-- once per part (file preparation, first-layer check)
	setup_fee_cents	bigint NOT NULL DEFAULT 300
			CHECK (setup_fee_cents BETWEEN 0 AND 100000000),
	-- hands-on minutes per printed piece (removal, cleanup, packing)
	handling_minutes numeric(6,2) NOT NULL DEFAULT 3
			CHECK (handling_minutes BETWEEN 0 AND 1000),
	minimum_order_cents bigint NOT NULL DEFAULT 1500
			CHECK (minimum_order_cents BETWEEN 0 AND 100000000),
	-- a piece's net price is rounded up to a multiple of this
	rounding_cents	integer NOT NULL DEFAULT 10
			CHECK (rounding_cents BETWEEN 1 AND 10000),
	validity_days	integer NOT NULL DEFAULT 30
			CHECK (validity_days BETWEEN 1 AND 365),
	-- [{"min_qty": 10, "discount_bp": 500}, ...] ascending
	quantity_tiers	jsonb NOT NULL DEFAULT
			'[{"min_qty": 10, "discount_bp": 500},
			  {"min_qty": 50, "discount_bp": 1000}]'
			CHECK (jsonb_typeof(quantity_tiers) = 'array' AND
			    jsonb_array_length(quantity_tiers) <= 8),
	-- [{"name": "standard", "layer_mm": 0.2}, ...]
	qualities	jsonb NOT NULL DEFAULT
			'[{"name": "draft", "layer_mm": 0.28},
			  {"name": "standard", "layer_mm": 0.2},
			  {"name": "fine", "layer_mm": 0.12}]'
			CHECK (jsonb_typeof(qualities) = 'array' AND
			    jsonb_array_length(qualities) BETWEEN 1 AND 8),
	default_quality	text NOT NULL DEFAULT 'standard',
	default_infill_pct integer NOT NULL DEFAULT 15
			CHECK (default_infill_pct BETWEEN 0 AND 100),
	-- the largest build volume of the farm's printer classes, mm
	build_x_mm	integer NOT NULL DEFAULT 256
			CHECK (build_x_mm BETWEEN 10 AND 5000),
	build_y_mm	integer NOT NULL DEFAULT 256
			CHECK (build_y_mm BETWEEN 10 AND 5000),
	build_z_mm	integer NOT NULL DEFAULT 256
			CHECK (build_z_mm BETWEEN 10 AND 5000),
	terms		text NOT NULL DEFAULT
			'Prices include the material, printing and '
			'handling of each piece.  Colours may vary slightly '
			'between batches.'
			CHECK (length(terms) <= 4000),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO quote_settings DEFAULT VALUES;

CREATE TABLE quote_materials (
	material	text PRIMARY KEY
			CHECK (material ~ '^[A-Z0-9][A-Z0-9+-]{0,19}$'),
	label		text NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
	cost_per_kg_cents bigint NOT NULL
			CHECK (cost_per_kg_cents BETWEEN 0 AND 10000000),
	density		numeric(5,3) NOT NULL CHECK (density BETWEEN 0.5 AND 3),
	markup_bp	integer NOT NULL DEFAULT 0
			CHECK (markup_bp BETWEEN 0 AND 100000),
	position	integer NOT NULL DEFAULT 0,
	active		boolean NOT NULL DEFAULT true
);
INSERT INTO quote_materials (material, label, cost_per_kg_cents, density,
    markup_bp, position) VALUES
	('PLA', 'PLA (matte, most colours)', 2200, 1.24, 5000, 1),
	('PETG', 'PETG (tough, heat resistant to 70 °C)', 2400, 1.27, 5000, 2),
	('ABS', 'ABS (heat resistant to 90 °C)', 2500, 1.04, 6000, 3),
	('TPU', 'TPU (flexible)', 3500, 1.21, 8000, 4);

CREATE TYPE quote_status AS ENUM ('draft', 'sent', 'accepted', 'converted',
	'expired', 'rejected');

CREATE TABLE quotes (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	number		text NOT NULL UNIQUE
			CHECK (number ~ '^Q-[0-9]{4}-[0-9]{5,}$'),
	token		text NOT NULL UNIQUE
			CHECK (token ~ '^[A-Za-z0-9_-]{32,64}$'),
	status		quote_status NOT NULL DEFAULT 'draft',
	currency	text NOT NULL REFERENCES currencies (code),
	valid_until	date NOT NULL,
	-- parts that a person must look at before the price holds
	review_required	boolean NOT NULL DEFAULT false,
	review_reasons	jsonb NOT NULL DEFAULT '[]',
	-- staff asked for a review whatever the parts say / looked already
	review_manual	boolean NOT NULL DEFAULT false,
	reviewed_at	timestamptz,
	-- 'business': priced net (a valid VAT ID); 'consumer': gross
	customer_kind	text NOT NULL DEFAULT 'consumer'
			CHECK (customer_kind IN ('consumer', 'business')),
	-- what acceptance said: name, email, addresses, VAT ID
	contact		jsonb,
	customer_id	bigint REFERENCES customers (id),
	sales_order_id	bigint UNIQUE REFERENCES sales_orders (id),
	-- the totals and their lines (material, machine, labour, setup,
	-- overhead, margin, discount, minimum, VAT), adding up to gross
	net_cents	bigint NOT NULL DEFAULT 0,
	vat_cents	bigint NOT NULL DEFAULT 0,
	gross_cents	bigint NOT NULL DEFAULT 0,
	breakdown	jsonb NOT NULL DEFAULT '{}',
	note		text CHECK (length(note) <= 2000),
	created_ip	text CHECK (length(created_ip) <= 64),
	sent_at		timestamptz,
	accepted_at	timestamptz,
	converted_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK ((status = 'converted') = (sales_order_id IS NOT NULL))
);
CREATE INDEX quotes_status ON quotes (status, created_at DESC);

CREATE TABLE quote_parts (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	quote_id	bigint NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
	position	integer NOT NULL CHECK (position BETWEEN 1 AND 100),
	-- the upload: stored under a random name, typed by its content
	file_name	text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 200),
	file_kind	text NOT NULL CHECK (file_kind IN ('stl', '3mf', 'obj')),
	file_path	text NOT NULL CHECK (length(file_path) <= 500),
	file_sha256	text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
	file_size	bigint NOT NULL CHECK (file_size >= 0),
	-- a 3MF's object, else the file's name
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	mesh		jsonb NOT NULL,		-- mesh_stats, mm
	warnings	jsonb NOT NULL DEFAULT '[]',
	-- what the slicer that made a 3MF said, when it did
	slicer_seconds	integer CHECK (slicer_seconds >= 0),
	slicer_grams	numeric(12,3) CHECK (slicer_grams >= 0),
	-- the customer's choices
	material	text NOT NULL REFERENCES quote_materials (material),
	color_name	text CHECK (length(color_name) BETWEEN 1 AND 100),
	quality		text NOT NULL CHECK (length(quality) BETWEEN 1 AND 40),
	layer_mm	numeric(4,2) NOT NULL CHECK (layer_mm BETWEEN 0.04 AND 1),
	infill_pct	integer NOT NULL CHECK (infill_pct BETWEEN 0 AND 100),
	quantity	integer NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
	-- the estimate per piece and where it came from
	grams		numeric(12,3) NOT NULL CHECK (grams >= 0),
	minutes		numeric(12,2) NOT NULL CHECK (minutes >= 0),
	method		text NOT NULL CHECK (method IN ('estimate', 'slicer_file',
			    'sliced')),
	-- the price lines of this part (all pieces), and a staff override
	price		jsonb NOT NULL DEFAULT '{}',
	unit_cents	bigint NOT NULL DEFAULT 0 CHECK (unit_cents >= 0),
	override_unit_cents bigint CHECK (override_unit_cents BETWEEN 0 AND
			    100000000000),
	product_id	bigint REFERENCES products (id),
	UNIQUE (quote_id, position)
);

CREATE FUNCTION quote_parts_frozen() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM quotes WHERE id = OLD.quote_id AND
	    status IN ('converted', 'rejected', 'expired')) AND
	    (TG_OP = 'DELETE' OR NEW.product_id IS NOT DISTINCT FROM
	    OLD.product_id) THEN
		RAISE EXCEPTION 'the parts of a % quote do not change',
		    (SELECT status FROM quotes WHERE id = OLD.quote_id)
		    USING ERRCODE = '55000';
	END IF;
	RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER quote_parts_frozen BEFORE UPDATE OR DELETE ON quote_parts
	FOR EACH ROW EXECUTE FUNCTION quote_parts_frozen();

-- Plates of one-off products made from quotes carry estimated numbers.
ALTER TABLE product_plates DROP CONSTRAINT product_plates_time_source_check;
ALTER TABLE product_plates ADD CONSTRAINT product_plates_time_source_check
	CHECK (time_source IN ('gcode', 'manual', 'estimate'));
ALTER TABLE product_plate_slots
	DROP CONSTRAINT product_plate_slots_grams_source_check;
ALTER TABLE product_plate_slots ADD CONSTRAINT
	product_plate_slots_grams_source_check
	CHECK (grams_source IN ('gcode', 'manual', 'estimate'));
