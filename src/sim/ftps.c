/*
 * ftps.c -- the print files of a simulated printer and the FTPS server
 * of the simulated Bambu printers.
 *
 * Files: every printer holds built-in files made at first use, with
 * real content: its job file and a calibration cube (a Bambu printer
 * also a cloud print in cache/ and a video in timelapse/, the only names
 * with a folder; LIST of the root shows the folders as "d" lines).  A
 * G-code file carries a PrusaSlicer-style thumbnail block ("; thumbnail
 * begin WxH LEN" and base64 lines of a small PNG) and the slicer
 * comments for the print time, grams and filament type; a Bambu
 * printer's job file is a sliced 3MF (an uncompressed ZIP) holding
 * Metadata/plate_1.gcode, Metadata/plate_1.png and
 * Metadata/slice_info.config.  The PNG is written by hand (stored
 * deflate blocks, CRC-32 and Adler-32 here), so nothing beyond OpenSSL
 * is needed.
 *
 * Uploads (sim_file_put, from FTPS STOR or the HTTP kinds' upload
 * endpoints) are files in the printer's upload_dir (RUN_DIR/uploads/N),
 * because FTPS sessions run in other processes than the HTTP server:
 * written under a temporary ".tmp.*" name and renamed, so a reader sees
 * a whole file or none.  An upload replaces a file of its name (a
 * built-in one too); deleting a built-in file leaves ".gone.NAME".  The
 * file list is read from the folder again at every sim_files() call;
 * an uploaded file's bytes are read when asked for (sim_file_find) and
 * kept while the file on disk stays the same version.  At most
 * UPLOAD_FILES uploads of STORAGE_MAX bytes together per printer, each
 * at most upload_max (SIM_UPLOAD_MAX) bytes.
 *
 * FTPS: each Bambu printer listens on a port of its own (farm.json
 * "ftp_port") with implicit TLS (TLS from the first byte) using the
 * printer's certificate (the serial as its name), user bblp and the
 * access code it accepts.  One child process waits on every printer's
 * listening socket and forks one more per session, which is served with
 * blocking I/O: USER, PASS, PBSZ, PROT, TYPE, SYST, FEAT, OPTS, NOOP,
 * PWD, CWD (the root or a folder), CDUP, EPSV, PASV, LIST and NLST (a folder
 * or a file), SIZE, MDTM, REST 0,
 * RETR, STOR (into the root only), DELE, ALLO, QUIT.  Data connections are TLS
 * too (the session cache lets clients resume the control connection's
 * session); an upload ends at the client's close_notify or at a plain
 * close of the data connection.  The children die with the simulator.
 *
 * Invariants: file names hold no '/' and pass sim_file_name_ok (uploads)
 * or come from the configuration (built-in); a built-in file's bytes
 * never change once made, an uploaded file's bytes never change on disk
 * (a new upload is a new file renamed over it); a session never reads
 * more than one command line of FTPS_LINE bytes, nor keeps more than
 * upload_max bytes of an upload.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sim/sim.h"

#define FTPS_LINE	512
#define FTPS_IDLE_S	60
#define FTPS_DATA_S	10
#define UPLOAD_FILES	64	/* uploaded files a printer holds */
#define STORAGE_MAX	((size_t)256 << 20)	/* their bytes together */

/* ---- checksums and encodings ---- */

static uint32_t
crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	size_t	i;
	int	k;

	crc = ~crc;
	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1)));
	}
	return ~crc;
}

static void
put32be(struct buf *b, uint32_t v)
{
	unsigned char	c[4];

	c[0] = (unsigned char)(v >> 24);
	c[1] = (unsigned char)(v >> 16);
	c[2] = (unsigned char)(v >> 8);
	c[3] = (unsigned char)v;
	buf_add(b, c, 4);
}

static void
put16le(struct buf *b, unsigned v)
{
	unsigned char	c[2];

	c[0] = (unsigned char)v;
	c[1] = (unsigned char)(v >> 8);
	buf_add(b, c, 2);
}

static void
put32le(struct buf *b, uint32_t v)
{
	put16le(b, v & 0xffff);
	put16le(b, v >> 16);
}

static void
png_chunk(struct buf *b, const char *type, const unsigned char *d, size_t n)
{
	uint32_t	crc;

	put32be(b, (uint32_t)n);
	buf_add(b, type, 4);
	if (n > 0)
		buf_add(b, d, n);
	crc = crc32_update(0, (const unsigned char *)type, 4);
	crc = crc32_update(crc, d, n);
	put32be(b, crc);
}

/* A w x h RGB PNG: a square of colour rgb on a light background. */
static void
png_make(struct buf *out, int w, int h, const unsigned char rgb[3])
{
	struct buf	 raw, z, ihdr;
	uint32_t	 s1 = 1, s2 = 0;
	size_t		 i, off, n;
	int		 x, y, in;

	buf_init(&raw, 1 << 20);
	buf_init(&z, 1 << 20);
	buf_init(&ihdr, 64);
	for (y = 0; y < h; y++) {
		buf_addc(&raw, 0);	/* filter: none */
		for (x = 0; x < w; x++) {
			in = x >= w / 4 && x < w * 3 / 4 && y >= h / 4 &&
			    y < h * 3 / 4;
			buf_addc(&raw, (char)(in ? rgb[0] : 0xee));
			buf_addc(&raw, (char)(in ? rgb[1] : 0xee));
			buf_addc(&raw, (char)(in ? rgb[2] : 0xee));
		}
	}
	for (i = 0; i < raw.len; i++) {
		s1 = (s1 + (unsigned char)raw.data[i]) % 65521;
		s2 = (s2 + s1) % 65521;
	}
	buf_addc(&z, 0x78);
	buf_addc(&z, 0x01);
	for (off = 0; off < raw.len || off == 0; off += n) {
		n = raw.len - off > 65535 ? 65535 : raw.len - off;
		buf_addc(&z, off + n >= raw.len ? 1 : 0);
		put16le(&z, (unsigned)n);
		put16le(&z, (unsigned)(~n & 0xffff));
		buf_add(&z, raw.data + off, n);
		if (n == 0)
			break;
	}
	put32be(&z, (s2 << 16) | s1);
	put32be(&ihdr, (uint32_t)w);
	put32be(&ihdr, (uint32_t)h);
	buf_add(&ihdr, "\x08\x02\x00\x00\x00", 5);	/* 8 bit RGB */
	buf_add(out, "\x89PNG\r\n\x1a\n", 8);
	png_chunk(out, "IHDR", (unsigned char *)ihdr.data, ihdr.len);
	png_chunk(out, "IDAT", (unsigned char *)z.data, z.len);
	png_chunk(out, "IEND", NULL, 0);
	buf_free(&raw);
	buf_free(&z);
	buf_free(&ihdr);
}

