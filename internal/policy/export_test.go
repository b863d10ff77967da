package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fleetMembers are realistic class members for the template: IPv4 and
// IPv6, one IPv4-mapped, and a class the template has no entry for.
func fleetMembers() Members {
	a := netip.MustParseAddr
	return Members{
		{Class: "infusion_pump"}:                                        {a("10.40.1.11"), a("10.40.1.12"), a("::ffff:10.40.1.13"), a("fd00:0:0:40::11")},
		{Class: "patient_monitor"}:                                      {a("10.40.2.21"), a("10.41.2.22"), a("10.40.2.21")},
		{Class: "medication_dispensing_cabinet"}:                        {a("10.41.9.1")},
		{Class: "cardiac_implant_programmer"}:                           {a("10.41.9.2")},
		{Class: "imaging_ct"}:                                           {a("10.42.0.5"), a("fd00:0:0:42::5")},
		{Class: "it_server"}:                                            {a("10.11.0.10")},
		{Class: "not_a_class"}:                                          {a("10.99.0.1")},
		{Class: "infusion_pump", Model: "Alaris 8015"}:                  {a("10.40.1.21"), a("fd00:0:0:40::21")},
		{Class: "infusion_pump", Model: "Plum 360"}:                     {a("10.40.1.31")},
		{Class: "patient_monitor", Model: `IntelliVue "MX40" wireless`}: {a("10.40.2.41"), a("fd00:0:0:40::41")},
	}
}

func fleetResolved() Resolved {
	a := netip.MustParseAddr
	return Resolved{
		"*.icumed.com":                  {a("203.0.113.7"), a("2001:db8:100::7")},
		"*.bd.com":                      {a("203.0.113.8")},
		"merlin.net":                    {a("198.51.100.20")},
		"*.teamplay.siemens.com":        {a("198.51.100.30"), a("198.51.100.31")},
		"latitude.bostonscientific.com": {a("::ffff:198.51.100.40")},
	}
}

// exportTo writes p in format to a file and returns its path and content.
func exportTo(t *testing.T, p *Policy, format string, m Members, r Resolved) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := Export(&b, p, format, m, r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy."+format)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, b.Bytes()
}

// validator checks a firewall script with the real tool.
type validator struct {
	format string
	tool   string
	args   []string
}

var validators = []validator{
	{"nftables", "nft", []string{"-c", "-f"}},
	{"iptables", "iptables-restore", []string{"--test"}},
	{"ip6tables", "ip6tables-restore", []string{"--test"}},
}

func (v validator) check(t *testing.T, path string) error {
	t.Helper()
	bin, err := exec.LookPath(v.tool)
	if err != nil {
		t.Skipf("%s is not installed (Debian packages nftables and iptables; CI installs them): %v", v.tool, err)
	}
	out, err := exec.Command(bin, append(v.args, path)...).CombinedOutput()
	if err != nil && (bytes.Contains(bytes.ToLower(out), []byte("not permitted")) || bytes.Contains(out, []byte("must be root"))) {
		// Both tools check against the kernel, which needs CAP_NET_ADMIN.
		t.Skipf("%s cannot reach netfilter here (needs root or CAP_NET_ADMIN): %s", v.tool, out)
	}
	if err != nil {
		return errors.New(err.Error() + ": " + string(out))
	}
	if strings.HasSuffix(v.format, "tables") && v.format != "nftables" {
		// iptables-restore --test does not check jump targets: do it here.
		return checkIptablesTargets(path)
	}
	return nil
}

