/*
 * bambu.c -- Bambu Lab reports merged per printer and normalised (see
 * bambu.h; protocol facts: shared docs/protocols.md section 1).
 *
 * Invariants: the cache holds only keys of bambu_keys at its top level;
 * a failed merge leaves the cache as it was; bambu_state reads every
 * value defensively (any JSON type may sit where a number is expected,
 * numbers may come as strings) and bounds what it passes on.
 *
 * Mapping (print.X -> state):
 *   gcode_state        IDLE idle; PREPARE, SLICING, INIT preparing;
 *                      RUNNING printing; PAUSE paused; FINISH finished;
 *                      FAILED failed; anything else idle.  A fatal HMS
 *                      alert, or a pause with a print_error or a
 *                      serious HMS alert, makes it error.
 *   subtask_name       job (else gcode_file)
 *   mc_percent         progress; mc_remaining_time (minutes) remaining_s
 *   layer_num, total_layer_num; *_temper temperatures; device.* packed
 *                      temperatures of newer firmware win when present
 *   cooling_fan_speed  gear 0-15 -> percent
 *   spd_mag (percent), else spd_lvl 1-4 -> 50, 100, 124, 166 percent
 *   fun                bit 0x20000000 set -> control_ok 0, else 1
 *   ams, vt_tray       slots; print_error, hms -> errors
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "parse/bambu.h"
#include "parse/printers.h"

/* Top-level keys of "print" that are kept; the rest is ignored. */
static const char *const bambu_keys[] = {
	"gcode_state", "mc_percent", "mc_remaining_time", "layer_num",
	"total_layer_num", "nozzle_temper", "nozzle_target_temper",
	"bed_temper", "bed_target_temper", "chamber_temper", "subtask_name",
	"gcode_file", "print_error", "hms", "cooling_fan_speed", "spd_lvl",
	"spd_mag", "fun", "ams", "vt_tray", "device", "stg_cur",
	"print_type", NULL
};
_Static_assert(sizeof(bambu_keys) / sizeof(bambu_keys[0]) - 1 <=
    BAMBU_MEMO_KEYS, "a memo per kept key");

static const struct {
	const char		*name;
	enum printer_status	 status;
} bambu_states[] = {
	{ "IDLE", PRINTER_IDLE },
	{ "PREPARE", PRINTER_PREPARING },
	{ "SLICING", PRINTER_PREPARING },
	{ "INIT", PRINTER_PREPARING },
	{ "RUNNING", PRINTER_PRINTING },
	{ "PAUSE", PRINTER_PAUSED },
	{ "FINISH", PRINTER_FINISHED },
	{ "FAILED", PRINTER_FAILED },
	{ NULL, PRINTER_IDLE }
};

/* Speed levels 1 silent .. 4 ludicrous as the percentages they run at. */
static const int bambu_speeds[] = { 50, 100, 124, 166 };

/*
 * HMS texts: a PARTIAL table of common alerts, written for Printyard.
 * An entry matches when (attr & mask) == attr_value and code == code.
 * AMS entries (ams = 1) ignore the unit and slot nibbles of attr
 * (0x07UU_KS00: UU unit, K kind, S slot) and name them in the text.
 */
