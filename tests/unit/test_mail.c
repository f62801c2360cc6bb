/*
 * test_mail.c -- integrations/mail.c composition: the headers a mail
 * needs with CRLF line ends, encoded-words for text that is not ASCII,
 * quoted-printable bodies that decode back to what was given, no line
 * past 998 octets whatever the input, values that would forge headers
 * refused, the HTML part only when given, Message-IDs checked; and
 * mail_send() calling a refused connection temporary.  What a mail
 * server answers is tested through the jobs worker (tests/api/test_mail.py).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "unit.h"
#include "core/buf.h"
#include "core/err.h"
#include "integrations/mail.h"

/* 2026-03-02 09:30:00 UTC, a Monday */
#define MONDAY	((time_t)1772443800)

static struct mail
sample(void)
{
	struct mail	m;

	memset(&m, 0, sizeof(m));
	m.from = "shop@printyard.example";
	m.from_name = "Printyard Shop";
	m.to = "kunde@example.com";
	m.to_name = "Kunde";
	m.subject = "Your quote";
	m.text = "Hello,\nhere is your quote.\n";
	m.message_id = "<0b5e.42@printyard.example>";
	m.date = MONDAY;
	return m;
}

/* Composes m; the message stays in b (free it). */
static int
compose(const struct mail *m, struct buf *b, struct err *e)
{
	memset(e, 0, sizeof(*e));
	buf_init(b, MAIL_MESSAGE_MAX);
	return mail_compose(m, b, e);
}

/* m is refused as invalid, naming what (NULL: anything). */
static void
assert_refused(const struct mail *m, const char *what)
{
	struct buf	b;
	struct err	e;

	ck_assert_int_eq(compose(m, &b, &e), ERR_INVALID);
	if (what != NULL)
		ck_assert_msg(strstr(e.message, what) != NULL,
		    "\"%s\" does not name %s", e.message, what);
	buf_free(&b);
}

/* The header block: everything before the first empty line. */
static char *
headers_of(const struct buf *b)
{
	const char	*end;

	end = strstr(b->data, "\r\n\r\n");
	ck_assert_ptr_nonnull(end);
	return strndup(b->data, (size_t)(end - b->data) + 2);
}

static void
assert_lines(const struct buf *b, size_t max)
{
	size_t	i, col;

	col = 0;
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\n') {
			ck_assert_msg(i > 0 && b->data[i - 1] == '\r',
			    "bare LF at %zu", i);
			col = 0;
			continue;
		}
		ck_assert_msg(b->data[i] != '\r' || b->data[i + 1] == '\n',
		    "bare CR at %zu", i);
		if (b->data[i] != '\r')
			col++;
		ck_assert_msg(col <= max, "line longer than %zu at %zu", max,
		    i);
	}
	ck_assert(b->len >= 2 && b->data[b->len - 2] == '\r' &&
	    b->data[b->len - 1] == '\n');
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
}

/* Decodes quoted-printable from p up to end (RFC 2045 6.7). */
static char *
qp_decode(const char *p, const char *end)
{
	char	*out, *o;

	out = o = calloc(1, (size_t)(end - p) + 1);
	while (p < end) {
		if (p[0] == '=' && p + 2 < end + 1 && p[1] == '\r' &&
		    p[2] == '\n') {
			p += 3;
		} else if (p[0] == '=') {
			*o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 3;
		} else
			*o++ = *p++;
	}
	return out;
}

/* The decoded body of a single-part message. */
static char *
body_of(const struct buf *b)
{
	const char	*start;

	start = strstr(b->data, "\r\n\r\n") + 4;
	/* the composer ends the message with one CRLF of its own */
	return qp_decode(start, b->data + b->len - 2);
}

