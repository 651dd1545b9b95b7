package shop

import (
	"errors"
	"fmt"
)

// Code classifies an error; the web layer maps it to an HTTP status in one
// place, and a person sees the translation of Key.
type Code string

const (
	Invalid      Code = "invalid"      // the request is wrong; say what to fix
	NotFound     Code = "not_found"    // no such thing, or not yours
	Conflict     Code = "conflict"     // it exists already, or changed meanwhile
	Unauthorized Code = "unauthorized" // log in first
	Unavailable  Code = "unavailable"  // a dependency (database, bank) is down; try again
	Internal     Code = "internal"     // a bug
)

// Error is the one error type of the business. Key is a translation key
// for what a person reads; Msg is for logs.
type Error struct {
	Code Code
	Key  string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an *Error.
func Errorf(code Code, key, format string, args ...any) *Error {
	return &Error{Code: code, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Wrap makes an *Error around a cause.
func Wrap(code Code, key string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Key: key, Msg: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of err, Internal for errors that are not ours.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorKey returns the translation key of err, or a generic one.
func ErrorKey(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Key != "" {
		return e.Key
	}
	switch ErrorCode(err) {
	case NotFound:
		return "error.not_found"
	case Unavailable:
		return "error.unavailable"
	case Unauthorized:
		return "error.unauthorized"
	}
	return "error.internal"
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool { return ErrorCode(err) == code }