#define BAMBU_ALL	0xffffffffUL
#define BAMBU_AMS_MASK	0xff00f0ffUL
static const struct {
	unsigned long	 attr;
	unsigned long	 mask;
	unsigned long	 code;
	int		 ams;
	const char	*text;
} bambu_hms[] = {
	{ 0x03000100, BAMBU_ALL, 0x00010001, 0,
	    "Heatbed temperature abnormal: the heater may be shorted" },
	{ 0x03000100, BAMBU_ALL, 0x00010002, 0,
	    "Heatbed temperature abnormal: the heater or its thermal switch "
	    "may be open" },
	{ 0x03000100, BAMBU_ALL, 0x00010003, 0,
	    "Heatbed over temperature" },
	{ 0x03000100, BAMBU_ALL, 0x00010006, 0,
	    "Heatbed temperature sensor may be shorted" },
	{ 0x03000100, BAMBU_ALL, 0x00010007, 0,
	    "Heatbed temperature sensor may be disconnected (open circuit)" },
	{ 0x03000200, BAMBU_ALL, 0x00010003, 0,
	    "Nozzle over temperature" },
	{ 0x03000200, BAMBU_ALL, 0x00010006, 0,
	    "Nozzle temperature sensor may be shorted" },
	{ 0x03000200, BAMBU_ALL, 0x00010007, 0,
	    "Nozzle temperature sensor may be disconnected (open circuit)" },
	{ 0x03000300, BAMBU_ALL, 0x00010001, 0,
	    "Hotend fan too slow or stopped" },
	{ 0x03000400, BAMBU_ALL, 0x00020001, 0,
	    "Part cooling fan too slow or stopped" },
	{ 0x03001200, BAMBU_ALL, 0x00020001, 0,
	    "The toolhead front cover came off" },
	{ 0x03004100, BAMBU_ALL, 0x00010001, 0,
	    "Unstable supply voltage: power-loss protection triggered" },
	{ 0x05000100, BAMBU_ALL, 0x00030004, 0,
	    "The SD card is full" },
	{ 0x05000400, BAMBU_ALL, 0x00010001, 0,
	    "The print job could not be downloaded; check the network" },
	{ 0x0C000300, BAMBU_ALL, 0x00030007, 0,
	    "First-layer inspection: possible defects" },
	{ 0x0C000300, BAMBU_ALL, 0x00030008, 0,
	    "Possible spaghetti failure detected" },
	{ 0x07FF2000, BAMBU_ALL, 0x00020001, 0,
	    "External spool: the filament ran out" },
	{ 0x07002000, BAMBU_AMS_MASK, 0x00020001, 1,
	    "the filament ran out" },
	{ 0x07002000, BAMBU_AMS_MASK, 0x00020002, 1,
	    "the slot is empty" },
	{ 0x07002000, BAMBU_AMS_MASK, 0x00020003, 1,
	    "the filament may be broken inside the AMS" },
	{ 0x07002000, BAMBU_AMS_MASK, 0x00020004, 1,
	    "the filament may be broken in the toolhead" },
	{ 0x07001000, BAMBU_AMS_MASK, 0x00020002, 1,
	    "slot motor overloaded: the filament may be tangled or stuck" },
	{ 0x07006000, BAMBU_AMS_MASK, 0x00020001, 1,
	    "slot overloaded: tangled filament or a stuck spool" },
};

static const char *const bambu_severities[] = {
	"alert", "fatal", "serious", "common", "info"
};

void
bambu_cache_init(struct bambu_cache *c)
{
	memset(c, 0, sizeof(*c));
	c->print = NULL;
}

void
bambu_cache_free(struct bambu_cache *c)
{
	size_t	i;

	if (c->print != NULL)
		json_decref(c->print);
	for (i = 0; i < BAMBU_MEMO_KEYS; i++)
		free(c->memo[i]);
	bambu_cache_init(c);
}

/* The index of a kept key in bambu_keys, or -1. */
static int
bambu_key(const char *key, size_t n)
{
	int	i;

	if (n == 0)
		return -1;
	for (i = 0; bambu_keys[i] != NULL; i++)
		if (bambu_keys[i][0] == key[0] && strncmp(bambu_keys[i], key,
		    n) == 0 && bambu_keys[i][n] == '\0')
			return i;
	return -1;
}

static int
bambu_kept(const char *key)
{
	return bambu_key(key, strlen(key)) >= 0;
}

/* The "id" of an array element as text, or NULL when it has none. */
static const char *
bambu_id(const json_t *el, char *buf, size_t size)
{
	const json_t	*id;

	if (!json_is_object(el))
		return NULL;
	id = json_object_get(el, "id");
	if (json_is_string(id))
		return json_string_value(id);
	if (json_is_integer(id)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(id));
		return buf;
	}
	return NULL;
}

/* Non-empty, and every element an object with an id. */
static int
bambu_id_array(const json_t *a)
{
	char	buf[24];
	size_t	i;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return 0;
	for (i = 0; i < json_array_size(a); i++)
		if (bambu_id(json_array_get(a, i), buf, sizeof(buf)) == NULL)
			return 0;
	return 1;
}

