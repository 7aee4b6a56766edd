package ftps_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// run runs an external client with a deadline and returns its output.
func run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func TestCurl(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	ts := startServer(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := randomBytes(8<<20+5, 11)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	tlsArgs := []string{"-sS", "--fail", "--cacert", ts.certFile, "--ssl-reqd", "--user", "alice:alice-pw"}
	cases := []struct {
		name  string
		url   string
		extra []string
	}{
		{"explicit-epsv", "ftp://" + ts.explicit, nil},
		{"explicit-pasv", "ftp://" + ts.explicit, []string{"--disable-epsv"}},
		{"implicit", "ftps://" + ts.implicit, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{}, tlsArgs...), tc.extra...)
			remote := tc.url + "/curl/" + tc.name + "/file%20one.bin"
			if out, err := run(t, nil, curl, append(args, "--ftp-create-dirs", "-T", src, remote)...); err != nil {
				t.Fatalf("upload: %v\n%s", err, out)
			}
			stored, err := ts.readObject(t, "alice/curl/"+tc.name+"/file one.bin")
			if err != nil || !bytes.Equal(stored, data) {
				t.Fatalf("stored object differs (%d bytes, %v)", len(stored), err)
			}
			dst := filepath.Join(dir, tc.name+".out")
			if out, err := run(t, nil, curl, append(args, "-o", dst, remote)...); err != nil {
				t.Fatalf("download: %v\n%s", err, out)
			}
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
				t.Fatalf("download differs: %d bytes", len(got))
			}
			// Resume a cut download with REST.
			if err := os.WriteFile(dst, data[:1<<20], 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := run(t, nil, curl, append(args, "-C", "-", "-o", dst, remote)...); err != nil {
				t.Fatalf("resumed download: %v\n%s", err, out)
			}
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
				t.Fatalf("resumed download differs: %d bytes", len(got))
			}
			out, err := run(t, nil, curl, append(args, tc.url+"/curl/"+tc.name+"/")...)
			if err != nil || !strings.Contains(out, "file one.bin") || !strings.HasPrefix(out, "-rw-r--r--") {
				t.Fatalf("listing: %v\n%s", err, out)
			}
		})
	}
	t.Run("plaintext-refused", func(t *testing.T) {
		out, err := run(t, nil, curl, "-sS", "--fail", "--user", "alice:alice-pw", "ftp://"+ts.explicit+"/")
		if err == nil {
			t.Fatalf("plaintext login succeeded:\n%s", out)
		}
	})
	t.Run("wrong-password", func(t *testing.T) {
		args := append(append([]string{}, tlsArgs...), "--user", "alice:nope", "ftp://"+ts.explicit+"/")
		if out, err := run(t, nil, curl, args...); err == nil {
			t.Fatalf("wrong password accepted:\n%s", out)
		}
	})
}

// lftpScript runs one lftp command line against the server as alice, with
// TLS forced on control and data and the generated certificate trusted.
func lftpScript(t *testing.T, ts *testServer, url, script string) string {
	return lftpRun(t, ts, url, "", script)
}

func lftpRun(t *testing.T, ts *testServer, url, extra, script string) string {
	t.Helper()
	lftp := testenv.Tool(t, "lftp")
	home := t.TempDir()
	settings := "set cmd:fail-exit true; set net:max-retries 1; set net:timeout 20; " +
		"set ftp:ssl-force true; set ftp:ssl-protect-data true; set ftp:ssl-protect-list true; " +
		"set ssl:ca-file " + ts.certFile + "; set ssl:check-hostname true; " + extra
	out, err := run(t, []string{"HOME=" + home}, lftp, "-u", "alice,alice-pw", "-e", settings+script+"; bye", url)
	if err != nil {
		t.Fatalf("lftp %q: %v\n%s", script, err, out)
	}
	return out
}

func TestLftpMirror(t *testing.T) {
	// curl 7.88 cannot do active-mode FTPS (it fails reading the accepted
	// socket's address), so lftp covers PORT/EPRT.
	for _, mode := range []struct{ name, scheme, settings string }{
		{"explicit", "ftp", ""},
		{"implicit", "ftps", ""},
		{"explicit-active", "ftp", "set ftp:passive-mode false; "},
	} {
		t.Run(mode.name, func(t *testing.T) {
			ts := startServer(t)
			addr := ts.explicit
			if mode.scheme == "ftps" {
				addr = ts.implicit
			}
			url := mode.scheme + "://" + addr
			src := t.TempDir()
			want := map[string][]byte{
				"a.txt":              []byte("alpha\n"),
				"empty":              nil,
				"sub/b.bin":          randomBytes(3<<20+1, 5),
				"sub/deeper/c d.csv": []byte("x,y\n1,2\n"),
				"ünï/ß.txt":          []byte("utf-8\n"),
			}
			for name, data := range want {
				p := filepath.Join(src, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			lftpRun(t, ts, url, mode.settings, "mirror -R "+src+" /tree")
			for name, data := range want {
				got, err := ts.readObject(t, "alice/tree/"+name)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%s: stored %d bytes, %v", name, len(got), err)
				}
			}
			back := t.TempDir()
			lftpRun(t, ts, url, mode.settings, "mirror /tree "+back)
			if got, wantList := listTree(t, back), listTree(t, src); got != wantList {
				t.Fatalf("mirror back differs:\n%s\nwant\n%s", got, wantList)
			}
			for name, data := range want {
				got, err := os.ReadFile(filepath.Join(back, name))
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%s: mirrored back %d bytes, %v", name, len(got), err)
				}
			}
			lftpScript(t, ts, url, "rm /tree/a.txt; mkdir /tree/new; rmdir /tree/new; mv /tree/empty /tree/renamed")
			out := lftpScript(t, ts, url, "cls -1 /tree")
			if got := strings.Fields(out); strings.Join(got, " ") != "/tree/renamed /tree/sub/ /tree/ünï/" {
				t.Fatalf("after rm, mkdir, rmdir, mv: %q", got)
			}
		})
	}
}

// listTree describes a local tree as sorted "path size" lines.
func listTree(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if info.IsDir() {
			lines = append(lines, rel+"/")
		} else {
			lines = append(lines, fmt.Sprintf("%s %d", rel, info.Size()))
		}
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
