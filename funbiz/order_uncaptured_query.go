package funbiz

import (
	"context"
)

// UnCapturedResult lists card orders authorised but not captured.
type UnCapturedResult struct {
	ShopNo      string
	Date        string
	Status      Status
	Description string
	Orders      []OrderInfo
}

type unCapturedMsg struct {
	ShopNo  string `json:"ShopNo"`
	OrderNo string `json:"OrderNo,omitempty"`
}

func (m *unCapturedMsg) appendJSON(b []byte) []byte {
	b = append(b, '{')
	o := len(b)
	b = appendStr(b, o, "ShopNo", m.ShopNo)
	b = appendOptStr(b, o, "OrderNo", m.OrderNo)
	return append(b, '}')
}

// OrderUnCapturedQuery lists the card orders awaiting capture, all of them
// or the one named by orderNo. It is read-only.
func (c *Client) OrderUnCapturedQuery(ctx context.Context, orderNo string) (*UnCapturedResult, error) {
	if orderNo != "" {
		if err := checkOrderNo("OrderNo", orderNo); err != nil {
			setService(err, ServiceOrderUnCapturedQuery)
			return nil, err
		}
	}
	var w orderQueryResp
	if err := c.call(ctx, ServiceOrderUnCapturedQuery, readOnly, &unCapturedMsg{ShopNo: c.shopNo, OrderNo: orderNo}, &w); err != nil {
		return nil, err
	}
	r := &UnCapturedResult{ShopNo: w.ShopNo, Date: w.Date, Status: w.Status, Description: w.Description, Orders: make([]OrderInfo, 0, len(w.OrderList))}
	for i := range w.OrderList {
		o, err := w.OrderList[i].info()
		if err != nil {
			return nil, malformed(ServiceOrderUnCapturedQuery, err)
		}
		r.Orders = append(r.Orders, o)
	}
	return r, nil
}
