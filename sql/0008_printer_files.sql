-- 0008_printer_files.sql -- what is stored on each printer, as the
-- telemetry worker last listed it, and the copies it downloaded.
--
-- Rules kept here, so that they hold for every writer:
--   * one row per printer and path on the printer; a file that drops out
--     of a listing keeps its row (history, the downloaded copy) and is
--     marked gone (gone_at) until a later listing shows it again;
--   * a downloaded copy is named by its SHA-256 and its path in the file
--     store, both or neither, with the time it was taken;
--   * slicer metadata: the estimated print time in seconds and the grams
--     per filament slot (a JSON array of numbers or nulls), read from
--     the downloaded file; the thumbnail is a small PNG or JPEG image.
--   * `files` (refresh a printer's listing) and `download` (args
--     {"path": ...}) are printer commands queued in printer_commands.

ALTER TYPE printer_command_kind ADD VALUE IF NOT EXISTS 'files';
ALTER TYPE printer_command_kind ADD VALUE IF NOT EXISTS 'download';

CREATE TABLE printer_files (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	printer_id	bigint NOT NULL REFERENCES printers (id)
			ON DELETE CASCADE,
	path		text NOT NULL CHECK (length(path) BETWEEN 1 AND 1000),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	size		bigint CHECK (size >= 0),
	modified_at	timestamptz,
	download_ref	text CHECK (length(download_ref) <= 2000),
	listed_at	timestamptz NOT NULL DEFAULT now(),
	gone_at		timestamptz,
	file_sha256	text CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
	file_path	text CHECK (length(file_path) <= 1000),
	file_size	bigint CHECK (file_size >= 0),
	downloaded_at	timestamptz,
	est_seconds	integer CHECK (est_seconds >= 0),
	grams		jsonb CHECK (jsonb_typeof(grams) = 'array'),
	slicer		text CHECK (length(slicer) <= 40),
	thumbnail	bytea CHECK (octet_length(thumbnail) <= 1048576),
	thumbnail_type	text CHECK (thumbnail_type IN ('image/png',
			'image/jpeg')),
	UNIQUE (printer_id, path),
	CHECK ((file_sha256 IS NULL) = (file_path IS NULL) AND
	    (file_sha256 IS NULL) = (downloaded_at IS NULL)),
	CHECK ((thumbnail IS NULL) = (thumbnail_type IS NULL))
);
CREATE INDEX printer_files_listing ON printer_files (printer_id,
	modified_at DESC) WHERE gone_at IS NULL;
