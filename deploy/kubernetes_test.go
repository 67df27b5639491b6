package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// kustomization is the part of kustomize's Kustomization that
// kubernetes/kustomization.yaml uses, decoded strictly.
type kustomization struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Labels     []struct {
		Pairs            map[string]string `yaml:"pairs"`
		IncludeSelectors bool              `yaml:"includeSelectors"`
	} `yaml:"labels"`
	Resources []string `yaml:"resources"`
	Images    []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// manifests holds every object of deploy/kubernetes, typed.
type manifests struct {
	kustomization kustomization
	deployment    *appsv1.Deployment
	statefulSets  []*appsv1.StatefulSet
	services      []*corev1.Service
	configMap     *corev1.ConfigMap
	secret        *corev1.Secret // secret.example.yaml, outside the kustomization
	pdb           *policyv1.PodDisruptionBudget
	ingresses     []*networkingv1.Ingress
}

const kubeDir = "kubernetes"

// secretTemplate is the Secret's file: a template, never applied as it is.
const secretTemplate = "secret.example.yaml"

func readManifests(t *testing.T) manifests {
	t.Helper()
	var m manifests
	raw, err := os.ReadFile(filepath.Join(kubeDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&m.kustomization); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if m.kustomization.APIVersion != "kustomize.config.k8s.io/v1beta1" || m.kustomization.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: apiVersion %q kind %q", m.kustomization.APIVersion, m.kustomization.Kind)
	}
	if slices.Contains(m.kustomization.Resources, secretTemplate) {
		t.Errorf("kustomization.yaml applies %s, a template without values", secretTemplate)
	}
	// Every manifest in the folder is either applied or the Secret template.
	entries, err := os.ReadDir(kubeDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if filepath.Ext(name) == ".yaml" && name != "kustomization.yaml" && name != secretTemplate && !slices.Contains(m.kustomization.Resources, name) {
			t.Errorf("%s/%s is not listed in kustomization.yaml resources", kubeDir, name)
		}
	}
	for _, file := range append(slices.Clone(m.kustomization.Resources), secretTemplate) {
		for i, obj := range decodeObjects(t, filepath.Join(kubeDir, file)) {
			switch o := obj.(type) {
			case *appsv1.Deployment:
				if m.deployment != nil {
					t.Fatalf("%s: a second Deployment", file)
				}
				m.deployment = o
			case *appsv1.StatefulSet:
				m.statefulSets = append(m.statefulSets, o)
			case *corev1.Service:
				m.services = append(m.services, o)
			case *corev1.ConfigMap:
				m.configMap = o
			case *corev1.Secret:
				if file != secretTemplate {
					t.Errorf("%s document %d: a Secret among the applied resources; secrets live in %s only", file, i, secretTemplate)
				}
				m.secret = o
			case *policyv1.PodDisruptionBudget:
				m.pdb = o
			case *networkingv1.Ingress:
				m.ingresses = append(m.ingresses, o)
			}
		}
	}
	if m.deployment == nil || m.configMap == nil || m.secret == nil || m.pdb == nil || len(m.ingresses) == 0 || len(m.services) == 0 {
		t.Fatalf("deploy/kubernetes must hold a Deployment, ConfigMap, Secret template, PodDisruptionBudget, Ingress and Service")
	}
	return m
}

// decodeObjects decodes every YAML document of file into its k8s.io/api
// type, rejecting unknown fields as the API server's strict field
// validation does.
func decodeObjects(t *testing.T, file string) []any {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var objs []any
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for i := 0; ; i++ {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%s document %d: %v", file, i, err)
		}
		var obj any
		switch gvk := fmt.Sprint(doc["apiVersion"], " ", doc["kind"]); gvk {
		case "apps/v1 Deployment":
			obj = &appsv1.Deployment{}
		case "apps/v1 StatefulSet":
			obj = &appsv1.StatefulSet{}
		case "v1 Service":
			obj = &corev1.Service{}
		case "v1 ConfigMap":
			obj = &corev1.ConfigMap{}
		case "v1 Secret":
			obj = &corev1.Secret{}
		case "policy/v1 PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		case "networking.k8s.io/v1 Ingress":
			obj = &networkingv1.Ingress{}
		default:
			t.Fatalf("%s document %d: %s is not a kind this test decodes; teach it (deploy/kubernetes_test.go)", file, i, gvk)
		}
		if err := strictJSON(doc, obj); err != nil {
			t.Fatalf("%s document %d (%s): %v", file, i, doc["kind"], err)
		}
		objs = append(objs, obj)
	}
}

