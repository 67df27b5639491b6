package loadclient

import (
	"strings"
	"testing"
)

func TestReadSSEResponse(t *testing.T) {
	tests := []struct {
		name, stream, wantResult, wantErr string
	}{
		{"one event", "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"ok\":true}}\n\n", `{"ok":true}`, ""},
		{"notification first", "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n", `{}`, ""},
		{"an event without data first", "event: message\n\nid: 7\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":3}\n\n", `3`, ""},
		{"no final blank line", "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[]}", `[]`, ""},
		{"multi-line data", "data: {\"jsonrpc\":\"2.0\",\ndata: \"id\":1,\"result\":2}\n\n", `2`, ""},
		{"no space after the colon", "data:{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":4}\n\n", `4`, ""},
		{"no response", "data: {\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n\n", "", "ended without a response"},
		{"empty", "", "", "ended without a response"},
		{"garbage", "data: nope\n\n", "", "undecodable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rpc Response
			err := ReadSSEResponse(strings.NewReader(tt.stream), &rpc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(rpc.Result) != tt.wantResult {
				t.Fatalf("result %s, err %v; want %s", rpc.Result, err, tt.wantResult)
			}
		})
	}
}
