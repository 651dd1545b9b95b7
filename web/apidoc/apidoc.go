// Package apidoc holds the JSON API's OpenAPI 3.1 document, served at
// /api/v1/openapi.json and checked against the handlers by web's tests.
package apidoc

import _ "embed"

// OpenAPI is the document.
//
//go:embed openapi.json
var OpenAPI []byte
