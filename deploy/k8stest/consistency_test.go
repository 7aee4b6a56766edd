package k8stest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// serverConfig is the part of ftpsbridge's config.yaml the manifests
// must agree with (ftpsbridge's own strict decoder checks the rest).
type serverConfig struct {
	Server struct {
		DrainDelay      string `json:"drain_delay"`
		ShutdownTimeout string `json:"shutdown_timeout"`
	} `json:"server"`
	Listeners []struct {
		Address string `json:"address"`
	} `json:"listeners"`
	Passive struct {
		PortRange string `json:"port_range"`
	} `json:"passive"`
	Health struct {
		Address string `json:"address"`
	} `json:"health"`
	UsersFile string `json:"users_file"`
}

func parseConfig(t *testing.T, text string) serverConfig {
	t.Helper()
	var c serverConfig
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func portOf(t *testing.T, hostPort string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(hostPort)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
}

// containerPort resolves a probe's or Service's target port (a number or
// a named container port).
func containerPort(t *testing.T, c *corev1.Container, p intstr.IntOrString) int32 {
	t.Helper()
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	t.Fatalf("container %s has no port named %q", c.Name, p.StrVal)
	return 0
}

func seconds(t *testing.T, d string) int64 {
	t.Helper()
	v, err := time.ParseDuration(d)
	if err != nil {
		t.Fatalf("duration %q: %v", d, err)
	}
	return int64((v + time.Second - 1) / time.Second)
}

// TestProbesAndGracePeriod: the probes ask /healthz and /readyz on the
// port health.address serves, and the grace period covers preStop,
// drain_delay and shutdown_timeout, so the kubelet never kills a pod
// whose transfers are still allowed to run.
func TestProbesAndGracePeriod(t *testing.T) {
	m := load(t)
	sts := m.statefulSets["ftpsbridge"]
	if sts == nil {
		t.Fatal("no StatefulSet ftpsbridge")
	}
	pod := sts.Spec.Template.Spec
	c := &pod.Containers[0]
	cfg := parseConfig(t, m.configMaps["ftpsbridge-config"].Data["config.yaml"])
	healthPort := portOf(t, cfg.Health.Address)
	for name, probe := range map[string]struct {
		p    *corev1.Probe
		path string
	}{
		"liveness": {c.LivenessProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"}, "startup": {c.StartupProbe, "/readyz"},
	} {
		t.Run(name, func(t *testing.T) {
			if probe.p == nil || probe.p.HTTPGet == nil {
				t.Fatal("no httpGet probe")
			}
			if probe.p.HTTPGet.Path != probe.path {
				t.Errorf("path %s, want %s", probe.p.HTTPGet.Path, probe.path)
			}
			if got := containerPort(t, c, probe.p.HTTPGet.Port); got != healthPort {
				t.Errorf("port %d, health.address has %d", got, healthPort)
			}
		})
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("no preStop sleep")
	}
	need := c.Lifecycle.PreStop.Sleep.Seconds + seconds(t, cfg.Server.DrainDelay) + seconds(t, cfg.Server.ShutdownTimeout)
	var grace int64 = 30 // the API's default
	if g := pod.TerminationGracePeriodSeconds; g != nil {
		grace = *g
	}
	if grace < need+5 {
		t.Errorf("terminationGracePeriodSeconds %d, want at least preStop + drain_delay + shutdown_timeout + 5 s = %d", grace, need+5)
	}
	req, lim := c.Resources.Requests[corev1.ResourceMemory], c.Resources.Limits[corev1.ResourceMemory]
	if req.IsZero() || lim.Cmp(req) < 0 {
		t.Errorf("memory request %s, limit %s", req.String(), lim.String())
	}
}

// TestControlService: the shared Service targets the ports the
// listeners bind, and only ready pods.
func TestControlService(t *testing.T) {
	m := load(t)
	sts := m.statefulSets["ftpsbridge"]
	c := &sts.Spec.Template.Spec.Containers[0]
	cfg := parseConfig(t, m.configMaps["ftpsbridge-config"].Data["config.yaml"])
	listening := map[int32]bool{}
	for _, l := range cfg.Listeners {
		listening[portOf(t, l.Address)] = true
	}
	svc := m.services["ftpsbridge"]
	if svc == nil || svc.Spec.PublishNotReadyAddresses {
		t.Fatal("control Service missing, or publishing pods that are not ready")
	}
	for _, p := range svc.Spec.Ports {
		if got := containerPort(t, c, p.TargetPort); !listening[got] {
			t.Errorf("Service port %d targets %d, where no listener is", p.Port, got)
		}
	}
	for k, v := range svc.Spec.Selector {
		if sts.Spec.Template.Labels[k] != v {
			t.Errorf("selector %s=%s does not select the pods", k, v)
		}
	}
}

// TestPerPodPassiveServices runs the init container's script for every
// pod and checks that pod N's Service forwards exactly the passive range
// pod N's configuration gets, to pod N alone, and that ranges do not
// overlap.
func TestPerPodPassiveServices(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	m := load(t)
	sts := m.statefulSets["ftpsbridge"]
	init := sts.Spec.Template.Spec.InitContainers[0]
	script := init.Command[len(init.Command)-1]
	template := m.configMaps["ftpsbridge-config"].Data["config.yaml"]
	owner := map[int32]string{}
	for n := 0; n < int(*sts.Spec.Replicas); n++ {
		pod := fmt.Sprintf("%s-%d", sts.Name, n)
		t.Run(pod, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "template"), 0o755)
			os.MkdirAll(filepath.Join(dir, "config"), 0o755)
			os.WriteFile(filepath.Join(dir, "template", "config.yaml"), []byte(template), 0o644)
			local := strings.NewReplacer("/template/", dir+"/template/", "/config/", dir+"/config/").Replace(script)
			cmd := exec.Command(sh, "-ec", local)
			cmd.Env = append(os.Environ(), "POD_NAME="+pod)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("init script: %v\n%s", err, out)
			}
			rendered, _ := os.ReadFile(filepath.Join(dir, "config", "config.yaml"))
			lo, hi, ok := strings.Cut(parseConfig(t, string(rendered)).Passive.PortRange, "-")
			low, err1 := strconv.Atoi(lo)
			high, err2 := strconv.Atoi(hi)
			if !ok || err1 != nil || err2 != nil || high < low {
				t.Fatalf("rendered port_range %q", parseConfig(t, string(rendered)).Passive.PortRange)
			}
			svc := m.services[pod]
			if svc == nil {
				t.Fatalf("no Service %s", pod)
			}
			if svc.Spec.Selector["statefulset.kubernetes.io/pod-name"] != pod || len(svc.Spec.Selector) != 1 {
				t.Errorf("selector %v, want only pod %s", svc.Spec.Selector, pod)
			}
			if !svc.Spec.PublishNotReadyAddresses {
				t.Error("a draining pod's passive ports must stay forwarded (publishNotReadyAddresses)")
			}
			got := map[int32]bool{}
			for _, p := range svc.Spec.Ports {
				if p.TargetPort.IntVal != p.Port {
					t.Errorf("port %d targets %s: PASV announces the port the server listens on", p.Port, p.TargetPort.String())
				}
				got[p.Port] = true
				if other, taken := owner[p.Port]; taken {
					t.Errorf("port %d forwarded to %s and %s", p.Port, other, pod)
				}
				owner[p.Port] = pod
			}
			for p := low; p <= high; p++ {
				if !got[int32(p)] {
					t.Errorf("passive port %d of %s not forwarded", p, pod)
				}
			}
			if len(got) != high-low+1 {
				t.Errorf("Service %s forwards %d ports, the range has %d", pod, len(got), high-low+1)
			}
		})
	}
}

// TestUsersFileMount: users_file lies in a ConfigMap volume mounted as a
// directory (a subPath mount never sees updates) that holds that file.
func TestUsersFileMount(t *testing.T) {
	m := load(t)
	pod := m.statefulSets["ftpsbridge"].Spec.Template.Spec
	cfg := parseConfig(t, m.configMaps["ftpsbridge-config"].Data["config.yaml"])
	dir, file := path.Split(cfg.UsersFile)
	for _, vm := range pod.Containers[0].VolumeMounts {
		if strings.TrimSuffix(vm.MountPath, "/")+"/" != dir {
			continue
		}
		if vm.SubPath != "" {
			t.Fatal("users volume mounted with subPath: updates would never arrive")
		}
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.ConfigMap != nil {
				cm := m.configMaps[v.ConfigMap.Name]
				if cm == nil || cm.Data[file] == "" {
					t.Fatalf("ConfigMap %s has no %s", v.ConfigMap.Name, file)
				}
				return
			}
		}
	}
	t.Fatalf("users_file %s is not in a mounted ConfigMap", cfg.UsersFile)
}
