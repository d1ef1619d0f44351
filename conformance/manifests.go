package conformance

import (
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"

	"sigs.k8s.io/yaml"

	"serval-k8s-gateway/conformance/internal/kubelet"
)

// RigBaseManifests is where the filtered base manifests are served from.
const RigBaseManifests = "rig/base-manifests.yaml"

// BaseManifestsFS reads the suite's base manifests from upstream and leaves
// out the Deployments whose images the rig cannot run (listed in
// kubelet.Unrunnable), so the suite does not wait for Pods that can never
// be Ready. Everything else is passed through unchanged.
func BaseManifestsFS(upstream fs.FS) (fs.FS, []string, error) {
	data, err := fs.ReadFile(upstream, "base/manifests.yaml")
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the suite's base manifests: %w", err)
	}
	var kept []string
	var dropped []string
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Image string `json:"image"`
						} `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, nil, fmt.Errorf("cannot parse a base manifest: %w", err)
		}
		runnable := true
		for _, c := range obj.Spec.Template.Spec.Containers {
			if !kubelet.Runnable(c.Image) {
				runnable = false
				dropped = append(dropped, fmt.Sprintf("%s %s/%s (%s: %s)", obj.Kind,
					obj.Metadata.Namespace, obj.Metadata.Name, c.Image,
					kubelet.Unrunnable[kubelet.ImageRepository(c.Image)]))
			}
		}
		if runnable {
			kept = append(kept, doc)
		}
	}
	return fstest.MapFS{RigBaseManifests: {Data: []byte(strings.Join(kept, "\n---\n"))}}, dropped, nil
}