// checkIptablesTargets reports a jump to a chain the file does not declare.
func checkIptablesTargets(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	declared := map[string]bool{"ACCEPT": true, "DROP": true, "LOG": true, "RETURN": true}
	for _, m := range regexp.MustCompile(`(?m)^:(\S+) `).FindAllStringSubmatch(string(data), -1) {
		declared[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^-A (\S+) .*-j (\S+)`).FindAllStringSubmatch(string(data), -1) {
		if !declared[m[1]] || !declared[m[2]] {
			return errors.New("undeclared chain in: " + m[0])
		}
	}
	return nil
}

func TestExportValidatesWithRealTools(t *testing.T) {
	learned, err := Learn(fleetObservations(), LearnOptions{Zones: fleetZones, MinDevices: 2, MinFraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	byModel, err := Learn(modelFleet(), LearnOptions{Zones: fleetZones, MinDevices: 2, MinFraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	modelMembers := Members{{Class: "infusion_pump"}: {a("10.40.0.1")}, {Class: "infusion_pump", Model: "Alaris 8015"}: {a("10.40.0.2"), a("fd00::2")},
		{Class: "infusion_pump", Model: "Plum 360"}: {a("10.40.0.3")}, {Class: "infusion_pump", Model: "Sigma Spectrum"}: {a("10.40.0.4")}}
	policies := []struct {
		name     string
		policy   *Policy
		members  Members
		resolved Resolved
	}{
		{"template", Template(), fleetMembers(), fleetResolved()},
		{"template without members or names", Template(), nil, nil},
		{"small", loadSmall(t), fleetMembers(), Resolved{"drugs.vendor.example": {netip.MustParseAddr("203.0.113.50")}}},
		{"learned", learned.Policy, Members{{Class: "infusion_pump"}: {netip.MustParseAddr("10.40.0.1")}, {Class: "patient_monitor"}: {netip.MustParseAddr("fd00::2")}},
			Resolved{"*.vendor.example": {netip.MustParseAddr("203.0.113.7")}}},
		{"learned per model", byModel.Policy, modelMembers, Resolved{"*.alaris.example": {a("203.0.113.10")}, "api.icumed.example": {a("2001:db8::20")}}},
	}
	for _, v := range validators {
		for _, pc := range policies {
			t.Run(v.format+"/"+pc.name, func(t *testing.T) {
				path, _ := exportTo(t, pc.policy, v.format, pc.members, pc.resolved)
				if err := v.check(t, path); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// TestValidatorsRejectBrokenScripts proves that the validation above can
// fail: each tool must reject a script broken in a way it checks.
func TestValidatorsRejectBrokenScripts(t *testing.T) {
	breakages := map[string][2]string{
		"nftables":  {"drop\n", "dorp\n"},
		"iptables":  {"-j DROP", "-j DROP --bogus-option"},
		"ip6tables": {"-j DROP", "-j DROP --bogus-option"},
	}
	for _, v := range validators {
		t.Run(v.format, func(t *testing.T) {
			path, data := exportTo(t, loadSmall(t), v.format, fleetMembers(), nil)
			if err := v.check(t, path); err != nil {
				t.Fatalf("the intact script fails: %v", err)
			}
			from, to := breakages[v.format][0], breakages[v.format][1]
			if !bytes.Contains(data, []byte(from)) {
				t.Fatalf("script has no %q to break", from)
			}
			if err := os.WriteFile(path, bytes.Replace(data, []byte(from), []byte(to), 1), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := v.check(t, path); err == nil {
				t.Error("the broken script passes")
			}
		})
	}
	bad := filepath.Join(t.TempDir(), "jump.iptables")
	if err := os.WriteFile(bad, []byte("*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j VIGIL-NOWHERE\nCOMMIT\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkIptablesTargets(bad); err == nil {
		t.Error("a jump to an undeclared chain passes")
	}
}

func TestExportGolden(t *testing.T) {
	m := Members{
		{Class: "infusion_pump"}:                                        {netip.MustParseAddr("10.40.0.11"), netip.MustParseAddr("fd00:40::11")},
		{Class: "infusion_pump", Model: "Plum 360"}:                     {netip.MustParseAddr("10.40.0.12")},
		{Class: "infusion_pump", Model: "Alaris 8015"}:                  {netip.MustParseAddr("10.40.0.13"), netip.MustParseAddr("fd00:40::13")},
		{Class: "patient_monitor"}:                                      {netip.MustParseAddr("10.40.0.21")},
		{Class: "patient_monitor", Model: `IntelliVue "MX40" wireless`}: {netip.MustParseAddr("10.40.0.22")},
		{Class: "it_server"}:                                            {netip.MustParseAddr("10.11.0.10")},
		{Class: "ventilator", Model: "Servo-u"}:                         {netip.MustParseAddr("10.40.0.31")},
	}
	r := Resolved{"drugs.vendor.example": {netip.MustParseAddr("203.0.113.50"), netip.MustParseAddr("2001:db8:50::1")}}
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			_, got := exportTo(t, loadSmall(t), format, m, r)
			golden(t, "small."+format+".golden", got)
		})
	}
}

func TestExportSemantics(t *testing.T) {
	_, data := exportTo(t, loadSmall(t), "json", Members{{Class: "printer"}: {netip.MustParseAddr("10.1.1.1")}, {Class: "toaster"}: nil}, nil)
	var e struct {
		Zones []struct {
			Name      string   `json:"name"`
			Addresses []string `json:"addresses"`
		} `json:"zones"`
		Classes []struct {
			Class string `json:"class"`
			Rules []struct {
				Line         int      `json:"line"`
				Destinations []string `json:"destinations"`
				Unresolved   []string `json:"unresolved_names"`
				VLANOnly     []string `json:"vlan_only_zones"`
			} `json:"rules"`
		} `json:"classes"`
		Unused []string `json:"classes_without_policy"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	// The campus zone (10/8) is carved around the nested zones, so that a
	// rule for campus does not open device-servers or infrastructure.
	wantCampus := "10.0.1.0/24 10.0.2.0/23 10.0.4.0/22 10.0.8.0/21 10.0.16.0/20 10.0.32.0/19 10.0.64.0/18 10.0.128.0/17 " +
		"10.1.0.0/16 10.2.0.0/15 10.4.0.0/14 10.8.0.0/13 10.16.0.0/14 " +
		"10.20.1.0/24 10.20.2.0/23 10.20.4.0/22 10.20.8.0/21 10.20.16.0/20 10.20.32.0/19 10.20.64.0/18 10.20.128.0/17 " +
		"10.21.0.0/16 10.22.0.0/15 10.24.0.0/13 10.32.0.0/11 10.64.0.0/10 10.128.0.0/9"
	if got := strings.Join(e.Zones[0].Addresses, " "); e.Zones[0].Name != "campus" || got != wantCampus {
		t.Errorf("campus addresses:\ngot  %s\nwant %s", got, wantCampus)
	}
	if got := e.Unused; len(got) != 1 || got[0] != "toaster" {
		t.Errorf("got classes without policy %q, want [toaster]", got)
	}
	pump := e.Classes[0].Rules
	if pump[1].Destinations != nil || strings.Join(pump[1].Unresolved, " ") != "drugs.vendor.example *.cdn.vendor.example" {
		t.Errorf("rule with unresolved names: got %+v, want no destination and both names unresolved", pump[1])
	}
	if pump[3].Destinations != nil || strings.Join(pump[3].VLANOnly, " ") != "wireless-pumps" {
		t.Errorf("rule to a VLAN-only zone: got %+v, want no destination", pump[3])
	}
	// A rule without destinations must not turn into "allow any".
	_, nft := exportTo(t, loadSmall(t), "nftables", nil, nil)
	for _, line := range strings.Split(string(nft), "\n") {
		if strings.Contains(line, "comment \"line 22") || strings.Contains(line, "comment \"line 29") {
			t.Errorf("unresolvable rule produced %q", line)
		}
	}
}

// TestExportZonesMatchZoneOf checks, over many addresses, that an address
// is in a zone's exported addresses exactly when ZoneOf names that zone.
func TestExportZonesMatchZoneOf(t *testing.T) {
	for _, p := range []*Policy{loadSmall(t), Template()} {
		e := resolve(p, nil, nil)
		var probes []netip.Addr
		for _, zp := range p.prefixes {
			first := zp.prefix.Addr()
			lo, hi := halves(zp.prefix.Masked())
			probes = append(probes, first, first.Prev(), lo.Addr(), hi.Addr(), hi.Addr().Prev(), lastAddr(zp.prefix), lastAddr(zp.prefix).Next())
		}
		for _, a := range probes {
			if !a.IsValid() {
				continue
			}
			zone, _ := p.ZoneOf(a, 0)
			for _, z := range e.Zones {
				in := false
				for _, pfx := range z.Addresses {
					in = in || pfx.Contains(a)
				}
				if in != (z.Name == zone) {
					t.Errorf("%s: %s in exported zone %s = %v, but ZoneOf says %q", p.Name, a, z.Name, in, zone)
				}
			}
		}
	}
}

// lastAddr is the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestExportUnknownFormat(t *testing.T) {
	err := Export(&bytes.Buffer{}, loadSmall(t), "pf", nil, nil)
	if !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("got %v, want ErrUnknownFormat", err)
	}
}

