// Package mail sends the shop's transactional e-mail (order received,
// payment received, password reset…) through an SMTP server.
//
// A Message is one e-mail to one person: a plain text body, optionally
// an HTML alternative, UTF-8 throughout. Its Bytes are the RFC 5322 form
// that goes over the wire: 7-bit clean, CRLF line ends, headers encoded
// per RFC 2047, bodies quoted-printable. Bytes refuses a message that
// could not be read as meant: a header value with a line break (which
// would let text chosen by a customer add headers), an address that is
// not one plain ASCII address, an empty body.
//
// SMTP sends a Message through one server, named by a URL (ParseURL):
// smtp:// speaks STARTTLS when the server offers it, smtps:// speaks TLS
// from the first byte. Each Send is one connection and one conversation,
// bounded by SMTP.Timeout even when its context has no deadline, so that a
// server that accepts the connection and then says nothing cannot hold up
// the caller. Send never gives the password to a server over a
// connection without TLS, except to one on a loopback address.
//
// When Send fails, Permanent says whether to give up: the server refused
// the message for good (a 5xx reply) or the message is invalid. Anything
// else (a 4xx reply, a network error, a timeout) may pass: keep the
// message and try again later, with the same Message.ID, so that a
// receiver that got the earlier attempt after all can drop the repeat.
//
// The package imports only the standard library.
package mail
