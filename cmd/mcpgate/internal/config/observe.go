package config

import (
	"net"
	"strconv"
	"strings"
)

// ObserveConfig is where metrics, the audit log and traces go (YAML
// section observe: metrics_addr, audit_log).
type ObserveConfig struct {
	// MetricsAddr is the listen address of Prometheus /metrics, separate
	// from Addr so that it need not be exposed with the public surface;
	// empty turns metrics off. MCPGATE_METRICS_ADDR.
	MetricsAddr string `yaml:"metrics_addr"`
	// AuditLog is "stdout", "stderr" or a file path (appended to, created
	// 0600) for the audit events, one JSON object per line.
	// MCPGATE_AUDIT_LOG; default stderr.
	AuditLog string `yaml:"audit_log"`
	// Tracing is read from the standard OpenTelemetry variables
	// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/);
	// the exporter reads the rest (headers, timeout, sampler) itself.
	Tracing TracingConfig `yaml:"-"`
}

// TracingConfig is what decides whether traces are exported.
type TracingConfig struct {
	// Endpoint is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
	// OTEL_EXPORTER_OTLP_ENDPOINT.
	Endpoint string
	// Exporter is OTEL_TRACES_EXPORTER: "otlp", "none" or empty.
	Exporter string
	// Protocol is OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or
	// OTEL_EXPORTER_OTLP_PROTOCOL; only http/protobuf is built in.
	Protocol string
	// Disabled is OTEL_SDK_DISABLED=true.
	Disabled bool
}

// DefaultAuditLog is where audit events go unless told otherwise.
const DefaultAuditLog = "stderr"

// Enabled reports whether traces are exported: an OTLP endpoint is set or
// OTEL_TRACES_EXPORTER asks for otlp (its default endpoint is then
// localhost:4318), and neither OTEL_TRACES_EXPORTER=none nor
// OTEL_SDK_DISABLED=true turns it off.
func (t TracingConfig) Enabled() bool {
	if t.Disabled || t.Exporter == "none" {
		return false
	}
	return t.Endpoint != "" || t.Exporter == "otlp"
}

// observeBindings are the environment variables of ObserveConfig.
func observeBindings() []envBinding {
	return []envBinding{
		{"MCPGATE_METRICS_ADDR", func(c *Config, v string) { c.Observe.MetricsAddr = v }},
		{"MCPGATE_AUDIT_LOG", func(c *Config, v string) { c.Observe.AuditLog = v }},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", func(c *Config, v string) {
			if c.Observe.Tracing.Endpoint == "" {
				c.Observe.Tracing.Endpoint = v
			}
		}},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", func(c *Config, v string) { c.Observe.Tracing.Endpoint = v }},
		{"OTEL_TRACES_EXPORTER", func(c *Config, v string) { c.Observe.Tracing.Exporter = strings.TrimSpace(v) }},
		{"OTEL_EXPORTER_OTLP_PROTOCOL", func(c *Config, v string) {
			if c.Observe.Tracing.Protocol == "" {
				c.Observe.Tracing.Protocol = v
			}
		}},
		{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", func(c *Config, v string) { c.Observe.Tracing.Protocol = v }},
		{"OTEL_SDK_DISABLED", func(c *Config, v string) {
			c.Observe.Tracing.Disabled = strings.EqualFold(strings.TrimSpace(v), "true")
		}},
	}
}

func (c *Config) validateObserve(p *problems) {
	if a := c.Observe.MetricsAddr; a != "" {
		if _, port, err := net.SplitHostPort(a); err != nil {
			p.add("MCPGATE_METRICS_ADDR must be host:port, such as 127.0.0.1:9090: got %q", a)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			p.add("MCPGATE_METRICS_ADDR has an invalid port: want a number from 0 to 65535, got %q", port)
		} else if a == c.Addr {
			p.add("MCPGATE_METRICS_ADDR must differ from MCPGATE_ADDR (%s): metrics get their own listener", c.Addr)
		}
	}
	if strings.TrimSpace(c.Observe.AuditLog) != c.Observe.AuditLog {
		p.add("MCPGATE_AUDIT_LOG must be stdout, stderr or a file path without surrounding spaces: got %q", c.Observe.AuditLog)
	}
	t := c.Observe.Tracing
	switch t.Exporter {
	case "", "otlp", "none":
	default:
		p.add("OTEL_TRACES_EXPORTER must be otlp or none: got %q", t.Exporter)
	}
	if t.Enabled() {
		switch t.Protocol {
		case "", "http/protobuf":
		default:
			p.add("OTEL_EXPORTER_OTLP_PROTOCOL: mcpgate exports traces over OTLP/HTTP (http/protobuf) only: got %q", t.Protocol)
		}
	}
}