func TestWildcardMask(t *testing.T) {
	tests := map[int]string{0: "255.255.255.255", 8: "0.255.255.255", 16: "0.0.255.255", 22: "0.0.3.255",
		24: "0.0.0.255", 25: "0.0.0.127", 30: "0.0.0.3", 31: "0.0.0.1", 32: "0.0.0.0"}
	for bits, want := range tests {
		if got := wildcardMask(bits); got != want {
			t.Errorf("wildcardMask(%d) = %s, want %s", bits, got, want)
		}
	}
	for p, want := range map[string]string{"10.20.0.0/22": "10.20.0.0 0.0.3.255", "192.0.2.7/32": "host 192.0.2.7",
		"0.0.0.0/0": "any", "2001:db8::/32": "2001:db8::/32", "2001:db8::1/128": "host 2001:db8::1"} {
		if got := ciscoAddress(netip.MustParsePrefix(p)); got != want {
			t.Errorf("ciscoAddress(%s) = %q, want %q", p, got, want)
		}
	}
}

func TestIptablesNames(t *testing.T) {
	seen := map[string]string{}
	for _, c := range Template().Classes {
		name := iptChain(c.Class, c.Model)
		if len(name) > iptChainMax {
			t.Errorf("chain %s is longer than %d", name, iptChainMax)
		}
		if other, dup := seen[name]; dup {
			t.Errorf("classes %s and %s share chain %s", c.Class, other, name)
		}
		seen[name] = c.Class
		if p := iptLogPrefix(c.Class, c.Model); len(p) > iptLogPrefixMax {
			t.Errorf("log prefix %q is longer than %d", p, iptLogPrefixMax)
		}
	}
}

