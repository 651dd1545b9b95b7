package sandbox_test

import (
	"os"
	"strings"
	"testing"

	"github.com/sinopay/sinopay/funbiz/sandbox"
)

// The README documents every code and every test card the code knows.
func TestReadmeDocumentsCodesAndCards(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, c := range append(sandbox.Codes(), sandbox.PaymentCodes()...) {
		if !strings.Contains(readme, c.Code) || !strings.Contains(readme, c.Text) {
			t.Errorf("README lacks code %s – %s", c.Code, c.Text)
		}
	}
	for _, tc := range sandbox.TestCards {
		if !strings.Contains(readme, tc.Number) {
			t.Errorf("README lacks test card %s", tc.Number)
		}
	}
}
