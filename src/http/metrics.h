/*
 * metrics.h -- request counters shared by every worker process.
 *
 * The serve master maps one anonymous shared region before forking; the
 * workers add to it with atomic operations, and /metrics reads it.
 */
#ifndef PY_METRICS_H
#define PY_METRICS_H

struct buf;

/* Maps the shared region (call once, before forking workers). */
int	metrics_init(void);
/* Counts one request: route index (-1 when none matched), status, time. */
void	metrics_request(int route, int status, double seconds);
void	metrics_worker_restart(void);
void	metrics_db_errors(unsigned long n);
/* Writes the Prometheus text exposition of every counter. */
void	metrics_render(struct buf *);

#endif
