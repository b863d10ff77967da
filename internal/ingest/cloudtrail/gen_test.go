package cloudtrail

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// generator produces deterministic CloudTrail-shaped events of about
// 1.2 KB, like AWS's management events.
type generator struct {
	rng *rand.Rand
	t   time.Time
	n   int
	buf []byte
}

func newGenerator(seed uint64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, 7)), t: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}
}

var (
	genNames   = []string{"GetObject", "PutObject", "AssumeRole", "DescribeInstances", "ConsoleLogin", "CreateAccessKey", "UpdateThingShadow", "InvokeEndpoint"}
	genSources = []string{"s3.amazonaws.com", "sts.amazonaws.com", "ec2.amazonaws.com", "signin.amazonaws.com", "iam.amazonaws.com", "iot.amazonaws.com", "sagemaker.amazonaws.com"}
	genRegions = []string{"eu-west-1", "us-east-1", "eu-central-1"}
)

// next returns the next event's JSON; valid until the next call.
func (g *generator) next() []byte {
	g.n++
	g.t = g.t.Add(time.Duration(g.rng.IntN(2000)) * time.Millisecond)
	acct := fmt.Sprintf("%012d", 100000000000+g.rng.IntN(5))
	g.buf = fmt.Appendf(g.buf[:0], `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE%05d:device-%d","arn":"arn:aws:sts::%s:assumed-role/fleet/device-%d","accountId":"%s","accessKeyId":"ASIAEXAMPLE%08d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::%s:role/fleet","accountId":"%s","userName":"fleet"},"attributes":{"creationDate":"%s","mfaAuthenticated":"false"}}},"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"%s","sourceIPAddress":"10.%d.%d.%d","userAgent":"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#arm64 api/s3#1.58.2","requestParameters":{"bucketName":"fleet-telemetry","key":"pumps/%d/log \"%d\".json","Host":"fleet-telemetry.s3.amazonaws.com"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"Zm9vYmFyYmF6cXV4","bytesTransferredOut":%d},"requestID":"REQ%016X","eventID":"%08x-0000-4000-8000-%012x","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::fleet-telemetry/pumps/%d"},{"accountId":"%s","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::fleet-telemetry"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"%s","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"fleet-telemetry.s3.amazonaws.com"}}`,
		g.n%100000, g.n%5000, acct, g.n%5000, acct, g.n, acct, acct, g.t.Add(-time.Hour).Format(time.RFC3339), g.t.Format(time.RFC3339Nano),
		genSources[g.rng.IntN(len(genSources))], genNames[g.rng.IntN(len(genNames))], genRegions[g.rng.IntN(len(genRegions))],
		g.rng.IntN(256), g.rng.IntN(256), g.rng.IntN(256), g.n%5000, g.n, g.rng.IntN(1<<20), g.rng.Uint64(), g.n, g.rng.Uint64()&0xffffffffffff, g.n%5000, acct, acct)
	return g.buf
}

// stream is an endless-looking {"Records":[...]} file of n generated
// events, produced on the fly.
type stream struct {
	g    *generator
	n    int
	i    int
	pend []byte
	done bool
}

func newStream(n int) *stream {
	return &stream{g: newGenerator(42), n: n, pend: []byte(`{"Records":[`)}
}

func (s *stream) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if len(s.pend) == 0 {
			switch {
			case s.done:
				if total == 0 {
					return 0, io.EOF
				}
				return total, nil
			case s.i == s.n:
				s.pend, s.done = []byte("]}\n"), true
				continue
			}
			ev := s.g.next()
			if s.i > 0 {
				ev = append([]byte{','}, ev...)
			}
			s.i++
			s.pend = ev
		}
		n := copy(p, s.pend)
		s.pend = s.pend[n:]
		p = p[n:]
		total += n
	}
	return total, nil
}
