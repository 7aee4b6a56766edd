package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/config"
	"github.com/ftpsbridge/ftpsbridge/mapping"
	"github.com/ftpsbridge/ftpsbridge/mapping/identity"
)

func serveCmd() *cobra.Command {
	var path, logFormat, logLevel string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the FTPS server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(cmd.ErrOrStderr(), logFormat, logLevel)
			if err != nil {
				return err
			}
			// The storage drivers log through slog's default (aborted
			// uploads, SDK warnings): the same handler, format and level.
			slog.SetDefault(log)
			return serve(path, log)
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "", "configuration file (default: the embedded config.yaml)")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format: text or json")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}

// serve runs until SIGTERM or SIGINT, then drains: /readyz answers 503 at
// once, the listeners accept for server.drain_delay more, then close;
// running transfers get server.shutdown_timeout to finish, then are
// aborted without committing anything half-written. SIGHUP reloads the
// users and the certificate, key and client CA files.
func serve(path string, log *slog.Logger) error {
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	stores, err := cfg.OpenBackends()
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range stores {
			s.Close()
		}
	}()
	users, err := mapping.New(cfg.Users, stores)
	if err != nil {
		return err
	}
	users.SetLoginCache(cfg.LoginCache)
	if cfg.Identity.Type != "" {
		idp, err := identity.New(cfg.Identity)
		if err != nil {
			return err
		}
		users.SetIdentityProvider(idp, cfg.Identity.Mode, cfg.Identity.CacheTTL, cfg.Identity.CacheMaxEntries)
		log.Info("identity provider", "url", cfg.Identity.URL, "mode", cfg.Identity.Mode)
	}
	srv, err := ftps.New(cfg.FTPS, users, log)
	if err != nil {
		return err
	}
	disp, err := startEvents(cfg, srv, log)
	if err != nil {
		return err
	}
	defer stopEvents(disp, log)
	var collectors []prometheus.Collector
	if disp != nil {
		collectors = disp.Collectors()
	}
	web, err := startEndpoints(cfg, srv, log, collectors...)
	if err != nil {
		return err
	}
	defer web.stop()
	consoleReloads := make(chan chan error)
	current := startAdmin(path, cfg, srv, users, consoleReloads, log)
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	usersChanged := make(chan struct{}, 1)
	if cfg.UsersFile != "" {
		// The file named at start; a reload that names another one
		// takes effect, but the watch stays on the first.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := watchUsersFile(ctx, cfg.UsersFile, usersChanged, log); err != nil {
			return fmt.Errorf("users_file: watching: %w", err)
		}
	}
	// consoleSum is the users_file's hash as the console's last edit left
	// it and a reload applied it: the watch's event for that write is
	// not reloaded twice.
	var consoleSum []byte
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	log.Info("ftpsbridge started", "version", version, "config", cfg.File())
	for {
		select {
		case err := <-served:
			if errors.Is(err, ftps.ErrServerClosed) {
				return nil
			}
			return err
		case <-usersChanged:
			if consoleSum != nil && bytes.Equal(fileSum(cfg.UsersFile), consoleSum) {
				// The watch saw the console's own write, already applied.
				continue
			}
			consoleSum = nil
			log.Info("users_file changed; reloading", "users_file", cfg.UsersFile)
			if next, err := reload(path, cfg, users, srv, stores, log); err == nil {
				cfg = next
				current.Store(next)
			}
		case <-hup:
			consoleSum = nil
			if next, err := reload(path, cfg, users, srv, stores, log); err == nil {
				cfg = next
				current.Store(next)
			}
		case done := <-consoleReloads:
			log.Info("users_file edited in the console; reloading", "users_file", cfg.UsersFile)
			// What the reload loads, if the file holds still around it.
			before := fileSum(cfg.UsersFile)
			next, err := reload(path, cfg, users, srv, stores, log)
			consoleSum = nil
			if err == nil {
				cfg = next
				current.Store(next)
				if after := fileSum(cfg.UsersFile); bytes.Equal(before, after) {
					consoleSum = after
				}
			}
			done <- err
		case sig := <-stop:
			drain(cfg.FTPS.Server, sig, web, stop, log)
			ctx, cancel := context.WithTimeout(context.Background(), cfg.FTPS.Server.ShutdownTimeout)
			err := srv.Shutdown(ctx)
			cancel()
			if err != nil {
				log.Warn("shutdown deadline passed; running transfers were aborted")
			}
			log.Info("stopped")
			return nil
		}
	}
}

