package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vigil-iomt/vigil/internal/attack"
	"github.com/vigil-iomt/vigil/internal/ingest/cloudtrail"
	"github.com/vigil-iomt/vigil/internal/sigma"
)

// testPlaceholders are the values the tests give the rules' placeholders
// (docs/cloud-rules.md describes them).
var testPlaceholders = map[string][]string{
	"fleet_networks":    {"10.*", "198.51.100.*"},
	"fleet_roles":       {"iot-fleet-*", "device-provisioning-role"},
	"fleet_policies":    {"fleet-*"},
	"phi_buckets":       {"phi-*", "*-ephi-*"},
	"fleet_wide_groups": {"all-devices", "fleet-*"},
}

var cloudtrailOptions = sigma.Options{
	Logsource:    sigma.Logsource{Product: "aws", Service: "cloudtrail"},
	Placeholders: testPlaceholders,
}

// ruleFile is one file of FS with its rules.
type ruleFile struct {
	stem  string // file name without .yml; names the testdata folder
	data  []byte
	rules []*sigma.Rule
}

// primary is the rule whose alert the file stands for: the correlation
// rule when the file has one, else its only detection rule.
func (f ruleFile) primary() *sigma.Rule {
	for _, r := range f.rules {
		if r.Correlation != nil {
			return r
		}
	}
	return f.rules[0]
}

func loadFiles(t testing.TB) []ruleFile {
	t.Helper()
	names, err := fs.Glob(FS, "cloudtrail/*.yml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded rules: %v", err)
	}
	sort.Strings(names)
	var out []ruleFile
	for _, n := range names {
		data, err := FS.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := sigma.ParseAll(data, n)
		if err != nil {
			t.Fatalf("%s does not parse: %v", n, err)
		}
		out = append(out, ruleFile{stem: strings.TrimSuffix(path.Base(n), ".yml"), data: data, rules: rs})
	}
	return out
}

func allRules(files []ruleFile) []*sigma.Rule {
	var rs []*sigma.Rule
	for _, f := range files {
		rs = append(rs, f.rules...)
	}
	return rs
}

// baseRules returns the ids of the detection rules that only feed
// correlations: their matches are not alerts.
func baseRules(rules []*sigma.Rule) map[string]bool {
	byRef := map[string]string{}
	for _, r := range rules {
		if r.Detection != nil {
			byRef[r.ID] = r.ID
			if r.Name != "" {
				byRef[r.Name] = r.ID
			}
		}
	}
	out := map[string]bool{}
	for _, r := range rules {
		if r.Correlation != nil {
			for _, ref := range r.Correlation.Rules {
				out[byRef[ref]] = true
			}
		}
	}
	return out
}

// alerter runs events through an engine and a correlator and counts the
// alerts per rule id: matches of detection rules that feed no
// correlation, and correlation matches.
type alerter struct {
	e    *sigma.Engine
	base map[string]bool
}

func newAlerter(t testing.TB, rules []*sigma.Rule) alerter {
	t.Helper()
	e, err := sigma.Compile(rules, cloudtrailOptions)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.Skipped()); n != 0 {
		t.Fatalf("%d rules skipped by logsource", n)
	}
	return alerter{e: e, base: baseRules(rules)}
}

func (a alerter) run(t testing.TB, events [][]byte) map[string]int {
	t.Helper()
	got := map[string]int{}
	c := a.e.NewCorrelator()
	var ms []sigma.Match
	for i, ev := range events {
		var err error
		ms, err = a.e.MatchAppend(ms[:0], ev)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		for _, m := range ms {
			if !a.base[m.RuleID] {
				got[m.RuleID]++
			}
			for _, cm := range c.Add(m) {
				got[cm.RuleID]++
			}
		}
	}
	for _, cm := range c.Flush() {
		got[cm.RuleID]++
	}
	return got
}

var (
	uuidV4    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	attackTag = regexp.MustCompile(`^attack\.t\d{4}(\.\d{3})?$`)
	d3fendTag = regexp.MustCompile(`^vigil\.d3fend\.D3-[A-Z]+$`)
)

