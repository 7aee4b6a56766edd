package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// runFlows runs every end-to-end flow against one cloud.
func runFlows(t *testing.T, c *cloud) {
	b := startBridge(t, c)
	t.Run("CurlUploadLftpDownload", func(t *testing.T) { testUploadDownload(t, b, c) })
	t.Run("List2500", func(t *testing.T) { testList2500(t, b, c) })
	t.Run("DisconnectLeavesNothing", func(t *testing.T) { testDisconnect(t, b, c) })
	t.Run("Isolation", func(t *testing.T) { testIsolation(t, b, c) })
	t.Run("RenameDirectoryRefused", func(t *testing.T) { testRenameDirRefused(t, b, c) })
	t.Run("PreservedTimes", func(t *testing.T) { testPreservedTimes(t, b, c) })
	t.Run("RcloneSync", func(t *testing.T) { testRcloneSync(t, b, c) })
}

// testRenameDirRefused: with directory renames off (the default), RNTO of
// a directory gets 550 and a clear reason, and nothing moves.
func testRenameDirRefused(t *testing.T, b *bridge, c *cloud) {
	curl := testenv.Tool(t, "curl")
	c.put(t, "alice/tree/a.txt", []byte("a"))
	c.put(t, "alice/tree/sub/b.txt", []byte("bb"))
	out, err := run(t, nil, curl, append(b.curlArgs("alice"), "-v", "-Q", "-RNFR tree", "-Q", "-RNTO moved", "ftp://"+b.explicit+"/")...)
	if err == nil || !strings.Contains(out, "550 Not supported by this storage (directory renames are off here") {
		t.Fatalf("RNTO of a directory: %v, want 550 naming the reason\n%s", err, out)
	}
	if d, err := c.read(t, "alice/tree/sub/b.txt"); err != nil || string(d) != "bb" {
		t.Errorf("tree/sub/b.txt after a refused rename: %q, %v", d, err)
	}
	if _, err := c.read(t, "alice/moved/a.txt"); err == nil {
		t.Error("moved/a.txt exists after a refused rename")
	}
}

// testRenameDirEnabled: with rename_directories on, lftp's mv moves a
// tree (files, a nested directory, an empty one) and the old name is gone.
func testRenameDirEnabled(t *testing.T, b *bridge, c *cloud) {
	c.put(t, "alice/tree2/a.txt", []byte("a"))
	c.put(t, "alice/tree2/sub/b.txt", []byte("bb"))
	b.lftp(t, "alice", "mkdir tree2/empty; mv tree2 moved2")
	for key, want := range map[string]string{"alice/moved2/a.txt": "a", "alice/moved2/sub/b.txt": "bb"} {
		if d, err := c.read(t, key); err != nil || string(d) != want {
			t.Errorf("%s after the rename: %q, %v; want %q", key, d, err, want)
		}
	}
	for _, key := range []string{"alice/tree2/a.txt", "alice/tree2/sub/b.txt", "alice/tree2/empty/"} {
		if _, err := c.read(t, key); err == nil {
			t.Errorf("%s still exists after the rename", key)
		}
	}
	out := b.lftp(t, "alice", "cls -1 moved2/")
	if got := strings.Fields(out); strings.Join(got, " ") != "moved2/a.txt moved2/empty/ moved2/sub/" {
		t.Errorf("listing of moved2/: %q", out)
	}
}

// testUploadDownload uploads with curl (explicit and implicit FTPS),
// checks the object through the SDK, downloads with lftp and resumes a
// cut download with curl's REST.
func testUploadDownload(t *testing.T, b *bridge, c *cloud) {
	curl := testenv.Tool(t, "curl")
	dir := t.TempDir()
	// Three and a bit parts of 5 MiB: a real multipart upload.
	data := randomData(15<<20+12345, 1)
	src := filepath.Join(dir, "src.bin")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"ftp://" + b.explicit, "ftps://" + b.implicit} {
		remote := url + "/up/file%20one.bin"
		if out, err := run(t, nil, curl, append(b.curlArgs("alice"), "--ftp-create-dirs", "-T", src, remote)...); err != nil {
			t.Fatalf("curl upload to %s: %v\n%s", url, err, out)
		}
		stored, err := c.read(t, "alice/up/file one.bin")
		if err != nil || sum(stored) != sum(data) {
			t.Fatalf("object in the bucket after upload to %s: %d bytes, %v; want %d bytes, same SHA-256", url, len(stored), err, len(data))
		}
	}
	if n := c.pending(t); n > 0 {
		t.Errorf("%d unfinished uploads after successful uploads", n)
	}

	got := filepath.Join(dir, "lftp.bin")
	b.lftp(t, "alice", "get up/file\\ one.bin -o "+got)
	if d, _ := os.ReadFile(got); sum(d) != sum(data) {
		t.Fatalf("lftp download: %d bytes, want %d with the same SHA-256", len(d), len(data))
	}

	cut := filepath.Join(dir, "resumed.bin")
	if err := os.WriteFile(cut, data[:7<<20+3], 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, nil, curl, append(b.curlArgs("alice"), "-C", "-", "-o", cut, "ftp://"+b.explicit+"/up/file%20one.bin")...); err != nil {
		t.Fatalf("curl resume: %v\n%s", err, out)
	}
	if d, _ := os.ReadFile(cut); sum(d) != sum(data) {
		t.Fatalf("resumed download: %d bytes, want %d with the same SHA-256", len(d), len(data))
	}

	// An empty file is an object too.
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	if out, err := run(t, nil, curl, append(b.curlArgs("alice"), "-T", empty, "ftp://"+b.explicit+"/up/empty")...); err != nil {
		t.Fatalf("curl upload of an empty file: %v\n%s", err, out)
	}
	if d, err := c.read(t, "alice/up/empty"); err != nil || len(d) != 0 {
		t.Fatalf("empty object: %d bytes, %v", len(d), err)
	}
}

