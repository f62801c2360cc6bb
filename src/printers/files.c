/*
 * files.c -- the print files stored on the printers: listing them and
 * downloading them into Printyard's file store (the telemetry worker's
 * files module).
 *
 * Work comes from printer_commands rows of kind `files` (list),
 * `download` (args {"path"}) and `start` with a file from the store
 * (args {"file", "upload": {"path", "sha256", "size"}}, see
 * res/printer_commands.c), claimed queued -> sent and ended done or
 * failed with a result in plain words, and from the worker itself: a
 * printer's listing is refreshed when it comes online and when a print
 * on it ends, at most every FILES_AUTO_S.
 *
 * An upload reads the file from the store (bounded by upload_max, its
 * SHA-256 checked against the one recorded), refuses as the commands
 * module would when the printer is offline or without control, and
 * sends it: Bambu by FTPS STOR into the SD card's root, after which the
 * commands module starts it (control_adopt); PrusaLink by PUT
 * /api/v1/files/usb/<name> with Print-After-Upload and Overwrite;
 * OctoPrint by a multipart POST /api/files/local with print=true;
 * Moonraker by a multipart POST /server/files/upload with the SHA-256
 * as checksum and print=true.  The HTTP kinds start the print with the
 * upload itself.
 *
 * Transports, all on this module's own libcurl multi handle so the loop
 * never blocks: Bambu over implicit FTPS (ftps URLs: TLS from the first
 * byte, PROT P, user bblp and the access code; port 990 unless the
 * printer's files_port names another) with the certificate checked as
 * printers/bambu.c checks it: chained to the Bambu CAs (or the farm's
 * test CA, which the worker passes in) and issued to the serial, which
 * curl checks by connecting to the address under the serial's name; PrusaLink (digest), OctoPrint
 * and Moonraker (X-Api-Key) over HTTP.
 *
 * A download is held in memory up to upload_max bytes (a larger one is
 * refused, before it starts when the listing gave its size), hashed
 * (SHA-256), written to <file_store>/printers/<id>/<YYYY-MM-DD>/
 * <sha256>.<ext> through a temporary name, and read for its slicer
 * metadata (parse/gcode.c, parse/threemf.c) and thumbnail
 * (parse/thumbs.c, or the plate image of a 3MF).
 *
 * Invariants: a printer has at most one job running here; a job knows
 * its printer by id only (the worker may reload printers meanwhile);
 * every claimed command is ended exactly once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/fs.h"
#include "core/json.h"
#include "core/log.h"
#include "db/db.h"
#include "integrations/live.h"
#include "parse/gcode.h"
#include "parse/threemf.h"
#include "parse/thumbs.h"
#include "printers/telemetry.h"

#define FILES_CHECK_S		0.5	/* queued commands */
#define FILES_AUTO_S		180	/* automatic listings, at most */
#define FILES_CONNECT_MS	5000L
#define FILES_LIST_MS		20000L
#define FILES_DOWNLOAD_MS	600000L
#define FILES_LIST_MAX		(4L * 1024 * 1024)
#define FILES_MAX_LISTED	2000
#define FILES_PATH_MAX		1000	/* bytes of a listed path */
#define FILES_FTPS_PORT		990
/* Bambu folders a listing walks: how many, how deep, and which never */
#define FILES_MAX_FOLDERS	16
#define FILES_FOLDER_DEPTH	2
static const char *const files_skipped[] = { "timelapse", "image",
    "logger" };	/* videos, camera pictures, logs */

enum {
	ST_QUEUED, ST_CLAIM, ST_END, ST_LISTING, ST_FIND, ST_STORED
};

static const struct stmt files_stmts[] = {
	{ "files_queued",
	  "SELECT id, printer_id, command::text AS command, args, created_by "
	  "FROM printer_commands WHERE status = 'queued' AND (command::text "
	  "IN ('files', 'download') OR (command = 'start' AND args ? "
	  "'upload')) ORDER BY id LIMIT 20", 0 },
	{ "files_claim",
	  "UPDATE printer_commands SET status = 'sent' WHERE id = $1 AND "
	  "status = 'queued' RETURNING id", 1 },
	{ "files_end",
	  "UPDATE printer_commands SET status = $2::printer_command_status, "
	  "result = left($3, 2000), code = $4, done_at = now() WHERE id = $1 "
	  "AND status IN ('queued', 'sent') RETURNING printer_id, "
	  "command::text AS command", 4 },
	{ "files_listing",
	  "WITH l AS (SELECT DISTINCT ON (x.path) x.* FROM "
	  "jsonb_to_recordset($2::jsonb) AS x(path text, name text, "
	  "size bigint, modified float8, ref text)), "
	  "up AS (INSERT INTO printer_files AS o (printer_id, path, name, "
	  "size, modified_at, download_ref, listed_at) SELECT $1, path, "
	  "name, size, to_timestamp(modified), ref, now() FROM l "
	  "ON CONFLICT (printer_id, path) DO UPDATE SET name = "
	  "EXCLUDED.name, size = EXCLUDED.size, modified_at = "
	  "EXCLUDED.modified_at, download_ref = EXCLUDED.download_ref, "
	  "listed_at = EXCLUDED.listed_at, gone_at = NULL, "
	  "file_sha256 = CASE WHEN o.size IS NOT DISTINCT FROM EXCLUDED.size "
	  "AND o.modified_at IS NOT DISTINCT FROM EXCLUDED.modified_at THEN "
	  "o.file_sha256 END, "
	  "file_path = CASE WHEN o.size IS NOT DISTINCT FROM EXCLUDED.size "
	  "AND o.modified_at IS NOT DISTINCT FROM EXCLUDED.modified_at THEN "
	  "o.file_path END, "
	  "downloaded_at = CASE WHEN o.size IS NOT DISTINCT FROM "
	  "EXCLUDED.size AND o.modified_at IS NOT DISTINCT FROM "
	  "EXCLUDED.modified_at THEN o.downloaded_at END "
	  "RETURNING id), "
	  "gone AS (UPDATE printer_files SET gone_at = now() WHERE "
	  "printer_id = $1 AND gone_at IS NULL AND path NOT IN (SELECT path "
	  "FROM l) RETURNING id) "
	  "SELECT (SELECT count(*) FROM up) AS listed, (SELECT count(*) FROM "
	  "gone) AS gone", 2 },
	{ "files_find",
	  "SELECT id, path, name, size, download_ref FROM printer_files "
	  "WHERE printer_id = $1 AND path = $2", 2 },
	{ "files_stored",
	  "UPDATE printer_files SET file_sha256 = $2, file_path = $3, "
	  "file_size = $4, downloaded_at = now(), est_seconds = $5, "
	  "grams = $6::jsonb, slicer = $7, thumbnail = $8::bytea, "
	  "thumbnail_type = $9, size = coalesce(size, $4::bigint) "
	  "WHERE id = $1", 9 },
};