START_TEST(a_mail_has_every_header_and_crlf_lines)
{
	struct mail	 m = sample();
	struct buf	 b;
	struct err	 e;
	char		*h;

	ck_assert_int_eq(compose(&m, &b, &e), 0);
	assert_lines(&b, MAIL_LINE_MAX);
	h = headers_of(&b);
	ck_assert_ptr_nonnull(strstr(h,
	    "From: \"Printyard Shop\" <shop@printyard.example>\r\n"));
	ck_assert_ptr_nonnull(strstr(h, "To: \"Kunde\" <kunde@example.com>\r\n"));
	ck_assert_ptr_nonnull(strstr(h, "Subject: Your quote\r\n"));
	ck_assert_ptr_nonnull(strstr(h,
	    "Date: Mon, 02 Mar 2026 09:30:00 +0000\r\n"));
	ck_assert_ptr_nonnull(strstr(h,
	    "Message-ID: <0b5e.42@printyard.example>\r\n"));
	ck_assert_ptr_nonnull(strstr(h, "MIME-Version: 1.0\r\n"));
	ck_assert_ptr_nonnull(strstr(h,
	    "Content-Type: text/plain; charset=UTF-8\r\n"));
	ck_assert_ptr_nonnull(strstr(h,
	    "Content-Transfer-Encoding: quoted-printable\r\n"));
	free(h);
	buf_free(&b);
}
END_TEST

START_TEST(a_german_subject_and_name_become_encoded_words)
{
	struct mail	 m = sample();
	struct buf	 b;
	struct err	 e;
	char		*h;

	m.subject = "Ihr Angebot Q-2026-00001 für Müller";
	m.to_name = "Jürgen Müller";
	ck_assert_int_eq(compose(&m, &b, &e), 0);
	h = headers_of(&b);
	ck_assert_ptr_nonnull(strstr(h, "Subject: =?UTF-8?Q?Ihr_Angebot_"
	    "Q-2026-00001_f=C3=BCr_M=C3=BCller?=\r\n"));
	ck_assert_ptr_nonnull(strstr(h, "To: =?UTF-8?Q?J=C3=BCrgen_"
	    "M=C3=BCller?= <kunde@example.com>\r\n"));
	free(h);
	buf_free(&b);
}
END_TEST

START_TEST(a_long_subject_is_folded_into_words_that_keep_characters_whole)
{
	struct mail	 m = sample();
	struct buf	 b;
	struct err	 e;
	char		 subject[601], *h, *p;
	size_t		 i;

	/* 200 times "ü€" with spaces: many words, folds in odd places */
	for (i = 0, p = subject; i < 100; i++) {
		memcpy(p, "\xc3\xbc\xe2\x82\xac ", 6);
		p += 6;
	}
	*p = '\0';
	m.subject = subject;
	ck_assert_int_eq(compose(&m, &b, &e), 0);
	assert_lines(&b, 76);
	h = headers_of(&b);
	/* each word ends after whole characters: never "=C3?=" or "=E2?=" */
	ck_assert_ptr_null(strstr(h, "=C3?="));
	ck_assert_ptr_null(strstr(h, "=E2?="));
	ck_assert_ptr_null(strstr(h, "=82?="));
	ck_assert_ptr_nonnull(strstr(h, "?=\r\n =?UTF-8?Q?"));
	free(h);
	buf_free(&b);
}
END_TEST

START_TEST(a_long_ascii_subject_is_folded_before_spaces)
{
	struct mail	 m = sample();
	struct buf	 b;
	struct err	 e;
	char		 subject[401];
	size_t		 i;

	for (i = 0; i < 400; i++)
		subject[i] = i % 8 == 7 ? ' ' : 'x';
	subject[399] = 'y';
	subject[400] = '\0';
	m.subject = subject;
	ck_assert_int_eq(compose(&m, &b, &e), 0);
	assert_lines(&b, 78);
	ck_assert_ptr_nonnull(strstr(b.data, "Subject: xxxxxxx xxxxxxx"));
	ck_assert_ptr_nonnull(strstr(b.data, "\r\n xxxxxxx"));
	buf_free(&b);
}
END_TEST

