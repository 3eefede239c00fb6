package config

import (
	"fmt"
	"strings"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/sandbox/egsim"
	"github.com/streamops/streamops/internal/sandbox/enossim"
)

// Accounts is a provider's section: one account written as a mapping, as
// before accounts had names, or a list of named accounts. The first is the
// default account of the provider's kinds of target.
type Accounts[T any] struct {
	All    []T
	listed bool // written as a list: keys are like eg[1], names required
}

// UnmarshalYAML takes a mapping as one account and a list as several. It
// decodes with the file's decoder, so unknown keys are refused and type
// errors name their line as anywhere else.
func (a *Accounts[T]) UnmarshalYAML(unmarshal func(any) error) error {
	var shape any
	_ = unmarshal(&shape) // only its shape: the decode below reports what is wrong
	if _, listed := shape.([]any); listed {
		a.listed = true
		return unmarshal(&a.All)
	}
	var one T
	err := unmarshal(&one)
	a.All = []T{one}
	return err
}

// Configured reports whether the provider has an account.
func (a Accounts[T]) Configured() bool { return len(a.All) > 0 }

// key is where account i is written: eg for the one account of a mapping,
// eg[1] in a list.
func (a Accounts[T]) key(provider string, i int) string {
	if a.listed {
		return fmt.Sprintf("%s[%d]", provider, i)
	}
	return provider
}

// account is what an EnOS and an EventGrid account have alike, once Parse
// has prepared them.
type account struct {
	// Name is what targets (account: shanghai), `account/ID` and the
	// cards call the account: "default" unless the section sets name:.
	Name string `yaml:"name"`
	// key is where the account is written (eg, eg[1]); sandboxKey where its
	// simulator's seed is (sandbox.eg, eg[1].sandbox); env starts the names
	// of the variables its secrets come from (EG, EG_SHANGHAI).
	key, sandboxKey, env string
}

// SandboxKey is where the account's simulator is seeded in the file, like
// sandbox.eg or eg[1].sandbox: its listen address is SandboxKey()+".listen".
func (a account) SandboxKey() string { return a.sandboxKey }

// EnOSAccount is one EnOS organisation: the enos section, or an entry of
// its list.
type EnOSAccount struct {
	account     `yaml:",inline"`
	enos.Config `yaml:",inline"`
	// Sandbox seeds the account's simulator (endpoint: sandbox) and says
	// where `bot simulate` serves it. The one account of a mapping may use
	// the top-level sandbox.enos instead; after Parse it is never nil.
	Sandbox *enossim.Config `yaml:"sandbox"`
}

// EGAccount is one EventGrid account (a region and project): the eg
// section, or an entry of its list.
type EGAccount struct {
	account   `yaml:",inline"`
	eg.Config `yaml:",inline"`
	// Sandbox is as EnOSAccount's, with sandbox.eg at the top level.
	Sandbox *egsim.Config `yaml:"sandbox"`
}

