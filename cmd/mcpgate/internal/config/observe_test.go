package config

import (
	"strings"
	"testing"
)

func TestObserveEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         map[string]string
		wantTracing bool
		wantProblem string
	}{
		{"defaults", nil, false, ""},
		{"metrics and audit", map[string]string{"MCPGATE_METRICS_ADDR": "127.0.0.1:9090", "MCPGATE_AUDIT_LOG": "/var/log/mcpgate/audit.jsonl"}, false, ""},
		{"endpoint turns tracing on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true, ""},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true, ""},
		{"exporter otlp alone", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, ""},
		{"exporter none wins", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, false, ""},
		{"sdk disabled wins", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, false, ""},
		{"grpc refused", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, true, "http/protobuf"},
		{"grpc ignored when off", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, false, ""},
		{"unknown exporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, "OTEL_TRACES_EXPORTER"},
		{"metrics address without port", map[string]string{"MCPGATE_METRICS_ADDR": "localhost"}, false, "MCPGATE_METRICS_ADDR must be host:port"},
		{"metrics address bad port", map[string]string{"MCPGATE_METRICS_ADDR": "127.0.0.1:http"}, false, "invalid port"},
		{"metrics on the main address", map[string]string{"MCPGATE_METRICS_ADDR": defaultAddr}, false, "must differ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load("", envMap(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Observe.Tracing.Enabled(); got != tc.wantTracing {
				t.Errorf("tracing %v, want %v", got, tc.wantTracing)
			}
			if tc.env == nil && cfg.Observe.AuditLog != "stderr" {
				t.Errorf("default audit log %q, want stderr", cfg.Observe.AuditLog)
			}
			var p problems
			cfg.validateObserve(&p)
			got := strings.Join(p, "\n")
			if (tc.wantProblem == "") != (got == "") || !strings.Contains(got, tc.wantProblem) {
				t.Errorf("problems %q, want one containing %q", got, tc.wantProblem)
			}
		})
	}
}
