package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v92/github"

	"github.com/mcpgate/mcpgate/upstream"
)

// toolError is an error whose text is written for the person (and the
// model) reading the tool result. The cause is kept for errors.Is/As; the
// text quotes it only where it is meant for people (ClientFunc errors,
// failures before GitHub answered), because go-github's error strings for
// API answers carry request URLs and are not phrased for people.
type toolError struct {
	msg   string
	cause error
}

func (e *toolError) Error() string { return e.msg }
func (e *toolError) Unwrap() error { return e.cause }

// reconnectMessage tells the person that mcpgate's access to their GitHub
// account is gone and what to do about it.
const reconnectMessage = "GitHub no longer accepts mcpgate's access for your account; reconnect (sign in again) to continue"

// clientError maps an error of the ClientFunc.
func clientError(err error) error {
	if errors.Is(err, upstream.ErrRevoked) {
		return &toolError{msg: reconnectMessage, cause: err}
	}
	if errors.Is(err, ErrNotGitHub) {
		return &toolError{msg: notGitHubMessage, cause: err}
	}
	return &toolError{msg: "could not reach GitHub for your account: " + err.Error(), cause: err}
}

// target describes what a call was about, for "not found" and permission
// messages: what is a phrase like `issue #3`, repo is empty for calls that
// are not about a repository.
type target struct {
	what string
	repo repoRef
}

func (t target) repoName() string {
	if t.repo.Owner == "" {
		return ""
	}
	return t.repo.String()
}

// apiError maps an error from a go-github call to a tool error a person can
// act on. The MCP tools specification asks for errors in the tool result
// (isError) so the model can see them and adjust, rather than protocol
// errors.
func (ts *toolset) apiError(err error, t target) error {
	var (
		mapped   *toolError
		rateErr  *github.RateLimitError
		abuseErr *github.AbuseRateLimitError
		respErr  *github.ErrorResponse
	)
	switch {
	case errors.As(err, &mapped):
		return err
	case errors.As(err, &rateErr):
		return &toolError{msg: ts.rateLimitMessage(rateErr.Rate.Reset.Time), cause: err}
	case errors.As(err, &abuseErr):
		msg := "GitHub secondary rate limit; wait a minute before retrying."
		if abuseErr.RetryAfter != nil && *abuseErr.RetryAfter > 0 {
			msg = "GitHub secondary rate limit; retry after " + abuseErr.RetryAfter.Round(time.Second).String() + "."
		}
		return &toolError{msg: msg, cause: err}
	case errors.As(err, &respErr):
		return &toolError{msg: responseMessage(respErr, t), cause: err}
	default:
		return &toolError{msg: "could not complete the GitHub request: " + transportMessage(err), cause: err}
	}
}

// rateLimitMessage names the reset time in UTC and how long that is from
// now, so that a person (or model) knows when to retry. Both are rounded
// up to the minute: retrying at the time shown never comes too early.
func (ts *toolset) rateLimitMessage(reset time.Time) string {
	if reset.IsZero() {
		return "GitHub rate limit reached; try again later."
	}
	clock := reset.UTC()
	if t := clock.Truncate(time.Minute); !t.Equal(clock) {
		clock = t.Add(time.Minute)
	}
	return fmt.Sprintf("GitHub rate limit reached; it resets at %s UTC (%s).",
		clock.Format("15:04"), untilText(reset.Sub(ts.deps.Now())))
}

// untilText phrases a wait, rounded up to the minute: "in 12m", "in 1h5m",
// or "in under a minute".
func untilText(d time.Duration) string {
	if d < time.Minute {
		return "in under a minute"
	}
	minutes := int((d + time.Minute - 1) / time.Minute)
	if minutes < 60 {
		return fmt.Sprintf("in %dm", minutes)
	}
	return fmt.Sprintf("in %dh%dm", minutes/60, minutes%60)
}

func responseMessage(e *github.ErrorResponse, t target) string {
	status := 0
	if e.Response != nil {
		status = e.Response.StatusCode
	}
	switch status {
	case http.StatusNotFound:
		what := t.what
		if what == "" {
			what = "the requested item"
		}
		if repo := t.repoName(); repo != "" {
			return fmt.Sprintf("%s not found, or your GitHub account has no access to %s.", what, repo)
		}
		return what + " not found on GitHub."
	case http.StatusUnauthorized:
		return reconnectMessage
	case http.StatusForbidden:
		who := "your GitHub account lacks permission for this"
		if repo := t.repoName(); repo != "" {
			who = "your GitHub account lacks permission on " + repo
		}
		msg := "GitHub refused this (403): " + who + ", or an organization policy restricts mcpgate's access"
		if e.Message != "" {
			msg += ". GitHub said: " + strings.TrimSuffix(e.Message, ".")
		}
		return msg + "."
	case http.StatusUnprocessableEntity:
		return "GitHub rejected the request as invalid: " + validationDetails(e) + "."
	case http.StatusGone:
		return "GitHub says this is gone (410): " + strings.TrimSuffix(messageOr(e.Message, "Gone"), ".") + "."
	default:
		return fmt.Sprintf("GitHub API error (status %d): %s.", status, strings.TrimSuffix(messageOr(e.Message, http.StatusText(status)), "."))
	}
}

// validationDetails joins GitHub's message with its per-field errors.
func validationDetails(e *github.ErrorResponse) string {
	parts := make([]string, 0, len(e.Errors))
	for _, fe := range e.Errors {
		var p string
		switch {
		case fe.Message != "" && fe.Field != "":
			p = fe.Field + ": " + fe.Message
		case fe.Message != "":
			p = fe.Message
		case fe.Field != "":
			p = fe.Field + " " + fe.Code
		default:
			p = fe.Code
		}
		if p != "" {
			parts = append(parts, p)
		}
	}
	msg := messageOr(e.Message, "Validation Failed")
	if len(parts) > 0 {
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	return msg
}

func messageOr(msg, fallback string) string {
	if msg == "" {
		return fallback
	}
	return msg
}

// transportMessage describes an error that is not a GitHub API response
// (network failure, cancelled request, undecodable body).
func transportMessage(err error) string {
	var redirect *github.RedirectionError
	switch {
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return "GitHub did not answer in time"
	case errors.As(err, &redirect):
		return fmt.Sprintf("GitHub answered with a redirect (status %d)", redirect.StatusCode)
	default:
		return err.Error()
	}
}

// isNotFound reports whether err is GitHub's 404 answer.
func isNotFound(err error) bool {
	var respErr *github.ErrorResponse
	return errors.As(err, &respErr) && respErr.Response != nil && respErr.Response.StatusCode == http.StatusNotFound
}
