package testbrowser

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
)

// htmlForm is what a browser posts when a form's button is clicked.
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
// contains submit (lower case), and returns what a browser posts when it
// is clicked: the form's inputs (checked radios and checkboxes only) and
// that button, to the form's action resolved against base.
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
	return nil, fmt.Errorf("no form with a %q button", submit)
}
