-- 0015_quote_change_limit.sql -- how often a quote's options may change.
--
-- nginx limits the public routes per address; this limits them per quote,
-- whoever asks: each change prices the quote again and writes an audit
-- row, so a script walking one token cannot fill the audit log.  The
-- changes of the current minute are counted from options_window.

ALTER TABLE quotes
	ADD COLUMN options_window timestamptz,
	ADD COLUMN options_changes integer NOT NULL DEFAULT 0
			CHECK (options_changes >= 0);