func strictJSON(doc map[string]any, into any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		ok   bool
	}{
		{"known", `{"apiVersion":"v1","kind":"Service","spec":{"ports":[{"port":80}]}}`, true},
		{"misspelt", `{"apiVersion":"v1","kind":"Service","spec":{"prots":[{"port":80}]}}`, false},
		{"misplaced", `{"apiVersion":"v1","kind":"Service","spec":{"ports":[{"port":80,"path":"/"}]}}`, false},
	} {
		var doc map[string]any
		if err := json.Unmarshal([]byte(tc.doc), &doc); err != nil {
			t.Fatal(err)
		}
		err := strictJSON(doc, &corev1.Service{})
		if (err == nil) != tc.ok {
			t.Errorf("%s: strictJSON error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestKubernetesDeployment(t *testing.T) {
	m := readManifests(t)
	spec := dockerfileSpec(t)
	d := m.deployment
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("Deployment replicas %v, want 2", d.Spec.Replicas)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("Deployment selector %v does not match its pod labels %v (%v)", d.Spec.Selector, d.Spec.Template.Labels, err)
	}
	pod := d.Spec.Template.Spec
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("automountServiceAccountToken: want false (mcpgate never calls the Kubernetes API)")
	}
	uid, _, _ := strings.Cut(spec.user, ":")
	psc := pod.SecurityContext
	switch {
	case psc == nil:
		t.Fatalf("the pod has no securityContext")
	case psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot:
		t.Errorf("pod securityContext.runAsNonRoot: want true")
	case psc.RunAsUser == nil || strconv.FormatInt(*psc.RunAsUser, 10) != uid:
		t.Errorf("pod securityContext.runAsUser %v: want the image's USER %s", psc.RunAsUser, uid)
	case psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Errorf("pod securityContext.seccompProfile: want RuntimeDefault")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if img := m.kustomization.Images; len(img) != 1 || img[0].Name != c.Image || img[0].NewTag == "" {
		t.Errorf("container image %q: want the name that kustomization.yaml's images: sets to a tagged reference (%+v)", c.Image, img)
	}
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 ||
		(sc.Privileged != nil && *sc.Privileged) {
		t.Errorf("container securityContext %+v: want allowPrivilegeEscalation false, readOnlyRootFilesystem true, capabilities drop [ALL], none added", sc)
	}
	for name, q := range map[string]bool{
		"requests.cpu":    !c.Resources.Requests.Cpu().IsZero(),
		"requests.memory": !c.Resources.Requests.Memory().IsZero(),
		"limits.memory":   !c.Resources.Limits.Memory().IsZero(),
	} {
		if !q {
			t.Errorf("container resources.%s is not set", name)
		}
	}

	port := strings.TrimSuffix(firstOr(spec.exposed, ""), "/tcp")
	portName := ""
	for _, p := range c.Ports {
		if strconv.Itoa(int(p.ContainerPort)) == port {
			portName = p.Name
		}
	}
	if portName == "" {
		t.Fatalf("container ports %+v: want the image's EXPOSE %s, named", c.Ports, port)
	}
	for _, probe := range []struct {
		name string
		p    *corev1.Probe
		path string
	}{{"readinessProbe", c.ReadinessProbe, "/readyz"}, {"livenessProbe", c.LivenessProbe, "/healthz"}} {
		if probe.p == nil || probe.p.HTTPGet == nil || probe.p.HTTPGet.Path != probe.path || probe.p.HTTPGet.Port.String() != portName {
			t.Errorf("%s %+v: want GET %s on port %q", probe.name, probe.p, probe.path, portName)
		}
	}

	known := mcpgateVariables(t)
	for _, e := range c.Env {
		if !known[e.Name] {
			t.Errorf("container env %s: not a variable mcpgate reads (../.env.example)", e.Name)
		}
		if e.Name == "MCPGATE_ADDR" && e.Value != net.JoinHostPort("0.0.0.0", port) {
			t.Errorf("MCPGATE_ADDR=%s: want 0.0.0.0:%s, the container port", e.Value, port)
		}
	}
	var fromConfigMap, fromSecret bool
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil && ef.ConfigMapRef.Name == m.configMap.Name {
			fromConfigMap = true
		}
		if ef.SecretRef != nil && ef.SecretRef.Name == m.secret.Name {
			fromSecret = true
		}
	}
	if !fromConfigMap || !fromSecret {
		t.Errorf("container envFrom %+v: want the ConfigMap %q and the Secret %q", c.EnvFrom, m.configMap.Name, m.secret.Name)
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || *g <= 20 {
		t.Errorf("terminationGracePeriodSeconds %v: want more than serve's 20 s drain", g)
	}
}

func TestKubernetesSettings(t *testing.T) {
	m := readManifests(t)
	known := mcpgateVariables(t)
	for k := range m.configMap.Data {
		if !known[k] {
			t.Errorf("ConfigMap key %s: not a variable mcpgate reads (../.env.example)", k)
		}
		if strings.Contains(k, "SECRET") {
			t.Errorf("ConfigMap key %s: secrets belong in the Secret", k)
		}
	}
	if len(m.secret.Data) > 0 {
		t.Errorf("the Secret template has data:; use stringData with empty values")
	}
	if _, ok := m.secret.StringData["MCPGATE_SECRET"]; !ok {
		t.Errorf("the Secret template lacks MCPGATE_SECRET, which Redis requires")
	}
	for k, v := range m.secret.StringData {
		if !known[k] {
			t.Errorf("Secret key %s: not a variable mcpgate reads (../.env.example)", k)
		}
		if v != "" {
			t.Errorf("Secret template key %s has a value; a template holds none", k)
		}
	}

	public, err := url.Parse(m.configMap.Data["MCPGATE_PUBLIC_URL"])
	if err != nil || public.Scheme != "https" {
		t.Fatalf("ConfigMap MCPGATE_PUBLIC_URL %q: want https://", m.configMap.Data["MCPGATE_PUBLIC_URL"])
	}
	for _, in := range m.ingresses {
		ing := in.Spec
		if len(ing.Rules) != 1 || ing.Rules[0].Host != public.Hostname() {
			t.Errorf("Ingress %s rules %+v: want one rule for MCPGATE_PUBLIC_URL's host %s", in.Name, ing.Rules, public.Hostname())
		}
		if len(ing.TLS) != 1 || !slices.Equal(ing.TLS[0].Hosts, []string{public.Hostname()}) {
			t.Errorf("Ingress %s tls %+v: want TLS for %s", in.Name, ing.TLS, public.Hostname())
		}
	}

	redisURL, err := url.Parse(m.configMap.Data["MCPGATE_REDIS_URL"])
	if err != nil || (redisURL.Scheme != "redis" && redisURL.Scheme != "rediss") {
		t.Fatalf("ConfigMap MCPGATE_REDIS_URL %q: want redis:// or rediss://", m.configMap.Data["MCPGATE_REDIS_URL"])
	}
	if len(m.statefulSets) == 1 {
		checkRedis(t, m, redisURL)
	} else if len(m.statefulSets) > 1 {
		t.Errorf("%d StatefulSets, want at most the one Redis", len(m.statefulSets))
	}
}

// checkRedis checks the bundled Redis: persistent, and the one
// MCPGATE_REDIS_URL names.
func checkRedis(t *testing.T, m manifests, redisURL *url.URL) {
	t.Helper()
	ss := m.statefulSets[0]
	if ss.Spec.ServiceName != redisURL.Hostname() || serviceNamed(m, ss.Spec.ServiceName) == nil {
		t.Errorf("Redis StatefulSet serviceName %q: want the Service MCPGATE_REDIS_URL names, %q", ss.Spec.ServiceName, redisURL.Hostname())
	}
	c := ss.Spec.Template.Spec.Containers[0]
	if i := slices.Index(c.Args, "--appendonly"); i < 0 || i+1 >= len(c.Args) || c.Args[i+1] != "yes" {
		t.Errorf("Redis args %q: want --appendonly yes", c.Args)
	}
	if len(ss.Spec.VolumeClaimTemplates) != 1 || !slices.ContainsFunc(c.VolumeMounts, func(v corev1.VolumeMount) bool {
		return v.Name == ss.Spec.VolumeClaimTemplates[0].Name && v.MountPath == "/data"
	}) {
		t.Errorf("Redis: want a volume claim template mounted at /data")
	}
	if psc := ss.Spec.Template.Spec.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("Redis pod: want runAsNonRoot")
	}
}