// TestRulesCompile checks that every rule parses and compiles, alone and
// with the others, and carries the metadata alerts need.
func TestRulesCompile(t *testing.T) {
	files := loadFiles(t)
	ids := map[string]string{}
	for _, f := range files {
		t.Run(f.stem, func(t *testing.T) {
			e, err := sigma.Compile(f.rules, cloudtrailOptions)
			if err != nil {
				t.Fatalf("does not compile: %v", err)
			}
			if got, want := e.Rules()+e.Correlations(), len(f.rules); got != want {
				t.Errorf("compiled %d rules, want %d", got, want)
			}
			if !bytes.Contains(f.data, []byte("\nauthor: Vigil\n")) {
				t.Error("author is not Vigil")
			}
			if f.primary().Correlation == nil && len(f.rules) != 1 {
				t.Errorf("%d detection rules and no correlation, want one rule per file", len(f.rules))
			}
			for _, r := range f.rules {
				if !uuidV4.MatchString(r.ID) {
					t.Errorf("%s: id %q is not a UUID v4", r.Title, r.ID)
				}
				if other, dup := ids[r.ID]; dup {
					t.Errorf("%s: id %s also used by %s", r.Title, r.ID, other)
				}
				ids[r.ID] = r.Title
				if r.Status != "experimental" || r.Description == "" || r.Level == "" || len(r.FalsePositives) == 0 {
					t.Errorf("%s: status %q, level %q, description or falsepositives missing", r.Title, r.Status, r.Level)
				}
				if !slices.ContainsFunc(r.Tags, attackTag.MatchString) {
					t.Errorf("%s: no ATT&CK technique tag in %v", r.Title, r.Tags)
				}
				if !slices.ContainsFunc(r.Tags, d3fendTag.MatchString) {
					t.Errorf("%s: no vigil.d3fend tag in %v", r.Title, r.Tags)
				}
				if r.Detection != nil && (r.Logsource.Product != "aws" || r.Logsource.Service != "cloudtrail") {
					t.Errorf("%s: logsource %+v", r.Title, r.Logsource)
				}
			}
		})
	}
	e, err := sigma.Compile(allRules(files), cloudtrailOptions)
	if err != nil {
		t.Fatal(err)
	}
	if e.Rules()+e.Correlations() != len(ids) {
		t.Errorf("all together: compiled %d, want %d", e.Rules()+e.Correlations(), len(ids))
	}
}

// TestMissingPlaceholder: a rule set compiled without the placeholders is
// refused with an unsupported-feature error naming the placeholder.
func TestMissingPlaceholder(t *testing.T) {
	_, err := sigma.Compile(allRules(loadFiles(t)), sigma.Options{})
	if !errors.Is(err, sigma.ErrUnsupported) || !strings.Contains(err.Error(), "%fleet_networks%") {
		t.Errorf("got %v, want an unsupported-feature error about %%fleet_networks%%", err)
	}
}

// readEvents reads a test file: one event (a JSON object) or a sequence
// (a JSON array of events).
func readEvents(t testing.TB, file string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		if !json.Valid(data) {
			t.Fatalf("%s: invalid JSON", file)
		}
		return [][]byte{data}
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := make([][]byte, len(raw))
	for i, r := range raw {
		out[i] = r
	}
	return out
}

func caseFiles(t testing.TB, stem, kind string) []string {
	t.Helper()
	fs, err := filepath.Glob(filepath.Join("testdata", stem, kind, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestRuleEvents runs each rule's hand-written events through all of
// Vigil's rules: the rule must fire on every positive and on no negative.
// Correlation rules get sequences of events.
func TestRuleEvents(t *testing.T) {
	files := loadFiles(t)
	a := newAlerter(t, allRules(files))
	for _, f := range files {
		want := f.primary()
		for _, kind := range []string{"positive", "negative"} {
			cases := caseFiles(t, f.stem, kind)
			if len(cases) == 0 {
				t.Errorf("%s: no %s test events in testdata/%s/%s", f.stem, kind, f.stem, kind)
			}
			for _, file := range cases {
				t.Run(f.stem+"/"+kind+"/"+filepath.Base(file), func(t *testing.T) {
					got := a.run(t, readEvents(t, file))
					if fired := got[want.ID] > 0; fired != (kind == "positive") {
						t.Errorf("%q fired %d times, want fired=%v (all alerts: %v)", want.Title, got[want.ID], kind == "positive", got)
					}
				})
			}
		}
	}
}

// TestBenign: the negative events, each file on its own, raise none of
// Vigil's rules.
func TestBenign(t *testing.T) {
	files := loadFiles(t)
	a := newAlerter(t, allRules(files))
	titles := map[string]string{}
	for _, r := range allRules(files) {
		titles[r.ID] = r.Title
	}
	n := 0
	for _, f := range files {
		for _, file := range caseFiles(t, f.stem, "negative") {
			n++
			for id := range a.run(t, readEvents(t, file)) {
				t.Errorf("%s: benign events raise %q", file, titles[id])
			}
		}
	}
	if n < len(files) {
		t.Errorf("%d benign files for %d rules", n, len(files))
	}
}

func datasets(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIL_DATASETS")
	if dir == "" {
		t.Skip("VIGIL_DATASETS not set: skipping the test on real public data (set it to ../shared/data)")
	}
	return dir
}

func loadSigmaHQ(t testing.TB, dir string) []*sigma.Rule {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "sigmahq-cloudtrail-rules/rules/cloud/aws/cloudtrail/*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no SigmaHQ rules found: %v", err)
	}
	var rules []*sigma.Rule
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := sigma.ParseAll(data, filepath.Base(f))
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, rs...)
	}
	return rules
}

