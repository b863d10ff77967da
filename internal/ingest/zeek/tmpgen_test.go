package zeek

import (
	"os"
	"testing"
)

func TestTmpGen(t *testing.T) {
	os.WriteFile("/tmp/zc/conn100k.log", genConnLog(t, 100000, TSV), 0o644)
	os.WriteFile("/tmp/zc/conn100k.json", genConnLog(t, 100000, JSON), 0o644)
}
