-- 0001_core.sql -- users, sessions, API keys, audit log, idempotency keys,
-- background jobs and process heartbeats.

CREATE TYPE user_role AS ENUM ('owner', 'staff', 'accountant');

CREATE TABLE users (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username	text NOT NULL UNIQUE
			CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,31}$'),
	password_hash	text NOT NULL,
	role		user_role NOT NULL,
	locale		text CHECK (locale IN ('en', 'de')),
	active		boolean NOT NULL DEFAULT true,
	failed_logins	integer NOT NULL DEFAULT 0,
	locked_until	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_login_at	timestamptz
);

-- A session is one login; the token names it, logout and expiry end it.
CREATE TABLE sessions (
	id		text PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	revoked_at	timestamptz,
	user_agent	text,
	remote_addr	text
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_keys (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	prefix		text NOT NULL,
	key_hash	text NOT NULL UNIQUE,
	scopes		text[] NOT NULL
			CHECK (scopes <@ ARRAY['read', 'write']::text[]
			    AND cardinality(scopes) > 0),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz,
	revoked_at	timestamptz
);

CREATE TABLE audit_log (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	actor_user_id	bigint REFERENCES users (id) ON DELETE SET NULL,
	actor		text NOT NULL,
	action		text NOT NULL,
	entity		text NOT NULL,
	entity_id	text,
	before		jsonb,
	after		jsonb,
	request_id	text
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

-- The stored first answer for a request that carried Idempotency-Key.
CREATE TABLE idempotency_keys (
	principal	text NOT NULL,
	key		text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
	route		text NOT NULL,
	request_hash	text NOT NULL,
	status		integer NOT NULL,
	response	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TYPE job_state AS ENUM ('queued', 'running', 'done', 'dead');

CREATE TABLE jobs (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind		text NOT NULL,
	args		jsonb NOT NULL DEFAULT '{}',
	state		job_state NOT NULL DEFAULT 'queued',
	run_at		timestamptz NOT NULL DEFAULT now(),
	attempts	integer NOT NULL DEFAULT 0,
	max_attempts	integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
	last_error	text,
	progress	integer NOT NULL DEFAULT 0
			CHECK (progress BETWEEN 0 AND 100),
	progress_note	text,
	result		jsonb,
	locked_by	text,
	locked_at	timestamptz,
	-- Recurring jobs: the next run is queued when this one finishes.
	every_seconds	integer CHECK (every_seconds > 0),
	unique_key	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz
);
CREATE INDEX jobs_ready ON jobs (run_at) WHERE state = 'queued';
-- One live (queued or running) job per unique key, e.g. each recurring job.
CREATE UNIQUE INDEX jobs_unique_live ON jobs (unique_key)
	WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');

CREATE TABLE heartbeats (
	process		text PRIMARY KEY,
	pid		integer NOT NULL,
	host		text NOT NULL,
	beat_at		timestamptz NOT NULL DEFAULT now(),
	info		jsonb NOT NULL DEFAULT '{}'
);
