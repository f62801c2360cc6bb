/*
 * config.c -- printyard config check and printyard version.
 */
#include <stdio.h>

#include "config.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/err.h"
#include "cmd/cmd.h"

static int
config_run(struct cmd_ctx *c, int argc, char **argv)
{
	struct buf	 out;

	if (argc < 2 || argv[1][0] != 'c')
		return cmd_fail("usage: printyard config check");
	buf_init(&out, 1024 * 1024);
	config_dump(&c->cfg, &out);
	fputs(out.data, stdout);
	buf_free(&out);
	fputs("# configuration is valid\n", stdout);
	return 0;
}

static int
version_run(struct cmd_ctx *c, int argc, char **argv)
{
	puts(PACKAGE_STRING);
	return 0;
}

const struct command cmd_config = {
	"config", "check and show the effective configuration",
	"usage: printyard config check\n\n"
	"Reads the configuration file and PRINTYARD_* variables, checks\n"
	"every value and prints the result with secrets masked.\n",
	config_run,
};

const struct command cmd_version = {
	"version", "print the version",
	"usage: printyard version\n",
	version_run,
};
