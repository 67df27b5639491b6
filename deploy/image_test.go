package deploy_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// caBundle is where Debian (the build machine, and distroless) keeps the
// CA certificates; Go's crypto/x509 reads it there on Linux.
const caBundle = "/etc/ssl/certs/ca-certificates.crt"

// testVersion is what the test passes for the Dockerfile's ${VERSION}.
const testVersion = "imagecheck"

// TestImage builds the FROM-scratch variant of ../Dockerfile's image, writes
// it as an OCI image layout (MCPGATE_IMAGE_LAYOUT=DIR keeps it, e.g. for
// `skopeo copy oci:DIR docker-daemon:mcpgate:scratch`), reads it back,
// checks its filesystem and config, and runs the binary taken out of it.
func TestImage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("the image is a linux image; run this test on linux (GOOS=%s)", runtime.GOOS)
	}
	spec := dockerfileSpec(t)
	binary := buildLikeDockerfile(t, spec)

	dir := os.Getenv("MCPGATE_IMAGE_LAYOUT")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "oci")
	}
	writeImageLayout(t, dir, assembleImage(t, spec, binary))
	img := readImageLayout(t, dir)

	// The config, as a runtime would read it.
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	mt, err := img.MediaType()
	if err != nil || mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %q (%v): want %s", mt, err, types.OCIManifestSchema1)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s: want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	c := cf.Config
	if c.User != spec.user {
		t.Errorf("User %q: want the Dockerfile's USER %q", c.User, spec.user)
	}
	if !slices.Equal(c.Entrypoint, spec.entrypoint) || !slices.Equal(c.Cmd, spec.cmd) {
		t.Errorf("Entrypoint %q Cmd %q: want the Dockerfile's %q %q", c.Entrypoint, c.Cmd, spec.entrypoint, spec.cmd)
	}
	var ports []string
	for p := range c.ExposedPorts {
		ports = append(ports, p)
	}
	if !slices.Equal(ports, spec.exposed) {
		t.Errorf("ExposedPorts %q: want the Dockerfile's EXPOSE %q", ports, spec.exposed)
	}
	for _, kv := range spec.env {
		if !slices.Contains(c.Env, kv) {
			t.Errorf("Env %q lacks the Dockerfile's ENV %s", c.Env, kv)
		}
	}

	// The filesystem.
	files := imageFiles(t, img)
	uid, _, _ := strings.Cut(c.User, ":")
	if name := passwdName(files["etc/passwd"].body, uid); name == "" || uid == "0" {
		t.Errorf("User %q: want a non-root uid listed in /etc/passwd (got name %q)", c.User, name)
	}
	pool := x509.NewCertPool()
	if ca, ok := files[strings.TrimPrefix(caBundle, "/")]; !ok || !pool.AppendCertsFromPEM(ca.body) {
		t.Errorf("%s: missing or holds no certificate (mcpgate reaches GitHub, Google and OIDC issuers over TLS)", caBundle)
	}
	entry := strings.TrimPrefix(firstOr(c.Entrypoint, ""), "/")
	bin, ok := files[entry]
	switch {
	case !ok:
		t.Fatalf("Entrypoint %q is not in the image (files: %v)", c.Entrypoint, mapKeys(files))
	case bin.hdr.Typeflag != tar.TypeReg || bin.hdr.Mode&0o111 == 0:
		t.Errorf("/%s: type %c mode %o: want an executable regular file", entry, bin.hdr.Typeflag, bin.hdr.Mode)
	case bin.hdr.Uid != 0 || bin.hdr.Mode&0o022 != 0:
		t.Errorf("/%s: owner %d mode %o: want owned by root and writable by no one else (the server runs as %s)", entry, bin.hdr.Uid, bin.hdr.Mode, c.User)
	}
	extracted := filepath.Join(t.TempDir(), path.Base(entry))
	if err := os.WriteFile(extracted, bin.body, 0o755); err != nil {
		t.Fatal(err)
	}
	checkStatic(t, extracted)
	runImageBinary(t, extracted, c)
}