START_TEST(bodies_are_quoted_printable_with_soft_breaks)
{
	struct mail	 m = sample();
	struct buf	 b;
	struct err	 e;
	static const char tail[] = " 1+1=2 Grüße \n.dot\nend";
	char		 text[400], *body;

	memset(text, 'a', 200);
	memcpy(text + 200, tail, sizeof(tail));
	m.text = text;
	ck_assert_int_eq(compose(&m, &b, &e), 0);
	assert_lines(&b, MAIL_QP_LINE);
	ck_assert_ptr_nonnull(strstr(b.data, "=\r\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "1+1=3D2"));
	ck_assert_ptr_nonnull(strstr(b.data, "Gr=C3=BC=C3=9Fe"));
	/* the space before the line end, moved past a soft break here */
	ck_assert_ptr_nonnull(strstr(b.data, "=20\r\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "\r\n=2Edot\r\n"));
	body = body_of(&b);
	ck_assert_str_eq(body + 200, " 1+1=2 Grüße \r\n.dot\r\nend");
	ck_assert_int_eq(strspn(body, "a"), 200);
	free(body);
	buf_free(&b);
}
END_TEST

START_TEST(no_line_passes_998_octets_whatever_the_input)
{
	struct mail	 m = sample();
	struct buf	 b;
	struct err	 e;
	char		*text, subject[901];
	size_t		 i;

	text = malloc(5001);
	for (i = 0; i < 5000; i++)
		text[i] = (char)('!' + i % 90);
	text[5000] = '\0';
	memset(subject, 'S', 900);
	subject[900] = '\0';
	m.text = text;
	m.html = text;
	m.subject = subject;
	ck_assert_int_eq(compose(&m, &b, &e), 0);
	assert_lines(&b, MAIL_LINE_MAX);
	free(text);
	buf_free(&b);
}
END_TEST

START_TEST(line_breaks_and_controls_in_headers_are_refused)
{
	static const char *const bad[] = { "Hi\r\nBcc: evil@example.com",
	    "Hi\nBcc: evil@example.com", "Hi\rthere", "tab\there",
	    "bad \xc3 utf-8", "nul-free but \x7f" };
	struct mail	 m;
	struct buf	 b;
	struct err	 e;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = sample();
		m.subject = bad[i];
		assert_refused(&m, "subject");
		m = sample();
		m.to_name = bad[i];
		assert_refused(&m, "to_name");
		m = sample();
		m.from_name = bad[i];
		assert_refused(&m, "from_name");
	}
	m = sample();
	m.subject = "Hi\r\nBcc: evil@example.com";
	ck_assert_int_eq(compose(&m, &b, &e), ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(e.message, "one line"));
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(malformed_addresses_are_refused)
{
	static const char *const bad[] = { "kunde@example.com\r\nRCPT TO:<x@y.z>",
	    "kunde@example.com>", "<kunde@example.com>", "Kunde <k@example.com>",
	    "kunde", "kunde@", "@example.com", "a@b@example.com",
	    "kunde@localhost", "k..x@example.com", "k x@example.com",
	    "k\xc3\xbc@example.com", "kunde@exa_mple.com", "" };
	struct mail	 m;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!mail_address_ok(bad[i]), "accepted %s", bad[i]);
		m = sample();
		m.to = bad[i];
		assert_refused(&m, "to:");
		m = sample();
		m.from = bad[i];
		assert_refused(&m, "from:");
	}
	ck_assert(mail_address_ok("first.last+quote@mail.example.co.uk"));
}
END_TEST

START_TEST(the_html_part_is_there_only_when_given)
{
	struct mail	 m = sample();
	struct buf	 b;
	struct err	 e;
	const char	*text, *html, *end;

	m.html = "";
	ck_assert_int_eq(compose(&m, &b, &e), 0);
	ck_assert_ptr_null(strstr(b.data, "multipart"));
	ck_assert_ptr_null(strstr(b.data, "text/html"));
	buf_free(&b);

	m.html = "<p>Hello, <a href=\"https://x.example/q?a=1\">quote</a></p>";
	ck_assert_int_eq(compose(&m, &b, &e), 0);
	assert_lines(&b, MAIL_LINE_MAX);
	ck_assert_ptr_nonnull(strstr(b.data, "Content-Type: multipart/"
	    "alternative;\r\n boundary=\"=_printyard_alternative\"\r\n"));
	text = strstr(b.data, "--=_printyard_alternative\r\nContent-Type: "
	    "text/plain; charset=UTF-8\r\n");
	html = strstr(b.data, "--=_printyard_alternative\r\nContent-Type: "
	    "text/html; charset=UTF-8\r\n");
	end = strstr(b.data, "\r\n--=_printyard_alternative--\r\n");
	ck_assert(text != NULL && html != NULL && end != NULL);
	ck_assert(text < html && html < end);
	ck_assert_ptr_nonnull(strstr(html, "href=3D\"https://x.example/q?a=3D1"));
	buf_free(&b);
}
END_TEST

START_TEST(message_ids_must_be_angle_bracketed_dot_atoms)
{
	static const char *const bad[] = { "abc@printyard.example",
	    "<abc@printyard.example", "<a b@printyard.example>", "<a@b@c>",
	    "<@printyard.example>", "<abc@>", "<abc@x>\r\nBcc: x", "<.a@b>",
	    "<a..b@c>", NULL };
	struct mail	 m;
	struct buf	 b;
	struct err	 e;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = sample();
		m.message_id = bad[i];
		assert_refused(&m, "message_id");
	}
	m = sample();
	m.message_id = "<7f3c2a9e-1d2b-4c6a-9f00-5e1b2c3d4e5f@shop.example>";
	ck_assert_int_eq(compose(&m, &b, &e), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\r\nMessage-ID: <7f3c2a9e-1d2b-"
	    "4c6a-9f00-5e1b2c3d4e5f@shop.example>\r\n"));
	buf_free(&b);
}
END_TEST

