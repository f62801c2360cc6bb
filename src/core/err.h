/*
 * err.h -- errors are values.
 *
 * One enum (0 = ok) and one error record: a message for people, an optional
 * detail and hint, and per-field messages for forms.  err.c holds the only
 * table that maps a code to an HTTP status and a machine-readable name.
 */
#ifndef PY_ERR_H
#define PY_ERR_H

#include <jansson.h>

enum err_code {
	ERR_OK = 0,
	ERR_BAD_REQUEST,	/* 400: malformed input (syntax) */
	ERR_UNAUTHORIZED,	/* 401: no or bad credentials */
	ERR_FORBIDDEN,		/* 403: authenticated, not allowed */
	ERR_NOT_FOUND,		/* 404 */
	ERR_METHOD,		/* 405: route exists, method does not */
	ERR_CONFLICT,		/* 409: state or uniqueness conflict */
	ERR_TOO_LARGE,		/* 413: a size ceiling was reached */
	ERR_INVALID,		/* 422: well-formed but invalid values */
	ERR_RATE_LIMITED,	/* 429 */
	ERR_INTERNAL,		/* 500 */
	ERR_UNAVAILABLE,	/* 503: database or dependency down */
	ERR__COUNT
};

struct err {
	enum err_code	 code;
	char		 message[256];
	char		 detail[512];
	char		 hint[256];
	/* A 409 from a state machine: "=a|b", the states allowed next. */
	char		 allowed[128];
	json_t		*fields;	/* object: field name -> message, or NULL */
};

/* Clears the record (and drops its field object). */
void	err_clear(struct err *);
/* Sets code and message; returns code so callers can `return err_set(...)`. */
int	err_set(struct err *, enum err_code, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	err_detail(struct err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	err_hint(struct err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Adds a per-field message; the code becomes ERR_INVALID if it was ERR_OK. */
void	err_field(struct err *, const char *field, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* Names the states that may follow (ERR_CONFLICT of a state machine). */
void	err_allowed(struct err *, const char *pipe_list);

/* Machine-readable name ("not_found") and HTTP status for a code. */
/* The message, detail and hint on one line, into buf (cut at size). */
void		 err_line(char *buf, size_t size, const struct err *);
const char	*err_name(enum err_code);
int		 err_http_status(enum err_code);

#endif
