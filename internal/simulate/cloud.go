package simulate

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The vendor cloud: the AWS account of the maker of the hospital's infusion
// pumps and monitors, as its CloudTrail records it. Its devices report
// telemetry that a pipeline stores in S3, an analytics job exports reports
// from a bucket of protected health information, a CI pipeline releases
// firmware to a canary group of devices, engineers sign in with MFA from the
// office and look at the fleet, and AWS services act for the account. The
// optional attack is a cloud takeover: a leaked long-term access key used
// from an unknown network to explore, blind the trail, give itself the
// fleet's provisioning role, push a job to every device and read the PHI
// bucket.

// CloudDir is the folder under CloudRun's output folder that holds the
// trail, in the S3 delivery layout (AWSLogs/ACCOUNT/CloudTrail/REGION/...).
const CloudDir = "cloudtrail"

// CloudTruthFile is the ground truth CloudRun writes next to CloudDir.
const CloudTruthFile = "cloud-truth.json"

// The simulated account.
const (
	CloudAccount = "210987654321"
	CloudRegion  = "eu-west-1"
)

// CloudOptions describe a simulated fleet cloud.
type CloudOptions struct {
	Seed  int64
	Hours int       // event-time span (default 24)
	Start time.Time // event-time start (default DefaultStart)
	// Attack adds the cloud takeover at AttackAt after Start (zero: three
	// quarters of Hours).
	Attack   bool
	AttackAt time.Duration
}

