-- 0006_printers.sql -- the printer registry, what the telemetry worker
-- learns about each printer (state, samples, events, runs) and the
-- commands people queue for it.
--
-- Rules kept here, so that they hold for every writer:
--   * a printer's name is unique (case-insensitively); its host is a
--     hostname or an IP address and its port 1..65535 (NULL on insert:
--     the default port of its kind);
--   * a Bambu printer has an upper-case serial number and an access code;
--     OctoPrint and PrusaLink printers have a secret (API key or
--     password); Moonraker's API key is optional;
--   * the secret is stored only sealed (AES-256-GCM text "v1.…" made by
--     secret_seal, bound to the context "printer:<id>:secret"), never in
--     clear;
--   * any change of a printer's settings clears what the worker reported
--     about them (auth_failed_at, last_error); a change of host, port,
--     serial or TLS mode also forgets the pinned certificate;
--   * a printer that print runs or print jobs name is not deleted (P0001:
--     deactivate it instead); its state, samples, events and commands go
--     with it;
--   * a print run is unique per printer and start, and a printer has at
--     most one running run, so a restarted worker cannot duplicate one.

CREATE TYPE printer_kind AS ENUM ('bambu', 'prusalink', 'octoprint',
    'moonraker');
-- The names of enum printer_status in src/parse/printer.h.
CREATE TYPE printer_status AS ENUM ('offline', 'idle', 'preparing',
    'printing', 'paused', 'finished', 'failed', 'error');
CREATE TYPE print_run_result AS ENUM ('running', 'completed', 'failed',
    'cancelled');
CREATE TYPE printer_command_kind AS ENUM ('pause', 'resume', 'stop',
    'start');
CREATE TYPE printer_command_status AS ENUM ('queued', 'sent', 'done',
    'failed');

CREATE FUNCTION printer_default_port(k printer_kind) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE k WHEN 'bambu' THEN 8883 WHEN 'moonraker' THEN 7125
	    ELSE 80 END
$$;

