package events

import (
	"bytes"
	"os/exec"
	"testing"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// TestReadmeRecipes runs the verification recipes the README gives
// receivers (Python, and shell with openssl) on a real request: they
// accept it, and refuse it with one byte changed.
func TestReadmeRecipes(t *testing.T) {
	r := newReceiver(t, nil)
	d := start(t, t.TempDir(), testTarget(r.URL))
	d.Event(uploadEvent("/recipe.csv"))
	got := r.next(t)
	header := got.header.Get(SignatureHeader)
	tampered := bytes.Replace(got.body, []byte("recipe"), []byte("Recipe"), 1)

	python := testenv.Tool(t, "python3")
	run := func(body []byte) error {
		cmd := exec.Command(python, "testdata/verify.py", testSecret, header)
		cmd.Stdin = bytes.NewReader(body)
		return cmd.Run()
	}
	if err := run(got.body); err != nil {
		t.Errorf("python recipe refused a good request: %v", err)
	}
	if err := run(tampered); err == nil {
		t.Error("python recipe accepted a changed body")
	}

	openssl := testenv.Tool(t, "openssl")
	shell := `t=${SIG#t=}; t=${t%%,*}; v1=${SIG#*v1=}
mac=$( { printf '%s.' "$t"; cat; } | "$OPENSSL" dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')
[ "$mac" = "$v1" ]`
	runShell := func(body []byte) error {
		cmd := exec.Command("sh", "-c", shell)
		cmd.Env = []string{"SIG=" + header, "SECRET=" + testSecret, "OPENSSL=" + openssl}
		cmd.Stdin = bytes.NewReader(body)
		return cmd.Run()
	}
	if err := runShell(got.body); err != nil {
		t.Errorf("shell recipe refused a good request: %v", err)
	}
	if err := runShell(tampered); err == nil {
		t.Error("shell recipe accepted a changed body")
	}
}
