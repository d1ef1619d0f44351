package kubelet

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// The pod network exists only inside the namespaces and the bridge the rig
// creates. Pods get no default route: they reach each other and the host
// over the bridge, and nothing else.
const (
	Bridge      = "srvrig0"
	PodCIDR     = "10.244.0.0/24"
	BridgeIP    = "10.244.0.1"
	netnsPrefix = "srvrig-pod-"
	vethPrefix  = "srvrigv"
	maxPods     = 250
)

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cannot run ip %s: %v: %s", strings.Join(args, " "), err,
			strings.TrimSpace(string(out)))
	}
	return nil
}

// CheckNetns fails with the reason when this machine cannot make network
// namespaces (no ip tool, not root, no kernel support).
func CheckNetns() error {
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("cannot run Pods: the ip command (iproute2) is not installed")
	}
	probe := netnsPrefix + "probe"
	_ = exec.Command("ip", "netns", "del", probe).Run()
	if err := ipCmd("netns", "add", probe); err != nil {
		return fmt.Errorf("cannot run Pods: network namespaces are unavailable: %w", err)
	}
	return ipCmd("netns", "del", probe)
}

// SetupBridge removes leftovers of an earlier run and creates the bridge.
func SetupBridge() error {
	CleanupNetwork()
	if err := ipCmd("link", "add", Bridge, "type", "bridge"); err != nil {
		return err
	}
	if err := ipCmd("addr", "add", BridgeIP+"/24", "dev", Bridge); err != nil {
		return err
	}
	return ipCmd("link", "set", Bridge, "up")
}

// CleanupNetwork kills what runs in the rig's namespaces and deletes them,
// their veths and the bridge. Safe to call when nothing exists.
func CleanupNetwork() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 && strings.HasPrefix(fields[0], netnsPrefix) {
			deleteNetns(fields[0])
		}
	}
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(links), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 1 {
			name, _, _ := strings.Cut(strings.TrimSuffix(fields[1], ":"), "@")
			if strings.HasPrefix(name, vethPrefix) {
				_ = exec.Command("ip", "link", "del", name).Run()
			}
		}
	}
	_ = exec.Command("ip", "link", "del", Bridge).Run()
}

func deleteNetns(name string) {
	killNetnsProcesses(name)
	_ = exec.Command("ip", "netns", "del", name).Run()
}

func killNetnsProcesses(name string) {
	out, _ := exec.Command("ip", "netns", "pids", name).Output()
	for _, field := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(field); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// podIP is the address of pod slot i (slot 0 is 10.244.0.2).
func podIP(slot int) string {
	ip := net.ParseIP(BridgeIP).To4()
	return net.IPv4(ip[0], ip[1], ip[2], byte(2+slot)).String()
}

// addPodNetwork makes namespace and veth for slot and gives eth0 its address.
func addPodNetwork(slot int) (netns, ip string, err error) {
	netns = fmt.Sprintf("%s%d", netnsPrefix, slot)
	veth := fmt.Sprintf("%s%d", vethPrefix, slot)
	ip = podIP(slot)
	deleteNetns(netns)
	// A namespace outlives "ip netns del" while a process holds it, and its
	// veth with it: remove the host end by name too.
	_ = exec.Command("ip", "link", "del", veth).Run()
	steps := [][]string{
		{"netns", "add", netns},
		{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns},
		{"link", "set", veth, "master", Bridge, "up"},
		{"-n", netns, "addr", "add", ip + "/24", "dev", "eth0"},
		{"-n", netns, "link", "set", "eth0", "up"},
		{"-n", netns, "link", "set", "lo", "up"},
	}
	for _, step := range steps {
		if err := ipCmd(step...); err != nil {
			deleteNetns(netns)
			return "", "", err
		}
	}
	return netns, ip, nil
}

// removePodNetwork ends the processes of slot's namespace and deletes the
// namespace and its veth.
func removePodNetwork(slot int) {
	deleteNetns(fmt.Sprintf("%s%d", netnsPrefix, slot))
	_ = exec.Command("ip", "link", "del", fmt.Sprintf("%s%d", vethPrefix, slot)).Run()
}
