package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/vigil-iomt/vigil/internal/config"
)

// globals are the flags every command shares.
type globals struct {
	configPath string
	db         string
	logLevel   string
}

func newRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "vigil",
		Short:         "Security monitoring for fleets of connected medical devices",
		Long:          "Vigil discovers every device on a hospital network from passive telemetry, keeps an inventory of what each one is and runs, and serves it over a REST API.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.configPath, "config", "vigil.yaml", "configuration file (YAML); optional unless given explicitly")
	root.PersistentFlags().StringVar(&g.db, "db", "", "database: sqlite:PATH or a postgres:// URL (env VIGIL_DB; default "+config.DefaultDB+")")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "", "debug, info, warn or error (env VIGIL_LOG_LEVEL)")
	root.AddCommand(
		newIngestCommand(g),
		newInventoryCommand(g),
		newAlertsCommand(g),
		newPolicyCommand(g),
		newSBOMCommand(g),
		newVulnCommand(g),
		newSigmaCommand(g),
		newPatchCommand(g),
		newFeedsCommand(g),
		newServeCommand(g),
		newSimulateCommand(),
		newDemoCommand(g),
		newZeekCommand(),
	)
	return root
}

// load builds the configuration: defaults < file < environment < flags.
func (g *globals) load(cmd *cobra.Command) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(g.configPath, cmd.Flags().Changed("config"))
	if err != nil {
		return cfg, nil, err
	}
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return cfg, nil, err
	}
	if g.db != "" {
		cfg.DB = g.db
	}
	if g.logLevel != "" {
		cfg.LogLevel = g.logLevel
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, fmt.Errorf("configuration: %w", err)
	}
	return cfg, newLogger(cfg.LogLevel, false), nil
}

// newLogger returns a text logger for the CLI or a JSON one for servers,
// on stderr.
func newLogger(level string, jsonFormat bool) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if jsonFormat {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func contextOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
