package zeek

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/vigil-iomt/vigil/internal/ingest/source"
)

const broCut = "/usr/bin/bro-cut"

// runBroCut runs Debian's bro-cut, or returns ok=false when it is not
// installed.
func runBroCut(t *testing.T, input []byte, fields []string) (out []byte, failed, ok bool) {
	t.Helper()
	if _, err := os.Stat(broCut); err != nil {
		return nil, false, false
	}
	cmd := exec.Command(broCut, fields...)
	cmd.Stdin = bytes.NewReader(input)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("bro-cut: %v", err)
	}
	return stdout.Bytes(), err != nil, true
}

// TestCut checks corner cases against bro-cut's output, recorded from
// bro-aux 0.42 (and compared live when /usr/bin/bro-cut exists).
func TestCut(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		fields  []string
		want    string
		wantErr bool
	}{
		{"before fields, short and long lines, blank, second block, no final newline", "a\tb\tc\n#separator \\x09\n#fields\tx\ty\tz\n#types\tstring\tstring\tstring\n1\t2\t3\n4\t5\n\n6\t7\t8\t9\n#fields\ty\tq\n#types\ts\ts\n10\t11\n12\t13", []string{"y", "x", "nope"}, "\n2\t1\t\n5\t4\t\n7\t6\t\n10\t\t\n12\t\t\n", false},
		{"before fields, short and long lines, blank, second block, no final newline", "a\tb\tc\n#separator \\x09\n#fields\tx\ty\tz\n#types\tstring\tstring\tstring\n1\t2\t3\n4\t5\n\n6\t7\t8\t9\n#fields\ty\tq\n#types\ts\ts\n10\t11\n12\t13", []string{"z"}, "\n3\n8\n\n\n", false},
		{"before fields, short and long lines, blank, second block, no final newline", "a\tb\tc\n#separator \\x09\n#fields\tx\ty\tz\n#types\tstring\tstring\tstring\n1\t2\t3\n4\t5\n\n6\t7\t8\t9\n#fields\ty\tq\n#types\ts\ts\n10\t11\n12\t13", []string{}, "\n1\t2\t3\n6\t7\t8\n10\t11\n12\t1\n", false},
		{"before fields, short and long lines, blank, second block, no final newline", "a\tb\tc\n#separator \\x09\n#fields\tx\ty\tz\n#types\tstring\tstring\tstring\n1\t2\t3\n4\t5\n\n6\t7\t8\t9\n#fields\ty\tq\n#types\ts\ts\n10\t11\n12\t13", []string{"q", "q"}, "\n\t\n\t\n\t\n\t\n11\t11\n1\t1\n", false},
		{"NUL cuts a line", "#fields\ta\tb\n#types\ts\ts\n1\t2\x003\n\x00x\ty\n4\t5\n", []string{"b", "a"}, "2\t1\n5\t4\n", false},
		{"NUL cuts a line", "#fields\ta\tb\n#types\ts\ts\n1\t2\x003\n\x00x\ty\n4\t5\n", []string{"a"}, "1\n\n4\n", false},
		{"fields without types", "#fields\ta\tb\n1\t2\n#types\ts\ts\n", []string{"a"}, "", true},
		{"types without fields", "#fields\ta\n#types\ts\n1\n#types\ts\n2\n", []string{"a"}, "1\n", true},
		{"comma separator", "#separator \\x2c\n#set_separator,|\n#fields,a,b,c\n#types,s,s,s\n1,2,3\n4,5\n", []string{"c", "a"}, "3,1\n", false},
		{"comma separator", "#separator \\x2c\n#set_separator,|\n#fields,a,b,c\n#types,s,s,s\n1,2,3\n4,5\n", []string{"b"}, "2\n5\n", false},
		{"CRLF", "#separator \\x09\r\n#fields\ta\tb\r\n#types\ts\ts\r\n1\t2\r\n", []string{"b"}, "\n", false},
		{"CRLF", "#separator \\x09\r\n#fields\ta\tb\r\n#types\ts\ts\r\n1\t2\r\n", []string{"a"}, "1\n", false},
		{"CRLF", "#separator \\x09\r\n#fields\ta\tb\r\n#types\ts\ts\r\n1\t2\r\n", []string{"a", "b"}, "1\t\n", false},
		{"empty fields line", "#fields\n#types\n1\t2\n", []string{"a"}, "\n", false},
		{"empty fields line", "#fields\n#types\n1\t2\n", []string{}, "1\n", false},
		{"separator forms", "#separator  \\x09\n#fields\ta\tb\n#types\ts\ts\n1\t2\n#separator \\x2C\n#fields,a,b\n#types,s,s\n3,4\n#separator \\x0x2c\n#fields,a,b\n#types,s,s\n5,6\n", []string{"b", "a"}, " \n4,3\n6,5\n", false},
		{"header-like data", "#fields\ta\tb\n#types\ts\ts\n#1\t2\n 1\t2\n", []string{"b"}, "2\n", false},
		{"empty input", "", []string{"a"}, "", false},
		{"only a newline", "\n", []string{"a"}, "\n", false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %q", tc.name, tc.fields), func(t *testing.T) {
			var got bytes.Buffer
			err := Cut(&got, strings.NewReader(tc.input), tc.fields)
			if got.String() != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("got %q, %v; want %q, error %v", got.String(), err, tc.want, tc.wantErr)
			}
			// The same through a reader that returns one byte at a time.
			var slow bytes.Buffer
			Cut(&slow, iotest.OneByteReader(strings.NewReader(tc.input)), tc.fields)
			if slow.String() != got.String() {
				t.Errorf("one byte at a time: %q", slow.String())
			}
			if live, failed, ok := runBroCut(t, []byte(tc.input), tc.fields); ok && (string(live) != got.String() || failed != (err != nil)) {
				t.Errorf("bro-cut now says %q (failed %v)", live, failed)
			}
		})
	}
}