// testList2500 stores 2,500 objects through the SDK and lists them through
// ftpsbridge with curl (NLST) and lftp (MLSD): several store pages.
func testList2500(t *testing.T, b *bridge, c *cloud) {
	const n = 2500
	keys := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keys {
				c.put(t, fmt.Sprintf("alice/many/f%05d.txt", i), []byte("x"))
			}
		}()
	}
	for i := range n {
		keys <- i
	}
	close(keys)
	wg.Wait()
	c.put(t, "alice/many/sub/inner.txt", []byte("y"))

	out, err := run(t, nil, testenv.Tool(t, "curl"), append(b.curlArgs("alice"), "--list-only", "ftp://"+b.explicit+"/many/")...)
	if err != nil {
		t.Fatalf("curl NLST: %v\n%s", err, out)
	}
	names := strings.Fields(out)
	if len(names) != n+1 || names[0] != "f00000.txt" || names[n-1] != fmt.Sprintf("f%05d.txt", n-1) || names[n] != "sub" {
		t.Fatalf("NLST listed %d names (first %q), want %d files and sub", len(names), first(names), n)
	}
	out = b.lftp(t, "alice", "cls -1 --sort=name many/")
	if got := len(strings.Fields(out)); got != n+1 {
		t.Fatalf("lftp cls listed %d names, want %d", got, n+1)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// testDisconnect kills curl at 0%, 50% and 99% of a 16 MiB upload (a
// multi-part one): no object, no unfinished multipart upload, a log line
// saying the upload was aborted, and the server goes on serving.
func testDisconnect(t *testing.T, b *bridge, c *cloud) {
	curl := testenv.Tool(t, "curl")
	const total = 16 << 20
	for _, pct := range []int{0, 50, 99} {
		at := total * pct / 100
		t.Run(fmt.Sprintf("at-%d%%", pct), func(t *testing.T) {
			key := fmt.Sprintf("cut-%d.bin", pct)
			aborted := strings.Count(b.Logs(), "upload aborted; nothing stored")
			cmd := exec.Command(curl, append(b.curlArgs("alice"), "-T", "-", "ftp://"+b.explicit+"/"+key)...)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if _, err := stdin.Write(randomData(at+1, 3)); err != nil {
				t.Fatalf("feeding curl: %v\n%s", err, out.String())
			}
			// Let the bytes reach the server (parts start uploading).
			time.Sleep(time.Second)
			cmd.Process.Kill()
			cmd.Wait()
			deadline := time.Now().Add(20 * time.Second)
			for {
				_, rerr := c.read(t, "alice/"+key)
				pending := c.pending(t)
				if rerr != nil && pending <= 0 && strings.Count(b.Logs(), "upload aborted; nothing stored") > aborted {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after the client was killed: object readable: %v, %d unfinished uploads, abort logged: %v",
						rerr == nil, pending, strings.Count(b.Logs(), "upload aborted; nothing stored") > aborted)
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
	// The server still serves.
	if out, err := run(t, nil, curl, append(b.curlArgs("alice"), "--list-only", "ftp://"+b.explicit+"/")...); err != nil {
		t.Fatalf("listing after the disconnects: %v\n%s", err, out)
	}
}

// testIsolation: bob, on the same bucket under another prefix, can neither
// see nor read nor overwrite nor delete alice's objects.
func testIsolation(t *testing.T, b *bridge, c *cloud) {
	curl := testenv.Tool(t, "curl")
	c.put(t, "alice/secret.txt", []byte("alice's"))
	c.put(t, "bob/own.txt", []byte("bob's"))
	out, err := run(t, nil, curl, append(b.curlArgs("bob"), "--list-only", "ftp://"+b.explicit+"/")...)
	if err != nil || strings.Contains(out, "secret") || !strings.Contains(out, "own.txt") {
		t.Fatalf("bob's listing: %v\n%s", err, out)
	}
	for _, p := range []string{"/../alice/secret.txt", "/%2E%2E/alice/secret.txt", "/alice/secret.txt", "/..%2Falice%2Fsecret.txt"} {
		if out, err := run(t, nil, curl, append(b.curlArgs("bob"), "ftp://"+b.explicit+p)...); err == nil && strings.Contains(out, "alice's") {
			t.Errorf("bob read alice's object through %q", p)
		}
	}
	dir := t.TempDir()
	evil := filepath.Join(dir, "evil")
	os.WriteFile(evil, []byte("bob was here"), 0o600)
	run(t, nil, curl, append(b.curlArgs("bob"), "-T", evil, "ftp://"+b.explicit+"/../alice/secret.txt")...)
	run(t, nil, curl, append(b.curlArgs("bob"), "-Q", "-DELE ../alice/secret.txt", "ftp://"+b.explicit+"/")...)
	run(t, nil, curl, append(b.curlArgs("bob"), "-Q", "-RNFR own.txt", "-Q", "-RNTO ../alice/secret.txt", "ftp://"+b.explicit+"/")...)
	if d, err := c.read(t, "alice/secret.txt"); err != nil || string(d) != "alice's" {
		t.Fatalf("alice's object after bob's attempts: %q, %v", d, err)
	}
}

// testPreservedTimes: lftp's mirror -R sets each file's time after
// uploading it (MFMT); its listing (MLSD) then shows those times, and a
// second mirror finds nothing to send. On S3 this is the listing's HEAD
// per file (listing_mod_times); a listing showing the upload time would
// make every mirror send every file again.
func testPreservedTimes(t *testing.T, b *bridge, c *cloud) {
	src := t.TempDir()
	times := map[string]time.Time{
		"a.csv": time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC),
		"b.csv": time.Date(2011, 12, 13, 14, 15, 16, 0, time.UTC),
		"c.csv": time.Date(2021, 6, 7, 8, 9, 10, 0, time.UTC),
	}
	for name, mt := range times {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte("rows of "+name), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	out := b.lftp(t, "alice", "mirror -R -v --no-perms "+src+" kept")
	if n := strings.Count(out, "Transferring file"); n != len(times) {
		t.Fatalf("first mirror sent %d files, want %d:\n%s", n, len(times), out)
	}
	listing := b.lftp(t, "alice", "cls -l --time-style=+%Y%m%d%H%M%S kept/")
	for name, mt := range times {
		want := mt.Format("20060102150405")
		found := false
		for _, line := range strings.Split(listing, "\n") {
			if strings.HasSuffix(strings.TrimSpace(line), name) {
				found = strings.Contains(line, want)
			}
		}
		if !found {
			t.Errorf("%s not listed with its time %s:\n%s", name, want, listing)
		}
	}
	out = b.lftp(t, "alice", "mirror -R -v --no-perms "+src+" kept")
	if strings.Contains(out, "Transferring file") {
		t.Errorf("second mirror sent files again (the listing's times differ from those set):\n%s", out)
	}
}

// testRcloneSync: rclone copies a tree keeping each file's time (MFMT),
// logs no error, and a second copy finds every file up to date (its
// size and the time MLSD lists match): nothing is sent again.
func testRcloneSync(t *testing.T, b *bridge, c *cloud) {
	rclone := testenv.Tool(t, "rclone")
	src := t.TempDir()
	mt := time.Date(2015, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, name := range []string{"x.txt", "sub/y.txt"} {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+name), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	host, port, _ := strings.Cut(b.explicit, ":")
	obscured, err := exec.Command(rclone, "obscure", password).Output()
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"RCLONE_CONFIG=" + filepath.Join(t.TempDir(), "none.conf"),
		"RCLONE_CONFIG_FB_TYPE=ftp", "RCLONE_CONFIG_FB_HOST=" + host, "RCLONE_CONFIG_FB_PORT=" + port,
		"RCLONE_CONFIG_FB_USER=alice", "RCLONE_CONFIG_FB_PASS=" + strings.TrimSpace(string(obscured)),
		"RCLONE_CONFIG_FB_EXPLICIT_TLS=true",
		// rclone's FTP backend verifies against the system roots (its
		// --ca-cert is for HTTP backends): Go reads those from here.
		"SSL_CERT_FILE=" + b.certFile,
	}
	copyOnce := func() string {
		out, err := run(t, env, rclone, "copy", "-v", src, "fb:synced")
		if err != nil || strings.Contains(out, "ERROR") {
			t.Fatalf("rclone copy: %v\n%s", err, out)
		}
		return out
	}
	if out := copyOnce(); strings.Count(out, "Copied (new)") != 2 {
		t.Fatalf("first copy did not copy both files:\n%s", out)
	}
	out, err := run(t, env, rclone, "lsl", "fb:synced")
	if err != nil || strings.Count(out, "2015-05-06 07:08:09") != 2 {
		t.Errorf("rclone lsl does not show the times kept: %v\n%s", err, out)
	}
	if out := copyOnce(); strings.Contains(out, "Copied") {
		t.Errorf("second copy sent files again:\n%s", out)
	}
	if d, err := c.read(t, "alice/synced/sub/y.txt"); err != nil || string(d) != "content of sub/y.txt" {
		t.Errorf("sub/y.txt in the store: %q, %v", d, err)
	}
}