enum job_kind { JOB_LIST, JOB_DOWNLOAD, JOB_UPLOAD };

#define FILES_ANSWER_MAX	65536L	/* an upload's answer */

struct files_job {
	enum job_kind		 kind;
	long long		 cmd_id;	/* 0: automatic */
	long long		 printer_id;
	long long		 file_id;
	enum tel_kind		 pkind;
	char			 pname[104];
	char			 path[FILES_PATH_MAX + 1];
	char			 name[256];
	char			 where[300];	/* host:port, for messages */
	char			 base[400];	/* Bambu: URL of the root */
	/* a Bambu listing walks the folders: what was found, what is left */
	json_t			*found;
	json_t			*folders;
	int			 nfolders;	/* listed so far */
	char			 folder[FILES_PATH_MAX + 1];	/* "": the root */
	CURL			*h;
	struct curl_slist	*hdrs;
	struct curl_slist	*connect_to;
	struct buf		 body;
	long			 max;
	int			 too_big;
	char			 errbuf[CURL_ERROR_SIZE];
	/* an upload: the file's bytes and how far they went */
	char			*out;
	size_t			 outlen, outpos;
	char			 sha[65];
	curl_mime		*mime;
	struct files_job	*next;
};

struct files {
	CURLM			*m;
	char			*store;
	long			 upload_max;
	const char		*bambu_ca;	/* of this files_step */
	struct files_job	*jobs;
	double			 next_check;
	struct control		*ctl;		/* starts Bambu uploads */
};

void
files_register(void)
{
	db_register(files_stmts, sizeof(files_stmts) /
	    sizeof(files_stmts[0]));
}

struct files *
files_new(const char *store, long upload_max, struct control *ctl)
{
	struct files	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((f->m = curl_multi_init()) == NULL ||
	    (f->store = strdup(store != NULL ? store : ".")) == NULL) {
		if (f->m != NULL)
			curl_multi_cleanup(f->m);
		free(f);
		return NULL;
	}
	f->upload_max = upload_max;
	f->ctl = ctl;
	return f;
}

static void
job_free(struct files *f, struct files_job *j)
{
	if (j->h != NULL) {
		curl_multi_remove_handle(f->m, j->h);
		curl_easy_cleanup(j->h);
	}
	curl_slist_free_all(j->hdrs);
	curl_slist_free_all(j->connect_to);
	curl_mime_free(j->mime);
	json_decref(j->found);
	json_decref(j->folders);
	buf_free(&j->body);
	free(j->out);
	free(j);
}

void
files_free(struct files *f)
{
	struct files_job	*j, *next;

	if (f == NULL)
		return;
	for (j = f->jobs; j != NULL; j = next) {
		next = j->next;
		job_free(f, j);
	}
	curl_multi_cleanup(f->m);
	free(f->store);
	free(f);
}

int
files_pending(const struct files *f)
{
	return f != NULL && f->jobs != NULL;
}

/* ---- commands ---- */

static void
cmd_end(struct db *db, struct arena *a, long long id, const char *code,
    const char *result)
{
	struct err	 e = { 0 };
	const char	*prm[4];
	int		 ok = strcmp(code, "ok") == 0;
	json_t		*row, *ev;

	if (id <= 0)
		return;
	prm[0] = arena_printf(a, "%lld", id);
	prm[1] = ok ? "done" : "failed";
	prm[2] = result;
	prm[3] = code;
	if (db_one(db, a, &files_stmts[ST_END], prm, &row, &e) != 0) {
		log_kv(LOG_WARN, "cannot end a printer command", "id", prm[0],
		    "error", e.message, NULL);
		err_clear(&e);
		return;
	}
	if (row == NULL)
		return;
	ev = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "type",
	    "printer_command", "printer_id", (json_int_t)json_row_int(row,
	    "printer_id"), "id", (json_int_t)id, "command", json_row_str(row,
	    "command"), "status", prm[1], "result", result, "code", code);
	live_publish("printers", ev);
	json_decref(ev);
}

/* ---- starting a transfer ---- */

static size_t
job_write(char *data, size_t size, size_t n, void *ctx)
{
	struct files_job	*j = ctx;
	size_t			 add = size * n;

	if ((long)(j->body.len + add) > j->max) {
		j->too_big = 1;
		return 0;
	}
	if (buf_add(&j->body, data, add) != 0)
		return 0;
	return add;
}

static size_t
job_read(char *data, size_t size, size_t n, void *ctx)
{
	struct files_job	*j = ctx;
	size_t			 len = size * n;

	if (len > j->outlen - j->outpos)
		len = j->outlen - j->outpos;
	memcpy(data, j->out + j->outpos, len);
	j->outpos += len;
	return len;
}

