/*
 * yaml.h -- YAML text to jansson values (libyaml stays in this file).
 *
 * Pure: bytes in, value out.  Scalars become strings, except plain
 * (unquoted) scalars that read as integers, reals, true/false or null.
 * Anchors and aliases are refused: the API description needs neither.
 */
#ifndef PY_YAML_H
#define PY_YAML_H

#include <stddef.h>
#include <jansson.h>

struct err;

#define YAML_MAX_DEPTH	64

/* Returns 0 and a new reference in *out, or ERR_INVALID with the line. */
int	yaml_to_json(const char *, size_t, json_t **out, struct err *);

#endif
