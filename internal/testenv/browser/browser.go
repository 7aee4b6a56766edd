// Package browser starts headless Chromium (the Debian package) for the
// console's browser tests, driven by chromedp. It is apart from testenv
// so that only those tests build chromedp.
package browser

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ftpsbridge/ftpsbridge/internal/testenv"
)

// New returns a chromedp context on a fresh headless Chromium that lives
// as long as ctx. A missing chromium fails the test under
// FTPSBRIDGE_REQUIRE_CLIENTS=1 or CI=true, else skips it.
func New(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	chromium := testenv.Tool(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 720),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("ignore-certificate-errors", true),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	return bctx
}

// Screenshot saves a full-page PNG as name in $FTPSBRIDGE_ARTEFACTS
// (else a temporary directory) and returns its path.
func Screenshot(t *testing.T, bctx context.Context, name string) string {
	t.Helper()
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)) // 100: PNG; less gives JPEG
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("FTPSBRIDGE_ARTEFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
	return path
}
