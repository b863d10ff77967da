package sigma

import (
	"errors"
	"github.com/valyala/fastjson"
	"reflect"
	"slices"
	"sort"
	"testing"
)

var cloudtrailOptions = Options{Logsource: Logsource{Product: "aws", Service: "cloudtrail"}}

// TestSigmaHQRules loads every SigmaHQ CloudTrail rule: all must parse and
// compile, none may be skipped or unsupported.
func TestSigmaHQRules(t *testing.T) {
	dir := datasets(t)
	rules := loadSigmaHQ(t, dir)
	if len(rules) != 57 {
		t.Errorf("parsed %d rules, want 57", len(rules))
	}
	e, err := Compile(rules, cloudtrailOptions)
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			t.Fatalf("rules with unsupported features:\n%v", err)
		}
		t.Fatal(err)
	}
	if e.Rules() != 57 || len(e.Skipped()) != 0 {
		t.Errorf("compiled %d rules, skipped %d; want 57 and 0", e.Rules(), len(e.Skipped()))
	}
	fields, unindexed := e.IndexedFields()
	if unindexed > 1 {
		t.Errorf("%d rules are checked on every event (index fields %v), want at most 1", unindexed, fields)
	}
}

// TestStratusDetonations runs the SigmaHQ rules over each Stratus Red Team
// detonation and checks which rules fire. The figures were checked by
// reading the rules and the events (see docs/sigma.md).
func TestStratusDetonations(t *testing.T) {
	const (
		assumeRoleMisuse = "905d389b-b853-46d0-9d3d-dea0d3a3cd49" // AWS STS AssumeRole Misuse
		flowLogsDeleted  = "e386b9b5-af12-450e-afff-761730fb8a98" // AWS VPC Flow Logs Deleted
		ssmMalicious     = "38e7f511-3f74-41d4-836e-f57dfa18eead" // Potential Malicious Usage of CloudTrail System Manager
		sgIngress        = "6fb77778-040f-4015-9440-572aa9b6b580" // Ingress/Egress Security Group Modification
		snapshotExfil    = "abae8fec-57bd-4f87-aff6-6e3db989843d" // AWS Snapshot Backup Exfiltration
		backdoorKeys     = "0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2" // AWS IAM Backdoor Users Keys
		lambdaLayer      = "97fbabf8-8e1b-47a2-b7d5-a418d2b95e3d" // AWS New Lambda Layer Attached
		loginProfile     = "055fb148-60f8-462d-ad16-26926ce050f1" // AWS User Login Profile Was Modified
	)
	// file -> rule id -> number of events it fires on
	want := map[string]map[string]int{
		"aws.credential-access.ec2-get-password-data.json":                 {assumeRoleMisuse: 30},
		"aws.credential-access.secretsmanager-batch-retrieve-secrets.json": {},
		"aws.credential-access.ssm-retrieve-securestring-parameters.json":  {},
		"aws.defense-evasion.cloudtrail-event-selectors.json":              {},
		"aws.defense-evasion.dns-delete-logs.json":                         {},
		"aws.defense-evasion.vpc-remove-flow-logs.json":                    {flowLogsDeleted: 1},
		"aws.execution.ec2-launch-unusual-instances.json":                  {assumeRoleMisuse: 1}, // 1 of 3 events by an assumed role
		"aws.execution.ssm-send-command.json":                              {ssmMalicious: 1},
		"aws.exfiltration.ec2-security-group-open-port-22-ingress.json":    {sgIngress: 1},
		"aws.exfiltration.ec2-share-ebs-snapshot.json":                     {snapshotExfil: 1},
		"aws.impact.bedrock-invoke-model.json":                             {assumeRoleMisuse: 15},
		"aws.lateral-movement.ec2-instance-connect.json":                   {},
		"aws.persistence.iam-backdoor-role.json":                           {},
		"aws.persistence.iam-create-admin-user.json":                       {backdoorKeys: 1},
		"aws.persistence.iam-create-user-login-profile.json":               {},
		"aws.persistence.lambda-layer-extension.json":                      {lambdaLayer: 1},
		"aws.persistence.rolesanywhere-create-trust-anchor.json":           {},
		"aws.privilege-escalation.iam-update-user-login-profile.json":      {loginProfile: 1},
	}
	dir := datasets(t)
	e, err := Compile(loadSigmaHQ(t, dir), cloudtrailOptions)
	if err != nil {
		t.Fatal(err)
	}
	events, names := loadStratus(t, dir)
	if len(names) != len(want) {
		t.Errorf("found %d detonation files, want %d", len(names), len(want))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			got := map[string]int{}
			for _, ev := range events[name] {
				ms, err := e.MatchAppend(nil, ev)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					got[m.RuleID]++
				}
			}
			if !mapsEqual(got, w) {
				t.Errorf("got %v, want %v", got, w)
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

// TestDifferential compares the compiled matcher with the reference
// evaluator for every SigmaHQ rule and every Stratus event.
func TestDifferential(t *testing.T) {
	dir := datasets(t)
	rules := loadSigmaHQ(t, dir)
	e, err := Compile(rules, cloudtrailOptions)
	if err != nil {
		t.Fatal(err)
	}
	events, names := loadStratus(t, dir)
	n := 0
	for _, name := range names {
		for _, ev := range events[name] {
			compareWithReference(t, e, rules, ev, name)
			n++
		}
	}
	// The reference must also agree on events built to hit every rule:
	// each rule's own equality values, one event per rule.
	fired := map[string]bool{}
	var p fastjson.Parser
	for _, ev := range syntheticEvents(rules) {
		compareWithReference(t, e, rules, ev, "synthetic")
		ms := e.Match(ev)
		for _, m := range ms {
			fired[m.RuleID] = true
		}
		// Matching an event already parsed gives the same matches.
		v, err := p.ParseBytes(ev)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.MatchValue(nil, v); !reflect.DeepEqual(got, ms) {
			t.Errorf("MatchValue and Match differ on %s", ev)
		}
		n++
	}
	// Without matches the comparison would prove little.
	if len(fired) < 50 {
		t.Errorf("synthetic events fire %d rules, want at least 50", len(fired))
	}
	t.Logf("compared %d rules on %d events", len(rules), n)
}

// syntheticEvents builds, for each rule selection alternative, an event
// that carries the alternative's first value of every field, so that the
// differential test also sees events that match.
func syntheticEvents(rules []*Rule) [][]byte {
	var out [][]byte
	for _, r := range rules {
		names := make([]string, 0, len(r.Detection.Selections))
		for n := range r.Detection.Selections {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			for _, alt := range r.Detection.Selections[n].Alts {
				ev := map[string]any{"eventID": r.ID + "/" + n}
				for _, fc := range alt {
					if fc.Field == "" || len(fc.Values) == 0 || slices.Contains(fc.Modifiers, "re") {
						continue
					}
					v := fc.Values[0]
					var val any = v.S
					if v.Kind == KindNull {
						val = nil
					}
					setPath(ev, fc.Field, val)
				}
				out = append(out, mustJSON(ev))
			}
		}
	}
	return out
}
