// Package e2e holds ContactDesk's browser tests. They drive a real headless
// Chromium through Playwright (github.com/playwright-community/playwright-go).
//
// Nothing is downloaded at test time: scripts/setup-e2e.sh installs Debian's
// Chromium, runs `npm ci` here (pinned playwright-core and axe-core) and
// builds the driver directory e2e/.driver/ (package -> node_modules/playwright-core,
// node -> the system node). Run it once, then:
//
//	bash scripts/setup-e2e.sh
//	go test ./e2e/ -count=1
//
// Without that setup the tests skip, except under CI=true where they fail.
// A failing test leaves a full-page screenshot and a Playwright trace in
// e2e/artifacts/<TestName>/ (E2E_TRACE_SCREENSHOTS=1 adds a filmstrip to the
// trace).
//
// Each test starts its own app in-process (startApp): a fresh sandbox (the
// fake ServiceTitan, with fault injection) and the real client and router,
// on 127.0.0.1 at free ports. The states every sweep visits are listed in
// states_test.go. UPDATE_SCREENSHOTS=1 makes TestScreenshots rewrite
// docs/screenshots/*.png.
package e2e

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/playwright-community/playwright-go"
)

// Defaults, each overridable by an environment variable of the same purpose.
const (
	defaultChromiumPath = "/usr/bin/chromium" // E2E_CHROMIUM
	driverDirName       = ".driver"           // E2E_DRIVER_DIR
	artifactsDirName    = "artifacts"
	axeScriptRelPath    = "node_modules/axe-core/axe.min.js"
	setupHint           = "run `bash scripts/setup-e2e.sh` from the repository root"
)

// chromiumArgs keeps Debian's Chromium quiet and able to run as root in a
// container: no sandbox, no GPU, no background traffic.
var chromiumArgs = []string{
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--no-first-run",
}

// harnessPaths are the files the harness needs, resolved against the e2e
// package directory (the working directory of `go test`).
type harnessPaths struct {
	dir       string // the e2e package directory
	driverDir string // Playwright driver directory (package/ + node)
	chromium  string // Chromium executable
	axeScript string // axe-core's axe.min.js
	artifacts string // where failing tests leave screenshots and traces
}

func resolveHarnessPaths() (harnessPaths, error) {
	dir, err := os.Getwd()
	if err != nil {
		return harnessPaths{}, fmt.Errorf("e2e: working directory: %w", err)
	}
	p := harnessPaths{
		dir:       dir,
		driverDir: filepath.Join(dir, driverDirName),
		chromium:  defaultChromiumPath,
		axeScript: filepath.Join(dir, axeScriptRelPath),
		artifacts: filepath.Join(dir, artifactsDirName),
	}
	if v := os.Getenv("E2E_DRIVER_DIR"); v != "" {
		p.driverDir = v
	}
	if v := os.Getenv("E2E_CHROMIUM"); v != "" {
		p.chromium = v
	}
	return p, nil
}

// missing lists what the setup script should have put in place but has not.
// It checks files only and starts nothing.
func (p harnessPaths) missing() []string {
	var out []string
	check := func(path, what string, wantExec bool) {
		fi, err := os.Stat(path) // follows the driver directory's symlinks
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("%s (%s): %v", what, path, err))
		case wantExec && (fi.IsDir() || fi.Mode().Perm()&0o111 == 0):
			out = append(out, fmt.Sprintf("%s (%s): not an executable file", what, path))
		}
	}
	check(filepath.Join(p.driverDir, "package", "cli.js"), "Playwright driver", false)
	check(filepath.Join(p.driverDir, "node"), "node for the Playwright driver", true)
	check(p.chromium, "Chromium", true)
	check(p.axeScript, "axe-core", false)
	return out
}

// startBrowser starts the Playwright driver from the local driver directory
// (never downloading anything) and launches one headless Chromium.
func startBrowser(p harnessPaths) (*playwright.Playwright, playwright.Browser, error) {
	pw, err := playwright.Run(&playwright.RunOptions{
		DriverDirectory:     p.driverDir,
		SkipInstallBrowsers: true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("start Playwright driver in %s: %w", p.driverDir, err)
	}
	browser, err := pw.Chromium.Launch(playwright.BrowserTypeLaunchOptions{
		ExecutablePath: playwright.String(p.chromium),
		Headless:       playwright.Bool(true),
		Args:           chromiumArgs,
	})
	if err != nil {
		_ = pw.Stop()
		return nil, nil, fmt.Errorf("launch %s: %w", p.chromium, err)
	}
	return pw, browser, nil
}
