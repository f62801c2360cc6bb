/*
 * log.c -- logfmt lines on stderr.
 *
 * Each line is built in a stack buffer and written with one write(2), so
 * lines from several processes sharing stderr do not interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static enum log_level	 log_min = LOG_INFO;
static char		 log_prefix[128];

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level l)
{
	log_min = l;
}

int
log_parse_level(const char *s, enum log_level *out)
{
	size_t	i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void
log_set_prefix(const char *p)
{
	snprintf(log_prefix, sizeof(log_prefix), "%s", p);
}

struct line {
	char	s[2048];
	size_t	n;
};

static void
line_add(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->s) - 2 - l->n)
		n = sizeof(l->s) - 2 - l->n;
	memcpy(l->s + l->n, s, n);
	l->n += n;
}

static void
line_value(struct line *l, const char *v)
{
	const char	*p;
	int		 quote;
	char		 esc[2];

	quote = (*v == '\0');
	for (p = v; *p != '\0' && !quote; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    (unsigned char)*p < 0x20)
			quote = 1;
	if (!quote) {
		line_add(l, v, strlen(v));
		return;
	}
	line_add(l, "\"", 1);
	for (p = v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = *p;
			line_add(l, esc, 2);
		} else if (*p == '\n') {
			line_add(l, "\\n", 2);
		} else if ((unsigned char)*p < 0x20) {
			line_add(l, " ", 1);
		} else
			line_add(l, p, 1);
	}
	line_add(l, "\"", 1);
}

static void
line_start(struct line *l, enum log_level lvl, const char *msg)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 ts[64];
	int		 n;

	l->n = 0;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - (size_t)n, ".%03dZ",
	    (int)(tv.tv_usec / 1000));
	line_add(l, "ts=", 3);
	line_add(l, ts, strlen(ts));
	line_add(l, " level=", 7);
	line_add(l, level_names[lvl], strlen(level_names[lvl]));
	line_add(l, " msg=", 5);
	line_value(l, msg);
	if (log_prefix[0] != '\0') {
		line_add(l, " ", 1);
		line_add(l, log_prefix, strlen(log_prefix));
	}
}

static void
line_end(struct line *l)
{
	ssize_t	w;

	l->s[l->n++] = '\n';
	w = write(STDERR_FILENO, l->s, l->n);
	(void)w;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	struct line	l;
	char		msg[1024];
	va_list		ap;

	if (lvl < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_start(&l, lvl, msg);
	line_end(&l);
}

void
log_kv(enum log_level lvl, const char *msg, ...)
{
	struct line	 l;
	va_list		 ap;
	const char	*k, *v;

	if (lvl < log_min)
		return;
	line_start(&l, lvl, msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		line_add(&l, " ", 1);
		line_add(&l, k, strlen(k));
		line_add(&l, "=", 1);
		line_value(&l, v != NULL ? v : "");
	}
	va_end(ap);
	line_end(&l);
}
