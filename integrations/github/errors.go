package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Error is a failed GitHub call: the operation, the HTTP status when there was
// one, and a sentence that says what to do. It unwraps to lifecycle.ErrNotFound
// for 404 and 410, and to the underlying error (go-github's *ErrorResponse,
// *RateLimitError, *AbuseRateLimitError, or a GraphQL error), so callers branch
// with errors.Is / errors.As.
type Error struct {
	Op         string // "get issue owner/repo#12"
	StatusCode int    // 0 when the failure was not an HTTP status
	msg        string
	kind       error
	err        error
}

func (e *Error) Error() string { return "github: " + e.Op + ": " + e.msg }

// Unwrap returns the sentinel kind (if any) and the underlying error.
func (e *Error) Unwrap() []error {
	var out []error
	if e.kind != nil {
		out = append(out, e.kind)
	}
	if e.err != nil {
		out = append(out, e.err)
	}
	return out
}

// Token permissions, by what an operation needs; used in 401/403 sentences.
const (
	permIssuesRead   = `"Issues: read" (fine-grained token) or the "repo" scope (classic token)`
	permIssuesWrite  = `"Issues: read and write" (fine-grained token) or the "repo" scope (classic token)`
	permCollab       = `push access to the repository and "Metadata: read" (fine-grained token), or the "repo" and "read:org" scopes (classic token)`
	permPullsRead    = `"Pull requests: read" (fine-grained token) or the "repo" scope (classic token; "public_repo" for a public repository)`
	permContentsRead = `"Contents: read" (fine-grained token) or the "repo" scope (classic token; "public_repo" for a public repository)`
	permProjectRead  = `"Projects: read" on the board's owner and "Issues: read" (fine-grained token), or the "read:project" and "repo" scopes (classic token)`
	permProjectWrite = `"Projects: read and write" on the board's owner and "Issues: read" (fine-grained token), or the "project" and "repo" scopes (classic token)`
)

// wrapErr turns an error from go-github or githubv4 into an *Error. perm names
// the token permission the operation needs.
func wrapErr(op, perm string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Op: op, msg: err.Error(), err: err}
	}
	var (
		rle  *gh.RateLimitError
		are  *gh.AbuseRateLimitError
		er   *gh.ErrorResponse
		gqlE *graphQLError
		hErr *graphQLHTTPError
	)
	switch {
	case errors.As(err, &rle):
		return &Error{Op: op, StatusCode: statusOf(rle.Response), err: rle,
			msg: fmt.Sprintf("GitHub API rate limit exhausted (%d requests an hour); it resets at %s: wait or use another token",
				rle.Rate.Limit, rle.Rate.Reset.Time.UTC().Format(time.RFC3339))}
	case errors.As(err, &are):
		wait := "a minute"
		if are.RetryAfter != nil {
			wait = are.RetryAfter.String()
		}
		return &Error{Op: op, StatusCode: statusOf(are.Response), err: are,
			msg: "GitHub secondary rate limit hit (too many requests too fast): retry after " + wait}
	case errors.As(err, &er):
		status := statusOf(er.Response)
		if status == http.StatusTooManyRequests {
			// go-github v62 only types 403s; GitHub also answers 429 for secondary limits.
			are := &gh.AbuseRateLimitError{Response: er.Response, Message: er.Message, RetryAfter: retryAfter(er.Response)}
			return wrapErr(op, perm, are)
		}
		return statusError(op, perm, status, er.Message, validationDetail(er), er)
	case errors.As(err, &hErr):
		return statusError(op, perm, hErr.StatusCode, hErr.Message, "", err)
	case errors.As(err, &gqlE):
		return gqlE.asError(op, perm)
	}
	return &Error{Op: op, msg: err.Error(), err: err}
}

