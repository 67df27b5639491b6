package tokenresp

import (
	"errors"
	"net/http"
	"testing"

	"golang.org/x/oauth2"
)

func TestDescribe(t *testing.T) {
	plain := errors.New("dial tcp: connection refused")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"code and description", &oauth2.RetrieveError{ErrorCode: "invalid_grant", ErrorDescription: "expired", Body: []byte("secret body")}, "invalid_grant: expired"},
		{"code only", &oauth2.RetrieveError{ErrorCode: "bad_refresh_token"}, "bad_refresh_token"},
		{"status only", &oauth2.RetrieveError{Response: &http.Response{Status: "502 Bad Gateway"}, Body: []byte("secret body")}, "token endpoint answered 502 Bad Gateway"},
		{"nothing", &oauth2.RetrieveError{}, "token endpoint answered no response"},
		{"not a token endpoint error", plain, plain.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe(tt.err)
			if got.Error() != tt.want {
				t.Errorf("Describe = %q, want %q", got.Error(), tt.want)
			}
			if _, isRetrieve := errors.AsType[*oauth2.RetrieveError](tt.err); isRetrieve {
				if _, ok := errors.AsType[*oauth2.RetrieveError](got); !ok {
					t.Error("the RetrieveError is not reachable with errors.As")
				}
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		in   any
		want int64
		ok   bool
	}{
		{float64(28800), 28800, true},
		{int64(60), 60, true},
		{90, 90, true},
		{"15897600", 15897600, true},
		{"soon", 0, false},
		{nil, 0, false},
		{true, 0, false},
	}
	for _, tt := range tests {
		got, ok := Seconds(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Seconds(%#v) = %d, %v, want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
