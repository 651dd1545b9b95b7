package mail

import (
	"errors"
	"fmt"
	"net/textproto"
)

// ErrInvalid is wrapped by every error about a Message that cannot be
// sent as it is: a required field missing, an address that does not read,
// a header value with a line break. Nothing was sent, and sending the
// same message again gives the same error.
var ErrInvalid = errors.New("mail: invalid message")

// invalid returns an error wrapping ErrInvalid that says which field is
// wrong and how.
func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// Permanent reports whether the message of a failed Send will never go,
// so that trying again is pointless: the server refused the message
// itself with a 5xx reply (to MAIL FROM, RCPT TO or the content: no such
// recipient, content refused), or the message is invalid (ErrInvalid).
//
// It is false for what may pass: a 4xx reply (greylisting, a full
// mailbox, a server busy), a network error, a timeout, an ended context,
// a failed TLS handshake, and a 5xx reply before the message was
// offered (EHLO, STARTTLS, AUTH: a wrong password is the shop's
// configuration, and the message goes once an operator fixes it). Keep
// the message and try again later. It is false for nil.
func Permanent(err error) bool {
	if errors.Is(err, ErrInvalid) {
		return true
	}
	var se *sendError
	if errors.As(err, &se) && !se.aboutMessage() {
		return false
	}
	var reply *textproto.Error
	return errors.As(err, &reply) && reply.Code >= 500 && reply.Code <= 599
}
