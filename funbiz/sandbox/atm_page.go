package sandbox

import (
	"net/http"
)

// The ATM page: what the bank's WebAtmURL / OtpURL show. It lets a person
// make the transfer a buyer would make at an ATM: the exact amount, or a
// wrong one to see it refused.

type atmPageData struct {
	ShopNo, OrderNo, PrdtName, AtmPayNo string
	Amount, Short, Over                 int64
	Expire                              string
	Status, StatusClass                 string
	Action                              string
	Shop                                string // the shop's site, from its ReturnURL: a way back
}

func (p *pages) atmPage(w http.ResponseWriter, r *http.Request) {
	no := r.PathValue("atmPayNo")
	now := p.s.Now()
	p.s.mu.Lock()
	o := p.s.byAtmPayNo[no]
	var d atmPageData
	if o != nil {
		d = atmPageData{ShopNo: o.ShopNo, OrderNo: o.OrderNo, PrdtName: o.PrdtName, AtmPayNo: o.AtmPayNo,
			Amount: o.Amount / 100, Short: o.Amount/100 - 1, Over: o.Amount/100 + 1,
			Expire: o.atmDeadline().Format("2006-01-02 15:04"), Action: r.URL.Path, Shop: shopSite(o.ReturnURL)}
		switch {
		case o.State == statePaid:
			d.Status, d.StatusClass = "paid", "success"
		case now.After(o.atmDeadline()):
			d.Status, d.StatusClass = "expired", "secondary"
		default:
			d.Status, d.StatusClass = "waiting", "warning"
		}
	}
	p.s.mu.Unlock()
	if o == nil {
		p.message(w, r, http.StatusNotFound, "secondary", "notfound.title", "notfound.body")
		return
	}
	p.render(w, r, http.StatusOK, "atm", d)
}

func (p *pages) atmSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	r.ParseForm()
	no := r.PathValue("atmPayNo")
	p.s.mu.Lock()
	o := p.s.byAtmPayNo[no]
	var amount int64
	if o != nil {
		amount = o.Amount / 100
	}
	p.s.mu.Unlock()
	if o == nil {
		p.message(w, r, http.StatusNotFound, "secondary", "notfound.title", "notfound.body")
		return
	}
	switch r.PostForm.Get("which") {
	case "short":
		amount--
	case "over":
		amount++
	}
	if _, err := p.s.Transfer(no, amount, "", ""); err != nil {
		p.setFlash(w, flash{err: true, text: refusedSaying(err, "atm.refused.")})
	} else {
		p.setFlash(w, flash{text: said("atm.received")})
	}
	http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
}