static void
base64_lines(struct buf *out, const unsigned char *p, size_t n)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			 q[4];
	size_t			 i, col = 0;
	uint32_t		 v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		if (col == 0)
			buf_addstr(out, "; ");
		buf_add(out, q, 4);
		col += 4;
		if (col >= 76 || i + 3 >= n) {
			buf_addc(out, '\n');
			col = 0;
		}
	}
}

static size_t
base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* ---- the files ---- */

static void
gcode_make(struct buf *out, const char *slicer, long seconds, double grams,
    const struct buf *png, int w, int h)
{
	buf_printf(out, "; generated by %s on 2026-11-20 at 09:30:00 UTC\n"
	    ";\n\n", slicer);
	if (png != NULL) {
		buf_printf(out, "; thumbnail begin %dx%d %zu\n", w, h,
		    base64_len(png->len));
		base64_lines(out, (const unsigned char *)png->data, png->len);
		buf_addstr(out, "; thumbnail end\n;\n\n");
	}
	buf_printf(out, "M73 P0 R%ld\nM104 S215\nM140 S60\nG28\n"
	    "G1 Z0.2 F720\nG1 X10 Y10 E2 F1500\nG1 X60 Y10 E4\n"
	    "G1 X60 Y60 E6\nG1 X10 Y60 E8\nM73 P100 R0\nM104 S0\n\n",
	    seconds / 60);
	buf_printf(out, "; filament used [mm] = %.2f\n", grams * 330);
	buf_printf(out, "; filament used [g] = %.2f\n", grams);
	buf_printf(out, "; estimated printing time (normal mode) = %ldh %ldm "
	    "%lds\n", seconds / 3600, seconds / 60 % 60, seconds % 60);
	buf_addstr(out, "; filament_type = PLA\n; nozzle_diameter = 0.4\n");
}

struct zent {
	const char	*name;
	const struct buf *data;
	uint32_t	 crc, off;
};

/* A ZIP archive of n stored (uncompressed) entries. */
static void
archive_make(struct buf *out, struct zent *e, size_t n)
{
	size_t		 i;
	uint32_t	 cd, cdlen;

	for (i = 0; i < n; i++) {
		e[i].crc = crc32_update(0, (const unsigned char *)
		    e[i].data->data, e[i].data->len);
		e[i].off = (uint32_t)out->len;
		put32le(out, 0x04034b50);
		put16le(out, 20);
		put16le(out, 0);		/* flags */
		put16le(out, 0);		/* stored */
		put16le(out, 0x4c00);		/* 09:32 */
		put16le(out, 0x5b74);		/* 2025-11-20 */
		put32le(out, e[i].crc);
		put32le(out, (uint32_t)e[i].data->len);
		put32le(out, (uint32_t)e[i].data->len);
		put16le(out, (unsigned)strlen(e[i].name));
		put16le(out, 0);
		buf_addstr(out, e[i].name);
		buf_add(out, e[i].data->data, e[i].data->len);
	}
	cd = (uint32_t)out->len;
	for (i = 0; i < n; i++) {
		put32le(out, 0x02014b50);
		put16le(out, 20);
		put16le(out, 20);
		put16le(out, 0);
		put16le(out, 0);
		put16le(out, 0x4c00);
		put16le(out, 0x5b74);
		put32le(out, e[i].crc);
		put32le(out, (uint32_t)e[i].data->len);
		put32le(out, (uint32_t)e[i].data->len);
		put16le(out, (unsigned)strlen(e[i].name));
		put16le(out, 0);		/* extra */
		put16le(out, 0);		/* comment */
		put16le(out, 0);		/* disk */
		put16le(out, 0);		/* internal attributes */
		put32le(out, 0);		/* external attributes */
		put32le(out, e[i].off);
		buf_addstr(out, e[i].name);
	}
	cdlen = (uint32_t)out->len - cd;
	put32le(out, 0x06054b50);
	put16le(out, 0);
	put16le(out, 0);
	put16le(out, (unsigned)n);
	put16le(out, (unsigned)n);
	put32le(out, cdlen);
	put32le(out, cd);
	put16le(out, 0);
}

static void
threemf_make(struct buf *out, long seconds, double grams,
    const struct buf *png)
{
	struct buf	 plate, info, types, model;
	struct zent	 e[5];

	buf_init(&plate, 1 << 22);
	buf_init(&info, 1 << 16);
	buf_init(&types, 4096);
	buf_init(&model, 4096);
	gcode_make(&plate, "BambuStudio 02.00.01.50", seconds, grams, NULL,
	    0, 0);
	buf_printf(&info, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<config>\n  <plate>\n"
	    "    <metadata key=\"index\" value=\"1\"/>\n"
	    "    <metadata key=\"prediction\" value=\"%ld\"/>\n"
	    "    <metadata key=\"weight\" value=\"%.2f\"/>\n"
	    "    <filament id=\"1\" type=\"PLA\" color=\"#F2754E\" "
	    "used_m=\"%.2f\" used_g=\"%.2f\"/>\n"
	    "  </plate>\n</config>\n", seconds, grams, grams * 0.33, grams);
	buf_addstr(&types, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
	    "content-types\"><Default Extension=\"model\" ContentType=\""
	    "application/vnd.ms-package.3dmanufacturing-3dmodel+xml\"/>"
	    "<Default Extension=\"png\" ContentType=\"image/png\"/>"
	    "</Types>\n");
	buf_addstr(&model, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<model unit=\"millimeter\" xmlns=\"http://schemas.microsoft.com/"
	    "3dmanufacturing/core/2015/02\"><resources/><build/></model>\n");
	e[0].name = "[Content_Types].xml";
	e[0].data = &types;
	e[1].name = "3D/3dmodel.model";
	e[1].data = &model;
	e[2].name = "Metadata/plate_1.gcode";
	e[2].data = &plate;
	e[3].name = "Metadata/plate_1.png";
	e[3].data = png;
	e[4].name = "Metadata/slice_info.config";
	e[4].data = &info;
	archive_make(out, e, 5);
	buf_free(&plate);
	buf_free(&info);
	buf_free(&types);
	buf_free(&model);
}

