package shop

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ShipTo is where an order's goods go: the recipient, their mobile phone
// and a Taiwanese address.
type ShipTo struct {
	Name       string
	Phone      string // 09xxxxxxxx
	PostalCode string // 3, 5 or 6 digits (3+2 or 3+3)
	City       string // a city or county: one of Cities, in Chinese
	District   string // 區、鄉、鎮、市
	Street     string // road, number, floor
}

// Shipment is how an order's goods left the shop.
type Shipment struct {
	At       time.Time
	Carrier  string // 黑貓宅急便, 中華郵政…
	Tracking string // the carrier's tracking number
}

// Shipped reports whether the goods left.
func (s Shipment) Shipped() bool { return !s.At.IsZero() }

// Carriers are the carriers the back office suggests; any other may be
// typed.
var Carriers = []string{"黑貓宅急便", "新竹物流", "中華郵政", "宅配通", "嘉里大榮", "7-ELEVEN 交貨便", "全家店到店", "萊爾富", "OK 超商"}

// CheckShipment checks a carrier and tracking number typed in the back
// office (trimmed): each 1–40 characters that print; the number of
// letters, digits and dashes. The map is per form field (carrier,
// tracking) the locale key of what is wrong; empty when fine.
func CheckShipment(carrier, tracking string) map[string]string {
	p := map[string]string{}
	switch {
	case carrier == "":
		p["carrier"] = "ship.required"
	case utf8.RuneCountInString(carrier) > 40 || !utf8.ValidString(carrier) || strings.IndexFunc(carrier, func(r rune) bool {
		return unicode.In(r, unicode.Cc, unicode.Cf)
	}) >= 0:
		p["carrier"] = "ship.bad_text"
	}
	switch {
	case tracking == "":
		p["tracking"] = "ship.required"
	case len(tracking) > 40 || strings.IndexFunc(tracking, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-')
	}) >= 0:
		p["tracking"] = "ship.bad_tracking"
	}
	return p
}

// Cities are Taiwan's 22 cities and counties, north to south, then the
// islands, in Chinese as an address writes them; CityEN gives each in
// English.
var Cities = []string{
	"基隆市", "臺北市", "新北市", "桃園市", "新竹市", "新竹縣", "苗栗縣", "臺中市", "彰化縣", "南投縣", "雲林縣",
	"嘉義市", "嘉義縣", "臺南市", "高雄市", "屏東縣", "宜蘭縣", "花蓮縣", "臺東縣", "澎湖縣", "金門縣", "連江縣",
}

// CityEN names the cities and counties in English.
var CityEN = map[string]string{
	"基隆市": "Keelung City", "臺北市": "Taipei City", "新北市": "New Taipei City", "桃園市": "Taoyuan City",
	"新竹市": "Hsinchu City", "新竹縣": "Hsinchu County", "苗栗縣": "Miaoli County", "臺中市": "Taichung City",
	"彰化縣": "Changhua County", "南投縣": "Nantou County", "雲林縣": "Yunlin County", "嘉義市": "Chiayi City",
	"嘉義縣": "Chiayi County", "臺南市": "Tainan City", "高雄市": "Kaohsiung City", "屏東縣": "Pingtung County",
	"宜蘭縣": "Yilan County", "花蓮縣": "Hualien County", "臺東縣": "Taitung County", "澎湖縣": "Penghu County",
	"金門縣": "Kinmen County", "連江縣": "Lienchiang County",
}

// IsZero reports whether no delivery was given (an order of before
// deliveries were asked for).
func (s ShipTo) IsZero() bool { return s == ShipTo{} }

// NormShipTo trims every field, writes 台 as 臺 in the city (both are
// in use), and drops the spaces and dashes people put in phone numbers
// and postal codes.
func NormShipTo(s ShipTo) ShipTo {
	strip := func(v string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '\u3000' {
				return -1
			}
			return r
		}, strings.TrimSpace(v))
	}
	s.Name = strings.TrimSpace(s.Name)
	s.Phone = strip(s.Phone)
	if strings.HasPrefix(s.Phone, "+8869") && len(s.Phone) == 13 {
		s.Phone = "0" + s.Phone[4:]
	}
	s.PostalCode = strip(s.PostalCode)
	s.City = strings.ReplaceAll(strings.TrimSpace(s.City), "台", "臺")
	s.District = strings.TrimSpace(s.District)
	s.Street = strings.TrimSpace(s.Street)
	return s
}

// Problems checks a normalised ShipTo and returns, per form field
// (ship_name, ship_phone, ship_postal, ship_city, ship_district,
// ship_street), the locale key of what is wrong; empty when it is fine.
func (s ShipTo) Problems() map[string]string {
	p := map[string]string{}
	text := func(field, v string, max int) {
		switch {
		case v == "":
			p[field] = "ship.required"
		case utf8.RuneCountInString(v) > max || !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool {
			return unicode.In(r, unicode.Cc, unicode.Cf)
		}) >= 0:
			p[field] = "ship.bad_text"
		}
	}
	text("ship_name", s.Name, 50)
	text("ship_district", s.District, 20)
	text("ship_street", s.Street, 100)
	if !digits(s.Phone) || len(s.Phone) != 10 || !strings.HasPrefix(s.Phone, "09") {
		p["ship_phone"] = "ship.bad_phone"
	}
	if n := len(s.PostalCode); !digits(s.PostalCode) || (n != 3 && n != 5 && n != 6) {
		p["ship_postal"] = "ship.bad_postal"
	}
	found := false
	for _, c := range Cities {
		found = found || c == s.City
	}
	if !found {
		p["ship_city"] = "ship.bad_city"
	}
	return p
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
