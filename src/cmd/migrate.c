/*
 * migrate.c -- printyard migrate: apply sql/NNNN_*.sql in order.
 *
 * Each file runs in its own transaction together with its row in
 * schema_migrations (name, SHA-256).  An applied file whose checksum
 * changed stops everything: migrations are forward-only.  A session
 * advisory lock makes concurrent runs wait for each other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/fs.h"
#include "core/log.h"
#include "cmd/cmd.h"
#include "db/db.h"

#define MIGRATE_LOCK	"7265836"	/* advisory lock key */
#define MIGRATE_MAX	1000
#define MIGRATE_FILE_MAX	(8 * 1024 * 1024)

static int
is_migration(const char *n)
{
	size_t	len;

	len = strlen(n);
	return len > 9 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' &&
	    n[1] <= '9' && n[2] >= '0' && n[2] <= '9' && n[3] >= '0' &&
	    n[3] <= '9' && n[4] == '_' && strcmp(n + len - 4, ".sql") == 0;
}

/* Sorted migration file names in dir; *n gets the count. */
static char **
migrate_files(struct arena *a, const char *dir, size_t *n)
{
	char	**names;
	size_t	  i, kept;

	if ((names = fs_list(a, dir, ".sql", MIGRATE_MAX, n)) == NULL)
		return NULL;
	for (i = kept = 0; i < *n; i++)
		if (is_migration(names[i]))
			names[kept++] = names[i];
	*n = kept;
	return names;
}

const char *
migrate_latest(struct arena *a, const char *dir)
{
	char	**names;
	size_t	  n;

	names = migrate_files(a, dir, &n);
	return names != NULL && n > 0 ? names[n - 1] : "";
}

static char *
slurp(struct arena *a, const char *path, size_t *len)
{
	FILE	*f;
	char	*s;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	s = arena_alloc(a, MIGRATE_FILE_MAX + 1);
	*len = fread(s, 1, MIGRATE_FILE_MAX + 1, f);
	fclose(f);
	if (*len > MIGRATE_FILE_MAX)
		return NULL;
	s[*len] = '\0';
	return s;
}

static int
migrate_run(struct cmd_ctx *c, int argc, char **argv)
{
	struct db	*db;
	struct err	 e = { 0 };
	json_t		*rows, *row;
	char		**names, *sql, sum[65];
	const char	*p[2], *have;
	size_t		 n, i, len, applied;
	int		 rc;

	names = migrate_files(c->arena, c->cfg.sql_dir, &n);
	if (names == NULL || n == 0)
		return cmd_fail("no migrations found in %s (sql_dir)",
		    c->cfg.sql_dir);
	db = cmd_db(c);
	rc = 1;
	if (db_simple(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")",
	    &e) != 0 ||
	    db_simple(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "name text PRIMARY KEY, checksum text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", &e) != 0)
		goto out;
	applied = 0;
	for (i = 0; i < n; i++) {
		sql = slurp(c->arena, arena_printf(c->arena, "%s/%s",
		    c->cfg.sql_dir, names[i]), &len);
		if (sql == NULL) {
			cmd_fail("cannot read %s/%s", c->cfg.sql_dir, names[i]);
			goto out;
		}
		sha256_hex(sql, len, sum);
		p[0] = names[i];
		if (db_exec_sql(db, c->arena, "SELECT checksum FROM "
		    "schema_migrations WHERE name = $1", 1, p, &rows, &e) != 0)
			goto out;
		if ((row = json_array_get(rows, 0)) != NULL) {
			have = json_string_value(json_object_get(row,
			    "checksum"));
			if (strcmp(have, sum) != 0) {
				cmd_fail("%s was changed after it was applied "
				    "(checksum %s, applied %s); migrations are "
				    "forward-only: restore the file and add a "
				    "new one", names[i], sum, have);
				goto out;
			}
			continue;
		}
		p[1] = sum;
		if (db_begin(db, &e) != 0 || db_simple(db, sql, &e) != 0 ||
		    db_exec_sql(db, c->arena, "INSERT INTO schema_migrations "
		    "(name, checksum) VALUES ($1, $2)", 2, p, NULL, &e) != 0 ||
		    db_commit(db, &e) != 0) {
			db_rollback(db);
			cmd_fail("%s failed: %s%s%s", names[i], e.message,
			    e.detail[0] ? " -- " : "", e.detail);
			goto out;
		}
		log_kv(LOG_INFO, "migration applied", "name", names[i], NULL);
		applied++;
	}
	printf("%zu migration(s) applied, %zu in total, newest %s\n", applied,
	    n, names[n - 1]);
	rc = 0;
out:
	if (rc != 0 && e.code != ERR_OK)
		cmd_fail("%s %s", e.message, e.detail);
	db_free(db);
	return rc;
}

const struct command cmd_migrate = {
	"migrate", "apply database migrations",
	"usage: printyard migrate\n\n"
	"Applies the numbered files in sql_dir that are not applied yet, each\n"
	"in its own transaction.  Refuses to run if an applied file changed.\n"
	"Safe to run from several places at once.\n",
	migrate_run,
};
