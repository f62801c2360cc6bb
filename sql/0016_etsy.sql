-- 0016_etsy.sql -- one Etsy shop connected with OAuth, its receipts synced
-- into sales orders, its listings mapped to products.
--
--   * etsy_account: the single connection row (the app's keystring, the
--     sealed shared secret and tokens, the sync's settings and watermark);
--   * etsy_syncs: one row per sync run, its counters and errors, keyed by
--     the job that runs it (GET /api/v1/etsy/sync/{id});
--   * etsy_receipts / etsy_lines: what Etsy said of each receipt and each
--     of its transactions, with the sales order and lines they became;
--   * etsy_mappings: listing (+ variation values) -> product rules.
--
-- A receipt becomes at most one order: receipt_id is the key here and the
-- order's (source, external_id) is unique, so a sync repeated or killed
-- half-way writes nothing twice.

CREATE TABLE etsy_account (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	keystring	text CHECK (keystring ~ '^[A-Za-z0-9_-]{1,100}$'),
	-- sealed (core/crypto.h) under "etsy:shared_secret", "etsy:access",
	-- "etsy:refresh" and "etsy:verifier"
	shared_secret	text CHECK (length(shared_secret) <= 500),
	status		text NOT NULL DEFAULT 'disconnected'
			CHECK (status IN ('disconnected', 'connected',
			    'revoked')),
	-- an authorization on its way: the state sent and the PKCE verifier
	oauth_state	text CHECK (length(oauth_state) <= 100),
	oauth_verifier	text CHECK (length(oauth_verifier) <= 500),
	oauth_started_at timestamptz,
	user_id		bigint CHECK (user_id > 0),
	shop_id		bigint CHECK (shop_id > 0),
	access_token	text CHECK (length(access_token) <= 1000),
	refresh_token	text CHECK (length(refresh_token) <= 1000),
	access_expires_at timestamptz,
	connected_at	timestamptz,
	refreshed_at	timestamptz,
	-- the sync
	sync_minutes	integer NOT NULL DEFAULT 10
			CHECK (sync_minutes BETWEEN 1 AND 1440),
	first_sync_days	integer NOT NULL DEFAULT 30
			CHECK (first_sync_days BETWEEN 1 AND 365),
	overlap_seconds	integer NOT NULL DEFAULT 900
			CHECK (overlap_seconds BETWEEN 0 AND 86400),
	auto_confirm	boolean NOT NULL DEFAULT true,
	-- receipts changed on Etsy up to this epoch second are in
	synced_until	bigint CHECK (synced_until >= 946684800),
	last_sync_at	timestamptz,
	last_error	text CHECK (length(last_error) <= 1000),
	last_error_at	timestamptz,
	-- what Etsy said of its limits on the last answer
	limit_per_day	integer,
	remaining_today	integer,
	-- estimated fees: transaction % of items and shipping, payment
	-- processing % of the total plus a fixed amount, listing renewal per
	-- item sold (minor units of the receipt's currency)
	fee_transaction_bp integer NOT NULL DEFAULT 650
			CHECK (fee_transaction_bp BETWEEN 0 AND 10000),
	fee_processing_bp integer NOT NULL DEFAULT 400
			CHECK (fee_processing_bp BETWEEN 0 AND 10000),
	fee_processing_fixed_cents integer NOT NULL DEFAULT 30
			CHECK (fee_processing_fixed_cents BETWEEN 0 AND 100000),
	fee_listing_cents integer NOT NULL DEFAULT 20
			CHECK (fee_listing_cents BETWEEN 0 AND 100000),
	-- the VAT rate (business_settings.vat_rates) of Etsy order lines
	vat_rate	text NOT NULL DEFAULT 'standard'
			CHECK (length(vat_rate) BETWEEN 1 AND 40),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (status <> 'connected' OR (shop_id IS NOT NULL AND
	    access_token IS NOT NULL AND refresh_token IS NOT NULL))
);
INSERT INTO etsy_account DEFAULT VALUES;

CREATE TABLE etsy_syncs (
	-- the id of the job that runs it
	id		bigint PRIMARY KEY,
	trigger		text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
	status		text NOT NULL DEFAULT 'running'
			CHECK (status IN ('running', 'done', 'failed')),
	since		bigint NOT NULL,	-- min_last_modified asked
	until		bigint NOT NULL,	-- the watermark if it ends well
	pages		integer NOT NULL DEFAULT 0,
	requests	integer NOT NULL DEFAULT 0,
	total_receipts	integer NOT NULL DEFAULT 0,
	new_orders	integer NOT NULL DEFAULT 0,
	updated_orders	integer NOT NULL DEFAULT 0,
	unmapped_lines	integer NOT NULL DEFAULT 0,
	skipped_receipts integer NOT NULL DEFAULT 0,
	errors		jsonb NOT NULL DEFAULT '[]'
			CHECK (jsonb_typeof(errors) = 'array'),
	started_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz
);
CREATE INDEX etsy_syncs_recent ON etsy_syncs (started_at DESC);

CREATE TABLE etsy_receipts (
	receipt_id	bigint PRIMARY KEY CHECK (receipt_id > 0),
	-- NULL until paid (an unpaid receipt is not an order yet)
	order_id	bigint UNIQUE REFERENCES sales_orders (id),
	status		text NOT NULL CHECK (length(status) BETWEEN 1 AND 40),
	is_paid		boolean NOT NULL,
	is_shipped	boolean NOT NULL,
	created_ts	bigint NOT NULL,
	updated_ts	bigint NOT NULL,
	buyer_user_id	bigint,
	buyer_email	text CHECK (length(buyer_email) <= 254),
	country		text CHECK (length(country) <= 2),
	currency	text NOT NULL REFERENCES currencies (code),
	-- minor units of the currency
	grandtotal_cents bigint NOT NULL,
	subtotal_cents	bigint NOT NULL,
	shipping_cents	bigint NOT NULL,
	-- collected by Etsy for the state, never the seller's revenue
	tax_cents	bigint NOT NULL DEFAULT 0,
	vat_cents	bigint NOT NULL DEFAULT 0,
	discount_cents	bigint NOT NULL DEFAULT 0,
	refunded_cents	bigint NOT NULL DEFAULT 0,
	fees_cents	bigint NOT NULL DEFAULT 0,	-- estimated
	message_from_buyer text CHECK (length(message_from_buyer) <= 4000),
	-- shipped on Etsy (by the seller there, or pushed from here)
	etsy_carrier	text CHECK (length(etsy_carrier) <= 100),
	etsy_tracking	text CHECK (length(etsy_tracking) <= 100),
	-- pushing our shipment: none, queued, pushed, failed
	push_state	text NOT NULL DEFAULT 'none'
			CHECK (push_state IN ('none', 'queued', 'pushed',
			    'failed')),
	push_error	text CHECK (length(push_error) <= 1000),
	pushed_at	timestamptz,
	-- a person must look (cancelled on Etsy once production started)
	attention	text CHECK (length(attention) <= 500),
	first_seen_at	timestamptz NOT NULL DEFAULT now(),
	synced_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX etsy_receipts_attention ON etsy_receipts (receipt_id)
	WHERE attention IS NOT NULL;

CREATE TABLE etsy_mappings (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	listing_id	bigint NOT NULL CHECK (listing_id > 0),
	-- "Colour=Red|Size=M" (names and values sorted by name); '': any
	variation_key	text NOT NULL DEFAULT ''
			CHECK (length(variation_key) <= 500),
	product_id	bigint NOT NULL REFERENCES products (id),
	-- taken from the variation: shown on the order line
	material	text CHECK (length(material) BETWEEN 1 AND 40),
	color		text CHECK (length(color) BETWEEN 1 AND 60),
	title		text CHECK (length(title) <= 500),
	created_by	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (listing_id, variation_key)
);

CREATE TABLE etsy_lines (
	transaction_id	bigint PRIMARY KEY CHECK (transaction_id > 0),
	receipt_id	bigint NOT NULL REFERENCES etsy_receipts (receipt_id)
			ON DELETE CASCADE,
	position	integer NOT NULL CHECK (position BETWEEN 1 AND 1000),
	listing_id	bigint NOT NULL,
	etsy_product_id	bigint,
	sku		text CHECK (length(sku) <= 64),
	title		text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
	quantity	integer NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
	unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
	variations	jsonb NOT NULL DEFAULT '[]',
	variation_key	text NOT NULL DEFAULT '',
	personalisation	text CHECK (length(personalisation) <= 1024),
	-- what it became: the product (by sku, a rule or a person)
	product_id	bigint REFERENCES products (id),
	mapped_by	text CHECK (mapped_by IN ('sku', 'rule', 'manual')),
	mapping_id	bigint REFERENCES etsy_mappings (id) ON DELETE SET NULL,
	material	text,
	color		text,
	order_line_id	bigint REFERENCES sales_order_lines (id)
			ON DELETE SET NULL,
	CHECK ((product_id IS NULL) = (mapped_by IS NULL))
);
CREATE INDEX etsy_lines_receipt ON etsy_lines (receipt_id, position);
CREATE INDEX etsy_lines_waiting ON etsy_lines (listing_id, variation_key)
	WHERE product_id IS NULL;

-- Personalisation travels with the order line to production and the
-- printer's queue.
ALTER TABLE sales_order_lines
	ADD COLUMN personalisation text
			CHECK (length(personalisation) BETWEEN 1 AND 1024);

-- Etsy's fees, estimated from the account's rates, so an order's margin
-- is honest; marked as an estimate where shown.
ALTER TABLE sales_orders
	ADD COLUMN fees_cents	bigint NOT NULL DEFAULT 0
			CHECK (fees_cents >= 0),
	ADD COLUMN fees_estimated boolean NOT NULL DEFAULT false;

-- An Etsy order marked shipped here queues the push to Etsy, in the same
-- transaction, whichever path shipped it; one a person shipped on Etsy
-- already (etsy_tracking) is not pushed again.
CREATE FUNCTION etsy_queue_push() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.source = 'etsy' AND NEW.status = 'shipped' AND
	    OLD.status IS DISTINCT FROM 'shipped' THEN
		UPDATE etsy_receipts SET push_state = 'queued',
		    push_error = NULL
		    WHERE order_id = NEW.id AND NOT is_shipped AND
		    push_state IN ('none', 'failed');
		IF FOUND THEN
			INSERT INTO jobs (kind, args, unique_key, max_attempts)
			    VALUES ('etsy_ship', jsonb_build_object('order_id',
			    NEW.id), 'etsy_ship:' || NEW.id, 8)
			    ON CONFLICT DO NOTHING;
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER sales_orders_etsy_push AFTER UPDATE OF status ON sales_orders
	FOR EACH ROW EXECUTE FUNCTION etsy_queue_push();
