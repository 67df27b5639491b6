package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// RedisConfig selects a Redis deployment: a standalone server by URL, a
// Sentinel-managed primary, or a Cluster. At most one may be set; none means
// the in-memory store.
type RedisConfig struct {
	// URL is a redis:// or rediss:// URL (go-redis ParseURL syntax). It is a
	// Secret because it may carry a password. MCPGATE_REDIS_URL.
	URL Secret `yaml:"url"`
	// Sentinel is a Sentinel-managed primary.
	Sentinel SentinelConfig `yaml:"sentinel"`
	// Cluster is a Redis Cluster.
	Cluster ClusterConfig `yaml:"cluster"`
	// TLS enables TLS for Sentinel and Cluster connections. A URL selects TLS
	// with its scheme (rediss://) instead.
	TLS bool `yaml:"tls"`
}

// SentinelConfig is a Sentinel-managed Redis primary.
type SentinelConfig struct {
	// MasterName is the name the sentinels know the primary by.
	MasterName string `yaml:"master_name"`
	// Addrs are the sentinels' host:port addresses.
	Addrs []string `yaml:"addrs"`
	// Username and Password authenticate to the Redis servers.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// SentinelPassword authenticates to the sentinels themselves.
	SentinelPassword Secret `yaml:"sentinel_password"`
}

