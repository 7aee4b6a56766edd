package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/admin"
	"github.com/ftpsbridge/ftpsbridge/internal/config"
	"github.com/ftpsbridge/ftpsbridge/internal/usersfile"
	"github.com/ftpsbridge/ftpsbridge/mapping"
)

// startAdmin starts the operator console when admin.address is set. It
// returns the configuration holder the console reads users from; serve
// stores each reloaded configuration in it. The console's edits of the
// users_file are put in force by sending on reloads: serve's loop runs
// the same reload as for SIGHUP and answers with its outcome.
func startAdmin(path string, cfg *config.Config, srv *ftps.Server, users *mapping.Users, reloads chan<- chan error, log *slog.Logger) *atomic.Pointer[config.Config] {
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
	var backendNames []string
	for _, b := range cfg.Backends {
		backendNames = append(backendNames, b.Name)
	}
	editor, readOnly := usersEditor(path, cfg, reloads)
	console := admin.New(ac, admin.Deps{
		FTP: srv, Version: version, Listeners: listeners, Log: log,
		Users: func() []admin.UserView {
			c := current.Load()
			return admin.Views(c.Users, c.InlineUsers())
		},
		Probe: func(ctx context.Context, name string) ([]admin.ProbeResult, error) {
			return probe(ctx, current.Load(), users, name)
		},
		UsersFile: editor, UsersReadOnly: readOnly, Backends: backendNames,
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

// applyTimeout bounds the wait for serve's loop to apply an edit (it is
// busy only while draining for shutdown).
const applyTimeout = time.Minute

// usersEditor is the console's editor of the users_file named at start,
// checked by the loader exactly as check-config and a reload read it;
// or nil and the reason users cannot be edited.
func usersEditor(path string, cfg *config.Config, reloads chan<- chan error) (*usersfile.Editor, string) {
	switch {
	case cfg.Identity.Type != "" && cfg.Identity.Mode == mapping.IdentityProviderOnly:
		return nil, "identity.mode is provider_only: every login is answered by the identity provider, so users are managed there"
	case cfg.UsersFile == "":
		return nil, "users are defined in the configuration file's users: section; the console edits only a users_file (set users_file and move the users there)"
	case path == "":
		return nil, "the server runs on the embedded default configuration, which has no users_file"
	}
	file := cfg.UsersFile
	return &usersfile.Editor{
		Path:   file,
		Decode: func(data []byte) ([]mapping.UserConfig, error) { return config.ParseUsersFile(file, data) },
		Validate: func(candidate []byte) error {
			next, err := config.LoadWithUsersFile(path, candidate)
			if err == nil && next.UsersFile != file {
				// The candidate would be judged as another file's content.
				return fmt.Errorf("%s now names users_file %s; the console edits %s until a restart", path, next.UsersFile, file)
			}
			return err
		},
		Apply: func() error {
			done := make(chan error, 1)
			timeout := time.After(applyTimeout)
			select {
			case reloads <- done:
			case <-timeout:
				return errors.New("the server did not take the reload (shutting down?)")
			}
			select {
			case err := <-done:
				return err
			case <-timeout:
				return errors.New("the reload did not finish in time")
			}
		},
	}, ""
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
	for _, v := range admin.Views(cfg.Users, 0) {
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
