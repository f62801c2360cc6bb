/*
 * crypto.c -- random numbers, hashing, sealing, password hashing.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "core/err.h"

#define GCM_NONCE	12
#define GCM_TAG		16
#define SEAL_PREFIX	"v1."

/* argon2id cost: 19 MiB, 2 passes, 1 lane (OWASP's second profile). */
#define ARGON_T		2
#define ARGON_M		19456
#define ARGON_P		1
#define ARGON_SALT	16
#define ARGON_HASH	32

void
crypto_random(void *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1) {
		fputs("printyard: no random numbers\n", stderr);
		abort();
	}
}

static int
read_full(int fd, unsigned char *p, size_t n)
{
	ssize_t	r;
	size_t	got;

	for (got = 0; got < n; got += (size_t)r) {
		r = read(fd, p + got, n - got);
		if (r <= 0)
			return -1;
	}
	return 0;
}

int
secret_load(const char *path, struct secret *s, struct err *e)
{
	unsigned char	raw[SECRET_LEN];
	struct stat	st;
	int		fd;
	ssize_t		w;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		crypto_random(raw, sizeof(raw));
		w = write(fd, raw, sizeof(raw));
		if (w != (ssize_t)sizeof(raw) || fsync(fd) != 0) {
			close(fd);
			unlink(path);
			return err_set(e, ERR_INTERNAL,
			    "cannot write secret file %s: %s", path,
			    strerror(errno));
		}
		close(fd);
	} else if (errno != EEXIST)
		return err_set(e, ERR_INTERNAL,
		    "cannot create secret file %s: %s", path, strerror(errno));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, ERR_INTERNAL, "cannot read secret file %s: %s",
		    path, strerror(errno));
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		close(fd);
		return err_set(e, ERR_INTERNAL,
		    "secret file %s must not be readable by group or others "
		    "(chmod 600)", path);
	}
	/* A writer that just created the file may still be writing it. */
	if (st.st_size != SECRET_LEN) {
		usleep(100000);
		fstat(fd, &st);
	}
	if (st.st_size != SECRET_LEN || read_full(fd, raw, SECRET_LEN) != 0) {
		close(fd);
		return err_set(e, ERR_INTERNAL,
		    "secret file %s must hold exactly %d bytes", path,
		    SECRET_LEN);
	}
	close(fd);
	memcpy(s->sign_key, raw, 32);
	memcpy(s->seal_key, raw + 32, 32);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

char *
b64url_encode(struct arena *a, const void *p, size_t n)
{
	static const char	 tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char	*s = p;
	char			*out, *o;
	size_t			 i;
	unsigned		 v;

	out = o = arena_alloc(a, (n + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
		*o++ = tab[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned)s[i] << 16;
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
		*o++ = tab[v >> 18 & 63];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

unsigned char *
b64url_decode(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	unsigned char	*out;
	size_t		 i, o;
	unsigned	 acc;
	int		 bits, v;

	if (n % 4 == 1)
		return NULL;
	out = arena_alloc(a, n * 3 / 4 + 1);
	acc = 0;
	bits = 0;
	o = 0;
	for (i = 0; i < n; i++) {
		if ((v = b64_val((unsigned char)s[i])) < 0)
			return NULL;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, so each value has one spelling. */
	if (acc != 0)
		return NULL;
	*outlen = o;
	return out;
}

char *
crypto_token(struct arena *a, size_t n)
{
	unsigned char	raw[64];

	if (n > sizeof(raw))
		n = sizeof(raw);
	crypto_random(raw, n);
	return b64url_encode(a, raw, n);
}

char *
pkce_verifier(struct arena *a)
{
	return crypto_token(a, PKCE_VERIFIER_BYTES);
}

char *
pkce_challenge(struct arena *a, const char *verifier)
{
	unsigned char	md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)verifier, strlen(verifier), md);
	return b64url_encode(a, md, sizeof(md));
}

void
sha256_hex(const void *p, size_t n, char out[65])
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		md[SHA256_DIGEST_LENGTH];
	int			i;

	SHA256(p, n, md);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[i * 2] = hex[md[i] >> 4];
		out[i * 2 + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void
hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
    unsigned char out[32])
{
	unsigned int	len = 32;

	HMAC(EVP_sha256(), key, (int)keylen, p, n, out, &len);
}

int
crypto_memcmp(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n);
}

char *
secret_seal(struct arena *a, const struct secret *s, const char *ctx,
    const char *plain, size_t len)
{
	EVP_CIPHER_CTX	*c;
	unsigned char	*raw;
	int		 n, fin;

	raw = arena_alloc(a, GCM_NONCE + len + GCM_TAG);
	crypto_random(raw, GCM_NONCE);
	c = EVP_CIPHER_CTX_new();
	if (c == NULL ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, s->seal_key,
	    raw) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)ctx,
	    (int)strlen(ctx)) != 1 ||
	    EVP_EncryptUpdate(c, raw + GCM_NONCE, &n,
	    (const unsigned char *)plain, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(c, raw + GCM_NONCE + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG,
	    raw + GCM_NONCE + len) != 1) {
		fputs("printyard: AES-GCM failed\n", stderr);
		abort();
	}
	EVP_CIPHER_CTX_free(c);
	return arena_printf(a, SEAL_PREFIX "%s",
	    b64url_encode(a, raw, GCM_NONCE + len + GCM_TAG));
}

