package charts

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	queryName     = "lf-lakesoul-flight"
	compactorName = "lf-lakesoul-flight-compactor"
)

func TestLint(t *testing.T) {
	for _, tc := range []struct{ name, values string }{
		{"default", ""},
		{"production", chartDir + "/values-production.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"lint", "--strict", chartDir}
			if tc.values != "" {
				args = append(args, "-f", tc.values)
			}
			if out, err := runHelm(t, args...); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}

// chartCase is one set of values and what the rendered chart must hold.
type chartCase struct {
	name      string
	args      []string
	replicas  int
	compactor int  // compactor replicas; 0: none
	bundled   bool // etcd and MinIO StatefulSets
	pdb       bool
}

var chartCases = []chartCase{
	{name: "default", replicas: 2, compactor: 1, bundled: true, pdb: true},
	{name: "production", args: []string{"-f", chartDir + "/values-production.yaml"}, replicas: 3, compactor: 2, pdb: true},
	{name: "no compactor", args: []string{"--set", "compactor.enabled=false"}, replicas: 2, bundled: true, pdb: true},
	{name: "one replica", args: []string{"--set", "replicaCount=1"}, replicas: 1, compactor: 1, bundled: true},
	{name: "users file and TLS", args: []string{"--set", "auth.usersFile.existingSecret=users,tls.existingSecret=tls,tls.clientCAKey=ca.crt,replicaCount=4,shutdownTimeoutSeconds=90",
		"--set", "etcdBundled.enabled=false,etcd.endpoints={https://e1:2379},etcd.tls.enabled=true,etcd.tls.existingSecret=etcd-tls,etcd.auth.existingSecret=etcd-auth",
		"--set", "minioBundled.enabled=false,warehouse.uri=s3://b/p,s3.endpoint=s3.local:9000,s3.existingSecret=s3,compactor.replicaCount=3"},
		replicas: 4, compactor: 3, pdb: true},
}

func TestRender(t *testing.T) {
	for _, tc := range chartCases {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.args...)
			checkWorkloads(t, objs)
			checkQuery(t, objs, tc)
			checkCompactor(t, objs, tc)
			checkCredentials(t, objs)
			checkServices(t, objs)
			for _, name := range []string{queryName + "-etcd", queryName + "-minio"} {
				if got := find(objs, "StatefulSet", name) != nil; got != tc.bundled {
					t.Errorf("StatefulSet %s present: %v, want %v", name, got, tc.bundled)
				}
			}
		})
	}
}

// checkWorkloads: every container of every Deployment and StatefulSet has
// probes and resources; every pod runs as non-root.
func checkWorkloads(t *testing.T, objs []object) {
	t.Helper()
	workloads := ofKind(objs, "Deployment", "StatefulSet")
	if len(workloads) == 0 {
		t.Fatal("no workloads rendered")
	}
	for _, w := range workloads {
		if get(w, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
			t.Errorf("%s %s: pods may run as root", w.kind(), w.name())
		}
		for _, c := range containers(w, false) {
			id := fmt.Sprintf("%s %s container %s", w.kind(), w.name(), c["name"])
			for _, probe := range []string{"readinessProbe", "livenessProbe"} {
				if get(c, probe) == nil {
					t.Errorf("%s: no %s", id, probe)
				}
			}
			if str(c, "image") == "" {
				t.Errorf("%s: no image", id)
			}
			if strings.Contains(str(c, "image"), "lakesoul-flight") {
				for _, probe := range []string{"readinessProbe", "livenessProbe"} {
					if p, port := str(c, probe, "httpGet", "path"), get(c, probe, "httpGet", "port"); p != "/healthz" || port != "metrics" {
						t.Errorf("%s: %s GET %s on %v, want /healthz on metrics", id, probe, p, port)
					}
				}
				if get(c, "securityContext", "readOnlyRootFilesystem") != true {
					t.Errorf("%s: root filesystem is writable", id)
				}
				if !mounts(c, "scratch", "/tmp") {
					t.Errorf("%s: no scratch emptyDir on /tmp", id)
				}
			}
		}
		for _, c := range containers(w, true) {
			id := fmt.Sprintf("%s %s container %s", w.kind(), w.name(), c["name"])
			for _, r := range []string{"requests", "limits"} {
				if m, _ := asMap(get(c, "resources", r)); len(m) == 0 || m["memory"] == nil {
					t.Errorf("%s: no memory in resources.%s", id, r)
				}
			}
		}
	}
}

func mounts(c map[string]any, volume, path string) bool {
	for _, m := range list(c, "volumeMounts") {
		if str(m, "name") == volume && str(m, "mountPath") == path {
			return true
		}
	}
	return false
}