func serviceNamed(m manifests, name string) *corev1.Service {
	for _, s := range m.services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// TestKubernetesRouting: the Service, PodDisruptionBudget and Ingress all
// reach the Deployment's pods.
func TestKubernetesRouting(t *testing.T) {
	m := readManifests(t)
	podLabels := labels.Set(m.deployment.Spec.Template.Labels)
	svc := serviceNamed(m, m.deployment.Name)
	if svc == nil {
		t.Fatalf("no Service named %q", m.deployment.Name)
	}
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service selector %v does not match the pods' labels %v", svc.Spec.Selector, podLabels)
	}
	containerPorts := map[string]bool{}
	for _, p := range m.deployment.Spec.Template.Spec.Containers[0].Ports {
		containerPorts[p.Name] = true
	}
	for _, p := range svc.Spec.Ports {
		if !containerPorts[p.TargetPort.String()] {
			t.Errorf("Service port %s targets %q, not a named container port", p.Name, p.TargetPort.String())
		}
	}

	pdbSel, err := metav1.LabelSelectorAsSelector(m.pdb.Spec.Selector)
	if err != nil || pdbSel.Empty() || !pdbSel.Matches(podLabels) {
		t.Errorf("PodDisruptionBudget selector %v does not match the pods' labels %v (%v)", m.pdb.Spec.Selector, podLabels, err)
	}
	if ma := m.pdb.Spec.MinAvailable; ma == nil || ma.IntValue() < 1 || int32(ma.IntValue()) >= *m.deployment.Spec.Replicas {
		t.Errorf("PodDisruptionBudget minAvailable %v: want at least 1 and fewer than the %d replicas (else a drain blocks)", ma, *m.deployment.Spec.Replicas)
	}

	routes := map[string]*networkingv1.Ingress{} // "Prefix /", "Exact /sse" → its Ingress
	for _, in := range m.ingresses {
		for _, rule := range in.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				b := p.Backend.Service
				if b == nil || b.Name != svc.Name || !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
					return sp.Name == b.Port.Name || sp.Port == b.Port.Number
				}) {
					t.Errorf("Ingress %s path %s: backend %+v is not a port of Service %s", in.Name, p.Path, b, svc.Name)
				}
				if p.PathType == nil {
					t.Errorf("Ingress %s path %s: no pathType", in.Name, p.Path)
					continue
				}
				routes[string(*p.PathType)+" "+p.Path] = in
			}
		}
	}
	if routes["Prefix /"] == nil {
		t.Errorf("Ingress routes %v: want / as a Prefix (discovery, /authorize, /mcp … all go to mcpgate)", mapKeys(routes))
	}
	sse := routes["Exact /sse"]
	if sse == nil || sse.Annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] == "" || sse == routes["Prefix /"] {
		t.Errorf("Ingress routes %v: want /sse (Exact) in its own Ingress with upstream-hash-by: a legacy SSE stream lives in one pod, and its POSTs must reach it", mapKeys(routes))
	}
	if len(routes) != 2 {
		t.Errorf("Ingress routes %v: want exactly / and /sse", mapKeys(routes))
	}
}
