package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// prepare writes the Pod's Secret and ConfigMap volumes under dir and
// resolves the container environment. Mounts come back as "src:dst" pairs
// for the shim, which bind-mounts them in the Pod's own mount namespace.
func (k *Kubelet) prepare(ctx context.Context, pod *corev1.Pod, c *corev1.Container,
	dir, ip string) ([]string, []string, error) {
	var mounts []string
	for _, vm := range c.VolumeMounts {
		src, err := k.materialiseVolume(ctx, pod, vm.Name, filepath.Join(dir, "volumes", vm.Name))
		if err != nil {
			return nil, nil, err
		}
		if src == "" {
			continue
		}
		k.noteMountPoint(vm.MountPath)
		mounts = append(mounts, src+":"+vm.MountPath)
	}
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOSTNAME=" + pod.Name}
	for _, e := range c.Env {
		value, err := k.envValue(ctx, pod, e, ip)
		if err != nil {
			return nil, nil, err
		}
		env = append(env, e.Name+"="+value)
	}
	return mounts, env, nil
}

func (k *Kubelet) envValue(ctx context.Context, pod *corev1.Pod, e corev1.EnvVar, ip string) (string, error) {
	from := e.ValueFrom
	if from == nil {
		return e.Value, nil
	}
	switch {
	case from.FieldRef != nil:
		switch from.FieldRef.FieldPath {
		case "metadata.name":
			return pod.Name, nil
		case "metadata.namespace":
			return pod.Namespace, nil
		case "metadata.uid":
			return string(pod.UID), nil
		case "spec.nodeName":
			return k.NodeName, nil
		case "spec.serviceAccountName":
			return pod.Spec.ServiceAccountName, nil
		case "status.podIP":
			return ip, nil
		case "status.hostIP":
			return BridgeIP, nil
		}
		return "", fmt.Errorf("cannot resolve env %s: fieldRef %s is not supported", e.Name, from.FieldRef.FieldPath)
	case from.SecretKeyRef != nil:
		s, err := k.client.CoreV1().Secrets(pod.Namespace).Get(ctx, from.SecretKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("cannot resolve env %s: %w", e.Name, err)
		}
		return string(s.Data[from.SecretKeyRef.Key]), nil
	case from.ConfigMapKeyRef != nil:
		cm, err := k.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, from.ConfigMapKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("cannot resolve env %s: %w", e.Name, err)
		}
		return cm.Data[from.ConfigMapKeyRef.Key], nil
	}
	return "", fmt.Errorf("cannot resolve env %s: this valueFrom is not supported", e.Name)
}

// materialiseVolume writes a Secret or ConfigMap volume into dir. Other
// volume kinds (the API server's projected token) are not mounted: the
// suite's backends never read them.
func (k *Kubelet) materialiseVolume(ctx context.Context, pod *corev1.Pod, name, dir string) (string, error) {
	var vol *corev1.Volume
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == name {
			vol = &pod.Spec.Volumes[i]
		}
	}
	if vol == nil {
		return "", fmt.Errorf("cannot mount volume %s: the Pod does not declare it", name)
	}
	var data map[string][]byte
	var items []corev1.KeyToPath
	switch {
	case vol.Secret != nil:
		s, err := k.client.CoreV1().Secrets(pod.Namespace).Get(ctx, vol.Secret.SecretName, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("cannot mount secret %s: %w", vol.Secret.SecretName, err)
		}
		data, items = s.Data, vol.Secret.Items
	case vol.ConfigMap != nil:
		cm, err := k.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, vol.ConfigMap.Name, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("cannot mount config map %s: %w", vol.ConfigMap.Name, err)
		}
		data = map[string][]byte{}
		for key, v := range cm.Data {
			data[key] = []byte(v)
		}
		items = vol.ConfigMap.Items
	default:
		return "", nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cannot create volume dir %s: %w", dir, err)
	}
	files := map[string][]byte{}
	if len(items) == 0 {
		for key, v := range data {
			files[key] = v
		}
	}
	for _, item := range items {
		files[item.Path] = data[item.Key]
	}
	for path, v := range files {
		if strings.Contains(path, "..") {
			return "", fmt.Errorf("cannot mount volume %s: path %q leaves the volume", name, path)
		}
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(full, v, 0o644); err != nil {
			return "", fmt.Errorf("cannot write volume file %s: %w", full, err)
		}
	}
	return dir, nil
}

// noteMountPoint remembers a mount path that does not exist yet: the shim
// creates it, and RemoveMountPoints deletes it again when the rig stops.
func (k *Kubelet) noteMountPoint(path string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, seen := k.mountPoints[path]; seen {
		return
	}
	_, err := os.Stat(path)
	k.mountPoints[path] = os.IsNotExist(err)
}

// RemoveMountPoints deletes the empty mount points the shim created.
func (k *Kubelet) RemoveMountPoints() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for path, created := range k.mountPoints {
		if created {
			_ = os.Remove(path)
		}
	}
}
