package kubelet

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// updateStatus applies mutate to the latest Pod status and writes it,
// retrying on conflicts. A Pod that is gone is not an error.
func (k *Kubelet) updateStatus(ctx context.Context, pod *corev1.Pod, mutate func(*corev1.PodStatus)) {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		latest, err := k.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if latest.UID != pod.UID || latest.DeletionTimestamp != nil {
			return nil
		}
		mutate(&latest.Status)
		_, err = k.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, latest, metav1.UpdateOptions{})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		k.log.Printf("pod %s/%s: cannot update status: %v", pod.Namespace, pod.Name, err)
	}
}

func setCondition(status *corev1.PodStatus, kind corev1.PodConditionType, ok bool, reason string) {
	value := corev1.ConditionFalse
	if ok {
		value = corev1.ConditionTrue
	}
	for i := range status.Conditions {
		if status.Conditions[i].Type == kind {
			if status.Conditions[i].Status != value {
				status.Conditions[i].Status = value
				status.Conditions[i].LastTransitionTime = metav1.Now()
			}
			status.Conditions[i].Reason = reason
			return
		}
	}
	status.Conditions = append(status.Conditions, corev1.PodCondition{
		Type: kind, Status: value, Reason: reason, LastTransitionTime: metav1.Now()})
}

func (k *Kubelet) base(status *corev1.PodStatus, ip string) {
	status.HostIP = BridgeIP
	status.HostIPs = []corev1.HostIP{{IP: BridgeIP}}
	if ip != "" {
		status.PodIP = ip
		status.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	if status.StartTime == nil {
		now := metav1.Now()
		status.StartTime = &now
	}
	setCondition(status, corev1.PodScheduled, true, "")
}

// waiting records why the container cannot start; the Pod stays Pending.
func (k *Kubelet) waiting(ctx context.Context, pod *corev1.Pod, reason, message string) {
	k.log.Printf("pod %s/%s: %s: %s", pod.Namespace, pod.Name, reason, message)
	c := pod.Spec.Containers[0]
	k.updateStatus(ctx, pod, func(s *corev1.PodStatus) {
		k.base(s, "")
		s.Phase = corev1.PodPending
		setCondition(s, corev1.PodReady, false, "ContainersNotReady")
		setCondition(s, corev1.ContainersReady, false, "ContainersNotReady")
		s.ContainerStatuses = []corev1.ContainerStatus{{Name: c.Name, Image: c.Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason: reason, Message: message}}}}
	})
}

// running records a started container, ready once its port answered.
func (k *Kubelet) running(ctx context.Context, pod *corev1.Pod, ip string, started metav1.Time,
	restarts int32, ready bool) {
	c := pod.Spec.Containers[0]
	k.updateStatus(ctx, pod, func(s *corev1.PodStatus) {
		k.base(s, ip)
		s.Phase = corev1.PodRunning
		setCondition(s, corev1.PodInitialized, true, "")
		setCondition(s, corev1.ContainersReady, ready, "")
		setCondition(s, corev1.PodReady, ready, "")
		s.ContainerStatuses = []corev1.ContainerStatus{{Name: c.Name, Image: c.Image,
			ImageID: c.Image, ContainerID: "process://" + string(pod.UID), Ready: ready,
			Started: &ready, RestartCount: restarts,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}}}
	})
}

// terminated records a container that exited; it is restarted.
func (k *Kubelet) terminated(ctx context.Context, pod *corev1.Pod, ip string, restarts int32, err error) {
	c := pod.Spec.Containers[0]
	code := int32(0)
	if err != nil {
		code = 1
	}
	k.updateStatus(ctx, pod, func(s *corev1.PodStatus) {
		k.base(s, ip)
		setCondition(s, corev1.ContainersReady, false, "ContainersNotReady")
		setCondition(s, corev1.PodReady, false, "ContainersNotReady")
		s.ContainerStatuses = []corev1.ContainerStatus{{Name: c.Name, Image: c.Image,
			RestartCount: restarts, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: code, Reason: "Error", FinishedAt: metav1.Now()}}}}
	})
}
