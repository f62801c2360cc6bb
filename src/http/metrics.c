/*
 * metrics.c -- shared counters and their Prometheus text.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "http/metrics.h"
#include "http/router.h"

#define M_ROUTES	1025		/* routes + "no route" */
#define M_STATUSES	600

static const double	buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
			    0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define M_BUCKETS	(sizeof(buckets) / sizeof(buckets[0]))

/* Statuses that get their own row; others count under their class (x00). */
static const int	kept[] = { 200, 201, 202, 204, 301, 302, 303, 304,
			    400, 401, 403, 404, 405, 409, 413, 415, 422, 429,
			    500, 502, 503 };
#define M_KEPT		(sizeof(kept) / sizeof(kept[0]))

struct shared {
	uint64_t	requests[M_ROUTES][M_KEPT + 5];
	uint64_t	hist[M_BUCKETS + 1];
	uint64_t	sum_us;
	uint64_t	count;
	uint64_t	worker_restarts;
	uint64_t	db_errors;
};

static struct shared	*shm;

int
metrics_init(void)
{
	void	*p;

	if (shm != NULL)
		return 0;
	p = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	shm = p;
	memset(shm, 0, sizeof(*shm));
	return 0;
}

static size_t
status_slot(int status)
{
	size_t	i;

	for (i = 0; i < M_KEPT; i++)
		if (kept[i] == status)
			return i;
	if (status >= 100 && status < 600)
		return M_KEPT + (size_t)(status / 100 - 1);
	return M_KEPT + 4;
}

static int
slot_status(size_t slot)
{
	return slot < M_KEPT ? kept[slot] : (int)(slot - M_KEPT + 1) * 100;
}

void
metrics_request(int route, int status, double seconds)
{
	size_t	r, b;

	if (shm == NULL)
		return;
	r = route >= 0 && route < M_ROUTES - 1 ? (size_t)route + 1 : 0;
	__atomic_fetch_add(&shm->requests[r][status_slot(status)], 1,
	    __ATOMIC_RELAXED);
	for (b = 0; b < M_BUCKETS && seconds > buckets[b]; b++)
		;
	__atomic_fetch_add(&shm->hist[b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&shm->sum_us, (uint64_t)(seconds * 1e6),
	    __ATOMIC_RELAXED);
	__atomic_fetch_add(&shm->count, 1, __ATOMIC_RELAXED);
}

void
metrics_worker_restart(void)
{
	if (shm != NULL)
		__atomic_fetch_add(&shm->worker_restarts, 1, __ATOMIC_RELAXED);
}

void
metrics_db_errors(unsigned long n)
{
	if (shm != NULL && n > 0)
		__atomic_fetch_add(&shm->db_errors, n, __ATOMIC_RELAXED);
}

static uint64_t
load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
metrics_render(struct buf *out)
{
	const struct route_entry	*re;
	size_t				 r, s, b;
	uint64_t			 v, cum;

	if (shm == NULL)
		return;
	buf_addstr(out, "# HELP printyard_http_requests_total HTTP requests "
	    "answered, by route and status.\n"
	    "# TYPE printyard_http_requests_total counter\n");
	for (r = 0; r < M_ROUTES; r++) {
		re = r > 0 ? router_entry(r - 1) : NULL;
		if (r > 0 && re == NULL)
			break;
		for (s = 0; s < M_KEPT + 5; s++) {
			if ((v = load(&shm->requests[r][s])) == 0)
				continue;
			buf_printf(out, "printyard_http_requests_total{method=\""
			    "%s\",route=\"%s\",status=\"%d\"} %llu\n",
			    re ? re->route->method : "", re ? re->route->path :
			    "unmatched", slot_status(s), (unsigned long long)v);
		}
	}
	buf_addstr(out, "# HELP printyard_http_request_duration_seconds Time "
	    "from request to answer inside the worker.\n"
	    "# TYPE printyard_http_request_duration_seconds histogram\n");
	cum = 0;
	for (b = 0; b <= M_BUCKETS; b++) {
		cum += load(&shm->hist[b]);
		if (b < M_BUCKETS)
			buf_printf(out, "printyard_http_request_duration_seconds"
			    "_bucket{le=\"%g\"} %llu\n", buckets[b],
			    (unsigned long long)cum);
		else
			buf_printf(out, "printyard_http_request_duration_seconds"
			    "_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	buf_printf(out, "printyard_http_request_duration_seconds_sum %.6f\n"
	    "printyard_http_request_duration_seconds_count %llu\n",
	    (double)load(&shm->sum_us) / 1e6,
	    (unsigned long long)load(&shm->count));
	buf_printf(out, "# HELP printyard_worker_restarts_total Workers the "
	    "master started again after they died.\n"
	    "# TYPE printyard_worker_restarts_total counter\n"
	    "printyard_worker_restarts_total %llu\n"
	    "# HELP printyard_db_errors_total Database errors seen by "
	    "workers.\n# TYPE printyard_db_errors_total counter\n"
	    "printyard_db_errors_total %llu\n",
	    (unsigned long long)load(&shm->worker_restarts),
	    (unsigned long long)load(&shm->db_errors));
}
