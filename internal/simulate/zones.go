package simulate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ZonesFile is the name of the file, next to truth.json, that describes
// the simulated hospital's network as a segmentation policy with zones
// and no allowlists: `vigil policy learn --zones` takes its zones from it.
const ZonesFile = "zones.yaml"

// writeZones writes the zone plan as a policy document (docs/policy.md).
func writeZones(dir string) error {
	var b strings.Builder
	b.WriteString("# The simulated hospital's network: its zones, as a segmentation policy without allowlists.\n")
	b.WriteString("# vigil policy learn --zones " + ZonesFile + " proposes the allowlists from what the devices did.\n")
	b.WriteString("name: simulated-hospital\nzones:\n")
	for _, z := range zoneTable {
		cidrs := []string{z.Prefix.String()}
		if z.Prefix6.IsValid() {
			cidrs = append(cidrs, z.Prefix6.String())
		}
		fmt.Fprintf(&b, "  - name: %s\n    description: %q\n    cidrs: [%s]\n    vlans: [%d]\n",
			z.Key, z.Name, strings.Join(cidrs, ", "), z.VLAN)
	}
	b.WriteString("classes: []\n")
	if err := os.WriteFile(filepath.Join(dir, ZonesFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("%s: %w", ZonesFile, err)
	}
	return nil
}
