// Package subscribers is Dispatch's domain: subscribers, lists,
// subscriptions, the events of their history, campaigns, deliveries and
// bounces, with their typed statuses and kinds; the rules for addresses,
// list names and secrets; and the signed tokens, VERP addresses, unsubscribe
// URLs and Message-IDs that tie mail back to a delivery.
//
// It imports only the standard library and golang.org/x: it knows no
// database, network or template engine. The SQLite store that keeps these
// types is package sqlite.
//
// Suppression is the rule everything else bends around: a subscriber whose
// status is unsubscribed, bounced, complained or blocklisted, or whose address
// was removed, is never made active again by an admin path (import, add). Only
// the person's own re-subscription (the store's Resubscribe) may do that.
package subscribers