static void	bambu_merge_object(json_t *, json_t *, int);

static void
bambu_merge_ids(json_t *dst, json_t *src, int depth)
{
	char		 b1[24], b2[24];
	const char	*id, *other;
	json_t		*el, *old;
	size_t		 i, j;

	json_array_foreach(src, i, el) {
		id = bambu_id(el, b1, sizeof(b1));
		old = NULL;
		json_array_foreach(dst, j, old) {
			other = bambu_id(old, b2, sizeof(b2));
			if (other != NULL && strcmp(id, other) == 0)
				break;
		}
		if (j < json_array_size(dst)) {
			/* Only the id: the element was emptied. */
			if (json_object_size(el) == 1)
				json_array_set(dst, j, el);
			else
				bambu_merge_object(old, el, depth + 1);
		} else if (json_array_size(dst) < BAMBU_MAX_IDS)
			json_array_append(dst, el);
	}
}

static void
bambu_merge_object(json_t *dst, json_t *src, int depth)
{
	const char	*key;
	json_t		*v, *old;

	json_object_foreach(src, key, v) {
		if (depth == 0 && !bambu_kept(key))
			continue;
		old = json_object_get(dst, key);
		if (old == NULL && json_object_size(dst) >= BAMBU_MAX_KEYS)
			continue;
		if (old != NULL && depth < BAMBU_MERGE_DEPTH &&
		    json_is_object(old) && json_is_object(v))
			bambu_merge_object(old, v, depth + 1);
		else if (old != NULL && depth < BAMBU_MERGE_DEPTH &&
		    bambu_id_array(old) && bambu_id_array(v))
			bambu_merge_ids(old, v, depth + 1);
		else
			json_object_set(dst, key, v);
	}
}

/*
 * The scanner: checks the JSON syntax of a whole report without building
 * it, and copies only the members of "print" that are kept (and its
 * "command") into a small object text for jansson.  Building every value
 * of an X1 report (ipcam, xcam, net, upgrade_state, ...) only to drop it
 * took most of the time of a merge.  Skipped values are checked for
 * syntax and depth (BAMBU_SCAN_DEPTH), not for UTF-8; kept values go
 * through jansson, which checks everything.
 */
#define BAMBU_SCAN_DEPTH	64

struct bambu_scan {
	const char	*p;
	const char	*end;
	int		 depth;
	/* While copying "print": the cache, and each kept key's new text. */
	const struct bambu_cache *cache;
	const char	*text[BAMBU_MEMO_KEYS];
	size_t		 text_len[BAMBU_MEMO_KEYS];
	unsigned long	 seen;		/* bit per kept key */
};

static int	bambu_scan_value(struct bambu_scan *);

static void
bambu_scan_ws(struct bambu_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
bambu_scan_hex4(const char *p)
{
	int	i;

	for (i = 0; i < 4; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' &&
		    p[i] <= 'f') || (p[i] >= 'A' && p[i] <= 'F')))
			return -1;
	return 0;
}

/* A string at s->p; *key and *n get its raw bytes between the quotes. */
static int
bambu_scan_string(struct bambu_scan *s, const char **key, size_t *n)
{
	const char	*start;

	if (s->p >= s->end || *s->p != '"')
		return -1;
	start = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		if ((unsigned char)*s->p < 0x20)
			return -1;
		if (*s->p == '\\') {
			if (s->end - s->p < 2)
				return -1;
			if (s->p[1] == 'u') {
				if (s->end - s->p < 6 ||
				    bambu_scan_hex4(s->p + 2) != 0)
					return -1;
				s->p += 6;
				continue;
			}
			if (strchr("\"\\/bfnrt", s->p[1]) == NULL ||
			    s->p[1] == '\0')
				return -1;
			s->p++;
		}
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	*key = start;
	*n = (size_t)(s->p - start);
	s->p++;
	return 0;
}

static int
bambu_scan_digits(struct bambu_scan *s)
{
	const char	*start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start ? 0 : -1;
}

static int
bambu_scan_number(struct bambu_scan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (bambu_scan_digits(s) != 0)
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (bambu_scan_digits(s) != 0)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (bambu_scan_digits(s) != 0)
			return -1;
	}
	return 0;
}