// readDetonation reads a Stratus file with the CloudTrail reader.
func readDetonation(t testing.TB, file string) [][]byte {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r := cloudtrail.NewReader(fh, filepath.Base(file), cloudtrail.Options{})
	var out [][]byte
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.Clone(ev.Raw)) // the Reader reuses its bytes
	}
}

// TestStratusRedTeam is the acceptance table of issue 5: the SigmaHQ and
// Vigil rules together over each Stratus Red Team detonation. For each file
// the table names the rules its technique implies (at least one must be
// there) and the other rules that also fire; the alerts must be exactly
// these. Counts are alerts: detection matches and correlation firings.
func TestStratusRedTeam(t *testing.T) {
	const (
		// SigmaHQ
		assumeRoleMisuse = "905d389b-b853-46d0-9d3d-dea0d3a3cd49" // AWS STS AssumeRole Misuse
		flowLogsDeleted  = "e386b9b5-af12-450e-afff-761730fb8a98" // AWS VPC Flow Logs Deleted
		ssmMalicious     = "38e7f511-3f74-41d4-836e-f57dfa18eead" // Potential Malicious Usage of CloudTrail System Manager
		sgIngress        = "6fb77778-040f-4015-9440-572aa9b6b580" // Ingress/Egress Security Group Modification
		snapshotExfil    = "abae8fec-57bd-4f87-aff6-6e3db989843d" // AWS Snapshot Backup Exfiltration
		backdoorKeys     = "0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2" // AWS IAM Backdoor Users Keys
		lambdaLayer      = "97fbabf8-8e1b-47a2-b7d5-a418d2b95e3d" // AWS New Lambda Layer Attached
		loginProfile     = "055fb148-60f8-462d-ad16-26926ce050f1" // AWS User Login Profile Was Modified
		// Vigil
		secretsBatch     = "VIGIL_SECRETS_BATCH"
		ssmMassDecrypt   = "VIGIL_SSM_MASS"
		selectorsReduced = "VIGIL_SELECTORS"
		resolverLogs     = "VIGIL_RESOLVER"
		instanceConnect  = "VIGIL_EIC"
		roleTrust        = "VIGIL_ROLE_TRUST"
		createLogin      = "VIGIL_LOGIN_PROFILE"
		rolesAnywhere    = "VIGIL_ROLES_ANYWHERE"
		loggingTampering = "VIGIL_LOGGING"
		deniedBurst      = "VIGIL_DENIED_BURST"
	)
	type expect struct {
		technique map[string]int // the rules the technique implies
		also      map[string]int // other rules that fire
	}
	want := map[string]expect{
		"aws.credential-access.ec2-get-password-data.json":                 {technique: map[string]int{deniedBurst: 1}, also: map[string]int{assumeRoleMisuse: 30}},
		"aws.credential-access.secretsmanager-batch-retrieve-secrets.json": {technique: map[string]int{secretsBatch: 5}},
		"aws.credential-access.ssm-retrieve-securestring-parameters.json":  {technique: map[string]int{ssmMassDecrypt: 1}},
		"aws.defense-evasion.cloudtrail-event-selectors.json":              {technique: map[string]int{selectorsReduced: 1, loggingTampering: 1}},
		"aws.defense-evasion.dns-delete-logs.json":                         {technique: map[string]int{resolverLogs: 1, loggingTampering: 1}},
		"aws.defense-evasion.vpc-remove-flow-logs.json":                    {technique: map[string]int{flowLogsDeleted: 1, loggingTampering: 1}},
		"aws.execution.ec2-launch-unusual-instances.json":                  {technique: map[string]int{assumeRoleMisuse: 1}},
		"aws.execution.ssm-send-command.json":                              {technique: map[string]int{ssmMalicious: 1}},
		"aws.exfiltration.ec2-security-group-open-port-22-ingress.json":    {technique: map[string]int{sgIngress: 1}},
		"aws.exfiltration.ec2-share-ebs-snapshot.json":                     {technique: map[string]int{snapshotExfil: 1}},
		"aws.impact.bedrock-invoke-model.json":                             {technique: map[string]int{assumeRoleMisuse: 15}},
		"aws.lateral-movement.ec2-instance-connect.json":                   {technique: map[string]int{instanceConnect: 3}},
		"aws.persistence.iam-backdoor-role.json":                           {technique: map[string]int{roleTrust: 1}},
		"aws.persistence.iam-create-admin-user.json":                       {technique: map[string]int{backdoorKeys: 1}},
		"aws.persistence.iam-create-user-login-profile.json":               {technique: map[string]int{createLogin: 1}},
		"aws.persistence.lambda-layer-extension.json":                      {technique: map[string]int{lambdaLayer: 1}},
		"aws.persistence.rolesanywhere-create-trust-anchor.json":           {technique: map[string]int{rolesAnywhere: 2}},
		"aws.privilege-escalation.iam-update-user-login-profile.json":      {technique: map[string]int{loginProfile: 1}},
	}
	dir := datasets(t)
	files := loadFiles(t)
	// Vigil ids by file stem, so that the table stays readable.
	vigil := map[string]string{}
	for _, f := range files {
		vigil[f.stem] = f.primary().ID
	}
	resolve := map[string]string{
		secretsBatch:     vigil["aws_secretsmanager_batch_get_secret_value"],
		ssmMassDecrypt:   vigil["aws_ssm_mass_parameter_decryption"],
		selectorsReduced: vigil["aws_cloudtrail_event_selectors_reduced"],
		resolverLogs:     vigil["aws_route53resolver_query_log_deleted"],
		instanceConnect:  vigil["aws_ec2_instance_connect_ssh_key_pushed"],
		roleTrust:        vigil["aws_iam_role_trust_external_principal"],
		createLogin:      vigil["aws_iam_create_login_profile"],
		rolesAnywhere:    vigil["aws_rolesanywhere_trust_anchor_or_profile_created"],
		loggingTampering: vigil["aws_logging_tampering"],
		deniedBurst:      vigil["aws_access_denied_burst"],
	}
	for k, v := range resolve {
		if v == "" {
			t.Fatalf("no Vigil rule for %s", k)
		}
	}
	id := func(s string) string {
		if r, ok := resolve[s]; ok {
			return r
		}
		return s
	}
	rules := append(loadSigmaHQ(t, dir), allRules(files)...)
	a := newAlerter(t, rules)
	paths, err := filepath.Glob(filepath.Join(dir, "cloudtrail-stratus-red-team/detonation-logs/*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no detonation logs: %v", err)
	}
	if len(paths) != len(want) {
		t.Errorf("found %d detonation files, want %d", len(paths), len(want))
	}
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			if len(w.technique) == 0 {
				t.Fatal("the table names no rule for the technique")
			}
			all := map[string]int{}
			for k, n := range w.technique {
				all[id(k)] = n
			}
			for k, n := range w.also {
				all[id(k)] = n
			}
			got := a.run(t, readDetonation(t, p))
			for k := range w.technique {
				if got[id(k)] == 0 {
					t.Errorf("the technique's rule %s did not fire", k)
				}
			}
			if !mapsEqual(got, all) {
				t.Errorf("alerts %v, want %v", got, all)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestTagsInBuiltinCatalog: every ATT&CK technique and D3FEND
// countermeasure the rules name is in Vigil's built-in catalog, so that
// alerts show their names even before any feed is imported (the catalog's
// own test checks the catalog against the published files).
func TestTagsInBuiltinCatalog(t *testing.T) {
	catalog := attack.Builtin()
	for _, f := range loadFiles(t) {
		for _, r := range f.rules {
			for _, tag := range r.Tags {
				lt := strings.ToLower(tag)
				switch {
				case attackTag.MatchString(lt):
					if _, ok := catalog.Technique(strings.ToUpper(lt[len("attack."):])); !ok {
						t.Errorf("%s: %s is not in the built-in catalog", f.stem, tag)
					}
				case strings.HasPrefix(lt, "vigil.d3fend."):
					if _, ok := catalog.Countermeasure(tag[len("vigil.d3fend."):]); !ok {
						t.Errorf("%s: %s is not in the built-in catalog", f.stem, tag)
					}
				}
			}
		}
	}
}
