/*
 * apikey.c -- printyard apikey create|list|revoke.
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "cmd/cmd.h"
#include "db/db.h"
#include "http/auth.h"

/* The audit row of a command-line change, in the open transaction. */
static int
audit_cli(struct db *db, struct cmd_ctx *c, const char *action, json_t *row,
    struct err *e)
{
	const char	*p[2];

	p[0] = action;
	p[1] = arena_printf(c->arena, "%lld",
	    (long long)json_integer_value(json_object_get(row, "id")));
	return db_exec_sql(db, c->arena, "INSERT INTO audit_log (actor, action, "
	    "entity, entity_id) VALUES ('cli', $1, 'api_key', $2)", 2, p, NULL,
	    e);
}

static int
apikey_run(struct cmd_ctx *c, int argc, char **argv)
{
	struct db	*db;
	struct err	 e = { 0 };
	json_t		*rows, *row;
	const char	*p[5], *user, *scopes;
	char		*key, *prefix, *hash;
	size_t		 i;
	int		 k;

	if (argc < 2)
		return cmd_fail("usage: printyard apikey create|list|revoke");
	db = cmd_db(c);
	if (strcmp(argv[1], "list") == 0) {
		if (db_exec_sql(db, c->arena, "SELECT k.id, k.name, k.prefix, "
		    "array_to_string(k.scopes, ',') AS scopes, u.username, "
		    "k.revoked_at IS NOT NULL AS revoked FROM api_keys k JOIN "
		    "users u ON u.id = k.user_id ORDER BY k.id", 0, NULL, &rows,
		    &e) != 0)
			return cmd_fail("%s", e.message);
		printf("%-6s %-20s %-16s %-12s %-16s %s\n", "ID", "NAME",
		    "PREFIX", "SCOPES", "USER", "REVOKED");
		json_array_foreach(rows, i, row)
			printf("%-6lld %-20s %-16s %-12s %-16s %s\n",
			    (long long)json_integer_value(json_object_get(row,
			    "id")), json_string_value(json_object_get(row,
			    "name")), json_string_value(json_object_get(row,
			    "prefix")), json_string_value(json_object_get(row,
			    "scopes")), json_string_value(json_object_get(row,
			    "username")), json_is_true(json_object_get(row,
			    "revoked")) ? "yes" : "no");
	} else if (strcmp(argv[1], "create") == 0 && argc >= 3) {
		user = scopes = NULL;
		for (k = 3; k < argc - 1; k++) {
			if (strcmp(argv[k], "--user") == 0)
				user = argv[k + 1];
			if (strcmp(argv[k], "--scopes") == 0)
				scopes = argv[k + 1];
		}
		if (user == NULL)
			return cmd_fail("--user USERNAME is required");
		auth_apikey_new(c->arena, &key, &prefix, &hash);
		p[0] = user;
		p[1] = argv[2];
		p[2] = prefix;
		p[3] = hash;
		p[4] = arena_printf(c->arena, "{%s}", scopes != NULL ? scopes :
		    "read");
		if (db_begin(db, &e) != 0 || db_exec_sql(db, c->arena,
		    "INSERT INTO api_keys (user_id, name, prefix, key_hash, "
		    "scopes) SELECT id, $2, $3, $4, $5::text[] FROM users WHERE "
		    "username = $1 RETURNING id", 5, p, &rows, &e) != 0 ||
		    json_array_size(rows) == 0 || audit_cli(db, c, "create",
		    json_array_get(rows, 0), &e) != 0 ||
		    db_commit(db, &e) != 0)
			return cmd_fail("cannot create the key: %s",
			    e.message[0] ? e.message : "no such user");
		printf("API key %s created for %s (shown only now):\n%s\n",
		    argv[2], user, key);
	} else if (strcmp(argv[1], "revoke") == 0 && argc >= 3) {
		p[0] = argv[2];
		if (db_begin(db, &e) != 0 || db_exec_sql(db, c->arena,
		    "UPDATE api_keys SET revoked_at = coalesce(revoked_at, "
		    "now()) WHERE id = $1::bigint RETURNING id", 1, p, &rows,
		    &e) != 0 || json_array_size(rows) == 0 ||
		    audit_cli(db, c, "revoke", json_array_get(rows, 0),
		    &e) != 0 || db_commit(db, &e) != 0)
			return cmd_fail("cannot revoke key %s: %s", argv[2],
			    e.message[0] ? e.message : "no such key");
		printf("API key %s revoked\n", argv[2]);
	} else
		return cmd_fail("usage: printyard apikey create|list|revoke");
	db_free(db);
	return 0;
}

const struct command cmd_apikey = {
	"apikey", "create, list and revoke API keys",
	"usage: printyard apikey create NAME --user USERNAME "
	"[--scopes read,write]\n"
	"       printyard apikey list\n"
	"       printyard apikey revoke ID\n\n"
	"The key is printed once, on the last line; only its hash is kept.\n",
	apikey_run,
};
