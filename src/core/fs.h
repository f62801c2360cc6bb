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

/*
 * Makes path and its missing parents (mode 0750); path is written to
 * while it works and restored.  0, or -1 with errno.
 */
int	fs_mkdirs(char *path);

/*
 * Writes data to path through a temporary file next to it, synced and
 * renamed over path, so readers see the old file or the whole new one.
 * 0, or -1 with errno.
 */
int	fs_write_atomic(const char *path, const char *data, size_t len);

/*
 * The bytes of the regular file path (NUL added, not counted in *len),
 * malloc'd; NULL with errno, EFBIG when it holds more than max bytes.
 */
char	*fs_read(const char *path, size_t max, size_t *len);

#endif
