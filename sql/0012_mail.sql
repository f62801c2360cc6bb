-- 0012_mail.sql -- the mail outbox: e-mail that Printyard owes someone.
--
-- A row is written by whoever decides that a mail must go (a request
-- sending a quote's link, later notifications) in the same transaction as
-- that decision, so a mail exists exactly when the change that caused it
-- was committed.  The jobs worker delivers it later (domain/outbox.c):
--   * queued -> sent, or queued -> failed; sent and failed are final;
--   * a worker takes a row by moving next_attempt_at past now (a lease),
--     counting the attempt; a temporary failure puts the row back with a
--     later next_attempt_at, a permanent one fails it with the server's
--     words in last_error;
--   * message_id is set on the first attempt and kept, so a retried mail
--     carries the Message-ID of the first try and receivers can tell.
-- Lengths are in characters; domain/outbox.c refuses the same limits in
-- bytes before composing (a character is at most four bytes).

CREATE TYPE mail_state AS ENUM ('queued', 'sent', 'failed');

CREATE TABLE mail_outbox (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	to_address	text NOT NULL CHECK (length(to_address) <= 254 AND
			    to_address ~ '^[^@[:space:][:cntrl:]<>]+@[^@[:space:][:cntrl:]<>]+\.[^@[:space:][:cntrl:]<>]+$'),
	to_name		text CHECK (length(to_name) BETWEEN 1 AND 100 AND
			    to_name !~ '[[:cntrl:]]'),
	subject		text NOT NULL CHECK (length(subject) BETWEEN 1 AND 250
			    AND subject !~ '[[:cntrl:]]'),
	text_body	text NOT NULL
			CHECK (length(text_body) BETWEEN 1 AND 100000),
	html_body	text CHECK (length(html_body) BETWEEN 1 AND 200000),
	state		mail_state NOT NULL DEFAULT 'queued',
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	last_error	text CHECK (length(last_error) <= 2000),
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	created_at	timestamptz NOT NULL DEFAULT now(),
	sent_at		timestamptz,
	-- what the mail is about, e.g. 'quote', '42'; both or neither
	entity		text CHECK (entity ~ '^[a-z][a-z0-9_]{0,39}$'),
	entity_id	text CHECK (length(entity_id) BETWEEN 1 AND 100),
	message_id	text UNIQUE CHECK (length(message_id) <= 250 AND
			    message_id ~ '^<[^<>@[:space:][:cntrl:]]+@[^<>@[:space:][:cntrl:]]+>$'),
	CHECK ((entity IS NULL) = (entity_id IS NULL)),
	CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
-- what a worker looks for, and what pages about a quote or order list
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
	WHERE state = 'queued';
CREATE INDEX mail_outbox_entity ON mail_outbox (entity, entity_id);
