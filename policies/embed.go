// Package policies holds Vigil's reference segmentation policy: a YAML
// template of the NIST SP 1800-8 zone model with an allowlist for every
// device class. It is data, reviewed like code; docs/policy.md documents
// the format and internal/policy parses and evaluates it.
//
// It owns only the file and its embedding; it must hold no Go logic.
package policies

import _ "embed"

// TemplateName is the file name of the reference template, for messages.
const TemplateName = "nist-sp-1800-8.yaml"

// Template is the reference template.
//
//go:embed nist-sp-1800-8.yaml
var Template []byte