static void
file_set(struct sim_file *f, const char *name, struct buf *b, time_t mtime)
{
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->data = (unsigned char *)b->data;	/* the buffer's memory */
	f->len = b->len;
	f->mtime = mtime;
	f->mtime_ns = 500000000;
	b->data = NULL;
}

/* The job file's name ending in ext (unless it does already). */
static void
with_ext(char *out, size_t outlen, const char *name, const char *ext)
{
	size_t	n = strlen(name), e = strlen(ext);
	char	base[128];

	if (n >= e && strcmp(name + n - e, ext) == 0) {
		snprintf(out, outlen, "%s", name);
		return;
	}
	snprintf(base, sizeof(base), "%s", name);
	if (strrchr(base, '.') != NULL)
		*strrchr(base, '.') = '\0';
	snprintf(out, outlen, "%s%s", base, ext);
}

/*
 * The built-in files: the job file and a calibration cube; a Bambu
 * printer also holds a cloud print in /cache and a video in /timelapse,
 * as the real ones do (their only names with a folder).
 */
static void
builtin_make(struct sim_printer *p)
{
	struct buf		 png, out;
	unsigned char		 rgb[3];
	unsigned		 h = 0;
	size_t			 i;
	long			 seconds;
	double			 grams;
	char			 name[SIM_NAME_MAX];
	time_t			 now;

	if ((p->builtin = calloc(SIM_NFILES, sizeof(*p->builtin))) == NULL)
		abort();
	for (i = 0; p->name[i] != '\0'; i++)
		h = h * 31 + (unsigned char)p->name[i];
	rgb[0] = (unsigned char)(0x40 + h % 0xa0);
	rgb[1] = (unsigned char)(0x40 + (h >> 8) % 0xa0);
	rgb[2] = (unsigned char)(0x40 + (h >> 16) % 0xa0);
	now = time(NULL);
	seconds = (long)p->print_s;
	grams = floor(p->print_s / 60 * 55) / 100 + 0.37;

	buf_init(&png, 1 << 20);
	png_make(&png, 32, 32, rgb);
	buf_init(&out, 1 << 24);
	if (p->kind == SIM_BAMBU) {
		with_ext(name, sizeof(name), p->job_file, ".3mf");
		threemf_make(&out, seconds, grams, &png);
	} else {
		with_ext(name, sizeof(name), p->job_file, ".gcode");
		gcode_make(&out, "PrusaSlicer 2.8.1+linux-x64-GTK3", seconds,
		    grams, &png, 32, 32);
	}
	file_set(&p->builtin[0], name, &out, now - 3600);

	buf_reset(&png);
	rgb[0] = 0x30;
	rgb[1] = 0x90;
	rgb[2] = 0xd0;
	png_make(&png, 16, 16, rgb);
	buf_init(&out, 1 << 24);
	gcode_make(&out, "OrcaSlicer 2.2.0", 754, 3.21, &png, 16, 16);
	file_set(&p->builtin[1], "calibration_cube.gcode", &out, now - 86400);
	p->nbuiltin = 2;
	if (p->kind == SIM_BAMBU) {
		buf_init(&out, 1 << 24);
		threemf_make(&out, 2712, 8.42, &png);
		file_set(&p->builtin[2], "cache/cloud_benchy.gcode.3mf", &out,
		    now - 7200);
		buf_init(&out, 4096);
		buf_add(&out, "\0\0\0\030ftypmp42", 12);
		file_set(&p->builtin[3], "timelapse/video_2026-01-05_10-00-00"
		    ".mp4", &out, now - 7200);
		p->nbuiltin = 4;
	}
	buf_free(&png);
}

/* 1 when s is valid UTF-8 (no overlong forms, no surrogates). */
static int
utf8_ok(const unsigned char *s)
{
	while (*s != '\0') {
		if (*s < 0x80)
			s++;
		else if (*s >= 0xc2 && *s <= 0xdf) {
			if ((s[1] & 0xc0) != 0x80)
				return 0;
			s += 2;
		} else if (*s >= 0xe0 && *s <= 0xef) {
			if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
			    (*s == 0xe0 && s[1] < 0xa0) ||
			    (*s == 0xed && s[1] >= 0xa0))
				return 0;
			s += 3;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
			    (s[3] & 0xc0) != 0x80 ||
			    (*s == 0xf0 && s[1] < 0x90) ||
			    (*s == 0xf4 && s[1] >= 0x90))
				return 0;
			s += 4;
		} else
			return 0;
	}
	return 1;
}

int
sim_file_name_ok(const char *name, char *why, size_t whylen)
{
	static const char *const ext[] = { ".gcode", ".bgcode", ".3mf" };
	size_t			 n = strlen(name), i, e;

	if (n == 0 || n >= SIM_NAME_MAX) {
		snprintf(why, whylen, "a file name has 1 to %d bytes",
		    SIM_NAME_MAX - 1);
		return -1;
	}
	if (name[0] == '.') {
		snprintf(why, whylen, "a file name may not start with a dot");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (name[i] == '/') {
			snprintf(why, whylen, "the printer has no folders: a "
			    "file name may not hold a '/'");
			return -1;
		}
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
			snprintf(why, whylen, "a file name may not hold "
			    "control characters");
			return -1;
		}
	}
	if (!utf8_ok((const unsigned char *)name)) {
		snprintf(why, whylen, "a file name must be UTF-8");
		return -1;
	}
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		e = strlen(ext[i]);
		if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
			return 0;
	}
	snprintf(why, whylen, "not a print file: the name must end in "
	    ".gcode, .bgcode, .3mf or .gcode.3mf");
	return -2;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct sim_file *)a)->name,
	    ((const struct sim_file *)b)->name);
}

/* Frees what a file list owns (the bytes of uploaded files) and it. */
static void
list_free(struct sim_file *f, size_t n)
{
	size_t	i;

	for (i = 0; f != NULL && i < n; i++)
		if (f[i].uploaded)
			free(f[i].data);
	free(f);
}

