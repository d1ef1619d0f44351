package kubelet

import (
	"bytes"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContainerLogsHonourSinceTimeAndStripTimestamps(t *testing.T) {
	k := New(nil, "node-a", t.TempDir(), "/bin-dir", "/rig", log.New(os.Stderr, "", 0))
	if err := os.MkdirAll(filepath.Join(k.Dir, "pods"), 0o755); err != nil {
		t.Fatal(err)
	}
	content := "2026-01-01T10:00:00.5Z old line\n2026-01-01T10:00:02.25Z Echoing back request made to /mirror to client\n"
	if err := os.WriteFile(k.logPath("infra", "backend-1"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	k.serveContainerLogs(rec, httptest.NewRequest("GET",
		"/containerLogs/infra/backend-1/backend?sinceTime=2026-01-01T10:00:01Z", nil))
	if got := rec.Body.String(); got != "Echoing back request made to /mirror to client\n" {
		t.Errorf("body = %q", got)
	}
	rec = httptest.NewRecorder()
	k.serveContainerLogs(rec, httptest.NewRequest("GET", "/containerLogs/infra/missing/c", nil))
	if rec.Code != 404 {
		t.Errorf("a Pod without logs answers %d", rec.Code)
	}
}

func TestCopyLinesStampsEveryLine(t *testing.T) {
	var out bytes.Buffer
	copyLines(strings.NewReader("one\ntwo"), &out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], " one") || !strings.HasSuffix(lines[1], " two") {
		t.Errorf("lines = %q", lines)
	}
}
