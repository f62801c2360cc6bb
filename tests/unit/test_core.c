/*
 * test_core.c -- arena, bounded buffers, error table, configuration,
 * crypto helper (sealing, encodings, password hashing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "unit.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/err.h"

static int	cleanup_runs;

static void
count_cleanup(void *p)
{
	cleanup_runs += *(int *)p;
}

START_TEST(test_arena_gives_aligned_memory_and_runs_cleanups_on_reset)
{
	struct arena	*a;
	char		*p, *q, *big;
	int		 one = 1;

	a = arena_new(1024);
	p = arena_alloc(a, 3);
	q = arena_alloc(a, 8);
	ck_assert_uint_eq((uintptr_t)q % 16, 0);
	ck_assert_ptr_ne(p, q);
	big = arena_alloc(a, 100000);
	memset(big, 1, 100000);
	ck_assert_str_eq(arena_printf(a, "%d-%s", 42, "x"), "42-x");
	ck_assert_str_eq(arena_strndup(a, "abcdef", 3), "abc");
	cleanup_runs = 0;
	arena_defer(a, count_cleanup, &one);
	arena_defer(a, count_cleanup, &one);
	ck_assert_uint_gt(arena_used(a), 100000);
	arena_reset(a);
	ck_assert_int_eq(cleanup_runs, 2);
	ck_assert_uint_eq(arena_used(a), 0);
	arena_reset(a);
	ck_assert_int_eq(cleanup_runs, 2);
	arena_free(a);
}
END_TEST

START_TEST(test_buffer_refuses_to_grow_past_its_ceiling)
{
	struct buf	b;

	buf_init(&b, 10);
	ck_assert_int_eq(buf_addstr(&b, "hello"), 0);
	ck_assert_int_eq(buf_printf(&b, "%d", 1234), 0);
	ck_assert_str_eq(b.data, "hello1234");
	ck_assert_int_eq(buf_addstr(&b, "xy"), ERR_TOO_LARGE);
	ck_assert_str_eq(b.data, "hello1234");
	ck_assert_int_eq(buf_addc(&b, '!'), 0);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_int_eq(buf_addc(&b, '!'), ERR_TOO_LARGE);
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_error_codes_map_to_http_statuses)
{
	struct err	e = { 0 };

	ck_assert_int_eq(err_http_status(ERR_NOT_FOUND), 404);
	ck_assert_int_eq(err_http_status(ERR_INVALID), 422);
	ck_assert_int_eq(err_http_status(ERR_TOO_LARGE), 413);
	ck_assert_int_eq(err_http_status(ERR_UNAVAILABLE), 503);
	ck_assert_str_eq(err_name(ERR_METHOD), "method_not_allowed");
	ck_assert_int_eq(err_http_status((enum err_code)999), 500);
	err_field(&e, "name", "is %s", "required");
	ck_assert_int_eq(e.code, ERR_INVALID);
	ck_assert_str_eq(json_string_value(json_object_get(e.fields, "name")),
	    "is required");
	err_clear(&e);
	ck_assert_ptr_null(e.fields);
	ck_assert_int_eq(err_set(&e, ERR_CONFLICT, "x %d", 1), ERR_CONFLICT);
	ck_assert_str_eq(e.message, "x 1");
}
END_TEST

static char *
write_tmp(const char *text)
{
	static char	path[] = "/tmp/py-test-conf-XXXXXX";
	int		fd;

	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_config_reads_file_then_environment_and_masks_secrets)
{
	struct arena	*a;
	struct config	 c;
	struct err	 e = { 0 };
	struct buf	 out;
	char		*path;

	a = arena_new(4096);
	path = write_tmp("# comment\nworkers = 3\n"
	    "database_url = host=/tmp dbname=x password=hunter2\n");
	setenv("PRINTYARD_WORKERS", "5", 1);
	ck_assert_int_eq(config_load(&c, a, path, 1, &e), 0);
	ck_assert_int_eq(c.workers, 5);
	unsetenv("PRINTYARD_WORKERS");
	ck_assert_int_eq(config_load(&c, a, path, 1, &e), 0);
	ck_assert_int_eq(c.workers, 3);
	buf_init(&out, 65536);
	config_dump(&c, &out);
	ck_assert_ptr_null(strstr(out.data, "hunter2"));
	ck_assert_ptr_nonnull(strstr(out.data, "password=********"));
	buf_free(&out);
	unlink(path);

	path = write_tmp("wokers = 3\n");
	ck_assert_int_eq(config_load(&c, a, path, 1, &e), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "unknown key \"wokers\""));
	ck_assert_ptr_nonnull(strstr(e.message, ":1"));
	unlink(path);

	path = write_tmp("body_max = lots\n");
	ck_assert_int_eq(config_load(&c, a, path, 1, &e), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "body_max"));
	unlink(path);
	ck_assert_int_eq(config_load(&c, a, "/nonexistent/py.conf", 1, &e),
	    ERR_INVALID);
	ck_assert_int_eq(config_load(&c, a, "/nonexistent/py.conf", 0, &e), 0);
	arena_free(a);
}
END_TEST

START_TEST(test_base64url_round_trips_and_rejects_garbage)
{
	struct arena	*a;
	unsigned char	 raw[40], *back;
	size_t		 n, len;
	char		*enc;

	a = arena_new(4096);
	for (n = 0; n < sizeof(raw); n++) {
		crypto_random(raw, n);
		enc = b64url_encode(a, raw, n);
		ck_assert_ptr_null(strpbrk(enc, "+/="));
		back = b64url_decode(a, enc, strlen(enc), &len);
		ck_assert_ptr_nonnull(back);
		ck_assert_uint_eq(len, n);
		ck_assert_int_eq(memcmp(raw, back, n), 0);
	}
	ck_assert_ptr_null(b64url_decode(a, "ab$d", 4, &len));
	ck_assert_ptr_null(b64url_decode(a, "abcde", 5, &len));
	arena_free(a);
}
END_TEST

static const char *
secret_path(void)
{
	static char	path[64];

	snprintf(path, sizeof(path), "/tmp/py-test-secret-%d", (int)getpid());
	return path;
}

START_TEST(test_secret_file_is_created_private_and_reused)
{
	struct secret	 s1, s2;
	struct err	 e = { 0 };
	struct stat	 st;
	const char	*path;

	path = secret_path();
	unlink(path);
	ck_assert_int_eq(secret_load(path, &s1, &e), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, SECRET_LEN);
	ck_assert_int_eq(secret_load(path, &s2, &e), 0);
	ck_assert_int_eq(memcmp(&s1, &s2, sizeof(s1)), 0);
	chmod(path, 0644);
	ck_assert_int_eq(secret_load(path, &s2, &e), ERR_INTERNAL);
	unlink(path);
}
END_TEST

START_TEST(test_sealed_secrets_open_only_with_same_key_and_context)
{
	struct arena	*a;
	struct secret	 s, other;
	struct err	 e = { 0 };
	char		*sealed, *plain, *bad;
	size_t		 len;

	a = arena_new(4096);
	crypto_random(&s, sizeof(s));
	crypto_random(&other, sizeof(other));
	sealed = secret_seal(a, &s, "printer:1:code", "12345678", 8);
	ck_assert_ptr_null(strstr(sealed, "12345678"));
	plain = secret_open(a, &s, "printer:1:code", sealed, &len, &e);
	ck_assert_ptr_nonnull(plain);
	ck_assert_str_eq(plain, "12345678");
	ck_assert_uint_eq(len, 8);
	/* Same plaintext seals differently each time (random nonce). */
	ck_assert_str_ne(sealed, secret_seal(a, &s, "printer:1:code",
	    "12345678", 8));
	ck_assert_ptr_null(secret_open(a, &s, "printer:2:code", sealed, &len,
	    &e));
	ck_assert_ptr_null(secret_open(a, &other, "printer:1:code", sealed,
	    &len, &e));
	bad = arena_strdup(a, sealed);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	ck_assert_ptr_null(secret_open(a, &s, "printer:1:code", bad, &len,
	    &e));
	ck_assert_ptr_null(secret_open(a, &s, "printer:1:code", "v1.", &len,
	    &e));
	ck_assert_ptr_null(secret_open(a, &s, "printer:1:code", "plain", &len,
	    &e));
	arena_free(a);
}
END_TEST