/*
 * Makes p->files anew: the built-in files that no upload replaced and no
 * deletion hid (".gone.NAME" in upload_dir), then the uploaded files by
 * name.  An uploaded file this process has read keeps its bytes while it
 * is the same version (inode, size, mtime).
 */
static void
files_scan(struct sim_printer *p)
{
	struct sim_file	*ups, *view, *old = p->files, *f;
	size_t		 nups = 0, nold = p->nfiles, i, j, k = 0;
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		 gone[SIM_NAME_MAX + 8];
	int		 dfd, hidden;

	if ((ups = calloc(UPLOAD_FILES, sizeof(*ups))) == NULL)
		abort();
	d = p->upload_dir[0] != '\0' ? opendir(p->upload_dir) : NULL;
	dfd = d != NULL ? dirfd(d) : -1;
	while (d != NULL && nups < UPLOAD_FILES && (de = readdir(d)) != NULL) {
		if (sim_file_name_ok(de->d_name, NULL, 0) != 0 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_size > SIM_UPLOAD_MAX)
			continue;
		f = &ups[nups++];
		/* sim_file_name_ok: it fits */
		memcpy(f->name, de->d_name, strlen(de->d_name) + 1);
		f->len = (size_t)st.st_size;
		f->mtime = st.st_mtim.tv_sec;
		f->mtime_ns = st.st_mtim.tv_nsec;
		f->ino = st.st_ino;
		f->uploaded = 1;
		for (j = 0; j < nold; j++)
			if (old[j].uploaded && old[j].data != NULL &&
			    old[j].ino == f->ino && old[j].len == f->len &&
			    old[j].mtime == f->mtime &&
			    old[j].mtime_ns == f->mtime_ns &&
			    strcmp(old[j].name, f->name) == 0) {
				f->data = old[j].data;
				old[j].data = NULL;
				break;
			}
	}
	qsort(ups, nups, sizeof(*ups), by_name);
	if ((view = calloc(p->nbuiltin + nups, sizeof(*view))) == NULL)
		abort();
	for (i = 0; i < p->nbuiltin; i++) {
		hidden = 0;
		for (j = 0; j < nups && !hidden; j++)
			hidden = strcmp(ups[j].name, p->builtin[i].name) == 0;
		snprintf(gone, sizeof(gone), ".gone.%s", p->builtin[i].name);
		if (!hidden && dfd >= 0 && fstatat(dfd, gone, &st,
		    AT_SYMLINK_NOFOLLOW) == 0)
			hidden = 1;
		if (!hidden)
			view[k++] = p->builtin[i];
	}
	if (nups > 0)
		memcpy(view + k, ups, nups * sizeof(*ups));
	k += nups;
	if (d != NULL)
		closedir(d);
	free(ups);
	list_free(old, nold);
	p->files = view;
	p->nfiles = k;
}