func statusError(op, perm string, status int, apiMsg, detail string, err error) error {
	e := &Error{Op: op, StatusCode: status, err: err}
	switch {
	case status == http.StatusNotFound:
		e.kind = lifecycle.ErrNotFound
		e.msg = "not found (GitHub also answers 404 when the token cannot see a private repository: it needs " + perm + ")"
	case status == http.StatusGone:
		e.kind = lifecycle.ErrNotFound
		e.msg = "gone (deleted, transferred, or issues are disabled on the repository)"
	case status == http.StatusUnauthorized:
		e.msg = "GitHub rejected the token (401 Bad credentials): it is missing, expired or revoked; supply a valid token"
	case status == http.StatusForbidden:
		e.msg = "GitHub refused the request (403): the token lacks the permission it needs: " + perm
	case status == http.StatusUnprocessableEntity:
		e.msg = "GitHub rejected the request as invalid (422)"
	case status >= 500:
		e.msg = fmt.Sprintf("GitHub server error (%d); retry later", status)
	default:
		e.msg = fmt.Sprintf("unexpected HTTP status %d", status)
	}
	if apiMsg != "" && status != http.StatusUnauthorized {
		e.msg += ": " + apiMsg
	}
	if detail != "" {
		e.msg += " (" + detail + ")"
	}
	return e
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

func retryAfter(r *http.Response) *time.Duration {
	if r == nil {
		return nil
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err == nil {
		d := time.Duration(s) * time.Second
		return &d
	}
	return nil
}

func validationDetail(er *gh.ErrorResponse) string {
	var parts []string
	for _, e := range er.Errors {
		switch {
		case e.Message != "":
			parts = append(parts, e.Message)
		case e.Field != "":
			parts = append(parts, e.Field+" "+e.Code)
		}
	}
	return strings.Join(parts, "; ")
}

// graphQLHTTPError is a non-200 answer from the GraphQL endpoint. githubv4
// flattens those into a string; graphQLTransport returns this typed error
// instead so the status survives.
type graphQLHTTPError struct {
	StatusCode int
	Message    string
}

func (e *graphQLHTTPError) Error() string {
	return fmt.Sprintf("GraphQL HTTP %d: %s", e.StatusCode, e.Message)
}

// graphQLError is the "errors" array of a 200 GraphQL answer, with GitHub's
// error types (NOT_FOUND, FORBIDDEN, INSUFFICIENT_SCOPES, RATE_LIMITED, ...),
// which githubv4 would otherwise drop.
type graphQLError struct {
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Path    []any  `json:"path"`
	} `json:"errors"`
}

func (e *graphQLError) Error() string {
	var msgs []string
	for _, x := range e.Errors {
		msgs = append(msgs, x.Message)
	}
	return strings.Join(msgs, "; ")
}

// hasType reports whether any error has the type.
func (e *graphQLError) hasType(t string) bool {
	for _, x := range e.Errors {
		if x.Type == t {
			return true
		}
	}
	return false
}

func (e *graphQLError) asError(op, perm string) error {
	out := &Error{Op: op, err: e, msg: e.Error()}
	switch {
	case e.hasType("NOT_FOUND"):
		out.kind = lifecycle.ErrNotFound
	case e.hasType("INSUFFICIENT_SCOPES"), e.hasType("FORBIDDEN"):
		out.msg = "the token lacks the permission it needs: " + perm + " (" + e.Error() + ")"
	}
	return out
}

// graphQLTransport sits under githubv4: it turns non-200 answers into
// *graphQLHTTPError (or go-github's rate-limit errors) and 200 answers that carry
// "errors" into *graphQLError, returned from RoundTrip so they reach the caller
// wrapped in *url.Error with their type intact.
type graphQLTransport struct{ base http.RoundTripper }

func (t graphQLTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.Request == nil {
		resp.Request = req
	}
	if resp.StatusCode != http.StatusOK {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &m)
		switch {
		case (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) &&
			resp.Header.Get("X-RateLimit-Remaining") == "0":
			return nil, &gh.RateLimitError{Response: resp, Message: m.Message, Rate: rateFromHeader(resp.Header)}
		case resp.StatusCode == http.StatusTooManyRequests ||
			(resp.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(m.Message), "secondary rate limit")):
			return nil, &gh.AbuseRateLimitError{Response: resp, Message: m.Message, RetryAfter: retryAfter(resp)}
		}
		return nil, &graphQLHTTPError{StatusCode: resp.StatusCode, Message: m.Message}
	}
	if bytes.Contains(body, []byte(`"errors"`)) {
		var ge graphQLError
		if json.Unmarshal(body, &ge) == nil && len(ge.Errors) > 0 {
			if ge.hasType("RATE_LIMITED") {
				return nil, &gh.RateLimitError{Response: resp, Message: ge.Error(), Rate: rateFromHeader(resp.Header)}
			}
			return nil, &ge
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func rateFromHeader(h http.Header) gh.Rate {
	var r gh.Rate
	r.Limit, _ = strconv.Atoi(h.Get("X-RateLimit-Limit"))
	r.Remaining, _ = strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		r.Reset = gh.Timestamp{Time: time.Unix(s, 0)}
	}
	return r
}
