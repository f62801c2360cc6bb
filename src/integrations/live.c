/*
 * live.c -- the nchan publisher client (libcurl, one handle per process
 * so the connection to nginx is reused).
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/log.h"
#include "integrations/live.h"

static CURL	*handle;
static char	*publish_url;

void
live_init(const char *url)
{
	free(publish_url);
	publish_url = strdup(url);
}

void
live_cleanup(void)
{
	if (handle != NULL)
		curl_easy_cleanup(handle);
	handle = NULL;
	free(publish_url);
	publish_url = NULL;
}

static int
channel_ok(const char *c)
{
	size_t	i;

	if (c == NULL || *c == '\0' || strlen(c) > LIVE_CHANNEL_MAX)
		return 0;
	for (i = 0; c[i] != '\0'; i++)
		if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= 'A' &&
		    c[i] <= 'Z') || (c[i] >= '0' && c[i] <= '9') ||
		    c[i] == '_' || c[i] == '-'))
			return 0;
	return 1;
}

static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	return size * n;
}

int
live_publish(const char *channel, json_t *event)
{
	struct curl_slist	*hdrs;
	char			*body, url[1024];
	long			 code;
	CURLcode		 rc;

	if (publish_url == NULL || !channel_ok(channel) ||
	    !json_is_string(json_object_get(event, "type")))
		return -1;
	body = json_dumps(event, JSON_COMPACT);
	if (body == NULL || strlen(body) > LIVE_EVENT_MAX) {
		free(body);
		return -1;
	}
	if (handle == NULL && (handle = curl_easy_init()) == NULL) {
		free(body);
		return -1;
	}
	snprintf(url, sizeof(url), "%s?channel=%s", publish_url, channel);
	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	curl_easy_reset(handle);
	curl_easy_setopt(handle, CURLOPT_URL, url);
	curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(handle, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 500L);
	curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(handle);
	code = 0;
	curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdrs);
	free(body);
	if (rc != CURLE_OK || code < 200 || code >= 300) {
		log_kv(LOG_WARN, "live publish failed", "channel", channel,
		    "error", rc != CURLE_OK ? curl_easy_strerror(rc) :
		    "nginx refused the event", NULL);
		return -1;
	}
	return 0;
}