/* Reads the bytes of uploaded file f (and the version it is); 0 or -1. */
static int
file_read(const struct sim_printer *p, struct sim_file *f)
{
	char		 path[800];
	struct stat	 st;
	unsigned char	*d;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd;

	if (snprintf(path, sizeof(path), "%s/%s", p->upload_dir, f->name) >=
	    (int)sizeof(path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > SIM_UPLOAD_MAX) {
		close(fd);
		return -1;
	}
	if ((d = malloc((size_t)st.st_size + 1)) == NULL)
		abort();
	while (off < (size_t)st.st_size) {
		r = read(fd, d + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	if (off != (size_t)st.st_size) {
		free(d);
		return -1;
	}
	f->data = d;
	f->len = off;
	f->mtime = st.st_mtim.tv_sec;
	f->mtime_ns = st.st_mtim.tv_nsec;
	f->ino = st.st_ino;
	return 0;
}

const struct sim_file *
sim_files(struct sim_printer *p, size_t *n)
{
	if (p->builtin == NULL)
		builtin_make(p);
	files_scan(p);
	*n = p->nfiles;
	return p->files;
}

const struct sim_file *
sim_file_find(struct sim_printer *p, const char *name)
{
	struct sim_file	*f;
	size_t		 n, i;

	while (*name == '/')
		name++;
	sim_files(p, &n);
	for (i = 0; i < n; i++) {
		f = &p->files[i];
		if (strcmp(f->name, name) != 0)
			continue;
		if (f->uploaded && f->data == NULL && file_read(p, f) != 0)
			return NULL;
		return f;
	}
	return NULL;
}

/* Makes the upload folder (and its parent, RUN_DIR/uploads); 0 or -1. */
static int
dir_make(const char *dir)
{
	char	parent[800];
	char	*slash;

	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	snprintf(parent, sizeof(parent), "%s", dir);
	if ((slash = strrchr(parent, '/')) == NULL || slash == parent)
		return -1;
	*slash = '\0';
	if (mkdir(parent, 0700) != 0 && errno != EEXIST)
		return -1;
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

enum sim_put
sim_file_put(struct sim_printer *p, const char *name, const void *data,
    size_t len, char *why, size_t whylen)
{
	static unsigned		 serial;
	const struct sim_file	*f;
	char			 tmp[800], path[800];
	size_t			 n, i, count = 0, total = 0, off;
	ssize_t			 w;
	int			 fd, bad = 0;

	if (sim_file_name_ok(name, why, whylen) != 0)
		return SIM_PUT_NAME;
	if (len > p->upload_max) {
		snprintf(why, whylen, "the file has %zu bytes; this printer "
		    "takes at most %zu", len, p->upload_max);
		return SIM_PUT_SIZE;
	}
	if (p->upload_dir[0] == '\0') {
		snprintf(why, whylen, "this printer takes no uploads");
		return SIM_PUT_IO;
	}
	f = sim_files(p, &n);
	for (i = 0; i < n; i++)
		if (f[i].uploaded && strcmp(f[i].name, name) != 0) {
			count++;
			total += f[i].len;
		}
	if (count >= UPLOAD_FILES || total + len > STORAGE_MAX) {
		snprintf(why, whylen, "the printer's storage is full (at most "
		    "%d uploaded files, %d MiB)", UPLOAD_FILES,
		    (int)(STORAGE_MAX >> 20));
		return SIM_PUT_FULL;
	}
	if (snprintf(path, sizeof(path), "%s/%s", p->upload_dir, name) >=
	    (int)sizeof(path) || snprintf(tmp, sizeof(tmp), "%s/.tmp.%ld.%u",
	    p->upload_dir, (long)getpid(), serial++) >= (int)sizeof(tmp)) {
		snprintf(why, whylen, "the upload folder's name is too long");
		return SIM_PUT_IO;
	}
	if (dir_make(p->upload_dir) != 0 || (fd = open(tmp, O_WRONLY |
	    O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		snprintf(why, whylen, "cannot write in %s: %s", p->upload_dir,
		    strerror(errno));
		return SIM_PUT_IO;
	}
	for (off = 0; off < len; off += (size_t)w) {
		w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0) {
			bad = errno != 0 ? errno : EIO;
			break;
		}
	}
	if (close(fd) != 0 && bad == 0)
		bad = errno;
	/* the rename makes the whole file appear at once, or not at all */
	if (bad == 0 && rename(tmp, path) != 0)
		bad = errno;
	if (bad != 0) {
		unlink(tmp);
		snprintf(why, whylen, "cannot write %s: %s", path,
		    strerror(bad));
		return SIM_PUT_IO;
	}
	snprintf(path, sizeof(path), "%s/.gone.%s", p->upload_dir, name);
	unlink(path);
	return SIM_PUT_OK;
}

int
sim_file_delete(struct sim_printer *p, const char *name)
{
	const struct sim_file	*f;
	char			 path[800];
	size_t			 n, i;
	int			 found = 0, fd;

	while (*name == '/')
		name++;
	f = sim_files(p, &n);
	for (i = 0; i < n; i++) {
		if (strcmp(f[i].name, name) != 0)
			continue;
		found = 1;
		if (f[i].uploaded && (snprintf(path, sizeof(path), "%s/%s",
		    p->upload_dir, name) >= (int)sizeof(path) ||
		    (unlink(path) != 0 && errno != ENOENT)))
			return -1;
	}
	if (!found)
		return -1;
	/* a built-in file of that name stays hidden in every process */
	for (i = 0; i < p->nbuiltin; i++) {
		if (strcmp(p->builtin[i].name, name) != 0)
			continue;
		if (p->upload_dir[0] == '\0' || dir_make(p->upload_dir) != 0 ||
		    snprintf(path, sizeof(path), "%s/.gone.%s", p->upload_dir,
		    name) >= (int)sizeof(path) || (fd = open(path, O_WRONLY |
		    O_CREAT | O_CLOEXEC, 0644)) < 0)
			return -1;
		close(fd);
	}
	return 0;
}

/* ---- FTPS sessions (in a child process, blocking) ---- */

struct ftps {
	struct sim_printer	*p;
	SSL_CTX			*ctx;
	SSL			*ssl;
	int			 fd;
	int			 pasv;		/* listening data socket */
	int			 logged_in;
	int			 user_ok;
	char			 cwd[SIM_NAME_MAX];	/* "": the root */
	char			 line[FTPS_LINE];
};

static void
reply(struct ftps *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply(struct ftps *f, const char *fmt, ...)
{
	char	msg[600];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(msg) - 3)
		n = (int)sizeof(msg) - 3;
	msg[n++] = '\r';
	msg[n++] = '\n';
	SSL_write(f->ssl, msg, n);
}

/* One command line (without CRLF); -1 at EOF or on an overlong line. */
static int
read_line(struct ftps *f)
{
	size_t	n = 0;
	char	c;

	for (;;) {
		if (SSL_read(f->ssl, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		if (n + 1 >= sizeof(f->line))
			return -1;
		f->line[n++] = c;
	}
	if (n > 0 && f->line[n - 1] == '\r')
		n--;
	f->line[n] = '\0';
	return 0;
}

static int
pasv_open(struct ftps *f, int *port)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);

	if (f->pasv >= 0)
		close(f->pasv);
	if ((f->pasv = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, f->p->host, &sa.sin_addr);
	if (bind(f->pasv, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(f->pasv, 1) != 0 || getsockname(f->pasv,
	    (struct sockaddr *)&sa, &len) != 0) {
		close(f->pasv);
		f->pasv = -1;
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return 0;
}

/*
 * Says 150, accepts the data connection of a transfer and starts TLS on
 * it: 0 with *dsp and *fdp, or -1 after answering 425.
 */
static int
data_open(struct ftps *f, SSL **dsp, int *fdp)
{
	struct pollfd	 pfd;
	struct timeval	 tv;
	SSL		*ds;
	int		 fd;

	if (f->pasv < 0) {
		reply(f, "425 Use PASV or EPSV first.");
		return -1;
	}
	reply(f, "150 Opening BINARY mode data connection.");
	pfd.fd = f->pasv;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, FTPS_DATA_S * 1000) != 1 ||
	    (fd = accept(f->pasv, NULL, NULL)) < 0) {
		close(f->pasv);
		f->pasv = -1;
		reply(f, "425 No data connection.");
		return -1;
	}
	close(f->pasv);
	f->pasv = -1;
	tv.tv_sec = FTPS_DATA_S;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ds = SSL_new(f->ctx)) == NULL) {
		close(fd);
		reply(f, "425 No data connection.");
		return -1;
	}
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* an upload may end with a plain close, without close_notify */
	SSL_set_options(ds, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	/*
	 * No TLS 1.3 session tickets here: an uploading client never reads
	 * them, and closing a socket with unread bytes resets it, which
	 * can drop the end of the upload on our side.
	 */
	SSL_set_num_tickets(ds, 0);
	SSL_set_fd(ds, fd);
	ERR_clear_error();
	if (SSL_accept(ds) != 1) {
		SSL_free(ds);
		close(fd);
		reply(f, "425 TLS on the data connection failed.");
		return -1;
	}
	*dsp = ds;
	*fdp = fd;
	return 0;
}

/* Sends len bytes over a new TLS data connection; 0 or -1. */
static int
data_send(struct ftps *f, const void *d, size_t len)
{
	SSL	*ds;
	int	 fd, rc = 0, n;
	size_t	 off;

	if (data_open(f, &ds, &fd) != 0)
		return -1;
	for (off = 0; off < len; off += (size_t)n) {
		n = SSL_write(ds, (const char *)d + off,
		    (int)(len - off > 65536 ? 65536 : len - off));
		if (n <= 0) {
			rc = -1;
			break;
		}
	}
	SSL_shutdown(ds);
	SSL_free(ds);
	close(fd);
	if (rc == 0)
		reply(f, "226 Transfer complete.");
	else
		reply(f, "426 Connection closed; transfer aborted.");
	return rc;
}

/*
 * arg as a name from the root: "/cache/x" and, in folder cache, "x" are
 * "cache/x"; NULL stays NULL.  Trailing slashes go.  A name too long for
 * out comes back as it was sent, for the caller to refuse.
 */
static const char *
ftps_path(const struct ftps *f, const char *arg, char *out, size_t outlen)
{
	size_t	n;

	if (arg == NULL)
		return NULL;
	if (*arg == '/' || f->cwd[0] == '\0')
		n = (size_t)snprintf(out, outlen, "%s", arg);
	else
		n = (size_t)snprintf(out, outlen, "%s/%s", f->cwd, arg);
	if (n >= outlen)	/* too long a name: as sent, it names no file */
		return arg;
	while (*out == '/')
		memmove(out, out + 1, strlen(out));
	n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	return out;
}

/* 1 when some file of the printer lies in folder dir. */
static int
folder_exists(struct sim_printer *p, const char *dir)
{
	const struct sim_file	*fl;
	size_t			 n, i, len = strlen(dir);

	fl = sim_files(p, &n);
	for (i = 0; i < n; i++)
		if (len > 0 && strncmp(fl[i].name, dir, len) == 0 &&
		    fl[i].name[len] == '/')
			return 1;
	return 0;
}

/* The folder of name ("cache" of "cache/x.3mf"), in dir; 0 at the root. */
static int
folder_of(const char *name, char *dir, size_t dirlen)
{
	const char	*slash = strchr(name, '/');

	if (slash == NULL || (size_t)(slash - name) >= dirlen)
		return 0;
	memcpy(dir, name, (size_t)(slash - name));
	dir[slash - name] = '\0';
	return 1;
}

/*
 * LIST and NLST of the root (files, then one "d" line per folder), of a
 * folder ("cache", "/cache/") or of one file.
 */
static void
do_list(struct ftps *f, const char *arg, int names_only)
{
	const struct sim_file	*fl;
	struct buf		 b;
	struct tm		 tm;
	char			 when[32], dir[SIM_NAME_MAX], seen[SIM_NAME_MAX],
				 want[SIM_NAME_MAX];
	const char		*shown_name;
	size_t			 n, i, shown = 0;
	int			 in_folder;

	/* options such as "-a" go; no name lists the current folder */
	if (arg != NULL && *arg == '-')
		arg = strchr(arg, ' ') != NULL ? strchr(arg, ' ') + 1 : NULL;
	if (arg == NULL || *arg == '\0' || strcmp(arg, ".") == 0)
		memcpy(want, f->cwd, sizeof(want));
	else
		ftps_path(f, arg, want, sizeof(want));
	fl = sim_files(f->p, &n);
	buf_init(&b, 1 << 20);
	seen[0] = '\0';
	for (i = 0; i < n; i++) {
		in_folder = folder_of(fl[i].name, dir, sizeof(dir));
		shown_name = fl[i].name;
		if (want[0] == '\0' && in_folder) {
			/* the root shows a folder once (files come by folder) */
			if (strcmp(dir, seen) == 0)
				continue;
			snprintf(seen, sizeof(seen), "%s", dir);
			shown++;
			if (names_only)
				buf_printf(&b, "%s\r\n", dir);
			else
				buf_printf(&b, "drwxrwxrwx   2 root     root     "
				    "      4096 Jan  1 00:00 %s\r\n", dir);
			continue;
		}
		if (want[0] != '\0' && strcmp(want, fl[i].name) != 0) {
			if (!in_folder || strcmp(want, dir) != 0)
				continue;
			shown_name = fl[i].name + strlen(dir) + 1;
		}
		shown++;
		if (names_only) {
			buf_printf(&b, "%s\r\n", shown_name);
			continue;
		}
		gmtime_r(&fl[i].mtime, &tm);
		strftime(when, sizeof(when), "%b %e %H:%M", &tm);
		buf_printf(&b, "-rw-rw-rw-   1 root     root     %10zu %s %s"
		    "\r\n", fl[i].len, when, shown_name);
	}
	if (want[0] != '\0' && shown == 0)
		reply(f, "550 No such file or directory.");
	else
		data_send(f, b.data, b.len);
	buf_free(&b);
}

/*
 * STOR: reads the file over a TLS data connection to its end (at most
 * upload_max bytes are kept; more is read and dropped, up to
 * SIM_UPLOAD_MAX, and refused with 552) and stores it.
 */
static void
do_stor(struct ftps *f, const char *arg)
{
	char		 name[SIM_NAME_MAX], why[256], chunk[65536];
	struct buf	 b;
	SSL		*ds;
	size_t		 dropped = 0;
	int		 fd, n, err, toobig = 0, ended = 0;

	if (arg == NULL || *arg == '\0') {
		reply(f, "501 STOR needs a file name.");
		return;
	}
	while (*arg == '/')
		arg++;
	if (strchr(arg, '/') != NULL) {
		reply(f, "553 Only the root folder takes files.");
		return;
	}
	if (sim_file_name_ok(arg, why, sizeof(why)) != 0) {
		reply(f, "553 %s.", why);
		return;
	}
	snprintf(name, sizeof(name), "%s", arg);
	if (data_open(f, &ds, &fd) != 0)
		return;
	buf_init(&b, f->p->upload_max);
	for (;;) {
		ERR_clear_error();
		n = SSL_read(ds, chunk, sizeof(chunk));
		if (n <= 0) {
			err = SSL_get_error(ds, n);
			ended = err == SSL_ERROR_ZERO_RETURN ||
			    (err == SSL_ERROR_SYSCALL && errno == 0);
			break;
		}
		if (!toobig && buf_add(&b, chunk, (size_t)n) != 0) {
			toobig = 1;
			buf_free(&b);
		}
		if (toobig && (dropped += (size_t)n) > SIM_UPLOAD_MAX)
			break;
	}
	/* answers the client's close_notify (some wait for it) */
	if (ended)
		SSL_shutdown(ds);
	SSL_free(ds);
	close(fd);
	if (toobig)
		reply(f, "552 The file is larger than the %zu bytes this "
		    "printer takes.", f->p->upload_max);
	else if (!ended)
		reply(f, "426 Connection closed; transfer aborted.");
	else {
		switch (sim_file_put(f->p, name, b.data, b.len, why,
		    sizeof(why))) {
		case SIM_PUT_OK:
			reply(f, "226 Transfer complete.");
			break;
		case SIM_PUT_NAME:
			reply(f, "553 %s.", why);
			break;
		case SIM_PUT_SIZE:
		case SIM_PUT_FULL:
			reply(f, "552 %s.", why);
			break;
		default:
			reply(f, "451 %s.", why);
			break;
		}
	}
	buf_free(&b);
}

static void
session(struct ftps *f)
{
	const struct sim_file	*fl;
	struct tm		 tm;
	char			*arg, cmd[8], when[32], path[SIM_NAME_MAX];
	const char		*name;
	size_t			 i;
	int			 port;

	reply(f, "220 Printyard simulated printer FTPS ready.");
	while (read_line(f) == 0) {
		arg = strchr(f->line, ' ');
		if (arg != NULL)
			*arg++ = '\0';
		for (i = 0; f->line[i] != '\0' && i < sizeof(cmd) - 1; i++)
			cmd[i] = (char)(f->line[i] >= 'a' && f->line[i] <= 'z' ?
			    f->line[i] - 32 : f->line[i]);
		cmd[i] = '\0';
		if (strcmp(cmd, "QUIT") == 0) {
			reply(f, "221 Goodbye.");
			break;
		} else if (strcmp(cmd, "USER") == 0) {
			f->logged_in = 0;
			f->user_ok = arg != NULL && strcmp(arg, "bblp") == 0;
			reply(f, "331 Password required.");
		} else if (strcmp(cmd, "PASS") == 0) {
			if (f->user_ok && arg != NULL &&
			    strcmp(arg, f->p->accepted) == 0) {
				f->logged_in = 1;
				reply(f, "230 Logged in.");
			} else {
				reply(f, "530 Login incorrect.");
				sleep(1);
			}
		} else if (strcmp(cmd, "PBSZ") == 0)
			reply(f, "200 PBSZ=0");
		else if (strcmp(cmd, "PROT") == 0) {
			if (arg != NULL && strcasecmp(arg, "P") == 0)
				reply(f, "200 Protection level set to P.");
			else
				reply(f, "536 Only PROT P is supported.");
		} else if (strcmp(cmd, "SYST") == 0)
			reply(f, "215 UNIX Type: L8");
		else if (strcmp(cmd, "FEAT") == 0) {
			reply(f, "211-Features:\r\n PBSZ\r\n PROT\r\n SIZE\r\n"
			    " MDTM\r\n EPSV\r\n PASV\r\n UTF8\r\n"
			    "211 End");
		} else if (strcmp(cmd, "OPTS") == 0 ||
		    strcmp(cmd, "NOOP") == 0)
			reply(f, "200 OK.");
		else if (!f->logged_in)
			reply(f, "530 Please login with USER and PASS.");
		else if (strcmp(cmd, "TYPE") == 0)
			reply(f, "200 Type set.");
		else if (strcmp(cmd, "PWD") == 0)
			reply(f, "257 \"/%s\" is the current directory.",
			    f->cwd);
		else if (strcmp(cmd, "CDUP") == 0 || (strcmp(cmd, "CWD") ==
		    0 && arg != NULL && strcmp(arg, "..") == 0)) {
			if (strrchr(f->cwd, '/') != NULL)
				*strrchr(f->cwd, '/') = '\0';
			else
				f->cwd[0] = '\0';
			reply(f, "250 Directory changed.");
		} else if (strcmp(cmd, "CWD") == 0) {
			name = arg;
			if (name == NULL || *name == '\0' || strcmp(name,
			    ".") == 0)
				reply(f, "250 Directory changed.");
			else if (*(name = ftps_path(f, name, path,
			    sizeof(path))) == '\0' || folder_exists(f->p,
			    name)) {
				snprintf(f->cwd, sizeof(f->cwd), "%s", name);
				reply(f, "250 Directory changed.");
			} else
				reply(f, "550 No such directory.");
		} else if (strcmp(cmd, "EPSV") == 0) {
			if (pasv_open(f, &port) != 0)
				reply(f, "425 Cannot open a data port.");
			else
				reply(f, "229 Entering Extended Passive Mode "
				    "(|||%d|)", port);
		} else if (strcmp(cmd, "PASV") == 0) {
			if (pasv_open(f, &port) != 0)
				reply(f, "425 Cannot open a data port.");
			else
				reply(f, "227 Entering Passive Mode "
				    "(127,0,0,1,%d,%d).", port >> 8,
				    port & 255);
		} else if (strcmp(cmd, "LIST") == 0)
			do_list(f, arg, 0);
		else if (strcmp(cmd, "NLST") == 0)
			do_list(f, arg, 1);
		else if (strcmp(cmd, "SIZE") == 0) {
			if ((name = ftps_path(f, arg, path, sizeof(path))) ==
			    NULL || (fl = sim_file_find(f->p, name)) ==
			    NULL)
				reply(f, "550 No such file.");
			else
				reply(f, "213 %zu", fl->len);
		} else if (strcmp(cmd, "MDTM") == 0) {
			if ((name = ftps_path(f, arg, path, sizeof(path))) ==
			    NULL || (fl = sim_file_find(f->p, name)) ==
			    NULL)
				reply(f, "550 No such file.");
			else {
				gmtime_r(&fl->mtime, &tm);
				strftime(when, sizeof(when), "%Y%m%d%H%M%S",
				    &tm);
				reply(f, "213 %s", when);
			}
		} else if (strcmp(cmd, "REST") == 0) {
			if (arg != NULL && strcmp(arg, "0") == 0)
				reply(f, "350 Restarting at 0.");
			else
				reply(f, "501 Only REST 0.");
		} else if (strcmp(cmd, "RETR") == 0) {
			if ((name = ftps_path(f, arg, path, sizeof(path))) ==
			    NULL || (fl = sim_file_find(f->p, name)) ==
			    NULL)
				reply(f, "550 No such file.");
			else
				data_send(f, fl->data, fl->len);
		} else if (strcmp(cmd, "STOR") == 0)
			do_stor(f, ftps_path(f, arg, path, sizeof(path)));
		else if (strcmp(cmd, "DELE") == 0) {
			if ((name = ftps_path(f, arg, path, sizeof(path))) ==
			    NULL || sim_file_delete(f->p, name) != 0)
				reply(f, "550 No such file.");
			else
				reply(f, "250 File deleted.");
		} else if (strcmp(cmd, "ALLO") == 0)
			reply(f, "202 No storage allocation necessary.");
		else
			reply(f, "502 Command not implemented.");
	}
}

static SSL_CTX *
ctx_new(const struct sim *s, const struct sim_printer *p)
{
	SSL_CTX	*ctx;
	char	 crt[700], key[700];

	snprintf(crt, sizeof(crt), "%s/%s.crt", s->tls_dir, p->serial);
	snprintf(key, sizeof(key), "%s/%s.key", s->tls_dir, p->serial);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"sim", 3);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	return ctx;
}

/* One session, in a process of its own. */
static void
serve_one(const struct sim *s, struct sim_printer *p, int fd)
{
	struct ftps	f;
	struct timeval	tv;

	memset(&f, 0, sizeof(f));
	f.p = p;
	f.fd = fd;
	f.pasv = -1;
	if ((f.ctx = ctx_new(s, p)) == NULL)
		return;
	tv.tv_sec = FTPS_IDLE_S;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((f.ssl = SSL_new(f.ctx)) == NULL) {
		SSL_CTX_free(f.ctx);
		return;
	}
	SSL_set_fd(f.ssl, fd);
	if (SSL_accept(f.ssl) == 1) {
		session(&f);
		SSL_shutdown(f.ssl);
	}
	SSL_free(f.ssl);
	SSL_CTX_free(f.ctx);
	if (f.pasv >= 0)
		close(f.pasv);
}

/*
 * The FTPS process: waits on every Bambu printer's listening socket
 * (pfd[k] belongs to who[k]) and forks a process per session.
 */
static void
listener(const struct sim *s, struct pollfd *pfd, struct sim_printer **who,
    size_t n)
{
	size_t	k, j;
	int	fd;

	signal(SIGCHLD, SIG_IGN);	/* sessions reap themselves */
	for (;;) {
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (k = 0; k < n; k++) {
			if (!(pfd[k].revents & POLLIN))
				continue;
			if ((fd = accept(pfd[k].fd, NULL, NULL)) < 0)
				continue;
			switch (fork()) {
			case 0:
				prctl(PR_SET_PDEATHSIG, SIGTERM);
				for (j = 0; j < n; j++)
					close(pfd[j].fd);
				serve_one(s, who[k], fd);
				close(fd);
				_exit(0);
			default:
				close(fd);
				break;
			}
		}
	}
}

static int
listen_on(struct sim_printer *p, char *why, size_t whylen)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);
	int			 fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)p->ftp_port);
	if (inet_pton(AF_INET, p->host, &sa.sin_addr) != 1 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0) {
		snprintf(why, whylen, "%s: FTPS needs an IPv4 address",
		    p->name);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 16) != 0 || getsockname(fd, (struct sockaddr *)&sa,
	    &len) != 0) {
		snprintf(why, whylen, "%s: FTPS cannot listen on %s:%d: %s",
		    p->name, p->host, p->ftp_port, strerror(errno));
		close(fd);
		return -1;
	}
	p->ftp_port = ntohs(sa.sin_port);
	return fd;
}

