// Package mapping turns the operator's virtual users into what an FTP
// session sees: it authenticates users by bcrypt or argon2id password
// hash and/or by client certificate, applies their account restrictions
// (expiry, addresses, session count, upload size and file names), and
// maps each user's virtual tree ("/", "/inbound/a.csv") onto storage
// mounts, each a backend bucket, a key prefix and a set of permissions.
// A configuration reload swaps the users atomically; open sessions keep
// their mounts but learn, before each command, whether their login still
// stands.
//
// This package is the security boundary between FTP clients and storage.
// Every path a client sends is treated as hostile: it is rejected if it
// carries control characters or backslashes, cleaned as a rooted path so
// ".." can never climb above "/", and only then joined to a mount's prefix.
// No path a client sends may ever resolve to a key outside the prefix of
// the mount it falls in, and no operation reaches the backend before the
// user's permission for it has been checked.
package mapping
