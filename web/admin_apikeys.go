package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/sinopay/sinopay/shop"
)

// adminAPIKeysPage lists the API keys with their webhook endpoints, and
// holds the forms to make a key and to add an endpoint, as typed when
// refused.
type adminAPIKeysPage struct {
	Keys []apiKeyRow
	// Made is the key just made, with its secret: shown on this one
	// answer, never again.
	Made       *shop.APIKey
	MadeSecret string

	Name, Mode string
	Problems   map[string]string // field → translation key, for the new-key form
	// EndpointKey is the key whose endpoint form was refused, with the
	// URL as typed and why.
	EndpointKey     int64
	EndpointURL     string
	EndpointProblem string
}

type apiKeyRow struct {
	*shop.APIKey
	Endpoints []*shop.WebhookEndpoint
	// Deliveries are the key's newest webhook deliveries.
	Deliveries []*shop.WebhookDelivery
}

// adminAPIKeys shows the API keys (GET /admin/apikeys).
func (s *Server) adminAPIKeys(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	s.renderAPIKeys(ctx, w, r, a, http.StatusOK, adminAPIKeysPage{Mode: string(shop.APITest)})
}

// renderAPIKeys fills p's list and writes the page.
func (s *Server) renderAPIKeys(ctx context.Context, w http.ResponseWriter, r *http.Request, a *shop.Customer, status int, p adminAPIKeysPage) {
	keys, err := s.db.APIKeys(ctx)
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/")
		return
	}
	for _, k := range keys {
		eps, err := s.db.WebhookEndpoints(ctx, k.ID)
		if err != nil {
			s.adminFail(w, r, a, err, "/admin/")
			return
		}
		ds, err := s.db.Deliveries(ctx, k.ID, 20)
		if err != nil {
			s.adminFail(w, r, a, err, "/admin/")
			return
		}
		p.Keys = append(p.Keys, apiKeyRow{APIKey: k, Endpoints: eps, Deliveries: ds})
	}
	if p.Made != nil {
		// The page holds the key's secret and its signing secret: no cache
		// keeps it, no link from it tells another site where it was, and
		// it is never compressed.
		secretPage(w)
	}
	s.renderAdmin(w, status, "admin_apikeys", s.newAdminView(r, a, "apikeys", "admin.apikeys.title", p))
}

// adminAPIKeyCreate makes a key (POST /admin/apikeys) and shows its
// secret on the answer, once. A wrong field brings the form back as
// typed, the reason beside it.
func (s *Server) adminAPIKeyCreate(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	form, err := parseForm(w, r)
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	p := adminAPIKeysPage{Name: strings.TrimSpace(form.Get("name")), Mode: form.Get("mode")}
	k, secret, err := s.db.CreateAPIKey(ctx, p.Name, shop.APIMode(p.Mode), s.now())
	if shop.IsCode(err, shop.Invalid) {
		field := "name"
		if shop.ErrorKey(err) == "apikey.mode_bad" {
			field = "mode"
		}
		p.Problems = map[string]string{field: shop.ErrorKey(err)}
		s.renderAPIKeys(ctx, w, r, a, http.StatusBadRequest, p)
		return
	}
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	s.log.InfoContext(r.Context(), "API key made", "key", k.ID, "mode", string(k.Mode), "admin", a.Email)
	s.renderAPIKeys(ctx, w, r, a, http.StatusOK, adminAPIKeysPage{Made: k, MadeSecret: secret, Mode: string(shop.APITest)})
}

// adminAPIKeyRevoke revokes a key (POST /admin/apikeys/{id}/revoke).
func (s *Server) adminAPIKeyRevoke(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	if _, err := parseForm(w, r); err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	k, revoked, err := s.db.RevokeAPIKey(ctx, id, s.now())
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	if revoked {
		s.log.InfoContext(r.Context(), "API key revoked", "key", k.ID, "admin", a.Email)
	}
	http.Redirect(w, r, "/admin/apikeys#key-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// adminWebhookAdd adds a webhook endpoint to a key (POST
// /admin/apikeys/{id}/endpoints); a refused URL comes back as typed,
// the reason beside it.
func (s *Server) adminWebhookAdd(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	form, err := parseForm(w, r)
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	raw := strings.TrimSpace(form.Get("url"))
	_, err = s.db.AddWebhookEndpoint(ctx, id, raw, s.now())
	if code := shop.ErrorCode(err); code == shop.Invalid || code == shop.Conflict {
		s.renderAPIKeys(ctx, w, r, a, http.StatusBadRequest, adminAPIKeysPage{Mode: string(shop.APITest),
			EndpointKey: id, EndpointURL: raw, EndpointProblem: shop.ErrorKey(err)})
		return
	}
	if err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	http.Redirect(w, r, "/admin/apikeys#key-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// adminWebhookRemove removes one of a key's endpoints (POST
// /admin/apikeys/{id}/endpoints/{endpoint}/remove).
func (s *Server) adminWebhookRemove(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	if _, err := parseForm(w, r); err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	eid, err := strconv.ParseInt(r.PathValue("endpoint"), 10, 64)
	if err != nil {
		s.adminMissing(w, r, a)
		return
	}
	if err := s.db.RemoveWebhookEndpoint(ctx, id, eid); err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	http.Redirect(w, r, "/admin/apikeys#key-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// adminDeliveryResend sends a webhook delivery that ended again (POST
// /admin/apikeys/{id}/deliveries/{delivery}/resend): for a merchant
// whose endpoint was down past the retries, or who lost what it got.
func (s *Server) adminDeliveryResend(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.timeout(r)
	defer cancel()
	a := s.admin(ctx, w, r)
	if a == nil {
		return
	}
	if _, err := parseForm(w, r); err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	id, ok := s.pathID(w, r, a)
	if !ok {
		return
	}
	did, err := strconv.ParseInt(r.PathValue("delivery"), 10, 64)
	if err != nil {
		s.adminMissing(w, r, a)
		return
	}
	if err := s.db.ResendDelivery(ctx, id, did, s.now()); err != nil {
		s.adminFail(w, r, a, err, "/admin/apikeys")
		return
	}
	s.log.InfoContext(r.Context(), "webhook delivery sent again", "delivery", did, "key", id, "admin", a.Email)
	http.Redirect(w, r, "/admin/apikeys#deliveries-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
