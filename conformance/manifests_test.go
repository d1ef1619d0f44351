package conformance

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

const sample = `apiVersion: v1
kind: Service
metadata:
  name: coredns
  namespace: infra
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: infra
spec:
  template:
    spec:
      containers:
        - image: registry.k8s.io/coredns/coredns:v1.12.2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: infra-backend-v1
  namespace: infra
spec:
  template:
    spec:
      containers:
        - image: registry.k8s.io/gateway-api/echo-basic:v1.5.1`

func TestBaseManifestsLeaveOutOnlyDeploymentsOfUnrunnableImages(t *testing.T) {
	upstream := fstest.MapFS{"base/manifests.yaml": {Data: []byte(sample)}}
	out, dropped, err := BaseManifestsFS(upstream)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 1 || !strings.HasPrefix(dropped[0], "Deployment infra/coredns") {
		t.Errorf("dropped = %v", dropped)
	}
	data, err := fs.ReadFile(out, RigBaseManifests)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if strings.Contains(text, "coredns/coredns") {
		t.Error("the CoreDNS Deployment is still there")
	}
	for _, want := range []string{"kind: Service", "name: infra-backend-v1"} {
		if !strings.Contains(text, want) {
			t.Errorf("lost %q", want)
		}
	}
	if _, err := fs.ReadFile(out, "base/manifests.yaml"); err == nil {
		t.Error("the filtered FS must not also serve the upstream path: the suite concatenates every FS's copy")
	}
}
