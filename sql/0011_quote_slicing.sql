-- 0011_quote_slicing.sql -- a quote's parts sliced by the jobs worker
-- (CuraEngine with the shop's print profile) after the instant estimate.
--
-- A part keeps one slice: the figures for the options named in
-- slice_key ("material|layer_mm|infill_pct").  The figures stand for the
-- part while its options are those; other options are estimated again
-- and queue a slice of their own, which replaces this one.  What the part
-- was priced with stays in grams, minutes and method ('sliced' when it
-- was the slice).

ALTER TABLE quote_parts
	ADD COLUMN slice_state	text NOT NULL DEFAULT 'none'
			CHECK (slice_state IN ('none', 'queued', 'done',
			    'failed', 'unavailable')),
	ADD COLUMN slice_key	text CHECK (length(slice_key) <= 80),
	ADD COLUMN sliced_grams	numeric(12,3) CHECK (sliced_grams >= 0),
	ADD COLUMN sliced_minutes numeric(12,2) CHECK (sliced_minutes >= 0),
	ADD COLUMN slice_engine	text CHECK (length(slice_engine) <= 40),
	ADD COLUMN slice_error	text CHECK (length(slice_error) <= 500),
	ADD COLUMN sliced_at	timestamptz,
	ADD CHECK (slice_state <> 'done' OR (sliced_grams IS NOT NULL AND
	    sliced_minutes IS NOT NULL AND slice_key IS NOT NULL));

-- The shop may keep its quotes at the instant estimate (a farm whose
-- printers are unlike the slicer's profile, say).
ALTER TABLE quote_settings
	ADD COLUMN slice_parts	boolean NOT NULL DEFAULT true;
