/*
 * live.h -- publish JSON events to browsers through nginx's nchan module.
 *
 * Processes POST each event to the loopback-only publisher location
 * (nchan_publish_url?channel=NAME); nchan keeps the subscribers, so no
 * Printyard process ever holds a browser connection.  Publishing is best
 * effort: a failure is logged and returned, never retried.
 */
#ifndef PY_LIVE_H
#define PY_LIVE_H

#include <jansson.h>

#define LIVE_CHANNEL_MAX	64
#define LIVE_EVENT_MAX		(64 * 1024)

/* Remembers the publisher URL (from the config key nchan_publish_url). */
void	live_init(const char *publish_url);
/*
 * Publishes event (which must have a "type") on channel (letters, digits,
 * '_' and '-').  Returns 0, or -1 when the channel name or event is bad
 * or nginx did not take it.  Waits at most 500 ms.
 */
int	live_publish(const char *channel, json_t *event);
void	live_cleanup(void);

#endif
