package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/internal/proctest"
)

func TestMain(m *testing.M) { os.Exit(proctest.Main(m)) }

// versionLines runs `version` on bin and returns its lines by key:
// "sinopay", "revision:", "time:", "go:".
func versionLines(t *testing.T, bin string, args ...string) map[string]string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, " ")
		m[k] = strings.TrimSpace(v)
	}
	return m
}

func TestVersion(t *testing.T) {
	code, out, errOut := runOut("version")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "sinopay ") || !strings.Contains(out, "\ngo:       "+runtime.Version()+" ") || !strings.Contains(out, "\nrevision: ") {
		t.Fatalf("version: %d\n%s%s", code, out, errOut)
	}
	if code, out2, _ := runOut("--version"); code != 0 || out2 != out {
		t.Errorf("--version differs from version:\n%s", out2)
	}
	if code, _, _ := runOut("version", "extra"); code != 2 {
		t.Errorf("version extra: exit %d, want 2", code)
	}
}

// The running shop tells its build in its start-up log line and in
// sinopay_build_info, with the values `sinopay version` prints.
func TestServeTellsItsBuild(t *testing.T) {
	v := versionLines(t, proctest.Binary(t), "version")
	goVersion, _, _ := strings.Cut(v["go:"], " ")
	shop := proctest.StartShop(t, proctest.ShopOptions{})
	for _, want := range []string{`"msg":"starting sinopay serve"`, `"version":"` + v["sinopay"] + `"`, `"revision":"` + v["revision:"] + `"`, `"go":"` + goVersion + `"`} {
		if !strings.Contains(shop.Output(), want) {
			t.Errorf("no %s in the start-up log:\n%s", want, shop.Output())
		}
	}
	resp, err := http.Get(shop.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `sinopay_build_info{goversion="` + goVersion + `",revision="` + v["revision:"] + `",version="` + v["sinopay"] + `"} 1`
	if !strings.Contains(string(body), want) {
		t.Errorf("no %s in /metrics:\n%s", want, body)
	}
}

// scripts/release builds the same bytes twice, stamps the version and
// the commit, and writes SHA256SUMS. Two cross builds take minutes on a
// small machine: skipped under -short.
func TestReleaseReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release twice")
	}
	for _, tool := range []string{"bash", "git", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("scripts/release needs %s", tool)
		}
	}
	root, err := proctest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	target := runtime.GOOS + "/" + runtime.GOARCH
	name := "sinopay-v0.0.1-test-" + runtime.GOOS + "-" + runtime.GOARCH
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	var builds [2][]byte
	var sums [2][]byte
	for i := range builds {
		out := filepath.Join(t.TempDir(), "dist")
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "release"), "v0.0.1-test", out)
		cmd.Env = append(proctest.Env(), "SINOPAY_RELEASE_TARGETS="+target, "SINOPAY_RELEASE_DIRTY=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scripts/release: %v\n%s", err, b)
		}
		if builds[i], err = os.ReadFile(filepath.Join(out, name)); err != nil {
			t.Fatal(err)
		}
		if sums[i], err = os.ReadFile(filepath.Join(out, "SHA256SUMS")); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			v := versionLines(t, filepath.Join(out, name), "version")
			if v["sinopay"] != "v0.0.1-test" || strings.TrimSuffix(v["revision:"], "-dirty") != strings.TrimSpace(string(head)) || v["time:"] == "" {
				t.Errorf("the release binary says %v; want v0.0.1-test at %s", v, head)
			}
		}
	}
	if !bytes.Equal(builds[0], builds[1]) {
		t.Errorf("two builds of %s differ", name)
	}
	if !bytes.Equal(sums[0], sums[1]) || !bytes.Contains(sums[0], []byte("  "+name+"\n")) {
		t.Errorf("SHA256SUMS:\n%s\n%s", sums[0], sums[1])
	}
}
