package controlplane

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// InstallCRDs creates every CustomResourceDefinition in the YAML files of
// dir and waits until each is Established.
func (cp *ControlPlane) InstallCRDs(ctx context.Context, dir string) (int, error) {
	client, err := apiextensions.NewForConfig(cp.Config)
	if err != nil {
		return 0, fmt.Errorf("cannot build an apiextensions client: %w", err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		return 0, fmt.Errorf("cannot find CRDs in %s", dir)
	}
	var names []string
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return 0, fmt.Errorf("cannot read %s: %w", path, err)
		}
		decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := decoder.Decode(&crd); err == io.EOF {
				break
			} else if err != nil {
				return 0, fmt.Errorf("cannot decode %s: %w", path, err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				continue
			}
			_, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &crd, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return 0, fmt.Errorf("cannot create CRD %s: %w", crd.Name, err)
			}
			names = append(names, crd.Name)
		}
	}
	for _, name := range names {
		err := waitFor(ctx, 60*time.Second, func() bool {
			crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false
			}
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true
				}
			}
			return false
		})
		if err != nil {
			return 0, fmt.Errorf("cannot establish CRD %s: %w", name, err)
		}
	}
	return len(names), nil
}

// EnsureGatewayClass creates the GatewayClass the suite runs against.
func (cp *ControlPlane) EnsureGatewayClass(ctx context.Context, name, controller string) error {
	client, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		return fmt.Errorf("cannot build a dynamic client: %w", err)
	}
	gvr := schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"controllerName": controller},
	}}
	_, err = client.Resource(gvr).Create(ctx, obj, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("cannot create GatewayClass %s: %w", name, err)
	}
	return nil
}

// WaitDefaultServiceAccount waits until the controller manager has made the
// default ServiceAccount, without which the API server admits no Pod.
func (cp *ControlPlane) WaitDefaultServiceAccount(ctx context.Context) error {
	client, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	err = waitFor(ctx, 120*time.Second, func() bool {
		_, err := client.Resource(gvr).Namespace("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	if err != nil {
		return fmt.Errorf("cannot see the default ServiceAccount (is kube-controller-manager running? %v): %w",
			cp.Check(), err)
	}
	return nil
}

func waitFor(ctx context.Context, timeout time.Duration, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return nil
}