func envVar(c map[string]any, name string) map[string]any {
	for _, e := range list(c, "env") {
		if str(e, "name") == name {
			m, _ := asMap(e)
			return m
		}
	}
	return nil
}

func checkQuery(t *testing.T, objs []object, tc chartCase) {
	t.Helper()
	d := find(objs, "Deployment", queryName)
	if d == nil {
		t.Fatalf("no Deployment %s", queryName)
	}
	if got := get(d, "spec", "replicas"); got != tc.replicas {
		t.Errorf("replicas %v, want %d", got, tc.replicas)
	}
	cs := containers(d, false)
	if len(cs) != 1 {
		t.Fatalf("%d containers in the query pod, want 1", len(cs))
	}
	c := cs[0]
	args := toStrings(list(c, "args"))
	if len(args) == 0 || args[0] != "serve" {
		t.Errorf("query args %q do not start with serve", args)
	}
	if l, _ := flagValue(args, "listen"); !strings.HasPrefix(l, "0.0.0.0:") {
		t.Errorf("--listen=%s: the Service cannot reach it", l)
	}
	if m, _ := flagValue(args, "metrics-listen"); !strings.HasPrefix(m, "0.0.0.0:") {
		t.Errorf("--metrics-listen=%s: probes cannot reach it", m)
	}
	want := "on"
	if tc.compactor > 0 {
		want = "off"
	}
	if got, _ := flagValue(args, "compaction"); got != want {
		t.Errorf("--compaction=%s with %d compactors, want %s", got, tc.compactor, want)
	}

	// The signing secret comes from a Secret, so that replicas share it.
	if ref := get(envVar(c, "LAKESOUL_SECRET"), "valueFrom", "secretKeyRef"); ref == nil || str(ref, "name") == "" || str(ref, "key") == "" {
		t.Errorf("LAKESOUL_SECRET is not from a Secret: %v", envVar(c, "LAKESOUL_SECRET"))
	} else if find(objs, "Secret", str(ref, "name")) == nil && !strings.HasPrefix(str(ref, "name"), "lakesoul-") {
		t.Errorf("LAKESOUL_SECRET names Secret %s, which the chart does not render", str(ref, "name"))
	}

	// Shutdown: the grace period covers the server's own timeout.
	st, ok := flagValue(args, "shutdown-timeout")
	timeout, err := time.ParseDuration(st)
	if !ok || err != nil {
		t.Fatalf("--shutdown-timeout %q: %v", st, err)
	}
	grace, _ := get(d, "spec", "template", "spec", "terminationGracePeriodSeconds").(int)
	if time.Duration(grace)*time.Second <= timeout {
		t.Errorf("terminationGracePeriodSeconds %d is not above --shutdown-timeout %v", grace, timeout)
	}

	// Replicas spread over nodes unless told otherwise.
	if get(d, "spec", "template", "spec", "affinity", "podAntiAffinity") == nil {
		t.Error("no pod anti-affinity")
	}

	pdb := find(objs, "PodDisruptionBudget", queryName)
	if (pdb != nil) != tc.pdb {
		t.Fatalf("PodDisruptionBudget present: %v, want %v", pdb != nil, tc.pdb)
	}
	if pdb != nil {
		sel, _ := asMap(get(pdb, "spec", "selector", "matchLabels"))
		podLabels, _ := asMap(get(d, "spec", "template", "metadata", "labels"))
		for k, v := range sel {
			if podLabels[k] != v {
				t.Errorf("PodDisruptionBudget selects %s=%v, the query pods have %v", k, v, podLabels[k])
			}
		}
		if get(pdb, "spec", "maxUnavailable") == nil && get(pdb, "spec", "minAvailable") == nil {
			t.Error("PodDisruptionBudget bounds nothing")
		}
	}
}

