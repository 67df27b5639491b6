// Package config owns mcpgate's configuration: the Config type, its
// built-in defaults (Default), loading it from the environment, a .env file
// (LoadDotEnv) and a strict YAML file (Load), validation that reports every
// problem at once (Validate, ValidationError), and redaction (Secret, and
// Config.LogValue for the start-up log). It knows the settings of every
// other package but builds nothing from them beyond values those packages
// take (handlers.Limits, allow.Rules, Redis client options); wiring them
// into a running server is cmd/mcpgate's job.
//
// Configuration comes from three layers. Precedence: environment variables
// override the YAML file, which overrides the built-in defaults (Default).
// An environment variable that is empty counts as unset, so it never
// clears a value from the file. Load builds the layers; Validate checks the
// result and reports every problem at once, each naming the environment
// variable or YAML key to fix.
//
// The code is split by concern: yaml.go decodes the strict YAML and
// expands ${NAME}, env.go binds the environment variables, dotenv.go reads
// .env, validate.go holds Validate, secret.go the redacting Secret, and
// redis.go the Redis section and its client options; the providers,
// allow, mcp, limits and tools sections have files of their own
// (providers.go, mcp.go, limits.go, tools.go), and so do the access token
// policies of tokens.policies (policies.go: the YAML rules, their checks,
// and TokenRules, which adds the built-in claude rule unless an entry of
// that name replaces or disables it). The rules shared with the providers themselves (a
// provider name, a domain name) come from package upstream, so a name the
// configuration accepts is one the providers accept.
package config
