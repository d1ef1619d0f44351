package kubelet

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podRuntime is one Pod run as a process in its own network namespace.
type podRuntime struct {
	k      *Kubelet
	uid    types.UID
	ns     string
	name   string
	slot   int
	netns  string
	ip     string
	cancel context.CancelFunc
	done   chan struct{}
}

// run prepares the network and volumes, starts the container and restarts
// it when it exits, until ctx ends; then it removes the namespace.
func (r *podRuntime) run(ctx context.Context, pod *corev1.Pod) {
	defer close(r.done)
	defer func() {
		if r.netns != "" {
			removePodNetwork(r.slot)
		}
		r.k.releaseSlot(r.slot)
	}()
	if len(pod.Spec.Containers) != 1 {
		r.k.waiting(ctx, pod, "UnsupportedPod", "the rig runs Pods with exactly one container")
		return
	}
	container := pod.Spec.Containers[0]
	bin, reason := binaryFor(container.Image, r.k.BinDir)
	if bin == "" {
		r.k.waiting(ctx, pod, "ImageNotRunnable", reason)
		return
	}
	netns, ip, err := addPodNetwork(r.slot)
	if err != nil {
		r.k.waiting(ctx, pod, "NetworkSetupFailed", err.Error())
		return
	}
	r.netns, r.ip = netns, ip
	dir := filepath.Join(r.k.Dir, "pods", string(r.uid))
	for restarts := int32(0); ctx.Err() == nil; restarts++ {
		mounts, env, err := r.k.prepare(ctx, pod, &container, dir, ip)
		if err != nil {
			r.k.waiting(ctx, pod, "CreateContainerConfigError", err.Error())
			if !sleepCtx(ctx, time.Second) {
				return
			}
			continue
		}
		r.runOnce(ctx, pod, &container, bin, mounts, env, restarts)
		if !sleepCtx(ctx, time.Second) {
			return
		}
	}
}

func (r *podRuntime) runOnce(ctx context.Context, pod *corev1.Pod, c *corev1.Container,
	bin string, mounts []string, env []string, restarts int32) {
	args := []string{"netns", "exec", r.netns, r.k.Shim, "shim"}
	for _, m := range mounts {
		args = append(args, "--mount", m)
	}
	args = append(args, "--", bin)
	args = append(args, c.Args...)
	logPath := r.k.logPath(r.ns, r.name)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		r.k.waiting(ctx, pod, "CreateContainerError", err.Error())
		return
	}
	defer logFile.Close()
	output, outputWriter, err := os.Pipe()
	if err != nil {
		r.k.waiting(ctx, pod, "CreateContainerError", err.Error())
		return
	}
	copied := make(chan struct{})
	go func() {
		copyLines(output, logFile)
		output.Close()
		close(copied)
	}()
	cmd := exec.Command("ip", args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = outputWriter, outputWriter
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	outputWriter.Close()
	if err != nil {
		<-copied
		r.k.waiting(ctx, pod, "CreateContainerError", err.Error())
		return
	}
	started := metav1.Now()
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		<-copied
		exited <- err
	}()

	// Not ready until the port answers; written first so the readiness
	// write below can never be overtaken by it.
	r.k.running(ctx, pod, r.ip, started, restarts, false)
	port := readinessPort(c, env)
	readyCtx, stopReady := context.WithCancel(ctx)
	defer stopReady()
	go func() {
		if r.waitPort(readyCtx, port) {
			r.k.running(readyCtx, pod, r.ip, started, restarts, true)
		}
	}()

	select {
	case err := <-exited:
		stopReady()
		r.k.log.Printf("pod %s/%s: container exited: %v (log: %s)", r.ns, r.name, err, logPath)
		r.k.terminated(ctx, pod, r.ip, restarts, err)
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(2 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			killNetnsProcesses(r.netns)
			<-exited
		}
	}
}

// readinessPort is the first declared TCP container port, else the port
// echo-basic listens on (HTTP_PORT or TCP_PORT, default 3000).
func readinessPort(c *corev1.Container, env []string) int {
	for _, p := range c.Ports {
		if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
			return int(p.ContainerPort)
		}
	}
	for _, name := range []string{"HTTP_PORT", "TCP_PORT"} {
		for _, kv := range env {
			if len(kv) > len(name) && kv[:len(name)+1] == name+"=" {
				if port, err := strconv.Atoi(kv[len(name)+1:]); err == nil {
					return port
				}
			}
		}
	}
	return 3000
}

// waitPort dials the Pod's port from the host until it answers.
func (r *podRuntime) waitPort(ctx context.Context, port int) bool {
	addr := net.JoinHostPort(r.ip, strconv.Itoa(port))
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return true
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			return false
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
