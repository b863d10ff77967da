package csaf

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestValidateDocument(t *testing.T) {
	good, err := os.ReadFile("testdata/advisory/acme-2024-001.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateDocument(good); err != nil {
		t.Errorf("ValidateDocument(valid advisory) = %v, want nil", err)
	}
	bad, err := os.ReadFile("testdata/broken/bad-status.json")
	if err != nil {
		t.Fatal(err)
	}
	err = ValidateDocument(bad)
	if !errors.Is(err, ErrSchema) {
		t.Fatalf("ValidateDocument(bad-status) = %v, want ErrSchema", err)
	}
	if !strings.HasPrefix(err.Error(), "/") {
		t.Errorf("error %q does not start with the JSON pointer", err)
	}
	if err := ValidateDocument([]byte("{")); err == nil || errors.Is(err, ErrSchema) {
		t.Errorf("ValidateDocument(truncated JSON) = %v, want a JSON error", err)
	}
}
