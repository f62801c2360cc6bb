-- 0009_print_runs.sql -- print runs the telemetry worker observes, tied
-- to the print jobs they carry out.
--
-- Rules kept here, so that they hold for every writer:
--   * a print file is known by its key: the name without folders, in
--     lower case, without the slicer extensions (.gcode, .bgcode, .gco,
--     .g, .3mf, also stacked as in "part.gcode.3mf"); Bambu printers
--     report the 3MF's name without extension, PrusaLink the short
--     name on the USB stick, OctoPrint and Moonraker the path;
--   * print_run_job() names the print job a run carries out: an open job
--     (queued or started) that no other running or completed run carries
--     out, started on this printer within the last day, or queued for
--     this printer (or for none) and due within a day; a job whose plate
--     file or plate name has the run's key comes first, then a started
--     job of this printer whatever its file (someone said it runs
--     there), then priority and age.  A queued job is only taken when its
--     file matches.
--   * the last progress a running run was seen at is kept with it, so a
--     worker that restarts can tell how far the print got.

CREATE FUNCTION print_file_key(f text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT nullif(regexp_replace(lower(regexp_replace(f, '^.*[/\\]', '')),
	    '(\.(gcode|bgcode|gco|g|3mf))+$', ''), '')
$$;

ALTER TABLE print_runs ADD COLUMN progress numeric(5,2)
	CHECK (progress BETWEEN 0 AND 100);
ALTER TABLE print_runs ADD COLUMN note text CHECK (length(note) <= 500);

CREATE FUNCTION print_run_job(p_printer bigint, p_file text,
    p_at timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT j.id FROM print_jobs j
	LEFT JOIN product_plates pl ON pl.id = j.plate_id
	CROSS JOIN LATERAL (SELECT print_file_key(p_file) IS NOT NULL AND
	    print_file_key(p_file) IN (print_file_key(pl.file_name),
	    print_file_key(j.plate_name)) AS same) m
	WHERE j.status IN ('queued', 'started')
	  AND NOT EXISTS (SELECT 1 FROM print_runs r WHERE
	    r.print_job_id = j.id AND r.result IN ('running', 'completed'))
	  AND ((j.status = 'started' AND j.printer_id = p_printer AND
	        j.started_at >= p_at - interval '1 day')
	    OR (j.status = 'queued' AND m.same AND
	        (j.printer_id IS NULL OR j.printer_id = p_printer) AND
	        (j.scheduled_start IS NULL OR j.scheduled_start BETWEEN
	        p_at - interval '1 day' AND p_at + interval '1 day')))
	ORDER BY m.same DESC, j.status = 'started' DESC,
	    j.printer_id IS NOT DISTINCT FROM p_printer DESC,
	    j.priority DESC, j.id
	LIMIT 1
$$;
