package admin

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
	"github.com/ftpsbridge/ftpsbridge/internal/testenv/browser"
)

// TestBrowserDashboard drives the console in headless Chromium: it logs
// in through the form and sees, refreshed by the page's script without
// a reload, a download that curl runs slowly (--limit-rate; the file is larger than what
// loopback socket buffers absorb at once), with its
// progress bar. Screenshots go to $FTPSBRIDGE_ARTEFACTS (else a temp
// directory).
func TestBrowserDashboard(t *testing.T) {
	curl := testenv.Tool(t, "curl")
	w := newWorld(t)
	put := w.dial(t)
	if err := put.Stor("report.bin", bytes.NewReader(bytes.Repeat([]byte("r"), 48<<20))); err != nil {
		t.Fatal(err)
	}
	put.Quit()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dl := exec.CommandContext(ctx, curl, "-sS", "--ssl-reqd", "-k", "--limit-rate", "2M",
		"-u", "acme:partner-pw", "-o", os.DevNull, "ftp://"+w.ftpAddr+"/report.bin")
	var curlOut bytes.Buffer
	dl.Stdout, dl.Stderr = &curlOut, &curlOut
	if err := dl.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { dl.Process.Kill(); dl.Wait() }()

	bctx := browser.New(t, ctx)

	err := chromedp.Do(bctx,
		chromedp.Navigate(w.api.URL+"/login"),
		chromedp.SendKeys("#name", "ops"),
		chromedp.SendKeys("#password", "ops-pw"),
		chromedp.Submit("#login"),
	)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(bctx, 45*time.Second)
	// Only the script's redraw gives the bar this class.
	err = chromedp.Do(wctx, chromedp.WaitVisible("progress.transfer"))
	wcancel()
	if err != nil {
		html, _ := chromedp.Run(bctx, chromedp.OuterHTML("html"))
		t.Fatalf("no live progress bar: %v; page:\n%s\nsessions: %+v\ncurl: %s", err, html, w.srv.ActiveSessions(), curlOut.String())
	}
	progress, err := chromedp.Run(bctx, chromedp.Text("#sessions tbody"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress, "acme") || !strings.Contains(progress, "RETR /report.bin") || !strings.Contains(progress, "%") {
		t.Fatalf("dashboard shows %q", progress)
	}
	browser.Screenshot(t, bctx, "console-dashboard.png")
}