// ClusterConfig is a Redis Cluster.
type ClusterConfig struct {
	// Addrs are host:port addresses of some cluster nodes (seeds).
	Addrs []string `yaml:"addrs"`
	// Username and Password authenticate to the cluster nodes.
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

// UsesRedis reports whether any Redis setting is present (URL, Sentinel or
// Cluster); otherwise the store is in memory.
func (c *Config) UsesRedis() bool {
	return !c.Redis.URL.IsZero() || c.Redis.Sentinel.set() || c.Redis.Cluster.set()
}

func (s SentinelConfig) set() bool {
	return s.MasterName != "" || len(s.Addrs) > 0 || s.Username != "" || !s.Password.IsZero() || !s.SentinelPassword.IsZero()
}

func (c ClusterConfig) set() bool {
	return len(c.Addrs) > 0 || c.Username != "" || !c.Password.IsZero()
}

// RedisUniversalOptions returns the options for redis.NewUniversalClient,
// for whichever Redis deployment is configured (call Validate first):
//   - URL: redis.ParseURL's options, copied field by field (go-redis has no
//     URL parser for UniversalOptions); NewUniversalClient then builds a
//     plain client for the single address. Every query parameter ParseURL
//     accepts has a UniversalOptions field, so nothing is lost.
//   - Sentinel: MasterName, sentinel Addrs, credentials; NewUniversalClient
//     builds a failover client.
//   - Cluster: IsClusterMode with the seed Addrs; NewUniversalClient builds a
//     cluster client even for a single seed.
//
// It fails when no Redis is configured.
func (c *Config) RedisUniversalOptions() (*redis.UniversalOptions, error) {
	r := c.Redis
	var tlsConfig *tls.Config
	if r.TLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch {
	case !r.URL.IsZero():
		if _, err := url.Parse(r.URL.Reveal()); err != nil {
			return nil, errors.New("MCPGATE_REDIS_URL is not a valid URL") // url's error would echo a password
		}
		o, err := redis.ParseURL(r.URL.Reveal())
		if err != nil {
			return nil, fmt.Errorf("MCPGATE_REDIS_URL: %w", err)
		}
		if o.Network != "tcp" {
			return nil, errors.New("MCPGATE_REDIS_URL must be a redis:// or rediss:// URL")
		}
		return &redis.UniversalOptions{
			Addrs:                   []string{o.Addr},
			ClientName:              o.ClientName,
			DB:                      o.DB,
			Protocol:                o.Protocol,
			Username:                o.Username,
			Password:                o.Password,
			MaxRetries:              o.MaxRetries,
			MinRetryBackoff:         o.MinRetryBackoff,
			MaxRetryBackoff:         o.MaxRetryBackoff,
			DialTimeout:             o.DialTimeout,
			ReadTimeout:             o.ReadTimeout,
			WriteTimeout:            o.WriteTimeout,
			PoolFIFO:                o.PoolFIFO,
			PoolSize:                o.PoolSize,
			PoolTimeout:             o.PoolTimeout,
			MinIdleConns:            o.MinIdleConns,
			MaxIdleConns:            o.MaxIdleConns,
			MaxActiveConns:          o.MaxActiveConns,
			MaxConcurrentDials:      o.MaxConcurrentDials,
			PipelinePoolSize:        o.PipelinePoolSize,
			PipelineReadBufferSize:  o.PipelineReadBufferSize,
			PipelineWriteBufferSize: o.PipelineWriteBufferSize,
			ConnMaxIdleTime:         o.ConnMaxIdleTime,
			ConnMaxLifetime:         o.ConnMaxLifetime,
			ConnMaxLifetimeJitter:   o.ConnMaxLifetimeJitter,
			TLSConfig:               o.TLSConfig,
		}, nil
	case r.Sentinel.set():
		return &redis.UniversalOptions{
			MasterName:       r.Sentinel.MasterName,
			Addrs:            slices.Clone(r.Sentinel.Addrs),
			Username:         r.Sentinel.Username,
			Password:         r.Sentinel.Password.Reveal(),
			SentinelPassword: r.Sentinel.SentinelPassword.Reveal(),
			TLSConfig:        tlsConfig,
		}, nil
	case r.Cluster.set():
		return &redis.UniversalOptions{
			Addrs:         slices.Clone(r.Cluster.Addrs),
			IsClusterMode: true,
			Username:      r.Cluster.Username,
			Password:      r.Cluster.Password.Reveal(),
			TLSConfig:     tlsConfig,
		}, nil
	default:
		return nil, errors.New("no Redis is configured: set MCPGATE_REDIS_URL, redis.sentinel or redis.cluster")
	}
}

// RedisClient connects to the configured Redis deployment with
// RedisUniversalOptions. go-redis dials lazily: no network I/O happens here.
func (c *Config) RedisClient() (redis.UniversalClient, error) {
	opts, err := c.RedisUniversalOptions()
	if err != nil {
		return nil, err
	}
	return redis.NewUniversalClient(opts), nil
}

// StoreKind names the configured store for logs.
func (c *Config) StoreKind() string {
	switch {
	case !c.Redis.URL.IsZero():
		return "redis"
	case c.Redis.Sentinel.set():
		return "redis-sentinel"
	case c.Redis.Cluster.set():
		return "redis-cluster"
	default:
		return "memory"
	}
}

// redisTarget describes where Redis is, without credentials.
func (c *Config) redisTarget() string {
	switch {
	case !c.Redis.URL.IsZero():
		u, err := url.Parse(c.Redis.URL.Reveal())
		if err != nil {
			return redacted
		}
		u.User = nil
		u.RawQuery = ""
		return u.String()
	case c.Redis.Sentinel.set():
		return c.Redis.Sentinel.MasterName + "@" + strings.Join(c.Redis.Sentinel.Addrs, ",")
	case c.Redis.Cluster.set():
		return strings.Join(c.Redis.Cluster.Addrs, ",")
	default:
		return ""
	}
}

func (c *Config) validateRedis(p *problems) {
	r := c.Redis
	modes := 0
	for _, set := range []bool{!r.URL.IsZero(), r.Sentinel.set(), r.Cluster.set()} {
		if set {
			modes++
		}
	}
	if modes > 1 {
		p.add("set only one of MCPGATE_REDIS_URL, redis.sentinel and redis.cluster")
	}
	if !r.URL.IsZero() {
		c.validateRedisURL(p)
		if r.TLS {
			p.add("redis.tls applies to redis.sentinel and redis.cluster: for MCPGATE_REDIS_URL use the rediss:// scheme")
		}
	}
	if r.Sentinel.set() {
		p.table([]check{
			{r.Sentinel.MasterName == "", "redis.sentinel.master_name is empty: set the name the sentinels know the primary by (often mymaster)"},
			{len(r.Sentinel.Addrs) == 0, "redis.sentinel.addrs is empty: list the sentinels as host:port (usually port 26379)"},
		})
		validateAddrs(p, "redis.sentinel.addrs", r.Sentinel.Addrs)
	}
	if r.Cluster.set() {
		if len(r.Cluster.Addrs) == 0 {
			p.add("redis.cluster.addrs is empty: list some cluster nodes as host:port")
		}
		validateAddrs(p, "redis.cluster.addrs", r.Cluster.Addrs)
	}
	if r.TLS && !r.Sentinel.set() && !r.Cluster.set() && r.URL.IsZero() {
		p.add("redis.tls is set but neither redis.sentinel nor redis.cluster is configured")
	}
}

// validateRedisURL checks MCPGATE_REDIS_URL without ever quoting it: it may
// hold a password.
func (c *Config) validateRedisURL(p *problems) {
	raw := c.Redis.URL.Reveal()
	u, err := url.Parse(raw)
	if err != nil {
		p.add("MCPGATE_REDIS_URL is not a valid URL: use redis://[user:password@]host:port[/db] or rediss://… for TLS")
		return
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		p.add("MCPGATE_REDIS_URL must start with redis:// or rediss:// (TLS): got scheme %q", u.Scheme)
		return
	}
	if u.Host == "" {
		p.add("MCPGATE_REDIS_URL has no host: use redis://host:6379")
		return
	}
	if _, err := redis.ParseURL(raw); err != nil {
		p.add("MCPGATE_REDIS_URL is invalid: %v", err) // ParseURL's own messages name the part, not the password
		return
	}
	if v := u.Query().Get("skip_verify"); v != "" && v != "false" && v != "0" {
		p.add("MCPGATE_REDIS_URL must not disable TLS certificate verification (skip_verify)")
	}
}

func validateAddrs(p *problems, key string, addrs []string) {
	for i, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" {
			p.add("%s entry %d must be host:port: got %q", key, i+1, a)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			p.add("%s entry %d has an invalid port: got %q", key, i+1, a)
		}
	}
}

// StoreTarget is where the Redis store is, without credentials or query
// ("" for the in-memory store), for `mcpgate check` and logs.
func (c *Config) StoreTarget() string { return c.redisTarget() }
