// Package kubelet is the rig's process kubelet: it registers one Node,
// binds pending Pods to it, and runs each Pod as a process in its own
// network namespace on a bridge, like a kubelet with a bridge CNI.
package kubelet

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Kubelet runs the Pods of one Node.
type Kubelet struct {
	NodeName string
	Dir      string // pod logs and volumes
	BinDir   string // echo-basic and friends
	Shim     string // the rig binary, run as "shim" inside each namespace

	client kubernetes.Interface
	log    *log.Logger
	queue  workqueue.TypedRateLimitingInterface[string]
	lister func(key string) (*corev1.Pod, bool)

	mu    sync.Mutex
	pods  map[string]*podRuntime // by namespace/name
	slots [maxPods]bool
	// mountPoints maps each volume mount path to whether the rig created it.
	mountPoints map[string]bool
}

// New returns a kubelet for client; call Run to start it.
func New(client kubernetes.Interface, nodeName, dir, binDir, shim string, logger *log.Logger) *Kubelet {
	return &Kubelet{NodeName: nodeName, Dir: dir, BinDir: binDir, Shim: shim, client: client,
		log: logger, pods: map[string]*podRuntime{}, mountPoints: map[string]bool{}}
}

// Run registers the Node and syncs Pods until ctx ends, then stops every
// Pod and removes its namespace.
func (k *Kubelet) Run(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(k.Dir, "pods"), 0o755); err != nil {
		return fmt.Errorf("cannot create the kubelet's folder: %w", err)
	}
	if err := k.registerNode(ctx); err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(k.client, 0)
	informer := factory.Core().V1().Pods().Informer()
	k.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	_, _ = informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }, DeleteFunc: enqueue,
	})
	k.lister = func(key string) (*corev1.Pod, bool) {
		obj, exists, err := informer.GetIndexer().GetByKey(key)
		if err != nil || !exists {
			return nil, false
		}
		return obj.(*corev1.Pod), true
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		return fmt.Errorf("cannot sync the Pod informer")
	}
	var workers sync.WaitGroup
	for i := 0; i < 4; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for k.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	k.queue.ShutDown()
	workers.Wait()
	k.stopAll()
	k.RemoveMountPoints()
	return nil
}

func (k *Kubelet) processNext(ctx context.Context) bool {
	key, quit := k.queue.Get()
	if quit {
		return false
	}
	defer k.queue.Done(key)
	if err := k.sync(ctx, key); err != nil && ctx.Err() == nil {
		k.log.Printf("pod %s: %v", key, err)
		k.queue.AddRateLimited(key)
		return true
	}
	k.queue.Forget(key)
	return true
}

// sync brings one Pod key to its wanted state.
func (k *Kubelet) sync(ctx context.Context, key string) error {
	pod, exists := k.lister(key)
	k.mu.Lock()
	current := k.pods[key]
	k.mu.Unlock()
	if current != nil && (!exists || pod.UID != current.uid || pod.DeletionTimestamp != nil) {
		k.stop(key, current)
	}
	if !exists {
		return nil
	}
	if pod.Spec.NodeName == "" {
		return k.bind(ctx, pod)
	}
	if pod.Spec.NodeName != k.NodeName {
		return nil
	}
	if pod.DeletionTimestamp != nil {
		zero := int64(0)
		err := k.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil
	}
	if current != nil && current.uid == pod.UID {
		return nil
	}
	return k.startPod(ctx, key, pod)
}

func (k *Kubelet) startPod(ctx context.Context, key string, pod *corev1.Pod) error {
	k.mu.Lock()
	slot := -1
	for i, used := range k.slots {
		if !used {
			slot = i
			k.slots[i] = true
			break
		}
	}
	if slot < 0 {
		k.mu.Unlock()
		return fmt.Errorf("cannot start pod: all %d pod addresses are in use", maxPods)
	}
	podCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &podRuntime{k: k, uid: pod.UID, ns: pod.Namespace, name: pod.Name, slot: slot,
		cancel: cancel, done: make(chan struct{})}
	k.pods[key] = r
	k.mu.Unlock()
	go r.run(podCtx, pod.DeepCopy())
	return nil
}

func (k *Kubelet) stop(key string, r *podRuntime) {
	r.cancel()
	<-r.done
	k.mu.Lock()
	if k.pods[key] == r {
		delete(k.pods, key)
	}
	k.mu.Unlock()
}

func (k *Kubelet) stopAll() {
	k.mu.Lock()
	pods := make(map[string]*podRuntime, len(k.pods))
	for key, r := range k.pods {
		pods[key] = r
	}
	k.mu.Unlock()
	var wg sync.WaitGroup
	for key, r := range pods {
		wg.Add(1)
		go func() { defer wg.Done(); k.stop(key, r) }()
	}
	wg.Wait()
}

func (k *Kubelet) releaseSlot(slot int) {
	k.mu.Lock()
	k.slots[slot] = false
	k.mu.Unlock()
}

// bind stands in for the scheduler: there is one Node, so every Pod goes there.
func (k *Kubelet) bind(ctx context.Context, pod *corev1.Pod) error {
	err := k.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: k.NodeName},
	}, metav1.CreateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

func (k *Kubelet) registerNode(ctx context.Context) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("64Gi"),
		corev1.ResourcePods:   resource.MustParse(fmt.Sprint(maxPods)),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: k.NodeName, Labels: map[string]string{
			"kubernetes.io/hostname": k.NodeName, "kubernetes.io/os": "linux"}},
		Spec: corev1.NodeSpec{PodCIDR: PodCIDR, PodCIDRs: []string{PodCIDR}},
	}
	created, err := k.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = k.client.CoreV1().Nodes().Get(ctx, k.NodeName, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("cannot register node %s: %w", k.NodeName, err)
	}
	now := metav1.Now()
	created.Status = corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity, Phase: corev1.NodeRunning,
		DaemonEndpoints: corev1.NodeDaemonEndpoints{
			KubeletEndpoint: corev1.DaemonEndpoint{Port: KubeletPort}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: BridgeIP},
			{Type: corev1.NodeHostName, Address: k.NodeName}},
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
			Reason: "KubeletReady", Message: "process kubelet is running",
			LastHeartbeatTime: now, LastTransitionTime: now}},
	}
	if _, err := k.client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("cannot set the status of node %s: %w", k.NodeName, err)
	}
	return nil
}
