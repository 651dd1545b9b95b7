package sandbox

import "fmt"

// Code is one Description code the sandbox answers with. The bank's own
// table is not public: S0000 and E0602 are the bank's (seen in real
// answers); the others are the sandbox's, chosen so that every refusal
// names its cause. The funbiz client treats E0102 as "nonce expired" and
// retries once with a fresh nonce, so that code must stay.
type Code struct {
	Code string
	// Text is the Chinese text after the dash, in the bank's style.
	Text string
	// English says the same for the README and the dashboard.
	English string
	// Plain is true when the refusal is sent as plain JSON
	// {"Status":"F","Description":…} because no envelope can be sealed:
	// the shop is unknown, or the request never reached the shop's keys.
	Plain bool
}

// The codes, in the order the checks run (see README.md).
var (
	CodeOK              = Code{"S0000", "處理成功", "processed", false}
	CodeUnknownShop     = Code{"E0101", "商店代號不存在", "unknown ShopNo", true}
	CodeBadNonce        = Code{"E0102", "Nonce 無效、逾時或已使用", "Nonce unknown, expired, already used or issued to another shop", false}
	CodeBadKeyID        = Code{"E0103", "X-KeyID 驗證失敗", "X-KeyID header missing or wrong", true}
	CodeUndecryptable   = Code{"E0104", "Message 無法解密", "Message does not decrypt to a JSON object", false}
	CodeBadSign         = Code{"E0105", "Sign 驗證失敗", "Sign does not match the message", false}
	CodeBadVersion      = Code{"E0106", "Version 錯誤", "Version is not 1.0.0", false}
	CodeUnknownService  = Code{"E0107", "APIService 不存在", "unknown APIService", false}
	CodeBadRequest      = Code{"E0108", "請求格式錯誤", "request body is not a JSON envelope, or is larger than 1 MiB", true}
	CodeMissingField    = Code{"E0201", "必要欄位未填", "required field missing", false}
	CodeBadField        = Code{"E0202", "欄位格式錯誤", "field breaks a documented limit", false}
	CodeDuplicateOrder  = Code{"E0301", "訂單編號重複", "OrderNo already exists for this shop", false}
	CodeNotFound        = Code{"E0302", "查無資料", "order or PayToken not found", false}
	CodeNotAllowed      = Code{"E0303", "訂單狀態不允許此操作", "the order's state does not allow this", false}
	CodeMethodDisabled  = Code{"E0602", "收款方式未啟用", "payment method not enabled (PayType other than A/C, PayTypeSub other than ONE)", false}
	requestCodes        = []Code{CodeOK, CodeUnknownShop, CodeBadNonce, CodeBadKeyID, CodeUndecryptable, CodeBadSign, CodeBadVersion, CodeUnknownService, CodeBadRequest, CodeMissingField, CodeBadField, CodeDuplicateOrder, CodeNotFound, CodeNotAllowed, CodeMethodDisabled}
	successDescription  = describe(CodeOK, "")
	payFailDeclined     = Code{"E0501", "交易失敗：發卡行拒絕交易", "declined by the issuer", false}
	payFailInsufficient = Code{"E0502", "交易失敗：額度不足", "insufficient funds", false}
	payFailExpiredCard  = Code{"E0503", "交易失敗：卡片已過期", "expired card", false}
	payFailTimeout      = Code{"E0504", "交易失敗：銀行端逾時", "timed out at the card network", false}
)

// Codes lists every request code, for documentation and the dashboard.
func Codes() []Code { return append([]Code(nil), requestCodes...) }

// PaymentCodes lists the Descriptions of failed card payments
// (TSResultContent.Description); they are not request refusals.
func PaymentCodes() []Code {
	return []Code{payFailDeclined, payFailInsufficient, payFailExpiredCard, payFailTimeout}
}

// describe renders a Description the bank's way: code, space, U+2013,
// space, text. The detail, in English, tells a developer what exactly was
// wrong; the bank's own texts are terser, but nothing reads past the code.
func describe(c Code, detail string) string {
	if detail == "" {
		return c.Code + " – " + c.Text
	}
	return c.Code + " – " + c.Text + ": " + detail
}

// refusal is a request the sandbox turns down. Nothing has changed when
// one is returned.
type refusal struct {
	code   Code
	detail string
	// signString is the sign string the sandbox computed, for E0105.
	signString string
}

func refuse(c Code, format string, args ...any) *refusal {
	return &refusal{code: c, detail: fmt.Sprintf(format, args...)}
}

func (r *refusal) description() string { return describe(r.code, r.detail) }
