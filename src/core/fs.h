/*
 * fs.h -- small file-system helpers.
 */
#ifndef PY_FS_H
#define PY_FS_H

#include <pthread.h>
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
 * renamed over path, so readers see the old file or the whole new one;
 * the directory is synced too, so that the name outlives a crash.
 * 0, or -1 with errno.
 */
int	fs_write_atomic(const char *path, const char *data, size_t len);

/*
 * fs_write_atomic on a thread of its own, so that the caller works on
 * meanwhile (an upload is measured while it is written and synced).
 * path and data belong to the caller and must stay as they are until
 * fs_write_wait, which every fs_write_start must be followed by.  When
 * no thread can be started the file is written before start returns.
 * Meant for large files kept for later: once synced, their pages leave
 * the page cache, so that the next one reuses them instead of growing
 * the cache by as much again (which costs more than the copy itself).
 */
struct fs_write {
	pthread_t	 thread;
	const char	*path;
	const char	*data;
	size_t		 len;
	int		 threaded;
	int		 rc, err;	/* fs_write_atomic's result and errno */
};

void	fs_write_start(struct fs_write *, const char *path, const char *data,
	    size_t len);
/* Waits for the write: 0 once the file is durably in place, or -1, errno. */
int	fs_write_wait(struct fs_write *);

/*
 * The bytes of the regular file path (NUL added, not counted in *len),
 * malloc'd; NULL with errno, EFBIG when it holds more than max bytes.
 */
char	*fs_read(const char *path, size_t max, size_t *len);

#endif
