package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// shim runs inside "ip netns exec", which gives it a private mount
// namespace: it bind-mounts the Pod's volumes at their mount paths there
// and then becomes the container's process.
func shim(args []string) error {
	fs := flag.NewFlagSet("shim", flag.ContinueOnError)
	var mounts multiFlag
	fs.Var(&mounts, "mount", "host-dir:container-path, repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return fmt.Errorf("cannot run the shim: no command given")
	}
	for _, m := range mounts {
		src, dst, ok := strings.Cut(m, ":")
		if !ok {
			return fmt.Errorf("cannot parse --mount: current value is %q", m)
		}
		// The mount point must exist on the shared filesystem; the rig
		// removes the empty directories it created when it stops.
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return fmt.Errorf("cannot create mount point %s: %w", dst, err)
		}
		if err := syscall.Mount(src, dst, "", syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("cannot bind-mount %s at %s: %w", src, dst, err)
		}
	}
	return syscall.Exec(rest[0], rest, os.Environ())
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
