package alert

import (
	"encoding/json"
	"testing"
)

func TestSeverity(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s.String(), got, err)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil {
		t.Error("unknown severity accepted")
	}
	if Medium.Raise() != High || Critical.Raise() != Critical {
		t.Error("Raise does not step up and cap at critical")
	}
	b, err := json.Marshal(struct{ S Severity }{High})
	if err != nil || string(b) != `{"S":"high"}` {
		t.Errorf("JSON %s %v", b, err)
	}
	var v struct{ S Severity }
	if err := json.Unmarshal([]byte(`{"S":"bogus"}`), &v); err == nil {
		t.Error("bogus severity decoded")
	}
	if _, err := json.Marshal(Severity(0)); err == nil {
		t.Error("zero severity encoded")
	}
}

func TestStatusAndID(t *testing.T) {
	for _, s := range []Status{Open, Acknowledged, Resolved, Suppressed} {
		if !s.Valid() {
			t.Errorf("%s invalid", s)
		}
	}
	if Status("closed").Valid() {
		t.Error("closed accepted")
	}
	first, again := IDForKey("new-external-peer|dev-1|203.0.113.7"), IDForKey("new-external-peer|dev-1|203.0.113.7")
	if first != again || first == IDForKey("new-external-peer|dev-1|203.0.113.8") || len(first) != 16 {
		t.Errorf("IDs %q %q are not stable, distinct, 16 characters", first, again)
	}
}