START_TEST(a_full_buffer_is_too_large_not_a_crash)
{
	struct mail	 m = sample();
	struct buf	 b;
	struct err	 e = { 0 };

	buf_init(&b, 100);
	ck_assert_int_eq(mail_compose(&m, &b, &e), ERR_TOO_LARGE);
	buf_free(&b);
}
END_TEST

/* A loopback port that nothing listens on (bound, then let go). */
static int
closed_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		len;
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	len = sizeof(sa);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

START_TEST(a_refused_connection_is_temporary)
{
	struct mail_server	 srv;
	struct err		 e = { 0 };
	char			 url[64];

	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", closed_port());
	memset(&srv, 0, sizeof(srv));
	srv.url = url;
	srv.connect_timeout_s = 5;
	ck_assert_int_eq(mail_send(&srv, "shop@printyard.example",
	    "kunde@example.com", "x\r\n", 3, &e), ERR_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(e.message, "could not be reached"));
	ck_assert_int_eq(mail_send(&srv, "shop@printyard.example",
	    "kunde@example.com>\r\nRCPT TO:<x@y.example", "x\r\n", 3, &e),
	    ERR_INVALID);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("mail");
	TCase	*tc = tcase_create("compose");

	tcase_add_test(tc, a_mail_has_every_header_and_crlf_lines);
	tcase_add_test(tc, a_german_subject_and_name_become_encoded_words);
	tcase_add_test(tc,
	    a_long_subject_is_folded_into_words_that_keep_characters_whole);
	tcase_add_test(tc, a_long_ascii_subject_is_folded_before_spaces);
	tcase_add_test(tc, bodies_are_quoted_printable_with_soft_breaks);
	tcase_add_test(tc, no_line_passes_998_octets_whatever_the_input);
	tcase_add_test(tc, line_breaks_and_controls_in_headers_are_refused);
	tcase_add_test(tc, malformed_addresses_are_refused);
	tcase_add_test(tc, the_html_part_is_there_only_when_given);
	tcase_add_test(tc, message_ids_must_be_angle_bracketed_dot_atoms);
	tcase_add_test(tc, a_full_buffer_is_too_large_not_a_crash);
	tcase_add_test(tc, a_refused_connection_is_temporary);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
