package main

import "github.com/spf13/cobra"

// newBouncesProcessCmd is wired once the mailbox processor lands.
func newBouncesProcessCmd(a *app) *cobra.Command { return nil }