func (o CloudOptions) withDefaults() (CloudOptions, error) {
	if o.Hours == 0 {
		o.Hours = DefaultHours
	}
	if o.Hours < 1 || o.Hours > MaxHours {
		return o, fmt.Errorf("simulate: cloud hours %d out of range 1..%d", o.Hours, MaxHours)
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.AttackAt == 0 {
		o.AttackAt = (time.Duration(o.Hours) * time.Hour * 3 / 4).Truncate(time.Hour)
	}
	if o.Attack && (o.AttackAt < 0 || o.AttackAt+time.Hour > time.Duration(o.Hours)*time.Hour) {
		return o, fmt.Errorf("simulate: the cloud attack at %v does not fit in %d hours", o.AttackAt, o.Hours)
	}
	return o, nil
}

// CloudTruth is what CloudRun wrote.
type CloudTruth struct {
	Seed    int64     `json:"seed"`
	Account string    `json:"account"`
	Region  string    `json:"region"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Events  int       `json:"events"`
	// Placeholders are the values of the Sigma rules' placeholders that
	// describe the account (its networks, fleet roles, PHI buckets, ...).
	Placeholders map[string][]string `json:"placeholders"`
	Attack       *CloudAttack        `json:"attack,omitempty"`
}

// CloudAttack is the labelled cloud takeover.
type CloudAttack struct {
	Principal string      `json:"principal"` // userIdentity.arn of the leaked key
	SourceIP  string      `json:"source_ip"`
	Start     time.Time   `json:"start"`
	End       time.Time   `json:"end"`
	Steps     []CloudStep `json:"steps"`
}

// CloudStep is one step of the attack and the ATT&CK technique it is.
type CloudStep struct {
	Name      string    `json:"name"`
	Technique string    `json:"technique"`
	At        time.Time `json:"at"`
	Events    int       `json:"events"`
}

// cloudPlaceholders describe the simulated account for the Vigil rules.
var cloudPlaceholders = map[string][]string{
	"fleet_networks":    {"203.0.113.*", "198.51.100.*"}, // the office; the CI and pipeline NAT gateways
	"fleet_roles":       {"iot-fleet-*", "telemetry-ingest"},
	"fleet_policies":    {"fleet-*"},
	"phi_buckets":       {"acme-phi-*"},
	"fleet_wide_groups": {"all-devices", "fleet-*"},
}

// ctIdentity is a CloudTrail userIdentity.
type ctIdentity struct {
	Type           string            `json:"type"`
	PrincipalID    string            `json:"principalId,omitempty"`
	ARN            string            `json:"arn,omitempty"`
	AccountID      string            `json:"accountId,omitempty"`
	AccessKeyID    string            `json:"accessKeyId,omitempty"`
	UserName       string            `json:"userName,omitempty"`
	SessionContext *ctSessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string            `json:"invokedBy,omitempty"`
}

type ctSessionContext struct {
	SessionIssuer ctIssuer          `json:"sessionIssuer"`
	Attributes    map[string]string `json:"attributes"`
}

type ctIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// ctEvent is one CloudTrail record, fields in AWS's order.
type ctEvent struct {
	EventVersion        string         `json:"eventVersion"`
	UserIdentity        ctIdentity     `json:"userIdentity"`
	EventTime           string         `json:"eventTime"`
	EventSource         string         `json:"eventSource"`
	EventName           string         `json:"eventName"`
	AWSRegion           string         `json:"awsRegion"`
	SourceIPAddress     string         `json:"sourceIPAddress"`
	UserAgent           string         `json:"userAgent"`
	ErrorCode           string         `json:"errorCode,omitempty"`
	ErrorMessage        string         `json:"errorMessage,omitempty"`
	RequestParameters   map[string]any `json:"requestParameters"`
	ResponseElements    map[string]any `json:"responseElements"`
	AdditionalEventData map[string]any `json:"additionalEventData,omitempty"`
	RequestID           string         `json:"requestID,omitempty"`
	EventID             string         `json:"eventID"`
	ReadOnly            bool           `json:"readOnly"`
	EventType           string         `json:"eventType"`
	ManagementEvent     bool           `json:"managementEvent"`
	RecipientAccountID  string         `json:"recipientAccountId"`
	EventCategory       string         `json:"eventCategory"`

	at time.Time
}

// actor is a principal of the account and where its calls come from.
type actor struct {
	id        ctIdentity
	sourceIP  string
	userAgent string
}

func assumedRole(role, session, sourceIP, userAgent string, mfa bool) actor {
	roleID := "AROA" + strings.ToUpper(fmt.Sprintf("%016x", mix(uint64(len(role)), hashString(role))))[:16]
	return actor{
		id: ctIdentity{
			Type: "AssumedRole", PrincipalID: roleID + ":" + session,
			ARN:       "arn:aws:sts::" + CloudAccount + ":assumed-role/" + role + "/" + session,
			AccountID: CloudAccount, AccessKeyID: "ASIA" + strings.ToUpper(fmt.Sprintf("%016x", hashString(role+session)))[:16],
			SessionContext: &ctSessionContext{
				SessionIssuer: ctIssuer{Type: "Role", PrincipalID: roleID, ARN: "arn:aws:iam::" + CloudAccount + ":role/" + role,
					AccountID: CloudAccount, UserName: role},
				Attributes: map[string]string{"mfaAuthenticated": fmt.Sprint(mfa)},
			},
		},
		sourceIP: sourceIP, userAgent: userAgent,
	}
}

func awsService(service string) actor {
	return actor{id: ctIdentity{Type: "AWSService", InvokedBy: service}, sourceIP: service, userAgent: service}
}

// cloudSim generates the trail hour by hour.
type cloudSim struct {
	opts   CloudOptions
	r      *rng
	events []ctEvent // the hour being generated
	serial uint64
}

func (c *cloudSim) add(a actor, at time.Time, source, name string, readOnly bool, params map[string]any) *ctEvent {
	c.serial++
	id := mix(uint64(c.opts.Seed), 0xC10D, c.serial)
	ev := ctEvent{
		EventVersion: "1.09", UserIdentity: a.id, EventTime: at.UTC().Format(time.RFC3339),
		EventSource: source, EventName: name, AWSRegion: CloudRegion, SourceIPAddress: a.sourceIP, UserAgent: a.userAgent,
		RequestParameters: params,
		RequestID:         fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", uint32(id>>32), uint16(id>>16), uint16(id), uint16(id>>48), splitmix(id)&0xFFFFFFFFFFFF),
		EventID:           fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(id), uint16(id>>32), uint16(id>>48)&0xFFF, uint16(id>>20)&0xFFF, splitmix(id^1)&0xFFFFFFFFFFFF),
		ReadOnly:          readOnly, EventType: "AwsApiCall", ManagementEvent: true,
		RecipientAccountID: CloudAccount, EventCategory: "Management", at: at,
	}
	if source == "s3.amazonaws.com" && (name == "GetObject" || name == "PutObject") {
		ev.ManagementEvent, ev.EventCategory = false, "Data"
	}
	c.events = append(c.events, ev)
	return &c.events[len(c.events)-1]
}

var (
	cloudEngineers = []string{"a.lindqvist@acme-medical.example", "j.okafor@acme-medical.example", "m.rossi@acme-medical.example"}
	cloudBrowser   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"
	cloudSDK       = "aws-sdk-go-v2/1.36.3 os/linux lang/go#1.26.0 md/GOOS#linux md/GOARCH#amd64 api/s3#1.79.1"
	cloudLambda    = "aws-sdk-java/2.31.12 Linux/5.10.235-246.919.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.6+7-LTS exec-env/AWS_Lambda_java21"
)

// hour generates the benign events of the hour that starts at t.
func (c *cloudSim) hour(t time.Time) {
	r := c.r
	// The telemetry pipeline stores device reports.
	ingest := assumedRole("telemetry-ingest", "telemetry-ingest-fn", "198.51.100.20", cloudLambda, false)
	for range r.poisson(24) {
		day := t.Format("2006/01/02")
		c.add(ingest, t.Add(r.within(time.Hour)), "s3.amazonaws.com", "PutObject", false, map[string]any{
			"bucketName": "acme-telemetry-raw", "Host": "acme-telemetry-raw.s3.eu-west-1.amazonaws.com",
			"key": fmt.Sprintf("pumps/%s/%06d.json.gz", day, r.IntN(1_000_000))})
	}
	// AWS IoT assumes the roles of its topic rules and fleet provisioning.
	iot := awsService("iot.amazonaws.com")
	for range r.poisson(6) {
		role := "iot-fleet-rules"
		if r.chance(0.2) {
			role = "iot-fleet-provisioning"
		}
		c.add(iot, t.Add(r.within(time.Hour)), "sts.amazonaws.com", "AssumeRole", true, map[string]any{
			"roleArn": "arn:aws:iam::" + CloudAccount + ":role/" + role, "roleSessionName": fmt.Sprintf("%d", r.Int64N(1e12))})
	}
	// The analytics job exports reports from the PHI bucket, a few reads at
	// a time.
	analytics := assumedRole("analytics-export", "nightly-report", "198.51.100.20", cloudSDK, false)
	for range r.poisson(12) {
		c.add(analytics, t.Add(r.within(time.Hour)), "s3.amazonaws.com", "GetObject", true, map[string]any{
			"bucketName": "acme-phi-exports", "Host": "acme-phi-exports.s3.eu-west-1.amazonaws.com",
			"key": fmt.Sprintf("reports/site-%02d/%s.parquet", r.IntN(40), t.Format("2006-01-02"))})
	}
	workday := t.Weekday() != time.Saturday && t.Weekday() != time.Sunday
	hr := t.Hour()
	if !workday || hr < 8 || hr >= 18 {
		return
	}
	// Engineers sign in with MFA in the morning and look at the fleet.
	for i, who := range cloudEngineers {
		eng := assumedRole("AWSReservedSSO_FleetEngineer_5f1c2a9d3e7b4c60", who, fmt.Sprintf("203.0.113.%d", 20+i), cloudBrowser, true)
		if hr == 8 {
			ev := c.add(eng, t.Add(r.within(30*time.Minute)), "signin.amazonaws.com", "ConsoleLogin", false, nil)
			ev.EventType = "AwsConsoleSignIn"
			ev.ResponseElements = map[string]any{"ConsoleLogin": "Success"}
			ev.AdditionalEventData = map[string]any{"MFAUsed": "Yes", "MobileVersion": "No", "LoginTo": "https://console.aws.amazon.com/console/home"}
			ev.RequestID = ""
		}
		for range r.poisson(5) {
			at := t.Add(r.within(time.Hour))
			switch r.IntN(6) {
			case 0:
				c.add(eng, at, "iot.amazonaws.com", "ListThings", true, map[string]any{"maxResults": 50})
			case 1:
				c.add(eng, at, "iot.amazonaws.com", "DescribeThing", true, map[string]any{"thingName": fmt.Sprintf("pump-%05d", r.IntN(20_000))})
			case 2:
				c.add(eng, at, "iot.amazonaws.com", "ListJobs", true, map[string]any{"status": "IN_PROGRESS"})
			case 3:
				c.add(eng, at, "sagemaker.amazonaws.com", "DescribeEndpoint", true, map[string]any{"endpointName": "infusion-anomaly-v7"})
			case 4:
				c.add(eng, at, "s3.amazonaws.com", "ListBuckets", true, map[string]any{"Host": "s3.eu-west-1.amazonaws.com"})
			default:
				c.add(eng, at, "cloudwatch.amazonaws.com", "GetMetricData", true, map[string]any{"startTime": t.Add(-time.Hour).Format(time.RFC3339), "endTime": t.Format(time.RFC3339)})
			}
		}
		// Now and then a console page asks for something the role may not
		// see.
		if r.chance(0.05) {
			ev := c.add(eng, t.Add(r.within(time.Hour)), "iam.amazonaws.com", "ListRoles", true, nil)
			ev.ErrorCode = "AccessDenied"
			ev.ErrorMessage = "User: " + eng.id.ARN + " is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::" + CloudAccount + ":role/ because no identity-based policy allows the iam:ListRoles action"
		}
	}
	// The CI pipeline releases firmware to the canary group at ten.
	if hr == 10 {
		ci := assumedRole("firmware-pipeline", fmt.Sprintf("ci-%d", r.IntN(100_000)), "198.51.100.10", cloudSDK, false)
		at := t.Add(r.within(10 * time.Minute))
		version := fmt.Sprintf("7.%d.%d", t.YearDay()/7, t.YearDay()%7)
		c.add(ci, at, "s3.amazonaws.com", "PutObject", false, map[string]any{
			"bucketName": "acme-firmware-releases", "Host": "acme-firmware-releases.s3.eu-west-1.amazonaws.com",
			"key": "pump-fw/" + version + "/image.bin"})
		job := "pump-fw-" + strings.ReplaceAll(version, ".", "-") + "-canary"
		c.add(ci, at.Add(40*time.Second), "iot.amazonaws.com", "CreateJob", false, map[string]any{
			"jobId": job, "targets": []string{"arn:aws:iot:" + CloudRegion + ":" + CloudAccount + ":thinggroup/canary-pumps"},
			"documentSource": "https://acme-firmware-releases.s3.amazonaws.com/pump-fw/" + version + "/job.json", "targetSelection": "SNAPSHOT"})
		for i := range 5 {
			c.add(ci, at.Add(time.Duration(i+2)*time.Minute), "iot.amazonaws.com", "DescribeJob", true, map[string]any{"jobId": job})
		}
	}
}

// attack generates the cloud takeover, starting at t; it returns its steps.
func (c *cloudSim) attack(t time.Time) *CloudAttack {
	r := c.r
	const keyID = "AKIATZ7Q2L5MXK4BDE9F"
	leaked := actor{id: ctIdentity{Type: "IAMUser", PrincipalID: "AIDATZ7Q2L5MQ3H8WB4NK", ARN: "arn:aws:iam::" + CloudAccount + ":user/legacy-integration",
		AccountID: CloudAccount, AccessKeyID: keyID, UserName: "legacy-integration"},
		sourceIP: "192.0.2.66", userAgent: "aws-cli/2.27.31 md/awscrt#0.26.1 ua/2.1 os/linux#6.12.33 md/arch#x86_64 lang/python#3.13.4 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#kali.2025"}
	a := &CloudAttack{Principal: leaked.id.ARN, SourceIP: leaked.sourceIP, Start: t}
	step := func(name, technique string, at time.Time, n int) {
		a.Steps = append(a.Steps, CloudStep{Name: name, Technique: technique, At: at, Events: n})
	}
	at := t
	next := func(d time.Duration) time.Time { at = at.Add(d + r.within(d)); return at }

	// Who am I, and what may I do: most calls are refused.
	c.add(leaked, next(time.Second), "sts.amazonaws.com", "GetCallerIdentity", true, nil)
	calls := [][2]string{{"iam.amazonaws.com", "ListUsers"}, {"iam.amazonaws.com", "ListRoles"}, {"iam.amazonaws.com", "ListPolicies"},
		{"secretsmanager.amazonaws.com", "ListSecrets"}, {"ec2.amazonaws.com", "DescribeInstances"}, {"lambda.amazonaws.com", "ListFunctions20150331"},
		{"kms.amazonaws.com", "ListKeys"}, {"rds.amazonaws.com", "DescribeDBInstances"}, {"organizations.amazonaws.com", "DescribeOrganization"}}
	denied := 0
	start := at
	for i := range 27 {
		call := calls[i%len(calls)]
		ev := c.add(leaked, next(2*time.Second), call[0], call[1], true, nil)
		ev.ErrorCode = "AccessDenied"
		if call[0] == "ec2.amazonaws.com" {
			ev.ErrorCode = "Client.UnauthorizedOperation"
		}
		ev.ErrorMessage = "User: " + leaked.id.ARN + " is not authorized to perform this operation"
		denied++
	}
	step("discovery: API calls refused in a burst", "T1580", start, denied+1)

	// What the key may do: the fleet.
	start = next(30 * time.Second)
	c.add(leaked, start, "iot.amazonaws.com", "ListThingGroups", true, map[string]any{"maxResults": 100})
	c.add(leaked, next(3*time.Second), "iot.amazonaws.com", "ListThings", true, map[string]any{"maxResults": 250})
	for range 3 {
		c.add(leaked, next(2*time.Second), "iot.amazonaws.com", "DescribeThing", true, map[string]any{"thingName": fmt.Sprintf("pump-%05d", r.IntN(20_000))})
	}
	step("fleet reached with a long-term key from an unknown network", "T1078.004", start, 5)

	// Blind the trail to write events.
	start = next(time.Minute)
	c.add(leaked, start, "cloudtrail.amazonaws.com", "PutEventSelectors", false, map[string]any{
		"trailName": "acme-fleet-trail",
		"eventSelectors": []map[string]any{{"readWriteType": "ReadOnly", "includeManagementEvents": true,
			"dataResources": []any{}, "excludeManagementEventSources": []any{}}}})
	step("trail reduced to read-only events", "T1562.008", start, 1)

	// Take the fleet's provisioning role.
	start = next(time.Minute)
	c.add(leaked, start, "iam.amazonaws.com", "AttachRolePolicy", false, map[string]any{
		"roleName": "iot-fleet-provisioning", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
	step("administrator policy attached to the fleet provisioning role", "T1098.003", start, 1)

	// Push a job to every device.
	start = next(2 * time.Minute)
	c.add(leaked, start, "iot.amazonaws.com", "CreateJob", false, map[string]any{
		"jobId": "pump-maintenance-" + fmt.Sprint(r.IntN(10_000)), "targets": []string{"arn:aws:iot:" + CloudRegion + ":" + CloudAccount + ":thinggroup/all-devices"},
		"documentSource": "https://fw-cdn-acme-medical.s3.amazonaws.com/job.json", "targetSelection": "CONTINUOUS"})
	step("job pushed to the whole fleet", "T1072", start, 1)

	// Read the PHI bucket.
	start = next(time.Minute)
	n := 140 + r.IntN(40)
	for range n {
		c.add(leaked, next(time.Second), "s3.amazonaws.com", "GetObject", true, map[string]any{
			"bucketName": "acme-phi-exports", "Host": "acme-phi-exports.s3.eu-west-1.amazonaws.com",
			"key": fmt.Sprintf("reports/site-%02d/%s.parquet", r.IntN(40), at.AddDate(0, 0, -r.IntN(365)).Format("2006-01-02"))})
	}
	step("PHI bucket read in bulk", "T1530", start, n)
	a.End = at
	return a
}

// CloudRun simulates the fleet cloud that opts describe, writes its trail
// into dir/CloudDir in the S3 delivery layout (one gzip file per hour) and
// the ground truth into dir/CloudTruthFile, and returns the truth.
func CloudRun(ctx context.Context, dir string, opts CloudOptions) (*CloudTruth, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &cloudSim{opts: opts, r: newRNG(uint64(opts.Seed), 0xC10D)}
	truth := &CloudTruth{Seed: opts.Seed, Account: CloudAccount, Region: CloudRegion, Start: opts.Start,
		End: opts.Start.Add(time.Duration(opts.Hours) * time.Hour), Placeholders: cloudPlaceholders}
	for h := range opts.Hours {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t := opts.Start.Add(time.Duration(h) * time.Hour)
		c.r.reseed(uint64(opts.Seed), 0xC10D, uint64(h))
		c.events = c.events[:0]
		c.hour(t)
		if opts.Attack && time.Duration(h)*time.Hour == opts.AttackAt.Truncate(time.Hour) {
			truth.Attack = c.attack(opts.Start.Add(opts.AttackAt).Add(17 * time.Minute))
		}
		slices.SortStableFunc(c.events, func(a, b ctEvent) int { return a.at.Compare(b.at) })
		if err := writeCloudHour(dir, t, c.events, mix(uint64(opts.Seed), uint64(h))); err != nil {
			return nil, err
		}
		truth.Events += len(c.events)
	}
	b, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		return nil, err
	}
	return truth, os.WriteFile(filepath.Join(dir, CloudTruthFile), append(b, '\n'), 0o644)
}

// writeCloudHour writes one delivery file, as AWS names and lays it out.
func writeCloudHour(dir string, t time.Time, events []ctEvent, salt uint64) error {
	folder := filepath.Join(dir, CloudDir, "AWSLogs", CloudAccount, "CloudTrail", CloudRegion, t.Format("2006"), t.Format("01"), t.Format("02"))
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return err
	}
	name := fmt.Sprintf("%s_CloudTrail_%s_%sZ_%016X.json.gz", CloudAccount, CloudRegion, t.Format("20060102T1504"), salt)
	f, err := os.Create(filepath.Join(folder, name))
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	if events == nil {
		events = []ctEvent{}
	}
	body, err := json.Marshal(struct {
		Records []ctEvent `json:"Records"`
	}{Records: events})
	if err == nil {
		_, err = zw.Write(body)
	}
	return errors.Join(err, zw.Close(), f.Close())
}
