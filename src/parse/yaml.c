/*
 * yaml.c -- a recursive walk over libyaml's event stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/err.h"
#include "parse/yaml.h"

static json_t *
scalar(const yaml_event_t *ev)
{
	const char	*v = (const char *)ev->data.scalar.value;
	size_t		 n = ev->data.scalar.length;
	char		*end;
	long long	 i;
	double		 d;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(v, n);
	if (strcmp(v, "true") == 0)
		return json_true();
	if (strcmp(v, "false") == 0)
		return json_false();
	if (strcmp(v, "null") == 0 || strcmp(v, "~") == 0 || n == 0)
		return json_null();
	errno = 0;
	i = strtoll(v, &end, 10);
	if (*end == '\0' && errno == 0)
		return json_integer(i);
	d = strtod(v, &end);
	if (*end == '\0' && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')))
		return json_real(d);
	return json_stringn(v, n);
}

static int	node(yaml_parser_t *, yaml_event_t *, int, json_t **,
		    struct err *);

static int
next(yaml_parser_t *p, yaml_event_t *ev, struct err *e)
{
	if (!yaml_parser_parse(p, ev))
		return err_set(e, ERR_INVALID, "YAML error at line %zu: %s",
		    p->problem_mark.line + 1, p->problem ? p->problem : "?");
	return 0;
}

/* Builds the value that starts with event ev (which this function owns). */
static int
node(yaml_parser_t *p, yaml_event_t *ev, int depth, json_t **out,
    struct err *e)
{
	yaml_event_t	 kev, vev;
	json_t		*v, *k;
	int		 rc;

	if (depth > YAML_MAX_DEPTH) {
		yaml_event_delete(ev);
		return err_set(e, ERR_INVALID, "YAML nests too deep");
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		*out = scalar(ev);
		yaml_event_delete(ev);
		return 0;
	case YAML_SEQUENCE_START_EVENT:
		yaml_event_delete(ev);
		*out = json_array();
		for (;;) {
			if (next(p, &vev, e) != 0)
				break;
			if (vev.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&vev);
				return 0;
			}
			if ((rc = node(p, &vev, depth + 1, &v, e)) != 0)
				break;
			json_array_append_new(*out, v);
		}
		json_decref(*out);
		return e->code;
	case YAML_MAPPING_START_EVENT:
		yaml_event_delete(ev);
		*out = json_object();
		for (;;) {
			if (next(p, &kev, e) != 0)
				break;
			if (kev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&kev);
				return 0;
			}
			if (kev.type != YAML_SCALAR_EVENT) {
				yaml_event_delete(&kev);
				err_set(e, ERR_INVALID, "YAML mapping keys "
				    "must be text (line %zu)",
				    p->mark.line + 1);
				break;
			}
			k = json_stringn((const char *)kev.data.scalar.value,
			    kev.data.scalar.length);
			yaml_event_delete(&kev);
			if (next(p, &vev, e) != 0 ||
			    node(p, &vev, depth + 1, &v, e) != 0) {
				json_decref(k);
				break;
			}
			json_object_set_new(*out, json_string_value(k), v);
			json_decref(k);
		}
		json_decref(*out);
		return e->code;
	case YAML_ALIAS_EVENT:
	default:
		yaml_event_delete(ev);
		return err_set(e, ERR_INVALID,
		    "unsupported YAML construct at line %zu (aliases and "
		    "anchors are not accepted)", p->mark.line + 1);
	}
}

int
yaml_to_json(const char *s, size_t n, json_t **out, struct err *e)
{
	yaml_parser_t	p;
	yaml_event_t	ev;
	int		rc;

	*out = NULL;
	if (!yaml_parser_initialize(&p))
		return err_set(e, ERR_INTERNAL, "cannot start YAML parser");
	yaml_parser_set_input_string(&p, (const unsigned char *)s, n);
	rc = 0;
	/* Skip STREAM-START and DOCUMENT-START. */
	do {
		if ((rc = next(&p, &ev, e)) != 0)
			goto out;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			rc = err_set(e, ERR_INVALID, "the YAML is empty");
			goto out;
		}
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_START_EVENT)
			yaml_event_delete(&ev);
		else
			break;
	} while (1);
	rc = node(&p, &ev, 0, out, e);
out:
	yaml_parser_delete(&p);
	return rc;
}
