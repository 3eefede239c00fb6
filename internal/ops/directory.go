package ops

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Targets maps each kind of target (pipeline, stream, job) to its aliases
// and what each stands for: a provider ID, or "account/ID" for a target in
// an account other than its kind's default, as a person could type it.
type Targets map[string]map[string]string

var (
	aliasPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)
	// An ID is what providers hand out: letters, digits, '-', '_' and '.'.
	// A word typed as a target is only taken for one if it also has a digit.
	idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	// An account name is what the config calls a provider account.
	accountPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
)

// ValidAlias reports whether s may be used as an alias or a group name in
// the config.
func ValidAlias(s string) bool { return aliasPattern.MatchString(s) }

// ValidID reports whether s has the shape of a provider ID.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidAccount reports whether s may name a provider account.
func ValidAccount(s string) bool { return accountPattern.MatchString(s) }

// GroupPrefix marks a word as a target group's name: `pipeline pause @orders`.
const GroupPrefix = "@"

// Directory is every name the config gives targets: aliases, groups of
// targets, and the provider accounts each kind of target may live in.
type Directory struct {
	Aliases Targets
	// Groups are named lists of targets, each member "kind:word" with the
	// word as a person would type it ("pipeline:orders-etl").
	Groups map[string][]string
	// Accounts are, by kind, the names of the accounts of its provider,
	// the default first. A kind with none has DefaultAccount only.
	Accounts map[string][]string
}

// DefaultAccountOf is the account a target of kind is in when nothing names one.
func (d Directory) DefaultAccountOf(kind string) string {
	if a := d.Accounts[kind]; len(a) > 0 {
		return a[0]
	}
	return DefaultAccount
}

// Resolve turns what a person typed into a target of kind: an alias, a
// provider ID, or either after "account/" for a target of an account
// other than the kind's default.
func (d Directory) Resolve(kind, word string) (Target, error) {
	account, rest, named := strings.Cut(word, "/")
	if !named {
		account, rest = d.DefaultAccountOf(kind), word
		if to, ok := d.Aliases[kind][word]; ok { // an alias names its account
			return d.target(kind, word, to), nil
		}
	} else if err := d.checkAccount(kind, account); err != nil {
		bad := fmt.Sprintf("%q is not a valid %s ID or alias: IDs are letters, digits, '-', '_' and '.'", word, kind)
		if d.named(kind) && ValidAccount(account) {
			// Where there are accounts to name, the person likely meant one.
			bad += "; before a '/' comes an account, and " + err.Error()
		}
		return Target{}, &InputError{Msg: bad}
	}
	if alias, to, ok := d.alias(kind, account, rest); ok {
		return d.target(kind, alias, to), nil
	}
	if idPattern.MatchString(rest) && strings.ContainsAny(rest, "0123456789") {
		return Target{Kind: kind, ID: rest, Account: accountField(account)}, nil
	}
	if !idPattern.MatchString(rest) {
		return Target{}, inputErrorf("%q is not a valid %s ID or alias: IDs are letters, digits, '-', '_' and '.'", word, kind)
	}
	known := sortedKeys(d.Aliases[kind])
	if len(known) == 0 {
		return Target{}, inputErrorf("%q is not a %s alias (none are configured) nor a %s ID", word, kind, kind)
	}
	return Target{}, inputErrorf("unknown %s alias %q. Known: %s; or give the %s ID", kind, word, strings.Join(known, ", "), kind)
}

// alias finds word among kind's aliases, in account: by name, or the alias
// that stands for the ID word. It returns the alias and what it stands for.
func (d Directory) alias(kind, account, word string) (alias, to string, ok bool) {
	aliases := d.Aliases[kind]
	if to, ok := aliases[word]; ok && d.accountOf(kind, to) == account {
		return word, to, true
	}
	for _, alias := range sortedKeys(aliases) {
		to := aliases[alias]
		if d.accountOf(kind, to) == account && idOf(to) == word {
			return alias, to, true
		}
	}
	return "", "", false
}

// target is the target alias stands for.
func (d Directory) target(kind, alias, to string) Target {
	return Target{Kind: kind, Alias: alias, ID: idOf(to), Account: accountField(d.accountOf(kind, to))}
}

