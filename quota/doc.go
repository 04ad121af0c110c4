// Package quota enforces each project's limits (picasso.Limits, from
// Keystone's unified limits or configured defaults) where no single
// database transaction can: how many of a project's function calls run
// at once and how many start per second (Gate). Count limits (apps,
// routes, ...) are checked by the store inside the create's transaction,
// with picasso.CheckQuota. Defaults holds the limits that apply without
// Keystone.
package quota
