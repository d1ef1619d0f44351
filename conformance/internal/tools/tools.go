//go:build tools

// The control-plane commands are built straight from k8s.io/kubernetes by
// package path; these imports keep them in this module's graph.
package tools

import (
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "sigs.k8s.io/gateway-api/conformance"
	_ "sigs.k8s.io/gateway-api/conformance/utils/suite"
)