// TestExportModelEntries checks that members reach the entry that judges
// them: a model entry gets its class and model's devices, the class entry
// the rest of the class, and members nothing judges are listed as unused.
func TestExportModelEntries(t *testing.T) {
	a := netip.MustParseAddr
	m := Members{
		{Class: "infusion_pump"}:                                        {a("10.40.0.11")},
		{Class: "infusion_pump", Model: "Plum 360"}:                     {a("10.40.0.12")},
		{Class: "infusion_pump", Model: "Alaris 8015"}:                  {a("10.40.0.13"), a("fd00:40::13")},
		{Class: "patient_monitor", Model: `IntelliVue "MX40" wireless`}: {a("10.40.0.22")},
		{Class: "ventilator", Model: "Servo-u"}:                         {a("10.40.0.31")},
	}
	_, data := exportTo(t, loadSmall(t), "json", m, nil)
	var e struct {
		Classes []struct {
			Class   string   `json:"class"`
			Model   string   `json:"model"`
			Mode    Mode     `json:"mode"`
			Members []string `json:"members"`
		} `json:"classes"`
		Unused []string `json:"classes_without_policy"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range e.Classes {
		got[MemberKey{c.Class, c.Model}.String()] = string(c.Mode) + " " + strings.Join(c.Members, " ")
	}
	want := map[string]string{
		"infusion_pump":                              "alert-only 10.40.0.11/32 10.40.0.12/32",
		"infusion_pump/Alaris 8015":                  "enforce 10.40.0.13/32 fd00:40::13/128",
		"patient_monitor":                            "enforce ",
		`patient_monitor/IntelliVue "MX40" wireless`: "enforce 10.40.0.22/32",
		"printer":   "enforce ",
		"it_server": "enforce ",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("entry %s: got %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got entries %v, want %v", got, want)
	}
	if len(e.Unused) != 1 || e.Unused[0] != "ventilator/Servo-u" {
		t.Errorf("got unused %q, want [ventilator/Servo-u]", e.Unused)
	}

	// Each firewall writes the model entry as its own source set and chain,
	// named after the model's tag, and the model's devices jump only there.
	tag := modelTag("infusion_pump", "Alaris 8015")
	for format, wants := range map[string][]string{
		"nftables": {
			"set src_infusion_pump_alaris_8015_" + tag + "_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.40.0.13 }",
			"ip saddr @src_infusion_pump_alaris_8015_" + tag + "_v4 jump class_infusion_pump_alaris_8015_" + tag + "\n",
			"chain class_infusion_pump_alaris_8015_" + tag + " {\n\t\t# class infusion_pump model 'Alaris 8015': replaces the class entry",
			"set src_infusion_pump_v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.40.0.11, 10.40.0.12 }",
			"# class patient_monitor model 'IntelliVue 'MX40' wireless' (enforce), policy line 59",
		},
		"iptables": {
			"-A VIGIL-FORWARD -s 10.40.0.13/32 -m comment --comment \"class infusion_pump model 'Alaris 8015'\" -j VIGIL-infusion_pump-M" + tag + "\n",
			"-A VIGIL-FORWARD -s 10.40.0.12/32 -m comment --comment \"class infusion_pump\" -j VIGIL-infusion_pump\n",
			"# members given for ventilator/Servo-u, which has no entry in the policy: not written",
		},
		"ip6tables": {"-A VIGIL-FORWARD -s fd00:40::13/128 -m comment --comment \"class infusion_pump model 'Alaris 8015'\" -j VIGIL-infusion_pump-M" + tag + "\n"},
		"cisco-acl": {"ip access-list extended VIGIL-INFUSION_PUMP-M" + strings.ToUpper(tag) + "\n remark class infusion_pump model 'Alaris 8015' (enforce), policy line 51"},
	} {
		_, out := exportTo(t, loadSmall(t), format, m, nil)
		for _, w := range wants {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s export lacks %q", format, w)
			}
		}
		if format == "nftables" && strings.Contains(string(out), "10.40.0.13, ") {
			t.Errorf("nftables: the model's device is in the class set too")
		}
	}
}

// TestFirewallNamesOfModelEntries: every class of the template with a long
// model name fits iptables' limits, and no two entries share a chain.
func TestFirewallNamesOfModelEntries(t *testing.T) {
	seen := map[string]string{}
	for _, c := range Template().Classes {
		for _, model := range []string{"", "Alaris 8015", "Alaris 8015 ", strings.Repeat("Very Long Model Name ", 5), "日本語"} {
			k := MemberKey{c.Class, model}.String()
			chain := iptChain(c.Class, model)
			if len(chain) > iptChainMax {
				t.Errorf("%s: chain %s is longer than %d", k, chain, iptChainMax)
			}
			if other, dup := seen[chain]; dup {
				t.Errorf("%s and %s share chain %s", k, other, chain)
			}
			seen[chain] = k
			if p := iptLogPrefix(c.Class, model); len(p) > iptLogPrefixMax {
				t.Errorf("%s: log prefix %q is longer than %d", k, p, iptLogPrefixMax)
			}
			id := nftIdent(&exportClass{Class: c.Class, Model: model})
			if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(id) || len(id) > len(c.Class)+1+nftModelSlugMax+1+6 {
				t.Errorf("%s: nft identifier %q", k, id)
			}
		}
	}
}
