/*
 * mail.h -- e-mail: compose an RFC 5322 message, deliver it over SMTP.
 *
 * mail_compose() is pure (no I/O, no clock, no randomness: the caller
 * gives the date and the Message-ID), so unit tests and fuzzers call it
 * directly.  What it writes:
 *   - CRLF line endings, no line longer than MAIL_LINE_MAX octets;
 *   - From, To, Subject, Date, Message-ID, MIME-Version; a subject or
 *     display name that is not plain ASCII becomes RFC 2047 encoded-words
 *     (UTF-8, Q encoding) folded onto as many lines as it takes;
 *   - a text/plain part, and with html a multipart/alternative of the
 *     text and the HTML, each UTF-8 and quoted-printable.
 * Headers cannot be forged through the values: a CR or LF in an address,
 * a name or the subject is refused, and so is any other control
 * character or a byte sequence that is not UTF-8.
 *
 * mail_send() hands one composed message to an SMTP server with libcurl
 * (the only code that talks SMTP).
 */
#ifndef PY_MAIL_H
#define PY_MAIL_H

#include <stddef.h>
#include <time.h>

struct buf;
struct err;

#define MAIL_LINE_MAX		998	/* octets, without CRLF (RFC 5322) */
#define MAIL_QP_LINE		76	/* quoted-printable (RFC 2045) */
#define MAIL_WORD_MAX		75	/* one encoded-word (RFC 2047) */
#define MAIL_ADDRESS_MAX	254
#define MAIL_NAME_MAX		400	/* octets; 100 characters in SQL */
#define MAIL_SUBJECT_MAX	1000	/* octets; 250 characters in SQL */
#define MAIL_ID_MAX		250
#define MAIL_BODY_MAX		(1024 * 1024)
/* Quoted-printable at most triples a body; two bodies and headers fit. */
#define MAIL_MESSAGE_MAX	(8 * 1024 * 1024)

#define MAIL_CONNECT_TIMEOUT_S	10
#define MAIL_TIMEOUT_S		60

struct mail {
	const char	*from;		/* address: shop@example.com */
	const char	*from_name;	/* NULL or "": none */
	const char	*to;
	const char	*to_name;	/* NULL or "": none */
	const char	*subject;
	const char	*text;		/* the plain text, LF or CRLF lines */
	const char	*html;		/* NULL or "": text only */
	const char	*message_id;	/* "<unique@domain>" */
	time_t		 date;
};

/* Where and how to deliver (from the smtp_* config keys). */
struct mail_server {
	const char	*url;		/* smtp or smtps URL, with port */
	const char	*user;		/* NULL or "": no AUTH */
	const char	*password;
	int		 starttls;	/* an smtp URL must upgrade to TLS */
	long		 connect_timeout_s;	/* 0: MAIL_CONNECT_TIMEOUT_S */
	long		 timeout_s;		/* 0: MAIL_TIMEOUT_S */
};

/*
 * Appends the whole message to out (whose ceiling should be at least
 * MAIL_MESSAGE_MAX).  Returns 0, ERR_INVALID naming the field that
 * cannot go into a mail (control characters, bad UTF-8, a malformed
 * address or Message-ID, too long), or ERR_TOO_LARGE when out is full.
 * On error out may hold part of a message.
 */
int	mail_compose(const struct mail *, struct buf *out, struct err *);

/* 1 when a is an address mail_compose() and mail_send() accept. */
int	mail_address_ok(const char *a);

/*
 * Delivers msg (len octets, composed) from the envelope sender from to
 * the one recipient to.  Returns 0 when the server took it, or:
 * ERR_UNAVAILABLE for what may pass (no connection, a timeout, a TLS
 * failure, a 4xx answer, credentials the server refused), ERR_INVALID
 * for what will not (a 5xx answer to the sender, recipient or message),
 * ERR_INTERNAL when libcurl cannot be set up.  The message says what
 * failed with the server's last answer in its own words.
 */
int	mail_send(const struct mail_server *, const char *from,
	    const char *to, const char *msg, size_t len, struct err *);

#endif
