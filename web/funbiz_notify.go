package web

import (
	"net/http"

	"github.com/sinopay/sinopay/funbiz"
	"github.com/sinopay/sinopay/shop"
)

// funbizNotify is the BackendURL (POST /funbiz/notify): the bank's server
// tells us a PayToken. It is acknowledged only after the PayToken and its
// confirmation job are stored; when they cannot be, the answer is 503 and
// the bank sends it again (every 10 minutes, 5 times). Input the bank
// would never send is a 400 with the reason, for whoever is testing.
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
	_, err = s.pay.RecordCallback(r.Context(), n, shop.SourceNotify, 0)
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
	default:
		s.log.Error("notification not recorded; the bank will send it again", "error", err)
		http.Error(w, notRecorded, http.StatusServiceUnavailable)
	}
}

const notRecorded = "could not record the notification; please send it again"