static int
bambu_scan_word(struct bambu_scan *s, const char *w)
{
	size_t	n;

	n = strlen(w);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* The members of an object, s->p on '{'; out (may be NULL) gets kept. */
static int
bambu_scan_object(struct bambu_scan *s, char *out, size_t *olen)
{
	const char	*member, *key, *value;
	size_t		 n, vlen;
	int		 k, skip;

	if (++s->depth > BAMBU_SCAN_DEPTH)
		return -1;
	s->p++;
	bambu_scan_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		bambu_scan_ws(s);
		member = s->p;
		if (bambu_scan_string(s, &key, &n) != 0)
			return -1;
		bambu_scan_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return -1;
		s->p++;
		bambu_scan_ws(s);
		value = s->p;
		if (bambu_scan_value(s) != 0)
			return -1;
		vlen = (size_t)(s->p - value);
		k = out != NULL ? bambu_key(key, n) : -1;
		skip = out == NULL;
		if (k >= 0) {
			/* Unchanged since the last report (and not a
			 * second occurrence of the key): nothing to do. */
			skip = !(s->seen & (1UL << k)) && s->cache->memo[k] !=
			    NULL && s->cache->memo_len[k] == vlen &&
			    memcmp(s->cache->memo[k], value, vlen) == 0;
			s->seen |= 1UL << k;
			s->text[k] = value;
			s->text_len[k] = vlen;
		} else if (out != NULL)
			skip = n != 7 || memcmp(key, "command", 7) != 0;
		if (!skip) {
			if (*olen > 1)
				out[(*olen)++] = ',';
			memcpy(out + *olen, member, (size_t)(s->p - member));
			*olen += (size_t)(s->p - member);
		}
		bambu_scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			s->depth--;
			return 0;
		}
		return -1;
	}
}

static int
bambu_scan_array(struct bambu_scan *s)
{
	if (++s->depth > BAMBU_SCAN_DEPTH)
		return -1;
	s->p++;
	bambu_scan_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		bambu_scan_ws(s);
		if (bambu_scan_value(s) != 0)
			return -1;
		bambu_scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			s->depth--;
			return 0;
		}
		return -1;
	}
}

static int
bambu_scan_value(struct bambu_scan *s)
{
	const char	*unused;
	size_t		 n;

	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{':
		return bambu_scan_object(s, NULL, NULL);
	case '[':
		return bambu_scan_array(s);
	case '"':
		return bambu_scan_string(s, &unused, &n);
	case 't':
		return bambu_scan_word(s, "true");
	case 'f':
		return bambu_scan_word(s, "false");
	case 'n':
		return bambu_scan_word(s, "null");
	default:
		return bambu_scan_number(s);
	}
}

/*
 * Checks the report and copies the kept members of its "print" object
 * into out (at least len + 3 bytes) as one object text; *olen is 0 when
 * the report has no "print".  The last "print" counts, as in jansson.
 * 0, -1 (not JSON) or -2 (print is not an object).
 */
static int
bambu_filter(struct bambu_scan *sp, const char *buf, size_t len, char *out,
    size_t *olen)
{
	struct bambu_scan	 s;
	const char		*key;
	size_t			 n;
	int			 bad;

	s = *sp;
	s.p = buf;
	s.end = buf + len;
	s.depth = 1;
	*olen = 0;
	bad = 0;
	bambu_scan_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return -1;
	s.p++;
	bambu_scan_ws(&s);
	while (s.p < s.end && *s.p != '}') {
		if (bambu_scan_string(&s, &key, &n) != 0)
			return -1;
		bambu_scan_ws(&s);
		if (s.p >= s.end || *s.p != ':')
			return -1;
		s.p++;
		bambu_scan_ws(&s);
		if (n != 5 || memcmp(key, "print", 5) != 0) {
			if (bambu_scan_value(&s) != 0)
				return -1;
		} else if (s.p < s.end && *s.p == '{') {
			out[0] = '{';
			*olen = 1;
			s.seen = 0;
			memset(s.text, 0, sizeof(s.text));
			if (bambu_scan_object(&s, out, olen) != 0)
				return -1;
			out[(*olen)++] = '}';
			bad = 0;
		} else {
			if (bambu_scan_value(&s) != 0)
				return -1;
			*olen = 0;
			bad = 1;
		}
		bambu_scan_ws(&s);
		if (s.p < s.end && *s.p == ',') {
			s.p++;
			bambu_scan_ws(&s);
			if (s.p < s.end && *s.p == '}')
				return -1;	/* a trailing comma */
		} else if (s.p < s.end && *s.p != '}')
			return -1;
	}
	if (s.p >= s.end)
		return -1;
	s.p++;
	bambu_scan_ws(&s);
	*sp = s;
	if (s.p != s.end)
		return -1;
	return bad ? -2 : 0;
}

