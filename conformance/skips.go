// Package conformance runs the upstream Gateway API conformance suite
// against the gateway, on the rig's control plane (see README.md).
package conformance

import "sort"

// Skips lists the suite's tests that cannot run in the rig, with why. It is
// the one list the test entry passes to the suite's -skip-tests; every
// entry needs a reason a reader can check.
var Skips = map[string]string{}

// SkipNames returns the skipped test names, sorted.
func SkipNames() []string {
	names := make([]string, 0, len(Skips))
	for name := range Skips {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
