package detect

import (
	"os"
	"strings"
	"testing"
)

// TestCatalogDocumented keeps docs/detections.md in step with the code:
// every detector has a catalog row naming its severity and every ATT&CK
// and D3FEND ID it maps to, and a section of its own.
func TestCatalogDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/detections.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rows := map[string]string{}
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "| `") {
			name := strings.Trim(strings.Fields(line)[1], "`")
			rows[name] = line
		}
	}
	for _, m := range Mappings() {
		row, ok := rows[m.Detector]
		if !ok {
			t.Errorf("docs/detections.md: no catalog row for %s", m.Detector)
			continue
		}
		cells := strings.Split(row, "|")
		if !strings.HasPrefix(strings.TrimSpace(cells[2]), m.Severity.String()) {
			t.Errorf("docs/detections.md: %s severity %q, code says %s", m.Detector, strings.TrimSpace(cells[2]), m.Severity)
		}
		for _, id := range m.Attack {
			if !strings.Contains(cells[3], id) {
				t.Errorf("docs/detections.md: %s row lacks ATT&CK %s", m.Detector, id)
			}
		}
		for _, id := range m.D3FEND {
			if !strings.Contains(cells[4], id) {
				t.Errorf("docs/detections.md: %s row lacks D3FEND %s", m.Detector, id)
			}
		}
		if !strings.Contains(doc, "### `"+m.Detector+"`") {
			t.Errorf("docs/detections.md: no section for %s", m.Detector)
		}
	}
	if len(rows) != len(Mappings()) {
		t.Errorf("docs/detections.md has %d catalog rows, the code %d detectors", len(rows), len(Mappings()))
	}
}
