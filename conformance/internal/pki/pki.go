// Package pki makes the throwaway certificates and keys one rig run needs:
// a CA, the API server's serving certificate, an admin client certificate
// (group system:masters) and the service-account signing key.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// KubeletIP is where the process kubelet serves Pod logs: the address of
// the rig's bridge (kubelet.BridgeIP).
const KubeletIP = "10.244.0.1"

// Files names the PEM files written by Generate.
type Files struct {
	CACert, ServerCert, ServerKey, AdminCert, AdminKey, SAKey, SAPub string
	// KubeletCert and KubeletKey serve the kubelet's log endpoint.
	KubeletCert, KubeletKey string
}

// Generate writes a fresh CA and the certificates signed by it into dir.
func Generate(dir string) (Files, error) {
	f := Files{
		CACert:      filepath.Join(dir, "ca.crt"),
		ServerCert:  filepath.Join(dir, "apiserver.crt"),
		ServerKey:   filepath.Join(dir, "apiserver.key"),
		AdminCert:   filepath.Join(dir, "admin.crt"),
		AdminKey:    filepath.Join(dir, "admin.key"),
		SAKey:       filepath.Join(dir, "sa.key"),
		SAPub:       filepath.Join(dir, "sa.pub"),
		KubeletCert: filepath.Join(dir, "kubelet.crt"),
		KubeletKey:  filepath.Join(dir, "kubelet.key"),
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, fmt.Errorf("cannot generate the CA key: %w", err)
	}
	caTemplate := template("rig-ca", nil)
	caTemplate.IsCA = true
	caTemplate.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	caTemplate.BasicConstraintsValid = true
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return f, fmt.Errorf("cannot sign the CA certificate: %w", err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	if err := writePEM(f.CACert, "CERTIFICATE", caDER); err != nil {
		return f, err
	}

	server := template("kube-apiserver", nil)
	server.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	server.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}
	server.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
	if err := issue(server, caCert, caKey, f.ServerCert, f.ServerKey); err != nil {
		return f, err
	}
	kubelet := template("rig-kubelet", nil)
	kubelet.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	kubelet.IPAddresses = []net.IP{net.ParseIP(KubeletIP)}
	if err := issue(kubelet, caCert, caKey, f.KubeletCert, f.KubeletKey); err != nil {
		return f, err
	}
	admin := template("rig-admin", []string{"system:masters"})
	admin.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if err := issue(admin, caCert, caKey, f.AdminCert, f.AdminKey); err != nil {
		return f, err
	}

	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return f, fmt.Errorf("cannot generate the service-account key: %w", err)
	}
	if err := writePEM(f.SAKey, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey)); err != nil {
		return f, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return f, fmt.Errorf("cannot encode the service-account public key: %w", err)
	}
	return f, writePEM(f.SAPub, "PUBLIC KEY", pub)
}

func template(cn string, orgs []string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
}

func issue(tpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("cannot generate a key for %s: %w", tpl.Subject.CommonName, err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("cannot sign the certificate for %s: %w", tpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("cannot encode the key for %s: %w", tpl.Subject.CommonName, err)
	}
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return err
	}
	return writePEM(keyPath, "PRIVATE KEY", keyDER)
}

func writePEM(path, kind string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// Kubeconfig renders a kubeconfig for server that authenticates with the
// admin client certificate, with every file inlined by path.
func Kubeconfig(f Files, server string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: rig
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: rig-admin
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: rig
  context:
    cluster: rig
    user: rig-admin
current-context: rig
`, server, f.CACert, f.AdminCert, f.AdminKey)
}
