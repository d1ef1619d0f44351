package conformance

import (
	"context"
	"io/fs"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	upstream "sigs.k8s.io/gateway-api/conformance"
	"sigs.k8s.io/gateway-api/pkg/features"
)

// TestConformance runs the upstream suite with the suite's own flags
// (-gateway-class, -conformance-profiles, -report-output, ...). Supported
// features come from the GatewayClass status unless -supported-features
// is given.
func TestConformance(t *testing.T) {
	opts := upstream.DefaultOptions(t)
	base, dropped, err := BaseManifestsFS(&upstream.Manifests)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dropped {
		t.Logf("base manifests: left out %s", d)
	}
	opts.ManifestFS = []fs.FS{base, &upstream.Manifests}
	opts.BaseManifests = RigBaseManifests
	for _, name := range SkipNames() {
		t.Logf("skipping %s: %s", name, Skips[name])
		opts.SkipTests = append(opts.SkipTests, name)
	}
	if len(opts.SupportedFeatures) == 0 && !opts.EnableAllSupportedFeatures {
		var gwc gatewayv1.GatewayClass
		key := types.NamespacedName{Name: opts.GatewayClassName}
		if err := opts.Client.Get(context.Background(), key, &gwc); err != nil {
			t.Fatalf("Cannot read GatewayClass %s: %v", opts.GatewayClassName, err)
		}
		if len(gwc.Status.SupportedFeatures) == 0 {
			// The profiles' core features are implied by the profiles
			// themselves; nothing extended is claimed.
			t.Logf("GatewayClass %s publishes no supportedFeatures: running core features only",
				opts.GatewayClassName)
			opts.SupportedFeatures = []features.FeatureName{features.SupportGateway}
		}
	}
	upstream.RunConformanceWithOptions(t, opts)
}
