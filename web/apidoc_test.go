package web

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/shop"
	"github.com/sinopay/sinopay/web/apidoc"
	"github.com/sinopay/sinopay/webhook"
)

type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
	Comps   struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		} `json:"schemas"`
	} `json:"components"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var d openAPIDoc
	if err := json.Unmarshal(apidoc.OpenAPI, &d); err != nil {
		t.Fatal(err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", d.OpenAPI)
	}
	return d
}

// Every route of the API is in the OpenAPI document, and every path and
// method the document names is a route.
func TestOpenAPIRoutes(t *testing.T) {
	d := loadOpenAPI(t)
	src, err := os.ReadFile("server.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, m := range regexp.MustCompile(`mux\.HandleFunc\("([A-Z]+) /api/v1(/[^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		routes = append(routes, m[1]+" "+m[2])
	}
	var documented []string
	for path, ops := range d.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	if !slices.Equal(routes, documented) {
		t.Errorf("routes and document differ:\nroutes   %q\ndocument %q", routes, documented)
	}
}

// jsonFields are the JSON members of a struct type, and those always
// present (no omitempty).
func jsonFields(typ reflect.Type) (all, always []string) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			a, b := jsonFields(f.Type)
			all, always = append(all, a...), append(always, b...)
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	sort.Strings(always)
	return all, always
}

// Every member the handlers accept or return is in the document's
// schema, and every property of the schema is one of them; a member the
// answer always carries is required there.
func TestOpenAPIFields(t *testing.T) {
	d := loadOpenAPI(t)
	for _, c := range []struct {
		schema   string
		typ      any
		response bool
	}{
		{"PaymentRequest", apiPaymentBody{}, false},
		{"OperationRequest", apiOpBody{}, false},
		{"Payment", shop.APIPaymentView{}, true},
		{"ATM", shop.APIATM{}, true},
		{"Card", shop.APICard{}, true},
		{"Operation", apiOperation{}, true},
		{"ErrorBody", apiError{}, true},
		{"Event", webhook.Event{}, true},
		{"EventData", webhook.EventData{}, true},
		{"PaymentList", apiList{}, true},
		{"EventList", apiList{}, true},
	} {
		s, ok := d.Comps.Schemas[c.schema]
		if !ok {
			t.Errorf("no schema %s", c.schema)
			continue
		}
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		sort.Strings(props)
		all, always := jsonFields(reflect.TypeOf(c.typ))
		if !slices.Equal(all, props) {
			t.Errorf("%s: the code has %q, the document %q", c.schema, all, props)
		}
		if c.response {
			req := slices.Clone(s.Required)
			sort.Strings(req)
			if !slices.Equal(always, req) {
				t.Errorf("%s: always sent %q, required %q", c.schema, always, req)
			}
		}
	}
}

// The document is served as it is embedded, without a key.
func TestOpenAPIServed(t *testing.T) {
	r := newRig(t)
	p := r.browser().get("/api/v1/openapi.json")
	if p.Status != http.StatusOK || p.Body != string(apidoc.OpenAPI) || !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %q", p.Status, p.Header.Get("Content-Type"))
	}
}
