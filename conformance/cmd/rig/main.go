// Command rig runs a real Kubernetes control plane and a process kubelet on
// this machine, for the Gateway API conformance suite:
//
//	rig up --dir RUN --bin-dir BIN --crds DIR   start, print the kubeconfig path, run until SIGINT/SIGTERM
//	rig cleanup --state STATE                   remove what a crashed run left behind
//	rig shim --mount SRC:DST -- CMD ...         (internal) the container entry inside a Pod's namespace
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rig up|cleanup|shim [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "up":
		err = up(os.Args[2:])
	case "cleanup":
		err = cleanup(os.Args[2:])
	case "shim":
		err = shim(os.Args[2:])
	default:
		err = fmt.Errorf("cannot run rig: unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rig:", err)
		os.Exit(1)
	}
}
