package kubelet

import (
	"context"
	"log"
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestImageRepositoryDropsTagAndDigest(t *testing.T) {
	cases := map[string]string{
		"registry.k8s.io/gateway-api/echo-basic:v1.5.1": "registry.k8s.io/gateway-api/echo-basic",
		"registry.k8s.io/coredns/coredns@sha256:abc":    "registry.k8s.io/coredns/coredns",
		"localhost:5000/echo":                           "localhost:5000/echo",
		"localhost:5000/echo:v2":                        "localhost:5000/echo",
		"registry.k8s.io/gateway-api/echo-basic":        "registry.k8s.io/gateway-api/echo-basic",
	}
	for in, want := range cases {
		if got := ImageRepository(in); got != want {
			t.Errorf("ImageRepository(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEveryEchoBasicTagRunsAndCoreDNSSaysWhyNot(t *testing.T) {
	for _, tag := range []string{"v1.5.1", "v1.6.0-dev.2", "v1.6.0-dev.3"} {
		bin, reason := binaryFor("registry.k8s.io/gateway-api/echo-basic:"+tag, "/bin-dir")
		if bin != "/bin-dir/echo-basic" || reason != "" {
			t.Errorf("echo-basic:%s maps to %q (%q)", tag, bin, reason)
		}
	}
	bin, reason := binaryFor("registry.k8s.io/coredns/coredns:v1.12.2", "/bin-dir")
	if bin != "" || reason != Unrunnable["registry.k8s.io/coredns/coredns"] {
		t.Errorf("coredns maps to %q (%q)", bin, reason)
	}
	if bin, reason := binaryFor("nginx:1.27", "/bin-dir"); bin != "" || reason == "" {
		t.Errorf("an unknown image maps to %q (%q)", bin, reason)
	}
}

func TestReadinessPortPrefersDeclaredPortsThenEchoBasicEnv(t *testing.T) {
	declared := &corev1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}
	if got := readinessPort(declared, []string{"HTTP_PORT=9000"}); got != 8080 {
		t.Errorf("declared port: got %d", got)
	}
	if got := readinessPort(&corev1.Container{}, []string{"HTTP_PORT=9000"}); got != 9000 {
		t.Errorf("HTTP_PORT: got %d", got)
	}
	if got := readinessPort(&corev1.Container{}, []string{"TCP_PORT=9300"}); got != 9300 {
		t.Errorf("TCP_PORT: got %d", got)
	}
	if got := readinessPort(&corev1.Container{}, nil); got != 3000 {
		t.Errorf("default: got %d", got)
	}
}

func TestPrepareResolvesEnvAndWritesSecretVolumeItems(t *testing.T) {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "certs", Namespace: "infra"},
		Data:       map[string][]byte{"tls.crt": []byte("CERT"), "tls.key": []byte("KEY")},
	}
	k := New(fake.NewSimpleClientset(secret), "node-a", t.TempDir(), "/bin-dir", "/rig",
		log.New(os.Stderr, "", 0))
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "tls-backend-1", Namespace: "infra", UID: "u1"},
		Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "secret-volume",
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "certs",
				Items: []corev1.KeyToPath{{Key: "tls.crt", Path: "crt"}, {Key: "tls.key", Path: "key"}}}}}}},
	}
	container := &corev1.Container{
		VolumeMounts: []corev1.VolumeMount{{Name: "secret-volume", MountPath: "/etc/secret-volume"}},
		Env: []corev1.EnvVar{
			{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "TLS_SERVER_CERT", Value: "/etc/secret-volume/crt"},
		},
	}
	dir := t.TempDir()
	mounts, env, err := k.prepare(context.Background(), pod, container, dir, "10.244.0.7")
	if err != nil {
		t.Fatal(err)
	}
	volume := filepath.Join(dir, "volumes", "secret-volume")
	if !slices.Equal(mounts, []string{volume + ":/etc/secret-volume"}) {
		t.Errorf("mounts = %v", mounts)
	}
	for _, want := range []string{"POD_NAME=tls-backend-1", "NAMESPACE=infra", "POD_IP=10.244.0.7",
		"TLS_SERVER_CERT=/etc/secret-volume/crt"} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s: %v", want, env)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(volume, "crt")); string(data) != "CERT" {
		t.Errorf("crt = %q", data)
	}
	if data, _ := os.ReadFile(filepath.Join(volume, "key")); string(data) != "KEY" {
		t.Errorf("key = %q", data)
	}
}

func TestPrepareWaitsForAMissingSecret(t *testing.T) {
	k := New(fake.NewSimpleClientset(), "node-a", t.TempDir(), "/bin-dir", "/rig",
		log.New(os.Stderr, "", 0))
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "infra"},
		Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: "not-yet"}}}}},
	}
	container := &corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "v", MountPath: "/x"}}}
	if _, _, err := k.prepare(context.Background(), pod, container, t.TempDir(), "10.244.0.8"); err == nil {
		t.Fatal("prepare succeeded without the Secret")
	}
}