START_TEST(test_passwords_hash_with_argon2id_and_verify)
{
	struct arena	*a;
	char		*h;

	a = arena_new(4096);
	h = password_hash(a, "correct horse");
	ck_assert_int_eq(strncmp(h, "$argon2id$", 10), 0);
	ck_assert_int_eq(password_verify(h, "correct horse"), 0);
	ck_assert_int_ne(password_verify(h, "correct horsf"), 0);
	ck_assert_int_ne(password_verify("$2y$10$notargon", "x"), 0);
	ck_assert_str_ne(h, password_hash(a, "correct horse"));
	arena_free(a);
}
END_TEST

START_TEST(test_sha256_and_hmac_match_known_vectors)
{
	char		hex[65];
	unsigned char	mac[32];

	sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 2. */
	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	ck_assert_int_eq(mac[0], 0x5b);
	ck_assert_int_eq(mac[31], 0x43);
	ck_assert_int_eq(crypto_memcmp("abc", "abc", 3), 0);
	ck_assert_int_ne(crypto_memcmp("abc", "abd", 3), 0);
}
END_TEST

int
main(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("core");
	tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc,
	    test_arena_gives_aligned_memory_and_runs_cleanups_on_reset);
	tcase_add_test(tc, test_buffer_refuses_to_grow_past_its_ceiling);
	tcase_add_test(tc, test_error_codes_map_to_http_statuses);
	tcase_add_test(tc,
	    test_config_reads_file_then_environment_and_masks_secrets);
	tcase_add_test(tc, test_base64url_round_trips_and_rejects_garbage);
	tcase_add_test(tc, test_secret_file_is_created_private_and_reused);
	tcase_add_test(tc,
	    test_sealed_secrets_open_only_with_same_key_and_context);
	tcase_add_test(tc, test_passwords_hash_with_argon2id_and_verify);
	tcase_add_test(tc, test_sha256_and_hmac_match_known_vectors);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
