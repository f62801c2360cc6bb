/*
 * err.c -- the error record and the one table from code to HTTP status.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/err.h"

static const struct {
	const char	*name;
	int		 status;
} err_table[ERR__COUNT] = {
	[ERR_OK] =		{ "ok", 200 },
	[ERR_BAD_REQUEST] =	{ "bad_request", 400 },
	[ERR_UNAUTHORIZED] =	{ "unauthorized", 401 },
	[ERR_FORBIDDEN] =	{ "forbidden", 403 },
	[ERR_NOT_FOUND] =	{ "not_found", 404 },
	[ERR_METHOD] =		{ "method_not_allowed", 405 },
	[ERR_CONFLICT] =	{ "conflict", 409 },
	[ERR_TOO_LARGE] =	{ "too_large", 413 },
	[ERR_INVALID] =		{ "invalid", 422 },
	[ERR_RATE_LIMITED] =	{ "rate_limited", 429 },
	[ERR_INTERNAL] =	{ "internal", 500 },
	[ERR_UNAVAILABLE] =	{ "unavailable", 503 },
};

const char *
err_name(enum err_code c)
{
	if ((unsigned)c >= ERR__COUNT)
		c = ERR_INTERNAL;
	return err_table[c].name;
}

int
err_http_status(enum err_code c)
{
	if ((unsigned)c >= ERR__COUNT)
		c = ERR_INTERNAL;
	return err_table[c].status;
}

void
err_clear(struct err *e)
{
	e->code = ERR_OK;
	e->message[0] = e->detail[0] = e->hint[0] = e->allowed[0] = '\0';
	if (e->fields != NULL)
		json_decref(e->fields);
	e->fields = NULL;
}

int
err_set(struct err *e, enum err_code c, const char *fmt, ...)
{
	va_list	ap;

	e->code = c;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return c;
}

void
err_detail(struct err *e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

void
err_hint(struct err *e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof(e->hint), fmt, ap);
	va_end(ap);
}

void
err_allowed(struct err *e, const char *list)
{
	/* '=' marks it set, so that "none allowed" shows as [] */
	snprintf(e->allowed, sizeof(e->allowed), "=%s", list != NULL ? list :
	    "");
}

void
err_field(struct err *e, const char *field, const char *fmt, ...)
{
	va_list	ap;
	char	msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e->fields == NULL)
		e->fields = json_object();
	json_object_set_new(e->fields, field, json_string(msg));
	if (e->code == ERR_OK) {
		e->code = ERR_INVALID;
		snprintf(e->message, sizeof(e->message),
		    "some fields are invalid");
	}
}

void
err_line(char *buf, size_t size, const struct err *e)
{
	snprintf(buf, size, "%s%s%s%s%s%s", e->message,
	    e->detail[0] ? ": " : "", e->detail, e->hint[0] ? " (" : "",
	    e->hint, e->hint[0] ? ")" : "");
}
