/*
 * cmd.h -- subcommands and what they share.
 *
 * Each subcommand lives in its own file and exports one descriptor; main.c
 * holds the table.  A command gets the loaded configuration; commands that
 * need the database call cmd_db().
 */
#ifndef PY_CMD_H
#define PY_CMD_H

#include "core/config.h"

struct arena;
struct db;

struct cmd_ctx {
	struct arena	*arena;
	struct config	 cfg;
	const char	*config_path;
	int		 config_required;
};

struct command {
	const char	*name;
	const char	*summary;
	const char	*usage;		/* full --help text */
	int		(*run)(struct cmd_ctx *, int, char **);
};

/* Connects to the database or prints why not and exits 1. */
struct db	*cmd_db(struct cmd_ctx *);
/* Prints "printyard: " and the message to stderr; returns 1. */
int		 cmd_fail(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* Reads one line (a password) from stdin without its newline. */
char		*cmd_read_line(struct arena *);
/* 1 when argv holds --help or -h. */
int		 cmd_wants_help(int, char **);

/* Newest migration file name in dir (for health), or "" if none. */
const char	*migrate_latest(struct arena *, const char *dir);

extern const struct command	cmd_serve, cmd_jobs, cmd_migrate, cmd_user,
				cmd_apikey, cmd_config, cmd_version, cmd_routes;
extern const struct command	cmd_quote;	/* cmd/quote.c */

#endif
