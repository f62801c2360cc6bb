-- 0007_printer_control.sql -- printer commands people queue and the
-- telemetry worker carries out (printers/control.c), "test connection",
-- and trust on first use for Bambu certificates.
--
-- Rules kept here, so that they hold for every writer:
--   * a command of kind `test` checks the connection afresh; the value
--     is added to the enum here (it cannot be used in this transaction,
--     so nothing below names it);
--   * a command can only be queued for an active printer (P0001: 409
--     with the reason);
--   * status only moves forward: queued -> sent -> done | failed, or
--     queued -> done | failed; a finished command is frozen;
--   * sent_at is set when a command is sent, done_at when it finishes
--     (whoever writes the status need not set them);
--   * printers_touch: the worker pinning a TOFU fingerprint
--     (NULL -> value) is not a settings change; an owner clearing the
--     pinned fingerprint (value -> NULL) is one, so the worker reconnects
--     and trusts the certificate it sees next.

ALTER TYPE printer_command_kind ADD VALUE IF NOT EXISTS 'test';

ALTER TABLE printer_commands ADD COLUMN sent_at timestamptz;
-- what happened, as one word for programs and page messages (ok,
-- unreachable, tls_name, untrusted, cert_changed, access_code, api_key,
-- offline, auth_failed, no_control, refused, expired, ...); `result`
-- says it in words
ALTER TABLE printer_commands ADD COLUMN code text
	CHECK (code ~ '^[a-z_]{1,40}$');

CREATE INDEX printer_commands_printer ON printer_commands (printer_id,
	id DESC);

CREATE FUNCTION printer_commands_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	p	record;
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT name, active INTO p FROM printers
		WHERE id = NEW.printer_id;
		IF FOUND AND NOT p.active THEN
			RAISE EXCEPTION 'printer "%" is inactive: activate it in '
			    'its settings first', p.name;
		END IF;
		NEW.status := 'queued';
		NEW.sent_at := NULL;
		NEW.done_at := NULL;
		RETURN NEW;
	END IF;
	IF OLD.status IN ('done', 'failed') THEN
		IF NEW.status IS DISTINCT FROM OLD.status OR NEW.result IS
		    DISTINCT FROM OLD.result THEN
			RAISE EXCEPTION 'command % has already finished (%)',
			    OLD.id, OLD.status;
		END IF;
		RETURN NEW;
	END IF;
	IF OLD.status = 'sent' AND NEW.status = 'queued' THEN
		RAISE EXCEPTION 'command % was sent already', OLD.id;
	END IF;
	IF NEW.status = 'sent' THEN
		NEW.sent_at := coalesce(NEW.sent_at, now());
	END IF;
	IF NEW.status IN ('done', 'failed') THEN
		NEW.done_at := coalesce(NEW.done_at, now());
	ELSE
		NEW.done_at := NULL;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER printer_commands_check BEFORE INSERT OR UPDATE
	ON printer_commands FOR EACH ROW
	EXECUTE FUNCTION printer_commands_check();

CREATE OR REPLACE FUNCTION printers_touch() RETURNS trigger
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
	ELSIF OLD.tls_fingerprint IS NOT NULL AND
	    NEW.tls_fingerprint IS NULL THEN
		-- re-trust: reconnect and pin what the printer shows next
		NEW.updated_at := now();
		NEW.auth_failed_at := NULL;
		NEW.last_error := NULL;
	END IF;
	RETURN NEW;
END $$;