char *
secret_open(struct arena *a, const struct secret *s, const char *ctx,
    const char *sealed, size_t *lenp, struct err *e)
{
	EVP_CIPHER_CTX	*c;
	unsigned char	*raw, *plain;
	size_t		 rawlen, len;
	int		 n, ok;

	if (strncmp(sealed, SEAL_PREFIX, strlen(SEAL_PREFIX)) != 0 ||
	    (raw = b64url_decode(a, sealed + strlen(SEAL_PREFIX),
	    strlen(sealed) - strlen(SEAL_PREFIX), &rawlen)) == NULL ||
	    rawlen < GCM_NONCE + GCM_TAG) {
		err_set(e, ERR_INVALID, "sealed value is malformed");
		return NULL;
	}
	len = rawlen - GCM_NONCE - GCM_TAG;
	plain = arena_alloc(a, len + 1);
	c = EVP_CIPHER_CTX_new();
	if (c == NULL) {
		fputs("printyard: out of memory\n", stderr);
		abort();
	}
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, s->seal_key,
	    raw) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)ctx,
	    (int)strlen(ctx)) == 1 &&
	    EVP_DecryptUpdate(c, plain, &n, raw + GCM_NONCE, (int)len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG,
	    raw + GCM_NONCE + len) == 1 &&
	    EVP_DecryptFinal_ex(c, plain + n, &n) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		err_set(e, ERR_INVALID,
		    "sealed value does not open with this key and context");
		return NULL;
	}
	plain[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (char *)plain;
}

char *
password_hash(struct arena *a, const char *pw)
{
	unsigned char	salt[ARGON_SALT];
	size_t		len;
	char		*out;

	crypto_random(salt, sizeof(salt));
	len = argon2_encodedlen(ARGON_T, ARGON_M, ARGON_P, ARGON_SALT,
	    ARGON_HASH, Argon2_id);
	out = arena_alloc(a, len);
	if (argon2id_hash_encoded(ARGON_T, ARGON_M, ARGON_P, pw, strlen(pw),
	    salt, sizeof(salt), ARGON_HASH, out, len) != ARGON2_OK) {
		fputs("printyard: argon2 failed\n", stderr);
		abort();
	}
	return out;
}

int
password_verify(const char *phc, const char *pw)
{
	if (strncmp(phc, "$argon2id$", 10) != 0)
		return -1;
	return argon2id_verify(phc, pw, strlen(pw)) == ARGON2_OK ? 0 : -1;
}