/* Remembers the text of each kept key the merged report sent. */
static void
bambu_memo(struct bambu_cache *c, const struct bambu_scan *s)
{
	size_t	k;

	for (k = 0; k < BAMBU_MEMO_KEYS; k++) {
		if (s->text[k] == NULL)
			continue;
		if (s->text_len[k] < BAMBU_MEMO_MIN) {
			free(c->memo[k]);
			c->memo[k] = NULL;
			continue;
		}
		if (c->memo[k] == NULL || c->memo_len[k] != s->text_len[k]) {
			free(c->memo[k]);
			if ((c->memo[k] = malloc(s->text_len[k])) == NULL)
				abort();
		}
		memcpy(c->memo[k], s->text[k], s->text_len[k]);
		c->memo_len[k] = s->text_len[k];
	}
}

int
bambu_merge(struct bambu_cache *c, const char *payload, size_t len,
    struct err *e)
{
	struct bambu_scan	 s;
	json_t			*print;
	const char		*cmd;
	char			 small[4096], *out;
	size_t			 olen;
	int			 rc;

	if (len > BAMBU_MAX_BYTES) {
		if (e != NULL)
			err_set(e, ERR_TOO_LARGE, "the Bambu report is larger "
			    "than %d bytes", BAMBU_MAX_BYTES);
		return ERR_TOO_LARGE;
	}
	out = len + 3 <= sizeof(small) ? small : malloc(len + 3);
	if (out == NULL)
		abort();
	memset(&s, 0, sizeof(s));
	s.cache = c;
	rc = bambu_filter(&s, payload, len, out, &olen);
	if (rc != 0) {
		if (out != small)
			free(out);
		if (e != NULL)
			err_set(e, ERR_INVALID, rc == -2 ? "print in a Bambu "
			    "report is not an object" : "the Bambu report is "
			    "not JSON");
		return ERR_INVALID;
	}
	print = NULL;
	if (olen > 0 && (rc = printer_json_load(out, olen, olen,
	    "Bambu report", &print, e)) != 0) {
		if (out != small)
			free(out);
		return rc;
	}
	if (out != small)
		free(out);
	cmd = printer_str(print, "command");
	if (print != NULL && (cmd == NULL || strcmp(cmd, "push_status") ==
	    0)) {
		if (c->print == NULL)
			c->print = json_object();
		bambu_merge_object(c->print, print, 0);
		bambu_memo(c, &s);
		c->reports++;
	}
	json_decref(print);
	return 0;
}

/* A hex string ("3EC1AFFF9CFF", "0x1f") as its low 64 bits. */
static int
bambu_hex(const char *s, unsigned long long *v)
{
	unsigned long long	n;
	int			d, digits;

	if (s == NULL)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = 0;
	for (digits = 0; *s != '\0'; s++, digits++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		n = (n << 4) | (unsigned long long)d;
	}
	if (digits == 0)
		return -1;
	*v = n;
	return 0;
}

/* An unsigned 32-bit value from a number or string-number, else -1. */
static int
bambu_u32(const json_t *j, unsigned long *v)
{
	double	d;

	if (printer_json_num(j, &d) != 0 || d < -2147483648.0 ||
	    d > 4294967295.0)
		return -1;
	if (d < 0)
		d += 4294967296.0;
	*v = (unsigned long)d & BAMBU_ALL;
	return 0;
}

