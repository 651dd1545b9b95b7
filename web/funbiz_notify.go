package web

import (
	"errors"
	"net/http"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/payment"
	"github.com/sinopay/sinopay/shop"
)

// funbizNotify is the BackendURL (POST /funbiz/notify): the bank's server
// tells us a PayToken. It is acknowledged only after the PayToken is
// stored (one row, which is also the work item of its confirmation); when
// it cannot be, the answer is 503 and the bank sends it again (every 10
// minutes, 5 times). Input the bank would never send is a 400 with the
// reason, for whoever is testing.
//
// Anyone can post here. A notification from one of the bank's addresses
// (Config.NotifyFrom) is recorded in the bank's lane and confirmed first;
// any other sender's waits behind the bank's, in a queue of bounded
// length that answers 503 when full, where a PayToken recorded before
// costs nothing (payment.Service.RecordOther).
//
// On SQLite, stored means in the file at the configured path: the bank
// never sends again what was acknowledged, so a notification is refused
// when that file is gone or replaced (an open database would still take
// the write, into a file a restart never opens), before it is recorded
// and again before it is acknowledged. The database logs that once.
func (s *Server) funbizNotify(w http.ResponseWriter, r *http.Request) {
	s.metrics.NotificationReceived()
	n, err := funbiz.ParseNotification(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.db.CheckFile() != nil {
		http.Error(w, notRecorded, http.StatusServiceUnavailable)
		return
	}
	if s.knownSender(r) {
		_, err = s.pay.RecordCallback(r.Context(), n, shop.SourceNotify, 0)
	} else {
		err = s.pay.RecordOther(r.Context(), n)
	}
	if err == nil {
		err = s.db.CheckFile()
	}
	switch {
	case err == nil:
		// For fault tests: recorded, not yet acknowledged.
		s.hooks.Point("notify-recorded")
		funbiz.WriteAck(w)
		s.metrics.NotificationAcknowledged()
	case shop.IsCode(err, shop.Invalid):
		http.Error(w, "notification refused: "+shop.ErrorKey(err), http.StatusBadRequest)
	case errors.Is(err, payment.ErrBacklogFull):
		// Not logged: a flood would fill the log. The metrics count it.
		s.metrics.NotificationDeferred()
		w.Header().Set("Retry-After", "60")
		http.Error(w, "too many notifications from unknown senders are waiting; please send it again later", http.StatusServiceUnavailable)
	default:
		s.log.ErrorContext(r.Context(), "notification not recorded; the bank will send it again", "error", err)
		http.Error(w, notRecorded, http.StatusServiceUnavailable)
	}
}

const notRecorded = "could not record the notification; please send it again"

// knownSender reports whether the request comes from one of the bank's
// addresses: the client's address as clientIP tells it, the peer's
// unless the peer is a trusted proxy (SINOPAY_TRUSTED_PROXIES), whose
// X-Forwarded-For then names the bank's.
func (s *Server) knownSender(r *http.Request) bool {
	if len(s.notifyFrom) == 0 {
		return false
	}
	ip := s.clientIP(r)
	if !ip.IsValid() {
		return false
	}
	for _, p := range s.notifyFrom {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
