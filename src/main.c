/*
 * main.c -- printyard [--config FILE] COMMAND ...: the subcommand table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "cmd/cmd.h"
#include "db/db.h"

extern const struct command	cmd_sim;	/* cmd/sim.c */
extern const struct command	cmd_telemetry;	/* cmd/telemetry.c */

static const struct command *const commands[] = {
	&cmd_serve, &cmd_jobs, &cmd_migrate, &cmd_user, &cmd_apikey,
	&cmd_config, &cmd_version, &cmd_routes, &cmd_sim, &cmd_telemetry,
	&cmd_quote,
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: printyard [--config FILE] COMMAND [ARGS]\n\n"
	    "Printyard runs a 3D-print business: printers, stock, orders, "
	    "production.\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name,
		    commands[i]->summary);
	fprintf(f, "\nprintyard COMMAND --help tells more.  Configuration: "
	    "%s (or --config),\nany key overridden by PRINTYARD_<KEY>.\n",
	    CONFIG_DEFAULT_PATH);
}

int
cmd_fail(const char *fmt, ...)
{
	va_list	ap;

	fputs("printyard: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
cmd_wants_help(int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

struct db *
cmd_db(struct cmd_ctx *c)
{
	struct db	*db;
	struct err	 e = { 0 };

	db = db_new(c->cfg.database_url);
	if (db_connect(db, &e) != 0) {
		cmd_fail("%s: %s", e.message, e.detail);
		exit(1);
	}
	return db;
}

char *
cmd_read_line(struct arena *a)
{
	char	line[1024];
	size_t	n;

	if (fgets(line, sizeof(line), stdin) == NULL)
		return NULL;
	n = strcspn(line, "\r\n");
	return arena_strndup(a, line, n);
}

int
main(int argc, char **argv)
{
	struct cmd_ctx		 c;
	struct err		 e = { 0 };
	const struct command	*cmd;
	size_t			 i;
	int			 rc;

	memset(&c, 0, sizeof(c));
	c.config_path = CONFIG_DEFAULT_PATH;
	argc--;
	argv++;
	while (argc > 0 && argv[0][0] == '-') {
		if (strcmp(argv[0], "--config") == 0 && argc > 1) {
			c.config_path = argv[1];
			c.config_required = 1;
			argc -= 2;
			argv += 2;
		} else if (strcmp(argv[0], "--help") == 0 ||
		    strcmp(argv[0], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[0], "--version") == 0) {
			puts(PACKAGE_STRING);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	cmd = NULL;
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, argv[0]) == 0)
			cmd = commands[i];
	if (cmd == NULL) {
		cmd_fail("unknown command \"%s\"", argv[0]);
		usage(stderr);
		return 2;
	}
	if (cmd_wants_help(argc, argv)) {
		fputs(cmd->usage, stdout);
		return 0;
	}
	c.arena = arena_new(64 * 1024);
	if (config_load(&c.cfg, c.arena, c.config_path, c.config_required,
	    &e) != 0) {
		rc = cmd_fail("%s", e.message);
		arena_free(c.arena);
		return rc;
	}
	log_set_level(c.cfg.log_level);
	rc = cmd->run(&c, argc, argv);
	arena_free(c.arena);
	return rc;
}