// envName is the start of the variables an account's secrets come from:
// the provider's own (EG, ENOS) for the default account, else with the
// name upper-cased and '-' turned into '_' (EG_SHANGHAI, ENOS_EU_1). A
// named account never reads the default account's variables.
func envName(provider, name string) string {
	if name == ops.DefaultAccount {
		return provider
	}
	return provider + "_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// prepareAccounts names the one account of a mapping "default" and fills
// in where each account is written, its simulator's seed and its
// variables' prefix. top is the top-level sandbox.<provider> section (nil
// when left out), which only the one account of a mapping may use; parts
// gives an account's common part and its seed.
func prepareAccounts[T, S any](a Accounts[T], provider, envPrefix string, top *S, parts func(*T) (*account, **S)) []error {
	var errs []error
	topKey := "sandbox." + provider
	if a.listed && top != nil {
		errs = append(errs, fmt.Errorf("%s: with a list of %s accounts, each account seeds its own simulator: move this section under the account it is for, as %s[0].sandbox", topKey, provider, provider))
	}
	for i := range a.All {
		acc, seed := parts(&a.All[i])
		acc.key, acc.sandboxKey = a.key(provider, i), a.key(provider, i)+".sandbox"
		if !a.listed && acc.Name == "" {
			acc.Name = ops.DefaultAccount
		}
		acc.env = envName(envPrefix, acc.Name)
		switch {
		case a.listed:
		case *seed != nil && top != nil:
			errs = append(errs, fmt.Errorf("%s: the simulator is seeded both here and at %s: keep one", acc.sandboxKey, topKey))
		case *seed == nil:
			acc.sandboxKey, *seed = topKey, top
		}
		if *seed == nil {
			*seed = new(S)
		}
	}
	return errs
}

// prepareAccounts prepares both providers' accounts.
func (c *Config) prepareAccounts() []error {
	errs := prepareAccounts(c.EnOS, "enos", enos.EnvPrefix, c.Sandbox.EnOS, func(a *EnOSAccount) (*account, **enossim.Config) { return &a.account, &a.Sandbox })
	return append(errs, prepareAccounts(c.EG, "eg", eg.EnvPrefix, c.Sandbox.EG, func(a *EGAccount) (*account, **egsim.Config) { return &a.account, &a.Sandbox })...)
}

// applyAccountsEnv reads each account's secrets from its own variables.
func (c *Config) applyAccountsEnv(getenv func(string) string) {
	for i := range c.EnOS.All {
		a := &c.EnOS.All[i]
		a.ApplyEnvAs(a.env, getenv)
	}
	for i := range c.EG.All {
		a := &c.EG.All[i]
		a.ApplyEnvAs(a.env, getenv)
	}
}

// validateAccounts checks each account, its simulator's seed when it runs
// one, and that names are given in lists and name one account each, of
// either provider; each provider may have its own default account.
func (c *Config) validateAccounts(bad func(string, ...any), add func(error)) {
	if !c.EnOS.Configured() && !c.EG.Configured() {
		bad("enos, eg: no provider is configured: set at least one (endpoint: sandbox runs a simulator)")
	}
	named := map[string]string{} // account name -> the key of the account
	check := func(provider string, listed bool, n int, acc func(int) account) {
		if listed && n == 0 {
			bad("%s: the list has no accounts: list one or more, or leave %s out", provider, provider)
		}
		for i := range n {
			a := acc(i)
			switch {
			case a.Name == "":
				bad("%s.name: required in a list of accounts: a name such as shanghai, which targets use (account: shanghai) and the account's secrets are read by (%s_SHANGHAI_...)", a.key, strings.ToUpper(provider))
				continue
			case !ops.ValidAccount(a.Name):
				bad("%s.name: %q is not an account name: lower-case letters, digits and '-', starting with a letter (at most 32)", a.key, a.Name)
				continue
			}
			id := a.Name
			if id == ops.DefaultAccount {
				id = provider + "/" + id
			}
			if other, dup := named[id]; dup {
				bad("%s.name: %q already names the account at %s: give each account its own name", a.key, a.Name, other)
			}
			named[id] = a.key
		}
	}
	check("enos", c.EnOS.listed, len(c.EnOS.All), func(i int) account { return c.EnOS.All[i].account })
	check("eg", c.EG.listed, len(c.EG.All), func(i int) account { return c.EG.All[i].account })
	for _, a := range c.EnOS.All {
		add(a.ValidateAs(a.key, a.env))
		if a.Endpoint == SandboxEndpoint {
			add(a.Sandbox.ValidateAs(a.sandboxKey))
		}
	}
	for _, a := range c.EG.All {
		add(a.ValidateAs(a.key, a.env))
		if a.Endpoint == SandboxEndpoint {
			add(a.Sandbox.ValidateAs(a.sandboxKey))
		}
	}
}