/* Rewinds an upload (libcurl sends it again after a Digest 401). */
static int
job_seek(void *ctx, curl_off_t off, int origin)
{
	struct files_job	*j = ctx;

	if (origin != SEEK_SET || off < 0 || (size_t)off > j->outlen)
		return CURL_SEEKFUNC_CANTSEEK;
	j->outpos = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

/* The upload's body as a multipart form: the file and fields. */
static void
job_form(struct files_job *j, const char *const *fields)
{
	curl_mimepart	*part;

	j->mime = curl_mime_init(j->h);
	part = curl_mime_addpart(j->mime);
	curl_mime_name(part, "file");
	curl_mime_filename(part, j->name);
	curl_mime_type(part, "application/octet-stream");
	curl_mime_data_cb(part, (curl_off_t)j->outlen, job_read, job_seek,
	    NULL, j);
	for (; fields[0] != NULL; fields += 2) {
		part = curl_mime_addpart(j->mime);
		curl_mime_name(part, fields[0]);
		curl_mime_data(part, fields[1], CURL_ZERO_TERMINATED);
	}
	curl_easy_setopt(j->h, CURLOPT_MIMEPOST, j->mime);
}

static const char *
host_url(struct arena *a, const struct tel_printer *p)
{
	if (strchr(p->host, ':') != NULL)
		return arena_printf(a, "http://[%s]:%d", p->host, p->port);
	return arena_printf(a, "http://%s:%d", p->host, p->port);
}

/* The path part of a download reference (absolute URLs lose the host). */
static const char *
ref_path(const char *ref)
{
	const char	*s;

	if ((s = strstr(ref, "://")) != NULL) {
		s = strchr(s + 3, '/');
		return s != NULL ? s : "/";
	}
	return ref;
}

/*
 * Sets up j->h for its printer p; returns 0, or -1 with why in plain
 * words (nothing started).
 */
static int
job_setup(struct files *f, struct arena *a, struct files_job *j,
    const struct tel_printer *p, const char *ref, char *why, size_t whylen)
{
	const char	*url, *ca = f->bambu_ca, *tls_host;
	char		 hdr[512];
	int		 port;

	if ((j->h = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	buf_init(&j->body, (size_t)j->max + 1);
	curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
	curl_easy_setopt(j->h, CURLOPT_WRITEFUNCTION, job_write);
	curl_easy_setopt(j->h, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->h, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(j->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->h, CURLOPT_CONNECTTIMEOUT_MS, FILES_CONNECT_MS);
	curl_easy_setopt(j->h, CURLOPT_TIMEOUT_MS, j->kind == JOB_LIST ?
	    FILES_LIST_MS : FILES_DOWNLOAD_MS);
	curl_easy_setopt(j->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)j->max);
	if (p->kind == TEL_BAMBU) {
		if (p->serial[0] == '\0') {
			snprintf(why, whylen, "the printer has no serial "
			    "number, which its certificate is checked "
			    "against");
			return -1;
		}
		port = p->files_port > 0 ? p->files_port : FILES_FTPS_PORT;
		if (ca == NULL) {
			snprintf(why, whylen, "no Bambu CA file to check the "
			    "printer's certificate (--bambu-ca)");
			return -1;
		}
		snprintf(j->where, sizeof(j->where), "%s:%d (FTPS)", p->host,
		    port);
		/* connect to the address, check the certificate's name */
		tls_host = p->serial;
		snprintf(hdr, sizeof(hdr), "%s:%d:%s:%d", tls_host, port,
		    p->host, port);
		j->connect_to = curl_slist_append(NULL, hdr);
		if (j->kind == JOB_UPLOAD) {
			curl_easy_setopt(j->h, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(j->h, CURLOPT_READFUNCTION, job_read);
			curl_easy_setopt(j->h, CURLOPT_READDATA, j);
			curl_easy_setopt(j->h, CURLOPT_INFILESIZE_LARGE,
			    (curl_off_t)j->outlen);
		}
		snprintf(j->base, sizeof(j->base), "ftps://%s:%d", tls_host,
		    port);
		if (j->kind == JOB_LIST)
			url = arena_printf(a, "%s/", j->base);
		else
			url = arena_printf(a, "%s/%s", j->base,
			    http_path_escape(a, j->path[0] == '/' ?
			    j->path + 1 : j->path));
		curl_easy_setopt(j->h, CURLOPT_CONNECT_TO, j->connect_to);
		curl_easy_setopt(j->h, CURLOPT_PROTOCOLS_STR, "ftps");
		curl_easy_setopt(j->h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		curl_easy_setopt(j->h, CURLOPT_CAINFO, ca);
		curl_easy_setopt(j->h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(j->h, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(j->h, CURLOPT_USERNAME, "bblp");
		curl_easy_setopt(j->h, CURLOPT_PASSWORD, p->secret != NULL ?
		    p->secret : "");
		curl_easy_setopt(j->h, CURLOPT_FTP_SKIP_PASV_IP, 1L);
		/*
		 * One session per job: printers allow few, and a cached one
		 * closed later (QUIT) would leave its 221 as the response
		 * code of whatever transfer libcurl closes it under.
		 */
		curl_easy_setopt(j->h, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(j->h, CURLOPT_URL, url);
		return 0;
	}
	snprintf(j->where, sizeof(j->where), "%s:%d", p->host, p->port);
	curl_easy_setopt(j->h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(j->h, CURLOPT_FAILONERROR, 0L);
	if (p->kind == TEL_PRUSALINK) {
		curl_easy_setopt(j->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
		curl_easy_setopt(j->h, CURLOPT_USERNAME, p->username);
		curl_easy_setopt(j->h, CURLOPT_PASSWORD, p->secret != NULL ?
		    p->secret : "");
	} else if (p->secret != NULL && *p->secret != '\0') {
		snprintf(hdr, sizeof(hdr), "X-Api-Key: %s", p->secret);
		j->hdrs = curl_slist_append(NULL, hdr);
	}
	if (j->kind == JOB_UPLOAD) {
		/* no "Expect: 100-continue" wait before the body */
		j->hdrs = curl_slist_append(j->hdrs, "Expect:");
		switch (p->kind) {
		case TEL_PRUSALINK:
			url = arena_printf(a, "/api/v1/files/usb/%s",
			    http_path_escape(a, j->name));
			j->hdrs = curl_slist_append(j->hdrs, "Content-Type: "
			    "application/octet-stream");
			j->hdrs = curl_slist_append(j->hdrs,
			    "Print-After-Upload: ?1");
			j->hdrs = curl_slist_append(j->hdrs, "Overwrite: ?1");
			curl_easy_setopt(j->h, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(j->h, CURLOPT_READFUNCTION, job_read);
			curl_easy_setopt(j->h, CURLOPT_READDATA, j);
			curl_easy_setopt(j->h, CURLOPT_SEEKFUNCTION, job_seek);
			curl_easy_setopt(j->h, CURLOPT_SEEKDATA, j);
			curl_easy_setopt(j->h, CURLOPT_INFILESIZE_LARGE,
			    (curl_off_t)j->outlen);
			break;
		case TEL_OCTOPRINT:
			url = "/api/files/local";
			job_form(j, (const char *const[]){ "select", "true",
			    "print", "true", NULL });
			break;
		default:
			url = "/server/files/upload";
			job_form(j, (const char *const[]){ "root", "gcodes",
			    "checksum", j->sha, "print", "true", NULL });
			break;
		}
	} else if (j->kind == JOB_LIST) {
		j->hdrs = curl_slist_append(j->hdrs,
		    "Accept: application/json");
		switch (p->kind) {
		case TEL_PRUSALINK:
			url = "/api/v1/files/usb/";
			break;
		case TEL_OCTOPRINT:
			url = "/api/files/local?recursive=true";
			break;
		default:
			url = "/server/files/list?root=gcodes";
			break;
		}
	} else if (ref != NULL && *ref != '\0')
		url = ref_path(ref);
	else if (p->kind == TEL_PRUSALINK)
		url = arena_printf(a, "/usb/%s", http_path_escape(a, j->path));
	else if (p->kind == TEL_OCTOPRINT)
		url = arena_printf(a, "/downloads/files/local/%s",
		    http_path_escape(a, j->path));
	else
		url = arena_printf(a, "/server/files/gcodes/%s",
		    http_path_escape(a, j->path));
	curl_easy_setopt(j->h, CURLOPT_HTTPHEADER, j->hdrs);
	curl_easy_setopt(j->h, CURLOPT_URL, arena_printf(a, "%s%s",
	    host_url(a, p), url));
	return 0;
}

static struct tel_printer *
find_printer(struct tel_printer **ps, size_t n, long long id)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (ps[i]->id == id)
			return ps[i];
	return NULL;
}

/*
 * Reads the file of an upload (args of a start command) into j; -1 with
 * why and *code when it cannot go.
 */
static int
upload_prepare(struct files *f, struct arena *a, struct files_job *j,
    struct tel_printer *p, json_t *args, char *why, size_t whylen,
    const char **code)
{
	json_t		*up = json_object_get(args, "upload");
	const char	*name = json_row_str(args, "file"), *rel, *want, *s;
	char		 sha[65];

	if ((s = control_refusal(p, code)) != NULL) {
		snprintf(why, whylen, "%s", s);
		return -1;
	}
	*code = "invalid";
	rel = json_row_str(up, "path");
	want = json_row_str(up, "sha256");
	if (name != NULL && strrchr(name, '/') != NULL)
		name = strrchr(name, '/') + 1;
	if (name == NULL || *name == '\0' || strlen(name) >= sizeof(j->name) ||
	    rel == NULL || want == NULL || rel[0] == '/' ||
	    strstr(rel, "..") != NULL) {
		snprintf(why, whylen, "the command names no file of the file "
		    "store to send");
		return -1;
	}
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->path, sizeof(j->path), "/%s", name);
	j->out = fs_read(arena_printf(a, "%s/%s", f->store, rel),
	    (size_t)f->upload_max, &j->outlen);
	if (j->out == NULL && errno == EFBIG) {
		*code = "too_large";
		snprintf(why, whylen, "%s is larger than the %ld bytes allowed "
		    "(upload_max)", name, f->upload_max);
		return -1;
	}
	if (j->out == NULL) {
		*code = "store";
		snprintf(why, whylen, "the file store cannot give %s (%s)",
		    name, strerror(errno));
		return -1;
	}
	sha256_hex(j->out, j->outlen, sha);
	if (strcmp(sha, want) != 0) {
		*code = "store";
		snprintf(why, whylen, "%s in the file store is not the file "
		    "that was uploaded (its SHA-256 differs)", name);
		return -1;
	}
	memcpy(j->sha, sha, sizeof(j->sha));
	return 0;
}

/* Starts a job for p; on failure the command ends failed with why. */
static void
job_start(struct files *f, struct db *db, struct arena *a,
    struct tel_printer *p, enum job_kind kind, long long cmd_id,
    const char *path, json_t *args)
{
	struct files_job	*j;
	struct err		 e = { 0 };
	const char		*prm[2], *ref = NULL, *code = "internal";
	char			 why[512];
	json_t			*row = NULL;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->kind = kind;
	j->cmd_id = cmd_id;
	j->printer_id = p->id;
	j->pkind = p->kind;
	j->max = kind == JOB_LIST ? FILES_LIST_MAX : kind == JOB_UPLOAD ?
	    FILES_ANSWER_MAX : f->upload_max;
	snprintf(j->pname, sizeof(j->pname), "%s", p->name);
	if (kind == JOB_DOWNLOAD) {
		prm[0] = arena_printf(a, "%lld", p->id);
		prm[1] = path;
		if (db_one(db, a, &files_stmts[ST_FIND], prm, &row, &e) != 0) {
			snprintf(why, sizeof(why), "the listing cannot be "
			    "read: %s", e.message);
			err_clear(&e);
			goto fail;
		}
		if (row == NULL) {
			code = "not_found";
			snprintf(why, sizeof(why), "%s is not in the printer's "
			    "file list; refresh the list first", path);
			goto fail;
		}
		j->file_id = json_row_int(row, "id");
		snprintf(j->path, sizeof(j->path), "%s", path);
		snprintf(j->name, sizeof(j->name), "%s", json_row_str(row,
		    "name"));
		ref = json_row_str(row, "download_ref");
		if (json_is_integer(json_object_get(row, "size")) &&
		    json_row_int(row, "size") > f->upload_max) {
			code = "too_large";
			snprintf(why, sizeof(why), "%s is %lld bytes, more "
			    "than the %ld bytes allowed (upload_max)", path,
			    json_row_int(row, "size"), f->upload_max);
			goto fail;
		}
	}
	if (kind == JOB_UPLOAD && upload_prepare(f, a, j, p, args, why,
	    sizeof(why), &code) != 0)
		goto fail;
	if (p->no_secret) {
		code = "no_secret";
		snprintf(why, sizeof(why), "the printer's stored credentials "
		    "cannot be read (was the secret key changed?)");
		goto fail;
	}
	if (job_setup(f, a, j, p, ref, why, sizeof(why)) != 0) {
		code = "settings";
		goto fail;
	}
	if (curl_multi_add_handle(f->m, j->h) != CURLM_OK) {
		snprintf(why, sizeof(why), "cannot start the transfer");
		goto fail;
	}
	p->files_busy = 1;
	j->next = f->jobs;
	f->jobs = j;
	return;
fail:
	if (cmd_id > 0)
		cmd_end(db, a, cmd_id, code, why);
	else
		log_kv(LOG_INFO, "printer files not listed", "printer",
		    p->name, "error", why, NULL);
	if (j->h != NULL) {
		curl_easy_cleanup(j->h);
		j->h = NULL;
	}
	job_free(f, j);
}

/* ---- reading a listing ---- */

static void
add_entry(json_t *list, const char *path, const char *name, json_t *size,
    double modified, const char *ref)
{
	json_t	*o;

	if (path == NULL || *path == '\0' || strlen(path) > FILES_PATH_MAX ||
	    json_array_size(list) >= FILES_MAX_LISTED)
		return;
	if (name == NULL || *name == '\0')
		name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 :
		    path;
	if (*name == '\0' || strlen(name) > 255)
		return;
	o = json_pack("{s:s, s:s}", "path", path, "name", name);
	if (json_is_integer(size) && json_integer_value(size) >= 0)
		json_object_set(o, "size", size);
	if (modified > 0)
		json_object_set_new(o, "modified", json_real(modified));
	if (ref != NULL && *ref != '\0' && strlen(ref) <= 2000)
		json_object_set_new(o, "ref", json_string(ref));
	json_array_append_new(list, o);
}

static double
num(json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : 0;
}

static void
octo_walk(json_t *list, json_t *files, int depth)
{
	json_t		*o;
	size_t		 i;
	const char	*type;

	if (depth > 8)
		return;
	json_array_foreach(files, i, o) {
		type = json_row_str(o, "type");
		if (type != NULL && strcmp(type, "folder") == 0) {
			octo_walk(list, json_object_get(o, "children"),
			    depth + 1);
			continue;
		}
		if (type != NULL && strcmp(type, "machinecode") != 0)
			continue;
		add_entry(list, json_row_str(o, "path"), json_row_str(o,
		    "display") != NULL ? json_row_str(o, "display") :
		    json_row_str(o, "name"), json_object_get(o, "size"),
		    num(json_object_get(o, "date")), json_string_value(
		    json_object_get(json_object_get(o, "refs"), "download")));
	}
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* A folder of the listing worth walking: not hidden, too deep, media or logs. */
static int
folder_walked(const char *parent, const char *name)
{
	const char	*s;
	size_t		 i;
	int		 depth;	/* the folder's: 1 in the root */

	if (name[0] == '.')
		return 0;
	for (depth = 1, s = parent; *s != '\0'; s++)
		depth += *s == '/';
	if (parent[0] != '\0')
		depth++;
	if (depth > FILES_FOLDER_DEPTH)
		return 0;
	for (i = 0; i < sizeof(files_skipped) / sizeof(files_skipped[0]); i++)
		if (strcasecmp(name, files_skipped[i]) == 0)
			return 0;
	return 1;
}

/*
 * One line of a Unix-style LIST answer of the folder `folder` ("" the
 * root): "-rw-r--r-- 1 u g SIZE Mon DD HH:MM|YYYY name".  A folder
 * ("d") worth walking goes into folders; links are skipped.
 */
static void
ftp_line(json_t *list, json_t *folders, const char *folder, char *line,
    time_t now)
{
	char		*tok[8], *s = line, *name, path[FILES_PATH_MAX + 2];
	struct tm	 tm, nowtm;
	long long	 size;
	int		 i, mon = -1;
	time_t		 t;
	json_t		*sz;
	char		*ep;

	if (line[0] != '-' && line[0] != 'd')
		return;
	for (i = 0; i < 8; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return;
		tok[i] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	/* the name is what follows, spaces and all */
	name = s;
	while (*name == ' ')
		name++;
	if (*name == '\0' || strchr(name, '/') != NULL)
		return;
	if (line[0] == 'd') {
		if (folder_walked(folder, name) && strlen(folder) +
		    strlen(name) + 2 <= FILES_PATH_MAX)
			json_array_append_new(folders, json_sprintf("%s%s%s",
			    folder, *folder != '\0' ? "/" : "", name));
		return;
	}
	errno = 0;
	size = strtoll(tok[4], &ep, 10);
	if (errno != 0 || *ep != '\0' || size < 0)
		return;
	for (i = 0; i < 12; i++)
		if (strcasecmp(tok[5], months[i]) == 0)
			mon = i;
	memset(&tm, 0, sizeof(tm));
	gmtime_r(&now, &nowtm);
	t = 0;
	if (mon >= 0) {
		tm.tm_mon = mon;
		tm.tm_mday = (int)strtol(tok[6], NULL, 10);
		if (strchr(tok[7], ':') != NULL) {
			tm.tm_year = nowtm.tm_year;
			tm.tm_hour = (int)strtol(tok[7], &ep, 10);
			tm.tm_min = *ep == ':' ? (int)strtol(ep + 1, NULL, 10) :
			    0;
			t = timegm(&tm);
			if (t > now + 86400) {
				tm.tm_year--;
				t = timegm(&tm);
			}
		} else {
			tm.tm_year = (int)strtol(tok[7], NULL, 10) - 1900;
			t = timegm(&tm);
		}
	}
	if ((size_t)snprintf(path, sizeof(path), "/%s%s%s", folder,
	    *folder != '\0' ? "/" : "", name) >= sizeof(path))
		return;
	sz = json_integer(size);
	add_entry(list, path, name, sz, t > 0 ? (double)t : 0, NULL);
	json_decref(sz);
}

/*
 * A Bambu listing answer: its files go into j->found, its folders onto
 * j->folders.  When a folder is left (at most FILES_MAX_FOLDERS), the
 * transfer starts again for it and 1 is answered; 0 when the walk is over.
 */
static int
ftp_walk(struct files *f, struct arena *a, struct files_job *j)
{
	char	*line, *save;

	if (j->found == NULL) {
		j->found = json_array();
		j->folders = json_array();
	}
	if (j->body.data != NULL)
		for (line = strtok_r(j->body.data, "\r\n", &save);
		    line != NULL; line = strtok_r(NULL, "\r\n", &save))
			ftp_line(j->found, j->folders, j->folder, line,
			    time(NULL));
	if (json_array_size(j->folders) == 0 || j->nfolders >=
	    FILES_MAX_FOLDERS || json_array_size(j->found) >=
	    FILES_MAX_LISTED)
		return 0;
	snprintf(j->folder, sizeof(j->folder), "%s", json_string_value(
	    json_array_get(j->folders, 0)));
	json_array_remove(j->folders, 0);
	j->nfolders++;
	buf_reset(&j->body);
	curl_multi_remove_handle(f->m, j->h);
	curl_easy_setopt(j->h, CURLOPT_URL, arena_printf(a, "%s/%s/", j->base,
	    http_path_escape(a, j->folder)));
	return curl_multi_add_handle(f->m, j->h) == CURLM_OK;
}

/* The files a listing answer names; NULL with why when unreadable. */
static json_t *
listing_parse(struct files_job *j, char *why, size_t whylen)
{
	json_t		*root, *list, *arr, *o;
	json_error_t	 je;
	size_t		 i;
	char		 ref[1100];
	const char	*name, *type;

	if (j->pkind == TEL_BAMBU)	/* read folder by folder, ftp_walk */
		return j->found != NULL ? json_incref(j->found) : json_array();
	list = json_array();
	root = json_loadb(j->body.data != NULL ? j->body.data : "",
	    j->body.len, 0, &je);
	if (root == NULL) {
		snprintf(why, whylen, "the printer's file list is not JSON "
		    "(%s)", je.text);
		json_decref(list);
		return NULL;
	}
	switch (j->pkind) {
	case TEL_PRUSALINK:
		arr = json_object_get(root, "children");
		json_array_foreach(arr, i, o) {
			type = json_row_str(o, "type");
			if (type != NULL && strcmp(type, "FOLDER") == 0)
				continue;
			name = json_row_str(o, "name");
			if (name == NULL)
				continue;
			snprintf(ref, sizeof(ref), "%s", json_string_value(
			    json_object_get(json_object_get(o, "refs"),
			    "download")) != NULL ? json_string_value(
			    json_object_get(json_object_get(o, "refs"),
			    "download")) : "");
			add_entry(list, name, json_row_str(o, "display_name"),
			    json_object_get(o, "size"),
			    num(json_object_get(o, "m_timestamp")), ref);
		}
		break;
	case TEL_OCTOPRINT:
		octo_walk(list, json_object_get(root, "files"), 0);
		break;
	default:
		arr = json_object_get(root, "result");
		json_array_foreach(arr, i, o)
			add_entry(list, json_row_str(o, "path"), NULL,
			    json_object_get(o, "size"),
			    num(json_object_get(o, "modified")), NULL);
		break;
	}
	json_decref(root);
	return list;
}

/* ---- finishing ---- */

/* What went wrong with a transfer, in plain words; NULL when nothing. */
static const char *
job_error(struct arena *a, struct files_job *j, CURLcode res, long code,
    const char **word)
{
	*word = "failed";
	if (j->too_big) {
		*word = "too_large";
		return j->kind == JOB_LIST ? "the printer's file list is "
		    "too long" : j->kind == JOB_UPLOAD ? "the printer's "
		    "answer to the upload is too long" : arena_printf(a,
		    "%s is larger than the %ld bytes allowed (upload_max)",
		    j->path, j->max);
	}
	switch (res) {
	case CURLE_OK:
		break;
	case CURLE_FILESIZE_EXCEEDED:
		*word = "too_large";
		return arena_printf(a, "%s is larger than the %ld bytes "
		    "allowed (upload_max)", j->path, j->max);
	case CURLE_LOGIN_DENIED:
		*word = "access_code";
		return "the printer refused the access code (user bblp)";
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		*word = "unreachable";
		return arena_printf(a, "cannot reach the printer at %s (%s)",
		    j->where, j->errbuf[0] != '\0' ? j->errbuf :
		    curl_easy_strerror(res));
	case CURLE_OPERATION_TIMEDOUT:
		*word = "unreachable";
		return arena_printf(a, "the printer at %s did not answer in "
		    "time", j->where);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		*word = "untrusted";
		return arena_printf(a, "the printer's certificate is not "
		    "from the expected CA or not issued to its serial number "
		    "(%s)", j->errbuf);
	case CURLE_SSL_CONNECT_ERROR:
		*word = "tls";
		return arena_printf(a, "the TLS handshake with %s failed (%s)",
		    j->where, j->errbuf);
	case CURLE_UPLOAD_FAILED:
		*word = "refused";
		return arena_printf(a, "the printer did not take %s (%s)",
		    j->name, j->errbuf[0] != '\0' ? j->errbuf :
		    curl_easy_strerror(res));
	case CURLE_REMOTE_DISK_FULL:
		*word = "refused";
		return "the printer's storage is full";
	case CURLE_REMOTE_FILE_NOT_FOUND:
		*word = "not_found";
		return arena_printf(a, "%s is no longer on the printer",
		    j->path);
	default:
		return arena_printf(a, "the transfer from %s failed: %s",
		    j->where, j->errbuf[0] != '\0' ? j->errbuf :
		    curl_easy_strerror(res));
	}
	if (j->pkind == TEL_BAMBU)
		return NULL;
	if (code == 401 || code == 403) {
		*word = j->pkind == TEL_PRUSALINK ? "access_code" : "api_key";
		return j->pkind == TEL_PRUSALINK ? "the printer refused the "
		    "user name and password" : "the printer refused the API "
		    "key";
	}
	if (j->kind == JOB_UPLOAD && (code == 409 || code == 413 ||
	    code == 415 || code == 422)) {
		*word = "refused";
		return arena_printf(a, "the printer refused %s: %s (HTTP %ld)",
		    j->name, code == 409 ? "it is busy or holds a file of that "
		    "name it will not replace" : code == 413 ? "too large" :
		    code == 415 ? "not a file type it prints" : "the file "
		    "arrived damaged (checksum)", code);
	}
	if (code == 404 && j->kind == JOB_UPLOAD) {
		*word = "refused";
		return "the printer has no upload endpoint where expected "
		    "(404)";
	}
	if (code == 404) {
		*word = "not_found";
		return j->kind == JOB_LIST ? "the printer has no file list "
		    "where expected (404)" : arena_printf(a, "%s is no "
		    "longer on the printer", j->path);
	}
	if (code < 200 || code > 299)
		return arena_printf(a, "the printer answered HTTP %ld", code);
	*word = "ok";
	return NULL;
}

static void
list_done(struct files *f, struct db *db, struct arena *a,
    struct files_job *j)
{
	struct err	 e = { 0 };
	const char	*prm[2];
	char		*text, why[512];
	json_t		*list, *row;

	if ((list = listing_parse(j, why, sizeof(why))) == NULL) {
		cmd_end(db, a, j->cmd_id, "bad_answer", why);
		return;
	}
	text = json_dumps(list, JSON_COMPACT);
	prm[0] = arena_printf(a, "%lld", j->printer_id);
	prm[1] = text;
	if (db_one(db, a, &files_stmts[ST_LISTING], prm, &row, &e) != 0) {
		cmd_end(db, a, j->cmd_id, "internal", arena_printf(a, "the list "
		    "could "
		    "not be stored: %s", e.message));
		err_clear(&e);
	} else
		cmd_end(db, a, j->cmd_id, "ok", arena_printf(a, "%zu files on "
		    "the printer", json_array_size(list)));
	free(text);
	json_decref(list);
}

/* ".gcode", ".3mf", ... from a name: letters and digits only, or "". */
static const char *
file_ext(struct arena *a, const char *name)
{
	const char	*dot = strrchr(name, '.');
	size_t		 i;

	if (dot == NULL || strlen(dot) > 10 || dot[1] == '\0')
		return "";
	for (i = 1; dot[i] != '\0'; i++)
		if (!((dot[i] >= 'a' && dot[i] <= 'z') || (dot[i] >= 'A' &&
		    dot[i] <= 'Z') || (dot[i] >= '0' && dot[i] <= '9')))
			return "";
	return arena_strdup(a, dot);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t	n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static void
download_done(struct files *f, struct db *db, struct arena *a,
    struct files_job *j)
{
	struct err		 e = { 0 };
	struct gcode_meta	 gm;
	struct threemf_meta	 tm;
	struct thumb		 th;
	const char		*prm[9], *rel, *mime = NULL;
	char			 sha[65], day[16], *path, *hex, *gtext;
	unsigned char		*img;
	size_t			 imglen = 0, i;
	json_t			*grams;
	struct tm		 now;
	time_t			 t = time(NULL);
	int			 meta = 0, k;
	static const char	 hexd[] = "0123456789abcdef";

	sha256_hex(j->body.data != NULL ? j->body.data : "", j->body.len,
	    sha);
	gmtime_r(&t, &now);
	strftime(day, sizeof(day), "%Y-%m-%d", &now);
	rel = arena_printf(a, "printers/%lld/%s", j->printer_id, day);
	path = arena_printf(a, "%s/%s", f->store, rel);
	if (fs_mkdirs(path) != 0) {
		cmd_end(db, a, j->cmd_id, "store", arena_printf(a, "the file store "
		    "cannot keep the file (%s: %s)", path, strerror(errno)));
		return;
	}
	rel = arena_printf(a, "%s/%s%s", rel, sha, file_ext(a, j->name));
	if (fs_write_atomic(arena_printf(a, "%s/%s", f->store, rel),
	    j->body.data != NULL ? j->body.data : "", j->body.len) != 0) {
		cmd_end(db, a, j->cmd_id, "store", arena_printf(a, "the file store "
		    "cannot keep the file (%s)", strerror(errno)));
		return;
	}

	/* slicer metadata and thumbnail */
	img = arena_alloc(a, (size_t)THUMBS_MAX_BYTES);
	if (ends_with(j->name, ".3mf")) {
		if (threemf_parse(j->body.data, j->body.len, 0, &tm,
		    NULL) == 0) {
			gm = tm.gcode;
			meta = 1;
		}
		if (threemf_thumbnail(j->body.data, j->body.len, 0, img,
		    (size_t)THUMBS_MAX_BYTES, &imglen, NULL) == 0 &&
		    thumbs_sniff(img, imglen) == THUMB_PNG)
			mime = "image/png";
	} else if (j->body.len > 0) {
		if (gcode_parse(j->body.data, j->body.len, &gm, NULL) == 0)
			meta = 1;
		if (thumbs_gcode(j->body.data, j->body.len, img,
		    (size_t)THUMBS_MAX_BYTES, &th, NULL) == 0) {
			imglen = th.len;
			mime = thumbs_mime(th.type);
		}
	}
	grams = NULL;
	if (meta && gm.nslots > 0) {
		grams = json_array();
		for (k = 0; k < gm.nslots; k++)
			json_array_append_new(grams, gm.grams[k] >= 0 ?
			    json_real(gm.grams[k]) : json_null());
	}
	hex = NULL;
	if (mime != NULL) {
		hex = arena_alloc(a, imglen * 2 + 3);
		hex[0] = '\\';
		hex[1] = 'x';
		for (i = 0; i < imglen; i++) {
			hex[2 + i * 2] = hexd[img[i] >> 4];
			hex[3 + i * 2] = hexd[img[i] & 15];
		}
		hex[2 + imglen * 2] = '\0';
	}
	prm[0] = arena_printf(a, "%lld", j->file_id);
	prm[1] = sha;
	prm[2] = rel;
	prm[3] = arena_printf(a, "%zu", j->body.len);
	prm[4] = meta && gm.seconds >= 0 ? arena_printf(a, "%ld",
	    gm.seconds) : NULL;
	gtext = grams != NULL ? json_dumps(grams, JSON_COMPACT) : NULL;
	prm[5] = gtext;
	prm[6] = meta && gm.slicer != GCODE_UNKNOWN ?
	    gcode_slicer_name(gm.slicer) : NULL;
	prm[7] = hex;
	prm[8] = mime;
	if (db_exec(db, a, &files_stmts[ST_STORED], prm, NULL, &e) != 0) {
		cmd_end(db, a, j->cmd_id, "internal", arena_printf(a, "the download "
		    "could not be recorded: %s", e.message));
		err_clear(&e);
	} else
		cmd_end(db, a, j->cmd_id, "ok", arena_printf(a, "downloaded %s: "
		    "%zu bytes, SHA-256 %s", j->path, j->body.len, sha));
	free(gtext);
	json_decref(grams);
}

/*
 * The upload arrived: the HTTP kinds started it with the upload, a
 * Bambu printer is told to start it by the commands module.
 */
static void
upload_done(struct files *f, struct db *db, struct arena *a,
    struct files_job *j)
{
	json_t	*root, *res;
	int	 started = 1;

	if (j->pkind == TEL_BAMBU) {
		log_kv(LOG_INFO, "uploaded a print file", "printer", j->pname,
		    "file", j->name, NULL);
		if (control_adopt(f->ctl, j->cmd_id, j->printer_id, j->name) !=
		    0)
			cmd_end(db, a, j->cmd_id, "internal", "out of memory");
		return;
	}
	if (j->pkind == TEL_MOONRAKER) {
		root = json_loadb(j->body.data != NULL ? j->body.data : "",
		    j->body.len, 0, NULL);
		res = json_object_get(root, "result");
		if (res == NULL)
			res = root;
		started = !json_is_false(json_object_get(res,
		    "print_started")) || json_is_true(json_object_get(res,
		    "print_queued"));
		json_decref(root);
	}
	if (started)
		cmd_end(db, a, j->cmd_id, "ok", arena_printf(a, "uploaded %s "
		    "(%zu bytes, SHA-256 %s) and started it", j->name,
		    j->outlen, j->sha));
	else
		cmd_end(db, a, j->cmd_id, "refused", arena_printf(a, "uploaded "
		    "%s, but the printer did not start it", j->name));
}

/* ---- the loop's step ---- */

static void
transfers(struct files *f, struct db *db, struct arena *a,
    struct tel_printer **ps, size_t n)
{
	struct files_job	*j, **jp;
	struct tel_printer	*p;
	CURLMsg			*msg;
	int			 running, left;
	long			 rcode;
	const char		*why, *code;

	curl_multi_perform(f->m, &running);
	while ((msg = curl_multi_info_read(f->m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		j = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&j);
		if (j == NULL)
			continue;
		rcode = 0;
		curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &rcode);
		why = job_error(a, j, msg->data.result, rcode, &code);
		if (why != NULL) {
			if (j->cmd_id > 0)
				cmd_end(db, a, j->cmd_id, code, why);
			else
				log_kv(LOG_INFO, "printer files not listed",
				    "printer", j->pname, "error", why, NULL);
		} else if (j->kind == JOB_LIST && j->pkind == TEL_BAMBU &&
		    ftp_walk(f, a, j))
			continue;	/* the next folder */
		else if (j->kind == JOB_LIST)
			list_done(f, db, a, j);
		else if (j->kind == JOB_UPLOAD)
			upload_done(f, db, a, j);
		else
			download_done(f, db, a, j);
		if ((p = find_printer(ps, n, j->printer_id)) != NULL)
			p->files_busy = 0;
		for (jp = &f->jobs; *jp != NULL; jp = &(*jp)->next)
			if (*jp == j) {
				*jp = j->next;
				break;
			}
		job_free(f, j);
	}
}

static int
busy_status(int s)
{
	return s == PRINTER_PREPARING || s == PRINTER_PRINTING ||
	    s == PRINTER_PAUSED;
}

/* Lists a printer that came online or whose print just ended. */
static void
auto_list(struct files *f, struct db *db, struct arena *a,
    struct tel_printer *p, double now)
{
	int	online = p->last_ok > 0 && p->fails == 0 && !p->auth_failed;
	int	ended;

	ended = busy_status(p->files_status) && !busy_status(p->last_status);
	p->files_status = p->last_status;
	if (!online) {
		p->files_online = 0;
		return;
	}
	if (p->files_busy || p->no_secret)
		return;
	if (!p->files_online || ended) {
		p->files_online = 1;
		if (p->files_at > 0 && now - p->files_at < FILES_AUTO_S)
			return;
		p->files_at = now;
		job_start(f, db, a, p, JOB_LIST, 0, NULL, NULL);
	}
}

void
files_step(struct files *f, struct db *db, struct arena *a,
    struct tel_printer **ps, size_t n, const char *bambu_ca, double now)
{
	struct err		 e = { 0 };
	struct tel_printer	*p;
	json_t			*rows, *row, *claimed;
	const char		*prm[1], *cmd, *path;
	size_t			 i;
	long long		 id;

	if (f == NULL)
		return;
	f->bambu_ca = bambu_ca;
	if (f->jobs != NULL)
		transfers(f, db, a, ps, n);
	for (i = 0; i < n; i++)
		auto_list(f, db, a, ps[i], now);
	if (now < f->next_check)
		return;
	f->next_check = now + FILES_CHECK_S;
	if (db_exec(db, a, &files_stmts[ST_QUEUED], NULL, &rows, &e) != 0) {
		err_clear(&e);
		return;
	}
	json_array_foreach(rows, i, row) {
		id = json_row_int(row, "id");
		p = find_printer(ps, n, json_row_int(row, "printer_id"));
		if (p != NULL && p->files_busy)
			continue;	/* one job per printer: next time */
		prm[0] = arena_printf(a, "%lld", id);
		if (db_one(db, a, &files_stmts[ST_CLAIM], prm, &claimed,
		    &e) != 0 || claimed == NULL) {
			err_clear(&e);
			continue;
		}
		if (p == NULL) {
			cmd_end(db, a, id, "inactive", "the printer is not watched "
			    "(inactive, or its kind is not supported)");
			continue;
		}
		cmd = json_row_str(row, "command");
		if (cmd == NULL)
			cmd = "";
		if (strcmp(cmd, "files") == 0) {
			p->files_at = now;
			job_start(f, db, a, p, JOB_LIST, id, NULL, NULL);
			continue;
		}
		if (strcmp(cmd, "start") == 0) {
			job_start(f, db, a, p, JOB_UPLOAD, id, NULL,
			    json_object_get(row, "args"));
			continue;
		}
		path = json_string_value(json_object_get(json_object_get(row,
		    "args"), "path"));
		if (path == NULL || *path == '\0') {
			cmd_end(db, a, id, "invalid", "a download needs the path of "
			    "the file on the printer");
			continue;
		}
		job_start(f, db, a, p, JOB_DOWNLOAD, id, path, NULL);
	}
	if (f->jobs != NULL)
		transfers(f, db, a, ps, n);
}
