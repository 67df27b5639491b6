package protected

import (
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

var benchBodies = []struct{ name, body string }{
	{"ping", `{"jsonrpc":"2.0","id":1,"method":"ping"}`},
	{"tools_list", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`},
	{"tools_call", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_me","arguments":{}}}`},
}

// BenchmarkToolCallNames is the scope check's own reading of a body.
// Run with -benchmem: allocations are the point.
func BenchmarkToolCallNames(b *testing.B) {
	for _, bb := range benchBodies {
		body := []byte(bb.body)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				toolCallNames(body)
			}
		})
	}
}

// BenchmarkSDKDecodeMessage measures the go-sdk v1.8.0 decoder of one
// JSON-RPC message (jsonrpc.DecodeMessage → internal/json.Unmarshal →
// segmentio/encoding json.NewDecoder(...).Decode, whose readValue makes a
// 32 KiB buffer for every new Decoder), as the SDK runs it for every
// message it reads, and twice here (message, then its method).
func BenchmarkSDKDecodeMessage(b *testing.B) {
	for _, bb := range benchBodies {
		body := []byte(bb.body)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jsonrpc.DecodeMessage(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
