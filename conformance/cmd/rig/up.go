package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"serval-k8s-gateway/conformance/internal/controlplane"
	"serval-k8s-gateway/conformance/internal/kubelet"
)

func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	dir := fs.String("dir", "", "run directory: logs, certificates, etcd data, kubeconfig")
	binDir := fs.String("bin-dir", "", "directory holding etcd, kube-apiserver, kube-controller-manager, echo-basic")
	crds := fs.String("crds", "", "directory of Gateway API CRD manifests to install")
	class := fs.String("gateway-class", "serval", "GatewayClass to create")
	controller := fs.String("controller-name", "gateway.serval.dev/controller", "its controllerName")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *binDir == "" || *crds == "" {
		return fmt.Errorf("cannot start the rig: --dir, --bin-dir and --crds are required")
	}
	logger := log.New(os.Stderr, "rig: ", log.Ltime)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if err := kubelet.CheckNetns(); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", *dir, err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find the rig binary: %w", err)
	}
	// One rig at a time on a machine: they share the bridge, the pod
	// network and the Gateways' ports. A later run waits for the lock; a
	// holder that died released it, so what it recorded is safe to end.
	unlock, err := lockMachine(*binDir, logger)
	if err != nil {
		return err
	}
	defer unlock()
	state := stateFile(*binDir)
	killRecorded(state, logger)
	if err := kubelet.SetupBridge(); err != nil {
		return err
	}
	defer kubelet.CleanupNetwork()

	started := time.Now()
	cp, err := controlplane.Start(ctx, *dir, controlplane.Binaries{
		Etcd:              filepath.Join(*binDir, "etcd"),
		APIServer:         filepath.Join(*binDir, "kube-apiserver"),
		ControllerManager: filepath.Join(*binDir, "kube-controller-manager"),
	})
	recordChildren(state, cp)
	defer func() { cp.Stop(); _ = os.Remove(state) }()
	if err != nil {
		return err
	}
	logger.Printf("kube-apiserver ready after %s", time.Since(started).Round(time.Millisecond))
	n, err := cp.InstallCRDs(ctx, *crds)
	if err != nil {
		return err
	}
	if err := cp.EnsureGatewayClass(ctx, *class, *controller); err != nil {
		return err
	}
	if err := cp.WaitDefaultServiceAccount(ctx); err != nil {
		return err
	}
	// One kubelet writes for every Pod: client-go's default 5 requests/s
	// would queue status writes for seconds.
	kubeletConfig := rest.CopyConfig(cp.Config)
	kubeletConfig.QPS, kubeletConfig.Burst = 100, 200
	client, err := kubernetes.NewForConfig(kubeletConfig)
	if err != nil {
		return fmt.Errorf("cannot build a client: %w", err)
	}
	kl := kubelet.New(client, "rig-node", filepath.Join(*dir, "kubelet"), *binDir, self, logger)
	kubeletDone := make(chan error, 1)
	kubeletCtx, stopKubelet := context.WithCancel(context.Background())
	logAddr := net.JoinHostPort(kubelet.BridgeIP, strconv.Itoa(kubelet.KubeletPort))
	if err := kl.ServeLogs(kubeletCtx, logAddr, cp.PKI.KubeletCert, cp.PKI.KubeletKey,
		cp.PKI.CACert); err != nil {
		stopKubelet()
		return err
	}
	go func() { kubeletDone <- kl.Run(kubeletCtx) }()
	defer func() {
		stopKubelet()
		<-kubeletDone
	}()

	ready := filepath.Join(*dir, "ready")
	if err := os.WriteFile(ready, []byte(cp.Kubeconfig+"\n"), 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", ready, err)
	}
	logger.Printf("ready after %s: %d CRDs, GatewayClass %s; KUBECONFIG=%s",
		time.Since(started).Round(time.Millisecond), n, *class, cp.Kubeconfig)
	// The driver that started the rig may die without a signal to spare
	// (SIGKILL): then the rig is re-parented, notices, and tears down.
	parent := os.Getppid()
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		if os.Getppid() != parent {
			logger.Printf("the process that started the rig is gone; stopping")
			return nil
		}
		select {
		case <-ctx.Done():
			logger.Printf("stopping")
			return nil
		case err := <-kubeletDone:
			kubeletDone <- err
			return fmt.Errorf("the kubelet stopped: %v", err)
		case <-ticker.C:
			if err := cp.Check(); err != nil {
				return err
			}
		}
	}
}
