package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/ftpsbridge/ftpsbridge/ftps"
	"github.com/ftpsbridge/ftpsbridge/internal/config"
	"github.com/ftpsbridge/ftpsbridge/internal/events"
)

// eventsFlushTimeout bounds how long a stopping server keeps sending
// queued events; what is left is spooled for the next start.
const eventsFlushTimeout = 10 * time.Second

// startEvents starts the webhook dispatcher when the events section has
// targets; nil otherwise.
func startEvents(cfg *config.Config, srv *ftps.Server, log *slog.Logger) (*events.Dispatcher, error) {
	if len(cfg.Events) == 0 {
		return nil, nil
	}
	d, err := events.New(cfg.Events, events.Options{DataDir: cfg.FTPS.Server.DataDir, Log: log})
	if err != nil {
		return nil, err
	}
	srv.SetEventSink(d)
	names := make([]string, len(cfg.Events))
	for i, t := range cfg.Events {
		names[i] = t.Name
	}
	log.Info("sending events", "targets", names)
	return d, nil
}

// stopEvents flushes the queues for up to eventsFlushTimeout, then spools.
func stopEvents(d *events.Dispatcher, log *slog.Logger) {
	if d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), eventsFlushTimeout)
	defer cancel()
	d.Close(ctx)
	log.Info("events flushed")
}
