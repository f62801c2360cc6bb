/*
 * farm.h -- what other pages use of the farm resource (res/farm.c):
 * the live printer cards and a printer's labels.
 */
#ifndef PY_RES_FARM_H
#define PY_RES_FARM_H

#include <jansson.h>

struct req;

/*
 * Puts the cards of the active printers into a page view: "printers"
 * (each dressed for templates/printers/card.mustache), "has_printers",
 * "can_control", "farm_labels" (JSON text for static/js/printers.js),
 * "farm_js" and the live URL of the "printers" channel.  Returns 0 or
 * the error (r->err).
 */
int	farm_cards_for_page(struct req *, json_t *view);

/*
 * Puts the active printers into a page view, to choose one from:
 * "printer_choices" ({id, name, status, status_label}, by name) and
 * "has_printer_choices".  Returns 0 or the error (r->err).
 */
int	farm_choices_for_page(struct req *, json_t *view);

/* Adds the labels a page shows for a printer row's kind and status. */
void	farm_labels(struct req *, json_t *row);

#endif
