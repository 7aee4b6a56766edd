package main

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/admin"
	"github.com/ftpsbridge/ftpsbridge/internal/config"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// startAdmin starts the operator console when admin.address is set. It
// returns the configuration holder the console reads users from; serve
// stores each reloaded configuration in it.
func startAdmin(cfg *config.Config, srv *ftps.Server, users *mapping.Users, log *slog.Logger) *atomic.Pointer[config.Config] {
	current := &atomic.Pointer[config.Config]{}
	current.Store(cfg)
	ac := cfg.Admin
	if ac.Address == "" {
		return current
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: srv.GetCertificate}
	if ac.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(ac.CertFile, ac.KeyFile)
		if err != nil {
			log.Error("admin console not started: cert_file and key_file", "err", err)
			return current
		}
		tlsCfg.GetCertificate = nil
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	var listeners []string
	for _, l := range cfg.FTPS.Listeners {
		listeners = append(listeners, l.Address+" ("+l.TLS+")")
	}
	console := admin.New(ac, admin.Deps{
		FTP: srv, Version: version, Listeners: listeners, Log: log,
		Users: func() []admin.UserView { return admin.Views(current.Load().Users) },
		Probe: func(ctx context.Context, name string) ([]admin.ProbeResult, error) {
			return probe(ctx, current.Load(), users, name)
		},
	})
	l, err := net.Listen("tcp", ac.Address)
	if err != nil {
		log.Error("admin console not started", "address", ac.Address, "err", err)
		return current
	}
	hs := &http.Server{
		Handler: console, TLSConfig: tlsCfg, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := hs.ServeTLS(l, "", ""); !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin console stopped", "err", err)
		}
	}()
	log.Info("serving operator console", "address", l.Addr().String())
	return current
}

// probe tests each mount of user name and reports the outcome in the
// storage error vocabulary (never the error's text: it names buckets
// and hosts the API has no business repeating).
func probe(ctx context.Context, cfg *config.Config, users *mapping.Users, name string) ([]admin.ProbeResult, error) {
	res, err := users.Probe(ctx, name)
	if err != nil {
		return nil, err
	}
	var views []admin.MountView
	for _, v := range admin.Views(cfg.Users) {
		if v.Name == name {
			views = v.Mounts
		}
	}
	out := make([]admin.ProbeResult, 0, len(res))
	for _, r := range res {
		pr := admin.ProbeResult{Mount: r.Path, List: outcome(r.ListErr), Stat: outcome(r.StatErr), Entries: r.Entries}
		for _, v := range views {
			if v.Path == r.Path {
				pr.Backend, pr.Bucket = v.Backend, v.Bucket
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

// outcome names an error by its storage class: "ok", "file does not
// exist", "permission denied", ... or "storage error".
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if k := backends.Kind(err); k != nil {
		return k.Error()
	}
	return "storage error"
}
