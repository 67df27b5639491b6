// Package deploy holds no code: its tests check the deployment artefacts an
// operator runs — the container image described by ../Dockerfile, the
// compose stack (compose.yaml, Caddyfile), the Kubernetes manifests
// (kubernetes/) and the systemd unit (systemd/mcpgate.service) — on a
// machine that can neither pull base images, run containers nor reach a
// cluster.
//
//   - The image: the test builds the binary with the Dockerfile's own
//     `go build` line, assembles a FROM-scratch variant of the final stage
//     as an OCI image with go-containerregistry (as ko does: one layer with
//     the binary, the build machine's CA bundle and an /etc/passwd naming
//     the non-root user; a config with the Dockerfile's USER, ENV, EXPOSE,
//     ENTRYPOINT and CMD), writes it as an OCI image layout, reads it back,
//     checks its filesystem and config, and runs the binary taken out of it
//     with the image's environment: 200 from /healthz, and from /mcp the
//     401 challenge of RFC 9728 §5.1 / RFC 6750 §3.
//   - compose.yaml is decoded strictly and the Caddyfile adapted to JSON by
//     Caddy's own parser (`caddy adapt`: no network, no server), then both
//     are checked for the invariants of the several-replicas story: Redis
//     with append-only persistence, two replicas reading one env file (so
//     one MCPGATE_SECRET), TLS at Caddy for the public host with active
//     health checks on /readyz, legacy /sse pinned to one replica.
//   - The Kubernetes manifests are decoded strictly into the k8s.io/api
//     types (an unknown or misspelt field fails), then checked: probes,
//     security context, PodDisruptionBudget and Service selectors against
//     the Deployment's labels, and environment names against the ones
//     mcpgate reads (../.env.example lists every one).
//   - The systemd unit is parsed and its hardening options checked.
//
// Each check reads the value it compares with from the artefact that
// defines it (the port from EXPOSE, the user from USER, the variable names
// from .env.example), so that the artefacts cannot drift apart silently.
package deploy
