package sandbox

import "net/http"

type pages struct{ s *Sandbox }

func newPages(s *Sandbox) (*pages, error) { return &pages{s: s}, nil }

func (p *pages) routes(mux *http.ServeMux) {}