// accountOf is the account an alias's value names, or kind's default.
func (d Directory) accountOf(kind, to string) string {
	if account, _, ok := strings.Cut(to, "/"); ok {
		return account
	}
	return d.DefaultAccountOf(kind)
}

func idOf(to string) string {
	if _, id, ok := strings.Cut(to, "/"); ok {
		return id
	}
	return to
}

// accountField is how a target stores account: the default account is
// left out, so that targets stored before accounts existed are its.
func accountField(account string) string {
	if account == DefaultAccount {
		return ""
	}
	return account
}

// named reports whether kind has an account other than the default one.
func (d Directory) named(kind string) bool {
	return slices.ContainsFunc(d.Accounts[kind], func(a string) bool { return a != DefaultAccount })
}

func (d Directory) checkAccount(kind, account string) error {
	accounts := d.Accounts[kind]
	if len(accounts) == 0 {
		accounts = []string{DefaultAccount}
	}
	if slices.Contains(accounts, account) {
		return nil
	}
	return inputErrorf("there is no account %q for %ss: the accounts are %s", account, kind, strings.Join(accounts, ", "))
}

// Group is the targets of the group named, of every kind, in the order
// the config lists them.
func (d Directory) Group(name string) ([]Target, error) {
	members, ok := d.Groups[name]
	if !ok {
		known := sortedKeys(d.Groups)
		if len(known) == 0 {
			return nil, inputErrorf("there is no target group %s%s: none are configured (targets.groups)", GroupPrefix, name)
		}
		return nil, inputErrorf("there is no target group %s%s. Groups: %s%s", GroupPrefix, name, GroupPrefix, strings.Join(known, ", "+GroupPrefix))
	}
	targets := make([]Target, 0, len(members))
	for _, m := range members {
		t, err := d.member(m)
		if err != nil {
			return nil, fmt.Errorf("target group %s%s: %w", GroupPrefix, name, err)
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// member resolves one "kind:word" member of a group.
func (d Directory) member(m string) (Target, error) {
	kind, word, ok := strings.Cut(m, ":")
	if !ok || word == "" {
		return Target{}, inputErrorf("member %q is not kind:name, like pipeline:orders-etl", m)
	}
	if _, known := kinds[kind]; !known {
		return Target{}, inputErrorf("member %q: %q is not a kind of target (pipeline, stream or job)", m, kind)
	}
	if account, _, named := strings.Cut(word, "/"); named {
		if err := d.checkAccount(kind, account); err != nil {
			return Target{}, err // the config's author meant an account
		}
	}
	return d.Resolve(kind, word)
}

// kinds are the kinds of target a group may hold.
var kinds = map[string]struct{}{"pipeline": {}, "stream": {}, "job": {}}

// Validate reports every alias, group and account that cannot work.
func (d Directory) Validate() error {
	var errs []error
	for kind, accounts := range d.Accounts {
		for _, a := range accounts {
			if !ValidAccount(a) {
				errs = append(errs, fmt.Errorf("account %q of %ss: an account name is lower-case letters, digits and '-', starting with a letter (at most 32)", a, kind))
			}
		}
	}
	for _, name := range sortedKeys(d.Groups) {
		if !ValidAlias(name) {
			errs = append(errs, fmt.Errorf("targets.groups.%s: a group name starts with a letter and has only letters, digits, '.', '_' and '-' (at most 64)", name))
			continue
		}
		if len(d.Groups[name]) == 0 {
			errs = append(errs, fmt.Errorf("targets.groups.%s: the group is empty: list its members, like pipeline:orders-etl", name))
		}
		seen := map[TargetKey]string{}
		for _, m := range d.Groups[name] {
			t, err := d.member(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("targets.groups.%s: %w", name, err))
				continue
			}
			if first, dup := seen[t.Key()]; dup {
				errs = append(errs, fmt.Errorf("targets.groups.%s: %q and %q are the same %s", name, first, m, t.Key()))
			}
			seen[t.Key()] = m
		}
	}
	for kind, aliases := range d.Aliases {
		for _, alias := range sortedKeys(aliases) {
			if account, _, named := strings.Cut(aliases[alias], "/"); named {
				if err := d.checkAccount(kind, account); err != nil {
					errs = append(errs, fmt.Errorf("targets.%ss.%s: %w", kind, alias, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}
