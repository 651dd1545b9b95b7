package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sinopay/sinopay/internal/proctest"
	"github.com/sinopay/sinopay/internal/waitfor"
)

// sinopay health asks a shop's /readyz: exit 0 when ready, 1 when not or
// when nothing answers; by default at SINOPAY_ADDR, a wildcard host asked
// on loopback.
func TestHealthCommand(t *testing.T) {
	proctest.Binary(t) // built from the module, before the test leaves it
	serveCleanEnv(t)
	shop := proctest.StartShop(t, proctest.ShopOptions{})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	waitReadyz(t, ctx, shop.URL, http.StatusOK, "database: ok")
	if code, out, errOut := runOut("health", "--url", shop.URL+"/readyz"); code != 0 || !strings.Contains(out, "200 OK") || !strings.Contains(out, "database: ok") {
		t.Errorf("health --url: %d %q %q", code, out, errOut)
	}
	_, port, _ := net.SplitHostPort(shop.Addr)
	t.Setenv("SINOPAY_ADDR", "0.0.0.0:"+port)
	if code, out, errOut := runOut("health"); code != 0 || !strings.Contains(out, "http://127.0.0.1:"+port+"/readyz 200 OK") {
		t.Errorf("health from SINOPAY_ADDR: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runOut("health", "--url", shop.URL+"/no-such-page"); code != 1 || !strings.Contains(errOut, "not ready: 404") {
		t.Errorf("health of a 404: %d %q", code, errOut)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if code, _, errOut := runOut("health", "--url", "http://"+closed+"/readyz"); code != 1 || !strings.Contains(errOut, "not ready") {
		t.Errorf("health of nothing: %d %q", code, errOut)
	}
}

// deploy/sinopay.service passes systemd-analyze verify, without a
// warning, and keeps its hardening. systemd-analyze is not on every
// machine, CI's included: the test skips without it.
func TestSystemdUnit(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
	}
	root, err := proctest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile(filepath.Join(root, "deploy", "sinopay.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nExecStart=/usr/local/bin/sinopay serve\n", "\nUser=sinopay\n", "\nStateDirectory=sinopay\n",
		"\nEnvironmentFile=", "\nRestart=on-failure\n", "\nProtectSystem=strict\n", "\nNoNewPrivileges=yes\n",
		"\nProtectHome=yes\n", "\nPrivateTmp=yes\n", "\nCapabilityBoundingSet=\n",
	} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	// verify checks that ExecStart is there: point it at the binary.
	dir := t.TempDir()
	path := filepath.Join(dir, "sinopay.service")
	unit = bytes.ReplaceAll(unit, []byte("/usr/local/bin/sinopay"), []byte(proctest.Binary(t)))
	if err := os.WriteFile(path, unit, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("systemd-analyze", "verify", path)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		// An unknown or misspelt key is only a warning, exit 0.
		t.Errorf("systemd-analyze verify: %v\n%s", err, stderr.String())
	}
	out, err := exec.Command("systemd-analyze", "security", "--offline=yes", path).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for sinopay\.service: ([0-9.]+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Errorf("exposure level %.1f, want at most 2.0 (\"OK\")", level)
	} else {
		t.Logf("systemd-analyze security: exposure level %.1f", level)
	}
}

// The Dockerfile builds with podman from a static binary and no
// registry, and the container becomes healthy: serve answers /readyz as a
// user that is not root. Skipped without podman (CI does not need it).
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a static binary and an image")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed (Debian: apt-get install podman)")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image is a linux one")
	}
	root, err := proctest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	sh := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = root
		cmd.Env = append(proctest.Env(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	bin := filepath.Join("dist", "test-"+strconv.Itoa(os.Getpid()), "sinopay-linux-"+runtime.GOARCH)
	t.Cleanup(func() { os.RemoveAll(filepath.Join(root, filepath.Dir(bin))) })
	sh("go", "build", "-trimpath", "-o", bin, "./cmd/sinopay")
	tag := fmt.Sprintf("localhost/sinopay-test:%d", os.Getpid())
	// --format docker: the OCI format has no HEALTHCHECK.
	sh("podman", "build", "--format", "docker", "--pull=never", "--build-arg", "BINARY="+bin, "-t", tag, ".")
	t.Cleanup(func() { exec.Command("podman", "rmi", "-f", tag).Run() })
	if got := sh("podman", "image", "inspect", "--format", "{{.HealthCheck.Test}}|{{.Config.User}}", tag); got != "[CMD /sinopay health --timeout 5s]|65532:65532" {
		t.Errorf("the image's health check and user: %s", got)
	}

	name := fmt.Sprintf("sinopay-test-%d", os.Getpid())
	t.Cleanup(func() { exec.Command("podman", "rm", "-f", "-t", "0", name).Run() })
	run := exec.CommandContext(ctx, "podman", "run", "-d", "--name", name, "--network", "none", tag)
	if out, err := run.CombinedOutput(); err != nil {
		// Some machines build images but cannot run containers: a VM
		// whose cgroups crun does not support, limits it cannot set.
		if bytes.Contains(out, []byte("OCI runtime error")) || bytes.Contains(out, []byte("OCI permission denied")) {
			t.Skipf("the image builds, but this machine cannot run containers: %s", bytes.TrimSpace(out))
		}
		t.Fatalf("podman run: %v\n%s", err, out)
	}
	// The image's own HEALTHCHECK, run when asked (its timer needs systemd).
	waitfor.Event(t, 2*time.Minute, "the container healthy", func(ctx context.Context) error {
		out, err := exec.CommandContext(ctx, "podman", "healthcheck", "run", name).CombinedOutput()
		if err != nil {
			logs, _ := exec.Command("podman", "logs", "--tail", "5", name).CombinedOutput()
			return fmt.Errorf("%v %s; its log ends:\n%s", err, out, logs)
		}
		return nil
	})
	if out := sh("podman", "exec", name, "/sinopay", "health"); !strings.Contains(out, "database: ok") {
		t.Errorf("health inside the container: %s", out)
	}
}
