// Package operations lists every provider's operations, whichever the
// config enables: the policy and the alert rules name operations of
// providers that may not be configured, and are checked before any is.
package operations

import (
	"github.com/streamops/streamops/internal/operations/eventgrid"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
)

// All are the specs of every provider, without a client: for their names,
// help and risk, never to be carried out.
func All() []ops.Spec {
	return append(pipelines.Specs(), eventgrid.Specs()...)
}

// Names are the names of the built-in commands and of every provider's
// operations, for a policy to be checked with.
func Names() []string { return ops.CommandNames(All()) }

// Kinds are the kinds of target each of those operations takes, for a
// policy to check its rules' targets with.
func Kinds() map[string]string { return ops.CommandKinds(All()) }
