package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"serval-k8s-gateway/conformance/internal/controlplane"
	"serval-k8s-gateway/conformance/internal/kubelet"
)

// stateFile records the rig's own pid and its children's, beside the
// binaries, so the next start can end a crashed run's processes.
func stateFile(binDir string) string { return filepath.Join(binDir, "..", "rig-processes") }

func recordChildren(path string, cp *controlplane.ControlPlane) {
	lines := []string{strconv.Itoa(os.Getpid())}
	if cp != nil {
		for _, pid := range cp.Pids() {
			lines = append(lines, strconv.Itoa(pid))
		}
	}
	_ = os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// killRecorded ends the process groups a previous run recorded, if those
// pids still run one of the rig's binaries (a pid may have been reused).
func killRecorded(path string, logger *log.Logger) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	binDir := filepath.Dir(path)
	for _, field := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(field)
		if err != nil || pid == os.Getpid() {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || !strings.HasPrefix(exe, binDir) {
			continue
		}
		logger.Printf("ending process %d (%s) left by an earlier run", pid, exe)
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for i := 0; i < 50 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
	_ = os.Remove(path)
}

// cleanup removes what a crashed run left: its processes, namespaces,
// veths and bridge.
func cleanup(args []string) error {
	fs := flag.NewFlagSet("cleanup", flag.ContinueOnError)
	binDir := fs.String("bin-dir", "", "directory holding the rig's binaries")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *binDir == "" {
		return fmt.Errorf("cannot clean up: --bin-dir is required")
	}
	logger := log.New(os.Stderr, "rig: ", log.Ltime)
	path := filepath.Join(*binDir, "..", "rig.lock")
	file, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open the rig lock %s: %w", path, err)
	}
	defer file.Close()
	if err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		logger.Printf("another rig is running; leaving its processes and network alone")
		return nil
	}
	killRecorded(stateFile(*binDir), logger)
	kubelet.CleanupNetwork()
	return nil
}

// lockMachine takes the machine-wide rig lock beside the binaries, waiting
// while another rig holds it.
func lockMachine(binDir string, logger *log.Logger) (func(), error) {
	path := filepath.Join(binDir, "..", "rig.lock")
	file, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open the rig lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		logger.Printf("another rig is running on this machine; waiting for it to finish")
		if err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX); err != nil {
			file.Close()
			return nil, fmt.Errorf("cannot take the rig lock %s: %w", path, err)
		}
	}
	return func() { file.Close() }, nil
}
