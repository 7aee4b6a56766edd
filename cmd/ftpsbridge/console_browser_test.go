package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv/browser"
)

// TestConsoleBrowser drives the console of the real binary in headless
// Chromium: an admin logs in, sees an upload that curl sends slowly
// (--limit-rate) on the dashboard, adds a partner through the form, and
// that partner then logs in over explicit FTPS with curl, uploads and
// lists. Screenshots go to $FTPSBRIDGE_ARTEFACTS (else a temp dir).
func TestConsoleBrowser(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	c := startConsole(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bctx := browser.New(t, ctx)
	caFile := filepath.Join(c.dir, "state", "tls", "cert.pem")
	ftpCurl := func(args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, curl, append([]string{"-sS", "--ssl-reqd", "--cacert", caFile}, args...)...)
	}

	// A 48 MiB upload at 2 MB/s: in progress for the whole dashboard step.
	// ALLO tells the server its size, so the dashboard can show progress.
	const size = 48 << 20
	big := filepath.Join(c.dir, "report.bin")
	if err := os.WriteFile(big, bytes.Repeat([]byte("r"), size), 0o600); err != nil {
		t.Fatal(err)
	}
	up := ftpCurl("--limit-rate", "2M", "-Q", fmt.Sprintf("ALLO %d", size), "-u", "acme:pw", "-T", big, "ftp://"+c.ftpAddr+"/report.bin")
	var upOut bytes.Buffer
	up.Stdout, up.Stderr = &upOut, &upOut
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { up.Process.Kill(); up.Wait() }()

	if err := chromedp.Do(bctx,
		chromedp.Navigate(c.url+"/login"),
		chromedp.SendKeys("#name", "ops"),
		chromedp.SendKeys("#password", "pw"),
		chromedp.Submit("#login"),
	); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(bctx, 45*time.Second)
	err := chromedp.Do(wctx, chromedp.WaitVisible("progress.transfer")) // drawn by the script only
	wcancel()
	if err != nil {
		html, _ := chromedp.Run(bctx, chromedp.OuterHTML("html"))
		t.Fatalf("no live upload on the dashboard: %v\n%s\ncurl: %s", err, html, upOut.String())
	}
	live, err := chromedp.Run(bctx, chromedp.Text("#sessions tbody"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(live, "acme") || !strings.Contains(live, "STOR /report.bin") || !strings.Contains(live, "%") {
		t.Fatalf("dashboard shows %q", live)
	}
	browser.Screenshot(t, bctx, "console-dashboard-upload.png")
	up.Process.Kill()

	t.Run("add a partner through the form", func(t *testing.T) {
		fill(t, bctx, c.url+"/users", map[string]string{
			"#f-name": "initech", "#f-password": "initech-pw", "#f-mount-0-path": "/",
			"#f-mount-0-backend": "disk", "#f-mount-0-prefix": "initech/", "#f-mount-0-permissions": "list, upload",
		})
		notice, err := chromedp.Run(bctx, chromedp.Text("p.notice"))
		if err != nil || !strings.Contains(notice, "added initech") {
			html, _ := chromedp.Run(bctx, chromedp.OuterHTML("html"))
			t.Fatalf("no notice of the add (%v): %q\n%s", err, notice, html)
		}
		users, _ := chromedp.Run(bctx, chromedp.Text("#users"))
		if !strings.Contains(users, "initech") {
			t.Fatalf("users page: %q", users)
		}
		browser.Screenshot(t, bctx, "console-users.png")

		// The partner, at once: explicit FTPS with curl, upload, list.
		small := filepath.Join(c.dir, "invoice.csv")
		os.WriteFile(small, []byte("id,amount\n1,10\n"), 0o600)
		if out, err := ftpCurl("-u", "initech:initech-pw", "-T", small, "ftp://"+c.ftpAddr+"/").CombinedOutput(); err != nil {
			t.Fatalf("the new partner's upload: %v %s\n%s", err, out, c.logs.String())
		}
		out, err := ftpCurl("-u", "initech:initech-pw", "--list-only", "ftp://"+c.ftpAddr+"/").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "invoice.csv") {
			t.Fatalf("the new partner's listing: %v %s", err, out)
		}
		if got, err := os.ReadFile(filepath.Join(c.dir, "files", "initech", "invoice.csv")); err != nil || string(got) != "id,amount\n1,10\n" {
			t.Fatalf("stored: %q %v", got, err)
		}
	})

	t.Run("change and disable through the page", func(t *testing.T) {
		if err := chromedp.Do(bctx,
			chromedp.Navigate(c.url+"/users/initech/edit"),
			chromedp.WaitVisible("#partner"),
			chromedp.SetValue("#f-mount-0-permissions", "list, upload, download"),
			chromedp.Click("#save"),
			chromedp.WaitVisible("p.notice"),
		); err != nil {
			t.Fatal(err)
		}
		text := c.loads(t)
		if !strings.Contains(text, "# partners") || !strings.Contains(text, "download") {
			t.Fatalf("users_file after the change:\n%s", text)
		}
		out, err := ftpCurl("-u", "initech:initech-pw", "-o", "-", "ftp://"+c.ftpAddr+"/invoice.csv").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "1,10") {
			t.Fatalf("download after the form granted it: %v %s", err, out)
		}
		// The row's Disable button.
		if err := chromedp.Do(bctx,
			chromedp.Click(`form[action="/users/initech/disable"] button`),
			chromedp.WaitVisible("p.notice"),
		); err != nil {
			t.Fatal(err)
		}
		if out, err := ftpCurl("-u", "initech:initech-pw", "--list-only", "ftp://"+c.ftpAddr+"/").CombinedOutput(); err == nil || !strings.Contains(string(out), "530") {
			t.Fatalf("a disabled partner listed: %v %s", err, out)
		}
	})

	t.Run("an invalid form shows check-config's messages", func(t *testing.T) {
		before := c.loads(t)
		fill(t, bctx, c.url+"/users", map[string]string{
			"#f-name": "bad", "#f-password": "bad-pw", "#f-mount-0-path": "/",
			"#f-mount-0-backend": "nowhere", "#f-mount-0-prefix": "../up", "#f-mount-0-permissions": "list",
		})
		problems, err := chromedp.Run(bctx, chromedp.Text("#problems"))
		if err != nil {
			html, _ := chromedp.Run(bctx, chromedp.OuterHTML("html"))
			t.Fatalf("no problems shown: %v\n%s", err, html)
		}
		for _, want := range []string{c.usersPath + ":", `users.2.backend: unknown backend "nowhere"`, "users.2.prefix: must be a relative"} {
			if !strings.Contains(problems, want) {
				t.Errorf("the page does not say %q:\n%s", want, problems)
			}
		}
		beside, _ := chromedp.Run(bctx, chromedp.Text("#mounts tbody tr"))
		if !strings.Contains(beside, "unknown backend") {
			t.Errorf("no message beside the backend field: %q", beside)
		}
		browser.Screenshot(t, bctx, "console-partner-form-error.png")
		if c.loads(t) != before {
			t.Fatal("an invalid form changed the users_file")
		}
	})
}

// fill opens the users page, follows "Add a partner", sets the form's
// fields and saves.
func fill(t *testing.T, bctx context.Context, usersURL string, fields map[string]string) {
	t.Helper()
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(usersURL),
		chromedp.Click("#add-partner"),
		chromedp.WaitVisible("#partner"),
	}
	for sel, v := range fields {
		steps = append(steps, chromedp.SetValue(sel, v))
	}
	steps = append(steps, chromedp.Click("#save"), chromedp.WaitVisible("footer, p.notice, #problems, p.error"))
	if err := chromedp.Do(bctx, steps...); err != nil {
		t.Fatal(err)
	}
}