/*
 * Closes every descriptor the simulator had open but the listening ones:
 * an HTTP printer that goes offline must really stop listening, and
 * broker connections must not outlive the simulator's own.
 */
static void
keep_only(const struct pollfd *pfd, size_t n)
{
	long	max = sysconf(_SC_OPEN_MAX);
	size_t	k;
	int	fd;

	if (max < 0 || max > 1 << 20)
		max = 1 << 20;
	for (fd = 3; fd < max; fd++) {
		for (k = 0; k < n && pfd[k].fd != fd; k++)
			;
		if (k == n)
			close(fd);
	}
}

int
ftps_setup(struct sim *s, char *why, size_t whylen)
{
	struct sim_printer	*p, **who;
	struct pollfd		*pfd;
	SSL_CTX			*ctx;
	size_t			 i, n, k = 0;
	pid_t			 parent = getpid(), pid;
	int			 fd;

	pfd = calloc(s->n + 1, sizeof(*pfd));
	who = calloc(s->n + 1, sizeof(*who));
	if (pfd == NULL || who == NULL)
		abort();
	for (i = 0; i < s->n; i++) {
		p = &s->printers[i];
		sim_files(p, &n);
		if (p->kind != SIM_BAMBU)
			continue;
		if ((ctx = ctx_new(s, p)) == NULL) {
			snprintf(why, whylen, "%s: FTPS cannot load %s/%s.crt "
			    "and .key", p->name, s->tls_dir, p->serial);
			goto fail;
		}
		SSL_CTX_free(ctx);
		if ((fd = listen_on(p, why, whylen)) < 0)
			goto fail;
		pfd[k].fd = fd;
		pfd[k].events = POLLIN;
		who[k++] = p;
	}
	if (k == 0) {
		free(pfd);
		free(who);
		return 0;
	}
	switch ((pid = fork())) {
	case -1:
		snprintf(why, whylen, "fork: %s", strerror(errno));
		goto fail;
	case 0:
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		keep_only(pfd, k);
		listener(s, pfd, who, k);
		_exit(0);
	default:
		break;
	}
	s->ftps_pid = pid;
	for (i = 0; i < k; i++)
		close(pfd[i].fd);
	free(pfd);
	free(who);
	return 0;
fail:
	for (i = 0; i < k; i++)
		close(pfd[i].fd);
	free(pfd);
	free(who);
	return -1;
}

void
ftps_cleanup(struct sim *s)
{
	struct sim_printer	*p;
	size_t			 i, j;

	if (s->ftps_pid > 0) {
		kill(s->ftps_pid, SIGTERM);
		waitpid(s->ftps_pid, NULL, 0);
		s->ftps_pid = 0;
	}
	for (i = 0; i < s->n; i++) {
		p = &s->printers[i];
		list_free(p->files, p->nfiles);
		p->files = NULL;
		p->nfiles = 0;
		for (j = 0; p->builtin != NULL && j < p->nbuiltin; j++)
			free(p->builtin[j].data);
		free(p->builtin);
		p->builtin = NULL;
	}
}
