-- 0014_quote_actuals.sql -- what quoted parts really took when printed,
-- and the corrections the quotes learn from it.
--
--   * quote_actuals: one row per completed print job of a product made
--     from a quote, written by a trigger whoever completes the job (the
--     telemetry worker or a person): the estimate the quote was made with
--     (basis: before any correction; quoted: as charged) and the actual
--     grams and minutes, with the material and the printer's class;
--   * quote_corrections: per material and printer class, the factors
--     fitted by the jobs worker (fit_quote_corrections) over recent
--     actuals, by least squares through the origin with outliers
--     dropped; new quotes multiply their estimate by them;
--   * a part keeps its basis figures and the correction applied to it.

ALTER TABLE quote_parts
	ADD COLUMN basis_grams	numeric(12,3) CHECK (basis_grams >= 0),
	ADD COLUMN basis_minutes numeric(12,2) CHECK (basis_minutes >= 0),
	ADD COLUMN correction	jsonb CHECK (correction IS NULL OR
			    jsonb_typeof(correction) = 'object');

CREATE TABLE quote_actuals (
	print_job_id	bigint PRIMARY KEY REFERENCES print_jobs (id)
			ON DELETE CASCADE,
	quote_part_id	bigint NOT NULL REFERENCES quote_parts (id)
			ON DELETE CASCADE,
	quote_id	bigint NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
	material	text NOT NULL,
	-- the printer's model as its settings name it, else its kind
	printer_class	text NOT NULL CHECK (length(printer_class) <= 100),
	method		text NOT NULL,
	units		integer NOT NULL CHECK (units > 0),
	est_grams	numeric(14,3) NOT NULL CHECK (est_grams >= 0),
	est_minutes	numeric(14,2) NOT NULL CHECK (est_minutes >= 0),
	quoted_grams	numeric(14,3) NOT NULL CHECK (quoted_grams >= 0),
	quoted_minutes	numeric(14,2) NOT NULL CHECK (quoted_minutes >= 0),
	actual_grams	numeric(14,3) NOT NULL CHECK (actual_grams >= 0),
	actual_minutes	numeric(14,2) NOT NULL CHECK (actual_minutes >= 0),
	recorded_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quote_actuals_recent ON quote_actuals (recorded_at DESC);

CREATE TABLE quote_corrections (
	material	text NOT NULL,
	printer_class	text NOT NULL,
	grams_factor	numeric(8,4) NOT NULL
			CHECK (grams_factor BETWEEN 0.1 AND 10),
	minutes_factor	numeric(8,4) NOT NULL
			CHECK (minutes_factor BETWEEN 0.1 AND 10),
	samples		integer NOT NULL CHECK (samples > 0),
	dropped		integer NOT NULL CHECK (dropped >= 0),
	fitted_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (material, printer_class)
);

CREATE FUNCTION quote_actuals_record() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO quote_actuals (print_job_id, quote_part_id, quote_id,
	    material, printer_class, method, units, est_grams, est_minutes,
	    quoted_grams, quoted_minutes, actual_grams, actual_minutes)
	SELECT NEW.id, p.id, p.quote_id, p.material,
	    coalesce(pr.model, pr.kind::text, 'unknown'), p.method, NEW.units,
	    coalesce(p.basis_grams, p.grams) * NEW.units,
	    coalesce(p.basis_minutes, p.minutes) * NEW.units,
	    p.grams * NEW.units, p.minutes * NEW.units,
	    NEW.actual_grams, NEW.actual_seconds / 60.0
	FROM quote_parts p LEFT JOIN printers pr ON pr.id = NEW.printer_id
	WHERE p.product_id = NEW.product_id
	ORDER BY p.id LIMIT 1
	ON CONFLICT (print_job_id) DO NOTHING;
	RETURN NULL;
END $$;
CREATE TRIGGER quote_actuals_record AFTER UPDATE OF status ON print_jobs
	FOR EACH ROW WHEN (NEW.status = 'completed' AND
	    OLD.status IS DISTINCT FROM 'completed' AND
	    NEW.actual_grams IS NOT NULL AND NEW.actual_seconds IS NOT NULL)
	EXECUTE FUNCTION quote_actuals_record();