// buildLikeDockerfile runs the Dockerfile's own `go build` line (its
// environment and flags, ${VERSION}=imagecheck) for linux, writing the
// binary to a temporary folder, and returns its bytes.
func buildLikeDockerfile(t *testing.T, spec imageSpec) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "mcpgate")
	args := slices.Clone(spec.buildArgs)
	for i := range args {
		if i > 0 && args[i-1] == "-o" {
			args[i] = out
			continue
		}
		args[i] = expand(t, args[i], map[string]string{"VERSION": testVersion})
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not in PATH: %v", err)
	}
	cmd := exec.Command(goTool, args...)
	cmd.Dir = ".." // the Dockerfile's WORKDIR holds the whole module
	cmd.Env = append(append(os.Environ(), spec.buildEnv...), "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assembleImage is what ko does for a static Go binary: one layer on an
// empty base with the binary, the CA bundle, /etc/passwd and /etc/group
// naming the non-root user, /tmp; a config from the Dockerfile's final
// stage.
func assembleImage(t *testing.T, spec imageSpec, binary []byte) v1.Image {
	t.Helper()
	ca, err := os.ReadFile(caBundle)
	if err != nil {
		t.Fatalf("the image carries the build machine's CA bundle: %v (install Debian's ca-certificates; scripts/test does)", err)
	}
	uid, gid, ok := strings.Cut(spec.user, ":")
	if !ok {
		gid = uid
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	add := func(name string, mode int64, body []byte) {
		typ := byte(tar.TypeReg)
		if strings.HasSuffix(name, "/") {
			typ = tar.TypeDir
		}
		hdr := &tar.Header{Name: name, Typeflag: typ, Mode: mode, Size: int64(len(body)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	add("etc/", 0o755, nil)
	add("etc/passwd", 0o644, fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n", uid, gid))
	add("etc/group", 0o644, fmt.Appendf(nil, "root:x:0:\nnonroot:x:%s:\n", gid))
	add("etc/ssl/", 0o755, nil)
	add("etc/ssl/certs/", 0o755, nil)
	add(strings.TrimPrefix(caBundle, "/"), 0o644, ca)
	add("home/", 0o755, nil)
	add("tmp/", 0o1777, nil)
	add(strings.TrimPrefix(firstOr(spec.entrypoint, ""), "/"), 0o755, binary)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layerBytes := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.User = spec.user
	cf.Config.Entrypoint = spec.entrypoint
	cf.Config.Cmd = spec.cmd
	cf.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, spec.env...)
	cf.Config.ExposedPorts = map[string]struct{}{}
	for _, p := range spec.exposed {
		cf.Config.ExposedPorts[p] = struct{}{}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func writeImageLayout(t *testing.T, dir string, img v1.Image) {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": "mcpgate:" + testVersion,
	})); err != nil {
		t.Fatal(err)
	}
}

// readImageLayout opens the layout's only image, as a runtime would.
func readImageLayout(t *testing.T, dir string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("%s/index.json lists %d manifests, want 1", dir, len(m.Manifests))
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

type imageFile struct {
	hdr  *tar.Header
	body []byte
}

// imageFiles flattens the image's layers into its filesystem.
func imageFiles(t *testing.T, img v1.Image) map[string]imageFile {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]imageFile{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")] = imageFile{hdr: hdr, body: body}
	}
}

// passwdName returns the user name of uid in an /etc/passwd file.
func passwdName(passwd []byte, uid string) string {
	for line := range strings.SplitSeq(string(passwd), "\n") {
		f := strings.Split(line, ":")
		if len(f) == 7 && f[2] == uid {
			return f[0]
		}
	}
	return ""
}

func mapKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkStatic fails unless the ELF file needs no dynamic loader and no
// shared library: an image without libc can run it.
func checkStatic(t *testing.T, file string) {
	t.Helper()
	f, err := elf.Open(file)
	if err != nil {
		t.Fatalf("the entrypoint is not an ELF binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary has a PT_INTERP program header: it needs a dynamic loader (build with CGO_ENABLED=0)")
		}
	}
	needed, err := f.DynString(elf.DT_NEEDED)
	if err != nil {
		t.Fatal(err)
	}
	if len(needed) > 0 {
		t.Errorf("the binary needs shared libraries %q", needed)
	}
}

// runImageBinary runs the binary as the image would (entrypoint, command,
// the image's environment) with two changes a `docker run -e` would make:
// MCPGATE_ADDR on a free loopback port instead of 0.0.0.0:8080, and the
// settings every deployment supplies (public URL, GitHub credentials; the
// in-memory store). It checks /healthz, /readyz and the 401 from /mcp, then
// stops it with SIGTERM, as a container runtime does.
func runImageBinary(t *testing.T, binary string, c v1.Config) {
	t.Helper()
	port := freePort(t)
	publicURL := "http://localhost:" + port
	var env []string
	for _, kv := range c.Env {
		if !strings.HasPrefix(kv, "MCPGATE_ADDR=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"MCPGATE_ADDR=127.0.0.1:"+port,
		"MCPGATE_PUBLIC_URL="+publicURL,
		"GITHUB_CLIENT_ID=Iv1.imagecheck",
		"GITHUB_CLIENT_SECRET=imagecheck-secret-not-real",
	)
	var stderr syncBuffer                 // written by exec's copying goroutine while the test reads it
	cmd := exec.Command(binary, c.Cmd...) // Entrypoint is the binary itself
	cmd.Env = env
	cmd.Dir = t.TempDir() // no .env here
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := "http://127.0.0.1:" + port
	for {
		resp, err := get(ctx, base+"/healthz")
		if err == nil && resp.StatusCode == http.StatusOK {
			break
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("the image's binary exited before serving (%v); its output:\n%s", err, stderr.String())
		case <-ctx.Done():
			t.Fatalf("GET /healthz did not answer 200 within 60s (last: %v); output:\n%s", describe(resp, err), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if resp, err := get(ctx, base+"/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz: %s, want 200", describe(resp, err))
	}
	resp, err := get(ctx, base+"/mcp")
	if err != nil {
		t.Fatal(err)
	}
	challenge := resp.Header.Get("WWW-Authenticate")
	wantMeta := fmt.Sprintf(`resource_metadata="%s/.well-known/oauth-protected-resource/mcp"`, publicURL)
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(challenge, "Bearer ") || !strings.Contains(challenge, wantMeta) {
		t.Errorf("GET /mcp without a token: %d, WWW-Authenticate %q; want 401 with a Bearer challenge naming %s", resp.StatusCode, challenge, wantMeta)
	}
	if !strings.Contains(stderr.String(), testVersion) {
		t.Errorf("the start-up log does not name the version set by the Dockerfile's -ldflags (%q):\n%s", testVersion, stderr.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("after SIGTERM the binary exited with %v, want 0; output:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the binary did not exit within 30s of SIGTERM (a container runtime kills it after its grace period); output:\n%s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func get(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

func describe(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	if resp == nil {
		return "no response"
	}
	return resp.Status
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
