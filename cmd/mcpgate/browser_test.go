package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
)

// browser plays the person in front of the browser: it follows redirects
// with cookies, approves mcpgate's consent page, signs in at the (fake)
// GitHub, and stops at the MCP client's redirect URI.
type browser struct {
	t           *testing.T
	client      *http.Client
	redirectURL string
	// approve is the label of the consent button to press, such as
	// "approve with google" (the consent page is also the sign-in
	// chooser); "approve", the first such button, when empty.
	approve string
	// fields override the values of these form fields on any page that
	// has them, such as the fake OpenID Provider's user choice.
	fields url.Values
	// seen records every URL and body the browser saw, so tests can assert
	// what never appears in logs.
	seen []string
}

func newBrowser(t *testing.T, redirectURL string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, redirectURL: redirectURL}
	b.client = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		b.seen = append(b.seen, req.URL.String())
		if strings.HasPrefix(req.URL.String(), b.redirectURL) {
			return http.ErrUseLastResponse
		}
		if len(via) > 10 {
			return fmt.Errorf("too many redirects")
		}
		return nil
	}}
	return b
}

// fetch is an auth.AuthorizationCodeFetcher.
func (b *browser) fetch(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
	resp, err := b.get(ctx, args.URL)
	if err != nil {
		return nil, err
	}
	for range 5 {
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && strings.HasPrefix(loc, b.redirectURL) {
			return b.result(loc)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("browser: %s answered %d: %s", resp.Request.URL, resp.StatusCode, body)
		}
		approve := b.approve
		if approve == "" {
			approve = "approve"
		}
		form, err := parseForm(resp.Request.URL, string(body), approve)
		if err != nil && approve != "approve" {
			// An identity provider's own sign-in page.
			form, err = parseForm(resp.Request.URL, string(body), "approve")
		}
		if err != nil {
			// The demo GitHub's sign-in page.
			form, err = parseForm(resp.Request.URL, string(body), "authorize")
		}
		if err != nil {
			return nil, fmt.Errorf("browser at %s: %w", resp.Request.URL, err)
		}
		for name, values := range b.fields {
			if form.values.Has(name) {
				form.values[name] = values
			}
		}
		resp, err = b.post(ctx, form.action, form.values)
		if err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("browser: never reached %s", b.redirectURL)
}

func (b *browser) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	b.seen = append(b.seen, u)
	return b.client.Do(req)
}

func (b *browser) post(ctx context.Context, u string, v url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b.seen = append(b.seen, u+"?"+v.Encode())
	return b.client.Do(req)
}

func (b *browser) result(location string) (*auth.AuthorizationResult, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("authorization failed: %s: %s", e, q.Get("error_description"))
	}
	return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
}

type htmlForm struct {
	action string
	values url.Values
}

var (
	formRE   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	fieldRE  = regexp.MustCompile(`(?is)<input\b([^>]*)>|<button\b([^>]*)>(.*?)</button>`)
	attrRE   = regexp.MustCompile(`(?is)([a-z_-]+)\s*=\s*"([^"]*)"`)
	checkdRE = regexp.MustCompile(`(?i)\bchecked\b`)
)

func attrsOf(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// parseForm finds the form with a submit button whose label or value
// contains submit (the consent page's "Approve", the demo GitHub's
// "Authorize") and returns what a browser would post when it is clicked.
func parseForm(base *url.URL, page, submit string) (*htmlForm, error) {
	for _, f := range formRE.FindAllStringSubmatch(page, -1) {
		values := url.Values{}
		found := false
		for _, m := range fieldRE.FindAllStringSubmatch(f[2], -1) {
			if m[2] != "" || strings.HasPrefix(strings.ToLower(m[0]), "<button") {
				a := attrsOf(m[2])
				label := strings.ToLower(m[3] + " " + a["value"])
				if !found && strings.Contains(label, submit) {
					found = true
					if a["name"] != "" {
						values.Set(a["name"], a["value"])
					}
				}
				continue
			}
			a := attrsOf(m[1])
			switch {
			case a["name"] == "" || a["type"] == "submit":
			case (a["type"] == "radio" || a["type"] == "checkbox") && !checkdRE.MatchString(m[1]):
			default:
				values.Add(a["name"], a["value"])
			}
		}
		if !found {
			continue
		}
		action, err := base.Parse(attrsOf(f[1])["action"])
		if err != nil {
			return nil, err
		}
		return &htmlForm{action: action.String(), values: values}, nil
	}
	return nil, fmt.Errorf("no form with a %q button in page:\n%s", submit, page)
}
