package kubelet

import (
	"path/filepath"
	"strings"
)

// echoBasicImage is the suite's backend image; every tag maps to the
// echo-basic built from the pinned conformance module.
const echoBasicImage = "registry.k8s.io/gateway-api/echo-basic:"

// Unrunnable lists the images the suite's manifests use that the rig cannot
// run, with why and what needs them. Tests listed here are skipped with
// this reason (see conformance/skips.go).
var Unrunnable = map[string]string{
	"registry.k8s.io/coredns/coredns": "the CoreDNS image is not built in the rig (only the UDPRoute tests' DNS backend uses it)",
}

// ImageRepository strips the tag or digest from an image reference.
func ImageRepository(image string) string {
	if at := strings.Index(image, "@"); at >= 0 {
		image = image[:at]
	}
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		image = image[:colon]
	}
	return image
}

// Runnable reports whether the rig can run image.
func Runnable(image string) bool {
	return strings.HasPrefix(image, echoBasicImage)
}

// binaryFor returns the executable that stands in for image, or a reason.
func binaryFor(image, binDir string) (string, string) {
	if Runnable(image) {
		return filepath.Join(binDir, "echo-basic"), ""
	}
	if reason, ok := Unrunnable[ImageRepository(image)]; ok {
		return "", reason
	}
	return "", "the rig has no binary for image " + image
}
