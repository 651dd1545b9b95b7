package sandbox_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// A member the bank is not known to read is ignored, never refused, and
// reported with the name it was probably meant to be: on the control API,
// the dashboard and the log.
func TestUnknownMembersAreFlagged(t *testing.T) {
	var logs strings.Builder
	r := newRig(t, sandbox.Options{Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs}, nil))})
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", atmMsg("U1")); a.Status != "S" {
		t.Fatal(a.Description)
	}
	// One PHP SDK sends the filter as "PayFlag " with a trailing space: the
	// query goes through, unfiltered.
	a := r.send(sandbox.DemoShopNo, r.keys, "OrderQuery", `{"ShopNo":"NA0249_001","PayType":"A","PayFlag ":"Y"}`)
	if a.Status != "S" || !strings.Contains(string(a.Message), `"U1"`) {
		t.Fatalf("OrderQuery with a misspelt filter: %s %s", a.Description, a.Message)
	}
	// A typo in a nested object, a name with another case (known: not
	// flagged) and a name like nothing known.
	msg := cardMsg("U2", `{"AutoBiling":"Y","expminutes":10}`, `"PrdtName"`, `"Colour":"red","PrdtName"`)
	if a := r.send(sandbox.DemoShopNo, r.keys, "OrderCreate", msg); a.Status != "S" {
		t.Fatal(a.Description)
	}
	notices := r.sb.Notices()
	if len(notices) != 2 {
		t.Fatalf("notices: %+v", notices)
	}
	want := map[string][]string{
		"OrderQuery":  {`unknown member "PayFlag " ignored — did you mean "PayFlag"?`},
		"OrderCreate": {`unknown member "Colour" ignored`, `unknown member "CardParam.AutoBiling" ignored — did you mean "CardParam.AutoBilling"?`},
	}
	for _, n := range notices {
		if strings.Join(n.Notes, "\n") != strings.Join(want[n.APIService], "\n") {
			t.Errorf("%s: notes %q, want %q", n.APIService, n.Notes, want[n.APIService])
		}
	}
	var viaAPI []sandbox.NoticeView
	if st := r.control("GET", "/_sandbox/notices", nil, &viaAPI); st != 200 || len(viaAPI) != 2 {
		t.Fatalf("GET /_sandbox/notices: %d %+v", st, viaAPI)
	}
	resp, err := http.Get(r.srv.URL + "/_sandbox/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(page), `did you mean &#34;PayFlag&#34;?`) {
		t.Errorf("the dashboard does not show the notice:\n%s", page)
	}
	if !strings.Contains(logs.String(), "PayFlag") {
		t.Errorf("the log does not name the member")
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
