/*
 * fs.c -- small file-system helpers.
 *
 * Invariant: a file written by fs_write_atomic (on the caller's thread or
 * on one of fs_write_start's) is either absent or whole and synced, with
 * its name, once the call (or fs_write_wait) says 0.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/fs.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char **
fs_list(struct arena *a, const char *dir, const char *suffix, size_t max,
    size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	char		**names;
	size_t		 len, slen;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	names = arena_calloc(a, max > 0 ? max : 1, sizeof(*names));
	slen = strlen(suffix);
	while ((de = readdir(d)) != NULL && *n < max) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= slen ||
		    strcmp(de->d_name + len - slen, suffix) != 0)
			continue;
		names[(*n)++] = arena_strdup(a, de->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), by_name);
	return names;
}

int
fs_mkdirs(char *path)
{
	char	*s;

	for (s = path + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(path, 0750) != 0 && errno != EEXIST) {
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	if (mkdir(path, 0750) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Syncs the directory that holds path, so that a new name in it lasts. */
static int
fs_sync_dir(const char *path)
{
	char		 dir[4096];
	const char	*slash = strrchr(path, '/');
	size_t		 n;
	int		 fd, rc, saved;

	/* "name" is in ".", "/name" in "/" */
	n = slash == NULL ? 0 : (size_t)(slash - path);
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (n == 0)
		snprintf(dir, sizeof(dir), "%s", slash == NULL ? "." : "/");
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * fs_write_atomic; with drop, the file's pages leave the page cache once
 * they are on disk.
 */
static int
fs_write_file(const char *path, const char *data, size_t len, int drop)
{
	char	 tmp[4096];
	size_t	 done;
	ssize_t	 n;
	int	 fd, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) < 0)
		return -1;
	for (done = 0; done < len; done += (size_t)n) {
		n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
	}
	if (fsync(fd) != 0)
		goto fail;
	if (drop)
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return fs_sync_dir(path);
fail:
	saved = errno;
	close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
fs_write_atomic(const char *path, const char *data, size_t len)
{
	return fs_write_file(path, data, len, 0);
}

static void *
fs_write_run(void *arg)
{
	struct fs_write	*w = arg;

	w->rc = fs_write_file(w->path, w->data, w->len, 1);
	w->err = w->rc != 0 ? errno : 0;
	return NULL;
}

void
fs_write_start(struct fs_write *w, const char *path, const char *data,
    size_t len)
{
	sigset_t	all, was;

	w->path = path;
	w->data = data;
	w->len = len;
	w->rc = 0;
	w->err = 0;
	/* signals stay with the caller's thread, whose waits they cut short */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &was);
	w->threaded = pthread_create(&w->thread, NULL, fs_write_run, w) == 0;
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	if (!w->threaded)
		fs_write_run(w);
}

int
fs_write_wait(struct fs_write *w)
{
	if (w->threaded)
		pthread_join(w->thread, NULL);
	w->threaded = 0;
	errno = w->err;
	return w->rc;
}

char *
fs_read(const char *path, size_t max, size_t *len)
{
	struct stat	 st;
	char		*p;
	size_t		 done = 0;
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	saved = 0;
	if (fstat(fd, &st) != 0)
		saved = errno;
	else if (!S_ISREG(st.st_mode))
		saved = EINVAL;
	else if ((unsigned long long)st.st_size > max)
		saved = EFBIG;
	if (saved != 0) {
		close(fd);
		errno = saved;
		return NULL;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	/* what the file holds now, up to the size it had and max */
	while (done < (size_t)st.st_size) {
		n = read(fd, p + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			saved = errno;
			free(p);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	p[done] = '\0';
	*len = done;
	return p;
}