-- A hostname (RFC 1123 labels), an IPv4 address or an IPv6 address
-- (without brackets).
CREATE FUNCTION printer_host_valid(h text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT h IS NOT NULL AND length(h) BETWEEN 1 AND 253 AND (
	    h ~ '^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$' AND
	    (SELECT bool_and(x::integer <= 255) FROM
	    regexp_split_to_table(h, '\.') AS x)
	    OR (h ~ '^[0-9A-Fa-f:.]+$' AND h ~ ':.*:' AND length(h) <= 45)
	    OR (h ~ '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$'
	    AND h !~ '^[0-9.]+$'))
$$;

CREATE TABLE printers (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind		printer_kind NOT NULL,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	model		text CHECK (length(model) BETWEEN 1 AND 100),
	host		text NOT NULL CHECK (printer_host_valid(host)),
	port		integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
	serial		text CHECK (serial ~ '^[A-Z0-9]{6,32}$'),
	-- PrusaLink's HTTP digest user
	username	text NOT NULL DEFAULT 'maker'
			CHECK (length(username) BETWEEN 1 AND 100),
	-- access code, API key or password, sealed (see above)
	secret		text CHECK (secret ~ '^v1\.[A-Za-z0-9_-]+$'),
	tls_mode	text NOT NULL DEFAULT 'verify'
			CHECK (tls_mode IN ('verify', 'tofu')),
	-- SHA-256 of the certificate seen first (tofu), set by the worker
	tls_fingerprint	text CHECK (tls_fingerprint ~ '^[0-9a-f]{64}$'),
	enclosure	boolean NOT NULL DEFAULT false,
	nozzle_mm	numeric(4,2) NOT NULL DEFAULT 0.4
			CHECK (nozzle_mm > 0 AND nozzle_mm <= 3),
	-- build volume; NULL: not known (counted as big enough)
	build_x_mm	numeric(7,1) CHECK (build_x_mm > 0 AND
			    build_x_mm <= 10000),
	build_y_mm	numeric(7,1) CHECK (build_y_mm > 0 AND
			    build_y_mm <= 10000),
	build_z_mm	numeric(7,1) CHECK (build_z_mm > 0 AND
			    build_z_mm <= 10000),
	power_w		integer CHECK (power_w BETWEEN 0 AND 100000),
	-- what an hour of this printer costs (wear, energy, depreciation);
	-- NULL: not known, its jobs cost the average of the others
	machine_rate_cents_per_hour bigint
			CHECK (machine_rate_cents_per_hour BETWEEN 0 AND
			    100000000),
	location_id	bigint REFERENCES locations (id),
	tags		text[] NOT NULL DEFAULT '{}'
			CHECK (cardinality(tags) <= 20),
	active		boolean NOT NULL DEFAULT true,
	poll_idle_s	integer NOT NULL DEFAULT 10
			CHECK (poll_idle_s BETWEEN 1 AND 3600),
	poll_busy_s	integer NOT NULL DEFAULT 2
			CHECK (poll_busy_s BETWEEN 1 AND 3600),
	-- written by the telemetry worker
	auth_failed_at	timestamptz,
	last_error	text CHECK (length(last_error) <= 2000),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT printers_bambu_serial CHECK (kind <> 'bambu' OR
	    serial IS NOT NULL),
	CONSTRAINT printers_secret_needed CHECK (kind = 'moonraker' OR
	    secret IS NOT NULL)
);
CREATE UNIQUE INDEX printers_name ON printers (lower(name));
CREATE INDEX printers_location ON printers (location_id)
	WHERE location_id IS NOT NULL;

-- Defaults on insert; on update keeps updated_at and clears what the
-- worker reported when a setting changed.
CREATE FUNCTION printers_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		NEW.port := coalesce(NEW.port, printer_default_port(NEW.kind));
		NEW.serial := upper(NEW.serial);
		RETURN NEW;
	END IF;
	NEW.port := coalesce(NEW.port, printer_default_port(NEW.kind));
	NEW.serial := upper(NEW.serial);
	IF to_jsonb(NEW) - ARRAY['auth_failed_at', 'last_error',
	    'tls_fingerprint', 'updated_at'] IS DISTINCT FROM
	    to_jsonb(OLD) - ARRAY['auth_failed_at', 'last_error',
	    'tls_fingerprint', 'updated_at'] THEN
		NEW.updated_at := now();
		NEW.auth_failed_at := NULL;
		NEW.last_error := NULL;
		IF (NEW.host, NEW.port, NEW.serial, NEW.tls_mode) IS DISTINCT
		    FROM (OLD.host, OLD.port, OLD.serial, OLD.tls_mode) THEN
			NEW.tls_fingerprint := NULL;
		END IF;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER printers_touch BEFORE INSERT OR UPDATE ON printers
	FOR EACH ROW EXECUTE FUNCTION printers_touch();

-- ---- what the telemetry worker learns ----

-- The last normalised state (struct printer_state); NULL: unknown.
CREATE TABLE printer_state (
	printer_id	bigint PRIMARY KEY REFERENCES printers (id)
			ON DELETE CASCADE,
	online		boolean NOT NULL DEFAULT false,
	status		printer_status NOT NULL DEFAULT 'offline',
	job		text CHECK (length(job) <= 255),
	progress	numeric(5,2) CHECK (progress BETWEEN 0 AND 100),
	layer		integer CHECK (layer >= 0),
	total_layers	integer CHECK (total_layers >= 0),
	remaining_s	integer CHECK (remaining_s >= 0),
	nozzle_c	numeric(5,1),
	nozzle_target_c	numeric(5,1),
	bed_c		numeric(5,1),
	bed_target_c	numeric(5,1),
	chamber_c	numeric(5,1),
	fan_pct		integer CHECK (fan_pct BETWEEN 0 AND 100),
	speed_pct	integer CHECK (speed_pct BETWEEN 0 AND 1000),
	control_ok	boolean,
	-- [{slot, type, color, remaining_pct, tag_uid, active}]
	slots		jsonb NOT NULL DEFAULT '[]'
			CHECK (jsonb_typeof(slots) = 'array'),
	-- [{code, text}]
	errors		jsonb NOT NULL DEFAULT '[]'
			CHECK (jsonb_typeof(errors) = 'array'),
	last_message_at	timestamptz,
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- Temperatures and progress over time, for charts; old rows are removed
-- by the recurring job purge_printer_samples (args {"days": N}, 30).
CREATE TABLE printer_samples (
	printer_id	bigint NOT NULL REFERENCES printers (id)
			ON DELETE CASCADE,
	at		timestamptz NOT NULL,
	nozzle_c	numeric(5,1),
	bed_c		numeric(5,1),
	chamber_c	numeric(5,1),
	progress	numeric(5,2) CHECK (progress BETWEEN 0 AND 100),
	PRIMARY KEY (printer_id, at)
);
-- The retention job deletes by time across printers.
CREATE INDEX printer_samples_at ON printer_samples USING brin (at);

-- State transitions as they happened.
CREATE TABLE printer_events (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	printer_id	bigint NOT NULL REFERENCES printers (id)
			ON DELETE CASCADE,
	at		timestamptz NOT NULL DEFAULT now(),
	from_status	printer_status,
	to_status	printer_status NOT NULL,
	job		text CHECK (length(job) <= 255),
	detail		jsonb
);
CREATE INDEX printer_events_printer ON printer_events (printer_id, at);

-- One print as the printer ran it.
CREATE TABLE print_runs (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	printer_id	bigint NOT NULL REFERENCES printers (id),
	started_at	timestamptz NOT NULL,
	ended_at	timestamptz,
	result		print_run_result NOT NULL DEFAULT 'running',
	file		text CHECK (length(file) <= 255),
	duration_s	integer CHECK (duration_s >= 0),
	layers		integer CHECK (layers >= 0),
	est_grams	numeric(12,3) CHECK (est_grams >= 0),
	print_job_id	bigint REFERENCES print_jobs (id),
	created_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT print_runs_once UNIQUE (printer_id, started_at),
	CONSTRAINT print_runs_ended CHECK ((result = 'running') =
	    (ended_at IS NULL)),
	CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX print_runs_one_running ON print_runs (printer_id)
	WHERE result = 'running';
CREATE INDEX print_runs_job ON print_runs (print_job_id)
	WHERE print_job_id IS NOT NULL;

-- Commands people queue; the worker sends them and records the answer.
CREATE TABLE printer_commands (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	printer_id	bigint NOT NULL REFERENCES printers (id)
			ON DELETE CASCADE,
	command		printer_command_kind NOT NULL,
	args		jsonb NOT NULL DEFAULT '{}'
			CHECK (jsonb_typeof(args) = 'object'),
	status		printer_command_status NOT NULL DEFAULT 'queued',
	result		text CHECK (length(result) <= 2000),
	created_by	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	done_at		timestamptz,
	CHECK ((status IN ('done', 'failed')) = (done_at IS NOT NULL))
);
CREATE INDEX printer_commands_queued ON printer_commands (printer_id, id)
	WHERE status IN ('queued', 'sent');

ALTER TABLE print_jobs ADD CONSTRAINT print_jobs_printer
	FOREIGN KEY (printer_id) REFERENCES printers (id);
CREATE INDEX print_jobs_printer ON print_jobs (printer_id)
	WHERE printer_id IS NOT NULL;

-- Refuses to delete a printer that history names.
CREATE FUNCTION printers_keep_used() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM print_runs WHERE printer_id = OLD.id) OR
	    EXISTS (SELECT 1 FROM print_jobs WHERE printer_id = OLD.id) THEN
		RAISE EXCEPTION 'printer % is named by print runs or print jobs',
		    OLD.id
		    USING DETAIL = 'its history would lose the printer',
		    HINT = 'deactivate the printer instead (active: false)';
	END IF;
	RETURN OLD;
END $$;
CREATE TRIGGER printers_keep_used BEFORE DELETE ON printers
	FOR EACH ROW EXECUTE FUNCTION printers_keep_used();

-- ---- machine rates for costing ----

-- The active printers with a machine rate that can print a plate: closed
-- when it needs it, the same nozzle, a build volume that holds it (either
-- way round on the bed; NULL dimensions count as big enough).
CREATE FUNCTION printers_able(p_enclosure boolean, p_nozzle numeric,
    p_x numeric, p_y numeric, p_z numeric) RETURNS SETOF printers
LANGUAGE sql STABLE AS $$
	SELECT * FROM printers p WHERE p.active AND
	    p.machine_rate_cents_per_hour IS NOT NULL AND
	    (NOT coalesce(p_enclosure, false) OR p.enclosure) AND
	    (p_nozzle IS NULL OR p.nozzle_mm = p_nozzle) AND
	    (p.build_z_mm IS NULL OR p.build_z_mm >= coalesce(p_z, 0)) AND
	    ((coalesce(p.build_x_mm, 1e9) >= coalesce(p_x, 0) AND
	    coalesce(p.build_y_mm, 1e9) >= coalesce(p_y, 0)) OR
	    (coalesce(p.build_x_mm, 1e9) >= coalesce(p_y, 0) AND
	    coalesce(p.build_y_mm, 1e9) >= coalesce(p_x, 0)))
$$;

-- Their average rate (NULL when none) and how many there are.
CREATE FUNCTION plate_machine_rate(p_plate bigint, OUT rate numeric,
    OUT printers bigint)
LANGUAGE sql STABLE AS $$
	SELECT avg(a.machine_rate_cents_per_hour), count(a.id)
	    FROM product_plates pl CROSS JOIN LATERAL printers_able(
	    plate_needs_enclosure(pl.id), pl.nozzle_mm, pl.min_x_mm,
	    pl.min_y_mm, pl.min_z_mm) a WHERE pl.id = p_plate
$$;

-- The rate of a print job: its printer's, else the average of the
-- printers that could print it; NULL when neither is known.
CREATE FUNCTION print_job_machine_rate(p_job bigint) RETURNS numeric
LANGUAGE sql STABLE AS $$
	SELECT coalesce(p.machine_rate_cents_per_hour, (SELECT
	    avg(a.machine_rate_cents_per_hour) FROM printers_able(
	    j.needs_enclosure, coalesce(j.nozzle_mm, pl.nozzle_mm),
	    pl.min_x_mm, pl.min_y_mm, pl.min_z_mm) a))
	    FROM print_jobs j LEFT JOIN printers p ON p.id = j.printer_id
	    LEFT JOIN product_plates pl ON pl.id = j.plate_id
	    WHERE j.id = p_job
$$;
