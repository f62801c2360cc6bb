/*
 * crypto.h -- the only code that calls OpenSSL and libargon2.
 *
 * One secret file holds 64 random bytes: the first 32 sign login tokens
 * (HMAC-SHA256), the last 32 seal stored secrets (AES-256-GCM).  Sealed
 * values are text: "v1." + base64url(nonce || ciphertext || tag), bound to
 * a context string (e.g. "printer:7:access_code") so a sealed value cannot
 * be moved to another field.
 */
#ifndef PY_CRYPTO_H
#define PY_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct err;

#define SECRET_LEN	64

struct secret {
	unsigned char	sign_key[32];
	unsigned char	seal_key[32];
};

/*
 * Reads the secret file, creating it (mode 0600, O_EXCL so two processes
 * starting at once agree) when it does not exist.  Returns 0 or
 * ERR_INTERNAL with the reason; a file of the wrong size or mode wider
 * than 0600 is refused.
 */
int	 secret_load(const char *path, struct secret *, struct err *);

/* Fills p with n cryptographically random bytes (aborts if it cannot). */
void	 crypto_random(void *p, size_t n);
/* Random token of n bytes as base64url text in the arena. */
char	*crypto_token(struct arena *, size_t n);

/* base64url without padding; the result lives in the arena. */
char	*b64url_encode(struct arena *, const void *, size_t);
/* Decodes into the arena; returns NULL on bad input. *outlen gets the size. */
unsigned char *b64url_decode(struct arena *, const char *, size_t,
	    size_t *outlen);

/*
 * OAuth PKCE (RFC 7636, method S256).  pkce_verifier: a new code verifier,
 * 64 characters of base64url (48 random bytes), in the arena.
 * pkce_challenge: base64url(SHA-256(verifier)) without padding (43
 * characters), in the arena.
 */
#define PKCE_VERIFIER_BYTES	48
char	*pkce_verifier(struct arena *);
char	*pkce_challenge(struct arena *, const char *verifier);

/* Lowercase hex of SHA-256 (65 bytes with the NUL). */
void	 sha256_hex(const void *, size_t, char out[65]);
void	 hmac_sha256(const void *key, size_t keylen, const void *,
	    size_t, unsigned char out[32]);
/* Constant-time comparison; 0 when equal. */
int	 crypto_memcmp(const void *, const void *, size_t);

/* Seals plaintext; the text result lives in the arena. */
char	*secret_seal(struct arena *, const struct secret *, const char *ctx,
	    const char *plain, size_t len);
/*
 * Opens a sealed value; returns the NUL-terminated plaintext in the arena
 * or NULL (with ERR_INVALID) when it was tampered with, sealed for another
 * context or with another key.
 */
char	*secret_open(struct arena *, const struct secret *, const char *ctx,
	    const char *sealed, size_t *len, struct err *);

/* argon2id hash in the PHC string format, in the arena. */
char	*password_hash(struct arena *, const char *password);
/* 0 when password matches the PHC string. */
int	 password_verify(const char *phc, const char *password);

#endif
