package controlplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"serval-k8s-gateway/conformance/internal/pki"
)

// Binaries locates the three control-plane executables.
type Binaries struct {
	Etcd, APIServer, ControllerManager string
}

// ControlPlane is a running etcd, kube-apiserver and kube-controller-manager.
type ControlPlane struct {
	Dir        string
	PKI        pki.Files
	Kubeconfig string
	Config     *rest.Config
	procs      []*process
}

// ServiceCIDR is the range the API server gives Service ClusterIPs from.
// Nothing routes it: the gateway reaches backends through EndpointSlices.
const ServiceCIDR = "10.96.0.0/16"

// Controllers are the kube-controller-manager loops the suite's manifests
// need: Deployments become ReplicaSets become Pods, Pods become
// EndpointSlices, namespaces are emptied on delete, every namespace gets a
// default ServiceAccount, and owners' deletions cascade.
var Controllers = []string{
	"deployment-controller",
	"replicaset-controller",
	"endpointslice-controller",
	"namespace-controller",
	"serviceaccount-controller",
	"garbage-collector-controller",
}

// Start brings up etcd, then the API server, then the controller manager,
// with fresh certificates and data under dir. On error everything already
// started is stopped again.
func Start(ctx context.Context, dir string, bins Binaries) (cp *ControlPlane, err error) {
	cp = &ControlPlane{Dir: dir}
	defer func() {
		if err != nil {
			cp.Stop()
		}
	}()
	pkiDir := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pkiDir, 0o700); err != nil {
		return cp, fmt.Errorf("cannot create %s: %w", pkiDir, err)
	}
	files, err := pki.Generate(pkiDir)
	if err != nil {
		return cp, err
	}
	cp.PKI = files
	etcdURL, err := cp.startEtcd(ctx, bins.Etcd)
	if err != nil {
		return cp, err
	}
	apiPort, err := freePort()
	if err != nil {
		return cp, err
	}
	api, err := start(dir, "kube-apiserver", bins.APIServer,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", apiPort),
		"--cert-dir="+filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file="+files.ServerCert,
		"--tls-private-key-file="+files.ServerKey,
		"--client-ca-file="+files.CACert,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+files.SAPub,
		"--service-account-signing-key-file="+files.SAKey,
		"--service-cluster-ip-range="+ServiceCIDR,
		"--authorization-mode=RBAC",
		// The rig has no routable address for the apiserver's own Service.
		"--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false",
		// Pod logs: the API server reaches the process kubelet on the
		// bridge address with the admin client certificate.
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-client-certificate="+files.AdminCert,
		"--kubelet-client-key="+files.AdminKey,
		"--kubelet-certificate-authority="+files.CACert,
		"--profiling=false",
	)
	if err != nil {
		return cp, err
	}
	cp.procs = append(cp.procs, api)
	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	cp.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(cp.Kubeconfig, []byte(pki.Kubeconfig(files, server)), 0o600); err != nil {
		return cp, fmt.Errorf("cannot write the kubeconfig: %w", err)
	}
	cp.Config, err = clientcmd.BuildConfigFromFlags("", cp.Kubeconfig)
	if err != nil {
		return cp, fmt.Errorf("cannot load the kubeconfig %s: %w", cp.Kubeconfig, err)
	}
	if err := cp.waitAPIReady(ctx, api); err != nil {
		return cp, err
	}
	kcm, err := start(dir, "kube-controller-manager", bins.ControllerManager,
		"--kubeconfig="+cp.Kubeconfig,
		"--controllers="+strings.Join(Controllers, ","),
		"--leader-elect=false",
		"--secure-port=0",
		"--use-service-account-credentials=false",
		"--concurrent-deployment-syncs=10",
		"--concurrent-replicaset-syncs=10",
		"--profiling=false",
	)
	if err != nil {
		return cp, err
	}
	cp.procs = append(cp.procs, kcm)
	return cp, nil
}

func (cp *ControlPlane) startEtcd(ctx context.Context, bin string) (string, error) {
	clientPort, err := freePort()
	if err != nil {
		return "", err
	}
	peerPort, err := freePort()
	if err != nil {
		return "", err
	}
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	etcd, err := start(cp.Dir, "etcd", bin,
		"-data-dir="+filepath.Join(cp.Dir, "etcd"),
		"-listen-client="+clientURL,
		fmt.Sprintf("-listen-peer=http://127.0.0.1:%d", peerPort),
	)
	if err != nil {
		return "", err
	}
	cp.procs = append(cp.procs, etcd)
	logPath := filepath.Join(cp.Dir, "etcd.log")
	err = poll(ctx, 60*time.Second, etcd, func() bool {
		data, _ := os.ReadFile(logPath)
		return strings.Contains(string(data), "etcd ready on")
	})
	if err != nil {
		return "", fmt.Errorf("cannot start etcd: %w (log: %s)", err, logPath)
	}
	return clientURL, nil
}

func (cp *ControlPlane) waitAPIReady(ctx context.Context, api *process) error {
	client, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return fmt.Errorf("cannot build a client for the API server: %w", err)
	}
	err = poll(ctx, 180*time.Second, api, func() bool {
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok"
	})
	if err != nil {
		return fmt.Errorf("cannot start kube-apiserver: %w (log: %s)", err,
			filepath.Join(cp.Dir, "kube-apiserver.log"))
	}
	return nil
}

// poll calls ready until it returns true, the process exits, or timeout.
func poll(ctx context.Context, timeout time.Duration, p *process, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if ready() {
			return nil
		}
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited: %v", p.name, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s", p.name, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Check returns an error naming the first control-plane process that exited.
func (cp *ControlPlane) Check() error {
	for _, p := range cp.procs {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited: %v (log: %s)", p.name, err,
				filepath.Join(cp.Dir, p.name+".log"))
		}
	}
	return nil
}

// Stop ends the processes in reverse start order.
func (cp *ControlPlane) Stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		cp.procs[i].stop(10 * time.Second)
	}
	cp.procs = nil
}