void
bambu_hms_text(unsigned long attr, unsigned long code, char *text,
    size_t size)
{
	const char	*module;
	unsigned long	 unit, sev;
	size_t		 i;

	for (i = 0; i < sizeof(bambu_hms) / sizeof(bambu_hms[0]); i++) {
		if ((attr & bambu_hms[i].mask) != bambu_hms[i].attr ||
		    code != bambu_hms[i].code)
			continue;
		unit = (attr >> 16) & 0xff;
		if (!bambu_hms[i].ams) {
			snprintf(text, size, "%s", bambu_hms[i].text);
			return;
		}
		if (unit < 4) {
			snprintf(text, size, "AMS %lu slot %lu: %s", unit + 1,
			    ((attr >> 8) & 0xf) + 1, bambu_hms[i].text);
			return;
		}
		if (unit >= 0x80 && unit < 0x88) {
			snprintf(text, size, "AMS HT %lu: %s", unit - 0x80 + 1,
			    bambu_hms[i].text);
			return;
		}
	}
	switch (attr >> 24) {
	case 0x03:
		module = "Motion controller";
		break;
	case 0x05:
		module = "Mainboard";
		break;
	case 0x07:
		module = "AMS";
		break;
	case 0x08:
		module = "Toolhead";
		break;
	case 0x0C:
		module = "Camera and lidar (XCam)";
		break;
	default:
		module = "Printer";
		break;
	}
	sev = code >> 16;
	if (sev > 4)
		sev = 0;
	snprintf(text, size, "%s: %s alert (code not in Printyard's short "
	    "list; see Bambu Lab's HMS codes)", module, bambu_severities[sev]);
}

static enum printer_status
bambu_status(const char *s)
{
	size_t	i;

	if (s == NULL)
		return PRINTER_IDLE;
	for (i = 0; bambu_states[i].name != NULL; i++)
		if (strcasecmp(bambu_states[i].name, s) == 0)
			return bambu_states[i].status;
	return PRINTER_IDLE;
}

