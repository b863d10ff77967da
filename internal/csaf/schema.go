package csaf

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schema/*.json
var schemaFS embed.FS

const csafSchemaURL = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"

// The embedded schemas by the URL the CSAF schema refers to them with.
var schemaFiles = map[string]string{
	csafSchemaURL: "schema/csaf_json_schema.json",
	"https://www.first.org/cvss/cvss-v2.0.json": "schema/cvss-v2.0.json",
	"https://www.first.org/cvss/cvss-v3.0.json": "schema/cvss-v3.0.json",
	"https://www.first.org/cvss/cvss-v3.1.json": "schema/cvss-v3.1.json",
}

// ErrSchema is returned (wrapped) for a document that is not valid CSAF 2.0
// by the JSON schema.
var ErrSchema = errors.New("not valid against the CSAF 2.0 JSON schema")

// embeddedOnly serves the embedded schemas and refuses every other URL: no
// schema is ever fetched.
type embeddedOnly struct{}

func (embeddedOnly) Load(url string) (any, error) {
	name, ok := schemaFiles[url]
	if !ok {
		return nil, fmt.Errorf("schema %s is not embedded (never fetched)", url)
	}
	data, err := schemaFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(data))
}

var csafSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(embeddedOnly{})
	return c.Compile(csafSchemaURL)
})

// validateCSAF checks data against the CSAF 2.0 schema; on failure it
// returns the JSON pointer of the first (innermost, in pointer order) error.
func validateCSAF(data []byte) (string, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("invalid JSON: %w", err)
	}
	sch, err := csafSchema()
	if err != nil {
		return "", fmt.Errorf("compile CSAF schema: %w", err)
	}
	err = sch.Validate(doc)
	if err == nil {
		return "", nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return "", err
	}
	pointer, msg := firstError(ve.BasicOutput().Errors)
	return pointer, fmt.Errorf("%w: %s", ErrSchema, msg)
}

// firstError picks, among the errors with a message, the innermost ones
// (no other error lies below them) and of those the first in pointer order.
func firstError(units []jsonschema.OutputUnit) (pointer, msg string) {
	var errs []jsonschema.OutputUnit
	for _, u := range units {
		if u.Error != nil {
			errs = append(errs, u)
		}
	}
	if len(errs) == 0 {
		return "", "invalid"
	}
	inner := errs[:0:0]
	for _, u := range errs {
		leaf := true
		for _, o := range errs {
			if o.InstanceLocation != u.InstanceLocation && strings.HasPrefix(o.InstanceLocation, u.InstanceLocation+"/") {
				leaf = false
				break
			}
		}
		if leaf {
			inner = append(inner, u)
		}
	}
	slices.SortStableFunc(inner, func(a, b jsonschema.OutputUnit) int {
		return comparePointers(a.InstanceLocation, b.InstanceLocation)
	})
	return inner[0].InstanceLocation, inner[0].Error.String()
}

// comparePointers orders JSON pointers token by token, array indexes
// numerically, so /a/2 comes before /a/10.
func comparePointers(a, b string) int {
	ta, tb := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(ta) && i < len(tb); i++ {
		if ta[i] == tb[i] {
			continue
		}
		na, nb := isIndex(ta[i]), isIndex(tb[i])
		if na && nb {
			if len(ta[i]) != len(tb[i]) {
				return len(ta[i]) - len(tb[i])
			}
		}
		return strings.Compare(ta[i], tb[i])
	}
	return len(ta) - len(tb)
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ValidateDocument checks data against the embedded CSAF 2.0 JSON schema
// (no schema is fetched). A document that is not valid returns an error
// wrapping ErrSchema that names the JSON pointer of the first error.
func ValidateDocument(data []byte) error {
	pointer, err := validateCSAF(data)
	if err != nil && pointer != "" {
		return fmt.Errorf("%s: %w", pointer, err)
	}
	return err
}