// reload re-reads the configuration file and its users_file, and swaps
// in the new users and their mappings. New logins see them at once; open
// sessions keep their mounts, and those whose login no longer stands
// (user removed, disabled, expired, credentials changed) end at their
// next command. It also re-reads the certificate, key and client CA
// files, so a renewed certificate needs no restart. Other settings are
// not reapplied: backends are not reopened and listeners not rebound,
// and the log says when such a change waits for a restart. It returns
// the new configuration, or the error when the reload failed and the
// current users stay.
func reload(path string, current *config.Config, users *mapping.Users, srv *ftps.Server, stores map[string]backends.Backend, log *slog.Logger) (*config.Config, error) {
	cfg, err := loadConfig(path)
	if err != nil {
		log.Error("reload failed; keeping the current users", "err", err)
		return nil, err
	}
	if err := users.Replace(cfg.Users, stores); err != nil {
		log.Error("reload failed; keeping the current users", "err", err)
		return nil, err
	}
	log.Info("users reloaded", "users", len(cfg.Users), "users_file", cfg.UsersFile)
	t := cfg.FTPS.TLS
	if err := srv.ReloadTLS(t.CertFile, t.KeyFile, t.ClientCAFile); err != nil {
		// The users are already in force; the certificates stay as
		// they were, and the next SIGHUP tries again.
		log.Error("tls reload failed; keeping the current certificates", "err", err)
	} else {
		log.Info("tls reloaded", "cert_file", t.CertFile, "client_ca_file", t.ClientCAFile)
	}
	if err := srv.ResolvePublicHosts(); err != nil {
		log.Error("public_host lookup failed; PASV keeps the addresses it had", "err", err)
	}
	if changed := restartOnly(current, cfg); len(changed) > 0 {
		log.Warn("configuration changes that need a restart were not applied", "sections", changed)
	}
	return cfg, nil
}

// restartOnly lists the sections, other than users, that differ.
func restartOnly(old, next *config.Config) []string {
	var changed []string
	sections := []struct {
		name     string
		old, new any
	}{
		{"server", old.FTPS.Server, next.FTPS.Server},
		{"listeners", old.FTPS.Listeners, next.FTPS.Listeners},
		{"tls", tlsRestartOnly(old.FTPS.TLS), tlsRestartOnly(next.FTPS.TLS)},
		{"passive", old.FTPS.Passive, next.FTPS.Passive},
		{"active", old.FTPS.Active, next.FTPS.Active},
		{"metrics", old.Metrics, next.Metrics},
		{"events", old.Events, next.Events},
		{"health", old.Health, next.Health},
		{"admin", old.Admin, next.Admin},
		{"backends", old.Backends, next.Backends},
		{"login_cache", old.LoginCache, next.LoginCache},
		{"identity", old.Identity, next.Identity},
	}
	for _, s := range sections {
		if !reflect.DeepEqual(s.old, s.new) {
			changed = append(changed, s.name)
		}
	}
	return changed
}

// tlsRestartOnly is the part of the tls section a reload does not apply:
// all but the files, which ReloadTLS re-reads.
func tlsRestartOnly(t ftps.TLSConfig) ftps.TLSConfig {
	t.CertFile, t.KeyFile, t.ClientCAFile = "", "", ""
	return t
}
