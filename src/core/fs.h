/*
 * fs.h -- small file-system helpers.
 */
#ifndef PY_FS_H
#define PY_FS_H

#include <stddef.h>

struct arena;

/*
 * The names (not paths) of the regular entries of dir that end in suffix
 * and do not start with '.', sorted by name, at most max of them; NULL
 * when dir cannot be opened.  *n gets the count.  Lives in the arena.
 */
char	**fs_list(struct arena *, const char *dir, const char *suffix,
	    size_t max, size_t *n);

#endif