func checkCompactor(t *testing.T, objs []object, tc chartCase) {
	t.Helper()
	d := find(objs, "Deployment", compactorName)
	if (d != nil) != (tc.compactor > 0) {
		t.Fatalf("compactor Deployment present: %v, want %d compactors", d != nil, tc.compactor)
	}
	if d == nil {
		return
	}
	if got := get(d, "spec", "replicas"); got != tc.compactor {
		t.Errorf("compactor replicas %v, want %d", got, tc.compactor)
	}
	cs := containers(d, false)
	if len(cs) != 1 {
		t.Fatalf("%d containers in the compactor pod, want 1", len(cs))
	}
	args := toStrings(list(cs[0], "args"))
	if len(args) == 0 || args[0] != "compact" {
		t.Errorf("compactor args %q do not start with compact", args)
	}
	// The compactor reaches the same catalog and warehouse as the query replicas.
	q := toStrings(list(containers(find(objs, "Deployment", queryName), false)[0], "args"))
	for _, f := range []string{"etcd-endpoints", "etcd-prefix", "etcd-ca", "etcd-cert", "warehouse", "s3-endpoint", "s3-region"} {
		qv, qok := flagValue(q, f)
		cv, cok := flagValue(args, f)
		if qv != cv || qok != cok {
			t.Errorf("--%s: query replicas %q, compactor %q", f, qv, cv)
		}
	}
	grace, _ := get(d, "spec", "template", "spec", "terminationGracePeriodSeconds").(int)
	if grace <= 0 {
		t.Error("compactor has no terminationGracePeriodSeconds")
	}
}

// sensitive matches names of credentials: environment variables, flags and
// ConfigMap keys.
var sensitive = regexp.MustCompile(`(?i)(password|secret|access[-_]?key|private[-_]?key|token)`)

// credentialFlags are the flags whose value is a credential; they must never
// appear in args (ps and the pod spec show them).
var credentialFlags = []string{"password", "secret", "s3-secret-key", "s3-access-key", "etcd-password"}

// checkCredentials: credentials reach containers only through secretKeyRef
// or mounted Secret files, never in args, plain env values or ConfigMaps.
func checkCredentials(t *testing.T, objs []object) {
	t.Helper()
	// Every value the chart's Secrets hold, to look for leaks.
	var secretValues []string
	for _, s := range ofKind(objs, "Secret") {
		m, _ := asMap(get(s, "data"))
		for k, v := range m {
			b, err := base64.StdEncoding.DecodeString(fmt.Sprint(v))
			if err != nil {
				t.Errorf("Secret %s key %s is not base64: %v", s.name(), k, err)
				continue
			}
			if len(b) >= 8 {
				secretValues = append(secretValues, string(b))
			}
		}
		if m2, _ := asMap(get(s, "stringData")); len(m2) > 0 {
			t.Errorf("Secret %s uses stringData", s.name())
		}
	}
	leaks := func(where, text string) {
		for _, v := range secretValues {
			if strings.Contains(text, v) {
				t.Errorf("%s holds a value of a Secret", where)
			}
		}
	}
	for _, cm := range ofKind(objs, "ConfigMap") {
		m, _ := asMap(get(cm, "data"))
		for k, v := range m {
			if sensitive.MatchString(k) {
				t.Errorf("ConfigMap %s has key %s, which names a credential", cm.name(), k)
			}
			leaks(fmt.Sprintf("ConfigMap %s key %s", cm.name(), k), fmt.Sprint(v))
		}
	}
	for _, w := range ofKind(objs, "Deployment", "StatefulSet") {
		for _, c := range containers(w, true) {
			id := fmt.Sprintf("%s %s container %s", w.kind(), w.name(), c["name"])
			args := append(toStrings(list(c, "command")), toStrings(list(c, "args"))...)
			for _, f := range credentialFlags {
				if _, ok := flagValue(args, f); ok {
					t.Errorf("%s: --%s in args", id, f)
				}
			}
			leaks(id+" args", strings.Join(args, " "))
			for _, e := range list(c, "env") {
				name := str(e, "name")
				if v, ok := get(e, "value").(string); ok {
					leaks(id+" env "+name, v)
				}
				if !sensitive.MatchString(name) {
					continue
				}
				if get(e, "value") != nil || get(e, "valueFrom", "secretKeyRef", "name") == nil {
					t.Errorf("%s: env %s is not from a Secret (secretKeyRef)", id, name)
				}
			}
		}
	}
}

func checkServices(t *testing.T, objs []object) {
	t.Helper()
	svc := find(objs, "Service", queryName)
	if svc == nil {
		t.Fatalf("no Service %s", queryName)
	}
	ports := map[string]bool{}
	for _, p := range list(svc, "spec", "ports") {
		ports[str(p, "name")] = true
	}
	if !ports["flight"] || !ports["metrics"] {
		t.Errorf("Service ports %v, want flight and metrics", ports)
	}
	d := find(objs, "Deployment", queryName)
	sel, _ := asMap(get(svc, "spec", "selector"))
	podLabels, _ := asMap(get(d, "spec", "template", "metadata", "labels"))
	for k, v := range sel {
		if podLabels[k] != v {
			t.Errorf("Service selects %s=%v, the query pods have %v", k, v, podLabels[k])
		}
	}
}

