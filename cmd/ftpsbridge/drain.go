package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
)

// drain is the first step of a shutdown: /readyz turns 503 at once, and
// the listeners keep accepting for drain_delay, so that a load balancer
// probing /readyz stops sending new sessions here before the port closes
// (a connection refused mid-rotation is a failed login for a client). A
// second signal ends the wait early.
func drain(s ftps.ServerConfig, sig os.Signal, web *endpoints, stop <-chan os.Signal, log *slog.Logger) {
	web.draining.Store(true)
	log.Info("draining", "signal", sig.String(), "drain_delay", s.DrainDelay, "shutdown_timeout", s.ShutdownTimeout)
	if s.DrainDelay > 0 {
		t := time.NewTimer(s.DrainDelay)
		defer t.Stop()
		select {
		case <-t.C:
		case again := <-stop:
			log.Info("second signal; ending the drain delay", "signal", again.String())
		}
	}
	log.Info("shutting down", "deadline", s.ShutdownTimeout)
}
