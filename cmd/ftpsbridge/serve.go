package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ftpsbridge/ftpsbridge/backends"
	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/mapping"
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
			return serve(path, log)
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "", "configuration file (default: the embedded config.yaml)")
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format: text or json")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}

// serve runs until SIGTERM or SIGINT, then shuts down gracefully: running
// transfers get server.shutdown_timeout to finish, then are aborted
// without committing anything half-written. SIGHUP reloads the users.
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
	srv, err := ftps.New(cfg.FTPS, users, log)
	if err != nil {
		return err
	}
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
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
		case <-hup:
			reload(path, users, stores, log)
		case sig := <-stop:
			log.Info("shutting down", "signal", sig.String(), "deadline", cfg.FTPS.Server.ShutdownTimeout)
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

// reload re-reads the users from the configuration. New logins see the
// new mapping; backends are not reopened (a changed backend section needs
// a restart, and the log says so).
func reload(path string, users *mapping.Users, stores map[string]backends.Backend, log *slog.Logger) {
	cfg, err := loadConfig(path)
	if err != nil {
		log.Error("reload failed; keeping the current users", "err", err)
		return
	}
	if err := users.Replace(cfg.Users, stores); err != nil {
		log.Error("reload failed; keeping the current users", "err", err)
		return
	}
	log.Info("users reloaded", "users", len(cfg.Users))
}
