package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// maxPageBytes bounds every page the browser reads.
const maxPageBytes = 1 << 20

// maxBrowserSteps bounds the pages the browser goes through for one
// sign-in (consent page, GitHub's sign-in page, with room to spare).
const maxBrowserSteps = 5

// browser plays the person at the browser for one client: it follows
// redirects with its own cookies (loopback only), approves mcpgate's consent
// page, signs in at the (fake) GitHub as login when the sign-in page lets
// it choose, and stops at the client's redirect URI.
type browser struct {
	client      *http.Client
	redirectURI string
	login       string // the account to pick on GitHub's sign-in page; "" keeps the preselected one
}

func newBrowser(transport http.RoundTripper, redirectURI, login string) (*browser, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	b := &browser{redirectURI: redirectURI, login: login}
	b.client = &http.Client{Transport: transport, Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), b.redirectURI) {
			return http.ErrUseLastResponse
		}
		if !isLoopbackHost(req.URL.Hostname()) {
			return fmt.Errorf("refusing to follow a redirect off loopback to %s", req.URL.Host)
		}
		if len(via) > 10 {
			return errors.New("too many redirects")
		}
		return nil
	}}
	return b, nil
}

// authorize runs the browser leg from the authorization URL to the client's
// redirect URI and returns the code and state it carries.
func (b *browser) authorize(ctx context.Context, authURL string) (code, state string, err error) {
	resp, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return "", "", err
	}
	for range maxBrowserSteps {
		if loc := resp.Header.Get("Location"); resp.StatusCode/100 == 3 && strings.HasPrefix(loc, b.redirectURI) {
			resp.Body.Close()
			return redirectResult(loc)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
		resp.Body.Close()
		if err != nil {
			return "", "", fmt.Errorf("reading %s: %w", resp.Request.URL.Path, err)
		}
		if resp.StatusCode != http.StatusOK {
			return "", "", fmt.Errorf("HTTP %d at %s", resp.StatusCode, resp.Request.URL.Path)
		}
		// mcpgate's consent page ("Approve with GitHub"), then the fake
		// GitHub's sign-in page (decision=approve).
		form, err := findForm(resp.Request.URL, string(body), "approve")
		if err != nil {
			return "", "", fmt.Errorf("at %s: %w", resp.Request.URL.Path, err)
		}
		if b.login != "" && form.values.Has("login") {
			form.values.Set("login", b.login)
		}
		resp, err = b.do(ctx, http.MethodPost, form.action, form.values)
		if err != nil {
			return "", "", err
		}
	}
	resp.Body.Close()
	return "", "", fmt.Errorf("never reached the redirect URI after %d pages", maxBrowserSteps)
}

func (b *browser) do(ctx context.Context, method, u string, form url.Values) (*http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return b.client.Do(req)
}

func redirectResult(location string) (code, state string, err error) {
	u, err := url.Parse(location)
	if err != nil {
		return "", "", err
	}
	q := u.Query()
	if e := q.Get("error"); e != "" {
		return "", "", fmt.Errorf("authorization failed: %s: %s", e, q.Get("error_description"))
	}
	if q.Get("code") == "" {
		return "", "", errors.New("the redirect carries no code")
	}
	return q.Get("code"), q.Get("state"), nil
}

type htmlForm struct {
	action string
	values url.Values
}

var (
	formRE    = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	fieldRE   = regexp.MustCompile(`(?is)<input\b([^>]*)>|<button\b([^>]*)>(.*?)</button>`)
	attrRE    = regexp.MustCompile(`(?is)([a-z_-]+)\s*=\s*"([^"]*)"`)
	checkedRE = regexp.MustCompile(`(?i)\bchecked\b`)
)

func attrsOf(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRE.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// findForm finds the form with a submit button whose label or value
// contains submit, and returns what a browser posts when it is clicked:
// the form's inputs (checked radios and checkboxes only) and that button.
func findForm(base *url.URL, page, submit string) (*htmlForm, error) {
	for _, f := range formRE.FindAllStringSubmatch(page, -1) {
		values := url.Values{}
		found := false
		for _, m := range fieldRE.FindAllStringSubmatch(f[2], -1) {
			if strings.HasPrefix(strings.ToLower(m[0]), "<button") {
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
			case (a["type"] == "radio" || a["type"] == "checkbox") && !checkedRE.MatchString(m[1]):
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
	return nil, fmt.Errorf("no form with a %q button on the page", submit)
}