/* "RRGGBBAA" or "RRGGBB" -> "#RRGGBB"; anything else -> "". */
static void
bambu_color(const char *s, char out[8])
{
	size_t	n, i;

	out[0] = '\0';
	if (s == NULL)
		return;
	n = strlen(s);
	if (n != 6 && n != 8)
		return;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return;
	out[0] = '#';
	for (i = 0; i < 6; i++)
		out[i + 1] = (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 32 : s[i];
	out[7] = '\0';
}

static void
bambu_slot(struct printer_state *st, const json_t *tray, int slot,
    int active)
{
	struct printer_slot	*ps;
	const char		*uid;

	if (st->nslots >= PRINTER_MAX_SLOTS)
		return;
	ps = &st->slots[st->nslots++];
	ps->slot = slot;
	printer_copy(ps->type, sizeof(ps->type), printer_str(tray,
	    "tray_type"));
	bambu_color(printer_str(tray, "tray_color"), ps->color);
	ps->remaining_pct = printer_int(printer_num(tray, "remain"), 0, 100);
	uid = printer_str(tray, "tag_uid");
	if (uid != NULL && strspn(uid, "0") != strlen(uid))
		printer_copy(ps->tag_uid, sizeof(ps->tag_uid), uid);
	ps->active = active;
}

/* A small whole number (unit, tray, tray_now), else -1. */
static int
bambu_small(const json_t *obj, const char *key)
{
	return printer_int(printer_num(obj, key), 0, 255);
}

static void
bambu_slots(struct printer_state *st, const json_t *p)
{
	const json_t		*ams, *units, *unit, *trays, *tray;
	const json_t		*by_slot[16];
	unsigned long long	 bits;
	size_t			 i, j;
	int			 id, t, now, have_bits, next, k;

	memset(by_slot, 0, sizeof(by_slot));
	ams = json_object_get(p, "ams");
	units = json_object_get(ams, "ams");
	now = bambu_small(ams, "tray_now");
	have_bits = bambu_hex(printer_str(ams, "ams_exist_bits"), &bits) == 0;
	next = 1;
	/* AMS units 0-3, four trays each: slot unit * 4 + tray + 1. */
	json_array_foreach(units, i, unit) {
		id = bambu_small(unit, "id");
		if (id < 0 || id > 3 || (have_bits && !(bits & (1ULL << id))))
			continue;
		trays = json_object_get(unit, "tray");
		json_array_foreach(trays, j, tray) {
			t = bambu_small(tray, "id");
			if (t >= 0 && t <= 3)
				by_slot[id * 4 + t] = tray;
		}
	}
	for (k = 0; k < 16; k++)
		if (by_slot[k] != NULL) {
			bambu_slot(st, by_slot[k], k + 1, now == k);
			next = k + 2;
		}
	/* AMS HT units (ids 128-135, one tray each) follow. */
	json_array_foreach(units, i, unit) {
		id = bambu_small(unit, "id");
		if (id < 128 || id > 135)
			continue;
		tray = json_array_get(json_object_get(unit, "tray"), 0);
		if (json_is_object(tray) && st->nslots + 1 < PRINTER_MAX_SLOTS)
			bambu_slot(st, tray, next++, now == id);
	}
	/* The external spool holder, last. */
	tray = json_object_get(p, "vt_tray");
	if (json_is_object(tray))
		bambu_slot(st, tray, next, now == 254);
}

/*
 * Adds print_error and the HMS alerts; returns the worst HMS severity
 * (1 fatal) or 9, and *failed says whether print_error holds an error.
 */
static int
bambu_errors(struct printer_state *st, const json_t *p, int *failed)
{
	const json_t	*hms, *h;
	char		 code[32], text[160];
	unsigned long	 attr, c, pe;
	size_t		 i;
	int		 worst;

	worst = 9;
	*failed = 0;
	if (bambu_u32(json_object_get(p, "print_error"), &pe) == 0 &&
	    pe != 0 && pe != BAMBU_ERROR_CANCELLED) {
		snprintf(code, sizeof(code), "%04X_%04X",
		    (unsigned)((pe >> 16) & 0xffff), (unsigned)(pe & 0xffff));
		printer_add_error(st, code, "The print stopped with an error "
		    "(see Bambu Lab's print error codes)");
		*failed = 1;
	}
	hms = json_object_get(p, "hms");
	json_array_foreach(hms, i, h) {
		if (bambu_u32(json_object_get(h, "attr"), &attr) != 0 ||
		    bambu_u32(json_object_get(h, "code"), &c) != 0)
			continue;
		snprintf(code, sizeof(code), "%04X_%04X_%04X_%04X",
		    (unsigned)((attr >> 16) & 0xffff),
		    (unsigned)(attr & 0xffff), (unsigned)((c >> 16) & 0xffff),
		    (unsigned)(c & 0xffff));
		bambu_hms_text(attr, c, text, sizeof(text));
		printer_add_error(st, code, text);
		if ((int)(c >> 16) >= 1 && (int)(c >> 16) < worst)
			worst = (int)(c >> 16);
	}
	return worst;
}

/* A packed temperature of newer firmware: low 16 bits now, high target. */
static void
bambu_packed(const json_t *j, double *now, double *target)
{
	unsigned long	v;

	if (bambu_u32(j, &v) != 0)
		return;
	*now = printer_temp((double)(v & 0xffff));
	*target = printer_temp((double)((v >> 16) & 0xffff));
}

static void
bambu_device(struct printer_state *st, const json_t *p)
{
	const json_t	*dev, *ext, *info, *el;
	double		 unused;
	size_t		 i;
	int		 active;

	dev = json_object_get(p, "device");
	if (!json_is_object(dev))
		return;
	ext = json_object_get(dev, "extruder");
	active = printer_int(printer_num(ext, "state"), 0, 0xffff);
	active = active < 0 ? 0 : (active >> 4) & 0xf;
	info = json_object_get(ext, "info");
	json_array_foreach(info, i, el)
		if (printer_int(printer_num(el, "id"), 0, 15) == active)
			bambu_packed(json_object_get(el, "temp"),
			    &st->nozzle_c, &st->nozzle_target_c);
	bambu_packed(json_object_get(json_object_get(json_object_get(dev,
	    "bed"), "info"), "temp"), &st->bed_c, &st->bed_target_c);
	unused = NAN;
	bambu_packed(json_object_get(json_object_get(json_object_get(dev,
	    "ctc"), "info"), "temp"), &st->chamber_c, &unused);
}

void
bambu_state(const struct bambu_cache *c, struct printer_state *st)
{
	const json_t		*p;
	const char		*job;
	unsigned long long	 fun;
	double			 v;
	int			 lvl, worst, failed;

	printer_state_init(st);
	p = c->print;
	if (p == NULL)
		return;
	st->status = bambu_status(printer_str(p, "gcode_state"));
	job = printer_str(p, "subtask_name");
	if (job == NULL || job[0] == '\0')
		job = printer_str(p, "gcode_file");
	printer_copy(st->job, sizeof(st->job), job);
	st->progress = printer_pct(printer_num(p, "mc_percent"));
	v = printer_num(p, "mc_remaining_time");
	st->remaining_s = v <= PRINTER_MAX_SECONDS / 60 ?
	    printer_seconds(v * 60) : -1;
	st->layer = printer_int(printer_num(p, "layer_num"), 0,
	    PRINTER_MAX_LAYERS);
	st->total_layers = printer_int(printer_num(p, "total_layer_num"), 0,
	    PRINTER_MAX_LAYERS);
	st->nozzle_c = printer_temp(printer_num(p, "nozzle_temper"));
	st->nozzle_target_c = printer_temp(printer_num(p,
	    "nozzle_target_temper"));
	st->bed_c = printer_temp(printer_num(p, "bed_temper"));
	st->bed_target_c = printer_temp(printer_num(p, "bed_target_temper"));
	st->chamber_c = printer_temp(printer_num(p, "chamber_temper"));
	bambu_device(st, p);
	v = printer_num(p, "cooling_fan_speed");
	if (v >= 0 && v <= 15)
		st->fan_pct = (int)lrint(v * 100 / 15);
	st->speed_pct = printer_int(printer_num(p, "spd_mag"), 1,
	    PRINTER_MAX_SPEED);
	lvl = printer_int(printer_num(p, "spd_lvl"), 1, 4);
	if (st->speed_pct < 0 && lvl > 0)
		st->speed_pct = bambu_speeds[lvl - 1];
	if (bambu_hex(printer_str(p, "fun"), &fun) == 0)
		st->control_ok = (fun & BAMBU_FUN_SIGNED) ? 0 : 1;
	bambu_slots(st, p);
	worst = bambu_errors(st, p, &failed);
	if (worst == 1 || (st->status == PRINTER_PAUSED && (worst <= 2 ||
	    failed)))
		st->status = PRINTER_ERROR;
}

int
bambu_reply(const char *payload, size_t len, struct bambu_reply *r,
    struct err *e)
{
	json_t		*root, *v;
	const char	*key, *res;
	int		 rc;

	memset(r, 0, sizeof(*r));
	r->result = -1;
	rc = printer_json_load(payload, len, BAMBU_MAX_BYTES, "Bambu message",
	    &root, e);
	if (rc != 0)
		return rc;
	rc = ERR_INVALID;
	json_object_foreach(root, key, v) {
		if (!json_is_object(v) || json_object_get(v, "sequence_id") ==
		    NULL)
			continue;
		printer_copy(r->kind, sizeof(r->kind), key);
		printer_copy(r->command, sizeof(r->command), printer_str(v,
		    "command"));
		if (json_is_string(json_object_get(v, "sequence_id")))
			printer_copy(r->sequence_id, sizeof(r->sequence_id),
			    printer_str(v, "sequence_id"));
		else if (json_is_integer(json_object_get(v, "sequence_id")))
			snprintf(r->sequence_id, sizeof(r->sequence_id),
			    "%lld", (long long)json_integer_value(
			    json_object_get(v, "sequence_id")));
		res = printer_str(v, "result");
		if (res != NULL && strcasecmp(res, "success") == 0)
			r->result = 1;
		else if (res != NULL && strcasecmp(res, "fail") == 0)
			r->result = 0;
		printer_copy(r->reason, sizeof(r->reason), printer_str(v,
		    "reason"));
		rc = 0;
		break;
	}
	json_decref(root);
	if (rc != 0 && e != NULL)
		err_set(e, ERR_INVALID, "the Bambu message has no command "
		    "object with a sequence_id");
	return rc;
}