// TestProduction checks what values-production.yaml promises: an external
// etcd with TLS and a password, S3 credentials and every secret from
// existing Secrets, nothing generated.
func TestProduction(t *testing.T) {
	objs := render(t, "-f", chartDir+"/values-production.yaml")
	if s := ofKind(objs, "Secret"); len(s) != 0 {
		t.Errorf("production values generate Secret %s; every credential should come from an existing one", s[0].name())
	}
	for _, name := range []string{queryName, compactorName} {
		d := find(objs, "Deployment", name)
		c := containers(d, false)[0]
		args := toStrings(list(c, "args"))
		for _, f := range []string{"etcd-ca", "etcd-cert", "etcd-key"} {
			v, ok := flagValue(args, f)
			if !ok || !strings.HasPrefix(v, "/etc/lakesoul/etcd-tls/") {
				t.Errorf("%s: --%s=%q, want a file of the mounted etcd-tls Secret", name, f, v)
			}
		}
		if !mounts(c, "etcd-tls", "/etc/lakesoul/etcd-tls") {
			t.Errorf("%s: etcd client certificates not mounted", name)
		}
		if w, _ := flagValue(args, "warehouse"); !strings.HasPrefix(w, "s3://") {
			t.Errorf("%s: warehouse %q", name, w)
		}
		for _, e := range []string{"LAKESOUL_ETCD_USER", "LAKESOUL_ETCD_PASSWORD", "LAKESOUL_S3_ACCESS_KEY", "LAKESOUL_S3_SECRET_KEY"} {
			if get(envVar(c, e), "valueFrom", "secretKeyRef") == nil {
				t.Errorf("%s: %s not from a Secret", name, e)
			}
		}
	}
	q := containers(find(objs, "Deployment", queryName), false)[0]
	args := toStrings(list(q, "args"))
	for _, f := range []string{"users-file", "tls-cert", "tls-key"} {
		if _, ok := flagValue(args, f); !ok {
			t.Errorf("query replicas lack --%s", f)
		}
	}
	if find(objs, "ServiceMonitor", queryName) == nil {
		t.Error("no ServiceMonitor")
	}
	cm := find(objs, "ConfigMap", queryName+"-dashboard")
	if cm == nil || str(cm, "metadata", "labels", "grafana_dashboard") == "" || !strings.Contains(str(cm, "data", "lakesoul-flight.json"), "lakesoul_flight_requests_total") {
		t.Error("no dashboard ConfigMap with the grafana_dashboard label and the dashboard")
	}
}

// TestDefaultsOptionalOff: the ServiceMonitor and dashboard are opt-in.
func TestDefaultsOptionalOff(t *testing.T) {
	objs := render(t)
	if len(ofKind(objs, "ServiceMonitor", "ConfigMap", "HorizontalPodAutoscaler")) != 0 {
		t.Error("the default values render a ServiceMonitor, ConfigMap or HorizontalPodAutoscaler")
	}
}

// TestRefused: values the server would refuse fail at install time.
func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  string
		want string
	}{
		{"external etcd without endpoints", "etcdBundled.enabled=false", "etcd.endpoints"},
		{"S3 without a warehouse", "minioBundled.enabled=false", "warehouse.uri"},
		{"no authentication", "auth.user.name=", "no authentication"},
		{"etcd TLS without a Secret", "etcdBundled.enabled=false,etcd.endpoints={https://e:2379},etcd.tls.enabled=true", "etcd.tls.existingSecret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runHelm(t, "template", "lf", chartDir, "--set", tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

// TestAutoscaling: with the autoscaler the Deployment leaves replicas to it,
// and the disruption budget follows its minimum.
func TestAutoscaling(t *testing.T) {
	objs := render(t, "--set", "autoscaling.enabled=true,autoscaling.minReplicas=3,autoscaling.maxReplicas=6")
	d := find(objs, "Deployment", queryName)
	if r := get(d, "spec", "replicas"); r != nil {
		t.Errorf("replicas %v set beside the autoscaler", r)
	}
	hpa := find(objs, "HorizontalPodAutoscaler", queryName)
	if hpa == nil || get(hpa, "spec", "minReplicas") != 3 || get(hpa, "spec", "maxReplicas") != 6 ||
		str(hpa, "spec", "scaleTargetRef", "name") != queryName {
		t.Fatalf("HorizontalPodAutoscaler: %v", hpa)
	}
	if find(objs, "PodDisruptionBudget", queryName) == nil {
		t.Error("no PodDisruptionBudget for an autoscaled Deployment of at least 3")
	}
}
