/*
 * user.c -- printyard user add|passwd|list.
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "core/err.h"
#include "cmd/cmd.h"
#include "db/db.h"

static const char *
new_password(struct cmd_ctx *c, int from_stdin, int *generated)
{
	const char	*pw;

	*generated = 0;
	if (from_stdin) {
		pw = cmd_read_line(c->arena);
		if (pw == NULL || strlen(pw) < 10) {
			cmd_fail("the password must have at least 10 "
			    "characters");
			return NULL;
		}
		return pw;
	}
	*generated = 1;
	return crypto_token(c->arena, 12);
}

static int
has_flag(int argc, char **argv, const char *flag)
{
	int	i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return 1;
	return 0;
}

static const char *
opt(int argc, char **argv, const char *name)
{
	int	i;

	for (i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int
user_run(struct cmd_ctx *c, int argc, char **argv)
{
	struct db	*db;
	struct err	 e = { 0 };
	json_t		*rows, *row;
	const char	*p[3], *role, *pw;
	size_t		 i;
	int		 gen;

	if (argc < 2)
		return cmd_fail("usage: printyard user add|passwd|list");
	if (strcmp(argv[1], "list") == 0) {
		db = cmd_db(c);
		if (db_exec_sql(db, c->arena, "SELECT id, username, "
		    "role::text AS role, active, coalesce(to_char(last_login_at,"
		    " 'YYYY-MM-DD HH24:MI'), '-') AS last FROM users ORDER BY "
		    "username", 0, NULL, &rows, &e) != 0)
			return cmd_fail("%s", e.message);
		printf("%-6s %-24s %-11s %-7s %s\n", "ID", "USER", "ROLE",
		    "ACTIVE", "LAST LOGIN (UTC)");
		json_array_foreach(rows, i, row)
			printf("%-6lld %-24s %-11s %-7s %s\n",
			    (long long)json_integer_value(json_object_get(row,
			    "id")), json_string_value(json_object_get(row,
			    "username")), json_string_value(json_object_get(
			    row, "role")), json_is_true(json_object_get(row,
			    "active")) ? "yes" : "no", json_string_value(
			    json_object_get(row, "last")));
		db_free(db);
		return 0;
	}
	if (argc < 3)
		return cmd_fail("name the user");
	if (strcmp(argv[1], "add") == 0) {
		role = opt(argc, argv, "--role");
		if (role == NULL || (strcmp(role, "owner") != 0 &&
		    strcmp(role, "staff") != 0 &&
		    strcmp(role, "accountant") != 0))
			return cmd_fail("--role must be owner, staff or "
			    "accountant");
		if ((pw = new_password(c, has_flag(argc, argv,
		    "--password-stdin"), &gen)) == NULL)
			return 1;
		db = cmd_db(c);
		p[0] = argv[2];
		p[1] = password_hash(c->arena, pw);
		p[2] = role;
		if (db_begin(db, &e) != 0 || db_exec_sql(db, c->arena,
		    "INSERT INTO users (username, password_hash, role) VALUES "
		    "($1, $2, $3::user_role)", 3, p, NULL, &e) != 0 ||
		    db_exec_sql(db, c->arena, "INSERT INTO audit_log (actor, "
		    "action, entity, entity_id, after) VALUES ('cli', 'create',"
		    " 'user', $1, jsonb_build_object('role', $2::text))", 2,
		    (const char *[]){ p[0], p[2] }, NULL, &e) != 0 ||
		    db_commit(db, &e) != 0) {
			db_free(db);
			return cmd_fail("cannot add %s: %s%s%s", argv[2],
			    e.message, e.detail[0] ? " -- " : "", e.detail);
		}
		printf("user %s added as %s\n", argv[2], role);
	} else if (strcmp(argv[1], "passwd") == 0) {
		if ((pw = new_password(c, has_flag(argc, argv,
		    "--password-stdin"), &gen)) == NULL)
			return 1;
		db = cmd_db(c);
		p[0] = argv[2];
		p[1] = password_hash(c->arena, pw);
		if (db_begin(db, &e) != 0 || db_exec_sql(db, c->arena,
		    "UPDATE users SET password_hash = $2, failed_logins = 0, "
		    "locked_until = NULL WHERE username = $1 RETURNING id", 2,
		    p, &rows, &e) != 0 || json_array_size(rows) == 0 ||
		    db_exec_sql(db, c->arena, "INSERT INTO audit_log (actor, "
		    "action, entity, entity_id) VALUES ('cli', 'set_password', "
		    "'user', $1)", 1, p, NULL, &e) != 0 ||
		    db_commit(db, &e) != 0) {
			db_free(db);
			return cmd_fail("cannot set the password of %s: %s",
			    argv[2], e.message[0] ? e.message : "no such user");
		}
		printf("password of %s changed\n", argv[2]);
	} else
		return cmd_fail("unknown user command \"%s\"", argv[1]);
	if (gen)
		printf("password:\n%s\n", pw);
	db_free(db);
	return 0;
}

const struct command cmd_user = {
	"user", "add users, set passwords, list users",
	"usage: printyard user add NAME --role owner|staff|accountant "
	"[--password-stdin]\n"
	"       printyard user passwd NAME [--password-stdin]\n"
	"       printyard user list\n\n"
	"Without --password-stdin a password is generated and printed on the\n"
	"last line.  Passwords need at least 10 characters.\n",
	user_run,
};
