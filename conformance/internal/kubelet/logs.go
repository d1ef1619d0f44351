package kubelet

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// KubeletPort is where the API server asks for Pod logs, as on a real Node.
const KubeletPort = 10250

// logPath is where the container output of a Pod is kept, one line per
// output line, each prefixed with its RFC 3339 arrival time.
func (k *Kubelet) logPath(namespace, name string) string {
	return filepath.Join(k.Dir, "pods", fmt.Sprintf("%s_%s.log", namespace, name))
}

// copyLines appends each line of r to w with its arrival time, so a log
// request can honour sinceTime.
func copyLines(r io.Reader, w io.Writer) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		fmt.Fprintf(w, "%s %s\n", time.Now().UTC().Format(time.RFC3339Nano), scanner.Text())
	}
}

// ServeLogs answers the API server's /containerLogs/{ns}/{pod}/{container}
// requests on addr over TLS, for client certificates signed by caFile only.
func (k *Kubelet) ServeLogs(ctx context.Context, addr, certFile, keyFile, caFile string) error {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("cannot read the CA %s: %w", caFile, err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("cannot load the kubelet certificate: %w", err)
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen for log requests on %s: %w", addr, err)
	}
	server := &http.Server{
		Handler: http.HandlerFunc(k.serveContainerLogs),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		<-ctx.Done()
		server.Close()
	}()
	go func() {
		if err := server.ServeTLS(listener, "", ""); err != nil && err != http.ErrServerClosed {
			k.log.Printf("log server stopped: %v", err)
		}
	}()
	return nil
}

func (k *Kubelet) serveContainerLogs(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
	if !strings.HasPrefix(r.URL.Path, "/containerLogs/") || len(parts) != 3 {
		http.NotFound(w, r)
		return
	}
	file, err := os.Open(k.logPath(parts[0], parts[1]))
	if err != nil {
		http.Error(w, "no logs for this Pod", http.StatusNotFound)
		return
	}
	defer file.Close()
	var since time.Time
	if value := r.URL.Query().Get("sinceTime"); value != "" {
		if since, err = time.Parse(time.RFC3339, value); err != nil {
			http.Error(w, "cannot parse sinceTime: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	withTimestamps, _ := strconv.ParseBool(r.URL.Query().Get("timestamps"))
	w.Header().Set("Content-Type", "text/plain")
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		stamp, line, _ := strings.Cut(scanner.Text(), " ")
		at, err := time.Parse(time.RFC3339Nano, stamp)
		if err == nil && at.Before(since) {
			continue
		}
		if withTimestamps {
			line = stamp + " " + line
		}
		fmt.Fprintln(w, line)
	}
}
