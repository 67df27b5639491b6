package tokenresp

import (
	"errors"
	"strconv"

	"golang.org/x/oauth2"
)

// Error keeps the endpoint's error code visible and the
// *oauth2.RetrieveError reachable with errors.As, without the response
// body.
type Error struct {
	msg string
	err error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.err }

// Describe turns a token endpoint error into an *Error: "CODE: DESCRIPTION",
// or "token endpoint answered STATUS" when the answer had no error code.
// Other errors (transport, context) are returned as they are.
func Describe(err error) error {
	re, ok := errors.AsType[*oauth2.RetrieveError](err)
	if !ok {
		return err
	}
	if re.ErrorCode == "" {
		status := "no response"
		if re.Response != nil {
			status = re.Response.Status
		}
		return &Error{msg: "token endpoint answered " + status, err: err}
	}
	msg := re.ErrorCode
	if re.ErrorDescription != "" {
		msg += ": " + re.ErrorDescription
	}
	return &Error{msg: msg, err: err}
}

// Seconds reads a lifetime in seconds from an extra field of the token
// response (oauth2.Token.Extra): a JSON number, an integer from a
// form-encoded answer, or a decimal string.
func Seconds(v any) (int64, bool) {
	switch n := v.(type) {
	case float64:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}