// TestCutBroCut compares Cut with bro-cut on whole logs: the fixtures, a
// generated conn.log, and the real TSV logs when VIGIL_DATASETS is set.
func TestCutBroCut(t *testing.T) {
	if _, err := os.Stat(broCut); err != nil {
		t.Skip("bro-cut not installed (Debian package bro-aux)")
	}
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	fixtures, _ := filepath.Glob("testdata/*.log")
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{f, b})
	}
	inputs = append(inputs, input{"generated conn.log", genConnLog(t, 20000, TSV)})
	if dir := os.Getenv("VIGIL_DATASETS"); dir != "" {
		for _, rel := range realZeekFiles(t, dir) {
			f, err := source.Open(filepath.Join(dir, rel))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if bytes.HasPrefix(b, []byte("#")) {
				inputs = append(inputs, input{rel, b})
			}
		}
	}
	fieldSets := [][]string{
		{"ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"},
		{"uid", "ts", "no_such_field", "label"},
		{"query", "answers", "TTLs"},
		{"host", "software_type", "unparsed_version"},
		{"certificate.subject", "san.dns"},
		{},
	}
	compared := 0
	for _, in := range inputs {
		for _, fields := range fieldSets {
			want, failed, _ := runBroCut(t, in.data, fields)
			var got bytes.Buffer
			err := Cut(&got, bytes.NewReader(in.data), fields)
			if (err != nil) != failed {
				t.Errorf("%s %q: error %v, bro-cut failed %v", in.name, fields, err, failed)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s %q: output differs from bro-cut at byte %d (%d vs %d bytes)", in.name, fields,
					firstDiff(got.Bytes(), want), got.Len(), len(want))
			}
			compared++
		}
	}
	t.Logf("%d inputs × field lists compared with bro-cut", compared)
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestCutWriteError(t *testing.T) {
	data := genConnLog(t, 2000, TSV)
	if err := Cut(failWriter{}, bytes.NewReader(data), []string{"ts"}); err == nil {
		t.Error("no error from a failing writer")
	}
	boom := errors.New("boom")
	if err := Cut(io.Discard, &failingReader{data: data[:1000], err: boom}, []string{"ts"}); !errors.Is(err, boom) {
		t.Errorf("read error: got %v", err)
	}
}

func TestStrtolHex(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"09", 9}, {"2c", ','}, {"2C", ','}, {"0x2c", ','}, {" 09", 9}, {"-1", 0xff}, {"+9", 9},
		{"", 0}, {"zz", 0}, {"0x", 0}, {"109", 9}, {"fffffffffffffffffffff", 0xff}, {"-fffffffffffffffffffff", 0},
	}
	for _, tc := range tests {
		if got := strtolHex([]byte(tc.in)); got != tc.want {
			t.Errorf("strtolHex(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}
