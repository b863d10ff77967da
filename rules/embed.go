// Package rules holds Vigil's own Sigma rules for a device-fleet cloud:
// AWS CloudTrail detections (cloudtrail/*.yml) for calls from unknown
// principals and networks, bursts of denied calls, logging tampering, IAM
// and AWS IoT policy changes, and data-access anomalies on S3, AWS IoT and
// SageMaker. docs/cloud-rules.md describes each rule and its placeholders.
//
// It owns only the rule files and their embedding; it must hold no Go
// logic. internal/sigma parses, compiles and evaluates them.
package rules

import "embed"

// FS holds the CloudTrail rules, one rule (a detection, or a correlation
// with its base rule) per file under cloudtrail/.
//
//go:embed cloudtrail/*.yml
var FS embed.FS
