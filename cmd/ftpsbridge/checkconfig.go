package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func checkConfigCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "check-config",
		Short: "Validate a configuration file and exit (non-zero, with file:line, when invalid)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			users := fmt.Sprintf("%d users", len(cfg.Users))
			if cfg.UsersFile != "" {
				users += " including " + cfg.UsersFile
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d listeners, %d backends, %s)\n",
				cfg.File(), len(cfg.FTPS.Listeners), len(cfg.Backends), users)
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", "", "configuration file (default: the embedded config.yaml)")
	return cmd
}
