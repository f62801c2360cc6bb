/*
 * log.h -- one logfmt line per event on stderr.
 *
 * Lines look like: ts=2026-11-21T10:00:00.123Z level=info msg="..." k=v ...
 * Values with spaces, quotes or '=' are quoted and escaped.
 */
#ifndef PY_LOG_H
#define PY_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the lowest level written; from the config key log_level. */
void	log_set_level(enum log_level);
int	log_parse_level(const char *, enum log_level *);
/* Sets a key=value prefix written after msg on every line (e.g. "proc=serve"). */
void	log_set_prefix(const char *);

/*
 * Writes one line.  fmt is the message (printf-style); pairs are given as
 * further "key=%s"-free text: callers pass a NULL-terminated list of
 * key, value strings after the message arguments through log_kv().
 */
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Writes msg with key/value pairs: log_kv(LOG_INFO, "request", "path", p, NULL). */
void	log_kv(enum log_level, const char *msg, ...)
	    __attribute__((sentinel));

#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)

#endif
