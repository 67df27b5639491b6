package config

import (
	"fmt"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestRedisOptions(t *testing.T) {
	tests := []struct {
		name    string
		redis   RedisConfig
		check   func(t *testing.T, c *Config)
		wantErr bool
	}{
		{
			name:  "url",
			redis: RedisConfig{URL: NewSecret("redis://user:pw@redis.example.com:6390/3?dial_timeout=2s&pool_size=7&client_name=mcpgate")},
			check: func(t *testing.T, c *Config) {
				o := mustRedisOptions(t, c)
				got := fmt.Sprintf("%v %d %s %s %v %d %s %v %v", o.Addrs, o.DB, o.Username, o.Password, o.DialTimeout, o.PoolSize, o.ClientName, o.TLSConfig == nil, o.IsClusterMode)
				if want := "[redis.example.com:6390] 3 user pw 2s 7 mcpgate true false"; got != want {
					t.Errorf("options = %s, want %s", got, want)
				}
			},
		},
		{
			name:  "rediss",
			redis: RedisConfig{URL: NewSecret("rediss://redis.example.com")},
			check: func(t *testing.T, c *Config) {
				o := mustRedisOptions(t, c)
				if o.TLSConfig == nil || o.TLSConfig.ServerName != "redis.example.com" || o.Addrs[0] != "redis.example.com:6379" {
					t.Errorf("rediss options: addrs %v, TLS %+v", o.Addrs, o.TLSConfig)
				}
			},
		},
		{
			name: "sentinel",
			redis: RedisConfig{TLS: true, Sentinel: SentinelConfig{
				MasterName: "mymaster", Addrs: []string{"s1:26379", "s2:26379"},
				Username: "u", Password: NewSecret("pw"), SentinelPassword: NewSecret("spw"),
			}},
			check: func(t *testing.T, c *Config) {
				o := mustRedisOptions(t, c)
				if o.MasterName != "mymaster" || !slices.Equal(o.Addrs, []string{"s1:26379", "s2:26379"}) ||
					o.Username != "u" || o.Password != "pw" || o.SentinelPassword != "spw" || o.TLSConfig == nil || o.IsClusterMode {
					t.Errorf("sentinel options = %+v", o)
				}
			},
		},
		{
			name:  "cluster",
			redis: RedisConfig{Cluster: ClusterConfig{Addrs: []string{"c1:6379"}, Username: "u", Password: NewSecret("pw")}},
			check: func(t *testing.T, c *Config) {
				o := mustRedisOptions(t, c)
				if !o.IsClusterMode || !slices.Equal(o.Addrs, []string{"c1:6379"}) || o.Username != "u" || o.Password != "pw" || o.TLSConfig != nil || o.MasterName != "" {
					t.Errorf("cluster options = %+v", o)
				}
			},
		},
		{name: "none", wantErr: true},
		{name: "unix socket", redis: RedisConfig{URL: NewSecret("unix:///tmp/redis.sock")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Redis = tt.redis
			if got, want := cfg.UsesRedis(), tt.name != "none"; got != want {
				t.Errorf("UsesRedis = %v, want %v", got, want)
			}
			if tt.wantErr {
				if _, err := cfg.RedisUniversalOptions(); err == nil {
					t.Error("RedisUniversalOptions succeeded")
				}
				if _, err := cfg.RedisClient(); err == nil {
					t.Error("RedisClient succeeded")
				}
				return
			}
			tt.check(t, cfg)
			client, err := cfg.RedisClient()
			if err != nil {
				t.Fatal(err)
			}
			if err := client.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func mustRedisOptions(t *testing.T, c *Config) *redis.UniversalOptions {
	t.Helper()
	o, err := c.RedisUniversalOptions()
	if err != nil {
		t.Fatal(err)
	}
	return o
}
